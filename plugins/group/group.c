/*
 * group: v1.GroupService. Configuration, the method tables and the
 * lifecycle; the handlers are in rpc_*.c, the SQL in group_sql.c, events in
 * group_events.c, timers and volatile state in group_volatile.c and
 * group_presence.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "group.h"
#include "rpc.h"

const stratus_host_api *group_host;

static const stratus_config_key group_keys[] = {
    {.name = "leader_offline_delay", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(group_config, leader_offline_ms), .default_value = "2m", .min = 10,
     .max = 3600000, .help = "an offline leader is replaced by an online member after this"},
    {.name = "ready_check_duration", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(group_config, ready_check_ms), .default_value = "35s", .min = 100,
     .max = 120000, .help = "a ready check that names no duration finishes after this"},
    {.name = "swap_window", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(group_config, swap_window_ms), .default_value = "2s", .min = 10,
     .max = 60000, .help = "a subgroup move with the 0x80 swap bit waits this long for its "
                           "reverse move"},
    {.name = "placement_fresh", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(group_config, placement_fresh_ms), .default_value = "15s", .min = 100,
     .max = 600000, .help = "a member's placement (gateway, worldserver, map, instance) "
                            "counts as fresh this long after its last state"},
    {.name = "bind_layer", .type = STRATUS_CFG_BOOL,
     .offset = offsetof(group_config, bind_layer), .default_value = "yes",
     .help = "bind a new group to its inviter's game server (ServersRegistryService."
             "BindGroupToGameServer) so that it stays on one layer"},
    {0},
};

static int register_tables(stratus_ctx *ctx, group_plugin *p) {
  const struct {
    const stratus_method *m;
    size_t n;
  } tables[] = {
      {group_invite_methods, group_invite_methods_n},
      {group_roster_methods, group_roster_methods_n},
      {group_settings_methods, group_settings_methods_n},
      {group_lookup_methods, group_lookup_methods_n},
      {group_relay_methods, group_relay_methods_n},
      {group_state_methods, group_state_methods_n},
      {group_lfg_methods, group_lfg_methods_n},
  };
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    int rc = HOST->methods_register(ctx, &v1__group_service__descriptor, tables[i].m,
                                    tables[i].n, sizeof(stratus_method), p);
    if (rc != 0) return rc;
  }
  return 0;
}

static int group_init(stratus_ctx *ctx, const void *config, void **state) {
  group_plugin *p = calloc(1, sizeof(*p));
  if (!p) return STRATUS_ENOMEM;
  p->ctx = ctx;
  p->config = config;
  /* Other instances tell their own events apart by it (ToCloud9's ServiceID). */
  snprintf(p->service_id, sizeof(p->service_id), "stratus-%ld-%llu", (long)getpid(),
           (unsigned long long)HOST->generation(ctx));
  int rc = register_tables(ctx, p);
  if (rc == 0) rc = group_subscribe(p);
  if (rc != 0) {
    free(p);
    return rc;
  }
  *state = p;
  return 0;
}

static int group_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  (void)ctx;
  ((group_plugin *)state)->config = config;
  return 0;
}

static void group_stop(stratus_ctx *ctx, void *state) {
  (void)ctx;
  ((group_plugin *)state)->stopped = true;
}

static void group_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  group_plugin *p = state;
  group_vol_free_all(p);
  group_states_free(p);
  free(p);
}

static const stratus_plugin group_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "group",
    .version = "1.0.0",
    .description = "GroupService: parties and raids, ready checks, member state, LFG groups",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(group_keys, group_config),
    .init = group_init,
    .reconfigure = group_reconfigure,
    .stop = group_stop,
    .destroy = group_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, req_submit) ||
      !STRATUS_HOST_HAS(api, presence_watch))
    return NULL;
  group_host = api;
  return &group_plugin_desc;
}
