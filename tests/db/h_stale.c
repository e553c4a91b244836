/*
 * A statement that fails after part of its result arrived (a locking SELECT
 * that hits the lock wait timeout midway) must not poison the connection's
 * statement cache: running the same SQL again on the same connection works.
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static const char *const LOCK_ALL = "SELECT id, v FROM t_stale WHERE g = 1 FOR UPDATE";

/* Holds row 40 locked for a while, on its own connection. */
static int hold_row(stratus_db *db, void *job) {
  (void)job;
  if (db_sql_exec(db, "START TRANSACTION", NULL, 0, NULL) ||
      db_sql_exec(db, "SELECT v FROM t_stale WHERE g = 1 AND id = 40 FOR UPDATE", NULL, 0, NULL))
    return STRATUS_EDB;
  sleep(2);
  return db_sql_exec(db, "ROLLBACK", NULL, 0, NULL);
}

typedef struct lock_all_job {
  int first, second; /* results of the two runs */
  size_t rows;
} lock_all_job;

static int lock_all_once(stratus_db *db, size_t *rows) {
  stratus_rows *r = NULL;
  int rc = db_sql_exec(db, "START TRANSACTION", NULL, 0, NULL);
  if (!rc) rc = db_sql_exec(db, LOCK_ALL, NULL, 0, &r);
  while (!rc && db_rows_next(r) > 0) (*rows)++;
  if (r) db_rows_free(r);
  db_sql_exec(db, "ROLLBACK", NULL, 0, NULL);
  return rc;
}

/* First run times out on row 40; the second runs once the holder let go. */
static int lock_all_twice(stratus_db *db, void *job) {
  lock_all_job *j = job;
  db_sql_exec(db, "SET SESSION innodb_lock_wait_timeout = 1", NULL, 0, NULL);
  j->first = lock_all_once(db, &j->rows);
  sleep(2);
  j->rows = 0;
  j->second = lock_all_once(db, &j->rows);
  return 0;
}

typedef struct pending {
  int left;
} pending;

static void done(void *ud, int result, const char *error) {
  (void)result, (void)error;
  ((pending *)ud)->left--;
}

int test_stale_statement(void) {
  db_pool *holder = harness_pool("stale_holder", 1), *p = harness_pool("stale", 1);
  if (exec_sync(p, "DROP TABLE IF EXISTS t_stale") ||
      exec_sync(p, "CREATE TABLE t_stale (g INT, id INT, v INT, PRIMARY KEY (g, id)) "
                   "ENGINE=InnoDB"))
    return 1;
  for (int i = 1; i < 80; i++) {
    char sql[96];
    snprintf(sql, sizeof(sql), "INSERT INTO t_stale VALUES (1, %d, %d)", i, i);
    if (exec_sync(p, sql)) return 1;
  }
  pending n = {2};
  lock_all_job j = {0};
  db_pool_submit(holder, hold_row, NULL, done, &n, -1);
  usleep(200 * 1000); /* let the holder take its lock first */
  db_pool_submit(p, lock_all_twice, &j, done, &n, -1);
  while (n.left) uv_run(H.loop, UV_RUN_ONCE);
  check("stale_first_run_timed_out", j.first != 0, "first run returned %d", j.first);
  check("stale_second_run_works", j.second == 0 && j.rows == 79, "rc %d rows %zu", j.second,
        j.rows);
  harness_close(holder);
  harness_close(p);
  return 0;
}
