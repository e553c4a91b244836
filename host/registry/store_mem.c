/* The in-memory registry store: hash maps keyed by ID; game servers,
 * gateways and matchmaking servers also keep their IDs in order, so that
 * visiting them (every lookup does) copies a small array instead of sorting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_index.h"
#include "hashmap.h"
#include "store.h"
#include "util.h"

typedef struct layer_list {
  map_layers *items;
  size_t n;
} layer_list;

typedef struct binding {
  char gs_id[16];
  uint64_t expires_ms;
} binding;

/* Record IDs are decimal FNV-1a sums: always shorter than this. */
#define ID_SIZE 16
typedef char record_id[ID_SIZE];

/* Records of one kind by ID, and their IDs in strcmp order. */
typedef struct records {
  hashmap by_id;
  record_id *order;
  size_t n, cap;
} records;

typedef struct mem_store {
  registry_store base;
  records servers, gateways, mms;
  gs_index routes;
  hashmap layers, bindings;
} mem_store;

#define MEM(st) ((mem_store *)(st))

void game_server_free(game_server *gs) {
  if (!gs) return;
  free(gs->address);
  free(gs->health_address);
  free(gs->grpc_address);
  mapset_free(&gs->available);
  mapset_free(&gs->assigned);
  mapset_free(&gs->pending);
  free(gs);
}

