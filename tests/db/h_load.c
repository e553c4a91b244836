/* 10,000 jobs over 8 workers, and a server killed in the middle of a load. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define LOAD_JOBS 10000
#define LOAD_WORKERS 8

typedef struct load_state {
  int counts[LOAD_JOBS];
  int failed, completed;
} load_state;

static load_state *L;

static int load_work(stratus_db *db, void *job) {
  int64_t id = (int64_t)(intptr_t)job;
  return db_sql_exec(db, "INSERT INTO t_load (id, conn) VALUES (?, CONNECTION_ID())",
                     STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(id)), NULL);
}

static void load_done(void *ud, int result, const char *error) {
  int id = (int)(intptr_t)ud;
  L->counts[id]++;
  L->completed++;
  if (result) {
    if (L->failed++ < 5) printf("# job %d: %d %s\n", id, result, error);
  }
}

typedef struct counts {
  int64_t rows, conns;
} counts;

static int count_work(stratus_db *db, void *arg) {
  counts *c = arg;
  stratus_rows *r;
  int rc = db_sql_exec(db, "SELECT COUNT(*), COUNT(DISTINCT conn) FROM t_load", NULL, 0, &r);
  if (rc) return rc;
  if (db_rows_next(r) == 1) {
    c->rows = db_rows_int(r, 0);
    c->conns = db_rows_int(r, 1);
  }
  db_rows_free(r);
  return 0;
}

int test_load(void) {
  L = calloc(1, sizeof(*L));
  db_pool *p = harness_pool("load", LOAD_WORKERS);
  if (exec_sync(p, "DROP TABLE IF EXISTS t_load") ||
      exec_sync(p, "CREATE TABLE t_load (id INT PRIMARY KEY, conn BIGINT UNSIGNED) "
                   "ENGINE=InnoDB"))
    return 1;
  uint64_t t0 = clock_mono_ns();
  int refused = 0;
  for (int i = 0; i < LOAD_JOBS; i++)
    if (db_pool_submit(p, load_work, (void *)(intptr_t)i, load_done, (void *)(intptr_t)i, -1))
      refused++;
  while (L->completed < LOAD_JOBS - refused) uv_run(H.loop, UV_RUN_ONCE);
  double secs = (double)(clock_mono_ns() - t0) / 1e9;
  int dup = 0, missing = 0;
  for (int i = 0; i < LOAD_JOBS; i++) {
    dup += L->counts[i] > 1;
    missing += L->counts[i] == 0;
  }
  counts c = {0};
  run_sync(p, count_work, &c, NULL, 0);
  check("load_all_submitted", refused == 0, "%d refused", refused);
  check("load_exactly_once", dup == 0 && missing == 0, "dup %d missing %d", dup, missing);
  check("load_all_succeeded", L->failed == 0, "%d failed", L->failed);
  check("load_rows_in_table", c.rows == LOAD_JOBS, "%" PRId64 " rows", c.rows);
  check("load_used_every_worker", c.conns == LOAD_WORKERS, "%" PRId64 " connections",
        c.conns);
  value("load_jobs", LOAD_JOBS);
  value("load_completed", L->completed);
  value("load_duplicates", dup);
  value("load_missing", missing);
  value("load_jobs_per_second", LOAD_JOBS / secs);
  harness_close(p);
  free(L);
  return 0;
}

/* ---- outage ----------------------------------------------------------- */

#define OUT_MAX_JOBS (1 << 20)
#define OUT_AFTER_JOBS 2000
#define OUT_INFLIGHT 32

enum { RUN, OUTAGE, RECOVERING, AFTER, DONE, NPHASES };
static const char *const phase_names[] = {"run", "outage", "recovering", "after", "done"};

typedef struct outage {
  db_pool *p;
  uv_timer_t ticker, guard;
  uv_pipe_t in;
  int phase;
  int inflight, next_id, after_left;
  bool kill_sent;
  unsigned char *counts, *phase_of;
  int submitted[NPHASES], ok[NPHASES], unavailable[NPHASES], other[NPHASES];
  char linebuf[64];
  size_t linelen;
} outage;

static outage O;

static int outage_work(stratus_db *db, void *job) {
  int64_t id = (int64_t)(intptr_t)job;
  stratus_rows *r;
  int rc = db_sql_exec(db, "SELECT ? + 1", STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(id)), &r);
  if (rc) return rc;
  bool right = db_rows_next(r) == 1 && db_rows_int(r, 0) == id + 1;
  db_rows_free(r);
  return right ? 0 : STRATUS_EDB;
}

static void outage_finish(void);

static void outage_done(void *ud, int result, const char *error) {
  int id = (int)(intptr_t)ud;
  int ph = O.phase_of[id];
  O.counts[id]++;
  O.inflight--;
  if (result == 0) O.ok[ph]++;
  else if (result == STRATUS_EUNAVAILABLE) O.unavailable[ph]++;
  else if (O.other[ph]++ < 5) printf("# %s job %d: %d %s\n", phase_names[ph], id, result, error);
  if (ph == AFTER && --O.after_left == 0) outage_finish();
}

static void submit_one(void) {
  int id = O.next_id++;
  O.phase_of[id] = (unsigned char)O.phase;
  O.submitted[O.phase]++;
  O.inflight++;
  int rc = db_pool_submit(O.p, outage_work, (void *)(intptr_t)id, outage_done,
                          (void *)(intptr_t)id, -1);
  if (rc) {
    printf("# submit refused: %d\n", rc);
    O.inflight--;
    O.counts[id]++;
    O.other[O.phase]++;
  }
}

