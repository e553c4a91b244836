/*
 * guid plugin internals: GuidService.GetGUIDPool, per-realm GUID ranges
 * reserved in the realm's characters database (stratus_guid_range).
 *   guid.c          descriptor, config, lifecycle, metrics
 *   guid_handler.c  the RPC: checks, database job, reply
 *   guid_sql.c      the reservation transaction (worker thread)
 *   guid_range.c    range arithmetic and request checks (pure)
 */
#ifndef GUID_H
#define GUID_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/stratus.h>

#include "guid_range.h"

extern const stratus_host_api *guid_host;

typedef struct guid_config {
  int64_t max_pool_size;
} guid_config;

typedef struct guid_plugin {
  const guid_config *config;
  stratus_metric *ranges, *guids, *remaining;
} guid_plugin;

/* One GetGUIDPool call on its way through a database job. */
typedef struct guid_job {
  guid_plugin *plugin;
  stratus_call *call;
  uint32_t realm;
  int type;
  uint64_t size;
  guid_range range;  /* out: what was reserved */
  unsigned db_errno; /* out: the MySQL error of a failed statement */
} guid_job;

/* Worker thread: reserve j->size GUIDs of j->type; fills j->range.
 * 0, STRATUS_ERANGE (the id space is exhausted, nothing written) or a
 * database error code. */
int guid_sql_reserve(stratus_db *db, void *job);

void guid_handle_get_pool(stratus_ctx *ctx, stratus_call *call,
                          const ProtobufCMessage *request, void *ud);

#endif
