/*
 * Guild charters (PR #37): GetGuildPetition, OfferGuildPetition and
 * SignGuildPetition on AzerothCore's petition / petition_sign, which the
 * worldserver reads at the native turn-in. A signature also takes a row in
 * stratus_guild_petition_sign, whose keys (charter, account) and (charter,
 * character) make a second signature by the same account or character fail
 * in the database; signers of one charter queue on its row lock, so the
 * count never passes the charter's size.
 */
#include <time.h>

#include "guild.h"

typedef V1__GuildPetitionSignature signature;
typedef V1__OfferGuildPetitionResponse__Status offer_status;
typedef V1__SignGuildPetitionResponse__Status sign_status;

typedef struct petition_row {
  uint32_t owner, guid, id, type;
  char *name;
} petition_row;

typedef struct petition_job {
  uint32_t owner_low, target_low, petition_low;
  bool factions_free;
  uint32_t target_race;
  int64_t invite_after; /* invites created before this have expired */
  uint32_t account;     /* the signer's account as the request says */
  uint32_t request_guild;
  petition_row pet;
  signature *signs;
  size_t nsigns;
  gmember owner, target;
  int status;
} petition_job;

static int petition_low(stratus_req *req, uint64_t guid, uint32_t *out) {
  if (guid == 0 || guid > UINT32_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "petitionGUID %llu is not a charter's item GUID", (unsigned long long)guid);
  *out = (uint32_t)guid;
  return 0;
}

static int read_petition(stratus_db *db, stratus_req *req, petition_job *j, bool lock) {
  static const stratus_col cols[] = {
      STRATUS_COL(petition_row, owner, "ownerguid"), STRATUS_COL(petition_row, guid, "petitionguid"),
      STRATUS_COL(petition_row, id, "petition_id"), STRATUS_COL(petition_row, type, "type"),
      STRATUS_COL(petition_row, name, "name")};
  const char *sql = lock ? "SELECT ownerguid, petitionguid, petition_id, type, name FROM petition "
                           "WHERE petitionguid = ? AND type = ? FOR UPDATE"
                         : "SELECT ownerguid, petitionguid, petition_id, type, name FROM petition "
                           "WHERE petitionguid = ? AND type = ?";
  return gsql_one(db, req, sql,
                  STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->petition_low),
                                     STRATUS_SQL_UINT_V(GUILD_CHARTER_TYPE)),
                  STRATUS_COLS(cols), &j->pet);
}

static int read_signatures(stratus_db *db, stratus_req *req, petition_job *j) {
  static const stratus_col cols[] = {STRATUS_COL(signature, playerguid, "playerguid"),
                                     STRATUS_COL(signature, playeraccount, "player_account")};
  static const signature tmpl = V1__GUILD_PETITION_SIGNATURE__INIT;
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db, "SELECT playerguid, player_account FROM petition_sign WHERE "
                              "petition_id = ? ORDER BY playerguid",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->pet.id)), &rows);
  if (rc < 0) return rc;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(signature), &tmpl,
                          (void **)&j->signs, &j->nsigns);
  HOST->rows_free(rows);
  return rc;
}

static json_t *signatures_json(const petition_job *j) {
  if (j->nsigns == 0) return json_null();
  json_t *a = json_array();
  for (size_t i = 0; i < j->nsigns; i++) {
    json_t *s = json_object();
    json_object_set_new(s, "PlayerGUID", json_integer((json_int_t)j->signs[i].playerguid));
    json_object_set_new(s, "PlayerAccount", json_integer(j->signs[i].playeraccount));
    json_array_append_new(a, s);
  }
  return a;
}

static void copy_config(stratus_req *req, petition_job *j, bool request_allows) {
  guild_plugin *p = HOST->req_ud(req);
  j->factions_free = p->cfg->cross_faction == CROSS_FACTION_YES ||
                     (p->cfg->cross_faction == CROSS_FACTION_GATEWAY && request_allows);
  j->invite_after = (int64_t)time(NULL) - p->cfg->invite_ttl_ms / 1000;
}

