/*
 * Presence for Real ID: the gateways' gw.char.* events (and the gateway
 * cleanups char.chars.unhealthy.gw / sr.gw.removed.unhealthy) keep the
 * account -> online characters index; when a character of an account with
 * Real ID friends logs in or out, every online character of those friends,
 * on any realm, gets friends.status.changed. One event per listener realm:
 * RealmID is the listeners' realm, NotifyPlayers their low GUIDs, and
 * PlayerGUID the character as that realm sees it (realm-scoped when it is
 * from another realm, PR #37 §2.12).
 *
 * When realid starts it asks the characters plugin (rpc_call, in process
 * when it runs here) who is online already: GetOnlineCharacters, then
 * ShortOnlineCharactersDataByGUIDs, per realm.
 */
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "realid.h"

static uint64_t u64_of(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static uint32_t u32_of(json_t *o, const char *key) {
  uint64_t v = u64_of(o, key);
  return v > UINT32_MAX ? 0 : (uint32_t)v;
}

static int64_t time_of(json_t *o) {
  json_t *v = json_object_get(o, "EventTimeUnixNano");
  return json_is_integer(v) ? json_integer_value(v) : 0;
}

static const char *str_of(json_t *o, const char *key, size_t max) {
  json_t *v = json_object_get(o, key);
  const char *s = json_is_string(v) ? json_string_value(v) : "";
  return strlen(s) <= max ? s : NULL;
}

/* ---- publishing -------------------------------------------------------------------- */

void realid_publish(realid *st, const char *subject, int64_t type, json_t *payload) {
  char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
  json_decref(payload);
  int rc = text ? HOST->event_publish(st->ctx, subject, type, text) : STRATUS_ENOMEM;
  free(text);
  if (rc != 0) STRATUS_WARN(HOST, st->ctx, "publishing %s: %s", subject, stratus_strerror(rc));
  if (!st->stopped) {
    const char *labels[] = {subject, rc == 0 ? "ok" : stratus_err_name(rc)};
    HOST->metric_add(st->m_published, labels, 1);
  }
}

typedef struct listener {
  uint32_t realm, low;
} listener;

static int by_realm(const void *a, const void *b) {
  const listener *x = a, *y = b;
  return x->realm != y->realm ? (x->realm < y->realm ? -1 : 1) : (x->low > y->low) - (x->low < y->low);
}

static void publish_group(realid *st, const listener *ls, size_t n, uint32_t realm, uint32_t low,
                          uint8_t status, uint32_t zone, uint32_t level, uint32_t cls) {
  uint32_t viewer = ls[0].realm;
  json_t *p = json_object(), *guids = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(guids, json_integer(ls[i].low));
  json_object_set_new(p, "ServiceID", json_string(st->service_id));
  json_object_set_new(p, "RealmID", json_integer(viewer));
  json_object_set_new(p, "PlayerGUID", json_integer((json_int_t)guid_for_viewer(viewer, realm, low)));
  json_object_set_new(p, "Status", json_integer(status));
  json_object_set_new(p, "Area", json_integer(zone));
  json_object_set_new(p, "Level", json_integer(level));
  json_object_set_new(p, "ClassID", json_integer(cls));
  json_object_set_new(p, "NotifyPlayers", guids);
  realid_publish(st, "friends.status.changed", 1, p);
}

static size_t collect(const realid *st, uint32_t account, listener **ls, size_t n, size_t *cap) {
  const pres_account *a = presence_account(&st->pres, account);
  for (const pres_char *c = a ? a->head : NULL; c; c = c->next) {
    if (n == *cap) {
      size_t ncap = *cap ? *cap * 2 : 16;
      listener *v = realloc(*ls, ncap * sizeof(*v));
      if (!v) return n;
      *ls = v, *cap = ncap;
    }
    (*ls)[n++] = (listener){guid_key_realm(c->key), guid_key_low(c->key)};
  }
  return n;
}

void realid_broadcast(realid *st, uint32_t account, uint32_t only, uint32_t realm, uint32_t low,
                      uint8_t status, uint32_t zone, uint32_t level, uint32_t cls) {
  const friend_list *fl = friendmap_of(&st->friends, account);
  listener *ls = NULL;
  size_t n = 0, cap = 0;
  if (only)
    n = collect(st, only, &ls, n, &cap);
  for (uint32_t i = 0; !only && fl && i < fl->n; i++) n = collect(st, fl->friends[i], &ls, n, &cap);
  if (n > 1) qsort(ls, n, sizeof(*ls), by_realm);
  for (size_t start = 0, i = 1; start < n; i++) {
    if (i == n || ls[i].realm != ls[start].realm) {
      publish_group(st, ls + start, i - start, realm, low, status, zone, level, cls);
      start = i;
    }
  }
  free(ls);
}

/* ---- presence events ------------------------------------------------------------------ */

static json_t *parse(const stratus_event *ev) {
  json_t *p = json_loadb(ev->payload, ev->payload_len, 0, NULL);
  if (json_is_object(p)) return p;
  json_decref(p);
  return NULL;
}

static void on_login(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  realid *st = ud;
  json_t *p = parse(e);
  if (!p) return;
  pres_login ev = {.realm = u32_of(p, "RealmID"), .account = u32_of(p, "AccountID"),
                   .zone = u32_of(p, "CharZone"), .level = u32_of(p, "CharLevel"),
                   .cls = u32_of(p, "CharClass"), .race = u32_of(p, "CharRace"),
                   .time = time_of(p), .gateway = str_of(p, "GatewayID", PRES_GATEWAY_BYTES),
                   .name = str_of(p, "CharName", PRES_NAME_BYTES)};
  if (ev.gateway && ev.name && ev.account &&
      guid_resolve(ev.realm, u64_of(p, "CharGUID"), &ev.realm, &ev.low)) {
    bool was_online = presence_account(&st->pres, ev.account) != NULL;
    pres_char *c = presence_login(&st->pres, &ev);
    if (c && !was_online)
      realid_broadcast(st, ev.account, 0, ev.realm, ev.low, 1, c->zone, c->level, c->cls);
  }
  json_decref(p);
}

/* Takes c offline; its friends hear it when the account has no character
 * left online. */
static void go_offline(realid *st, pres_char *c) {
  uint32_t account = c->account, realm = guid_key_realm(c->key), low = guid_key_low(c->key);
  presence_remove(&st->pres, c);
  if (!presence_account(&st->pres, account))
    realid_broadcast(st, account, 0, realm, low, 0, 0, 0, 0);
}

static bool logout_applies(const pres_char *c, const char *gateway, int64_t time) {
  if (time && c->since) return time >= c->since;
  return !gateway || !gateway[0] || strcmp(c->gateway, gateway) == 0;
}

static void on_logout(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  realid *st = ud;
  uint32_t realm, low;
  json_t *p = parse(e);
  if (!p) return;
  realm = u32_of(p, "RealmID");
  if (guid_resolve(realm, u64_of(p, "CharGUID"), &realm, &low)) {
    pres_char *c = presence_find(&st->pres, realm, low);
    if (c && logout_applies(c, str_of(p, "GatewayID", PRES_GATEWAY_BYTES), time_of(p)))
      go_offline(st, c);
  }
  json_decref(p);
}

static void on_updates(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  realid *st = ud;
  json_t *p = parse(e), *u;
  size_t i;
  if (!p) return;
  uint32_t realm = u32_of(p, "RealmID");
  json_t *updates = json_object_get(p, "Updates");
  if (json_is_array(updates)) {
    json_array_foreach(updates, i, u) {
      uint32_t r, low;
      if (!json_is_object(u) || !guid_resolve(realm, u64_of(u, "i"), &r, &low)) continue;
      pres_char *c = presence_find(&st->pres, r, low);
      if (!c) continue;
      if (json_is_integer(json_object_get(u, "l"))) c->level = u32_of(u, "l");
      if (json_is_integer(json_object_get(u, "z"))) c->zone = u32_of(u, "z");
    }
  }
  json_decref(p);
}

/* Both gateway cleanups: the listed characters (or all of the gateway's)
 * that logged in before the event go offline. */
static void drop_gateway_chars(realid *st, uint32_t realm, const char *gw, json_t *list,
                               int64_t time) {
  size_t i;
  json_t *v;
  if (json_is_array(list)) {
    json_array_foreach(list, i, v) {
      uint32_t r, low;
      if (!json_is_integer(v) || !guid_resolve(realm, (uint64_t)json_integer_value(v), &r, &low))
        continue;
      pres_char *c = presence_find(&st->pres, r, low);
      if (c && strcmp(c->gateway, gw) == 0 && !(time && c->since > time)) go_offline(st, c);
    }
    return;
  }
  for (size_t s = 0; s < st->pres.by_key.cap;) {
    pres_char *c = st->pres.by_key.slots[s].val;
    if (c && guid_key_realm(c->key) == realm && strcmp(c->gateway, gw) == 0 &&
        !(time && c->since > time)) {
      go_offline(st, c); /* the slot may now hold another character: look again */
      continue;
    }
    s++;
  }
}

static void on_gateway_gone(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  realid *st = ud;
  json_t *p = parse(e);
  if (!p) return;
  bool registry = strcmp(e->subject, "sr.gw.removed.unhealthy") == 0;
  const char *gw = str_of(p, registry ? "ID" : "GatewayID", PRES_GATEWAY_BYTES);
  if (gw && gw[0])
    drop_gateway_chars(st, u32_of(p, "RealmID"), gw,
                       registry ? NULL : json_object_get(p, "CharactersGUID"), time_of(p));
  json_decref(p);
}

int realid_events_subscribe(realid *st) {
  static const struct {
    const char *subject;
    stratus_event_cb cb;
  } subs[] = {
      {"gw.char.logged-in", on_login},
      {"gw.char.logged-out", on_logout},
      {"gw.char.chars-updates", on_updates},
      {"char.chars.unhealthy.gw", on_gateway_gone},
      {"sr.gw.removed.unhealthy", on_gateway_gone},
  };
  for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
    if (!HOST->event_subscribe(st->ctx, subs[i].subject, subs[i].cb, st)) return STRATUS_EIO;
  return 0;
}

/* ---- bootstrap from the characters plugin ---------------------------------------------- */

#define BOOT_DEADLINE_MS 5000

typedef struct boot {
  realid *st;
  uint32_t realm;
  V1__GetOnlineCharactersRequest list;
  V1__ShortCharactersDataByGUIDsRequest details;
  uint64_t *guids;
} boot;

static void boot_free(boot *b) {
  realid *st = b->st;
  free(b->guids);
  free(b);
  if (st->boot_pending && --st->boot_pending == 0) realid_ready(st);
}

/* Whatever the characters plugin does, requests wait at most this long. */
static void boot_deadline(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  realid *st = ud;
  if (st->ready) return;
  STRATUS_WARN(HOST, ctx, "online characters not all known after %d ms; serving anyway",
               BOOT_DEADLINE_MS);
  st->boot_pending = 0;
  realid_ready(st);
}

static void details_done(stratus_ctx *ctx, int status, const char *message,
                         const ProtobufCMessage *response, void *ud) {
  boot *b = ud;
  const V1__ShortCharactersDataByGUIDsResponse *r = (const void *)response;
  size_t added = 0;
  for (size_t i = 0; status == STRATUS_GRPC_OK && i < r->n_characters; i++) {
    const V1__ShortCharactersDataByGUIDsResponse__ShortCharData *c = r->characters[i];
    pres_login ev = {.realm = c->realmid, .low = (uint32_t)c->charguid, .account = c->accountid,
                     .zone = c->charzone, .level = c->charlvl, .cls = c->charclass,
                     .race = c->charrace, .gateway = c->gatewayid, .name = c->charname};
    if (c->accountid && !presence_find(&b->st->pres, ev.realm, ev.low) &&
        presence_login(&b->st->pres, &ev))
      added++;
  }
  if (status != STRATUS_GRPC_OK)
    STRATUS_WARN(HOST, ctx, "realm %u: online characters not known: %s", b->realm, message);
  else
    STRATUS_INFO(HOST, ctx, "realm %u: %zu characters were online already", b->realm, added);
  boot_free(b);
}

static void list_done(stratus_ctx *ctx, int status, const char *message,
                      const ProtobufCMessage *response, void *ud) {
  boot *b = ud;
  const V1__GetOnlineCharactersResponse *r = (const void *)response;
  if (status != STRATUS_GRPC_OK || r->n_characterguids == 0) {
    if (status != STRATUS_GRPC_OK)
      STRATUS_WARN(HOST, ctx, "realm %u: cannot list online characters: %s", b->realm, message);
    boot_free(b);
    return;
  }
  b->guids = malloc(r->n_characterguids * sizeof(*b->guids));
  if (!b->guids) {
    boot_free(b);
    return;
  }
  memcpy(b->guids, r->characterguids, r->n_characterguids * sizeof(*b->guids));
  v1__short_characters_data_by_guids_request__init(&b->details);
  b->details.realmid = b->realm;
  b->details.n_guids = r->n_characterguids;
  b->details.guids = b->guids;
  stratus_call_opts opts = {sizeof(opts), 0, 30000, NULL};
  if (HOST->rpc_call(ctx, &v1__characters_service__descriptor, "ShortOnlineCharactersDataByGUIDs",
                     &b->details.base, &opts, details_done, b) != 0)
    boot_free(b);
}

void realid_bootstrap(realid *st) {
  st->boot_pending = 1; /* held until every realm's call is made */
  HOST->timer_start(st->ctx, BOOT_DEADLINE_MS, 0, boot_deadline, st);
  for (size_t i = 0; i < st->nrealms; i++) {
    boot *b = calloc(1, sizeof(*b));
    if (!b) break;
    st->boot_pending++;
    b->st = st;
    b->realm = st->realms[i];
    v1__get_online_characters_request__init(&b->list);
    b->list.realmid = b->realm;
    stratus_call_opts opts = {sizeof(opts), 0, 30000, NULL};
    if (HOST->rpc_call(st->ctx, &v1__characters_service__descriptor, "GetOnlineCharacters",
                       &b->list.base, &opts, list_done, b) != 0)
      boot_free(b);
  }
  if (st->boot_pending && --st->boot_pending == 0) realid_ready(st);
}
