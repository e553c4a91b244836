/* The rated match results ledger: a repeated FinishRatedArenaMatch reads
 * back the first answer instead of applying the result again. The row is
 * written in the same transaction as the ratings. */
#include <time.h>

#include "matchmaking.h"

static void *arena_alloc(void *req, size_t size) { return HOST->req_alloc(req, size); }
static void arena_free(void *req, void *p) { (void)req, (void)p; } /* freed with the call */

int mm_result_find(stratus_db *db, stratus_req *req, const char *key,
                   V1__FinishRatedArenaMatchResponse **out) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT response FROM stratus_arena_match_result WHERE match_key = ?",
                          STRATUS_SQL_PARAMS(stratus_sql_text(key)), &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) {
    size_t len = 0;
    const uint8_t *data = (const uint8_t *)HOST->rows_text(rows, 0, &len);
    ProtobufCAllocator arena = {.alloc = arena_alloc, .free = arena_free, .allocator_data = req};
    ProtobufCMessage *m = protobuf_c_message_unpack(
        &v1__finish_rated_arena_match_response__descriptor, &arena, len, data);
    if (!m) rc = HOST->req_fail(req, STRATUS_GRPC_DATA_LOSS, "stored result of %s is unreadable", key);
    *out = (V1__FinishRatedArenaMatchResponse *)m;
  }
  HOST->rows_free(rows);
  return rc;
}

int mm_result_record(stratus_db *db, stratus_req *req, const char *key, uint32_t alliance_team,
                     uint32_t horde_team, const V1__FinishRatedArenaMatchResponse *resp) {
  size_t len = protobuf_c_message_get_packed_size(&resp->base);
  uint8_t *buf = HOST->req_alloc(req, len ? len : 1);
  protobuf_c_message_pack(&resp->base, buf);
  return HOST->sql_exec(db,
                        "INSERT INTO stratus_arena_match_result (match_key, alliance_team, "
                        "horde_team, status, response, created) VALUES (?, ?, ?, ?, ?, ?)",
                        STRATUS_SQL_PARAMS(stratus_sql_text(key),
                                           STRATUS_SQL_UINT_V(alliance_team),
                                           STRATUS_SQL_UINT_V(horde_team),
                                           STRATUS_SQL_UINT_V((uint32_t)resp->status),
                                           STRATUS_SQL_BLOB_V(buf, len),
                                           STRATUS_SQL_UINT_V(time(NULL))),
                        NULL);
}
