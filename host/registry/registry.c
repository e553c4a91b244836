#include "registry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "rpc.h"
#include "stratusd.h"
#include "util.h"

typedef struct registry {
  registry_store *store;
  uint32_t *realms;
  size_t nrealms;
  map_weight *weights;
  size_t nweights;
  int64_t binding_ttl_ms;
  bool crossrealm;
} registry;

static registry R;

registry_store *registry_state(void) { return R.store; }

void registry_store_open(void) {
  if (!R.store) R.store = registry_store_memory();
}

void registry_store_close(void) {
  if (R.store) R.store->destroy(R.store);
  free(R.realms);
  free(R.weights);
  memset(&R, 0, sizeof(R));
}
uint64_t registry_now_ms(void) { return uv_now(stratusd.loop); }

bool registry_realm_known(uint32_t realm) {
  for (size_t i = 0; i < R.nrealms; i++)
    if (R.realms[i] == realm) return true;
  return false;
}

/* ---- settings from [discovery] ------------------------------------------ */

static void load_realms(const discovery_section *d) {
  free(R.realms);
  R.nrealms = 0;
  size_t n = 0;
  while (d->realms[n]) n++;
  R.realms = xcalloc(n + 1, sizeof(uint32_t));
  for (size_t i = 0; i < n; i++)
    if (parse_u32(d->realms[i], &R.realms[R.nrealms])) R.nrealms++;
}

static void load_weights(const discovery_section *d) {
  size_t extra = 0;
  while (d->map_weights[extra]) extra++;
  free(R.weights);
  R.weights = xcalloc(default_map_weight_count + extra + 1, sizeof(map_weight));
  memcpy(R.weights, default_map_weights, default_map_weight_count * sizeof(map_weight));
  R.nweights = default_map_weight_count;
  for (size_t i = 0; i < extra; i++) {
    map_weight w;
    if (!parse_u32_pair(d->map_weights[i], &w.map, &w.weight)) continue;
    size_t j = 0;
    while (j < R.nweights && R.weights[j].map != w.map) j++;
    R.weights[j] = w;
    if (j == R.nweights) R.nweights++;
  }
}

void registry_settings(const discovery_section *d) {
  load_realms(d);
  load_weights(d);
  R.binding_ttl_ms = d->binding_ttl_ms;
  R.crossrealm = d->crossrealm;
}

/* ---- map assignment ------------------------------------------------------- */

typedef struct partition {
  uint32_t realm;
  bool crossrealm;
  game_server **servers;
  size_t n, cap;
} partition;

static int collect(game_server *gs, void *ud) {
  partition *p = ud;
  if (gs->crossrealm != p->crossrealm || (!p->crossrealm && gs->realm_id != p->realm))
    return 0;
  grow_array((void **)&p->servers, &p->cap, p->n + 1, sizeof(game_server *));
  p->servers[p->n++] = gs;
  return 0;
}

static void partition_of(partition *p, uint32_t realm, bool crossrealm) {
  memset(p, 0, sizeof(*p));
  p->realm = realm;
  p->crossrealm = crossrealm;
  R.store->gs_each(R.store, collect, p);
}

const map_layers *registry_layers(uint32_t realm, size_t *n) {
  return R.store->layers_get(R.store, realm, n);
}

/* Reassign the maps of one realm (or of the crossrealm servers) and announce
 * the result. Crossrealm servers use the layer settings of realm 0. */
void registry_redistribute(uint32_t realm, bool crossrealm) {
  partition p;
  partition_of(&p, crossrealm ? 0 : realm, crossrealm);
  if (p.n == 0) return;
  assign_server *as = xcalloc(p.n, sizeof(*as));
  mapset *old = xcalloc(p.n, sizeof(*old));
  for (size_t i = 0; i < p.n; i++) {
    game_server *gs = p.servers[i];
    mapset_copy(&old[i], &gs->assigned);
    as[i] = (assign_server){.id = gs->id, .available = &gs->available,
                            .is_new = !gs->ever_assigned,
                            .old_assigned = &gs->assigned, .old_pending = &gs->pending};
  }
  size_t nl;
  const map_layers *layers = registry_layers(crossrealm ? 0 : realm, &nl);
  map_assign(as, p.n, R.weights, R.nweights, layers, nl);
  for (size_t i = 0; i < p.n; i++) {
    game_server *gs = p.servers[i];
    mapset_copy(&gs->assigned, &as[i].assigned);
    mapset_copy(&gs->pending, &as[i].pending);
    gs->ever_assigned = true;
    mapset_free(&as[i].assigned);
    mapset_free(&as[i].pending);
    R.store->gs_put(R.store, gs);
  }
  registry_event_reassigned(p.servers, old, p.n);
  for (size_t i = 0; i < p.n; i++) mapset_free(&old[i]);
  free(old);
  free(as);
  free(p.servers);
}

