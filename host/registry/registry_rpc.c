/* The 14 RPCs of v1.ServersRegistryService. Handlers validate, call the
 * registry operations and translate records into messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/proto/servers-registry/registry.pb-c.h>

#include "registry.h"
#include "stratusd.h"
#include "util.h"

#define API (&stratusd.api)

/* The client's IP without the port ("[::1]:5" -> "::1"). */
static char *peer_host(stratus_call *call) {
  const char *peer = API->call_peer(call);
  const char *colon = strrchr(peer, ':');
  size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
  if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') return xstrndup(peer + 1, n - 2);
  return xstrndup(peer, n);
}

static void fail(stratus_call *call, int status, const char *err) {
  API->call_fail(call, status, "%s", err);
}

/* A registering caller under [registry]'s policy. */
typedef struct caller {
  char *peer;        /* the caller's IP */
  const char *host;  /* the preferred host name, else peer: goes into Address */
  const char *dial;  /* where health checks and calls go */
} caller;

static int admit(stratus_call *call, const char *what, const char *preferred, caller *c,
                 char *err, size_t errlen) {
  c->peer = peer_host(call);
  c->host = *preferred ? preferred : c->peer;
  c->dial = *preferred && registry_policy_dial_preferred() ? preferred : c->peer;
  int st = registry_policy_caller(c->peer, what, err, errlen);
  if (!st && *preferred) st = registry_check_host(preferred, err, errlen);
  if (!st && *preferred) st = registry_policy_preferred(preferred, err, errlen);
  return st;
}

static void fill_server(V1__Server *s, const game_server *gs) {
  s->address = gs->address;
  s->realmid = gs->realm_id;
  s->iscrossrealm = gs->crossrealm;
  s->grpcaddress = gs->grpc_address;
  s->id = (char *)gs->id;
  s->alias = (char *)gs->alias;
}

/* ---- game servers --------------------------------------------------------- */

static void register_game_server(stratus_ctx *ctx, stratus_call *call,
                                 const ProtobufCMessage *msg, void *ud) {
  const V1__RegisterGameServerRequest *req = (const void *)msg;
  char err[256];
  caller c;
  (void)ctx, (void)ud;
  int st = admit(call, "game server registration", req->preferredhostname, &c, err,
                 sizeof(err));
  gs_registration r = {req->realmid, req->iscrossrealm, c.host, c.dial,
                       req->gameport, req->healthport, req->grpcport, req->availablemaps};
  game_server *gs;
  if (!st) st = registry_register_game_server(&r, &gs, err, sizeof(err));
  free(c.peer);
  if (st) return fail(call, st, err);
  V1__RegisterGameServerResponse resp = V1__REGISTER_GAME_SERVER_RESPONSE__INIT;
  resp.id = gs->id;
  resp.alias = gs->alias;
  resp.n_assignedmaps = gs->assigned.n;
  resp.assignedmaps = gs->assigned.ids;
  API->call_reply(call, &resp.base);
}

static void available_for_map(stratus_ctx *ctx, stratus_call *call,
                              const ProtobufCMessage *msg, void *ud) {
  const V1__AvailableGameServersForMapAndRealmRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  if (!req->iscrossrealm && !registry_realm_known(req->realmid))
    return fail(call, STRATUS_GRPC_NOT_FOUND, "realm is not served here");
  game_server *found[256];
  size_t n = 0;
  if (req->iscrossrealm) {
    n = registry_crossrealm_for_map(req->mapid, found, ARRAY_LEN(found));
  } else {
    found[0] = registry_place(req->realmid, req->mapid, req->groupid,
                              req->preferredgameserveralias);
    n = found[0] != NULL;
  }
  V1__Server servers[256], *ptrs[256];
  for (size_t i = 0; i < n; i++) {
    v1__server__init(&servers[i]);
    fill_server(&servers[i], found[i]);
    ptrs[i] = &servers[i];
  }
  V1__AvailableGameServersForMapAndRealmResponse resp =
      V1__AVAILABLE_GAME_SERVERS_FOR_MAP_AND_REALM_RESPONSE__INIT;
  resp.n_gameservers = n;
  resp.gameservers = ptrs;
  API->call_reply(call, &resp.base);
}

