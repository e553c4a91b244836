#include "online.h"

#include <stdlib.h>
#include <string.h>

#include <stratus/text.h>

#include "guid.h"

typedef struct oc_tomb {
  uint64_t key;
  int64_t time;
  uint64_t at_ms;
} oc_tomb;

typedef struct name_key {
  uint32_t realm;
  const char *lname;
  size_t len;
} name_key;

uint8_t online_team(uint8_t race) {
  switch (race) {
  case 1: case 3: case 4: case 7: case 11: return TEAM_ALLIANCE;
  case 2: case 5: case 6: case 8: case 10: return TEAM_HORDE;
  default: return TEAM_NEUTRAL;
  }
}

uint64_t online_bigrams(const char *folded, size_t len) {
  uint64_t mask = 0;
  for (size_t i = 0; i + 1 < len; i++) {
    unsigned pair = (unsigned char)folded[i] * 31u + (unsigned char)folded[i + 1];
    mask |= 1ull << ((pair * 2654435761u) >> 26);
  }
  return mask;
}

static uint64_t name_hash(uint32_t realm, const char *lname, size_t len) {
  return hmap_hash_bytes(realm, lname, len);
}

static bool name_eq(const void *val, const void *key) {
  const oc_char *c = val;
  const name_key *k = key;
  return guid_key_realm(c->key) == k->realm && c->name_len == k->len &&
         memcmp(c->lname, k->lname, k->len) == 0;
}

void online_init(online *o) { memset(o, 0, sizeof(*o)); }

static void free_map_values(hmap *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->slots[i].val);
  hmap_free(m);
}

void online_free(online *o) {
  free_map_values(&o->by_key);
  hmap_free(&o->by_name);
  hmap_free(&o->by_account);
  free_map_values(&o->tombs);
  free_map_values(&o->guilds);
  for (size_t i = 0; i < o->nrealms; i++) {
    free(o->realms[i]->chars);
    free(o->realms[i]->rows);
    who_index_free(&o->realms[i]->who);
    free(o->realms[i]);
  }
  free(o->realms);
  for (size_t i = 0; i < o->ngws; i++) free(o->gws[i]);
  free(o->gws);
  memset(o, 0, sizeof(*o));
}

/* ---- accounts --------------------------------------------------------------- */

oc_char *online_account_first(const online *o, uint32_t account) {
  return account ? hmap_get(&o->by_account, hmap_mix64(account), NULL, NULL) : NULL;
}

/* After the account's first character (or as the first). */
static void account_link(online *o, oc_char *c) {
  oc_char *head = online_account_first(o, c->account);
  c->acct_prev = c->acct_next = NULL;
  if (!c->account) return;
  if (!head) {
    hmap_put(&o->by_account, hmap_mix64(c->account), c); /* no memory: not indexed */
    return;
  }
  c->acct_prev = head;
  c->acct_next = head->acct_next;
  if (head->acct_next) head->acct_next->acct_prev = c;
  head->acct_next = c;
}

static void account_unlink(online *o, oc_char *c) {
  uint64_t h = hmap_mix64(c->account);
  if (c->acct_prev) {
    c->acct_prev->acct_next = c->acct_next;
  } else if (!c->account || !hmap_del_val(&o->by_account, h, c)) {
    return; /* never indexed */
  } else if (c->acct_next) {
    hmap_put(&o->by_account, h, c->acct_next); /* a slot was just freed: cannot fail */
  }
  if (c->acct_next) c->acct_next->acct_prev = c->acct_prev;
  c->acct_prev = c->acct_next = NULL;
}

/* ---- realms and gateways -------------------------------------------------- */

oc_realm *online_realm(const online *o, uint32_t realm) {
  for (size_t i = 0; i < o->nrealms; i++)
    if (o->realms[i]->id == realm) return o->realms[i];
  return NULL;
}

