/*
 * Methods answered from the online cache alone: WhoQuery,
 * CharacterOnlineByName, ShortOnlineCharactersDataByGUIDs and
 * GetOnlineCharacters. GUIDs in answers are rendered for the caller's realm
 * (its own players as low GUIDs, others realm-scoped).
 */
#include <string.h>

#include "characters.h"
#include "guid.h"
#include "req.h"
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

static int check_who_text(stratus_req *req, const char *s, const char *what, who_text *out) {
  size_t len = strlen(s);
  if (!stratus_utf8_valid(s, len, NULL))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is not valid UTF-8", what);
  if (len > WHO_MAX_TEXT)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is longer than %d bytes", what,
                          WHO_MAX_TEXT);
  who_text_set(out, s, len);
  return 0;
}

static int who_texts(stratus_req *req, const V1__WhoQueryRequest *in, who_filter *f) {
  if (in->n_zones > WHO_MAX_ZONES || in->n_strings > WHO_MAX_STRINGS)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "at most %d zones and %d strings (got %zu and %zu)", WHO_MAX_ZONES,
                          WHO_MAX_STRINGS, in->n_zones, in->n_strings);
  int rc = check_who_text(req, in->playername, "playerName", &f->name);
  if (rc == 0) rc = check_who_text(req, in->guildname, "guildName", &f->guild);
  for (size_t i = 0; rc == 0 && i < in->n_strings; i++)
    rc = check_who_text(req, in->strings[i], "strings", &f->strings[i]);
  f->nstrings = in->n_strings;
  return rc;
}

static int who_check(stratus_req *req, const void *msg, void *job) {
  const V1__WhoQueryRequest *in = msg;
  chars *st = HOST->req_ud(req);
  who_filter *f = job;
  uint32_t realm, low;
  int rc = chars_realm_known(req, in->realmid);
  if (rc == 0) rc = chars_guid(req, in->realmid, in->characterguid, "characterGUID", &realm, &low);
  if (rc == 0) rc = who_texts(req, in, f);
  if (rc != 0) return rc;
  f->realm = in->realmid;
  f->lvl_min = in->lvlmin;
  /* The client sends 100 for "any level"; characters above it still count. */
  f->lvl_max = in->lvlmax >= 100 ? UINT32_MAX : in->lvlmax;
  f->race_mask = in->racemask;
  f->class_mask = in->classmask;
  f->zones = in->zones;
  f->nzones = in->n_zones;
  f->max_results = (size_t)st->cfg->who_max_results;
  const oc_char *me = online_find(&st->oc, realm, low);
  f->team = -1;
  if (!st->cfg->two_side_who && me && online_team(me->race) != TEAM_NEUTRAL)
    f->team = online_team(me->race);
  return 0;
}

static int who_reply_step(stratus_req *req, void *job) {
  const who_filter *f = job;
  chars *st = HOST->req_ud(req);
  who_reply r = {HOST->req_alloc(req, f->max_results * sizeof(*r.items)),
                 HOST->req_alloc(req, f->max_results * sizeof(*r.ptrs)), 0};
  V1__WhoQueryResponse *resp = req_message(HOST, req, &v1__who_query_response__descriptor);
  resp->totalfound = who_run(&st->oc, f, add_item, &r);
  resp->n_itemstodisplay = r.n;
  resp->itemstodisplay = r.ptrs;
  return HOST->req_reply(req, &resp->base);
}

/* ---- lookups ------------------------------------------------------------------------- */

static int online_by_name(stratus_req *req, void *job) {
  const V1__CharacterOnlineByNameRequest *in = (const void *)HOST->req_request(req);
  chars *st = HOST->req_ud(req);
  int rc = chars_realm_known(req, in->realmid);
  if (rc == 0) rc = chars_name(req, in->charactername, "characterName");
  if (rc != 0) return rc;
  const oc_char *c = online_find_name(&st->oc, in->realmid, in->charactername,
                                      strlen(in->charactername));
  V1__CharacterOnlineByNameResponse *resp =
      req_message(HOST, req, &v1__character_online_by_name_response__descriptor);
  if (c) {
    resp->character = req_message(HOST, req, &v1__character_online_by_name_response__char__descriptor);
    FILL_CHAR(resp->character, c, in->realmid);
  }
  return HOST->req_reply(req, &resp->base);
}

static int short_by_guids(stratus_req *req, void *job) {
  const V1__ShortCharactersDataByGUIDsRequest *in = (const void *)HOST->req_request(req);
  chars *st = HOST->req_ud(req);
  int rc = chars_realm_known(req, in->realmid);
  if (rc != 0) return rc;
  V1__ShortCharactersDataByGUIDsResponse *resp =
      req_message(HOST, req, &v1__short_characters_data_by_guids_response__descriptor);
  resp->characters = HOST->req_alloc(req, (in->n_guids + 1) * sizeof(*resp->characters));
  for (size_t i = 0; i < in->n_guids; i++) {
    uint32_t realm, low;
    if (!guid_resolve(in->realmid, in->guids[i], &realm, &low))
      return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                            "GUIDs[%zu] = %llu is not a player GUID", i,
                            (unsigned long long)in->guids[i]);
    const oc_char *c = online_find(&st->oc, realm, low);
    if (!c) continue;
    V1__ShortCharactersDataByGUIDsResponse__ShortCharData *item = req_message(
        HOST, req, &v1__short_characters_data_by_guids_response__short_char_data__descriptor);
    chars_fill_short(c, in->realmid, item);
    resp->characters[resp->n_characters++] = item;
  }
  return HOST->req_reply(req, &resp->base);
}

static int online_characters(stratus_req *req, void *job) {
  const V1__GetOnlineCharactersRequest *in = (const void *)HOST->req_request(req);
  chars *st = HOST->req_ud(req);
  int rc = chars_realm_known(req, in->realmid);
  if (rc != 0) return rc;
  const oc_realm *r = online_realm(&st->oc, in->realmid);
  uint32_t n = r ? r->n : 0;
  V1__GetOnlineCharactersResponse *resp =
      req_message(HOST, req, &v1__get_online_characters_response__descriptor);
  resp->characterguids = HOST->req_alloc(req, (n + 1) * sizeof(*resp->characterguids));
  for (uint32_t i = 0; i < n; i++) resp->characterguids[i] = guid_key_low(r->chars[i]->key);
  resp->n_characterguids = n;
  resp->totalcount = n;
  return HOST->req_reply(req, &resp->base);
}

/* Answered from the online cache alone: no pool, no database work. */
const stratus_method chars_online_methods[CHARS_ONLINE_METHODS] = {
    {.name = "WhoQuery", .job_size = sizeof(who_filter), .check = who_check,
     .reply = who_reply_step},
    {.name = "CharacterOnlineByName", .reply = online_by_name},
    {.name = "ShortOnlineCharactersDataByGUIDs", .reply = short_by_guids},
    {.name = "GetOnlineCharacters", .reply = online_characters},
};
