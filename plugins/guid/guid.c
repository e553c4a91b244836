/*
 * guid: serves v1.GuidService/GetGUIDPool. Per realm and GUID type
 * (character, item, instance) it hands out inclusive ranges reserved in the
 * realm's characters database, so no GUID is handed out twice across
 * concurrent calls, restarts, or several stratusd on the same database.
 */
#include <stdlib.h>

#include <stratus/proto/guid/guid.pb-c.h>

#include "guid.h"

const stratus_host_api *guid_host;
#define host guid_host

static const stratus_config_key guid_keys[] = {
    {.name = "max_pool_size", .type = STRATUS_CFG_INT,
     .offset = offsetof(guid_config, max_pool_size), .default_value = "1000000",
     .min = 1, .max = (int64_t)GUID_LAST,
     .help = "largest desiredPoolSize one call may ask for"},
    {0},
};

static stratus_metric *register_metric(stratus_ctx *ctx, int kind, const char *name,
                                       const char *help) {
  static const char *const labels[] = {"realm", "type", NULL};
  const stratus_metric_desc desc = {sizeof(desc), (uint32_t)kind, name, help, labels,
                                    NULL, 0};
  return host->metric_register(ctx, &desc);
}

static int guid_init(stratus_ctx *ctx, const void *config, void **state) {
  guid_plugin *g = calloc(1, sizeof(*g));
  if (!g) return STRATUS_ENOMEM;
  g->config = config;
  g->ranges = register_metric(ctx, STRATUS_METRIC_COUNTER, "stratus_guid_ranges_total",
                              "GUID ranges handed out");
  g->guids = register_metric(ctx, STRATUS_METRIC_COUNTER, "stratus_guid_guids_total",
                             "GUIDs handed out");
  g->remaining = register_metric(ctx, STRATUS_METRIC_GAUGE, "stratus_guid_remaining",
                                 "GUIDs left above the last range this instance reserved");
  int rc = g->ranges && g->guids && g->remaining ? 0 : STRATUS_EEXIST;
  if (rc == 0)
    rc = host->methods_register(ctx, &v1__guid_service__descriptor, guid_methods,
                                GUID_METHODS, sizeof(stratus_method), g);
  if (rc != 0) {
    free(g);
    return rc;
  }
  *state = g;
  return 0;
}

/* max_pool_size is read per call: a new value applies to the next call. */
static int guid_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  ((guid_plugin *)state)->config = config;
  return 0;
}

static void guid_destroy(stratus_ctx *ctx, void *state) { free(state); }

static const stratus_plugin guid_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "guid",
    .version = "1.0.0",
    .description = "GuidService: per-realm character, item and instance GUID ranges",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(guid_keys, guid_config),
    .init = guid_init,
    .reconfigure = guid_reconfigure,
    .destroy = guid_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register)) return NULL;
  host = api;
  return &guid_plugin_desc;
}