static void on_tick(uv_timer_t *t) {
  (void)t;
  if (O.phase == RUN && O.ok[RUN] >= 2000 && !O.kill_sent) {
    O.kill_sent = true;
    printf("KILL_NOW\n");
    fflush(stdout);
  }
  if (O.phase == RECOVERING) {
    db_pool_stats st;
    db_pool_get_stats(O.p, &st);
    if (st.open == st.workers) {
      if (O.inflight) return;
      uv_timer_stop(&O.ticker);
      O.phase = AFTER;
      O.after_left = OUT_AFTER_JOBS;
      for (int i = 0; i < OUT_AFTER_JOBS; i++) submit_one();
      return;
    }
  }
  int limit = O.phase == RUN ? OUT_INFLIGHT : 4;
  for (int i = 0; i < limit && O.inflight < OUT_INFLIGHT && O.next_id < OUT_MAX_JOBS - OUT_AFTER_JOBS; i++)
    submit_one();
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  (void)h;
  (void)size;
  static char b[256];
  *buf = uv_buf_init(b, sizeof(b));
}

static void on_line(const char *line) {
  if (strcmp(line, "KILLED") == 0 && O.phase == RUN) O.phase = OUTAGE;
  if (strcmp(line, "RESTARTED") == 0 && O.phase == OUTAGE) O.phase = RECOVERING;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)s;
  for (ssize_t i = 0; i < n; i++) {
    char c = buf->base[i];
    if (c == '\n' || O.linelen == sizeof(O.linebuf) - 1) {
      O.linebuf[O.linelen] = '\0';
      on_line(O.linebuf);
      O.linelen = 0;
    } else {
      O.linebuf[O.linelen++] = c;
    }
  }
  if (n < 0) uv_read_stop((uv_stream_t *)&O.in);
}

static void on_guard(uv_timer_t *t) {
  (void)t;
  check("outage_finished", false, "still in phase %s after 120 s (%d in flight)",
        phase_names[O.phase], O.inflight);
  printf("SUMMARY checks=%d failed=%d\n", H.checks, H.failed);
  fflush(stdout);
  _exit(1);
}

static void outage_finish(void) {
  O.phase = DONE;
  uv_timer_stop(&O.guard);
  uv_close((uv_handle_t *)&O.ticker, NULL);
  uv_close((uv_handle_t *)&O.guard, NULL);
  uv_close((uv_handle_t *)&O.in, NULL);
}

static void outage_report(void) {
  int dup = 0, missing = 0;
  for (int i = 0; i < O.next_id; i++) {
    dup += O.counts[i] > 1;
    missing += O.counts[i] == 0;
  }
  for (int ph = RUN; ph <= AFTER; ph++) {
    char name[64];
    snprintf(name, sizeof(name), "outage_%s_submitted", phase_names[ph]);
    value(name, O.submitted[ph]);
    snprintf(name, sizeof(name), "outage_%s_ok", phase_names[ph]);
    value(name, O.ok[ph]);
    snprintf(name, sizeof(name), "outage_%s_unavailable", phase_names[ph]);
    value(name, O.unavailable[ph]);
    snprintf(name, sizeof(name), "outage_%s_other", phase_names[ph]);
    value(name, O.other[ph]);
  }
  value("outage_jobs", O.next_id);
  value("outage_duplicates", dup);
  value("outage_missing", missing);
  check("outage_exactly_once", dup == 0 && missing == 0, "dup %d missing %d", dup, missing);
  check("outage_no_other_errors", O.other[RUN] + O.other[OUTAGE] + O.other[RECOVERING] +
        O.other[AFTER] == 0, "unexpected results");
  check("outage_jobs_before_ok", O.ok[RUN] >= 2000, "%d", O.ok[RUN]);
  check("outage_jobs_during_unavailable", O.submitted[OUTAGE] > 0 &&
        O.unavailable[OUTAGE] == O.submitted[OUTAGE], "%d of %d", O.unavailable[OUTAGE],
        O.submitted[OUTAGE]);
  check("outage_jobs_after_ok", O.ok[AFTER] == OUT_AFTER_JOBS, "%d of %d", O.ok[AFTER],
        OUT_AFTER_JOBS);
}

int test_outage(void) {
  O.counts = calloc(OUT_MAX_JOBS, 1);
  O.phase_of = calloc(OUT_MAX_JOBS, 1);
  O.p = harness_pool("outage", LOAD_WORKERS);
  uv_timer_init(H.loop, &O.ticker);
  uv_timer_init(H.loop, &O.guard);
  uv_pipe_init(H.loop, &O.in, 0);
  uv_pipe_open(&O.in, 0);
  uv_read_start((uv_stream_t *)&O.in, on_alloc, on_read);
  uv_timer_start(&O.ticker, on_tick, 1, 1);
  uv_timer_start(&O.guard, on_guard, 120000, 0);
  printf("READY\n");
  fflush(stdout);
  while (O.phase != DONE) uv_run(H.loop, UV_RUN_ONCE);
  db_pool_stats st;
  db_pool_get_stats(O.p, &st);
  value("outage_reconnects", (double)st.reconnects);
  check("outage_reconnected", st.reconnects >= LOAD_WORKERS, "%" PRIu64, st.reconnects);
  harness_close(O.p);
  outage_report();
  free(O.counts);
  free(O.phase_of);
  return 0;
}
