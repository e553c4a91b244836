/*
 * An open-addressing hash map from a 64-bit hash to a pointer: linear
 * probing, power-of-two capacity, at most half full, deletion by backward
 * shift (no tombstones). The map stores values, not keys: a value carries its
 * own key, and lookups pass an `eq` callback to compare it, or NULL when the
 * hash alone identifies the value (hmap_mix64 of a 64-bit key is a
 * bijection, so equal hashes mean equal keys).
 *
 * Part of stratus_plugin_common (used by the characters and realid plugins).
 */
#ifndef STRATUS_PLUGIN_COMMON_HMAP_H
#define STRATUS_PLUGIN_COMMON_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hmap_slot {
  uint64_t hash;
  void *val; /* NULL: empty */
} hmap_slot;

typedef struct hmap {
  hmap_slot *slots;
  size_t cap; /* 0 or a power of two */
  size_t len;
} hmap;

/* true when `val` is the value looked up with `key`. */
typedef bool (*hmap_eq)(const void *val, const void *key);

/* splitmix64's finalizer: a bijection on 64-bit integers. */
static inline uint64_t hmap_mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/* FNV-1a over bytes, seeded, then mixed. */
uint64_t hmap_hash_bytes(uint64_t seed, const void *data, size_t len);

void *hmap_get(const hmap *m, uint64_t hash, hmap_eq eq, const void *key);
/* Adds val (not NULL) under hash; the caller makes sure it is not present.
 * Returns 0 or -1 when memory runs out (the map is unchanged). */
int hmap_put(hmap *m, uint64_t hash, void *val);
/* Removes the value that matches and returns it, or NULL. */
void *hmap_del(hmap *m, uint64_t hash, hmap_eq eq, const void *key);
/* Removes exactly this value (found by pointer). */
bool hmap_del_val(hmap *m, uint64_t hash, const void *val);
void hmap_free(hmap *m);

/* Iterate: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].val) ... */

#endif
