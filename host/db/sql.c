/* Prepared statements on a lent connection: the per-connection cache by SQL
 * text, parameter binding and execution. Results are in rows.c. */
#include "sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errmsg.h>
#include <mysqld_error.h>
#include <stratus/errors.h>

#include "connect.h"
#include "util.h"

stratus_db *db_conn_new(int txn_retries) {
  stratus_db *db = xcalloc(1, sizeof(*db));
  hm_init(&db->stmts);
  list_init(&db->rows);
  db->txn_retries = txn_retries;
  db->rng = (uint32_t)(clock_mono_ns() ^ (uintptr_t)db) | 1u;
  return db;
}

void db_conn_attach(stratus_db *db, MYSQL *m) {
  db->mysql = m;
  db->dead = false;
  db_conn_clear_error(db);
}

static void cache_clear(stratus_db *db, bool keep_busy) {
  const char *key;
  void *value;
  for (size_t i = 0; hm_next(&db->stmts, &i, &key, &value);) {
    db_stmt *st = value;
    if (keep_busy && st->in_use) continue;
    if (st->in_use) {
      st->cached = false; /* its result closes it */
    } else {
      mysql_stmt_close(st->stmt);
      free(st);
    }
    hm_remove(&db->stmts, key);
  }
}

size_t db_conn_free_rows(stratus_db *db) {
  size_t n = 0;
  while (!list_empty(&db->rows)) {
    db_rows_free((stratus_rows *)db->rows.next);
    n++;
  }
  return n;
}

void db_conn_close(stratus_db *db) {
  db_conn_free_rows(db);
  cache_clear(db, false);
  if (db->mysql) mysql_close(db->mysql);
  db->mysql = NULL;
  db->in_txn = db->txn_aborted = false;
}

void db_conn_free(stratus_db *db) {
  if (!db) return;
  db_conn_close(db);
  hm_free(&db->stmts);
  free(db);
}

void db_conn_clear_error(stratus_db *db) {
  db->last_errno = 0;
  db->last_error[0] = '\0';
}

int db_conn_fail(stratus_db *db, unsigned errnum, const char *msg) {
  db->last_errno = errnum;
  snprintf(db->last_error, sizeof(db->last_error), "%s", msg);
  if (db_errno_is_unavailable(errnum)) db->dead = true;
  if (db->in_txn &&
      (errnum == ER_LOCK_DEADLOCK || errnum == ER_LOCK_WAIT_TIMEOUT)) {
    db->txn_aborted = true;
    db->txn_abort_errno = errnum;
  }
  return db_errno_to_status(errnum);
}

static int fail_mysql(stratus_db *db) {
  return db_conn_fail(db, mysql_errno(db->mysql), mysql_error(db->mysql));
}

static int fail_stmt(stratus_db *db, MYSQL_STMT *stmt) {
  return db_conn_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
}

int db_conn_simple(stratus_db *db, const char *sql) {
  if (!db->mysql) return db_conn_fail(db, CR_SERVER_GONE_ERROR, "not connected");
  if (mysql_real_query(db->mysql, sql, strlen(sql)) != 0) return fail_mysql(db);
  MYSQL_RES *res = mysql_store_result(db->mysql);
  if (res) mysql_free_result(res);
  return 0;
}

static int stmt_prepare(stratus_db *db, const char *sql, db_stmt **out) {
  MYSQL_STMT *stmt = mysql_stmt_init(db->mysql);
  if (!stmt) return fail_mysql(db);
  my_bool on = 1;
  mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
  if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
    int rc = fail_stmt(db, stmt);
    mysql_stmt_close(stmt);
    return rc;
  }
  *out = xcalloc(1, sizeof(**out));
  (*out)->stmt = stmt;
  return 0;
}

/* The cached statement for sql, or a private one while the cached one still
 * backs a live result (the same SQL run while iterating its rows). */
static int stmt_get(stratus_db *db, const char *sql, db_stmt **out) {
  db_stmt *st = hm_get(&db->stmts, sql);
  if (st && !st->in_use) {
    *out = st;
    return 0;
  }
  int rc = stmt_prepare(db, sql, out);
  if (rc != 0 || st) return rc;
  if (hm_len(&db->stmts) >= DB_STMT_CACHE_MAX) cache_clear(db, true);
  (*out)->cached = true;
  hm_put(&db->stmts, sql, *out);
  return 0;
}

void db_stmt_release(stratus_db *db, db_stmt *st) {
  (void)db;
  st->in_use = false;
  if (st->cached) {
    mysql_stmt_free_result(st->stmt);
  } else {
    mysql_stmt_close(st->stmt);
    free(st);
  }
}

