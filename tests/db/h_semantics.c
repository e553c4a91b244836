/* Job semantics: timeouts, a full queue, close, resize and re-pointing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

typedef struct sem_job {
  const char *sql;
  bool ran;
  int result, order;
  bool done;
  char error[256];
} sem_job;

static int seq;

static int sem_work(stratus_db *db, void *arg) {
  sem_job *j = arg;
  j->ran = true;
  return db_sql_exec(db, j->sql, NULL, 0, NULL);
}

static void sem_done(void *ud, int result, const char *error) {
  sem_job *j = ud;
  j->done = true;
  j->result = result;
  j->order = ++seq;
  snprintf(j->error, sizeof(j->error), "%s", error);
}

static int submit(db_pool *p, sem_job *j, int64_t timeout_ms) {
  return db_pool_submit(p, sem_work, j, sem_done, j, timeout_ms);
}

static void wait_done(sem_job *j) {
  while (!j->done) uv_run(H.loop, UV_RUN_ONCE);
}

static void wait_busy(db_pool *p, size_t busy) {
  db_pool_stats st;
  for (int i = 0; i < 5000; i++) {
    db_pool_get_stats(p, &st);
    if (st.busy >= busy) return;
    uv_run(H.loop, UV_RUN_NOWAIT);
    usleep(1000);
  }
}

/* Wait until stats.open == open (and workers == workers); false on timeout. */
static bool wait_open(db_pool *p, size_t open, size_t workers) {
  db_pool_stats st;
  for (int i = 0; i < 10000; i++) {
    db_pool_get_stats(p, &st);
    if (st.open == open && st.workers == workers) return true;
    uv_run(H.loop, UV_RUN_NOWAIT);
    usleep(1000);
  }
  printf("# open %zu workers %zu, wanted %zu %zu\n", st.open, st.workers, open, workers);
  return false;
}

static void timeouts(void) {
  db_pool *p = harness_pool("timeouts", 1);
  sem_job slow = {.sql = "SELECT SLEEP(0.5)"}, late = {.sql = "SELECT 1"};
  submit(p, &slow, -1);
  submit(p, &late, 100);
  wait_done(&slow);
  wait_done(&late);
  check("timeout_result", late.result == STRATUS_ETIMEDOUT, "%d %s", late.result, late.error);
  check("timeout_never_ran", !late.ran, "the timed-out job ran");
  check("timeout_before_running_job_ended", late.order < slow.order,
        "expired only when the worker freed up");
  check("slow_job_ok", slow.result == 0 && slow.ran, "%d", slow.result);
  harness_close(p);
}

static void queue_full_and_close(void) {
  db_section s = harness_section(1);
  s.max_queue = 2;
  char err[256];
  db_pool *p = db_pool_create(H.loop, "full", &s, err, sizeof(err));
  sem_job running = {.sql = "SELECT SLEEP(0.3)"}, q1 = {.sql = "SELECT 1"},
          q2 = {.sql = "SELECT 2"}, q3 = {.sql = "SELECT 3"}, late = {.sql = "SELECT 4"};
  submit(p, &running, -1);
  wait_busy(p, 1);
  int r1 = submit(p, &q1, -1), r2 = submit(p, &q2, -1), r3 = submit(p, &q3, -1);
  check("queue_accepts_max_queue", r1 == 0 && r2 == 0, "%d %d", r1, r2);
  check("queue_full_eagain", r3 == STRATUS_EAGAIN && !q3.done, "%d", r3);
  db_pool_close(p, NULL, NULL);
  int r4 = submit(p, &late, -1);
  check("submit_after_close_ecanceled", r4 == STRATUS_ECANCELED, "%d", r4);
  while (!(running.done && q1.done && q2.done)) uv_run(H.loop, UV_RUN_ONCE);
  check("close_cancels_queued", q1.result == STRATUS_ECANCELED && q2.result ==
        STRATUS_ECANCELED && !q1.ran && !q2.ran, "%d %d", q1.result, q2.result);
  check("close_lets_running_finish", running.result == 0 && running.ran, "%d",
        running.result);
  uv_run(H.loop, UV_RUN_DEFAULT); /* the pool's handles close */
}

