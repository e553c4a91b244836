/*
 * db_bench: a point SELECT by primary key through a database pool versus
 * the same prepared query in a plain loop on one connection.
 *
 *   db_bench SOCKET DATABASE [JOBS [WORKERS [INFLIGHT]]]
 *
 * Expects table bench_kv (id INT PRIMARY KEY, v VARCHAR(32)) with ids
 * 1..10000 (bench/run-db-bench makes it). Latency of a pool job is from
 * submit to its completion callback on the loop thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "connect.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "sql.h"
#include "util.h"

#define ROWS 10000
#define SELECT_SQL "SELECT v FROM bench_kv WHERE id = ?"

typedef struct run {
  const char *label;
  size_t jobs, submitted, completed, inflight, max_inflight;
  uint64_t *lat_ns, *start_ns;
  uint64_t t0, t1;
  int failures;
  db_pool *pool;
} run;

static uint32_t rng = 2463534242u;
static int64_t random_id(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return 1 + (int64_t)(rng % ROWS);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void report(const run *r) {
  qsort(r->lat_ns, r->jobs, sizeof(uint64_t), cmp_u64);
  double secs = (double)(r->t1 - r->t0) / 1e9;
  printf("%-44s %8zu in %6.3f s = %9.0f /s   p50 %7.3f ms   p99 %7.3f ms%s\n",
         r->label, r->jobs, secs, (double)r->jobs / secs,
         (double)r->lat_ns[r->jobs / 2] / 1e6, (double)r->lat_ns[r->jobs * 99 / 100] / 1e6,
         r->failures ? "   (FAILURES)" : "");
}

/* ---- through the pool ------------------------------------------------------ */

typedef struct job {
  int64_t id;
  size_t index;
  run *r;
} job;

static int select_work(stratus_db *db, void *arg) {
  job *j = arg;
  stratus_rows *rows;
  int rc = db_sql_exec(db, SELECT_SQL, STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(j->id)), &rows);
  if (rc) return rc;
  size_t len = 0;
  rc = db_rows_next(rows) == 1 && db_rows_text(rows, 0, &len) && len ? 0 : STRATUS_EDB;
  db_rows_free(rows);
  return rc;
}

static void submit_more(run *r);

static void on_done(void *ud, int result, const char *error) {
  job *j = ud;
  run *r = j->r;
  r->lat_ns[j->index] = clock_mono_ns() - r->start_ns[j->index];
  if (result && r->failures++ == 0) fprintf(stderr, "job failed: %s\n", error);
  r->completed++;
  r->inflight--;
  free(j);
  submit_more(r);
}

static void submit_more(run *r) {
  while (r->inflight < r->max_inflight && r->submitted < r->jobs) {
    job *j = xcalloc(1, sizeof(*j));
    *j = (job){random_id(), r->submitted, r};
    r->start_ns[j->index] = clock_mono_ns();
    if (db_pool_submit(r->pool, select_work, j, on_done, j, -1) != 0) abort();
    r->submitted++;
    r->inflight++;
  }
}

static void on_closed(void *arg) { *(bool *)arg = true; }

static void pool_run(uv_loop_t *loop, db_section *s, run *r) {
  char err[512];
  r->pool = db_pool_create(loop, "bench", s, err, sizeof(err));
  if (!r->pool) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  /* warm up: every worker connected and its statement prepared */
  run warm = {.jobs = 1000, .max_inflight = r->max_inflight, .pool = r->pool};
  warm.lat_ns = xcalloc(warm.jobs, sizeof(uint64_t));
  warm.start_ns = xcalloc(warm.jobs, sizeof(uint64_t));
  submit_more(&warm);
  while (warm.completed < warm.jobs) uv_run(loop, UV_RUN_ONCE);
  free(warm.lat_ns);
  free(warm.start_ns);
  r->t0 = clock_mono_ns();
  submit_more(r);
  while (r->completed < r->jobs) uv_run(loop, UV_RUN_ONCE);
  r->t1 = clock_mono_ns();
  bool closed = false;
  db_pool_close(r->pool, on_closed, &closed);
  while (!closed) uv_run(loop, UV_RUN_ONCE);
}

/* ---- a plain loop on one connection ----------------------------------------- */