typedef struct random_pick {
  uint32_t realm;
  game_server *chosen;
  unsigned seen;
} random_pick;

/* Reservoir sampling over the realm's servers that take players. */
static int pick_random(game_server *gs, void *ud) {
  random_pick *p = ud;
  if (gs->crossrealm || gs->realm_id != p->realm || gs->health.degraded) return 0;
  if ((unsigned)rand() % ++p->seen == 0) p->chosen = gs;
  return 0;
}

static void random_for_realm(stratus_ctx *ctx, stratus_call *call,
                             const ProtobufCMessage *msg, void *ud) {
  const V1__RandomGameServerForRealmRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  if (!registry_realm_known(req->realmid))
    return fail(call, STRATUS_GRPC_NOT_FOUND, "realm is not served here");
  random_pick p = {.realm = req->realmid};
  registry_state()->gs_each(registry_state(), pick_random, &p);
  V1__Server server = V1__SERVER__INIT;
  V1__RandomGameServerForRealmResponse resp = V1__RANDOM_GAME_SERVER_FOR_REALM_RESPONSE__INIT;
  if (p.chosen) {
    fill_server(&server, p.chosen);
    resp.gameserver = &server;
  }
  API->call_reply(call, &resp.base);
}

/* ---- detailed lists ------------------------------------------------------- */

typedef struct server_filter {
  bool all, crossrealm;
  uint32_t realm;
  game_server **found;
  size_t n, cap;
} server_filter;

static int filter_server(game_server *gs, void *ud) {
  server_filter *f = ud;
  if (f->all || (gs->crossrealm == f->crossrealm &&
                 (f->crossrealm || gs->realm_id == f->realm))) {
    grow_array((void **)&f->found, &f->cap, f->n + 1, sizeof(game_server *));
    f->found[f->n++] = gs;
  }
  return 0;
}

static void fill_detailed(V1__GameServerDetailed *d, V1__GameServerDetailed__Diff *diff,
                          const game_server *gs) {
  v1__game_server_detailed__init(d);
  v1__game_server_detailed__diff__init(diff);
  diff->mean = gs->diff.mean;
  diff->median = gs->diff.median;
  diff->percentile95 = gs->diff.p95;
  diff->percentile99 = gs->diff.p99;
  diff->max = gs->diff.max;
  d->id = (char *)gs->id;
  d->address = gs->address;
  d->healthaddress = gs->health_address;
  d->grpcaddress = gs->grpc_address;
  d->realmid = gs->realm_id;
  d->iscrossrealm = gs->crossrealm;
  d->activeconnections = gs->active_connections;
  d->diff = diff;
  d->n_availablemaps = gs->available.n;
  d->availablemaps = gs->available.ids;
  d->n_assignedmaps = gs->assigned.n;
  d->assignedmaps = gs->assigned.ids;
  d->alias = (char *)gs->alias;
}

static void reply_detailed(stratus_call *call, server_filter *f) {
  registry_state()->gs_each(registry_state(), filter_server, f);
  V1__GameServerDetailed *items = xcalloc(f->n + 1, sizeof(*items));
  V1__GameServerDetailed__Diff *diffs = xcalloc(f->n + 1, sizeof(*diffs));
  V1__GameServerDetailed **ptrs = xcalloc(f->n + 1, sizeof(*ptrs));
  for (size_t i = 0; i < f->n; i++) {
    fill_detailed(&items[i], &diffs[i], f->found[i]);
    ptrs[i] = &items[i];
  }
  V1__ListGameServersResponse resp = V1__LIST_GAME_SERVERS_RESPONSE__INIT;
  resp.n_gameservers = f->n;
  resp.gameservers = ptrs;
  API->call_reply(call, &resp.base);
  free(ptrs);
  free(diffs);
  free(items);
  free(f->found);
}

