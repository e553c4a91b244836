/*
 * Test fixture (never installed): a stand-in presence owner for the guild
 * plugin's tests and benchmark while the characters plugin does not yet
 * register as the owner. It keeps who logged in through the gateways'
 * gw.char.logged-in / gw.char.logged-out events (nothing else: no gateway
 * loss, no updates) and answers the presence API's lookups. It refuses to
 * load next to another owner (presence_provide fails).
 */
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <stratus/stratus.h>

#include "guid.h"
#include "hmap.h"

static const stratus_host_api *host;

typedef struct entry {
  stratus_presence p;
  char name[64];
  char gateway[64];
} entry;

typedef struct standin {
  stratus_ctx *ctx;
  hmap online; /* guid_key(realm, low) -> entry */
} standin;

static uint64_t key_hash(uint32_t realm, uint32_t low) {
  return hmap_mix64(guid_key(realm, low));
}

static int by_guid(void *state, uint32_t realm, uint32_t low, stratus_presence_each each,
                   void *ud) {
  standin *s = state;
  entry *e = hmap_get(&s->online, key_hash(realm, low), NULL, NULL);
  if (!e) return 0;
  each(&e->p, ud);
  return 1;
}

static int scan(standin *s, bool (*match)(const entry *, const void *), const void *arg,
                stratus_presence_each each, void *ud) {
  int n = 0;
  for (size_t i = 0; i < s->online.cap; i++) {
    entry *e = s->online.slots[i].val;
    if (!e || !match(e, arg)) continue;
    n++;
    if (each(&e->p, ud)) break;
  }
  return n;
}

typedef struct name_q {
  uint32_t realm;
  const char *name;
} name_q;

static bool name_match(const entry *e, const void *arg) {
  const name_q *q = arg;
  return e->p.realm == q->realm && strcasecmp(e->name, q->name) == 0;
}

static bool account_match(const entry *e, const void *arg) {
  return e->p.account == *(const uint32_t *)arg;
}

static bool gateway_match(const entry *e, const void *arg) {
  const name_q *q = arg;
  return (q->realm == 0 || e->p.realm == q->realm) && strcmp(e->gateway, q->name) == 0;
}

static int by_name(void *state, uint32_t realm, const char *name, stratus_presence_each each,
                   void *ud) {
  name_q q = {realm, name};
  return scan(state, name_match, &q, each, ud);
}

static int by_account(void *state, uint32_t account, stratus_presence_each each, void *ud) {
  return scan(state, account_match, &account, each, ud);
}

static int by_gateway(void *state, uint32_t realm, const char *gateway,
                      stratus_presence_each each, void *ud) {
  name_q q = {realm, gateway};
  return scan(state, gateway_match, &q, each, ud);
}

static const stratus_presence_provider provider = {sizeof(provider), 0, by_guid, by_name,
                                                   by_account, by_gateway};

static uint32_t num(json_t *o, const char *key) {
  return (uint32_t)json_integer_value(json_object_get(o, key));
}

static const char *str(json_t *o, const char *key) {
  const char *v = json_string_value(json_object_get(o, key));
  return v ? v : "";
}

static void logged_in(standin *s, json_t *o) {
  uint32_t realm = num(o, "RealmID"), low = num(o, "CharGUID");
  entry *e = hmap_get(&s->online, key_hash(realm, low), NULL, NULL);
  if (!e) {
    e = calloc(1, sizeof(*e));
    if (!e || hmap_put(&s->online, key_hash(realm, low), e) != 0) {
      free(e);
      return;
    }
  }
  snprintf(e->name, sizeof(e->name), "%s", str(o, "CharName"));
  snprintf(e->gateway, sizeof(e->gateway), "%s", str(o, "GatewayID"));
  e->p = (stratus_presence){.struct_size = sizeof(stratus_presence), .realm = realm, .low = low,
                            .account = num(o, "AccountID"), .name = e->name,
                            .gateway_id = e->gateway, .zone = num(o, "CharZone"),
                            .map = num(o, "CharMap"), .guild = num(o, "CharGuildID"),
                            .race = (uint8_t)num(o, "CharRace"),
                            .class_id = (uint8_t)num(o, "CharClass"),
                            .gender = (uint8_t)num(o, "CharGender"),
                            .level = (uint8_t)num(o, "CharLevel")};
  e->p.faction = stratus_race_faction(e->p.race);
  host->presence_changed(s->ctx, STRATUS_PRESENCE_ONLINE, &e->p);
}

static void on_event(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  (void)ctx;
  standin *s = ud;
  json_t *o = json_loads(ev->payload, 0, NULL);
  if (!json_is_object(o)) {
    json_decref(o);
    return;
  }
  if (strcmp(ev->subject, "gw.char.logged-in") == 0) {
    logged_in(s, o);
  } else {
    uint32_t realm = num(o, "RealmID"), low = num(o, "CharGUID");
    entry *e = hmap_get(&s->online, key_hash(realm, low), NULL, NULL);
    if (e) {
      hmap_del_val(&s->online, key_hash(realm, low), e);
      host->presence_changed(s->ctx, STRATUS_PRESENCE_OFFLINE, &e->p);
      free(e);
    }
  }
  json_decref(o);
}

static int standin_init(stratus_ctx *ctx, const void *config, void **state) {
  (void)config;
  standin *s = calloc(1, sizeof(*s));
  if (!s) return STRATUS_ENOMEM;
  s->ctx = ctx;
  int rc = host->presence_provide(ctx, &provider, s);
  if (rc == 0 && (!host->event_subscribe(ctx, "gw.char.logged-in", on_event, s) ||
                  !host->event_subscribe(ctx, "gw.char.logged-out", on_event, s)))
    rc = STRATUS_EUNAVAILABLE;
  if (rc != 0) {
    free(s);
    return rc;
  }
  *state = s;
  return 0;
}

static void standin_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  standin *s = state;
  for (size_t i = 0; i < s->online.cap; i++) free(s->online.slots[i].val);
  hmap_free(&s->online);
  free(s);
}

static const stratus_plugin desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "presence_standin",
    .version = "0",
    .description = "test fixture: presence from gateway login/logout events",
    .init = standin_init,
    .destroy = standin_destroy,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, presence_provide)) return NULL;
  host = api;
  return &desc;
}
