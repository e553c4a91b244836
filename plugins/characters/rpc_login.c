/*
 * The character select screen: CharactersToLoginForAccount (every
 * character of an account on a realm) and CharactersToLoginByGUID (the one
 * being logged in; with PR #37's accountID it must belong to that account).
 * Rows come from characters with the current pet (character_pet slot 0),
 * guild (guild_member) and an active ban (character_banned); the visible
 * gear is equipmentCache's item entries turned into display data (items.c).
 */
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

#define EQUIP_SLOTS 23 /* equipment slots and bags, as the client lists them */

typedef struct login_row {
  uint32_t guid, account, race, cls, gender, skin, face, hair_style, hair_color,
      facial_style, level, zone, map, guild, player_flags, at_login, pet_entry, pet_model,
      pet_level, extra_flags;
  float x, y, z;
  bool banned;
  uint32_t equip[EQUIP_SLOTS];
  char name[OC_NAME_BYTES + 1];
} login_row;

typedef struct login_job {
  chars *st;
  stratus_call *call;
  bool by_guid;
  uint32_t realm, account, low;
  login_row *rows;
  size_t n;
} login_job;

#define SELECT_LOGIN                                                                         \
  "SELECT c.guid, c.account, c.name, c.race, c.class, c.gender, c.skin, c.face, "           \
  "c.hairStyle, c.hairColor, c.facialStyle, c.level, c.zone, c.map, c.position_x, "        \
  "c.position_y, c.position_z, IFNULL(gm.guildid, 0), c.playerFlags, c.at_login, "         \
  "IFNULL(cp.entry, 0), IFNULL(cp.modelid, 0), IFNULL(cp.level, 0), c.equipmentCache, "    \
  "EXISTS(SELECT 1 FROM character_banned AS cb WHERE cb.guid = c.guid AND cb.active = 1), " \
  "c.extra_flags FROM characters AS c "                                                     \
  "LEFT JOIN character_pet AS cp ON cp.owner = c.guid AND cp.slot = 0 "                    \
  "LEFT JOIN guild_member AS gm ON gm.guid = c.guid "

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

static void read_row(stratus_rows *rows, login_row *r) {
  size_t len;
  const char *name = HOST->rows_text(rows, 2, &len);
  uint32_t *ints[] = {&r->guid, &r->account};
  for (unsigned i = 0; i < 2; i++) *ints[i] = (uint32_t)HOST->rows_uint(rows, i);
  memcpy(r->name, name ? name : "", len > OC_NAME_BYTES ? OC_NAME_BYTES : len);
  uint32_t *more[] = {&r->race, &r->cls, &r->gender, &r->skin, &r->face, &r->hair_style,
                      &r->hair_color, &r->facial_style, &r->level, &r->zone, &r->map};
  for (unsigned i = 0; i < 11; i++) *more[i] = (uint32_t)HOST->rows_uint(rows, 3 + i);
  r->x = (float)HOST->rows_double(rows, 14);
  r->y = (float)HOST->rows_double(rows, 15);
  r->z = (float)HOST->rows_double(rows, 16);
  uint32_t *tail[] = {&r->guild, &r->player_flags, &r->at_login, &r->pet_entry, &r->pet_model,
                      &r->pet_level};
  for (unsigned i = 0; i < 6; i++) *tail[i] = (uint32_t)HOST->rows_uint(rows, 17 + i);
  parse_equipment(HOST->rows_text(rows, 23, &len), r->equip);
  r->banned = HOST->rows_uint(rows, 24) != 0;
  r->extra_flags = (uint32_t)HOST->rows_uint(rows, 25);
}

static int login_work(stratus_db *db, void *arg) {
  login_job *j = arg;
  stratus_rows *rows;
  int rc = j->by_guid
               ? HOST->sql_exec(db, SELECT_LOGIN "WHERE c.guid = ? AND c.deleteInfos_Name IS NULL",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->low)), &rows)
               : HOST->sql_exec(db, SELECT_LOGIN "WHERE c.account = ? AND c.deleteInfos_Name "
                                                 "IS NULL ORDER BY COALESCE(c.`order`, c.guid), c.guid",
                                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->account)), &rows);
  if (rc != 0) return rc;
  size_t count = HOST->rows_count(rows);
  j->rows = calloc(count ? count : 1, sizeof(*j->rows));
  if (!j->rows) {
    HOST->rows_free(rows);
    return STRATUS_ENOMEM;
  }
  while (HOST->rows_next(rows) == 1 && j->n < count) {
    login_row *r = &j->rows[j->n];
    read_row(rows, r);
    /* Two current pets would repeat a character: keep its first row. */
    if (j->n == 0 || j->rows[j->n - 1].guid != r->guid) j->n++;
  }
  HOST->rows_free(rows);
  return 0;
}

