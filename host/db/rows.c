/* Buffered results: the whole result is stored on the client
 * (mysql_stmt_store_result) with max_length known per column, so buffers
 * fit the longest value; a value that still does not fit (a type whose
 * text form max_length does not cover) is fetched again with
 * mysql_stmt_fetch_column into a grown buffer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stratus/errors.h>

#include "sql.h"
#include "util.h"

typedef enum col_kind { COL_INT, COL_UINT, COL_DOUBLE, COL_BYTES } col_kind;

typedef struct col {
  col_kind kind;
  char *buf;           /* COL_BYTES: value + NUL */
  unsigned long cap;
  unsigned long length;
  my_bool is_null, error;
  union {
    int64_t i;
    uint64_t u;
    double d;
  } num;
  char text[32];       /* numbers as text, for rows_text */
} col;

struct stratus_rows {
  list_node node;      /* in db->rows; first member */
  stratus_db *db;
  db_stmt *st;
  MYSQL_RES *meta;
  unsigned ncols;
  col *cols;
  MYSQL_BIND *binds;
  uint64_t affected, insert_id, count;
  bool row;            /* a row is current */
};

static col_kind kind_of(const MYSQL_FIELD *f) {
  switch (f->type) {
  case MYSQL_TYPE_TINY:
  case MYSQL_TYPE_SHORT:
  case MYSQL_TYPE_INT24:
  case MYSQL_TYPE_LONG:
  case MYSQL_TYPE_LONGLONG:
  case MYSQL_TYPE_YEAR:
    return (f->flags & UNSIGNED_FLAG) ? COL_UINT : COL_INT;
  case MYSQL_TYPE_FLOAT:
  case MYSQL_TYPE_DOUBLE:
    return COL_DOUBLE;
  default:
    return COL_BYTES;
  }
}

static void bind_bytes(MYSQL_BIND *b, col *c, unsigned long cap) {
  c->buf = xrealloc(c->buf, cap);
  c->cap = cap;
  b->buffer = c->buf;
  b->buffer_length = cap - 1;
}

static void bind_column(MYSQL_BIND *b, col *c, const MYSQL_FIELD *f) {
  c->kind = kind_of(f);
  b->is_null = &c->is_null;
  b->error = &c->error;
  b->length = &c->length;
  switch (c->kind) {
  case COL_INT:
  case COL_UINT:
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = &c->num;
    b->is_unsigned = c->kind == COL_UINT;
    break;
  case COL_DOUBLE:
    b->buffer_type = MYSQL_TYPE_DOUBLE;
    b->buffer = &c->num.d;
    break;
  case COL_BYTES:
    b->buffer_type = (f->flags & BINARY_FLAG) ? MYSQL_TYPE_BLOB
                                              : MYSQL_TYPE_STRING;
    bind_bytes(b, c, (f->max_length > 63 ? f->max_length : 63) + 1);
    break;
  }
}

static void rows_destroy(stratus_rows *r) {
  for (unsigned i = 0; i < r->ncols; i++) free(r->cols[i].buf);
  free(r->cols);
  free(r->binds);
  if (r->meta) mysql_free_result(r->meta);
  free(r);
}

static int fail(stratus_rows *r) {
  MYSQL_STMT *s = r->st->stmt;
  return db_conn_fail(r->db, mysql_stmt_errno(s), mysql_stmt_error(s));
}

static int bind_result(stratus_rows *r) {
  MYSQL_FIELD *fields = mysql_fetch_fields(r->meta);
  r->ncols = mysql_num_fields(r->meta);
  r->cols = xcalloc(r->ncols ? r->ncols : 1, sizeof(col));
  r->binds = xcalloc(r->ncols ? r->ncols : 1, sizeof(MYSQL_BIND));
  for (unsigned i = 0; i < r->ncols; i++)
    bind_column(&r->binds[i], &r->cols[i], &fields[i]);
  if (mysql_stmt_bind_result(r->st->stmt, r->binds)) return fail(r);
  return 0;
}

stratus_rows *db_rows_new(stratus_db *db, db_stmt *st, int *rc) {
  stratus_rows *r = xcalloc(1, sizeof(*r));
  r->db = db;
  r->st = st;
  r->meta = mysql_stmt_result_metadata(st->stmt);
  *rc = 0;
  if (r->meta) {
    if (mysql_stmt_store_result(st->stmt) != 0)
      *rc = fail(r);
    else
      *rc = bind_result(r);
    r->count = mysql_stmt_num_rows(st->stmt);
  }
  if (*rc != 0) {
    rows_destroy(r);
    return NULL;
  }
  r->affected = mysql_stmt_affected_rows(st->stmt);
  r->insert_id = mysql_stmt_insert_id(st->stmt);
  list_push_back(&db->rows, &r->node);
  return r;
}

/* Grow the buffers of truncated columns, fetch those again, and rebind so
 * the next fetch writes into the new buffers. */
