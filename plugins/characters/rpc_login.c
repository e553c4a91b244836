/*
 * The character select screen: CharactersToLoginForAccount (every
 * character of an account on a realm) and CharactersToLoginByGUID (the one
 * being logged in; with PR #37's accountID it must belong to that account).
 * Rows come from characters with the current pet (character_pet slot 0),
 * guild (guild_member) and an active ban (character_banned); the visible
 * gear is equipmentCache's item entries turned into display data (items.c).
 */
#include <stdlib.h>

#include "characters.h"
#include "guid.h"
#include "req.h"

#define EQUIP_SLOTS 23 /* equipment slots and bags, as the client lists them */

/* A row of SELECT_LOGIN: the message itself, and the equipment to decode. */
typedef struct login_row {
  V1__LogInCharacter c;
  char *equipment;
} login_row;

typedef struct login_job {
  stratus_req *req;
  bool by_guid;
  uint32_t account, low;
  login_row *rows;
  size_t n;
} login_job;

#define SELECT_LOGIN                                                                         \
  "SELECT c.guid, c.account, c.name, c.race, c.class, c.gender, c.skin, c.face, "           \
  "c.hairStyle, c.hairColor, c.facialStyle, c.level, c.zone, c.map, c.position_x, "        \
  "c.position_y, c.position_z, IFNULL(gm.guildid, 0) AS guildid, c.playerFlags, "         \
  "c.at_login, IFNULL(cp.entry, 0) AS pet_entry, IFNULL(cp.modelid, 0) AS pet_model, "     \
  "IFNULL(cp.level, 0) AS pet_level, c.equipmentCache, "                                   \
  "EXISTS(SELECT 1 FROM character_banned AS cb WHERE cb.guid = c.guid AND cb.active = 1) " \
  "AS banned, c.extra_flags FROM characters AS c "                                         \
  "LEFT JOIN character_pet AS cp ON cp.owner = c.guid AND cp.slot = 0 "                    \
  "LEFT JOIN guild_member AS gm ON gm.guid = c.guid "

static const stratus_col login_cols[] = {
    STRATUS_COL(login_row, c.guid, "guid"), STRATUS_COL(login_row, c.accountid, "account"),
    STRATUS_COL(login_row, c.name, "name"), STRATUS_COL(login_row, c.race, "race"),
    STRATUS_COL(login_row, c.class_, "class"), STRATUS_COL(login_row, c.gender, "gender"),
    STRATUS_COL(login_row, c.skin, "skin"), STRATUS_COL(login_row, c.face, "face"),
    STRATUS_COL(login_row, c.hairstyle, "hairStyle"), STRATUS_COL(login_row, c.haircolor, "hairColor"),
    STRATUS_COL(login_row, c.facialstyle, "facialStyle"), STRATUS_COL(login_row, c.level, "level"),
    STRATUS_COL(login_row, c.zone, "zone"), STRATUS_COL(login_row, c.map, "map"),
    STRATUS_COL(login_row, c.positionx, "position_x"), STRATUS_COL(login_row, c.positiony, "position_y"),
    STRATUS_COL(login_row, c.positionz, "position_z"), STRATUS_COL(login_row, c.guildid, "guildid"),
    STRATUS_COL(login_row, c.playerflags, "playerFlags"), STRATUS_COL(login_row, c.atlogin, "at_login"),
    STRATUS_COL(login_row, c.petentry, "pet_entry"), STRATUS_COL(login_row, c.petmodelid, "pet_model"),
    STRATUS_COL(login_row, c.petlevel, "pet_level"), STRATUS_COL(login_row, equipment, "equipmentCache"),
    STRATUS_COL(login_row, c.banned, "banned"), STRATUS_COL(login_row, c.extraflags, "extra_flags"),
};

static int login_work(stratus_db *db, stratus_req *req, void *job) {
  static const login_row tmpl = {.c = V1__LOG_IN_CHARACTER__INIT};
  login_job *j = job;
  stratus_rows *rows;
  int rc = j->by_guid
               ? HOST->sql_exec(db, SELECT_LOGIN "WHERE c.guid = ? AND c.deleteInfos_Name IS NULL",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->low)), &rows)
               : HOST->sql_exec(db, SELECT_LOGIN "WHERE c.account = ? AND c.deleteInfos_Name "
                                                 "IS NULL ORDER BY COALESCE(c.`order`, c.guid), c.guid",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->account)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(login_cols), sizeof(tmpl), &tmpl,
                          (void **)&j->rows, &j->n);
  HOST->rows_free(rows);
  return rc;
}