static oc_realm *realm_get(online *o, uint32_t realm) {
  oc_realm *r = online_realm(o, realm);
  if (r) return r;
  oc_realm **v = realloc(o->realms, (o->nrealms + 1) * sizeof(*v));
  if (!v) return NULL;
  o->realms = v;
  if (!(r = calloc(1, sizeof(*r)))) return NULL;
  if (who_index_init(&r->who) != 0) {
    free(r);
    return NULL;
  }
  r->id = realm;
  o->realms[o->nrealms++] = r;
  return r;
}

oc_gateway *online_gateway(const online *o, uint32_t realm, const char *id) {
  for (size_t i = 0; i < o->ngws; i++)
    if (o->gws[i]->realm == realm && strcmp(o->gws[i]->id, id) == 0) return o->gws[i];
  return NULL;
}

static oc_gateway *gateway_get(online *o, uint32_t realm, const char *id) {
  oc_gateway *g = online_gateway(o, realm, id);
  if (g) return g;
  oc_gateway **v = realloc(o->gws, (o->ngws + 1) * sizeof(*v));
  if (!v) return NULL;
  o->gws = v;
  if (!(g = calloc(1, sizeof(*g)))) return NULL;
  g->realm = realm;
  strncpy(g->id, id, OC_GATEWAY_BYTES);
  o->gws[o->ngws++] = g;
  return g;
}

static void gateway_link(oc_gateway *g, oc_char *c) {
  c->gw = g;
  c->gw_prev = NULL;
  c->gw_next = g->head;
  if (g->head) g->head->gw_prev = c;
  g->head = c;
  g->count++;
}

static void gateway_unlink(oc_char *c) {
  oc_gateway *g = c->gw;
  if (!g) return;
  if (c->gw_prev) c->gw_prev->gw_next = c->gw_next;
  else g->head = c->gw_next;
  if (c->gw_next) c->gw_next->gw_prev = c->gw_prev;
  g->count--;
  c->gw = NULL;
  c->gw_prev = c->gw_next = NULL;
}

/* ---- the per-realm arrays ------------------------------------------------- */

static oc_row row_of(const oc_char *c) {
  return (oc_row){c->level, c->race, c->cls, c->zone, c->guild_id,
                  online_bigrams(c->lname, c->name_len)};
}

static int realm_append(oc_realm *r, oc_char *c) {
  if (r->n == r->cap) {
    uint32_t cap = r->cap ? r->cap * 2 : 64;
    oc_char **chars = realloc(r->chars, cap * sizeof(*chars));
    if (!chars) return -1;
    r->chars = chars;
    oc_row *rows = realloc(r->rows, cap * sizeof(*rows));
    if (!rows) return -1;
    r->rows = rows;
    r->cap = cap;
  }
  c->slot = r->n;
  r->chars[r->n] = c;
  r->rows[r->n] = row_of(c);
  r->n++;
  who_index_add(&r->who, c);
  return 0;
}

static void realm_remove(oc_realm *r, oc_char *c) {
  uint32_t last = r->n - 1;
  who_index_del(&r->who, c);
  if (c->slot != last) {
    r->chars[c->slot] = r->chars[last];
    r->rows[c->slot] = r->rows[last];
    r->chars[c->slot]->slot = c->slot;
  }
  r->n--;
}

static void refresh_row(online *o, oc_char *c) {
  oc_realm *r = online_realm(o, guid_key_realm(c->key));
  if (!r) return;
  r->rows[c->slot] = row_of(c);
  if (c->cell != who_cell(c->level, c->race, c->cls)) {
    who_index_del(&r->who, c);
    who_index_add(&r->who, c);
  }
}

/* ---- lookups -------------------------------------------------------------- */

oc_char *online_find(const online *o, uint32_t realm, uint32_t low) {
  return hmap_get(&o->by_key, hmap_mix64(guid_key(realm, low)), NULL, NULL);
}

