#include "friendmap.h"

#include <stdlib.h>

void friendmap_free(friendmap *m) {
  for (size_t i = 0; i < m->by_account.cap; i++) {
    friend_list *l = m->by_account.slots[i].val;
    if (!l) continue;
    free(l->friends);
    free(l);
  }
  hmap_free(&m->by_account);
  m->pairs = 0;
}

const friend_list *friendmap_of(const friendmap *m, uint32_t account) {
  return hmap_get(&m->by_account, hmap_mix64(account), NULL, NULL);
}

bool friendmap_has(const friendmap *m, uint32_t a, uint32_t b) {
  const friend_list *l = friendmap_of(m, a);
  for (uint32_t i = 0; l && i < l->n; i++)
    if (l->friends[i] == b) return true;
  return false;
}

static bool append(friendmap *m, uint32_t a, uint32_t b) {
  friend_list *l = hmap_get(&m->by_account, hmap_mix64(a), NULL, NULL);
  if (!l) {
    if (!(l = calloc(1, sizeof(*l)))) return false;
    l->account = a;
    if (hmap_put(&m->by_account, hmap_mix64(a), l) != 0) {
      free(l);
      return false;
    }
  }
  if (l->n == l->cap) {
    uint32_t cap = l->cap ? l->cap * 2 : 4;
    uint32_t *v = realloc(l->friends, cap * sizeof(*v));
    if (!v) return false;
    l->friends = v;
    l->cap = cap;
  }
  l->friends[l->n++] = b;
  return true;
}

bool friendmap_add(friendmap *m, uint32_t a, uint32_t b) {
  if (a == b || friendmap_has(m, a, b)) return true;
  if (!append(m, a, b) || !append(m, b, a)) return false;
  m->pairs++;
  return true;
}

static bool drop(friendmap *m, uint32_t a, uint32_t b) {
  friend_list *l = hmap_get(&m->by_account, hmap_mix64(a), NULL, NULL);
  for (uint32_t i = 0; l && i < l->n; i++) {
    if (l->friends[i] != b) continue;
    l->friends[i] = l->friends[--l->n];
    return true;
  }
  return false;
}

void friendmap_remove(friendmap *m, uint32_t a, uint32_t b) {
  if (drop(m, a, b) & drop(m, b, a)) m->pairs--;
}
