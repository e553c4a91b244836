/*
 * Methods answered from the online cache alone: WhoQuery,
 * CharacterOnlineByName, ShortOnlineCharactersDataByGUIDs and
 * GetOnlineCharacters. GUIDs in answers are rendered for the caller's realm
 * (its own players as low GUIDs, others realm-scoped).
 */
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"
#include "who.h"

/* The three "short character" messages have the same fields; one macro
 * fills any of them. */
#define FILL_CHAR(out, c, viewer)                                                          \
  do {                                                                                     \
    (out)->realmid = guid_key_realm((c)->key);                                             \
    (out)->gatewayid = (char *)((c)->gw ? (c)->gw->id : "");                               \
    (out)->charguid = guid_for_viewer((viewer), guid_key_realm((c)->key),                  \
                                      guid_key_low((c)->key));                             \
    (out)->charname = (char *)(c)->name;                                                   \
    (out)->charrace = (c)->race;                                                           \
    (out)->charclass = (c)->cls;                                                           \
    (out)->chargender = (c)->gender;                                                       \
    (out)->charlvl = (c)->level;                                                           \
    (out)->charzone = (c)->zone;                                                           \
    (out)->charmap = (c)->map;                                                             \
    (out)->charguildid = (c)->guild_id;                                                    \
    (out)->accountid = (c)->account;                                                       \
  } while (0)

void chars_fill_short(const oc_char *c, uint32_t viewer,
                      V1__ShortCharactersDataByGUIDsResponse__ShortCharData *out) {
  FILL_CHAR(out, c, viewer);
  out->isonline = 1;
}

/* ---- WhoQuery --------------------------------------------------------------------- */

typedef struct who_reply {
  V1__WhoQueryResponse__WhoItem *items;
  V1__WhoQueryResponse__WhoItem **ptrs;
  size_t n;
} who_reply;

static void add_item(const oc_char *c, const oc_guild *g, void *ud) {
  who_reply *r = ud;
  V1__WhoQueryResponse__WhoItem *it = &r->items[r->n];
  v1__who_query_response__who_item__init(it);
  it->guid = guid_key_low(c->key);
  it->name = (char *)c->name;
  it->guild = (char *)(g ? g->name : "");
  it->lvl = c->level;
  it->class_ = c->cls;
  it->race = c->race;
  it->gender = c->gender;
  it->zoneid = c->zone;
  r->ptrs[r->n++] = it;
}

static bool who_text_ok(stratus_call *call, const char *s, const char *what, who_text *out) {
  size_t len = strlen(s);
  if (!stratus_utf8_valid(s, len, NULL)) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "%s is not valid UTF-8", what);
    return false;
  }
  if (len > WHO_MAX_TEXT) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "%s is longer than %d bytes", what,
                    WHO_MAX_TEXT);
    return false;
  }
  who_text_set(out, s, len);
  return true;
}

static bool who_filter_of(chars *st, stratus_call *call, const V1__WhoQueryRequest *req,
                          who_filter *f) {
  uint32_t realm, low;
  memset(f, 0, sizeof(*f));
  if (!chars_realm_ok(st, call, req->realmid) ||
      !chars_guid_ok(call, req->realmid, req->characterguid, "characterGUID", &realm, &low))
    return false;
  if (req->n_zones > WHO_MAX_ZONES || req->n_strings > WHO_MAX_STRINGS) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                    "at most %d zones and %d strings (got %zu and %zu)", WHO_MAX_ZONES,
                    WHO_MAX_STRINGS, req->n_zones, req->n_strings);
    return false;
  }
  if (!who_text_ok(call, req->playername, "playerName", &f->name) ||
      !who_text_ok(call, req->guildname, "guildName", &f->guild))
    return false;
  for (size_t i = 0; i < req->n_strings; i++)
    if (!who_text_ok(call, req->strings[i], "strings", &f->strings[i])) return false;
  f->nstrings = req->n_strings;
  f->realm = req->realmid;
  f->lvl_min = req->lvlmin;
  /* The client sends 100 for "any level"; characters above it still count. */
  f->lvl_max = req->lvlmax >= 100 ? UINT32_MAX : req->lvlmax;
  f->race_mask = req->racemask;
  f->class_mask = req->classmask;
  f->zones = req->zones;
  f->nzones = req->n_zones;
  f->max_results = (size_t)st->cfg->who_max_results;
  const oc_char *me = online_find(&st->oc, realm, low);
  f->team = -1;
  if (!st->cfg->two_side_who && me && online_team(me->race) != TEAM_NEUTRAL)
    f->team = online_team(me->race);
  return true;
}

