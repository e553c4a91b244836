/* Bound types, transactions and a provoked deadlock. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define BLOB_LEN (1024 * 1024)
#define TEXT_REPEAT 40000 /* x 10 bytes: a 400 KB LONGTEXT */

static const char *const NAME = "Zoë 名前 🐉 Ærøskøbing"; /* 2, 3, 4-byte */
static const uint64_t U_MAX = UINT64_MAX;
static const uint64_t U_BIG = (UINT64_C(1) << 63) + 5;

typedef struct types_job {
  wlog log;
  unsigned char *blob;
  char *text;
  size_t text_len;
} types_job;

static int ex(stratus_db *db, const char *sql) {
  return db_sql_exec(db, sql, NULL, 0, NULL);
}

static int insert_rows(stratus_db *db, types_job *t) {
  wlog *l = &t->log;
  static const char *ins = "INSERT INTO t_types (i, u, d, name, txt, b, small, dt) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  stratus_rows *r;
  int rc = db_sql_exec(db, ins, STRATUS_SQL_PARAMS(
      STRATUS_SQL_INT_V(-42), STRATUS_SQL_UINT_V(U_MAX), STRATUS_SQL_DOUBLE_V(3.141592653589793),
      stratus_sql_text(NAME),
      ((stratus_sql_value){.type = STRATUS_SQL_TEXT, .len = (uint32_t)t->text_len, .v.p = t->text}),
      STRATUS_SQL_BLOB_V(t->blob, BLOB_LEN), STRATUS_SQL_INT_V(7),
      stratus_sql_text("2024-02-29 12:34:56")), &r);
  wcheck(l, "insert_all_types", rc == 0, "rc %d: %s", rc, db_last_error(db));
  if (rc) return rc;
  wcheck(l, "affected_rows", db_rows_affected(r) == 1, "%" PRIu64, db_rows_affected(r));
  wcheck(l, "insert_id", db_rows_insert_id(r) == 1, "%" PRIu64, db_rows_insert_id(r));
  db_rows_free(r);
  rc = db_sql_exec(db, ins, STRATUS_SQL_PARAMS(STRATUS_SQL_NULL_V, STRATUS_SQL_NULL_V,
      STRATUS_SQL_NULL_V, stratus_sql_text(NULL), STRATUS_SQL_NULL_V, STRATUS_SQL_NULL_V,
      STRATUS_SQL_NULL_V, STRATUS_SQL_NULL_V), NULL);
  wcheck(l, "insert_nulls", rc == 0, "rc %d: %s", rc, db_last_error(db));
  rc = db_sql_exec(db, ins, STRATUS_SQL_PARAMS(
      STRATUS_SQL_INT_V(INT64_MIN), STRATUS_SQL_UINT_V(U_BIG), STRATUS_SQL_DOUBLE_V(-1e300),
      stratus_sql_text(""), stratus_sql_text("short"), STRATUS_SQL_BLOB_V("", 0),
      STRATUS_SQL_INT_V(-7), stratus_sql_text("1999-12-31 23:59:59")), NULL);
  wcheck(l, "insert_extremes", rc == 0, "rc %d: %s", rc, db_last_error(db));
  return rc;
}

