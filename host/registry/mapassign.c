#include "mapassign.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool takes_all(const assign_server *s) {
  return !s->available || s->available->n == 0;
}

static bool can_host(const assign_server *s, uint32_t map) {
  return takes_all(s) || mapset_has(s->available, map);
}

static int cmp_server_id(const void *a, const void *b) {
  return strcmp((*(assign_server *const *)a)->id, (*(assign_server *const *)b)->id);
}

static int cmp_weight_desc(const void *a, const void *b) {
  const map_weight *x = a, *y = b;
  if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
  return x->map < y->map ? -1 : x->map > y->map;
}

/* Servers sorted by ID, all-maps ones collected separately. */
static assign_server **sorted(assign_server *servers, size_t n) {
  assign_server **order = xcalloc(n + 1, sizeof(*order));
  for (size_t i = 0; i < n; i++) order[i] = &servers[i];
  qsort(order, n, sizeof(*order), cmp_server_id);
  return order;
}

/* The weighted maps no explicit list claims, heaviest first. */
static map_weight *pool_of(assign_server **order, size_t n, const map_weight *w,
                           size_t nw, size_t *npool) {
  map_weight *pool = xcalloc(nw + 1, sizeof(*pool));
  *npool = 0;
  for (size_t i = 0; i < nw; i++) {
    bool claimed = false;
    for (size_t j = 0; j < n && !claimed; j++)
      claimed = !takes_all(order[j]) && mapset_has(order[j]->available, w[i].map);
    if (!claimed) pool[(*npool)++] = w[i];
  }
  qsort(pool, *npool, sizeof(*pool), cmp_weight_desc);
  return pool;
}

static void bin_pack(assign_server **all, size_t nall, map_weight *pool, size_t npool) {
  uint64_t total = 0;
  for (size_t i = 0; i < npool; i++) total += pool[i].weight;
  uint64_t cap = (total + nall - 1) / nall;
  uint64_t *load = xcalloc(npool + 1, sizeof(uint64_t));
  size_t nbins = 0;
  for (size_t i = 0; i < npool; i++) {
    uint64_t w = pool[i].weight < cap ? pool[i].weight : cap;
    size_t b = 0;
    while (b < nbins && load[b] + w > cap) b++;
    if (b == nbins) nbins++;
    load[b] += w;
    mapset_add(&all[b % nall]->assigned, pool[i].map); /* surplus: round-robin */
  }
  free(load);
}

static void share_pool(assign_server **order, size_t n, const map_weight *w, size_t nw) {
  assign_server **all = xcalloc(n + 1, sizeof(*all));
  size_t nall = 0, npool;
  for (size_t i = 0; i < n; i++)
    if (takes_all(order[i])) all[nall++] = order[i];
  map_weight *pool = pool_of(order, n, w, nw, &npool);
  if (nall > 0 && npool > 0) bin_pack(all, nall, pool, npool);
  free(pool);
  free(all);
}

/* The capable server with the fewest maps that has not got `map` yet;
 * servers that list the map explicitly come before all-map servers, so a
 * layered map stays where an operator put it. */
static assign_server *least_loaded(assign_server **order, size_t n, uint32_t map) {
  assign_server *best = NULL;
  for (int pass = 0; pass < 2 && !best; pass++) {
    for (size_t i = 0; i < n; i++) {
      assign_server *s = order[i];
      if (takes_all(s) != (pass == 1) || !can_host(s, map) || mapset_has(&s->assigned, map))
        continue;
      if (!best || s->assigned.n < best->assigned.n) best = s; /* ID order breaks ties */
    }
  }
  return best;
}

static void apply_layers(assign_server **order, size_t n, const map_layers *l, size_t nl) {
  for (size_t i = 0; i < nl; i++) {
    if (l[i].layers < 2) continue;
    for (size_t j = 0; j < n; j++) mapset_remove(&order[j]->assigned, l[i].map);
    for (uint32_t k = 0; k < l[i].layers; k++) {
      assign_server *s = least_loaded(order, n, l[i].map);
      if (!s) break;
      mapset_add(&s->assigned, l[i].map);
    }
  }
}

static void mark_pending(assign_server *s) {
  mapset_clear(&s->pending);
  if (s->is_new) return;
  for (size_t i = 0; i < s->assigned.n; i++) {
    uint32_t m = s->assigned.ids[i];
    bool gained = !s->old_assigned || !mapset_has(s->old_assigned, m);
    bool still = s->old_pending && mapset_has(s->old_pending, m);
    if (gained || still) mapset_add(&s->pending, m);
  }
}

void map_assign(assign_server *servers, size_t n, const map_weight *weights,
                size_t nweights, const map_layers *layers, size_t nlayers) {
  assign_server **order = sorted(servers, n);
  for (size_t i = 0; i < n; i++) {
    mapset_clear(&order[i]->assigned);
    if (!takes_all(order[i])) mapset_copy(&order[i]->assigned, order[i]->available);
  }
  share_pool(order, n, weights, nweights);
  apply_layers(order, n, layers, nlayers);
  for (size_t i = 0; i < n; i++) mark_pending(order[i]);
  free(order);
}