static void list_for_realm(stratus_ctx *ctx, stratus_call *call,
                           const ProtobufCMessage *msg, void *ud) {
  const V1__ListGameServersForRealmRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  if (!req->iscrossrealm && !registry_realm_known(req->realmid))
    return fail(call, STRATUS_GRPC_NOT_FOUND, "realm is not served here");
  server_filter f = {.crossrealm = req->iscrossrealm, .realm = req->realmid};
  reply_detailed(call, &f);
}

static void list_all(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                     void *ud) {
  (void)ctx, (void)msg, (void)ud;
  server_filter f = {.all = true};
  reply_detailed(call, &f);
}

static void maps_loaded(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                        void *ud) {
  const V1__GameServerMapsLoadedRequest *req = (const void *)msg;
  char err[256];
  (void)ctx, (void)ud;
  int st = registry_maps_loaded(req->gameserverid, req->mapsloaded, req->n_mapsloaded,
                                err, sizeof(err));
  if (st) return fail(call, st, err);
  V1__GameServerMapsLoadedResponse resp = V1__GAME_SERVER_MAPS_LOADED_RESPONSE__INIT;
  API->call_reply(call, &resp.base);
}

/* ---- layers and groups ---------------------------------------------------- */

static void bind_group(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                       void *ud) {
  const V1__BindGroupToGameServerRequest *req = (const void *)msg;
  char err[256];
  (void)ctx, (void)ud;
  int st = registry_bind_group(req->realmid, req->groupid, req->mapid, req->gameserverid,
                               err, sizeof(err));
  if (st) return fail(call, st, err);
  V1__BindGroupToGameServerResponse resp = V1__BIND_GROUP_TO_GAME_SERVER_RESPONSE__INIT;
  API->call_reply(call, &resp.base);
}

static void get_layers(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                       void *ud) {
  const V1__GetMapLayerConfigurationRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  /* realm 0: the crossrealm servers' layers, as UpdateMapLayerConfiguration sets them */
  if (!registry_realm_known(req->realmid) && req->realmid != 0)
    return fail(call, STRATUS_GRPC_NOT_FOUND, "realm is not served here");
  size_t n;
  const map_layers *l = registry_layers(req->realmid, &n);
  V1__MapLayerConfiguration *items = xcalloc(n + 1, sizeof(*items));
  V1__MapLayerConfiguration **ptrs = xcalloc(n + 1, sizeof(*ptrs));
  for (size_t i = 0; i < n; i++) {
    v1__map_layer_configuration__init(&items[i]);
    items[i].mapid = l[i].map;
    items[i].layercount = l[i].layers;
    ptrs[i] = &items[i];
  }
  V1__GetMapLayerConfigurationResponse resp = V1__GET_MAP_LAYER_CONFIGURATION_RESPONSE__INIT;
  resp.n_maps = n;
  resp.maps = ptrs;
  API->call_reply(call, &resp.base);
  free(ptrs);
  free(items);
}

static void update_layers(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                          void *ud) {
  const V1__UpdateMapLayerConfigurationRequest *req = (const void *)msg;
  char err[256];
  (void)ctx, (void)ud;
  map_layers *l = xcalloc(req->n_maps + 1, sizeof(*l));
  for (size_t i = 0; i < req->n_maps; i++)
    l[i] = (map_layers){req->maps[i]->mapid, req->maps[i]->layercount};
  int st = registry_set_layers(req->realmid, l, req->n_maps, err, sizeof(err));
  free(l);
  if (st) return fail(call, st, err);
  V1__UpdateMapLayerConfigurationResponse resp =
      V1__UPDATE_MAP_LAYER_CONFIGURATION_RESPONSE__INIT;
  API->call_reply(call, &resp.base);
}

static uint32_t configured_layers(uint32_t realm, uint32_t map) {
  size_t n;
  const map_layers *l = registry_layers(realm, &n);
  for (size_t i = 0; i < n; i++)
    if (l[i].map == map) return l[i].layers ? l[i].layers : 1;
  return 1;
}