static void check_row1(types_job *t, stratus_rows *r) {
  wlog *l = &t->log;
  size_t len;
  wcheck(l, "row1_id_text", strcmp(db_rows_text(r, 0, NULL), "1") == 0, "%s",
         db_rows_text(r, 0, NULL));
  wcheck(l, "int_negative", db_rows_int(r, 1) == -42, "%" PRId64, db_rows_int(r, 1));
  wcheck(l, "uint64_max", db_rows_uint(r, 2) == U_MAX, "%" PRIu64, db_rows_uint(r, 2));
  wcheck(l, "uint64_max_text", strcmp(db_rows_text(r, 2, NULL), "18446744073709551615") == 0,
         "%s", db_rows_text(r, 2, NULL));
  wcheck(l, "double", db_rows_double(r, 3) == 3.141592653589793, "%.17g", db_rows_double(r, 3));
  const char *name = db_rows_text(r, 4, &len);
  wcheck(l, "utf8_name", name && len == strlen(NAME) && strcmp(name, NAME) == 0,
         "len %zu '%s'", len, name ? name : "(null)");
  const char *txt = db_rows_text(r, 5, &len);
  wcheck(l, "long_text", txt && len == t->text_len && memcmp(txt, t->text, len) == 0 &&
         txt[len] == '\0', "len %zu want %zu", len, t->text_len);
  const char *b = db_rows_text(r, 6, &len);
  wcheck(l, "blob_1mib_with_zeros", b && len == BLOB_LEN && memcmp(b, t->blob, len) == 0 &&
         b[len] == '\0', "len %zu", len);
  wcheck(l, "small_int", db_rows_int(r, 7) == 7 && !db_rows_is_null(r, 7), "%" PRId64,
         db_rows_int(r, 7));
  const char *dt = db_rows_text(r, 8, NULL);
  wcheck(l, "datetime_text", dt && strcmp(dt, "2024-02-29 12:34:56") == 0, "%s",
         dt ? dt : "(null)");
}

static void check_row2(types_job *t, stratus_rows *r) {
  bool all_null = true;
  for (unsigned c = 1; c <= 8; c++) all_null &= db_rows_is_null(r, c);
  size_t len = 99;
  wcheck(&t->log, "nulls", all_null && db_rows_text(r, 4, &len) == NULL && len == 0 &&
         db_rows_int(r, 1) == 0, "a NULL column read as a value");
  wcheck(&t->log, "not_null_id", !db_rows_is_null(r, 0), "id is NULL");
}

static void check_row3(types_job *t, stratus_rows *r) {
  wlog *l = &t->log;
  size_t len = 99;
  wcheck(l, "int64_min", db_rows_int(r, 1) == INT64_MIN, "%" PRId64, db_rows_int(r, 1));
  wcheck(l, "uint64_above_2^63", db_rows_uint(r, 2) == U_BIG, "%" PRIu64, db_rows_uint(r, 2));
  wcheck(l, "double_extreme", db_rows_double(r, 3) == -1e300, "%.17g", db_rows_double(r, 3));
  const char *e = db_rows_text(r, 4, &len);
  wcheck(l, "empty_text_not_null", e && len == 0 && !db_rows_is_null(r, 4), "len %zu", len);
  const char *b = db_rows_text(r, 6, &len);
  wcheck(l, "empty_blob", b && len == 0 && !db_rows_is_null(r, 6), "len %zu", len);
  wcheck(l, "negative_small", db_rows_int(r, 7) == -7, "%" PRId64, db_rows_int(r, 7));
}

static void read_back(stratus_db *db, types_job *t) {
  stratus_rows *r;
  int rc = db_sql_exec(db, "SELECT id, i, u, d, name, txt, b, small, dt FROM t_types "
                           "ORDER BY id", NULL, 0, &r);
  wcheck(&t->log, "select_all", rc == 0, "rc %d: %s", rc, db_last_error(db));
  if (rc) return;
  wcheck(&t->log, "rows_count", db_rows_count(r) == 3, "%zu", db_rows_count(r));
  void (*row_checks[])(types_job *, stratus_rows *) = {check_row1, check_row2, check_row3};
  for (int i = 0; i < 3; i++) {
    int n = db_rows_next(r);
    wcheck(&t->log, "rows_next", n == 1, "row %d: %d", i + 1, n);
    if (n == 1) row_checks[i](t, r);
  }
  wcheck(&t->log, "rows_end", db_rows_next(r) == 0, "more than 3 rows");
  db_rows_free(r);
}

static int64_t select_id(stratus_db *db, const char *sql, stratus_sql_value v) {
  stratus_rows *r;
  int64_t id = -1;
  if (db_sql_exec(db, sql, &v, 1, &r) != 0) return -2;
  if (db_rows_next(r) == 1) id = db_rows_int(r, 0);
  db_rows_free(r);
  return id;
}

