/*
 * The connection a worker lends to a job (the SDK's stratus_db) and the SQL
 * helpers behind the sql_* / rows_* / db_transaction members of the host
 * API. Everything here runs on the thread that owns the connection.
 */
#ifndef STRATUS_HOST_DB_SQL_H
#define STRATUS_HOST_DB_SQL_H

#include <stdbool.h>
#include <stdint.h>

#include "mysql_inc.h"
#include <stratus/db.h>

#include "hashmap.h"
#include "list.h"

#define DB_STMT_CACHE_MAX 256

struct stratus_db {
  MYSQL *mysql;            /* NULL while disconnected */
  hashmap stmts;           /* SQL text -> db_stmt */
  list_node rows;          /* results not freed yet */
  unsigned last_errno;
  char last_error[512];
  bool dead;               /* the connection was lost: reconnect */
  bool in_txn, txn_aborted;
  unsigned txn_abort_errno;
  int txn_retries;
  uint64_t txn_retried;    /* retries so far (a statistic) */
  uint32_t rng;
};

stratus_db *db_conn_new(int txn_retries);
/* Take over an open connection (statements are prepared anew on it). */
void db_conn_attach(stratus_db *db, MYSQL *m);
/* Free live results and cached statements, close the connection. */
void db_conn_close(stratus_db *db);
void db_conn_free(stratus_db *db);
/* Free results a job left behind; returns how many there were. */
size_t db_conn_free_rows(stratus_db *db);
void db_conn_clear_error(stratus_db *db);
/* Record an error; returns its STRATUS_E* code and marks a lost connection
 * dead. */
int db_conn_fail(stratus_db *db, unsigned errnum, const char *msg);
/* A statement without parameters or result (transaction control). */
int db_conn_simple(stratus_db *db, const char *sql);

/* The SDK members (see stratus/host.h). */
int db_sql_exec(stratus_db *db, const char *sql,
                const stratus_sql_value *params, size_t nparams,
                stratus_rows **rows);
int db_rows_next(stratus_rows *rows);
bool db_rows_is_null(stratus_rows *rows, unsigned col);
int64_t db_rows_int(stratus_rows *rows, unsigned col);
uint64_t db_rows_uint(stratus_rows *rows, unsigned col);
double db_rows_double(stratus_rows *rows, unsigned col);
const char *db_rows_text(stratus_rows *rows, unsigned col, size_t *len);
uint64_t db_rows_affected(stratus_rows *rows);
uint64_t db_rows_insert_id(stratus_rows *rows);
size_t db_rows_count(stratus_rows *rows);
void db_rows_free(stratus_rows *rows);
/* Index of the column named `name` (exact, then ignoring case), or -1. */
int db_rows_col(stratus_rows *rows, const char *name);
/* The column's name; NULL past the last. */
const char *db_rows_col_name(stratus_rows *rows, unsigned col);
unsigned db_rows_ncols(stratus_rows *rows);
bool db_rows_is_unsigned(stratus_rows *rows, unsigned col);
int db_txn_run(stratus_db *db, stratus_db_txn_body body, void *arg);
const char *db_last_error(stratus_db *db);
unsigned db_last_errno(stratus_db *db);

/* rows.c: a buffered result of a statement that sql.c executed. */
typedef struct db_stmt {
  MYSQL_STMT *stmt;
  bool in_use;   /* a live result reads from it */
  bool cached;   /* owned by the cache (else by the result) */
} db_stmt;

stratus_rows *db_rows_new(stratus_db *db, db_stmt *st, int *rc);
void db_stmt_release(stratus_db *db, db_stmt *st);

#endif
