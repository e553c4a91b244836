/*
 * db_harness: runs the database pools and SQL helpers against a real
 * MariaDB (tests/db/test_db_pool.py starts it and reads the output).
 *
 *   db_harness SOCKET DATABASE TEST
 *
 * Output, one fact per line, for the Python side to assert on:
 *   CHECK <name> ok | CHECK <name> FAIL <detail>
 *   VALUE <name> <number>
 *   SUMMARY checks=<n> failed=<n>
 */
#ifndef STRATUS_TESTS_DB_HARNESS_H
#define STRATUS_TESTS_DB_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/db.h>
#include <stratus/errors.h>
#include <uv.h>

#include "host_config.h"
#include "pool.h"
#include "sql.h"
#include "util.h"

typedef struct harness {
  uv_loop_t *loop;
  const char *socket;
  const char *database;
  int checks, failed;
} harness;

extern harness H;

/* A section for the test server: pool_size workers over the socket. */
db_section harness_section(int64_t pool_size);
db_pool *harness_pool(const char *name, int64_t pool_size);
/* Close the pool and run the loop until it is gone. */
void harness_close(db_pool *p);

/* Run one job and the loop until it completes; returns its result. */
int run_sync(db_pool *p, stratus_db_work work, void *job, char *err,
             size_t errlen);
/* One statement without results, as a job. */
int exec_sync(db_pool *p, const char *sql);

void check(const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void value(const char *name, double v);

/* Worker-side check log: the work functions cannot print safely. */
typedef struct wlog {
  strbuf text;
  int checks, failed;
} wlog;
void wcheck(wlog *l, const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Print a worker log on the loop thread and free it. */
void wlog_flush(wlog *l);

int test_types(void);
int test_transactions(void);
int test_deadlock(void);
int test_load(void);
int test_outage(void);
int test_semantics(void);
int test_stale_statement(void);

#endif
