/*
 * Declared methods (ABI 1.1): a plugin describes each gRPC method once, as
 * data, and the host's runner does the rest of the call.
 *
 *   check   (loop)    validate the request, copy what the work needs into
 *                     the job, pick the realm; may answer at once
 *   work    (worker)  the database work on the chosen pool, optionally inside
 *                     a transaction that is retried on deadlock
 *   reply   (loop)    build the response (in the call's arena) and answer
 *
 * The runner allocates the job (zeroed, `job_size` bytes) in the call's
 * arena, picks the pool, applies the client's deadline to the job, submits
 * it, maps every failure to one gRPC status with a message, answers, and
 * frees the arena. A plugin that is draining answers UNAVAILABLE.
 *
 * Steps return 0 to go on, STRATUS_LATER when the plugin has taken the call
 * over (it answers later with req_reply or req_error, on the loop thread),
 * or a negative code: a STRATUS_E* value, a plugin code made with
 * STRATUS_EUSER(n) and listed in the method's `errors`, or the value
 * req_fail returned. How a code becomes a status: `errors` first, then
 * stratus_status_of() below, the one table every plugin shares.
 *
 * Work functions run on a database worker thread: they may use the sql_*,
 * rows_* and db_* members, req_alloc/req_strdup/req_fail on their own
 * request, and nothing else. They never read plugin state that a reload can
 * change: check copies what they need into the job.
 */
#ifndef STRATUS_METHOD_H
#define STRATUS_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "db.h"
#include "errors.h"
#include "plugin.h"
#include "rpc.h"

/* One call of a declared method: host-owned, valid until answered. */
typedef struct stratus_req stratus_req;

/* A step took the call over and will answer it itself. */
#define STRATUS_LATER 1

typedef int (*stratus_method_check)(stratus_req *req, const void *request, void *job);
typedef int (*stratus_method_work)(stratus_db *db, stratus_req *req, void *job);
typedef int (*stratus_method_reply)(stratus_req *req, void *job);

/* A known failure of a method: a code its steps return and what the client
 * reads. An array ends with code 0. */
typedef struct stratus_method_error {
  int code;
  int grpc_status;
  const char *message;
} stratus_method_error;

/* Run work inside BEGIN..COMMIT; on deadlock or lock wait timeout the whole
 * body runs again (so it must assign its results, not append to them). */
#define STRATUS_METHOD_TXN (1u << 0)

typedef struct stratus_method {
  const char *name;          /* the method's name in the service */
  uint32_t flags;            /* STRATUS_METHOD_* */
  uint32_t reserved;
  size_t job_size;           /* bytes of the job, zeroed, in the arena */
  /* The database pool: "auth", "world", or a per-realm family such as
   * "characters", used as "characters.<realm>". NULL: no database work. */
  const char *pool;
  /* For a per-realm pool: the request field holding the realm (its proto
   * name, e.g. "realmID"). check may choose another with req_use_realm. */
  const char *realm_field;
  stratus_method_check check;  /* may be NULL */
  stratus_method_work work;    /* NULL when pool is NULL */
  stratus_method_reply reply;  /* required */
  const stratus_method_error *errors; /* may be NULL */
} stratus_method;

/* ---- reading rows by column name ------------------------------------------
 * A column map says where each column of a result goes in a C struct; the
 * destination type comes from the member itself. Text is copied into the
 * request's arena (SQL NULL becomes ""). Use:
 *   static const stratus_col mail_cols[] = {
 *     STRATUS_COL(V1__Mail, id, "id"), STRATUS_COL(V1__Mail, subject, "subject")};
 */
typedef enum stratus_col_type {
  STRATUS_COL_I8 = 1, STRATUS_COL_I16, STRATUS_COL_I32, STRATUS_COL_I64,
  STRATUS_COL_U8, STRATUS_COL_U16, STRATUS_COL_U32, STRATUS_COL_U64,
  STRATUS_COL_BOOL, STRATUS_COL_DOUBLE, STRATUS_COL_FLOAT, STRATUS_COL_TEXT,
  STRATUS_COL_BLOB, /* ProtobufCBinaryData */
} stratus_col_type;

typedef struct stratus_col {
  const char *column;  /* name (or alias) in the SELECT list */
  uint32_t type;       /* stratus_col_type */
  uint32_t offset;     /* of the member in the destination struct */
} stratus_col;