/* equipmentCache: "entry enchant entry enchant ..." for each slot. */
static void parse_equipment(const char *s, uint32_t equip[EQUIP_SLOTS]) {
  for (int i = 0; s && i < EQUIP_SLOTS * 2 && *s; i++) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s) break;
    if (i % 2 == 0) equip[i / 2] = (uint32_t)v;
    s = end;
  }
}

static void add_equipment(const chars *st, stratus_req *req, login_row *r) {
  uint32_t equip[EQUIP_SLOTS] = {0};
  parse_equipment(r->equipment, equip);
  V1__EquipmentDisplay *eq = HOST->req_alloc(req, EQUIP_SLOTS * sizeof(*eq));
  r->c.equipments = HOST->req_alloc(req, EQUIP_SLOTS * sizeof(*r->c.equipments));
  for (int s = 0; s < EQUIP_SLOTS; s++) {
    v1__equipment_display__init(&eq[s]);
    items_display(st, equip[s], &eq[s].displayinfoid, &eq[s].inventorytype);
    r->c.equipments[s] = &eq[s];
  }
  r->c.n_equipments = EQUIP_SLOTS;
}

/* Runs once item templates are loaded: builds and sends the answer. */
static void reply_login(chars *st, void *arg) {
  login_job *j = arg;
  stratus_req *req = j->req;
  V1__LogInCharacter **list = HOST->req_alloc(req, (j->n + 1) * sizeof(*list));
  size_t n = 0;
  for (size_t i = 0; i < j->n; i++) {
    /* Two current pets would repeat a character: keep its first row. */
    if (n && list[n - 1]->guid == j->rows[i].c.guid) continue;
    add_equipment(st, req, &j->rows[i]);
    list[n++] = &j->rows[i].c;
  }
  if (j->by_guid) {
    V1__CharactersToLoginByGUIDResponse *resp =
        req_message(HOST, req, &v1__characters_to_login_by_guidresponse__descriptor);
    resp->character = n ? list[0] : NULL;
    HOST->req_reply(req, &resp->base);
  } else {
    V1__CharactersToLoginForAccountResponse *resp =
        req_message(HOST, req, &v1__characters_to_login_for_account_response__descriptor);
    resp->n_characters = n;
    resp->characters = list;
    HOST->req_reply(req, &resp->base);
  }
}

static int login_reply(stratus_req *req, void *job) {
  login_job *j = job;
  /* PR #37: with an account, the character must belong to it. */
  if (j->by_guid && j->account && j->n && j->rows[0].c.accountid != j->account) j->n = 0;
  j->req = req;
  items_when_ready(HOST->req_ud(req), reply_login, j);
  return STRATUS_LATER;
}

static int for_account_check(stratus_req *req, const void *msg, void *job) {
  const V1__CharactersToLoginForAccountRequest *in = msg;
  ((login_job *)job)->account = in->accountid;
  int rc = chars_use_realm(req, in->realmid);
  if (rc == 0 && in->accountid == 0)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "accountID is 0");
  return rc;
}

static int by_guid_check(stratus_req *req, const void *msg, void *job) {
  const V1__CharactersToLoginByGUIDRequest *in = msg;
  login_job *j = job;
  uint32_t realm;
  *j = (login_job){.by_guid = true, .account = in->accountid};
  int rc = chars_use_realm(req, in->realmid);
  if (rc == 0) rc = chars_guid(req, in->realmid, in->characterguid, "characterGUID", &realm, &j->low);
  if (rc == 0 && realm != in->realmid)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                        "characterGUID belongs to realm %u, not to realm %u", realm, in->realmid);
  return rc;
}

const stratus_method chars_login_methods[CHARS_LOGIN_METHODS] = {
    {.name = "CharactersToLoginForAccount", .job_size = sizeof(login_job), .pool = "characters",
     .check = for_account_check, .work = login_work, .reply = login_reply},
    {.name = "CharactersToLoginByGUID", .job_size = sizeof(login_job), .pool = "characters",
     .check = by_guid_check, .work = login_work, .reply = login_reply},
};
