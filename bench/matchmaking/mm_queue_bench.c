/*
 * The matchmaking queue engine under load: N players (default 10,000) queue
 * solo and in parties of 2-5 for one battleground type across 4 level
 * brackets and 3 realms in one battlegroup (one queue per bracket), half
 * Alliance, half Horde. Prints:
 *   - enqueue throughput and latency percentiles;
 *   - match-and-invite: how long one 10v10 match takes to find and invite
 *     while the queues are full, and the rate until no bracket can match;
 *   - invite expiry of every invited player in one sweep;
 *   - the SIGHUP hand-over: blob size, export and import time.
 * Usage: mm_queue_bench [players]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"

#define BRACKETS 4
#define REALMS 3
#define BG_TYPE 2
#define TEAM_MIN 10
#define TEAM_MAX 10

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void percentiles(const char *what, double *v, size_t n) {
  qsort(v, n, sizeof(*v), cmp_double);
  printf("  %-22s p50 %.2f us  p99 %.2f us  max %.2f us\n", what, v[n / 2], v[n * 99 / 100],
         v[n - 1]);
}

static size_t fill(mm_engine *e, size_t players, double *lat) {
  size_t queued = 0, tickets = 0;
  uint32_t low = 1;
  while (queued < players) {
    mm_ticket t = {.key = {.scope = MM_SCOPE_BATTLEGROUP | 1,
                           .bracket = (uint16_t)(tickets % BRACKETS), .type = BG_TYPE},
                   .team = (uint8_t)(1 + (tickets / BRACKETS) % 2)};
    t.n = (uint8_t)(tickets % 3 == 0 ? 1 + tickets % 5 : 1);
    if (queued + t.n > players) t.n = (uint8_t)(players - queued);
    for (int i = 0; i < t.n; i++)
      t.members[i] = (mm_member){.realm = 1 + (uint32_t)(tickets % REALMS), .low = low++};
    double t0 = now_us();
    if (mm_enqueue(e, &t, 1000, NULL)) {
      fprintf(stderr, "enqueue failed\n");
      exit(1);
    }
    lat[tickets++] = now_us() - t0;
    queued += t.n;
  }
  return tickets;
}

/* Matches and invites in every bracket until none can match; one latency
 * sample per match. */
static size_t match_all(mm_engine *e, double *lat, size_t *invited) {
  size_t matches = 0;
  for (int progress = 1; progress;) {
    progress = 0;
    for (uint16_t b = 0; b < BRACKETS; b++) {
      mm_qkey key = {.scope = MM_SCOPE_BATTLEGROUP | 1, .bracket = b, .type = BG_TYPE};
      mm_bg_match m;
      double t0 = now_us();
      if (!mm_match_battleground(mm_queue_of(e, key), TEAM_MIN, TEAM_MAX, &m)) continue;
      for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < m.n[s]; i++) {
          mm_invite(m.sides[s][i], (uint32_t)matches + 1, 61000);
          *invited += m.sides[s][i]->n;
        }
      lat[matches++] = now_us() - t0;
      progress = 1;
    }
  }
  return matches;
}

int main(int argc, char **argv) {
  size_t players = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
  double *lat = calloc(players + 1, sizeof(double));
  mm_engine e;
  mm_engine_init(&e);
  printf("matchmaking queue engine: %zu players, %d brackets, %d realms in one battlegroup, "
         "%dv%d\n", players, BRACKETS, REALMS, TEAM_MAX, TEAM_MAX);

  double t0 = now_us();
  size_t tickets = fill(&e, players, lat);
  double enqueue_s = (now_us() - t0) / 1e6;
  printf("enqueue: %zu tickets (%zu players) in %.1f ms, %.0f tickets/s\n", tickets, players,
         enqueue_s * 1e3, (double)tickets / enqueue_s);
  percentiles("enqueue", lat, tickets);

  void *blob;
  size_t len;
  t0 = now_us();
  mm_engine_export(&e, &blob, &len);
  double export_ms = (now_us() - t0) / 1e3;
  mm_engine f;
  mm_engine_init(&f);
  t0 = now_us();
  int rc = mm_engine_import(&f, blob, len);
  double import_ms = (now_us() - t0) / 1e3;
  printf("hand-over (full queues): %zu KiB, export %.2f ms, import %.2f ms (%s)\n", len / 1024,
         export_ms, import_ms, rc ? "FAILED" : "ok");
  free(blob);
  mm_engine_free(&f);

  size_t invited = 0;
  t0 = now_us();
  size_t matches = match_all(&e, lat, &invited);
  double match_s = (now_us() - t0) / 1e6;
  printf("match and invite: %zu matches, %zu players invited in %.1f ms, %.0f matches/s\n",
         matches, invited, match_s * 1e3, (double)matches / match_s);
  if (matches) percentiles("one match + invites", lat, matches);

  t0 = now_us();
  size_t expired = mm_expire(&e, 61000, NULL, NULL);
  printf("expiry: %zu invited tickets removed in %.2f ms; %zu tickets still queued\n", expired,
         (now_us() - t0) / 1e3, e.tickets);
  mm_engine_free(&e);
  free(lat);
  return rc ? 1 : 0;
}