#define STRATUS_COL_TYPE_OF(member)                                  \
  _Generic((member),                                                 \
      signed char: STRATUS_COL_I8, short: STRATUS_COL_I16,           \
      int: STRATUS_COL_I32, long: STRATUS_COL_I64,                   \
      long long: STRATUS_COL_I64, unsigned char: STRATUS_COL_U8,     \
      unsigned short: STRATUS_COL_U16, unsigned: STRATUS_COL_U32,    \
      unsigned long: STRATUS_COL_U64,                                \
      unsigned long long: STRATUS_COL_U64, _Bool: STRATUS_COL_BOOL,  \
      double: STRATUS_COL_DOUBLE, float: STRATUS_COL_FLOAT,          \
      char *: STRATUS_COL_TEXT, ProtobufCBinaryData: STRATUS_COL_BLOB)

#define STRATUS_COL(struct_type, member, column_name)                             \
  {.column = (column_name), .type = STRATUS_COL_TYPE_OF(((struct_type *)0)->member), \
   .offset = (uint32_t)offsetof(struct_type, member)}

#define STRATUS_COLS(cols) (cols), (sizeof(cols) / sizeof((cols)[0]))

/* ---- the one mapping from a code to a gRPC status -------------------------- */

/* Plugin codes: STRATUS_EUSER(1), STRATUS_EUSER(2)... never collide with
 * the host's. */
#define STRATUS_EUSER(n) (-100000 - (n))
/* A failure whose status and message req_fail already recorded. */
#define STRATUS_EFAILED (-4009)

/* MySQL error numbers the runner explains. */
#define STRATUS_ER_DUP_ENTRY 1062
#define STRATUS_ER_NO_SUCH_TABLE 1146
#define STRATUS_ER_BAD_FIELD 1054
#define STRATUS_ER_LOCK_WAIT_TIMEOUT 1205
#define STRATUS_ER_LOCK_DEADLOCK 1213

/* The gRPC status for a failure code and, for STRATUS_EDB, the MySQL error
 * number of the statement that failed (0 if none). */
static inline int stratus_status_of(int code, unsigned db_errno) {
  switch (code) {
  case STRATUS_OK: return STRATUS_GRPC_OK;
  case STRATUS_EINVAL: return STRATUS_GRPC_INVALID_ARGUMENT;
  case STRATUS_ENOENT:
  case STRATUS_ENOTFOUND: return STRATUS_GRPC_NOT_FOUND;
  case STRATUS_EEXIST: return STRATUS_GRPC_ALREADY_EXISTS;
  case STRATUS_ECONFLICT: return STRATUS_GRPC_ABORTED;
  case STRATUS_ERANGE: return STRATUS_GRPC_OUT_OF_RANGE;
  case STRATUS_ENOMEM:
  case STRATUS_EBUSY: return STRATUS_GRPC_RESOURCE_EXHAUSTED;
  case STRATUS_ENOTSUP: return STRATUS_GRPC_UNIMPLEMENTED;
  case STRATUS_EAGAIN:
  case STRATUS_ETIMEDOUT:
  case STRATUS_ECANCELED:
  case STRATUS_EDRAINING:
  case STRATUS_EUNAVAILABLE: return STRATUS_GRPC_UNAVAILABLE;
  case STRATUS_EDB:
    switch (db_errno) {
    case STRATUS_ER_DUP_ENTRY: return STRATUS_GRPC_ALREADY_EXISTS;
    case STRATUS_ER_NO_SUCH_TABLE:
    case STRATUS_ER_BAD_FIELD: return STRATUS_GRPC_FAILED_PRECONDITION;
    case STRATUS_ER_LOCK_WAIT_TIMEOUT:
    case STRATUS_ER_LOCK_DEADLOCK: return STRATUS_GRPC_ABORTED;
    default: return STRATUS_GRPC_INTERNAL;
    }
  default: return STRATUS_GRPC_INTERNAL;
  }
}

/* What the client reads for that status when no message was recorded. */
static inline const char *stratus_status_hint(int code, unsigned db_errno) {
  if (code == STRATUS_EDB) {
    switch (db_errno) {
    case STRATUS_ER_DUP_ENTRY: return "already exists";
    case STRATUS_ER_NO_SUCH_TABLE:
    case STRATUS_ER_BAD_FIELD: return "the schema is older than this plugin: run `stratusctl migrate`";
    case STRATUS_ER_LOCK_WAIT_TIMEOUT:
    case STRATUS_ER_LOCK_DEADLOCK: return "conflicting concurrent change, retry";
    default: return "database error";
    }
  }
  if (code == STRATUS_EDRAINING) return "the plugin is stopping; retry";
  if (code == STRATUS_ETIMEDOUT) return "the database did not take the job in time";
  return code == STRATUS_EFAILED ? "failed" : stratus_strerror(code);
}

#endif
