/*
 * Map assignment for one realm (or for the crossrealm servers): which game
 * server handles which map.
 *  1. A server with an explicit map list gets exactly that list; those maps
 *     leave the weighted pool.
 *  2. Servers that take "all maps" share the rest of the weighted pool by
 *     first-fit-decreasing bin packing (capacity ceil(total/N); a map heavier
 *     than that is clamped; surplus bins go round-robin), deterministically:
 *     maps by weight then ID, servers by ID.
 *  3. A map configured with N >= 2 layers goes to N distinct servers able to
 *     host it: first the servers that list it explicitly, then all-map
 *     servers, each time the one with the fewest maps (ties: smaller ID).
 *  4. A server that had an assignment before gets the maps it newly gained
 *     as pending (not routable until GameServerMapsLoaded); maps still
 *     pending stay pending. A new server's maps are routable at once.
 */
#ifndef STRATUS_REGISTRY_MAPASSIGN_H
#define STRATUS_REGISTRY_MAPASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapset.h"

typedef struct assign_server {
  const char *id;
  const mapset *available;  /* explicit list; NULL or empty = all maps */
  bool is_new;              /* had no assignment before */
  const mapset *old_assigned, *old_pending; /* may be NULL when is_new */
  mapset assigned, pending; /* results (the caller frees them) */
} assign_server;

typedef struct map_weight {
  uint32_t map, weight;
} map_weight;

typedef struct map_layers {
  uint32_t map, layers;
} map_layers;

void map_assign(assign_server *servers, size_t n, const map_weight *weights,
                size_t nweights, const map_layers *layers, size_t nlayers);

/* The default weights: continents heavy, instances, battlegrounds and arenas
 * of 3.3.5a light. */
extern const map_weight default_map_weights[];
extern const size_t default_map_weight_count;

#endif
