/*
 * GUID range arithmetic and request checks of the guid plugin: pure
 * functions (no host, no database), unit-tested in tests/plugins/guid.
 */
#ifndef GUID_RANGE_H
#define GUID_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* v1.GuidType values, which are also stratus_guid_range.guid_type. */
enum { GUID_TYPE_CHARACTER = 0, GUID_TYPE_ITEM = 1, GUID_TYPE_INSTANCE = 2,
       GUID_TYPE_COUNT = 3 };

/*
 * The last GUID handed out for any type. characters.guid, item_instance.guid
 * and instance.id are `int unsigned`; AzerothCore's own generators stop
 * before GetMaxCounter() - 1 = 0xFFFFFFFE (and 0xFFFFFFFF is uint32(-1)), so
 * 0xFFFFFFFD is the last id the core itself would ever create.
 */
#define GUID_LAST UINT64_C(0xFFFFFFFD)

typedef struct guid_range {
  uint64_t start, end; /* inclusive, as on the wire */
  uint64_t next;       /* the new high-water mark: end + 1 */
} guid_range;

typedef enum guid_range_result {
  GUID_RANGE_OK = 0,
  GUID_RANGE_EMPTY = 1,     /* size 0 */
  GUID_RANGE_EXHAUSTED = 2, /* the whole range does not fit below `last` */
} guid_range_result;

/*
 * Reserve `size` GUIDs: the range starts at the stored high-water mark
 * `next` (the lowest GUID never handed out), raised above `table_max` (the
 * highest id already in the AzerothCore table, written by anyone) and to at
 * least 1. All or nothing: a range that would pass `last` is EXHAUSTED and
 * *out is untouched; it is never shortened. `last` is below UINT64_MAX (the
 * new mark, last + 1 at most, must fit).
 */
guid_range_result guid_range_reserve(uint64_t next, uint64_t table_max,
                                     uint64_t size, uint64_t last,
                                     guid_range *out);

/* "character", "item", "instance"; NULL for an unknown type. */
const char *guid_type_name(int type);

/*
 * Check a GetGUIDPool request before touching a database: returns a gRPC
 * status (0 OK, 3 INVALID_ARGUMENT) and, when not OK, a message in msg.
 */
int guid_check_request(uint32_t realm, bool realm_has_pool, int type,
                       uint64_t size, uint64_t max_pool_size, char *msg,
                       size_t msg_len);

#endif