static int refetch_truncated(stratus_rows *r) {
  for (unsigned i = 0; i < r->ncols; i++) {
    col *c = &r->cols[i];
    if (c->kind != COL_BYTES || c->is_null || c->length < c->cap) continue;
    bind_bytes(&r->binds[i], c, c->length + 1);
    if (mysql_stmt_fetch_column(r->st->stmt, &r->binds[i], i, 0)) return fail(r);
  }
  if (mysql_stmt_bind_result(r->st->stmt, r->binds)) return fail(r);
  return 0;
}

int db_rows_next(stratus_rows *r) {
  if (!r) return STRATUS_EINVAL;
  r->row = false;
  if (!r->meta) return 0;
  int rc = mysql_stmt_fetch(r->st->stmt);
  if (rc == MYSQL_NO_DATA) return 0;
  if (rc == 1) return fail(r);
  if (rc == MYSQL_DATA_TRUNCATED && (rc = refetch_truncated(r)) != 0) return rc;
  for (unsigned i = 0; i < r->ncols; i++) {
    col *c = &r->cols[i];
    if (c->kind == COL_BYTES) c->buf[c->is_null ? 0 : c->length] = '\0';
  }
  r->row = true;
  return 1;
}

static col *get(stratus_rows *r, unsigned i) {
  if (!r || !r->row || i >= r->ncols || r->cols[i].is_null) return NULL;
  return &r->cols[i];
}

bool db_rows_is_null(stratus_rows *r, unsigned i) {
  return !r || !r->row || i >= r->ncols || r->cols[i].is_null;
}

int64_t db_rows_int(stratus_rows *r, unsigned i) {
  col *c = get(r, i);
  if (!c) return 0;
  switch (c->kind) {
  case COL_INT: return c->num.i;
  case COL_UINT: return (int64_t)c->num.u;
  case COL_DOUBLE: return (int64_t)c->num.d;
  default: return strtoll(c->buf, NULL, 10);
  }
}

uint64_t db_rows_uint(stratus_rows *r, unsigned i) {
  col *c = get(r, i);
  if (!c) return 0;
  switch (c->kind) {
  case COL_INT: return (uint64_t)c->num.i;
  case COL_UINT: return c->num.u;
  case COL_DOUBLE: return c->num.d > 0 ? (uint64_t)c->num.d : 0;
  default: return strtoull(c->buf, NULL, 10);
  }
}

double db_rows_double(stratus_rows *r, unsigned i) {
  col *c = get(r, i);
  if (!c) return 0;
  switch (c->kind) {
  case COL_INT: return (double)c->num.i;
  case COL_UINT: return (double)c->num.u;
  case COL_DOUBLE: return c->num.d;
  default: return strtod(c->buf, NULL);
  }
}

const char *db_rows_text(stratus_rows *r, unsigned i, size_t *len) {
  col *c = get(r, i);
  if (len) *len = 0;
  if (!c) return NULL;
  const char *s = c->text;
  switch (c->kind) {
  case COL_INT: snprintf(c->text, sizeof(c->text), "%" PRId64, c->num.i); break;
  case COL_UINT: snprintf(c->text, sizeof(c->text), "%" PRIu64, c->num.u); break;
  case COL_DOUBLE: snprintf(c->text, sizeof(c->text), "%.17g", c->num.d); break;
  default:
    if (len) *len = c->length;
    return c->buf;
  }
  if (len) *len = strlen(s);
  return s;
}

uint64_t db_rows_affected(stratus_rows *r) { return r ? r->affected : 0; }
uint64_t db_rows_insert_id(stratus_rows *r) { return r ? r->insert_id : 0; }
size_t db_rows_count(stratus_rows *r) { return r ? (size_t)r->count : 0; }

void db_rows_free(stratus_rows *r) {
  if (!r) return;
  list_remove(&r->node);
  db_stmt_release(r->db, r->st);
  rows_destroy(r);
}

unsigned db_rows_ncols(stratus_rows *r) { return r ? r->ncols : 0; }

const char *db_rows_col_name(stratus_rows *r, unsigned i) {
  if (!r || !r->meta || i >= r->ncols) return NULL;
  return mysql_fetch_field_direct(r->meta, i)->name;
}

int db_rows_col(stratus_rows *r, const char *name) {
  if (!name) return -1;
  for (unsigned i = 0; i < db_rows_ncols(r); i++)
    if (strcmp(db_rows_col_name(r, i), name) == 0) return (int)i;
  for (unsigned i = 0; i < db_rows_ncols(r); i++)
    if (strcasecmp(db_rows_col_name(r, i), name) == 0) return (int)i;
  return -1;
}

bool db_rows_is_unsigned(stratus_rows *r, unsigned i) {
  return r && i < r->ncols && r->cols[i].kind == COL_UINT;
}
