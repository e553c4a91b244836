#include "hmap.h"

#include <stdlib.h>

uint64_t hmap_hash_bytes(uint64_t seed, const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL ^ hmap_mix64(seed);
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return hmap_mix64(h);
}

static bool matches(const hmap_slot *s, uint64_t hash, hmap_eq eq, const void *key) {
  return s->hash == hash && (!eq || eq(s->val, key));
}

void *hmap_get(const hmap *m, uint64_t hash, hmap_eq eq, const void *key) {
  if (m->len == 0) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const hmap_slot *s = &m->slots[i];
    if (!s->val) return NULL;
    if (matches(s, hash, eq, key)) return s->val;
  }
}

static void insert_slot(hmap_slot *slots, size_t cap, uint64_t hash, void *val) {
  size_t mask = cap - 1;
  size_t i = hash & mask;
  while (slots[i].val) i = (i + 1) & mask;
  slots[i] = (hmap_slot){hash, val};
}

static int grow(hmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  hmap_slot *slots = calloc(cap, sizeof(*slots));
  if (!slots) return -1;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].val) insert_slot(slots, cap, m->slots[i].hash, m->slots[i].val);
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return 0;
}

int hmap_put(hmap *m, uint64_t hash, void *val) {
  if ((m->len + 1) * 2 > m->cap && grow(m) != 0) return -1;
  insert_slot(m->slots, m->cap, hash, val);
  m->len++;
  return 0;
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole when their home slot allows it, so lookups never need tombstones. */
static void remove_at(hmap *m, size_t hole) {
  size_t mask = m->cap - 1;
  for (size_t i = (hole + 1) & mask; m->slots[i].val; i = (i + 1) & mask) {
    size_t home = m->slots[i].hash & mask;
    /* Move slot i to the hole unless its home lies cyclically in (hole, i]. */
    bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (!stays) {
      m->slots[hole] = m->slots[i];
      hole = i;
    }
  }
  m->slots[hole] = (hmap_slot){0, NULL};
  m->len--;
}

void *hmap_del(hmap *m, uint64_t hash, hmap_eq eq, const void *key) {
  if (m->len == 0) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = hash & mask; m->slots[i].val; i = (i + 1) & mask) {
    if (matches(&m->slots[i], hash, eq, key)) {
      void *val = m->slots[i].val;
      remove_at(m, i);
      return val;
    }
  }
  return NULL;
}

bool hmap_del_val(hmap *m, uint64_t hash, const void *val) {
  if (m->len == 0) return false;
  size_t mask = m->cap - 1;
  for (size_t i = hash & mask; m->slots[i].val; i = (i + 1) & mask) {
    if (m->slots[i].val == val) {
      remove_at(m, i);
      return true;
    }
  }
  return false;
}

void hmap_free(hmap *m) {
  free(m->slots);
  *m = (hmap){0};
}
