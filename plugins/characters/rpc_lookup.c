/*
 * CharacterByName and CharacterByGUID (PR #37): the online cache first
 * (isOnline, gatewayID), else the realm's characters table. Names match
 * case-insensitively: online by folded name, in the database in the core's
 * name form ("Arthas"), which is how the core stores every name
 * (characters.name is case-sensitive utf8mb4_bin). Unknown: no character.
 */
#include <string.h>

#include "characters.h"
#include "guid.h"
#include "req.h"

typedef V1__CharacterByNameResponse__Char char_msg;

#define SELECT_CHAR                                                                          \
  "SELECT c.guid, c.account, c.name, c.race, c.class, c.gender, c.level, c.zone, c.map, "   \
  "IFNULL(gm.guildid, 0) AS guildid FROM characters AS c LEFT JOIN guild_member AS gm "    \
  "ON gm.guid = c.guid "

typedef struct lookup_job {
  bool by_guid;
  uint32_t realm, viewer, low;
  char name[OC_NAME_BYTES + 1];
  char_msg *found;
} lookup_job;

static int lookup_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {
      STRATUS_COL(char_msg, charguid, "guid"),     STRATUS_COL(char_msg, accountid, "account"),
      STRATUS_COL(char_msg, charname, "name"),     STRATUS_COL(char_msg, charrace, "race"),
      STRATUS_COL(char_msg, charclass, "class"),   STRATUS_COL(char_msg, chargender, "gender"),
      STRATUS_COL(char_msg, charlvl, "level"),     STRATUS_COL(char_msg, charzone, "zone"),
      STRATUS_COL(char_msg, charmap, "map"),       STRATUS_COL(char_msg, charguildid, "guildid")};
  lookup_job *j = job;
  stratus_rows *rows;
  int rc = j->by_guid
               ? HOST->sql_exec(db, SELECT_CHAR "WHERE c.guid = ? AND c.deleteInfos_Name IS NULL",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->low)), &rows)
               : HOST->sql_exec(db, SELECT_CHAR "WHERE c.name = ? AND c.deleteInfos_Name IS NULL "
                                                "ORDER BY c.guid LIMIT 1",
                                STRATUS_SQL_PARAMS(stratus_sql_text(j->name)), &rows);
  if (rc != 0) return rc;
  j->found = req_message(HOST, req, &v1__character_by_name_response__char__descriptor);
  rc = HOST->rows_read(rows, req, STRATUS_COLS(cols), j->found);
  HOST->rows_free(rows);
  if (rc == 0) j->found = NULL;
  return rc < 0 ? rc : 0;
}

/* Answers with ch (NULL: no such character). */
static int answer(stratus_req *req, bool by_guid, char_msg *ch) {
  if (by_guid) {
    V1__CharacterByGUIDResponse *resp =
        req_message(HOST, req, &v1__character_by_guidresponse__descriptor);
    resp->character = ch;
    return HOST->req_reply(req, &resp->base);
  }
  V1__CharacterByNameResponse *resp =
      req_message(HOST, req, &v1__character_by_name_response__descriptor);
  resp->character = ch;
  return HOST->req_reply(req, &resp->base);
}

static int answer_online(stratus_req *req, bool by_guid, const oc_char *c, uint32_t viewer) {
  V1__ShortCharactersDataByGUIDsResponse__ShortCharData s =
      V1__SHORT_CHARACTERS_DATA_BY_GUIDS_RESPONSE__SHORT_CHAR_DATA__INIT;
  char_msg *ch = req_message(HOST, req, &v1__character_by_name_response__char__descriptor);
  chars_fill_short(c, viewer, &s);
  ch->realmid = s.realmid, ch->isonline = 1, ch->gatewayid = s.gatewayid;
  ch->charguid = s.charguid, ch->charname = s.charname, ch->charrace = s.charrace;
  ch->charclass = s.charclass, ch->chargender = s.chargender, ch->charlvl = s.charlvl;
  ch->charzone = s.charzone, ch->charmap = s.charmap, ch->charguildid = s.charguildid;
  ch->accountid = s.accountid;
  return answer(req, by_guid, ch);
}

static int lookup_reply(stratus_req *req, void *job) {
  lookup_job *j = job;
  if (j->found) {
    j->found->realmid = j->realm;
    j->found->charguid = guid_for_viewer(j->viewer, j->realm, (uint32_t)j->found->charguid);
  }
  return answer(req, j->by_guid, j->found);
}

static int by_name_check(stratus_req *req, const void *msg, void *job) {
  const V1__CharacterByNameRequest *in = msg;
  lookup_job *j = job;
  chars *st = HOST->req_ud(req);
  int rc = chars_use_realm(req, in->realmid);
  if (rc == 0) rc = chars_name(req, in->charactername, "characterName");
  if (rc != 0) return rc;
  size_t len = strlen(in->charactername);
  const oc_char *c = online_find_name(&st->oc, in->realmid, in->charactername, len);
  if (c) return answer_online(req, false, c, in->realmid);
  *j = (lookup_job){.realm = in->realmid, .viewer = in->realmid};
  stratus_name_form(in->charactername, len, j->name);
  return 0;
}

static int by_guid_check(stratus_req *req, const void *msg, void *job) {
  const V1__CharacterByGUIDRequest *in = msg;
  lookup_job *j = job;
  chars *st = HOST->req_ud(req);
  *j = (lookup_job){.by_guid = true, .viewer = in->realmid};
  int rc = chars_guid(req, in->realmid, in->characterguid, "characterGUID", &j->realm, &j->low);
  if (rc == 0) rc = chars_use_realm(req, j->realm);
  if (rc != 0) return rc;
  const oc_char *c = online_find(&st->oc, j->realm, j->low);
  return c ? answer_online(req, true, c, in->realmid) : 0;
}

const stratus_method chars_lookup_methods[CHARS_LOOKUP_METHODS] = {
    {.name = "CharacterByName", .job_size = sizeof(lookup_job), .pool = "characters",
     .check = by_name_check, .work = lookup_work, .reply = lookup_reply},
    {.name = "CharacterByGUID", .job_size = sizeof(lookup_job), .pool = "characters",
     .check = by_guid_check, .work = lookup_work, .reply = lookup_reply},
};
