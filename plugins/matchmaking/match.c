/* Matching rules of the queue engine (queue.h): battleground teams, arena
 * skirmish and rated arena. Queued tickets only, oldest first. */
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define MET_PENALTY 1000000u
#define RATED_WINDOW 8 /* neighbours in MMR order compared with each team */

bool mm_match_battleground(const mm_queue *q, uint32_t min, uint32_t max, mm_bg_match *out) {
  memset(out, 0, sizeof(*out));
  for (mm_ticket *t = q ? q->head : NULL; t; t = t->next) {
    int side = t->team == 2;
    if (t->state != MM_QUEUED || t->team == 0) continue;
    if (out->players[side] + t->n > max || out->n[side] == MM_TICKET_MAX) continue;
    out->sides[side][out->n[side]++] = t;
    out->players[side] += t->n;
  }
  return min > 0 && out->players[0] >= min && out->players[1] >= min;
}

/* Depth-first search for tickets adding up to `need` players, oldest first,
 * skipping tickets already taken. Only the oldest ticket of each size is
 * tried at a level (a younger one of the same size cannot do better), so
 * the search is bounded by sizes, not by the queue's length. */
static bool pick(mm_ticket *from, uint32_t need, mm_ticket **taken, size_t ntaken,
                 mm_ticket **out, size_t *n) {
  if (need == 0) return true;
  bool tried[MM_TICKET_MAX + 1] = {false};
  for (mm_ticket *t = from; t; t = t->next) {
    bool used = t->state != MM_QUEUED || t->n > need || tried[t->n];
    for (size_t i = 0; !used && i < ntaken; i++) used = taken[i] == t;
    if (used) continue;
    tried[t->n] = true;
    out[(*n)++] = t;
    if (pick(t->next, need - t->n, taken, ntaken, out, n)) return true;
    (*n)--;
  }
  return false;
}

bool mm_match_skirmish(const mm_queue *q, uint32_t size, mm_bg_match *out) {
  memset(out, 0, sizeof(*out));
  if (!q || size == 0 || size > MM_TICKET_MAX) return false;
  /* The first side starts with the oldest ticket that can start one; a size
   * that failed to start one will fail again later in the queue. */
  bool failed[MM_TICKET_MAX + 1] = {false};
  for (mm_ticket *first = q->head; first; first = first->next) {
    if (first->state != MM_QUEUED || first->n > size || failed[first->n]) continue;
    out->n[0] = 0;
    if (!pick(first, size, NULL, 0, out->sides[0], &out->n[0]) || out->sides[0][0] != first) {
      failed[first->n] = true;
      continue;
    }
    out->n[1] = 0;
    if (pick(q->head, size, out->sides[0], out->n[0], out->sides[1], &out->n[1])) {
      out->players[0] = out->players[1] = size;
      return true;
    }
    failed[first->n] = true;
  }
  memset(out, 0, sizeof(*out));
  return false;
}

static int by_mmr(const void *a, const void *b) {
  const mm_ticket *x = *(mm_ticket *const *)a, *y = *(mm_ticket *const *)b;
  if (x->mmr != y->mmr) return x->mmr < y->mmr ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id; /* older first among equals */
}

bool mm_match_rated(const mm_queue *q, uint32_t size, mm_met_last met, void *ud,
                    mm_ticket **a, mm_ticket **b) {
  size_t n = 0;
  mm_ticket **teams = malloc((q ? q->len : 0) * sizeof(*teams) + 1);
  if (!teams) return false;
  for (mm_ticket *t = q ? q->head : NULL; t; t = t->next)
    if (t->state == MM_QUEUED && t->n == size && t->arena_team) teams[n++] = t;
  qsort(teams, n, sizeof(*teams), by_mmr);
  uint64_t best = UINT64_MAX;
  /* The smallest gap is between neighbours in MMR order; a window lets a
   * penalized neighbour give way to the next one. */
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n && j <= i + RATED_WINDOW; j++) {
      if (teams[i]->arena_team == teams[j]->arena_team) continue;
      uint64_t cost = teams[j]->mmr - teams[i]->mmr;
      if (met && met(teams[i]->arena_team, teams[j]->arena_team, ud)) cost += MET_PENALTY;
      if (cost < best) best = cost, *a = teams[i], *b = teams[j];
    }
  free(teams);
  return best != UINT64_MAX;
}
