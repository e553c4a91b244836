/*
 * characters as the one owner of presence (sdk presence.h): the host's
 * presence_by_* lookups read the online cache through this provider, and
 * every change the gateway events make is reported to the host's watchers.
 * The staleness rule is the cache's (online.h): the gateway holding the
 * character, then the event time.
 */
#include <stdio.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

static void fill(stratus_presence *p, const oc_char *c) {
  *p = (stratus_presence){.struct_size = sizeof(*p), .realm = guid_key_realm(c->key),
                          .low = guid_key_low(c->key), .account = c->account,
                          .name = c->name, .gateway_id = c->gw ? c->gw->id : "",
                          .map = c->map, .zone = c->zone, .area = c->area,
                          .guild = c->guild_id, .race = c->race, .class_id = c->cls,
                          .gender = c->gender, .level = c->level,
                          .faction = stratus_race_faction(c->race),
                          .online_since_ms = c->online_ms};
}

/* Calls each(c); true when the visitor asked to stop. */
static bool visit(const oc_char *c, stratus_presence_each each, void *ud, int *n) {
  stratus_presence p;
  fill(&p, c);
  (*n)++;
  return each(&p, ud) != 0;
}

static int by_guid(void *state, uint32_t realm, uint32_t low, stratus_presence_each each,
                   void *ud) {
  chars *st = state;
  const oc_char *c = online_find(&st->oc, realm, low);
  int n = 0;
  if (c) visit(c, each, ud, &n);
  return n;
}

/* Realm 0: the character of that name on every realm (whispers without a
 * realm need them all, to find the one or to answer "ambiguous"). */
static int by_name(void *state, uint32_t realm, const char *name, stratus_presence_each each,
                   void *ud) {
  chars *st = state;
  size_t len = name ? strlen(name) : 0;
  int n = 0;
  if (len == 0 || len > OC_NAME_BYTES) return 0;
  for (size_t r = 0; r < st->oc.nrealms; r++) {
    uint32_t id = st->oc.realms[r]->id;
    const oc_char *c = realm == 0 || realm == id ? online_find_name(&st->oc, id, name, len) : NULL;
    if (c && visit(c, each, ud, &n)) break;
  }
  return n;
}

static int by_account(void *state, uint32_t account, stratus_presence_each each, void *ud) {
  chars *st = state;
  int n = 0;
  for (const oc_char *c = online_account_first(&st->oc, account); c; c = c->acct_next)
    if (visit(c, each, ud, &n)) break;
  return n;
}

static int gateway_chars(const oc_gateway *g, stratus_presence_each each, void *ud, int *n) {
  for (const oc_char *c = g->head; c; c = c->gw_next)
    if (visit(c, each, ud, n)) return 1;
  return 0;
}

static int by_gateway(void *state, uint32_t realm, const char *gateway_id,
                      stratus_presence_each each, void *ud) {
  chars *st = state;
  int n = 0;
  if (!gateway_id) return 0;
  if (realm) {
    const oc_gateway *g = online_gateway(&st->oc, realm, gateway_id);
    if (g) gateway_chars(g, each, ud, &n);
    return n;
  }
  for (size_t i = 0; i < st->oc.ngws; i++)
    if (strcmp(st->oc.gws[i]->id, gateway_id) == 0 && gateway_chars(st->oc.gws[i], each, ud, &n))
      break;
  return n;
}

static const stratus_presence_provider provider = {
    .struct_size = sizeof(stratus_presence_provider),
    .by_guid = by_guid,
    .by_name = by_name,
    .by_account = by_account,
    .by_gateway = by_gateway,
};

int chars_presence_provide(chars *st) { return HOST->presence_provide(st->ctx, &provider, st); }

void chars_presence_report(chars *st, int change, const oc_char *c) {
  stratus_presence p;
  fill(&p, c);
  HOST->presence_changed(st->ctx, change, &p);
}

void chars_presence_keep(const oc_char *c, chars_gone *out) {
  fill(&out->p, c);
  memcpy(out->name, c->name, sizeof(out->name));
  snprintf(out->gateway, sizeof(out->gateway), "%s", out->p.gateway_id);
  out->p.name = out->name;
  out->p.gateway_id = out->gateway;
}

void chars_presence_gone(chars *st, const chars_gone *g) {
  HOST->presence_changed(st->ctx, STRATUS_PRESENCE_OFFLINE, &g->p);
}
