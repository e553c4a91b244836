#include "gs_index.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct gs_route {
  bool crossrealm;
  uint32_t realm, map;
  game_server **servers; /* in ID order */
  size_t n, cap;
};

/* What one record is listed under, to unlist it after its maps changed. */
typedef struct listing {
  game_server *gs;
  bool crossrealm;
  uint32_t realm;
  mapset maps;
} listing;

void gs_index_init(gs_index *ix) {
  memset(ix, 0, sizeof(*ix));
  hm_init(&ix->listed);
}

static void listing_free(listing *l) {
  mapset_free(&l->maps);
  free(l);
}

void gs_index_free(gs_index *ix) {
  for (size_t i = 0; i < ix->n; i++) free(ix->routes[i].servers);
  free(ix->routes);
  size_t it = 0;
  void *v;
  while (hm_next(&ix->listed, &it, NULL, &v)) listing_free(v);
  hm_free(&ix->listed);
}

static int route_cmp(const gs_route *r, bool crossrealm, uint32_t realm, uint32_t map) {
  if (r->crossrealm != crossrealm) return r->crossrealm < crossrealm ? -1 : 1;
  if (r->realm != realm) return r->realm < realm ? -1 : 1;
  if (r->map != map) return r->map < map ? -1 : 1;
  return 0;
}

/* Index of the first route >= the key. */
static size_t route_rank(const gs_index *ix, bool crossrealm, uint32_t realm, uint32_t map) {
  size_t lo = 0, hi = ix->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (route_cmp(&ix->routes[mid], crossrealm, realm, map) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static gs_route *route_get(gs_index *ix, bool crossrealm, uint32_t realm, uint32_t map) {
  size_t i = route_rank(ix, crossrealm, realm, map);
  if (i < ix->n && route_cmp(&ix->routes[i], crossrealm, realm, map) == 0)
    return &ix->routes[i];
  grow_array((void **)&ix->routes, &ix->cap, ix->n + 1, sizeof(gs_route));
  memmove(&ix->routes[i + 1], &ix->routes[i], (ix->n - i) * sizeof(gs_route));
  ix->routes[i] = (gs_route){.crossrealm = crossrealm, .realm = realm, .map = map};
  ix->n++;
  return &ix->routes[i];
}

static void route_add(gs_route *r, game_server *gs) {
  size_t i = 0;
  while (i < r->n && strcmp(r->servers[i]->id, gs->id) < 0) i++;
  grow_array((void **)&r->servers, &r->cap, r->n + 1, sizeof(game_server *));
  memmove(&r->servers[i + 1], &r->servers[i], (r->n - i) * sizeof(game_server *));
  r->servers[i] = gs;
  r->n++;
}

/* Empty routes stay: a realm has a bounded set of maps. */
static void route_del(gs_route *r, const game_server *gs) {
  for (size_t i = 0; i < r->n; i++)
    if (r->servers[i] == gs) {
      memmove(&r->servers[i], &r->servers[i + 1], (r->n - i - 1) * sizeof(game_server *));
      r->n--;
      return;
    }
}

static void unlist(gs_index *ix, listing *l) {
  for (size_t i = 0; i < l->maps.n; i++)
    route_del(route_get(ix, l->crossrealm, l->realm, l->maps.ids[i]), l->gs);
}

void gs_index_remove(gs_index *ix, const char *id) {
  listing *l = hm_remove(&ix->listed, id);
  if (!l) return;
  unlist(ix, l);
  listing_free(l);
}

void gs_index_update(gs_index *ix, game_server *gs) {
  gs_index_remove(ix, gs->id);
  listing *l = xcalloc(1, sizeof(*l));
  l->gs = gs;
  l->crossrealm = gs->crossrealm;
  l->realm = gs->crossrealm ? 0 : gs->realm_id;
  /* The rule of registry_can_handle: assigned and no longer pending. */
  for (size_t i = 0; i < gs->assigned.n; i++)
    if (!mapset_has(&gs->pending, gs->assigned.ids[i]))
      mapset_add(&l->maps, gs->assigned.ids[i]);
  for (size_t i = 0; i < l->maps.n; i++)
    route_add(route_get(ix, l->crossrealm, l->realm, l->maps.ids[i]), gs);
  hm_put(&ix->listed, gs->id, l);
}

game_server *const *gs_index_find(const gs_index *ix, uint32_t realm, bool crossrealm,
                                  uint32_t map, size_t *n) {
  if (crossrealm) realm = 0;
  size_t i = route_rank(ix, crossrealm, realm, map);
  if (i < ix->n && route_cmp(&ix->routes[i], crossrealm, realm, map) == 0) {
    *n = ix->routes[i].n;
    return ix->routes[i].servers;
  }
  *n = 0;
  return NULL;
}
