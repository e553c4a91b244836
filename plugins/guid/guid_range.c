/* GUID range arithmetic and request checks (pure functions). */
#include "guid_range.h"

#include <inttypes.h>
#include <stdio.h>

guid_range_result guid_range_reserve(uint64_t next, uint64_t table_max,
                                     uint64_t size, uint64_t last,
                                     guid_range *out) {
  if (size == 0) return GUID_RANGE_EMPTY;
  uint64_t start = next > 0 ? next : 1;
  if (table_max >= start) {
    if (table_max >= last) return GUID_RANGE_EXHAUSTED;
    start = table_max + 1;
  }
  /* start <= last and size - 1 <= last - start, written without overflow */
  if (start > last || size - 1 > last - start) return GUID_RANGE_EXHAUSTED;
  out->start = start;
  out->end = start + (size - 1);
  out->next = out->end + 1;
  return GUID_RANGE_OK;
}

const char *guid_type_name(int type) {
  switch (type) {
  case GUID_TYPE_CHARACTER: return "character";
  case GUID_TYPE_ITEM: return "item";
  case GUID_TYPE_INSTANCE: return "instance";
  default: return NULL;
  }
}

int guid_check_request(uint32_t realm, bool realm_has_pool, int type,
                       uint64_t size, uint64_t max_pool_size, char *msg,
                       size_t msg_len) {
  enum { OK = 0, INVALID_ARGUMENT = 3 };
  if (!guid_type_name(type)) {
    snprintf(msg, msg_len,
             "guidType %d is not Character (0), Item (1) or Instance (2)", type);
    return INVALID_ARGUMENT;
  }
  if (size == 0) {
    snprintf(msg, msg_len, "desiredPoolSize must be at least 1");
    return INVALID_ARGUMENT;
  }
  if (size > max_pool_size) {
    snprintf(msg, msg_len,
             "desiredPoolSize %" PRIu64 " is above max_pool_size %" PRIu64,
             size, max_pool_size);
    return INVALID_ARGUMENT;
  }
  if (!realm_has_pool) {
    snprintf(msg, msg_len, "realm %" PRIu32 " has no [db.characters.%" PRIu32 "]",
             realm, realm);
    return INVALID_ARGUMENT;
  }
  return OK;
}
