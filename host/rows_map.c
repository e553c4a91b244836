/*
 * rows_read and rows_collect: result rows into C structs through a column
 * map (the SDK's stratus_col), text copied into the request's arena.
 * Worker threads only.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api_db.h"
#include "runner.h"
#include "sql.h"

#define MAX_MAPPED_COLS 64

static void store_int(void *dst, uint32_t type, int64_t i, uint64_t u, bool is_unsigned) {
  int64_t s = is_unsigned ? (int64_t)u : i;
  uint64_t z = is_unsigned ? u : (uint64_t)i;
  switch (type) {
  case STRATUS_COL_I8: *(int8_t *)dst = (int8_t)s; break;
  case STRATUS_COL_I16: *(int16_t *)dst = (int16_t)s; break;
  case STRATUS_COL_I32: *(int32_t *)dst = (int32_t)s; break;
  case STRATUS_COL_I64: *(int64_t *)dst = s; break;
  case STRATUS_COL_U8: *(uint8_t *)dst = (uint8_t)z; break;
  case STRATUS_COL_U16: *(uint16_t *)dst = (uint16_t)z; break;
  case STRATUS_COL_U32: *(uint32_t *)dst = (uint32_t)z; break;
  case STRATUS_COL_U64: *(uint64_t *)dst = z; break;
  case STRATUS_COL_BOOL: *(bool *)dst = z != 0; break;
  default: break;
  }
}

static void store(stratus_rows *rows, stratus_req *req, unsigned col, const stratus_col *c,
                  char *base) {
  void *dst = base + c->offset;
  size_t len = 0;
  const char *text;
  switch (c->type) {
  case STRATUS_COL_DOUBLE: *(double *)dst = db_rows_double(rows, col); break;
  case STRATUS_COL_FLOAT: *(float *)dst = (float)db_rows_double(rows, col); break;
  case STRATUS_COL_TEXT:
    text = db_rows_text(rows, col, &len);
    *(char **)dst = req_strdup(req, text, len);
    break;
  case STRATUS_COL_BLOB: {
    text = db_rows_text(rows, col, &len);
    ProtobufCBinaryData *b = dst;
    b->len = len;
    b->data = (uint8_t *)req_strdup(req, text, len);
    break;
  }
  default:
    store_int(dst, c->type, db_rows_int(rows, col), db_rows_uint(rows, col),
              db_rows_is_unsigned(rows, col));
  }
}

/* The result column of every map entry; STRATUS_EINVAL if one is missing. */
static int resolve(stratus_rows *rows, const stratus_col *cols, size_t ncols, int *idx) {
  if (ncols > MAX_MAPPED_COLS) return STRATUS_EINVAL;
  for (size_t i = 0; i < ncols; i++)
    if ((idx[i] = db_rows_col(rows, cols[i].column)) < 0) return STRATUS_EINVAL;
  return 0;
}

static void read_row(stratus_rows *rows, stratus_req *req, const stratus_col *cols,
                     size_t ncols, const int *idx, void *out) {
  for (size_t i = 0; i < ncols; i++) store(rows, req, (unsigned)idx[i], &cols[i], out);
}

int rows_map_read(stratus_rows *rows, stratus_req *req, const stratus_col *cols, size_t ncols,
                  void *out) {
  int idx[MAX_MAPPED_COLS];
  int rc = resolve(rows, cols, ncols, idx);
  if (rc != 0) return rc;
  rc = db_rows_next(rows);
  if (rc == 1) read_row(rows, req, cols, ncols, idx, out);
  return rc;
}

int rows_map_collect(stratus_rows *rows, stratus_req *req, const stratus_col *cols,
                     size_t ncols, size_t elem_size, const void *tmpl, void **out, size_t *n) {
  int idx[MAX_MAPPED_COLS];
  int rc = resolve(rows, cols, ncols, idx);
  *n = 0;
  if (rc != 0) return rc;
  size_t cap = db_rows_count(rows);
  char *arr = req_alloc(req, (cap ? cap : 1) * elem_size);
  while (*n < cap && (rc = db_rows_next(rows)) == 1) {
    char *elem = arr + *n * elem_size;
    if (tmpl) memcpy(elem, tmpl, elem_size);
    read_row(rows, req, cols, ncols, idx, elem);
    (*n)++;
  }
  *out = arr;
  return rc < 0 ? rc : 0;
}