static void lookups(stratus_db *db, types_job *t) {
  wlog *l = &t->log;
  int64_t id = select_id(db, "SELECT id FROM t_types WHERE u = ?", STRATUS_SQL_UINT_V(U_MAX));
  wcheck(l, "where_uint64_max", id == 1, "id %" PRId64, id);
  id = select_id(db, "SELECT id FROM t_types WHERE u = ?", STRATUS_SQL_UINT_V(U_BIG));
  wcheck(l, "where_uint64_big", id == 3, "id %" PRId64, id);
  id = select_id(db, "SELECT id FROM t_types WHERE BINARY name = ?", stratus_sql_text(NAME));
  wcheck(l, "where_utf8_name", id == 1, "id %" PRId64, id);
  id = select_id(db, "SELECT id FROM t_types WHERE b = ?", STRATUS_SQL_BLOB_V(t->blob, BLOB_LEN));
  wcheck(l, "where_blob", id == 1, "id %" PRId64, id);
}

/* The same SQL run again while its first result is still being read. */
static void nested(stratus_db *db, types_job *t) {
  static const char *sql = "SELECT id FROM t_types ORDER BY id";
  stratus_rows *outer, *inner;
  int outer_n = 0, inner_total = 0;
  if (db_sql_exec(db, sql, NULL, 0, &outer) != 0) return;
  while (db_rows_next(outer) == 1) {
    outer_n++;
    if (db_sql_exec(db, sql, NULL, 0, &inner) != 0) break;
    while (db_rows_next(inner) == 1) inner_total++;
    db_rows_free(inner);
  }
  db_rows_free(outer);
  wcheck(&t->log, "same_sql_nested", outer_n == 3 && inner_total == 9, "outer %d inner %d",
         outer_n, inner_total);
}

static void errors(stratus_db *db, types_job *t) {
  wlog *l = &t->log;
  int rc = db_sql_exec(db, "INSERT INTO t_types (id) VALUES (?)",
                       STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(1)), NULL);
  wcheck(l, "duplicate_key_conflict", rc == STRATUS_ECONFLICT && db_last_errno(db) == 1062,
         "rc %d errno %u", rc, db_last_errno(db));
  rc = ex(db, "SELEC 1");
  wcheck(l, "syntax_error_edb", rc == STRATUS_EDB && db_last_errno(db) == 1064 &&
         strstr(db_last_error(db), "syntax") != NULL, "rc %d errno %u: %s", rc,
         db_last_errno(db), db_last_error(db));
  rc = ex(db, "SELECT ?");
  wcheck(l, "param_count_einval", rc == STRATUS_EINVAL, "rc %d", rc);
  rc = ex(db, "SELECT 1");
  wcheck(l, "error_cleared", rc == 0 && db_last_errno(db) == 0 && !*db_last_error(db),
         "rc %d errno %u", rc, db_last_errno(db));
}

static int types_work(stratus_db *db, void *arg) {
  types_job *t = arg;
  int rc = ex(db, "DROP TABLE IF EXISTS t_types");
  if (rc == 0)
    rc = ex(db, "CREATE TABLE t_types (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
                "i BIGINT NULL, u BIGINT UNSIGNED NULL, d DOUBLE NULL, "
                "name VARCHAR(100) CHARACTER SET utf8mb4 NULL, txt LONGTEXT NULL, "
                "b LONGBLOB NULL, small INT NULL, dt DATETIME NULL) ENGINE=InnoDB");
  wcheck(&t->log, "create_table", rc == 0, "rc %d: %s", rc, db_last_error(db));
  if (rc || insert_rows(db, t)) return rc ? rc : STRATUS_EDB;
  read_back(db, t);
  lookups(db, t);
  nested(db, t);
  errors(db, t);
  return 0;
}