static void bind_value(MYSQL_BIND *b, const stratus_sql_value *v,
                       unsigned long *len) {
  switch (v->type) {
  case STRATUS_SQL_INT:
  case STRATUS_SQL_UINT:
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = (void *)&v->v.i;
    b->is_unsigned = v->type == STRATUS_SQL_UINT;
    break;
  case STRATUS_SQL_DOUBLE:
    b->buffer_type = MYSQL_TYPE_DOUBLE;
    b->buffer = (void *)&v->v.d;
    break;
  case STRATUS_SQL_TEXT:
  case STRATUS_SQL_BLOB:
    b->buffer_type =
        v->type == STRATUS_SQL_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
    b->buffer = (void *)(v->v.p ? v->v.p : "");
    *len = v->len;
    b->buffer_length = v->len;
    b->length = len;
    break;
  default:
    b->buffer_type = MYSQL_TYPE_NULL;
  }
}

static int bind_params(stratus_db *db, db_stmt *st,
                       const stratus_sql_value *params, size_t n,
                       MYSQL_BIND *binds, unsigned long *lens) {
  unsigned want = (unsigned)mysql_stmt_param_count(st->stmt);
  if (want != n) {
    char msg[128];
    snprintf(msg, sizeof(msg), "statement has %u parameter(s), %zu given",
             want, n);
    db_conn_fail(db, 0, msg);
    return STRATUS_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    if (params[i].type > STRATUS_SQL_BLOB) {
      db_conn_fail(db, 0, "unknown parameter type");
      return STRATUS_EINVAL;
    }
    bind_value(&binds[i], &params[i], &lens[i]);
  }
  if (n && mysql_stmt_bind_param(st->stmt, binds)) return fail_stmt(db, st->stmt);
  return 0;
}

static int execute(stratus_db *db, db_stmt *st, const stratus_sql_value *params,
                   size_t n) {
  MYSQL_BIND small[8];
  unsigned long small_lens[8];
  MYSQL_BIND *binds = n <= 8 ? small : xcalloc(n, sizeof(*binds));
  unsigned long *lens = n <= 8 ? small_lens : xcalloc(n, sizeof(*lens));
  memset(binds, 0, (n <= 8 ? 8 : n) * sizeof(*binds));
  int rc = bind_params(db, st, params, n, binds, lens);
  if (rc == 0 && mysql_stmt_execute(st->stmt) != 0) rc = fail_stmt(db, st->stmt);
  if (binds != small) free(binds);
  if (lens != small_lens) free(lens);
  return rc;
}

int db_sql_exec(stratus_db *db, const char *sql,
                const stratus_sql_value *params, size_t nparams,
                stratus_rows **rows) {
  if (rows) *rows = NULL;
  if (!db || !sql || (nparams && !params)) return STRATUS_EINVAL;
  db_conn_clear_error(db);
  if (db->in_txn && db->txn_aborted)
    return db_conn_fail(db, db->txn_abort_errno,
                        "the transaction was rolled back (deadlock or lock "
                        "wait timeout); it will be retried");
  if (!db->mysql || db->dead)
    return db_conn_fail(db, CR_SERVER_GONE_ERROR, "not connected");
  db_stmt *st = NULL;
  int rc = stmt_get(db, sql, &st);
  if (rc != 0) return rc;
  st->in_use = true;
  rc = execute(db, st, params, nparams);
  if (rc != 0 && db->last_errno == ER_NEED_REPREPARE && st->cached) {
    /* a table changed under the cached statement: prepare it again, once */
    hm_remove(&db->stmts, sql);
    st->cached = false;
    db_stmt_release(db, st);
    if ((rc = stmt_get(db, sql, &st)) != 0) return rc;
    st->in_use = true;
    rc = execute(db, st, params, nparams);
  }
  stratus_rows *r = rc == 0 ? db_rows_new(db, st, &rc) : NULL;
  if (!r) {
    /* A statement that failed (possibly after part of a result arrived, as a
     * deadlock inside a locking SELECT does) is left in a state where the
     * next execute can block: never reuse it. */
    if (st->cached && hm_get(&db->stmts, sql) == st) hm_remove(&db->stmts, sql);
    st->cached = false;
    db_stmt_release(db, st);
    return rc;
  }
  if (rows)
    *rows = r;
  else
    db_rows_free(r);
  return 0;
}

const char *db_last_error(stratus_db *db) { return db ? db->last_error : ""; }
unsigned db_last_errno(stratus_db *db) { return db ? db->last_errno : 0; }