typedef struct layer_query {
  uint32_t realm, map;
  server_filter servers;
} layer_query;

static int add_layer(game_server *gs, void *ud) {
  layer_query *q = ud;
  if (!gs->crossrealm && gs->realm_id == q->realm && mapset_has(&gs->assigned, q->map))
    filter_server(gs, &q->servers); /* servers.all is set: it only appends */
  return 0;
}

static void layer_stats(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                        void *ud) {
  const V1__GetLayerStatsRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  if (!registry_realm_known(req->realmid))
    return fail(call, STRATUS_GRPC_NOT_FOUND, "realm is not served here");
  layer_query q = {req->realmid, req->mapid, {.all = true}};
  registry_state()->gs_each(registry_state(), add_layer, &q);
  size_t n = q.servers.n;
  V1__GetLayerStatsResponse__Layer *items = xcalloc(n + 1, sizeof(*items));
  V1__GetLayerStatsResponse__Layer **ptrs = xcalloc(n + 1, sizeof(*ptrs));
  for (size_t i = 0; i < n; i++) {
    const game_server *gs = q.servers.found[i];
    v1__get_layer_stats_response__layer__init(&items[i]);
    items[i].players = gs->active_connections;
    items[i].gameserverid = (char *)gs->id;
    items[i].address = gs->address;
    items[i].gameserveralias = (char *)gs->alias;
    ptrs[i] = &items[i];
  }
  V1__GetLayerStatsResponse resp = V1__GET_LAYER_STATS_RESPONSE__INIT;
  resp.configuredlayers = configured_layers(req->realmid, req->mapid);
  resp.n_layers = n;
  resp.layers = ptrs;
  API->call_reply(call, &resp.base);
  free(ptrs);
  free(items);
  free(q.servers.found);
}

/* ---- gateways and matchmaking --------------------------------------------- */

static void register_gateway(stratus_ctx *ctx, stratus_call *call,
                             const ProtobufCMessage *msg, void *ud) {
  const V1__RegisterGatewayRequest *req = (const void *)msg;
  char err[256];
  caller c;
  (void)ctx, (void)ud;
  int st = admit(call, "gateway registration", req->preferredhostname, &c, err, sizeof(err));
  gw_registration r = {req->realmid, req->iscrossrealm, req->preferredhostname, c.dial,
                       req->gameport, req->healthport};
  gateway *gw;
  if (!st) st = registry_register_gateway(&r, &gw, err, sizeof(err));
  free(c.peer);
  if (st) return fail(call, st, err);
  V1__RegisterGatewayResponse resp = V1__REGISTER_GATEWAY_RESPONSE__INIT;
  resp.id = gw->id;
  API->call_reply(call, &resp.base);
}

typedef struct gateway_query {
  uint32_t realm;
  bool any_realm;
  gateway *least;             /* the least loaded of the realm */
  gateway **found;
  size_t n, cap;
} gateway_query;

static int find_gateways(gateway *gw, void *ud) {
  gateway_query *q = ud;
  if (!q->any_realm && gw->realm_id != q->realm) return 0;
  if (!q->least || gw->active_connections < q->least->active_connections) q->least = gw;
  grow_array((void **)&q->found, &q->cap, q->n + 1, sizeof(gateway *));
  q->found[q->n++] = gw;
  return 0;
}

static void gateways_for_realms(stratus_ctx *ctx, stratus_call *call,
                                const ProtobufCMessage *msg, void *ud) {
  const V1__GatewaysForRealmsRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  V1__Server *items = xcalloc(req->n_realmids + 1, sizeof(*items));
  V1__Server **ptrs = xcalloc(req->n_realmids + 1, sizeof(*ptrs));
  size_t n = 0;
  for (size_t i = 0; i < req->n_realmids; i++) {
    gateway_query q = {.realm = req->realmids[i]};
    registry_state()->gw_each(registry_state(), find_gateways, &q);
    free(q.found);
    if (!q.least) continue;
    v1__server__init(&items[n]);
    items[n].address = q.least->address;
    items[n].realmid = q.least->realm_id;
    items[n].id = q.least->id;
    ptrs[n] = &items[n];
    n++;
  }
  V1__GatewaysForRealmsResponse resp = V1__GATEWAYS_FOR_REALMS_RESPONSE__INIT;
  resp.n_gateways = n;
  resp.gateways = ptrs;
  API->call_reply(call, &resp.base);
  free(ptrs);
  free(items);
}