oc_char *online_find_name(const online *o, uint32_t realm, const char *name, size_t len) {
  char lname[OC_NAME_BYTES];
  if (len == 0 || len > OC_NAME_BYTES) return NULL;
  stratus_name_fold(name, len, lname);
  name_key k = {realm, lname, len};
  return hmap_get(&o->by_name, name_hash(realm, lname, len), name_eq, &k);
}

/* ---- logins and logouts --------------------------------------------------- */

static void name_unindex(online *o, oc_char *c) {
  hmap_del_val(&o->by_name, name_hash(guid_key_realm(c->key), c->lname, c->name_len), c);
}

/* The name index keeps the newest login of a name: another character that
 * still holds it (a rename seen out of order) simply loses the entry. */
static int name_index(online *o, oc_char *c) {
  uint32_t realm = guid_key_realm(c->key);
  uint64_t h = name_hash(realm, c->lname, c->name_len);
  name_key k = {realm, c->lname, c->name_len};
  hmap_del(&o->by_name, h, name_eq, &k);
  return hmap_put(&o->by_name, h, c);
}

static void set_name(oc_char *c, const char *name, size_t len) {
  memcpy(c->name, name, len);
  c->name[len] = '\0';
  stratus_name_fold(name, len, c->lname);
  c->lname[len] = '\0';
  c->name_len = (uint8_t)len;
}

static void fill(oc_char *c, const oc_login *ev) {
  c->account = ev->account;
  c->zone = ev->zone;
  c->map = ev->map;
  c->area = ev->zone;
  c->guild_id = ev->guild_id;
  c->race = ev->race;
  c->cls = ev->cls;
  c->gender = ev->gender;
  c->level = ev->level;
  c->x = ev->x, c->y = ev->y, c->z = ev->z;
  c->since = ev->time;
}

static bool login_is_stale(const online *o, const oc_char *c, const oc_login *ev) {
  if (!ev->time) return false;
  if (c) return c->since && ev->time < c->since;
  const oc_tomb *t = hmap_get(&o->tombs, hmap_mix64(guid_key(ev->realm, ev->low)), NULL, NULL);
  return t && t->time && ev->time <= t->time;
}

static oc_outcome refresh(online *o, oc_char *c, const oc_login *ev) {
  oc_gateway *g = gateway_get(o, ev->realm, ev->gateway);
  if (!g) return OC_NOMEM;
  if (c->gw != g) {
    gateway_unlink(c);
    gateway_link(g, c);
  }
  if (c->name_len != ev->name_len || memcmp(c->name, ev->name, ev->name_len) != 0) {
    name_unindex(o, c);
    set_name(c, ev->name, ev->name_len);
    if (name_index(o, c) != 0) return OC_NOMEM;
  }
  if (c->account != ev->account) {
    account_unlink(o, c);
    fill(c, ev);
    account_link(o, c);
  } else {
    fill(c, ev);
  }
  refresh_row(o, c);
  return OC_UPDATED;
}

static oc_outcome add(online *o, const oc_login *ev, oc_char **out) {
  oc_realm *r = realm_get(o, ev->realm);
  oc_gateway *g = gateway_get(o, ev->realm, ev->gateway);
  oc_char *c = calloc(1, sizeof(*c));
  if (!r || !g || !c) {
    free(c);
    return OC_NOMEM;
  }
  c->key = guid_key(ev->realm, ev->low);
  set_name(c, ev->name, ev->name_len);
  fill(c, ev);
  if (hmap_put(&o->by_key, hmap_mix64(c->key), c) != 0) {
    free(c);
    return OC_NOMEM;
  }
  if (realm_append(r, c) != 0 || name_index(o, c) != 0) {
    hmap_del_val(&o->by_key, hmap_mix64(c->key), c);
    if (r->n && r->chars[r->n - 1] == c) realm_remove(r, c);
    name_unindex(o, c);
    free(c);
    return OC_NOMEM;
  }
  gateway_link(g, c);
  account_link(o, c);
  o->total++;
  *out = c;
  return OC_ADDED;
}

