/* db_harness main and the helpers the tests share (see harness.h). */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "log.h"
#include "metrics.h"

harness H;

db_section harness_section(int64_t pool_size) {
  return (db_section){
      .host = "127.0.0.1", .port = 3306, .socket = H.socket, .user = "root",
      .password = "", .password_file = "", .database = H.database,
      .pool_size = pool_size, .connect_timeout_ms = 2000,
      .read_timeout_ms = 30000, .write_timeout_ms = 30000,
      .job_timeout_ms = 30000, .max_queue = 100000, .txn_retries = 5,
      .tls_ca = "", .tls_verify = true};
}

db_pool *harness_pool(const char *name, int64_t pool_size) {
  db_section s = harness_section(pool_size);
  char err[512];
  db_pool *p = db_pool_create(H.loop, name, &s, err, sizeof(err));
  if (!p) {
    fprintf(stderr, "db_pool_create: %s\n", err);
    exit(2);
  }
  return p;
}

static void on_closed(void *arg) { *(bool *)arg = true; }

void harness_close(db_pool *p) {
  bool closed = false;
  db_pool_close(p, on_closed, &closed);
  while (!closed) uv_run(H.loop, UV_RUN_ONCE);
}

typedef struct sync_job {
  bool done;
  int result;
  char *err;
  size_t errlen;
} sync_job;

static void sync_done(void *ud, int result, const char *error) {
  sync_job *s = ud;
  s->done = true;
  s->result = result;
  if (s->err) snprintf(s->err, s->errlen, "%s", error);
}

int run_sync(db_pool *p, stratus_db_work work, void *job, char *err,
             size_t errlen) {
  sync_job s = {false, 0, err, errlen};
  int rc = db_pool_submit(p, work, job, sync_done, &s, 0);
  if (rc != 0) return rc;
  while (!s.done) uv_run(H.loop, UV_RUN_ONCE);
  return s.result;
}

static int exec_work(stratus_db *db, void *job) {
  return db_sql_exec(db, job, NULL, 0, NULL);
}

int exec_sync(db_pool *p, const char *sql) {
  char err[768];
  int rc = run_sync(p, exec_work, (void *)sql, err, sizeof(err));
  if (rc != 0) fprintf(stderr, "%s: %s\n", sql, err);
  return rc;
}

static void vcheck(strbuf *out, int *checks, int *failed, const char *name,
                   bool ok, const char *fmt, va_list ap) {
  (*checks)++;
  if (ok) {
    sb_printf(out, "CHECK %s ok\n", name);
    return;
  }
  (*failed)++;
  sb_printf(out, "CHECK %s FAIL ", name);
  sb_vprintf(out, fmt, ap);
  sb_puts(out, "\n");
}

void check(const char *name, bool ok, const char *fmt, ...) {
  strbuf sb;
  sb_init(&sb);
  va_list ap;
  va_start(ap, fmt);
  vcheck(&sb, &H.checks, &H.failed, name, ok, fmt, ap);
  va_end(ap);
  fputs(sb.data, stdout);
  fflush(stdout);
  sb_free(&sb);
}

void value(const char *name, double v) {
  printf("VALUE %s %.17g\n", name, v);
  fflush(stdout);
}

void wcheck(wlog *l, const char *name, bool ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vcheck(&l->text, &l->checks, &l->failed, name, ok, fmt, ap);
  va_end(ap);
}

void wlog_flush(wlog *l) {
  if (l->text.data) fputs(l->text.data, stdout);
  fflush(stdout);
  H.checks += l->checks;
  H.failed += l->failed;
  sb_free(&l->text);
}

static const struct {
  const char *name;
  int (*fn)(void);
} tests[] = {
    {"types", test_types},       {"transactions", test_transactions},
    {"deadlock", test_deadlock}, {"load", test_load},
    {"outage", test_outage},     {"semantics", test_semantics},
    {"stale", test_stale_statement},
};

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: db_harness SOCKET DATABASE TEST\n");
    return 2;
  }
  log_init();
  H.socket = argv[1];
  H.database = argv[2];
  uv_loop_t loop;
  uv_loop_init(&loop);
  H.loop = &loop;
  int rc = 2;
  for (size_t i = 0; i < ARRAY_LEN(tests); i++)
    if (strcmp(tests[i].name, argv[3]) == 0) rc = tests[i].fn();
  if (rc == 2) fprintf(stderr, "db_harness: no test %s\n", argv[3]);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) {
    fprintf(stderr, "db_harness: handles left open on the loop\n");
    rc = 1;
  }
  metrics_shutdown();
  db_library_end();
  printf("SUMMARY checks=%d failed=%d\n", H.checks, H.failed);
  return rc != 0 || H.failed ? 1 : 0;
}
