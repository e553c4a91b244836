/*
 * The reservation transaction, on a database worker thread. The row of the
 * type in stratus_guid_range is locked (SELECT ... FOR UPDATE), so callers
 * on every stratusd sharing this database take turns; the range starts at
 * the row's next_guid raised above the AzerothCore table's MAX(), and the
 * row is moved past it before COMMIT (the runner's STRATUS_METHOD_TXN). A
 * GUID is handed out only after the COMMIT that moved the high-water mark
 * past it succeeded.
 */
#include <inttypes.h>

#include "guid.h"

#define host guid_host

/* The highest id of each type's AzerothCore table (v1.GuidType order). */
static const char *const table_max_sql[GUID_TYPE_COUNT] = {
    "SELECT COALESCE(MAX(guid), 0) FROM characters",
    "SELECT COALESCE(MAX(guid), 0) FROM item_instance",
    "SELECT COALESCE(MAX(id), 0) FROM instance",
};

/* One unsigned value from a one-row query; STRATUS_ENOTFOUND without a row. */
static int query_uint(stratus_db *db, const char *sql, const stratus_sql_value *params,
                      size_t n, uint64_t *out) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, sql, params, n, &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) *out = host->rows_uint(rows, 0);
  host->rows_free(rows);
  return rc == 1 ? 0 : rc == 0 ? STRATUS_ENOTFOUND : rc;
}

/* A missing row is not recreated: its high-water mark is lost, and a fresh
 * one could hand out again GUIDs that a worldserver holds but has not yet
 * written. The call is refused with FAILED_PRECONDITION instead. */
static int missing_row(stratus_req *req, const guid_job *j) {
  const char *type = guid_type_name(j->type);
  return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                        "realm %" PRIu32 ": stratus_guid_range has no row for guid_type %d "
                        "(%s); restore it with next_guid above every %s GUID handed out",
                        j->realm, j->type, type, type);
}

int guid_sql_reserve(stratus_db *db, stratus_req *req, void *job) {
  guid_job *j = job;
  uint64_t next, table_max;
  int rc = query_uint(db,
                      "SELECT next_guid FROM stratus_guid_range "
                      "WHERE guid_type = ? FOR UPDATE",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->type)), &next);
  if (rc == STRATUS_ENOTFOUND) return missing_row(req, j);
  if (rc == 0) rc = query_uint(db, table_max_sql[j->type], NULL, 0, &table_max);
  if (rc != 0) return rc;
  if (guid_range_reserve(next, table_max, j->size, GUID_LAST, &j->range) != GUID_RANGE_OK)
    return host->req_fail(req, STRATUS_GRPC_RESOURCE_EXHAUSTED,
                          "realm %" PRIu32 " has no room for %" PRIu64 " more %s GUIDs "
                          "(the last is %" PRIu64 ")",
                          j->realm, j->size, guid_type_name(j->type), GUID_LAST);
  return host->sql_exec(db,
                        "UPDATE stratus_guid_range SET next_guid = ?, "
                        "ranges_reserved = ranges_reserved + 1, "
                        "guids_reserved = guids_reserved + ? WHERE guid_type = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->range.next),
                                           STRATUS_SQL_UINT_V(j->size),
                                           STRATUS_SQL_UINT_V(j->type)),
                        NULL);
}
