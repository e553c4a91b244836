/*
 * Where players go. A realm's map may be served by several layers; a lookup
 * returns one game server: the preferred one if asked (.tc9 ws switch), the
 * group's bound layer if it still serves the map, else the least loaded.
 * Degraded servers take no new players; if that leaves no candidate while
 * the map's owner is degraded, the healthy all-map servers stand in.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "log.h"
#include "registry.h"
#include "util.h"

typedef struct candidates {
  uint32_t realm, map;
  bool explicit_owner;  /* a server that lists the map explicitly can take it */
  bool owner_degraded;  /* a server handling the map is degraded */
  game_server **list;
  size_t n, cap;
  game_server *local[16];
} candidates;

/* Candidates live in a caller's array unless they outgrow it. */
static void add(candidates *c, game_server *gs) {
  if (c->n == c->cap) {
    game_server **grown = xcalloc(c->cap * 2, sizeof(game_server *));
    memcpy(grown, c->list, c->n * sizeof(game_server *));
    if (c->list != c->local) free(c->list);
    c->list = grown;
    c->cap *= 2;
  }
  c->list[c->n++] = gs;
}

/* gs takes the map (it comes from the index); degraded ones are counted. */
static void gather(candidates *c, game_server *gs) {
  if (gs->health.degraded) {
    c->owner_degraded = true;
    return;
  }
  if (gs->available.n) c->explicit_owner = true;
  add(c, gs);
}

/* Explicit owners that admit players win over all-map servers. */
static void keep_explicit_owners(candidates *c) {
  if (!c->explicit_owner) return;
  size_t k = 0;
  for (size_t i = 0; i < c->n; i++)
    if (c->list[i]->available.n) c->list[k++] = c->list[i];
  c->n = k;
}

static game_server *least_loaded(game_server **list, size_t n) {
  game_server *best = NULL;
  for (size_t i = 0; i < n; i++)
    if (!best || list[i]->active_connections < best->active_connections)
      best = list[i]; /* list is in ID order: ties go to the smaller ID */
  return best;
}

static int gather_fallback(game_server *gs, void *ud) {
  candidates *c = ud;
  if (!gs->crossrealm && gs->realm_id == c->realm && !gs->health.degraded &&
      gs->available.n == 0)
    add(c, gs);
  return 0;
}

static game_server *fallback(candidates *c) {
  registry_store *st = registry_state();
  c->n = 0;
  st->gs_each(st, gather_fallback, c);
  game_server *gs = least_loaded(c->list, c->n);
  if (gs)
    log_warn("map %u of realm %u: its owner is degraded; placing on all-map server %s",
             c->map, c->realm, gs->id);
  return gs;
}

static game_server *preferred_match(candidates *c, const char *preferred) {
  for (size_t i = 0; i < c->n; i++)
    if (strcasecmp(c->list[i]->alias, preferred) == 0 ||
        strcasecmp(c->list[i]->address, preferred) == 0)
      return c->list[i];
  return NULL;
}

static game_server *bound_or_bind(candidates *c, uint32_t group) {
  registry_store *st = registry_state();
  uint64_t now = registry_now_ms();
  const char *bound = st->binding_get(st, c->realm, group, c->map, now);
  for (size_t i = 0; bound && i < c->n; i++)
    if (strcmp(c->list[i]->id, bound) == 0) {
      registry_touch_binding(c->realm, group, c->map, c->list[i]->id);
      return c->list[i];
    }
  game_server *gs = least_loaded(c->list, c->n);
  if (gs) registry_touch_binding(c->realm, group, c->map, gs->id);
  return gs;
}

static game_server *choose(candidates *c, uint32_t group, const char *preferred) {
  if (preferred && *preferred) return preferred_match(c, preferred);
  if (c->n == 0) return c->owner_degraded ? fallback(c) : NULL;
  if (group == 0) return least_loaded(c->list, c->n);
  return bound_or_bind(c, group);
}

game_server *registry_place(uint32_t realm, uint32_t map, uint32_t group,
                            const char *preferred) {
  candidates c = {.realm = realm, .map = map};
  c.list = c.local;
  c.cap = ARRAY_LEN(c.local);
  registry_store *st = registry_state();
  size_t n;
  game_server *const *servers = st->gs_for_map(st, realm, false, map, &n);
  for (size_t i = 0; i < n; i++) gather(&c, servers[i]);
  keep_explicit_owners(&c);
  game_server *gs = choose(&c, group, preferred);
  if (c.list != c.local) free(c.list);
  return gs;
}

size_t registry_crossrealm_for_map(uint32_t map, game_server **out, size_t cap) {
  registry_store *st = registry_state();
  size_t n, found = 0;
  game_server *const *servers = st->gs_for_map(st, 0, true, map, &n);
  for (size_t i = 0; i < n && found < cap; i++)
    if (!servers[i]->health.degraded) out[found++] = servers[i];
  return found;
}

int registry_bind_group(uint32_t realm, uint32_t group, uint32_t map,
                        const char *gs_id, char *err, size_t errlen) {
  registry_store *st = registry_state();
  game_server *gs = st->gs_find(st, gs_id ? gs_id : "");
  if (!registry_realm_known(realm)) {
    snprintf(err, errlen, "realm %u is not served here (see [discovery] realms)", realm);
    return STRATUS_GRPC_NOT_FOUND;
  }
  if (!gs) {
    snprintf(err, errlen, "no game server with ID '%.32s' is registered", gs_id ? gs_id : "");
    return STRATUS_GRPC_NOT_FOUND;
  }
  if (gs->realm_id != realm || gs->crossrealm || !registry_can_handle(gs, map) ||
      gs->health.degraded) {
    snprintf(err, errlen, "game server %s cannot take map %u of realm %u now", gs->id,
             map, realm);
    return STRATUS_GRPC_FAILED_PRECONDITION;
  }
  registry_touch_binding(realm, group, map, gs->id);
  return STRATUS_GRPC_OK;
}