static void plain_run(const db_settings *s, run *r) {
  char err[512];
  unsigned errnum;
  MYSQL *m = db_connect(s, err, sizeof(err), &errnum);
  if (!m) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  MYSQL_STMT *st = mysql_stmt_init(m);
  if (mysql_stmt_prepare(st, SELECT_SQL, strlen(SELECT_SQL))) abort();
  long long id = 0;
  char v[64];
  unsigned long vlen = 0;
  MYSQL_BIND in = {.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &id};
  MYSQL_BIND out = {.buffer_type = MYSQL_TYPE_STRING, .buffer = v,
                    .buffer_length = sizeof(v), .length = &vlen};
  mysql_stmt_bind_param(st, &in);
  mysql_stmt_bind_result(st, &out);
  for (size_t i = 0; i < r->jobs + 1000; i++) {
    if (i == 1000) r->t0 = clock_mono_ns();
    uint64_t t = clock_mono_ns();
    id = random_id();
    if (mysql_stmt_execute(st) || mysql_stmt_store_result(st)) abort();
    if (mysql_stmt_fetch(st) != 0 || vlen == 0) r->failures++;
    mysql_stmt_free_result(st);
    if (i >= 1000) r->lat_ns[i - 1000] = clock_mono_ns() - t;
  }
  r->t1 = clock_mono_ns();
  mysql_stmt_close(st);
  mysql_close(m);
}

static run new_run(const char *label, size_t jobs, size_t inflight) {
  run r = {.label = label, .jobs = jobs, .max_inflight = inflight};
  r.lat_ns = xcalloc(jobs, sizeof(uint64_t));
  r.start_ns = xcalloc(jobs, sizeof(uint64_t));
  return r;
}

static void free_run(run *r) {
  free(r->lat_ns);
  free(r->start_ns);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: db_bench SOCKET DATABASE [JOBS [WORKERS [INFLIGHT]]]\n");
    return 2;
  }
  log_init();
  log_set_level(STRATUS_LOG_WARN);
  size_t jobs = argc > 3 ? strtoul(argv[3], NULL, 10) : 50000;
  int64_t workers = argc > 4 ? strtoll(argv[4], NULL, 10) : 4;
  size_t inflight = argc > 5 ? strtoul(argv[5], NULL, 10) : 64;
  db_section sec = {.socket = argv[1], .user = "root", .password = "", .password_file = "",
                    .database = argv[2], .pool_size = workers, .connect_timeout_ms = 5000,
                    .read_timeout_ms = 30000, .write_timeout_ms = 30000,
                    .max_queue = 1000000, .txn_retries = 3, .tls_ca = "", .port = 3306};
  db_settings settings;
  char err[512];
  if (db_settings_load(&settings, &sec, err, sizeof(err))) return 1;
  uv_loop_t loop;
  uv_loop_init(&loop);

  run plain = new_run("plain loop, 1 connection, prepared", jobs, 1);
  plain_run(&settings, &plain);
  char label1[64], labeln[64];
  snprintf(label1, sizeof(label1), "pool, 1 worker, 1 in flight");
  run pool1 = new_run(label1, jobs, 1);
  sec.pool_size = 1;
  pool_run(&loop, &sec, &pool1);
  snprintf(labeln, sizeof(labeln), "pool, %lld workers, %zu in flight", (long long)workers,
           inflight);
  run pooln = new_run(labeln, jobs, inflight);
  sec.pool_size = workers;
  pool_run(&loop, &sec, &pooln);

  printf("point SELECT by primary key, %zu queries each (after 1000 warm-up)\n", jobs);
  report(&plain);
  report(&pool1);
  report(&pooln);
  double plain_rate = (double)jobs / ((double)(plain.t1 - plain.t0) / 1e9);
  double rate1 = (double)jobs / ((double)(pool1.t1 - pool1.t0) / 1e9);
  double raten = (double)jobs / ((double)(pooln.t1 - pooln.t0) / 1e9);
  printf("ratio pool(1 worker)/plain: throughput %.2f, p99 %.2f\n", rate1 / plain_rate,
         (double)pool1.lat_ns[jobs * 99 / 100] / (double)plain.lat_ns[jobs * 99 / 100]);
  printf("ratio pool(%lld workers)/plain: throughput %.2f, p99 %.2f\n", (long long)workers,
         raten / plain_rate,
         (double)pooln.lat_ns[jobs * 99 / 100] / (double)plain.lat_ns[jobs * 99 / 100]);
  int failures = plain.failures + pool1.failures + pooln.failures;
  free_run(&plain);
  free_run(&pool1);
  free_run(&pooln);
  db_settings_free(&settings);
  uv_loop_close(&loop);
  metrics_shutdown();
  db_library_end();
  return failures ? 1 : 0;
}