oc_outcome online_login(online *o, const oc_login *ev, oc_char **out) {
  oc_char *c = online_find(o, ev->realm, ev->low);
  *out = NULL;
  if (login_is_stale(o, c, ev)) return OC_STALE;
  free(hmap_del(&o->tombs, hmap_mix64(guid_key(ev->realm, ev->low)), NULL, NULL));
  if (!c) return add(o, ev, out);
  oc_outcome res = refresh(o, c, ev);
  *out = c;
  return res;
}

bool online_logout_applies(const oc_char *c, const char *gateway, int64_t time) {
  if (time && c->since) return time >= c->since;
  /* Without event times only the gateway holding the character may log it
   * out: a late logout from a gateway it left must not end the new session. */
  return !gateway || !gateway[0] || !c->gw || strcmp(c->gw->id, gateway) == 0;
}

void online_remember_logout(online *o, uint32_t realm, uint32_t low, int64_t time,
                            uint64_t now_ms) {
  if (!time) return;
  uint64_t key = guid_key(realm, low);
  oc_tomb *t = hmap_get(&o->tombs, hmap_mix64(key), NULL, NULL);
  if (t) {
    if (time > t->time) t->time = time;
    t->at_ms = now_ms;
    return;
  }
  if (!(t = malloc(sizeof(*t)))) return;
  *t = (oc_tomb){key, time, now_ms};
  if (hmap_put(&o->tombs, hmap_mix64(key), t) != 0) free(t);
}

void online_remove(online *o, oc_char *c, int64_t time, uint64_t now_ms) {
  oc_realm *r = online_realm(o, guid_key_realm(c->key));
  hmap_del_val(&o->by_key, hmap_mix64(c->key), c);
  name_unindex(o, c);
  gateway_unlink(c);
  account_unlink(o, c);
  if (r) realm_remove(r, c);
  o->total--;
  online_remember_logout(o, guid_key_realm(c->key), guid_key_low(c->key), time, now_ms);
  free(c);
}

void online_prune(online *o, uint64_t now_ms, uint64_t ttl_ms) {
  for (size_t i = 0; i < o->tombs.cap;) {
    oc_tomb *t = o->tombs.slots[i].val;
    if (t && t->at_ms + ttl_ms <= now_ms) {
      hmap_del_val(&o->tombs, o->tombs.slots[i].hash, t);
      free(t);
      continue; /* backward shift may have moved another tomb into slot i */
    }
    i++;
  }
}

/* ---- updates -------------------------------------------------------------- */

void online_set_level(online *o, oc_char *c, uint8_t level) {
  c->level = level;
  refresh_row(o, c);
}

void online_set_zone(online *o, oc_char *c, uint32_t zone) {
  c->zone = zone;
  refresh_row(o, c);
}

void online_set_guild(online *o, oc_char *c, uint32_t guild_id) {
  c->guild_id = guild_id;
  refresh_row(o, c);
}

/* ---- guild names ---------------------------------------------------------- */

const oc_guild *online_guild(const online *o, uint32_t realm, uint32_t id) {
  return hmap_get(&o->guilds, hmap_mix64(guid_key(realm, id)), NULL, NULL);
}

void online_guild_put(online *o, uint32_t realm, uint32_t id, const char *name, size_t len) {
  uint64_t key = guid_key(realm, id);
  oc_guild *g = hmap_get(&o->guilds, hmap_mix64(key), NULL, NULL);
  if (len > OC_GUILD_BYTES) len = OC_GUILD_BYTES;
  if (!g) {
    if (!(g = calloc(1, sizeof(*g)))) return;
    g->key = key;
    if (hmap_put(&o->guilds, hmap_mix64(key), g) != 0) {
      free(g);
      return;
    }
  }
  memcpy(g->name, name, len);
  g->name[len] = '\0';
  stratus_name_fold(name, len, g->lname);
  g->lname[len] = '\0';
  g->len = (uint8_t)len;
}