int test_types(void) {
  types_job t = {0};
  t.blob = malloc(BLOB_LEN);
  for (size_t i = 0; i < BLOB_LEN; i++) t.blob[i] = (unsigned char)(i % 251);
  static const char unit[] = "ab\xe2\x82\xac\xf0\x9f\x90\x89!"; /* ab€🐉! */
  t.text_len = (sizeof(unit) - 1) * TEXT_REPEAT;
  t.text = malloc(t.text_len + 1);
  for (size_t i = 0; i < TEXT_REPEAT; i++)
    memcpy(t.text + i * (sizeof(unit) - 1), unit, sizeof(unit) - 1);
  t.text[t.text_len] = '\0';
  db_pool *p = harness_pool("types", 1);
  char err[768];
  int rc = run_sync(p, types_work, &t, err, sizeof(err));
  wlog_flush(&t.log);
  check("types_job", rc == 0, "rc %d: %s", rc, err);
  harness_close(p);
  free(t.blob);
  free(t.text);
  return 0;
}

/* ---- transactions ---------------------------------------------------- */

static int insert_kv(stratus_db *db, int id, int v) {
  return db_sql_exec(db, "INSERT INTO t_txn (id, v) VALUES (?, ?)",
                     STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(id), STRATUS_SQL_INT_V(v)), NULL);
}

static int body_fails(stratus_db *db, void *arg) {
  (void)arg;
  return insert_kv(db, 1, 10) ? STRATUS_EDB : STRATUS_EPLUGIN;
}

static int body_ok(stratus_db *db, void *arg) {
  (void)arg;
  return insert_kv(db, 2, 20);
}

static int body_sql_error(stratus_db *db, void *arg) {
  (void)arg;
  int rc = insert_kv(db, 3, 30);
  return rc ? rc : insert_kv(db, 2, 21); /* duplicate key */
}

static int body_nested(stratus_db *db, void *arg) {
  *(int *)arg = db_txn_run(db, body_ok, NULL);
  return 0;
}

static int64_t count_rows(stratus_db *db, int id) {
  return select_id(db, "SELECT COUNT(*) FROM t_txn WHERE id = ?", STRATUS_SQL_INT_V(id));
}

static int txn_work(stratus_db *db, void *arg) {
  wlog *l = arg;
  if (ex(db, "DROP TABLE IF EXISTS t_txn") ||
      ex(db, "CREATE TABLE t_txn (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"))
    return STRATUS_EDB;
  int rc = db_txn_run(db, body_fails, NULL);
  wcheck(l, "body_failure_returned", rc == STRATUS_EPLUGIN, "rc %d", rc);
  wcheck(l, "body_failure_rolled_back", count_rows(db, 1) == 0, "row 1 present");
  rc = db_txn_run(db, body_ok, NULL);
  wcheck(l, "body_ok_committed", rc == 0 && count_rows(db, 2) == 1, "rc %d", rc);
  rc = db_txn_run(db, body_sql_error, NULL);
  wcheck(l, "sql_error_returned", rc == STRATUS_ECONFLICT, "rc %d", rc);
  wcheck(l, "sql_error_rolled_back", count_rows(db, 3) == 0, "row 3 present");
  int inner = 0;
  rc = db_txn_run(db, body_nested, &inner);
  wcheck(l, "nested_refused", rc == 0 && inner == STRATUS_EINVAL, "rc %d inner %d", rc, inner);
  wcheck(l, "autocommit_after", ex(db, "ROLLBACK") == 0 && count_rows(db, 2) == 1,
         "committed row lost");
  return 0;
}

int test_transactions(void) {
  wlog l = {0};
  db_pool *p = harness_pool("txn", 1);
  char err[768];
  int rc = run_sync(p, txn_work, &l, err, sizeof(err));
  wlog_flush(&l);
  check("transactions_job", rc == 0, "rc %d: %s", rc, err);
  harness_close(p);
  return 0;
}

/* ---- deadlock -------------------------------------------------------- */

typedef struct barrier {
  uv_mutex_t mu;
  uv_cond_t cv;
  int waiting;
} barrier;