/* ---- game servers --------------------------------------------------------- */

static int check_port(const char *what, uint32_t port, char *err, size_t errlen) {
  if (port >= 1 && port <= 65535) return STRATUS_GRPC_OK;
  snprintf(err, errlen, "%s %u is not a TCP port (1..65535)", what, port);
  return STRATUS_GRPC_INVALID_ARGUMENT;
}

int registry_check_host(const char *host, char *err, size_t errlen) {
  size_t n = strlen(host);
  bool ok = n > 0 && n <= 253;
  for (size_t i = 0; ok && i < n; i++)
    ok = isalnum((unsigned char)host[i]) || strchr(".-_:[]", host[i]);
  if (ok) return STRATUS_GRPC_OK;
  snprintf(err, errlen, "'%.64s' is not a host name or IP address", host);
  return STRATUS_GRPC_INVALID_ARGUMENT;
}

static int check_realm(uint32_t realm, bool crossrealm, char *err, size_t errlen) {
  if (crossrealm && !R.crossrealm) {
    snprintf(err, errlen, "crossrealm servers are not accepted ([discovery] crossrealm = no)");
    return STRATUS_GRPC_FAILED_PRECONDITION;
  }
  if (crossrealm || registry_realm_known(realm)) return STRATUS_GRPC_OK;
  snprintf(err, errlen, "realm %u is not served here (see [discovery] realms)", realm);
  return STRATUS_GRPC_NOT_FOUND;
}

/* Entries of a map list ("0,1, 530"), counted before it is parsed. */
static size_t list_entries(const char *text) {
  size_t n = 0;
  for (const char *p = text ? text : ""; *p; p++)
    if (*p != ',' && *p != ' ' && (p == text || p[-1] == ',' || p[-1] == ' ')) n++;
  return n;
}

static int check_gs(const gs_registration *r, mapset *maps, char *err, size_t errlen) {
  int st = check_realm(r->realm_id, r->crossrealm, err, errlen);
  if (!st) st = registry_check_host(r->host, err, errlen);
  if (!st) st = check_port("gamePort", r->game_port, err, errlen);
  if (!st) st = check_port("healthPort", r->health_port, err, errlen);
  if (!st) st = check_port("grpcPort", r->grpc_port, err, errlen);
  if (!st && list_entries(r->available_maps) > REGISTRY_MAX_MAPS) {
    snprintf(err, errlen, "availableMaps lists more than %d maps", REGISTRY_MAX_MAPS);
    st = STRATUS_GRPC_INVALID_ARGUMENT;
  }
  if (!st && mapset_parse(maps, r->available_maps) > 0) {
    snprintf(err, errlen, "availableMaps '%.100s' holds something that is not a map ID",
             r->available_maps);
    st = STRATUS_GRPC_INVALID_ARGUMENT;
  }
  return st;
}

static game_server *new_game_server(const char *id, char *address) {
  game_server *gs = xcalloc(1, sizeof(*gs));
  snprintf(gs->id, sizeof(gs->id), "%s", id);
  gs->address = address;
  registry_alias(address, gs->alias, sizeof(gs->alias));
  return gs;
}

int registry_register_game_server(const gs_registration *r, game_server **out,
                                  char *err, size_t errlen) {
  mapset maps = {0};
  int st = check_gs(r, &maps, err, errlen);
  char *address = st ? NULL : registry_host_port(r->host, r->game_port);
  char id[16] = "";
  if (address) registry_id(address, id, sizeof(id));
  game_server *gs = address ? R.store->gs_find(R.store, id) : NULL;
  if (gs && (gs->realm_id != r->realm_id || gs->crossrealm != r->crossrealm)) {
    snprintf(err, errlen, "%s is already registered as game server %s of %s %u",
             address, id, gs->crossrealm ? "crossrealm, realm" : "realm", gs->realm_id);
    st = STRATUS_GRPC_ALREADY_EXISTS;
  }
  if (st) {
    free(address);
    mapset_free(&maps);
    return st;
  }
  bool again = gs != NULL;
  if (!gs) gs = new_game_server(id, address);
  else free(address);
  free(gs->health_address);
  free(gs->grpc_address);
  gs->health_address = registry_host_port(r->dial_host, r->health_port);
  gs->grpc_address = registry_host_port(r->dial_host, r->grpc_port);
  gs->realm_id = r->realm_id;
  gs->crossrealm = r->crossrealm;
  mapset_copy(&gs->available, &maps);
  mapset_free(&maps);
  memset(&gs->health, 0, sizeof(gs->health));
  gs->health.seq = health_next_seq();
  R.store->gs_put(R.store, gs);
  suspects_forget(gs->id);
  log_info("game server %s (%s, %s) %s for %s %u, maps %s", gs->id, gs->address,
           gs->alias, again ? "registered again" : "registered",
           gs->crossrealm ? "crossrealm, realm" : "realm", gs->realm_id,
           gs->available.n ? r->available_maps : "all");
  registry_redistribute(gs->realm_id, gs->crossrealm);
  mapset none = {0};
  registry_event_gs("sr.gs.added", 4, gs, &none, &gs->assigned);
  *out = gs;
  return STRATUS_GRPC_OK;
}

