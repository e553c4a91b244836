#include "presence.h"

#include <stdlib.h>
#include <string.h>

#include "guid.h"

static void copy(char *dst, const char *src, size_t cap) {
  size_t n = strlen(src);
  if (n > cap) n = cap;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void presence_free(presence *p) {
  for (size_t i = 0; i < p->by_key.cap; i++) free(p->by_key.slots[i].val);
  for (size_t i = 0; i < p->by_account.cap; i++) free(p->by_account.slots[i].val);
  hmap_free(&p->by_key);
  hmap_free(&p->by_account);
  p->total = 0;
}

static pres_account *account_get(presence *p, uint32_t account) {
  uint64_t h = hmap_mix64(account);
  pres_account *a = hmap_get(&p->by_account, h, NULL, NULL);
  if (a) return a;
  if (!(a = calloc(1, sizeof(*a)))) return NULL;
  a->account = account;
  if (hmap_put(&p->by_account, h, a) != 0) {
    free(a);
    return NULL;
  }
  return a;
}

static void unlink_char(presence *p, pres_char *c) {
  uint64_t h = hmap_mix64(c->account);
  pres_account *a = hmap_get(&p->by_account, h, NULL, NULL);
  if (!a) return;
  if (c->prev) c->prev->next = c->next;
  else a->head = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  if (--a->count == 0) {
    hmap_del_val(&p->by_account, h, a);
    free(a);
  }
}

static bool link_char(presence *p, pres_char *c) {
  pres_account *a = account_get(p, c->account);
  if (!a) return false;
  c->prev = NULL;
  c->next = a->head;
  if (a->head) a->head->prev = c;
  a->head = c;
  a->count++;
  return true;
}

pres_char *presence_find(const presence *p, uint32_t realm, uint32_t low) {
  return hmap_get(&p->by_key, hmap_mix64(guid_key(realm, low)), NULL, NULL);
}

const pres_account *presence_account(const presence *p, uint32_t account) {
  return hmap_get(&p->by_account, hmap_mix64(account), NULL, NULL);
}

static void fill(pres_char *c, const pres_login *ev) {
  c->zone = ev->zone, c->level = ev->level, c->cls = ev->cls, c->race = ev->race;
  c->since = ev->time;
  copy(c->gateway, ev->gateway ? ev->gateway : "", PRES_GATEWAY_BYTES);
  copy(c->name, ev->name ? ev->name : "", PRES_NAME_BYTES);
}

pres_char *presence_login(presence *p, const pres_login *ev) {
  pres_char *c = presence_find(p, ev->realm, ev->low);
  if (c) {
    if (ev->time && c->since && ev->time < c->since) return NULL;
    if (c->account != ev->account) {
      unlink_char(p, c);
      c->account = ev->account;
      if (!link_char(p, c)) {
        presence_remove(p, c);
        return NULL;
      }
    }
    fill(c, ev);
    return c;
  }
  if (!(c = calloc(1, sizeof(*c)))) return NULL;
  c->key = guid_key(ev->realm, ev->low);
  c->account = ev->account;
  fill(c, ev);
  if (hmap_put(&p->by_key, hmap_mix64(c->key), c) != 0) {
    free(c);
    return NULL;
  }
  if (!link_char(p, c)) {
    hmap_del_val(&p->by_key, hmap_mix64(c->key), c);
    free(c);
    return NULL;
  }
  p->total++;
  return c;
}

void presence_remove(presence *p, pres_char *c) {
  if (hmap_del_val(&p->by_key, hmap_mix64(c->key), c)) p->total--;
  unlink_char(p, c);
  free(c);
}

static bool better(const pres_char *a, const pres_char *b, uint32_t viewer) {
  bool a_home = guid_key_realm(a->key) == viewer, b_home = guid_key_realm(b->key) == viewer;
  if (a_home != b_home) return a_home;
  return a->key < b->key; /* lowest realm, then lowest GUID */
}

const pres_char *presence_representative(const presence *p, uint32_t account, uint32_t viewer) {
  const pres_account *a = presence_account(p, account);
  const pres_char *best = NULL;
  for (const pres_char *c = a ? a->head : NULL; c; c = c->next)
    if (!best || better(c, best, viewer)) best = c;
  return best;
}