static void who_query(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                      void *ud) {
  const V1__WhoQueryRequest *req = (const void *)msg;
  chars *st = ud;
  who_filter f;
  (void)ctx;
  if (!who_filter_of(st, call, req, &f)) return;
  who_reply r = {calloc(f.max_results, sizeof(*r.items)), calloc(f.max_results, sizeof(*r.ptrs)),
                 0};
  if (!r.items || !r.ptrs) {
    HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  } else {
    V1__WhoQueryResponse resp = V1__WHO_QUERY_RESPONSE__INIT;
    resp.totalfound = who_run(&st->oc, &f, add_item, &r);
    resp.n_itemstodisplay = r.n;
    resp.itemstodisplay = r.ptrs;
    HOST->call_reply(call, &resp.base);
  }
  free(r.items);
  free(r.ptrs);
}

/* ---- lookups ------------------------------------------------------------------------- */

static void online_by_name(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                           void *ud) {
  const V1__CharacterOnlineByNameRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid) ||
      !chars_name_ok(call, req->charactername, "characterName"))
    return;
  const oc_char *c = online_find_name(&st->oc, req->realmid, req->charactername,
                                      strlen(req->charactername));
  V1__CharacterOnlineByNameResponse__Char ch = V1__CHARACTER_ONLINE_BY_NAME_RESPONSE__CHAR__INIT;
  V1__CharacterOnlineByNameResponse resp = V1__CHARACTER_ONLINE_BY_NAME_RESPONSE__INIT;
  if (c) {
    FILL_CHAR(&ch, c, req->realmid);
    resp.character = &ch;
  }
  HOST->call_reply(call, &resp.base);
}

static void short_by_guids(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                           void *ud) {
  const V1__ShortCharactersDataByGUIDsRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid)) return;
  size_t cap = req->n_guids ? req->n_guids : 1;
  V1__ShortCharactersDataByGUIDsResponse__ShortCharData *items = calloc(cap, sizeof(*items));
  V1__ShortCharactersDataByGUIDsResponse__ShortCharData **ptrs = calloc(cap, sizeof(*ptrs));
  size_t n = 0;
  bool ok = items && ptrs;
  if (!ok) HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  for (size_t i = 0; ok && i < req->n_guids; i++) {
    uint32_t realm, low;
    if (!guid_resolve(req->realmid, req->guids[i], &realm, &low)) {
      HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                      "GUIDs[%zu] = %llu is not a player GUID", i,
                      (unsigned long long)req->guids[i]);
      ok = false;
      break;
    }
    const oc_char *c = online_find(&st->oc, realm, low);
    if (!c) continue;
    v1__short_characters_data_by_guids_response__short_char_data__init(&items[n]);
    chars_fill_short(c, req->realmid, &items[n]);
    ptrs[n] = &items[n];
    n++;
  }
  if (ok) {
    V1__ShortCharactersDataByGUIDsResponse resp = V1__SHORT_CHARACTERS_DATA_BY_GUIDS_RESPONSE__INIT;
    resp.n_characters = n;
    resp.characters = ptrs;
    HOST->call_reply(call, &resp.base);
  }
  free(items);
  free(ptrs);
}

static void online_characters(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                              void *ud) {
  const V1__GetOnlineCharactersRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid)) return;
  const oc_realm *r = online_realm(&st->oc, req->realmid);
  uint32_t n = r ? r->n : 0;
  uint64_t *guids = malloc((n ? n : 1) * sizeof(*guids));
  if (!guids) {
    HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  for (uint32_t i = 0; i < n; i++) guids[i] = guid_key_low(r->chars[i]->key);
  V1__GetOnlineCharactersResponse resp = V1__GET_ONLINE_CHARACTERS_RESPONSE__INIT;
  resp.n_characterguids = n;
  resp.characterguids = guids;
  resp.totalcount = n;
  HOST->call_reply(call, &resp.base);
  free(guids);
}

const chars_method chars_online_methods[] = {
    {"WhoQuery", who_query},
    {"CharacterOnlineByName", online_by_name},
    {"ShortOnlineCharactersDataByGUIDs", short_by_guids},
    {"GetOnlineCharacters", online_characters},
    {NULL, NULL},
};