static int pending_invite(stratus_db *db, petition_job *j, uint32_t guid) {
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db, "SELECT 1 FROM stratus_guild_invite WHERE invitee = ? AND "
                              "created_at >= ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guid),
                                             STRATUS_SQL_INT_V(j->invite_after)), &rows);
  if (rc < 0) return rc;
  rc = HOST->rows_next(rows);
  HOST->rows_free(rows);
  return rc;
}

/* ---- GetGuildPetition ---------------------------------------------------------------- */

static int get_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGuildPetitionParams *in = request;
  return petition_low(req, in->petitionguid, &((petition_job *)job)->petition_low);
}

static int get_work(stratus_db *db, stratus_req *req, void *job) {
  petition_job *j = job;
  int rc = read_petition(db, req, j, false);
  if (rc <= 0)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                                        "no guild charter with item GUID %u on realm %u",
                                        j->petition_low, HOST->req_realm(req));
  return read_signatures(db, req, j);
}

static int get_reply(stratus_req *req, void *job) {
  petition_job *j = job;
  V1__GuildPetition *pet = HOST->req_alloc(req, sizeof(*pet));
  *pet = (V1__GuildPetition)V1__GUILD_PETITION__INIT;
  pet->petitionguid = j->pet.guid;
  pet->petitionid = j->pet.id;
  pet->ownerguid = j->pet.owner;
  pet->name = j->pet.name;
  pet->type = j->pet.type;
  pet->signatures = HOST->req_alloc(req, (j->nsigns + 1) * sizeof(void *));
  for (size_t i = 0; i < j->nsigns; i++) pet->signatures[i] = &j->signs[i];
  pet->n_signatures = j->nsigns;
  V1__GetGuildPetitionResponse *resp = HOST->req_alloc(req, sizeof(*resp));
  *resp = (V1__GetGuildPetitionResponse)V1__GET_GUILD_PETITION_RESPONSE__INIT;
  resp->petition = pet;
  return HOST->req_reply(req, &resp->base);
}

/* ---- OfferGuildPetition ----------------------------------------------------------------- */

static int offer_answer(stratus_req *req, offer_status status) {
  V1__OfferGuildPetitionResponse *resp = HOST->req_alloc(req, sizeof(*resp));
  *resp = (V1__OfferGuildPetitionResponse)V1__OFFER_GUILD_PETITION_RESPONSE__INIT;
  resp->status = status;
  return HOST->req_reply(req, &resp->base);
}

static int offer_check(stratus_req *req, const void *request, void *job) {
  const V1__OfferGuildPetitionParams *in = request;
  petition_job *j = job;
  copy_config(req, j, false);
  int rc = petition_low(req, in->petitionguid, &j->petition_low);
  if (rc == 0) rc = guild_name_ok(req, in->targetname, "targetName");
  if (rc == 0) rc = guild_use_player(req, in->realmid, in->ownerguid, "ownerGUID", &j->owner_low);
  if (rc == 0) rc = guild_same_realm(req, in->realmid, in->targetguid, "targetGUID",
                                     &j->target_low);
  if (rc != 0) return rc;
  stratus_presence seen = {0};
  rc = guild_is_online(HOST->req_ud(req), HOST->req_realm(req), j->target_low, &seen);
  if (rc == STRATUS_ENOTSUP)
    return HOST->req_fail(req, STRATUS_GRPC_UNAVAILABLE,
                          "who is online is unknown (no presence owner: enable the characters "
                          "plugin)");
  if (rc < 0) return rc;
  if (rc == 0) return offer_answer(req, V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__TargetNotFound);
  j->target_race = seen.race;
  return 0;
}

static int offer_rules(stratus_db *db, stratus_req *req, petition_job *j) {
  if (j->target.guild) return V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__TargetAlreadyInGuild;
  int rc = pending_invite(db, j, j->target_low);
  if (rc != 0) return rc < 0 ? rc : V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__TargetAlreadyInvited;
  if (!j->factions_free && stratus_race_faction((uint8_t)j->owner.race) !=
                               stratus_race_faction((uint8_t)j->target_race))
    return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "%s is of the other faction than the charter's owner", j->target.name);
  return read_signatures(db, req, j);
}

