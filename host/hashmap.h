/* A string-keyed hash map (open addressing, linear probing). Keys are
 * copied; values are the caller's. Not thread-safe. */
#ifndef STRATUS_HOST_HASHMAP_H
#define STRATUS_HOST_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hm_slot {
  char *key;   /* NULL: empty; HM_TOMBSTONE: deleted */
  uint64_t hash;
  void *value;
} hm_slot;

typedef struct hashmap {
  hm_slot *slots;
  size_t cap;  /* power of two */
  size_t len;  /* live keys */
  size_t used; /* live keys + tombstones */
} hashmap;

void hm_init(hashmap *m);
void hm_free(hashmap *m); /* frees keys, not values */
void *hm_get(const hashmap *m, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void *hm_put(hashmap *m, const char *key, void *value);
void *hm_remove(hashmap *m, const char *key);
size_t hm_len(const hashmap *m);

/* Iterate: for (size_t i = 0; hm_next(m, &i, &k, &v);) */
bool hm_next(const hashmap *m, size_t *iter, const char **key, void **value);

uint64_t hash_bytes(const void *data, size_t len);

#endif