/* Both transactions hold their first row lock before either asks for its
 * second: a real deadlock, not a lock wait. Times out rather than hangs. */
static bool barrier_wait(barrier *b) {
  uv_mutex_lock(&b->mu);
  if (++b->waiting == 2) uv_cond_broadcast(&b->cv);
  int rc = 0;
  while (b->waiting < 2 && rc == 0)
    rc = uv_cond_timedwait(&b->cv, &b->mu, 10ull * 1000000000ull);
  bool ok = b->waiting >= 2;
  uv_mutex_unlock(&b->mu);
  return ok;
}

typedef struct dl_job {
  barrier *b;
  int first, second;
  atomic_int calls;
  bool met;
} dl_job;

static int bump(stratus_db *db, int id) {
  return db_sql_exec(db, "UPDATE t_dead SET v = v + 1 WHERE id = ?",
                     STRATUS_SQL_PARAMS(STRATUS_SQL_INT_V(id)), NULL);
}

static int dl_body(stratus_db *db, void *arg) {
  dl_job *j = arg;
  int call = atomic_fetch_add(&j->calls, 1);
  int rc = bump(db, j->first);
  if (rc) return rc;
  if (call == 0) j->met = barrier_wait(j->b);
  return bump(db, j->second);
}

static int dl_work(stratus_db *db, void *arg) { return db_txn_run(db, dl_body, arg); }

typedef struct dl_done {
  int pending, results[2];
} dl_done;

static void dl_complete(void *ud, int result, const char *error) {
  dl_done *d = ud;
  d->results[2 - d->pending] = result;
  if (result) printf("# deadlock job: %s\n", error);
  d->pending--;
}

static int64_t read_v(stratus_db *db, int id) {
  return select_id(db, "SELECT v FROM t_dead WHERE id = ?", STRATUS_SQL_INT_V(id));
}

typedef struct dl_read {
  int64_t v1, v2;
} dl_read;

static int dl_read_work(stratus_db *db, void *arg) {
  dl_read *r = arg;
  r->v1 = read_v(db, 1);
  r->v2 = read_v(db, 2);
  return 0;
}

int test_deadlock(void) {
  db_pool *p = harness_pool("deadlock", 2);
  if (exec_sync(p, "DROP TABLE IF EXISTS t_dead") ||
      exec_sync(p, "CREATE TABLE t_dead (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB") ||
      exec_sync(p, "INSERT INTO t_dead VALUES (1, 0), (2, 0)"))
    return 1;
  barrier b = {.waiting = 0};
  uv_mutex_init(&b.mu);
  uv_cond_init(&b.cv);
  dl_job a = {.b = &b, .first = 1, .second = 2}, c = {.b = &b, .first = 2, .second = 1};
  dl_done d = {.pending = 2};
  db_pool_submit(p, dl_work, &a, dl_complete, &d, -1);
  db_pool_submit(p, dl_work, &c, dl_complete, &d, -1);
  while (d.pending) uv_run(H.loop, UV_RUN_ONCE);
  dl_read r = {0};
  run_sync(p, dl_read_work, &r, NULL, 0);
  db_pool_stats st;
  db_pool_get_stats(p, &st);
  int calls = atomic_load(&a.calls) + atomic_load(&c.calls);
  check("deadlock_barrier_met", a.met && c.met, "barrier timed out");
  check("deadlock_both_succeeded", d.results[0] == 0 && d.results[1] == 0, "%d %d",
        d.results[0], d.results[1]);
  check("deadlock_retried", calls > 2 && st.txn_retries > 0, "calls %d retries %" PRIu64,
        calls, st.txn_retries);
  check("deadlock_each_applied_once", r.v1 == 2 && r.v2 == 2, "v1 %" PRId64 " v2 %" PRId64,
        r.v1, r.v2);
  value("deadlock_body_calls", calls);
  value("deadlock_retries", (double)st.txn_retries);
  harness_close(p);
  uv_cond_destroy(&b.cv);
  uv_mutex_destroy(&b.mu);
  return 0;
}
