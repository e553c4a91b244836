/*
 * guid plugin internals: GuidService.GetGUIDPool, per-realm GUID ranges
 * reserved in the realm's characters database (stratus_guid_range).
 *   guid.c          descriptor, config, lifecycle, metrics
 *   guid_handler.c  the declared method: check, reply
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

/* One GetGUIDPool call: the job the runner allocates. */
typedef struct guid_job {
  uint32_t realm;
  int type;
  uint64_t size;
  guid_range range; /* out: what was reserved */
} guid_job;

/* Worker thread, inside the runner's transaction: reserve j->size GUIDs of
 * j->type; fills j->range. Refusals are recorded with req_fail. */
int guid_sql_reserve(stratus_db *db, stratus_req *req, void *job);

#define GUID_METHODS 1
extern const stratus_method guid_methods[GUID_METHODS]; /* guid_handler.c */

#endif
