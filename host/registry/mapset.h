/* A sorted set of map IDs. */
#ifndef STRATUS_REGISTRY_MAPSET_H
#define STRATUS_REGISTRY_MAPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mapset {
  uint32_t *ids;
  size_t n, cap;
} mapset;

void mapset_free(mapset *s);
void mapset_clear(mapset *s);
bool mapset_has(const mapset *s, uint32_t id);
void mapset_add(mapset *s, uint32_t id);
bool mapset_remove(mapset *s, uint32_t id);
void mapset_copy(mapset *dst, const mapset *src);
bool mapset_equal(const mapset *a, const mapset *b);
/* Parse "0,1,530" (ToCloud9's availableMaps): skips entries that are not
 * numbers. Returns how many entries were skipped. */
size_t mapset_parse(mapset *s, const char *text);

#endif
