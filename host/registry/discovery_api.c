/* The discovery members of the host API: plugins query the registry. */
#include <string.h>

#include "registry.h"

static void to_sdk(const game_server *gs, stratus_game_server *out) {
  *out = (stratus_game_server){
      .struct_size = sizeof(*out),
      .realm_id = gs->realm_id,
      .id = gs->id,
      .game_address = gs->address,
      .grpc_address = gs->grpc_address,
      .crossrealm = gs->crossrealm,
      .healthy = gs->health.failures == 0,
      .degraded = gs->health.degraded,
      .maps_loaded = gs->pending.n == 0,
      .active_connections = gs->active_connections,
  };
}

typedef struct gs_visit {
  uint32_t realm, map;
  stratus_game_server_each each;
  void *ud;
  int visited, pass; /* pass 0: taking players, pass 1: degraded */
} gs_visit;

static int visit_gs(game_server *gs, void *ud) {
  gs_visit *v = ud;
  bool in_realm = gs->crossrealm || gs->realm_id == v->realm;
  if (!in_realm || !registry_can_handle(gs, v->map) || gs->health.degraded != (v->pass == 1))
    return 0;
  stratus_game_server out;
  to_sdk(gs, &out);
  v->visited++;
  return v->each(&out, v->ud);
}

static int api_game_servers(stratus_ctx *ctx, uint32_t realm, uint32_t map,
                            stratus_game_server_each each, void *ud) {
  (void)ctx;
  if (!each) return STRATUS_EINVAL;
  registry_store *st = registry_state();
  gs_visit v = {realm, map, each, ud, 0, 0};
  st->gs_each(st, visit_gs, &v);
  v.pass = 1;
  st->gs_each(st, visit_gs, &v);
  return v.visited;
}

static int api_game_server(stratus_ctx *ctx, const char *id,
                           stratus_game_server_each each, void *ud) {
  (void)ctx;
  registry_store *st = registry_state();
  game_server *gs = id ? st->gs_find(st, id) : NULL;
  if (!gs) return STRATUS_ENOTFOUND;
  stratus_game_server out;
  to_sdk(gs, &out);
  if (each) each(&out, ud);
  return 0;
}

static void gw_to_sdk(const gateway *gw, stratus_gateway *out) {
  *out = (stratus_gateway){.struct_size = sizeof(*out), .realm_id = gw->realm_id,
                           .id = gw->id, .address = gw->address,
                           .healthy = gw->health.failures == 0};
}

typedef struct gw_visit {
  uint32_t realm;
  stratus_gateway_each each;
  void *ud;
  int visited;
} gw_visit;

static int visit_gw(gateway *gw, void *ud) {
  gw_visit *v = ud;
  if (gw->realm_id != v->realm) return 0;
  stratus_gateway out;
  gw_to_sdk(gw, &out);
  v->visited++;
  return v->each(&out, v->ud);
}

static int api_gateways(stratus_ctx *ctx, uint32_t realm, stratus_gateway_each each,
                        void *ud) {
  (void)ctx;
  if (!each) return STRATUS_EINVAL;
  gw_visit v = {realm, each, ud, 0};
  registry_state()->gw_each(registry_state(), visit_gw, &v);
  return v.visited;
}

static int api_gateway(stratus_ctx *ctx, const char *id, stratus_gateway_each each,
                       void *ud) {
  (void)ctx;
  registry_store *st = registry_state();
  gateway *gw = id ? st->gw_find(st, id) : NULL;
  if (!gw) return STRATUS_ENOTFOUND;
  stratus_gateway out;
  gw_to_sdk(gw, &out);
  if (each) each(&out, ud);
  return 0;
}

void api_discovery_install(stratus_host_api *api) {
  api->discovery_game_servers = api_game_servers;
  api->discovery_game_server = api_game_server;
  api->discovery_gateways = api_gateways;
  api->discovery_gateway = api_gateway;
}
