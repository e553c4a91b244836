#include "hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static char tombstone;
#define HM_TOMBSTONE (&tombstone)

uint64_t hash_bytes(const void *data, size_t len) {
  /* FNV-1a 64 */
  const unsigned char *p = data;
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void hm_init(hashmap *m) { memset(m, 0, sizeof(*m)); }

void hm_free(hashmap *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key && m->slots[i].key != HM_TOMBSTONE) free(m->slots[i].key);
  free(m->slots);
  memset(m, 0, sizeof(*m));
}

static hm_slot *find(const hashmap *m, const char *key, uint64_t h) {
  if (!m->cap) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    hm_slot *s = &m->slots[i];
    if (!s->key) return NULL;
    if (s->key != HM_TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
      return s;
  }
}

static void insert_slot(hashmap *m, char *key, uint64_t h, void *value) {
  size_t mask = m->cap - 1;
  size_t i = h & mask;
  while (m->slots[i].key && m->slots[i].key != HM_TOMBSTONE) i = (i + 1) & mask;
  if (!m->slots[i].key) m->used++;
  m->slots[i] = (hm_slot){key, h, value};
  m->len++;
}

static void resize(hashmap *m, size_t cap) {
  hm_slot *old = m->slots;
  size_t old_cap = m->cap;
  m->slots = xcalloc(cap, sizeof(hm_slot));
  m->cap = cap;
  m->len = m->used = 0;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].key && old[i].key != HM_TOMBSTONE)
      insert_slot(m, old[i].key, old[i].hash, old[i].value);
  free(old);
}

void *hm_get(const hashmap *m, const char *key) {
  hm_slot *s = find(m, key, hash_bytes(key, strlen(key)));
  return s ? s->value : NULL;
}

void *hm_put(hashmap *m, const char *key, void *value) {
  uint64_t h = hash_bytes(key, strlen(key));
  hm_slot *s = find(m, key, h);
  if (s) {
    void *prev = s->value;
    s->value = value;
    return prev;
  }
  if ((m->used + 1) * 4 >= m->cap * 3)
    resize(m, m->cap ? (m->len * 2 >= m->cap ? m->cap * 2 : m->cap) : 16);
  insert_slot(m, xstrdup(key), h, value);
  return NULL;
}

void *hm_remove(hashmap *m, const char *key) {
  hm_slot *s = find(m, key, hash_bytes(key, strlen(key)));
  if (!s) return NULL;
  void *prev = s->value;
  free(s->key);
  s->key = HM_TOMBSTONE;
  s->value = NULL;
  m->len--;
  return prev;
}

size_t hm_len(const hashmap *m) { return m->len; }

bool hm_next(const hashmap *m, size_t *iter, const char **key, void **value) {
  for (; *iter < m->cap; (*iter)++) {
    hm_slot *s = &m->slots[*iter];
    if (!s->key || s->key == HM_TOMBSTONE) continue;
    if (key) *key = s->key;
    if (value) *value = s->value;
    (*iter)++;
    return true;
  }
  return false;
}