static void fill_character(const chars *st, const login_row *r, V1__LogInCharacter *c,
                           V1__EquipmentDisplay *eq, V1__EquipmentDisplay **eq_ptrs) {
  v1__log_in_character__init(c);
  c->guid = r->guid;
  c->name = (char *)r->name;
  c->race = r->race, c->class_ = r->cls, c->gender = r->gender;
  c->skin = r->skin, c->face = r->face, c->hairstyle = r->hair_style;
  c->haircolor = r->hair_color, c->facialstyle = r->facial_style;
  c->level = r->level, c->zone = r->zone, c->map = r->map;
  c->positionx = r->x, c->positiony = r->y, c->positionz = r->z;
  c->guildid = r->guild, c->playerflags = r->player_flags, c->atlogin = r->at_login;
  c->petentry = r->pet_entry, c->petmodelid = r->pet_model, c->petlevel = r->pet_level;
  c->banned = r->banned;
  c->accountid = r->account;
  c->extraflags = r->extra_flags;
  for (int s = 0; s < EQUIP_SLOTS; s++) {
    v1__equipment_display__init(&eq[s]);
    items_display(st, r->equip[s], &eq[s].displayinfoid, &eq[s].inventorytype);
    eq_ptrs[s] = &eq[s];
  }
  c->n_equipments = EQUIP_SLOTS;
  c->equipments = eq_ptrs;
}

/* Runs once item templates are loaded: builds and sends the answer. */
static void reply_login(chars *st, void *arg) {
  login_job *j = arg;
  size_t n = j->n;
  V1__LogInCharacter *cs = calloc(n ? n : 1, sizeof(*cs));
  V1__LogInCharacter **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
  V1__EquipmentDisplay *eq = calloc((n ? n : 1) * EQUIP_SLOTS, sizeof(*eq));
  V1__EquipmentDisplay **eq_ptrs = calloc((n ? n : 1) * EQUIP_SLOTS, sizeof(*eq_ptrs));
  if (!cs || !ptrs || !eq || !eq_ptrs) {
    HOST->call_fail(j->call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  } else {
    for (size_t i = 0; i < n; i++) {
      fill_character(st, &j->rows[i], &cs[i], eq + i * EQUIP_SLOTS, eq_ptrs + i * EQUIP_SLOTS);
      ptrs[i] = &cs[i];
    }
    if (j->by_guid) {
      V1__CharactersToLoginByGUIDResponse resp = V1__CHARACTERS_TO_LOGIN_BY_GUIDRESPONSE__INIT;
      resp.character = n ? ptrs[0] : NULL;
      HOST->call_reply(j->call, &resp.base);
    } else {
      V1__CharactersToLoginForAccountResponse resp =
          V1__CHARACTERS_TO_LOGIN_FOR_ACCOUNT_RESPONSE__INIT;
      resp.n_characters = n;
      resp.characters = ptrs;
      HOST->call_reply(j->call, &resp.base);
    }
  }
  free(cs);
  free(ptrs);
  free(eq);
  free(eq_ptrs);
  free(j->rows);
  free(j);
}

static void login_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  login_job *j = arg;
  (void)ctx;
  if (result != 0) {
    chars_fail_job(j->call, result, error, j->realm);
    free(j->rows);
    free(j);
    return;
  }
  /* PR #37: with an account, the character must belong to it. */
  if (j->by_guid && j->account && j->n && j->rows[0].account != j->account) j->n = 0;
  items_when_ready(j->st, reply_login, j);
}

static void for_account(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                        void *ud) {
  const V1__CharactersToLoginForAccountRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid)) return;
  if (req->accountid == 0) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "accountID is 0");
    return;
  }
  login_job j = {.st = st, .call = call, .realm = req->realmid, .account = req->accountid};
  chars_submit_copy(st, call, j.realm, &j, sizeof(j), login_work, login_done);
}

static void by_guid(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                    void *ud) {
  const V1__CharactersToLoginByGUIDRequest *req = (const void *)msg;
  chars *st = ud;
  uint32_t realm, low;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid) ||
      !chars_guid_ok(call, req->realmid, req->characterguid, "characterGUID", &realm, &low))
    return;
  if (realm != req->realmid) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                    "characterGUID belongs to realm %u, not to realm %u", realm, req->realmid);
    return;
  }
  login_job j = {.st = st, .call = call, .by_guid = true, .realm = realm, .low = low,
                 .account = req->accountid};
  chars_submit_copy(st, call, j.realm, &j, sizeof(j), login_work, login_done);
}

const chars_method chars_login_methods[] = {
    {"CharactersToLoginForAccount", for_account},
    {"CharactersToLoginByGUID", by_guid},
    {NULL, NULL},
};
