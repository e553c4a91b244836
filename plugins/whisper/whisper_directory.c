/*
 * The online directory of the whisper plugin, fed by the gateways' events:
 * gw.char.logged-in / logged-out / chars-updates, char.chars.unhealthy.gw
 * and sr.gw.removed.unhealthy. Two indexes: (realm, GUID) for the events,
 * and the folded name with every realm's character of that name, which is
 * what resolving "Name" without a realm and the ambiguity check need (the
 * characters plugin's CharacterOnlineByName answers one realm per call).
 */
#define _GNU_SOURCE
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "whisper.h"

#define host whisper_host

typedef struct name_bucket {
  char fold[WHISPER_NAME_BYTES + 1];
  whisper_char *first;
} name_bucket;

static int guid_cmp(const void *a, const void *b) {
  const whisper_char *x = a, *y = b;
  if (x->realm != y->realm) return x->realm < y->realm ? -1 : 1;
  return x->guid < y->guid ? -1 : x->guid > y->guid;
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(((const name_bucket *)a)->fold, ((const name_bucket *)b)->fold);
}

whisper_char *whisper_find_guid(whisper_plugin *p, uint32_t realm, uint64_t guid) {
  whisper_char probe = {.realm = realm, .guid = guid};
  void **node = tfind(&probe, &p->by_guid, guid_cmp);
  return node ? *node : NULL;
}

whisper_char *whisper_find_name(whisper_plugin *p, const char *fold) {
  name_bucket probe;
  snprintf(probe.fold, sizeof(probe.fold), "%s", fold);
  void **node = tfind(&probe, &p->by_name, name_cmp);
  return node ? ((name_bucket *)*node)->first : NULL;
}

static void gauge(whisper_plugin *p) {
  if (!p->stopped) host->metric_set(p->m_online, NULL, (double)p->online);
}

static void unlink_name(whisper_plugin *p, whisper_char *c) {
  name_bucket probe;
  snprintf(probe.fold, sizeof(probe.fold), "%s", c->fold);
  void **node = tfind(&probe, &p->by_name, name_cmp);
  if (!node) return;
  name_bucket *b = *node;
  for (whisper_char **at = &b->first; *at; at = &(*at)->same_name)
    if (*at == c) {
      *at = c->same_name;
      break;
    }
  if (!b->first) {
    tdelete(b, &p->by_name, name_cmp);
    free(b);
  }
}

static void remove_char(whisper_plugin *p, whisper_char *c) {
  unlink_name(p, c);
  tdelete(c, &p->by_guid, guid_cmp);
  free(c);
  p->online--;
}

static bool link_name(whisper_plugin *p, whisper_char *c) {
  name_bucket *b = calloc(1, sizeof(*b));
  if (!b) return false;
  snprintf(b->fold, sizeof(b->fold), "%s", c->fold);
  void **node = tsearch(b, &p->by_name, name_cmp);
  if (!node) {
    free(b);
    return false;
  }
  if (*node != b) free(b);
  b = *node;
  c->same_name = b->first;
  b->first = c;
  return true;
}

/* ---- event payloads ----------------------------------------------------------- */

json_t *whisper_payload(const stratus_event *ev) {
  json_t *p = json_loadb(ev->payload, ev->payload_len, 0, NULL);
  if (!json_is_object(p)) {
    json_decref(p);
    return NULL;
  }
  return p;
}

uint64_t whisper_uint(json_t *o, const char *key, uint64_t max) {
  json_int_t v = json_integer_value(json_object_get(o, key));
  return v < 0 || (uint64_t)v > max ? 0 : (uint64_t)v;
}

/* A realm-scoped GUID of the event's realm becomes its low GUID. */
static uint64_t low_guid(uint32_t realm, uint64_t guid) {
  return guid >> 32 == realm ? guid & 0xFFFFFFFFu : guid;
}

/* The gateway ID goes into a subject: one non-empty token. */
static const char *gateway_of(json_t *o, const char *key) {
  const char *g = json_string_value(json_object_get(o, key));
  if (!g || !*g || strlen(g) > WHISPER_GATEWAY_MAX || strpbrk(g, ". *>\t\r\n")) return NULL;
  return g;
}

static void on_logged_in(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  json_t *o = whisper_payload(ev);
  if (!o) return;
  uint32_t realm = (uint32_t)whisper_uint(o, "RealmID", UINT32_MAX);
  uint64_t guid = low_guid(realm, whisper_uint(o, "CharGUID", UINT64_MAX));
  const char *name = json_string_value(json_object_get(o, "CharName"));
  const char *gateway = gateway_of(o, "GatewayID");
  whisper_char *c = NULL;
  if (realm && guid && gateway && name && !stratus_name_check_player(name) &&
      (c = calloc(1, sizeof(*c)))) {
    *c = (whisper_char){.realm = realm, .guid = guid,
                        .race = (uint8_t)whisper_uint(o, "CharRace", 255),
                        .klass = (uint8_t)whisper_uint(o, "CharClass", 255),
                        .gender = (uint8_t)whisper_uint(o, "CharGender", 255),
                        .account = (uint32_t)whisper_uint(o, "AccountID", UINT32_MAX),
                        .map = (uint32_t)whisper_uint(o, "CharMap", UINT32_MAX),
                        .zone = (uint32_t)whisper_uint(o, "CharZone", UINT32_MAX)};
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->gateway, sizeof(c->gateway), "%s", gateway);
    stratus_name_fold_str(c->name, c->fold, sizeof(c->fold));
    whisper_char *old = whisper_find_guid(p, realm, guid);
    if (old) remove_char(p, old); /* a new session (maybe another gateway) */
    void **node = tsearch(c, &p->by_guid, guid_cmp);
    if (node && *node == c && link_name(p, c)) {
      p->online++;
    } else {
      if (node && *node == c) tdelete(c, &p->by_guid, guid_cmp);
      free(c);
    }
    gauge(p);
  }
  json_decref(o);
}

