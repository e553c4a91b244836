/*
 * The in-memory store's (realm, map) index: for each realm and map, the game
 * servers that take the map now (assigned and not pending), as record
 * pointers in ID order; the crossrealm servers are listed apart. Lookups cost
 * one binary search over the routes and no string work; the index is
 * rebuilt for one record whenever the store commits or removes it.
 */
#ifndef STRATUS_REGISTRY_GS_INDEX_H
#define STRATUS_REGISTRY_GS_INDEX_H

#include "hashmap.h"
#include "store.h"

typedef struct gs_route gs_route;

typedef struct gs_index {
  gs_route *routes; /* sorted by (crossrealm, realm, map) */
  size_t n, cap;
  hashmap listed;   /* record ID -> where it is listed now */
} gs_index;

void gs_index_init(gs_index *ix);
void gs_index_free(gs_index *ix);
/* List gs under the maps it takes now, replacing any earlier listing of its
 * ID (which may have been another record with the same ID). */
void gs_index_update(gs_index *ix, game_server *gs);
void gs_index_remove(gs_index *ix, const char *id);
/* The servers of (realm, map), or the crossrealm ones of map (realm is then
 * ignored). Valid until the next update or remove. */
game_server *const *gs_index_find(const gs_index *ix, uint32_t realm, bool crossrealm,
                                  uint32_t map, size_t *n);

#endif