static int offer_work(stratus_db *db, stratus_req *req, void *job) {
  petition_job *j = job;
  j->status = V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__Ok;
  int rc = read_petition(db, req, j, false);
  if (rc < 0) return rc;
  if (rc == 0) return (j->status = V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__NotFound), 0;
  if (j->pet.owner != j->owner_low)
    return (j->status = V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__NotOwner), 0;
  rc = gsql_character(db, req, j->owner_low, &j->owner);
  if (rc == 1) rc = gsql_character(db, req, j->target_low, &j->target);
  if (rc < 0) return rc;
  if (rc == 0) return (j->status = V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__TargetNotFound), 0;
  rc = offer_rules(db, req, j);
  if (rc > 0) j->status = rc;
  return rc > 0 ? 0 : rc;
}

static int offer_reply(stratus_req *req, void *job) {
  petition_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  if (j->status == V1__OFFER_GUILD_PETITION_RESPONSE__STATUS__Ok) {
    json_t *o = json_object();
    json_object_set_new(o, "ServiceID", json_string(p->service_id));
    json_object_set_new(o, "RealmID", json_integer(HOST->req_realm(req)));
    json_object_set_new(o, "PetitionGUID", json_integer(j->pet.guid));
    json_object_set_new(o, "PetitionID", json_integer(j->pet.id));
    json_object_set_new(o, "OwnerGUID", json_integer(j->pet.owner));
    json_object_set_new(o, "TargetGUID", json_integer(j->target_low));
    json_object_set_new(o, "TargetName", json_string(j->target.name));
    json_object_set_new(o, "GuildName", json_string(j->pet.name));
    json_object_set_new(o, "RequiredSigns", json_integer(p->cfg->min_petition_signs));
    json_object_set_new(o, "Signatures", signatures_json(j));
    guild_publish(p, "guild.petition.offered", EV_PETITION_OFFERED, o);
  }
  return offer_answer(req, (offer_status)j->status);
}

/* ---- SignGuildPetition ---------------------------------------------------------------------- */

/* AzerothCore's PetitionSigns, for guild.petition.signed's NativeStatus. */
enum { PETITION_SIGN_OK = 0 };

static int sign_check(stratus_req *req, const void *request, void *job) {
  const V1__SignGuildPetitionParams *in = request;
  petition_job *j = job;
  copy_config(req, j, false);
  j->account = in->signeraccountid;
  j->request_guild = in->signerguildid;
  int rc = petition_low(req, in->petitionguid, &j->petition_low);
  if (rc == 0) rc = guild_name_ok(req, in->signername, "signerName");
  return rc != 0 ? rc : guild_use_player(req, in->realmid, in->signerguid, "signerGUID",
                                         &j->target_low);
}

static int sign_rules(stratus_db *db, stratus_req *req, petition_job *j) {
  if (j->pet.owner == j->target_low) return V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__CantSignOwn;
  if (j->target.guild || j->request_guild)
    return V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__AlreadyInGuild;
  int rc = pending_invite(db, j, j->target_low);
  if (rc != 0) return rc < 0 ? rc : V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__AlreadyInvited;
  rc = read_signatures(db, req, j);
  if (rc < 0) return rc;
  for (size_t i = 0; i < j->nsigns; i++) /* signatures made natively have no key of ours */
    if (j->signs[i].playerguid == j->target_low || j->signs[i].playeraccount == j->target.account)
      return V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__AlreadySigned;
  if (j->nsigns + 1 > j->pet.type) return V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__Full;
  return 0;
}

/* Our key first: a duplicate fails before anything is written. A native
 * signature racing us is undone by hand (the work's result is a status, so
 * the transaction commits). */
