/*
 * sql_bench: the raw throughput of a database pool running given statements,
 * the baseline a plugin's method is compared with (bench/mail,
 * bench/auctionhouse). One job runs every statement once, in order, reading
 * every row of each result; each `?` is bound to one integer drawn per job
 * from [MIN, MAX].
 *
 *   sql_bench SOCKET DATABASE JOBS WORKERS INFLIGHT MIN MAX SQL [SQL...]
 *
 * Prints jobs/s and p50/p99 (submit to completion on the loop thread).
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

#define MAX_STMTS 8
#define MAX_PARAMS 16

typedef struct bench {
  const char *const *sql;
  size_t nsql;
  int64_t min, max;
  size_t jobs, submitted, completed, inflight, max_inflight;
  uint64_t *lat_ns, *start_ns;
  int failures;
  size_t rows;
  db_pool *pool;
} bench;

typedef struct job {
  bench *b;
  size_t index;
  int64_t value;
  size_t rows;
} job;

static uint64_t rng = 88172645463325252ull;
static int64_t draw(const bench *b) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return b->min + (int64_t)(rng % (uint64_t)(b->max - b->min + 1));
}

static size_t marks(const char *sql) {
  size_t n = 0;
  for (; *sql; sql++) n += *sql == '?';
  return n;
}

static int work(stratus_db *db, void *arg) {
  job *j = arg;
  stratus_sql_value params[MAX_PARAMS];
  for (size_t i = 0; i < MAX_PARAMS; i++) params[i] = STRATUS_SQL_INT_V(j->value);
  for (size_t s = 0; s < j->b->nsql; s++) {
    stratus_rows *rows;
    int rc = db_sql_exec(db, j->b->sql[s], params, marks(j->b->sql[s]), &rows);
    if (rc) return rc;
    while (db_rows_next(rows) == 1) {
      size_t len;
      for (unsigned c = 0; c < 4; c++) (void)db_rows_text(rows, c, &len);
      j->rows++;
    }
    db_rows_free(rows);
  }
  return 0;
}

static void submit_more(bench *b);

static void done(void *ud, int result, const char *error) {
  job *j = ud;
  bench *b = j->b;
  b->lat_ns[j->index] = clock_mono_ns() - b->start_ns[j->index];
  if (result && b->failures++ == 0) fprintf(stderr, "job failed: %s\n", error);
  b->rows += j->rows;
  b->completed++;
  b->inflight--;
  free(j);
  submit_more(b);
}

static void submit_more(bench *b) {
  while (b->inflight < b->max_inflight && b->submitted < b->jobs) {
    job *j = xcalloc(1, sizeof(*j));
    *j = (job){.b = b, .index = b->submitted, .value = draw(b)};
    b->start_ns[j->index] = clock_mono_ns();
    if (db_pool_submit(b->pool, work, j, done, j, -1) != 0) abort();
    b->submitted++;
    b->inflight++;
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void run(uv_loop_t *loop, bench *b, size_t jobs, uint64_t *t) {
  b->jobs = jobs;
  b->submitted = b->completed = 0;
  b->rows = 0;
  b->lat_ns = xcalloc(jobs, sizeof(uint64_t));
  b->start_ns = xcalloc(jobs, sizeof(uint64_t));
  *t = clock_mono_ns();
  submit_more(b);
  while (b->completed < b->jobs) uv_run(loop, UV_RUN_ONCE);
  *t = clock_mono_ns() - *t;
}

static void on_closed(void *arg) { *(bool *)arg = true; }

int main(int argc, char **argv) {
  if (argc < 9 || argc - 8 > MAX_STMTS) {
    fprintf(stderr, "usage: sql_bench SOCKET DATABASE JOBS WORKERS INFLIGHT MIN MAX SQL...\n");
    return 2;
  }
  log_init();
  log_set_level(STRATUS_LOG_WARN);
  bench b = {.sql = (const char *const *)argv + 8, .nsql = (size_t)argc - 8,
             .min = strtoll(argv[6], NULL, 10), .max = strtoll(argv[7], NULL, 10),
             .max_inflight = strtoul(argv[5], NULL, 10)};
  db_section sec = {.socket = argv[1], .user = "root", .password = "", .password_file = "",
                    .database = argv[2], .pool_size = strtoll(argv[4], NULL, 10),
                    .connect_timeout_ms = 5000, .read_timeout_ms = 30000,
                    .write_timeout_ms = 30000, .max_queue = 1000000, .txn_retries = 3,
                    .tls_ca = "", .port = 3306};
  char err[512];
  uv_loop_t loop;
  uv_loop_init(&loop);
  b.pool = db_pool_create(&loop, "bench", &sec, err, sizeof(err));
  if (!b.pool) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  uint64_t t;
  run(&loop, &b, 500, &t); /* warm-up: connections made, statements prepared */
  free(b.lat_ns);
  free(b.start_ns);
  size_t jobs = strtoul(argv[3], NULL, 10);
  run(&loop, &b, jobs, &t);
  qsort(b.lat_ns, jobs, sizeof(uint64_t), cmp_u64);
  printf("pool raw: %zu jobs (%zu statement(s) each, %.1f rows/job), %s workers, %zu in flight: "
         "%.0f jobs/s, p50 %.3f ms, p99 %.3f ms%s\n",
         jobs, b.nsql, (double)b.rows / (double)jobs, argv[4], b.max_inflight,
         (double)jobs / ((double)t / 1e9), (double)b.lat_ns[jobs / 2] / 1e6,
         (double)b.lat_ns[jobs * 99 / 100] / 1e6, b.failures ? " (FAILURES)" : "");
  bool closed = false;
  db_pool_close(b.pool, on_closed, &closed);
  while (!closed) uv_run(&loop, UV_RUN_ONCE);
  free(b.lat_ns);
  free(b.start_ns);
  uv_loop_close(&loop);
  metrics_shutdown();
  db_library_end();
  return b.failures ? 1 : 0;
}
