/*
 * CharacterByName and CharacterByGUID (PR #37): the online cache first
 * (isOnline, gatewayID), else the realm's characters table. Names match
 * case-insensitively: online by folded name, in the database in the core's
 * name form ("Arthas"), which is how the core stores every name
 * (characters.name is case-sensitive utf8mb4_bin). Unknown: no character.
 */
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

#define SELECT_CHAR                                                                        \
  "SELECT c.guid, c.account, c.name, c.race, c.class, c.gender, c.level, c.zone, c.map, " \
  "IFNULL(gm.guildid, 0) FROM characters AS c LEFT JOIN guild_member AS gm "             \
  "ON gm.guid = c.guid "

typedef struct lookup_job {
  chars *st;
  stratus_call *call;
  bool by_guid;
  uint32_t realm, viewer, low;
  size_t name_len;
  char name[OC_NAME_BYTES + 1];
  bool found;
  oc_char row; /* the columns above, in an online entry's shape */
} lookup_job;

static int lookup_work(stratus_db *db, void *arg) {
  lookup_job *j = arg;
  stratus_rows *rows;
  int rc = j->by_guid
               ? HOST->sql_exec(db, SELECT_CHAR "WHERE c.guid = ? AND c.deleteInfos_Name IS NULL",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->low)), &rows)
               : HOST->sql_exec(db, SELECT_CHAR "WHERE c.name = ? AND c.deleteInfos_Name IS NULL "
                                                "ORDER BY c.guid LIMIT 1",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_TEXT_N(j->name, j->name_len)),
                                &rows);
  if (rc != 0) return rc;
  if (HOST->rows_next(rows) == 1) {
    oc_char *c = &j->row;
    size_t len;
    const char *name = HOST->rows_text(rows, 2, &len);
    c->key = guid_key(j->realm, (uint32_t)HOST->rows_uint(rows, 0));
    c->account = (uint32_t)HOST->rows_uint(rows, 1);
    if (len > OC_NAME_BYTES) len = OC_NAME_BYTES;
    memcpy(c->name, name ? name : "", len);
    c->race = (uint8_t)HOST->rows_uint(rows, 3);
    c->cls = (uint8_t)HOST->rows_uint(rows, 4);
    c->gender = (uint8_t)HOST->rows_uint(rows, 5);
    c->level = (uint8_t)HOST->rows_uint(rows, 6);
    c->zone = (uint32_t)HOST->rows_uint(rows, 7);
    c->map = (uint32_t)HOST->rows_uint(rows, 8);
    c->guild_id = (uint32_t)HOST->rows_uint(rows, 9);
    j->found = true;
  }
  HOST->rows_free(rows);
  return 0;
}

/* Replies with c (online or from the database) or with no character. */
static void reply_char(stratus_call *call, bool by_guid, const oc_char *c, bool is_online,
                       uint32_t viewer) {
  V1__ShortCharactersDataByGUIDsResponse__ShortCharData s =
      V1__SHORT_CHARACTERS_DATA_BY_GUIDS_RESPONSE__SHORT_CHAR_DATA__INIT;
  V1__CharacterByNameResponse__Char ch = V1__CHARACTER_BY_NAME_RESPONSE__CHAR__INIT;
  if (c) {
    chars_fill_short(c, viewer, &s);
    ch.realmid = s.realmid;
    ch.isonline = is_online;
    ch.gatewayid = s.gatewayid;
    ch.charguid = s.charguid;
    ch.charname = s.charname;
    ch.charrace = s.charrace;
    ch.charclass = s.charclass;
    ch.chargender = s.chargender;
    ch.charlvl = s.charlvl;
    ch.charzone = s.charzone;
    ch.charmap = s.charmap;
    ch.charguildid = s.charguildid;
    ch.accountid = s.accountid;
  }
  if (by_guid) {
    V1__CharacterByGUIDResponse resp = V1__CHARACTER_BY_GUIDRESPONSE__INIT;
    resp.character = c ? &ch : NULL;
    HOST->call_reply(call, &resp.base);
  } else {
    V1__CharacterByNameResponse resp = V1__CHARACTER_BY_NAME_RESPONSE__INIT;
    resp.character = c ? &ch : NULL;
    HOST->call_reply(call, &resp.base);
  }
}

static void lookup_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  lookup_job *j = arg;
  (void)ctx;
  if (result != 0)
    chars_fail_job(j->call, result, error, j->realm);
  else
    reply_char(j->call, j->by_guid, j->found ? &j->row : NULL, false, j->viewer);
  free(j);
}

static void submit_lookup(chars *st, stratus_call *call, lookup_job *j) {
  if (chars_submit(st, call, j->realm, lookup_work, lookup_done, j) != 0) free(j);
}

static void by_name(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                    void *ud) {
  const V1__CharacterByNameRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid) ||
      !chars_name_ok(call, req->charactername, "characterName"))
    return;
  size_t len = strlen(req->charactername);
  const oc_char *c = online_find_name(&st->oc, req->realmid, req->charactername, len);
  if (c) {
    reply_char(call, false, c, true, req->realmid);
    return;
  }
  lookup_job *j = calloc(1, sizeof(*j));
  if (!j) {
    HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *j = (lookup_job){.st = st, .call = call, .realm = req->realmid, .viewer = req->realmid,
                    .name_len = len};
  stratus_name_form(req->charactername, len, j->name);
  submit_lookup(st, call, j);
}

static void by_guid(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                    void *ud) {
  const V1__CharacterByGUIDRequest *req = (const void *)msg;
  chars *st = ud;
  uint32_t realm, low;
  (void)ctx;
  if (!chars_guid_ok(call, req->realmid, req->characterguid, "characterGUID", &realm, &low) ||
      !chars_realm_ok(st, call, realm))
    return;
  const oc_char *c = online_find(&st->oc, realm, low);
  if (c) {
    reply_char(call, true, c, true, req->realmid);
    return;
  }
  lookup_job *j = calloc(1, sizeof(*j));
  if (!j) {
    HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *j = (lookup_job){.st = st, .call = call, .by_guid = true, .realm = realm,
                    .viewer = req->realmid, .low = low};
  submit_lookup(st, call, j);
}

const chars_method chars_lookup_methods[] = {
    {"CharacterByName", by_name},
    {"CharacterByGUID", by_guid},
    {NULL, NULL},
};