static int sign_insert(stratus_db *db, petition_job *j) {
  stratus_sql_value ours[] = {STRATUS_SQL_UINT_V(j->pet.id), STRATUS_SQL_UINT_V(j->target.account),
                              STRATUS_SQL_UINT_V(j->target_low)};
  int rc = gsql_exec(db, "INSERT INTO stratus_guild_petition_sign (petition_id, player_account, "
                         "playerguid) VALUES (?, ?, ?)", ours, 3);
  if (rc < 0)
    return HOST->db_errno(db) == STRATUS_ER_DUP_ENTRY
               ? V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__AlreadySigned : rc;
  rc = gsql_exec(db, "INSERT INTO petition_sign (ownerguid, petitionguid, petition_id, "
                     "playerguid, player_account, type) VALUES (?, ?, ?, ?, ?, ?)",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->pet.owner), STRATUS_SQL_UINT_V(j->pet.guid),
                                    STRATUS_SQL_UINT_V(j->pet.id), STRATUS_SQL_UINT_V(j->target_low),
                                    STRATUS_SQL_UINT_V(j->target.account),
                                    STRATUS_SQL_UINT_V(j->pet.type)));
  if (rc >= 0) return 0;
  if (HOST->db_errno(db) != STRATUS_ER_DUP_ENTRY) return rc;
  rc = gsql_exec(db, "DELETE FROM stratus_guild_petition_sign WHERE petition_id = ? AND "
                     "player_account = ? AND playerguid = ?", ours, 3);
  return rc < 0 ? rc : V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__AlreadySigned;
}

static int sign_work(stratus_db *db, stratus_req *req, void *job) {
  petition_job *j = job;
  j->status = V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__Ok;
  int rc = read_petition(db, req, j, true);
  if (rc < 0) return rc;
  if (rc == 0) return (j->status = V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__NotFound), 0;
  rc = gsql_character(db, req, j->target_low, &j->target);
  if (rc <= 0)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "signer %u does not exist",
                                        j->target_low);
  if (j->account && j->account != j->target.account)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "signerAccountID %u is not the account of character %u", j->account,
                          j->target_low);
  rc = sign_rules(db, req, j);
  if (rc == 0) rc = sign_insert(db, j);
  if (rc > 0) j->status = rc;
  return rc > 0 ? 0 : rc;
}

static int sign_reply(stratus_req *req, void *job) {
  petition_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  if (j->status == V1__SIGN_GUILD_PETITION_RESPONSE__STATUS__Ok) {
    json_t *o = json_object();
    json_object_set_new(o, "ServiceID", json_string(p->service_id));
    json_object_set_new(o, "RealmID", json_integer(HOST->req_realm(req)));
    json_object_set_new(o, "PetitionGUID", json_integer(j->pet.guid));
    json_object_set_new(o, "OwnerGUID", json_integer(j->pet.owner));
    json_object_set_new(o, "SignerGUID", json_integer(j->target_low));
    json_object_set_new(o, "SignerName", json_string(j->target.name));
    json_object_set_new(o, "NativeStatus", json_integer(PETITION_SIGN_OK));
    json_object_set_new(o, "RequiredSigns", json_integer(p->cfg->min_petition_signs));
    guild_publish(p, "guild.petition.signed", EV_PETITION_SIGNED, o);
  }
  V1__SignGuildPetitionResponse *resp = HOST->req_alloc(req, sizeof(*resp));
  *resp = (V1__SignGuildPetitionResponse)V1__SIGN_GUILD_PETITION_RESPONSE__INIT;
  resp->status = (sign_status)j->status;
  return HOST->req_reply(req, &resp->base);
}

const stratus_method guild_petition_methods[] = {
    {.name = "GetGuildPetition", .job_size = sizeof(petition_job), .pool = "characters",
     .realm_field = "realmID", .check = get_check, .work = get_work, .reply = get_reply},
    {.name = "OfferGuildPetition", .job_size = sizeof(petition_job), .pool = "characters",
     .check = offer_check, .work = offer_work, .reply = offer_reply},
    {.name = "SignGuildPetition", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(petition_job),
     .pool = "characters", .check = sign_check, .work = sign_work, .reply = sign_reply},
};
const size_t guild_petition_count = sizeof(guild_petition_methods) / sizeof(guild_petition_methods[0]);