/* A logout from a gateway the character already left (it logged in on
 * another since) must not remove the new session. */
static void drop(whisper_plugin *p, uint32_t realm, uint64_t guid, const char *gateway) {
  whisper_char *c = whisper_find_guid(p, realm, low_guid(realm, guid));
  if (c && (!gateway || strcmp(c->gateway, gateway) == 0)) {
    remove_char(p, c);
    gauge(p);
  }
}

static void on_logged_out(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  json_t *o = whisper_payload(ev);
  if (!o) return;
  drop(ud, (uint32_t)whisper_uint(o, "RealmID", UINT32_MAX), whisper_uint(o, "CharGUID", UINT64_MAX),
       gateway_of(o, "GatewayID"));
  json_decref(o);
}

static void on_updates(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  json_t *o = whisper_payload(ev), *updates;
  if (!o) return;
  uint32_t realm = (uint32_t)whisper_uint(o, "RealmID", UINT32_MAX);
  updates = json_object_get(o, "Updates"); /* null: none */
  for (size_t i = 0; i < json_array_size(updates); i++) {
    json_t *u = json_array_get(updates, i);
    whisper_char *c = whisper_find_guid(p, realm, low_guid(realm, whisper_uint(u, "i", UINT64_MAX)));
    if (!c) continue;
    if (json_object_get(u, "m")) c->map = (uint32_t)whisper_uint(u, "m", UINT32_MAX); /* omitempty */
    if (json_object_get(u, "z")) c->zone = (uint32_t)whisper_uint(u, "z", UINT32_MAX);
  }
  json_decref(o);
}

static void on_unhealthy_chars(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  json_t *o = whisper_payload(ev);
  if (!o) return;
  uint32_t realm = (uint32_t)whisper_uint(o, "RealmID", UINT32_MAX);
  const char *gateway = gateway_of(o, "GatewayID");
  json_t *guids = json_object_get(o, "CharactersGUID");
  for (size_t i = 0; i < json_array_size(guids); i++) {
    json_int_t g = json_integer_value(json_array_get(guids, i));
    if (g > 0) drop(ud, realm, (uint64_t)g, gateway);
  }
  json_decref(o);
}

/* sr.gw.removed.unhealthy: everyone on that gateway is gone. */
typedef struct gateway_scan {
  const char *gateway;
  whisper_char **hits;
  size_t n, cap;
} gateway_scan;

static void scan_gateway(const void *node, VISIT which, void *arg) {
  gateway_scan *s = arg;
  whisper_char *c = *(whisper_char *const *)node;
  if ((which != postorder && which != leaf) || strcmp(c->gateway, s->gateway) != 0) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    whisper_char **h = realloc(s->hits, cap * sizeof(*h));
    if (!h) return;
    s->hits = h;
    s->cap = cap;
  }
  s->hits[s->n++] = c;
}

static void on_gateway_removed(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  json_t *o = whisper_payload(ev);
  if (!o) return;
  gateway_scan s = {gateway_of(o, "ID"), NULL, 0, 0};
  if (s.gateway) twalk_r(p->by_guid, scan_gateway, &s);
  for (size_t i = 0; i < s.n; i++) remove_char(p, s.hits[i]);
  free(s.hits);
  gauge(p);
  json_decref(o);
}

int whisper_subscribe_all(stratus_ctx *ctx, whisper_plugin *p, const whisper_subscription *subs,
                          size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!host->event_subscribe(ctx, subs[i].subject, subs[i].cb, p)) return STRATUS_EINVAL;
  return 0;
}

int whisper_directory_subscribe(stratus_ctx *ctx, whisper_plugin *p) {
  static const whisper_subscription subs[] = {
      {"gw.char.logged-in", on_logged_in},
      {"gw.char.logged-out", on_logged_out},
      {"gw.char.chars-updates", on_updates},
      {"char.chars.unhealthy.gw", on_unhealthy_chars},
      {"sr.gw.removed.unhealthy", on_gateway_removed}};
  return whisper_subscribe_all(ctx, p, subs, sizeof(subs) / sizeof(subs[0]));
}

void whisper_directory_free(whisper_plugin *p) {
  tdestroy(p->by_name, free);
  tdestroy(p->by_guid, free);
  p->by_name = p->by_guid = NULL;
  p->online = 0;
}