typedef struct many {
  int n, completed, failed;
  int *counts;
} many;

static many M;

static int select1(stratus_db *db, void *arg) {
  (void)arg;
  return db_sql_exec(db, "SELECT 1", NULL, 0, NULL);
}

static void many_done(void *ud, int result, const char *error) {
  int id = (int)(intptr_t)ud;
  M.counts[id]++;
  M.completed++;
  if (result && M.failed++ < 3) printf("# job %d: %d %s\n", id, result, error);
}

static void submit_many(db_pool *p, int n) {
  for (int i = 0; i < n; i++) {
    int id = M.n++;
    db_pool_submit(p, select1, NULL, many_done, (void *)(intptr_t)id, -1);
  }
}

static void resize_and_repoint(void) {
  M = (many){.counts = calloc(20000, sizeof(int))};
  db_section s = harness_section(2);
  char err[256];
  db_pool *p = db_pool_create(H.loop, "resize", &s, err, sizeof(err));
  check("pool_opens_2", wait_open(p, 2, 2), "not 2 open");
  submit_many(p, 3000);
  s.pool_size = 6;
  db_pool_reconfigure(p, &s, err, sizeof(err));
  submit_many(p, 3000);
  check("pool_grows_to_6", wait_open(p, 6, 6), "not 6 open");
  submit_many(p, 3000);
  s.pool_size = 1;
  db_pool_reconfigure(p, &s, err, sizeof(err));
  submit_many(p, 3000);
  check("pool_shrinks_to_1", wait_open(p, 1, 1), "not 1 open");
  while (M.completed < M.n) uv_run(H.loop, UV_RUN_ONCE);
  int dup = 0, missing = 0;
  for (int i = 0; i < M.n; i++) {
    dup += M.counts[i] > 1;
    missing += M.counts[i] == 0;
  }
  check("resize_loses_no_job", dup == 0 && missing == 0 && M.failed == 0,
        "dup %d missing %d failed %d of %d", dup, missing, M.failed, M.n);
  /* Re-point at a database that does not exist, then back. */
  s.pool_size = 2;
  s.database = "no_such_database";
  db_pool_reconfigure(p, &s, err, sizeof(err));
  check("repoint_disconnects", wait_open(p, 0, 2), "still connected");
  sem_job j = {.sql = "SELECT 1"};
  submit(p, &j, -1);
  wait_done(&j);
  check("unreachable_fails_fast", j.result == STRATUS_EUNAVAILABLE && !j.ran &&
        strstr(j.error, "no_such_database") != NULL, "%d %s", j.result, j.error);
  s.database = H.database;
  db_pool_reconfigure(p, &s, err, sizeof(err));
  check("repoint_back_reconnects", wait_open(p, 2, 2), "not reconnected");
  sem_job k = {.sql = "SELECT 1"};
  submit(p, &k, -1);
  wait_done(&k);
  check("repoint_back_works", k.result == 0, "%d %s", k.result, k.error);
  harness_close(p);
  free(M.counts);
}

static void password_file(void) {
  char path[] = "/tmp/stratus-pw-XXXXXX";
  int fd = mkstemp(path);
  check("password_file_written", fd >= 0 && write(fd, "\n", 1) == 1, "mkstemp");
  close(fd);
  db_section s = harness_section(1);
  s.password = "wrong";
  s.password_file = path; /* root's empty password plus a newline */
  char err[256];
  db_pool *p = db_pool_create(H.loop, "pwfile", &s, err, sizeof(err));
  check("password_file_used", p && wait_open(p, 1, 1), "%s", p ? "no connection" : err);
  if (p) harness_close(p);
  unlink(path);
  s.password_file = "/nonexistent/stratus-password";
  p = db_pool_create(H.loop, "pwmissing", &s, err, sizeof(err));
  check("password_file_missing_refused", !p && strstr(err, "/nonexistent") != NULL, "%s",
        err);
}

int test_semantics(void) {
  timeouts();
  queue_full_and_close();
  resize_and_repoint();
  password_file();
  return 0;
}