bool registry_readmit_game_server(game_server *gs) {
  char err[256];
  if (R.store->gs_find(R.store, gs->id) ||
      check_realm(gs->realm_id, gs->crossrealm, err, sizeof(err)) != STRATUS_GRPC_OK) {
    log_info("game server %s answers again but its ID or realm is taken or gone: not "
             "re-admitted", gs->id);
    return false;
  }
  /* The sidecar never heard of its eviction: it still holds the maps it had,
   * so they are its old assignment and only newly gained ones go pending. */
  gs->health = (health_state){.seq = health_next_seq()};
  gs->ever_assigned = true;
  R.store->gs_put(R.store, gs);
  log_info("game server %s (%s) answers again: re-admitted for %s %u", gs->id, gs->address,
           gs->crossrealm ? "crossrealm, realm" : "realm", gs->realm_id);
  registry_redistribute(gs->realm_id, gs->crossrealm);
  mapset none = {0};
  registry_event_gs("sr.gs.added", 4, gs, &none, &gs->assigned);
  return true;
}

void registry_remove_game_server(game_server *gs, const char *why) {
  uint32_t realm = gs->realm_id;
  bool crossrealm = gs->crossrealm;
  log_warn("game server %s (%s) removed: %s; its maps are reassigned", gs->id,
           gs->address, why);
  registry_event_gs("sr.gs.removed", 5, gs, &gs->assigned, &gs->assigned);
  R.store->gs_remove(R.store, gs->id);
  registry_redistribute(realm, crossrealm);
}

int registry_maps_loaded(const char *id, const uint32_t *maps, size_t n, char *err,
                         size_t errlen) {
  game_server *gs = R.store->gs_find(R.store, id ? id : "");
  if (!gs) {
    snprintf(err, errlen, "no game server with ID '%.32s' is registered", id ? id : "");
    return STRATUS_GRPC_NOT_FOUND;
  }
  for (size_t i = 0; i < n; i++) mapset_remove(&gs->pending, maps[i]);
  R.store->gs_put(R.store, gs);
  return STRATUS_GRPC_OK;
}

bool registry_can_handle(const game_server *gs, uint32_t map) {
  return mapset_has(&gs->assigned, map) && !mapset_has(&gs->pending, map);
}

void registry_touch_binding(uint32_t realm, uint32_t group, uint32_t map,
                            const char *gs_id) {
  R.store->binding_set(R.store, realm, group, map, gs_id,
                       registry_now_ms() + (uint64_t)R.binding_ttl_ms);
}

int registry_set_layers(uint32_t realm, const map_layers *l, size_t n, char *err,
                        size_t errlen) {
  if (!registry_realm_known(realm) && realm != 0) {
    snprintf(err, errlen, "realm %u is not served here (see [discovery] realms)", realm);
    return STRATUS_GRPC_NOT_FOUND;
  }
  if (n > REGISTRY_MAX_MAPS) {
    snprintf(err, errlen, "more than %d maps in one layer configuration", REGISTRY_MAX_MAPS);
    return STRATUS_GRPC_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < n; i++) {
    if (l[i].layers == 0) {
      snprintf(err, errlen, "map %u: layerCount must be > 0", l[i].map);
      return STRATUS_GRPC_INVALID_ARGUMENT;
    }
    for (size_t j = 0; j < i; j++)
      if (l[j].map == l[i].map) {
        snprintf(err, errlen, "map %u is listed twice", l[i].map);
        return STRATUS_GRPC_INVALID_ARGUMENT;
      }
  }
  R.store->layers_set(R.store, realm, l, n);
  registry_redistribute(realm, false);
  if (realm == 0) registry_redistribute(0, true);
  return STRATUS_GRPC_OK;
}