void gateway_free(gateway *gw) {
  if (!gw) return;
  free(gw->address);
  free(gw->health_address);
  free(gw);
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

game_server *game_server_clone(const game_server *gs) {
  game_server *c = xcalloc(1, sizeof(*c));
  *c = *gs;
  c->address = dup_or_null(gs->address);
  c->health_address = dup_or_null(gs->health_address);
  c->grpc_address = dup_or_null(gs->grpc_address);
  memset(&c->available, 0, sizeof(mapset));
  memset(&c->assigned, 0, sizeof(mapset));
  memset(&c->pending, 0, sizeof(mapset));
  mapset_copy(&c->available, &gs->available);
  mapset_copy(&c->assigned, &gs->assigned);
  mapset_copy(&c->pending, &gs->pending);
  memset(&c->health, 0, sizeof(c->health));
  return c;
}

gateway *gateway_clone(const gateway *gw) {
  gateway *c = xcalloc(1, sizeof(*c));
  *c = *gw;
  c->address = dup_or_null(gw->address);
  c->health_address = dup_or_null(gw->health_address);
  memset(&c->health, 0, sizeof(c->health));
  return c;
}

void mm_server_free(mm_server *mm) {
  if (!mm) return;
  free(mm->address);
  free(mm->health_address);
  free(mm);
}

/* ---- generic helpers over hash maps and the three record kinds ---------- */

static void put(hashmap *m, const char *id, void *rec, void (*free_fn)(void *)) {
  void *old = hm_put(m, id, rec);
  if (old && old != rec) free_fn(old);
}

static void del(hashmap *m, const char *id, void (*free_fn)(void *)) {
  void *old = hm_remove(m, id);
  if (old) free_fn(old);
}

/* Index of the first ID in order that is >= id. */
static size_t rank(const records *r, const char *id) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (strcmp(r->order[mid], id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void rec_put(records *r, const char *id, void *rec, void (*free_fn)(void *)) {
  void *old = hm_put(&r->by_id, id, rec);
  if (old) {
    if (old != rec) free_fn(old);
    return;
  }
  size_t i = rank(r, id);
  grow_array((void **)&r->order, &r->cap, r->n + 1, sizeof(record_id));
  memmove(&r->order[i + 1], &r->order[i], (r->n - i) * sizeof(record_id));
  snprintf(r->order[i], ID_SIZE, "%s", id);
  r->n++;
}

static void rec_del(records *r, const char *id, void (*free_fn)(void *)) {
  void *old = hm_remove(&r->by_id, id);
  if (!old) return;
  size_t i = rank(r, id);
  memmove(&r->order[i], &r->order[i + 1], (r->n - i - 1) * sizeof(record_id));
  r->n--;
  free_fn(old);
}

/* Visits a copy of the IDs, in ID order, so fn may add or remove records. */
static void each(records *r, int (*fn)(void *rec, void *ud), void *ud) {
  size_t n = r->n;
  if (n == 0) return;
  record_id *ids = xcalloc(n, sizeof(record_id));
  memcpy(ids, r->order, n * sizeof(record_id));
  for (size_t i = 0; i < n; i++) {
    void *rec = hm_get(&r->by_id, ids[i]);
    if (rec && fn(rec, ud)) break;
  }
  free(ids);
}

static void free_gs(void *p) { game_server_free(p); }
static void free_gw(void *p) { gateway_free(p); }
static void free_mm(void *p) { mm_server_free(p); }

static game_server *gs_find(registry_store *st, const char *id) { return hm_get(&MEM(st)->servers.by_id, id); }
static void gs_put(registry_store *st, game_server *gs) {
  rec_put(&MEM(st)->servers, gs->id, gs, free_gs);
  gs_index_update(&MEM(st)->routes, gs);
}
static void gs_remove(registry_store *st, const char *id) {
  gs_index_remove(&MEM(st)->routes, id);
  rec_del(&MEM(st)->servers, id, free_gs);
}
static game_server *const *gs_for_map(registry_store *st, uint32_t realm, bool crossrealm,
                                      uint32_t map, size_t *n) {
  return gs_index_find(&MEM(st)->routes, realm, crossrealm, map, n);
}
static void gs_each(registry_store *st, int (*fn)(game_server *, void *), void *ud) {
  each(&MEM(st)->servers, (int (*)(void *, void *))fn, ud);
}

static gateway *gw_find(registry_store *st, const char *id) { return hm_get(&MEM(st)->gateways.by_id, id); }
static void gw_put(registry_store *st, gateway *gw) { rec_put(&MEM(st)->gateways, gw->id, gw, free_gw); }
static void gw_remove(registry_store *st, const char *id) { rec_del(&MEM(st)->gateways, id, free_gw); }
static void gw_each(registry_store *st, int (*fn)(gateway *, void *), void *ud) {
  each(&MEM(st)->gateways, (int (*)(void *, void *))fn, ud);
}

static mm_server *mm_find(registry_store *st, const char *id) { return hm_get(&MEM(st)->mms.by_id, id); }
static void mm_put(registry_store *st, mm_server *mm) { rec_put(&MEM(st)->mms, mm->id, mm, free_mm); }
static void mm_remove(registry_store *st, const char *id) { rec_del(&MEM(st)->mms, id, free_mm); }
static void mm_each(registry_store *st, int (*fn)(mm_server *, void *), void *ud) {
  each(&MEM(st)->mms, (int (*)(void *, void *))fn, ud);
}

/* ---- layers and bindings ------------------------------------------------ */

static const map_layers *layers_get(registry_store *st, uint32_t realm, size_t *n) {
  char key[16];
  snprintf(key, sizeof(key), "%u", realm);
  layer_list *l = hm_get(&MEM(st)->layers, key);
  *n = l ? l->n : 0;
  return l ? l->items : NULL;
}

static int cmp_layer(const void *a, const void *b) {
  const map_layers *x = a, *y = b;
  return x->map < y->map ? -1 : x->map > y->map;
}

static void free_layers(void *p) {
  layer_list *l = p;
  free(l->items);
  free(l);
}

static void layers_set(registry_store *st, uint32_t realm, const map_layers *items, size_t n) {
  char key[16];
  snprintf(key, sizeof(key), "%u", realm);
  layer_list *l = xcalloc(1, sizeof(*l));
  l->items = xcalloc(n + 1, sizeof(map_layers));
  memcpy(l->items, items, n * sizeof(map_layers));
  l->n = n;
  qsort(l->items, n, sizeof(map_layers), cmp_layer);
  put(&MEM(st)->layers, key, l, free_layers);
}

static void binding_key(char *key, size_t len, uint32_t realm, uint32_t group, uint32_t map) {
  snprintf(key, len, "%u:%u:%u", realm, group, map);
}

static const char *binding_get(registry_store *st, uint32_t realm, uint32_t group,
                               uint32_t map, uint64_t now_ms) {
  char key[48];
  binding_key(key, sizeof(key), realm, group, map);
  binding *b = hm_get(&MEM(st)->bindings, key);
  if (!b) return NULL;
  if (b->expires_ms <= now_ms) {
    del(&MEM(st)->bindings, key, free);
    return NULL;
  }
  return b->gs_id;
}

static void binding_set(registry_store *st, uint32_t realm, uint32_t group, uint32_t map,
                        const char *gs_id, uint64_t expires_ms) {
  char key[48];
  binding_key(key, sizeof(key), realm, group, map);
  binding *b = xcalloc(1, sizeof(*b));
  snprintf(b->gs_id, sizeof(b->gs_id), "%s", gs_id);
  b->expires_ms = expires_ms;
  put(&MEM(st)->bindings, key, b, free);
}

static void free_all(hashmap *m, void (*free_fn)(void *)) {
  size_t it = 0;
  void *v;
  while (hm_next(m, &it, NULL, &v)) free_fn(v);
  hm_free(m);
}

static void free_records(records *r, void (*free_fn)(void *)) {
  free_all(&r->by_id, free_fn);
  free(r->order);
}

static void destroy(registry_store *st) {
  mem_store *m = MEM(st);
  gs_index_free(&m->routes);
  free_records(&m->servers, free_gs);
  free_records(&m->gateways, free_gw);
  free_records(&m->mms, free_mm);
  free_all(&m->layers, free_layers);
  free_all(&m->bindings, free);
  free(m);
}

registry_store *registry_store_memory(void) {
  mem_store *m = xcalloc(1, sizeof(*m));
  m->base = (registry_store){
      .destroy = destroy,         .gs_find = gs_find,         .gs_put = gs_put,
      .gs_remove = gs_remove,     .gs_each = gs_each,         .gs_for_map = gs_for_map,
      .gw_find = gw_find,         .gw_put = gw_put,           .gw_remove = gw_remove,
      .gw_each = gw_each,         .mm_find = mm_find,         .mm_put = mm_put,
      .mm_remove = mm_remove,     .mm_each = mm_each,         .layers_get = layers_get,
      .layers_set = layers_set,   .binding_get = binding_get, .binding_set = binding_set};
  hm_init(&m->servers.by_id);
  gs_index_init(&m->routes);
  hm_init(&m->gateways.by_id);
  hm_init(&m->mms.by_id);
  hm_init(&m->layers);
  hm_init(&m->bindings);
  return &m->base;
}
