/* The queue engine's hand-over blob (queue.h): what a SIGHUP reload or a
 * plugin upgrade passes from the old generation to the new one.
 *   header: "MMQ", version u8, next_id u64, ticket count u64
 *   tickets: fixed-size records, queue by queue, oldest first
 * Host byte order: both generations run in the same process. */
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "queue.h"

typedef struct blob_head {
  char magic[3];
  uint8_t version;
  uint32_t reserved;
  uint64_t next_id, count;
} blob_head;

typedef struct blob_ticket {
  uint64_t id, enqueued_ms, expires_ms;
  uint32_t scope, arena_team, mmr, instance;
  uint16_t bracket, type;
  uint8_t team, state, n, reserved;
  mm_member members[MM_TICKET_MAX];
} blob_ticket;

int mm_engine_export(const mm_engine *e, void **data, size_t *len) {
  size_t size = sizeof(blob_head) + e->tickets * sizeof(blob_ticket);
  uint8_t *buf = calloc(1, size);
  if (!buf) return STRATUS_ENOMEM;
  blob_head h = {.magic = {'M', 'M', 'Q'}, .version = MM_STATE_VERSION, .next_id = e->next_id,
                 .count = e->tickets};
  memcpy(buf, &h, sizeof(h));
  blob_ticket *out = (blob_ticket *)(buf + sizeof(h));
  for (size_t i = 0; i < e->queues.cap; i++) {
    const mm_queue *q = e->queues.slots[i].val;
    for (const mm_ticket *t = q ? q->head : NULL; t; t = t->next, out++) {
      *out = (blob_ticket){.id = t->id, .enqueued_ms = t->enqueued_ms, .expires_ms = t->expires_ms,
                           .scope = t->key.scope, .arena_team = t->arena_team, .mmr = t->mmr,
                           .instance = t->instance, .bracket = t->key.bracket, .type = t->key.type,
                           .team = t->team, .state = t->state, .n = t->n};
      memcpy(out->members, t->members, t->n * sizeof(mm_member));
    }
  }
  *data = buf;
  *len = size;
  return 0;
}

static int import_ticket(mm_engine *e, const blob_ticket *b) {
  if (b->n == 0 || b->n > MM_TICKET_MAX || (b->state != MM_QUEUED && b->state != MM_INVITED) ||
      b->id >= e->next_id)
    return STRATUS_EINVAL;
  mm_ticket *t = calloc(1, sizeof(*t));
  if (!t) return STRATUS_ENOMEM;
  *t = (mm_ticket){.id = b->id, .key = {b->scope, b->bracket, b->type}, .team = b->team,
                   .state = b->state, .n = b->n, .arena_team = b->arena_team, .mmr = b->mmr,
                   .enqueued_ms = b->enqueued_ms, .expires_ms = b->expires_ms,
                   .instance = b->instance};
  memcpy(t->members, b->members, b->n * sizeof(mm_member));
  int rc = mm_ticket_adopt(e, t);
  if (rc) free(t);
  return rc;
}

int mm_engine_import(mm_engine *e, const void *data, size_t len) {
  blob_head h;
  if (len < sizeof(h)) return STRATUS_EINVAL;
  memcpy(&h, data, sizeof(h));
  if (memcmp(h.magic, "MMQ", 3) || h.version != MM_STATE_VERSION ||
      h.count > (len - sizeof(h)) / sizeof(blob_ticket) ||
      len != sizeof(h) + h.count * sizeof(blob_ticket))
    return STRATUS_EINVAL;
  e->next_id = h.next_id;
  const uint8_t *p = (const uint8_t *)data + sizeof(h);
  for (uint64_t i = 0; i < h.count; i++, p += sizeof(blob_ticket)) {
    blob_ticket b;
    memcpy(&b, p, sizeof(b));
    int rc = import_ticket(e, &b);
    if (rc) {
      mm_engine_free(e);
      return rc;
    }
  }
  return 0;
}