static void list_gateways(stratus_ctx *ctx, stratus_call *call,
                          const ProtobufCMessage *msg, void *ud) {
  const V1__ListGatewaysForRealmRequest *req = (const void *)msg;
  (void)ctx, (void)ud;
  if (!registry_realm_known(req->realmid))
    return fail(call, STRATUS_GRPC_NOT_FOUND, "realm is not served here");
  gateway_query q = {.realm = req->realmid};
  registry_state()->gw_each(registry_state(), find_gateways, &q);
  V1__GatewayServerDetailed *items = xcalloc(q.n + 1, sizeof(*items));
  V1__GatewayServerDetailed **ptrs = xcalloc(q.n + 1, sizeof(*ptrs));
  for (size_t i = 0; i < q.n; i++) {
    v1__gateway_server_detailed__init(&items[i]);
    items[i].id = q.found[i]->id;
    items[i].address = q.found[i]->address;
    items[i].healthaddress = q.found[i]->health_address;
    items[i].realmid = q.found[i]->realm_id;
    items[i].activeconnections = q.found[i]->active_connections;
    ptrs[i] = &items[i];
  }
  V1__ListGatewaysForRealmResponse resp = V1__LIST_GATEWAYS_FOR_REALM_RESPONSE__INIT;
  resp.n_gateways = q.n;
  resp.gateways = ptrs;
  API->call_reply(call, &resp.base);
  free(ptrs);
  free(items);
  free(q.found);
}

static void register_matchmaking(stratus_ctx *ctx, stratus_call *call,
                                 const ProtobufCMessage *msg, void *ud) {
  const V1__RegisterMatchmakingServerRequest *req = (const void *)msg;
  char err[256];
  caller c;
  (void)ctx, (void)ud;
  mm_server *mm;
  int st = admit(call, "matchmaking registration", req->preferredhostname, &c, err,
                 sizeof(err));
  if (!st)
    st = registry_register_matchmaking(c.host, c.dial, req->serviceport, req->healthport,
                                       req->startedatunixms, &mm, err, sizeof(err));
  free(c.peer);
  if (st) return fail(call, st, err);
  V1__RegisterMatchmakingServerResponse resp = V1__REGISTER_MATCHMAKING_SERVER_RESPONSE__INIT;
  resp.id = mm->id;
  API->call_reply(call, &resp.base);
}

int registry_rpc_register(stratus_ctx *ctx) {
  static const struct {
    const char *name;
    stratus_rpc_handler fn;
  } methods[] = {
      {"RegisterGameServer", register_game_server},
      {"AvailableGameServersForMapAndRealm", available_for_map},
      {"RandomGameServerForRealm", random_for_realm},
      {"ListGameServersForRealm", list_for_realm},
      {"ListAllGameServers", list_all},
      {"GameServerMapsLoaded", maps_loaded},
      {"BindGroupToGameServer", bind_group},
      {"GetMapLayerConfiguration", get_layers},
      {"UpdateMapLayerConfiguration", update_layers},
      {"GetLayerStats", layer_stats},
      {"RegisterGateway", register_gateway},
      {"GatewaysForRealms", gateways_for_realms},
      {"ListGatewaysForRealm", list_gateways},
      {"RegisterMatchmakingServer", register_matchmaking},
  };
  for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
    int rc = API->rpc_register(ctx, &v1__servers_registry_service__descriptor,
                               methods[i].name, methods[i].fn, NULL);
    if (rc) return rc;
  }
  return 0;
}
