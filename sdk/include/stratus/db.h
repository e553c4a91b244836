/*
 * Database jobs and SQL helpers.
 *
 * Blocking database work runs on a pool's worker threads: the plugin submits
 * a job with a work function, which runs on a worker with a connection lent
 * to it, and a done function, which runs afterwards on the loop thread,
 * exactly once, whatever happened (success, SQL error, lost server, timeout,
 * cancellation). The work function touches only its own job data and the
 * connection; it never calls host functions other than the sql_* and db_*
 * ones below, which are the only host functions safe on a worker thread.
 *
 * All SQL is prepared: values travel as parameters, never inside the text.
 * Statements are cached per connection by their SQL text.
 */
#ifndef STRATUS_DB_H
#define STRATUS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plugin.h"

typedef struct stratus_db stratus_db;     /* a lent connection */
typedef struct stratus_rows stratus_rows; /* the result of one statement */

typedef int (*stratus_db_work)(stratus_db *db, void *job);
/* result: what work returned, or STRATUS_EUNAVAILABLE (server unreachable
 * or the connection was lost), STRATUS_ETIMEDOUT (the job had not started
 * when its timeout passed: it never ran), STRATUS_ECANCELED (the pool shut
 * down before the job started: it never ran). `error` is a
 * host-owned message valid during the callback, "" when result is 0. */
typedef void (*stratus_db_done)(stratus_ctx *ctx, void *job, int result,
                                const char *error);

typedef struct stratus_db_opts {
  uint32_t struct_size; /* sizeof(stratus_db_opts) */
  uint32_t reserved;
  int64_t timeout_ms;   /* 0 = the pool's job_timeout */
} stratus_db_opts;

typedef enum stratus_sql_type {
  STRATUS_SQL_NULL = 0,
  STRATUS_SQL_INT = 1,    /* int64_t */
  STRATUS_SQL_UINT = 2,   /* uint64_t */
  STRATUS_SQL_DOUBLE = 3,
  STRATUS_SQL_TEXT = 4,   /* UTF-8, not necessarily NUL-terminated */
  STRATUS_SQL_BLOB = 5,
} stratus_sql_type;

typedef struct stratus_sql_value {
  uint32_t type; /* stratus_sql_type */
  uint32_t len;  /* bytes of TEXT or BLOB */
  union {
    int64_t i;
    uint64_t u;
    double d;
    const void *p;
  } v;
} stratus_sql_value;

#define STRATUS_SQL_INT_V(x) \
  ((stratus_sql_value){.type = STRATUS_SQL_INT, .v.i = (int64_t)(x)})
#define STRATUS_SQL_UINT_V(x) \
  ((stratus_sql_value){.type = STRATUS_SQL_UINT, .v.u = (uint64_t)(x)})
#define STRATUS_SQL_DOUBLE_V(x) \
  ((stratus_sql_value){.type = STRATUS_SQL_DOUBLE, .v.d = (double)(x)})
#define STRATUS_SQL_BLOB_V(ptr, n) \
  ((stratus_sql_value){.type = STRATUS_SQL_BLOB, .len = (uint32_t)(n), .v.p = (ptr)})
#define STRATUS_SQL_NULL_V ((stratus_sql_value){.type = STRATUS_SQL_NULL})
/* Text of n bytes that need not be NUL-terminated. */
#define STRATUS_SQL_TEXT_N(ptr, n) \
  ((stratus_sql_value){.type = STRATUS_SQL_TEXT, .len = (uint32_t)(n), .v.p = (ptr)})

/* A NUL-terminated string; NULL becomes SQL NULL. */
static inline stratus_sql_value stratus_sql_text(const char *s) {
  stratus_sql_value v = {.type = s ? STRATUS_SQL_TEXT : STRATUS_SQL_NULL};
  if (s) {
    v.len = (uint32_t)strlen(s);
    v.v.p = s;
  }
  return v;
}

/* Pass a parameter list as `STRATUS_SQL_PARAMS(a, b, c)`: expands to the
 * array and its length. */
#define STRATUS_SQL_PARAMS(...)                              \
  (const stratus_sql_value[]){__VA_ARGS__},                  \
      sizeof((const stratus_sql_value[]){__VA_ARGS__}) /     \
          sizeof(stratus_sql_value)

/* Body of a transaction; return 0 to commit, anything else to roll back. */
typedef int (*stratus_db_txn_body)(stratus_db *db, void *arg);

#endif
