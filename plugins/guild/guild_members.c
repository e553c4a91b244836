/*
 * Membership: InviteMember, InviteAccepted, Leave and Kick. Pending invites
 * live in stratus_guild_invite (one per invitee, the primary key), so two
 * concurrent invites of one player cannot both succeed.
 */
#include <time.h>

#include "guild.h"

typedef struct member_job {
  uint32_t actor_low, target_low;
  bool factions_free; /* cross-faction allowed for this call */
  int64_t invite_ttl_s;
  int64_t now;
  gmember actor, target;
  gguild g;
  char *inviter_name; /* InviteAccepted: the inviter, for nothing but logs */
} member_job;

static bool is_dup(stratus_db *db) { return HOST->db_errno(db) == STRATUS_ER_DUP_ENTRY; }

static json_t *member_event(guild_plugin *p, stratus_req *req, member_job *j,
                            const gmember *m) {
  json_t *o = guild_event_base(p, HOST->req_realm(req), &j->g, 0);
  json_object_set_new(o, "MemberGUID", json_integer(m->guid));
  json_object_set_new(o, "MemberName", json_string(m->name));
  return o;
}

static void copy_config(stratus_req *req, member_job *j, bool request_allows) {
  guild_plugin *p = HOST->req_ud(req);
  j->factions_free = p->cfg->cross_faction == CROSS_FACTION_YES ||
                     (p->cfg->cross_faction == CROSS_FACTION_GATEWAY && request_allows);
  j->invite_ttl_s = p->cfg->invite_ttl_ms / 1000;
  j->now = (int64_t)time(NULL);
}

/* ---- InviteMember ---------------------------------------------------------------- */

static int insert_invite(stratus_db *db, stratus_req *req, member_job *j);

static int invite_check(stratus_req *req, const void *request, void *job) {
  const V1__InviteMemberParams *in = request;
  member_job *j = job;
  int rc = guild_name_ok(req, in->inviteename, "inviteeName");
  if (rc == 0) rc = guild_use_player(req, in->realmid, in->inviter, "inviter", &j->actor_low);
  if (rc == 0) rc = guild_same_realm(req, in->realmid, in->invitee, "invitee", &j->target_low);
  copy_config(req, j, in->allowcrossfaction);
  return rc;
}

static int invite_work(stratus_db *db, stratus_req *req, void *job) {
  member_job *j = job;
  int rc = gsql_lock_actor(db, req, j->actor_low, GUILD_COMMAND_INVITE, &j->actor, &j->g);
  if (rc != 0) return rc;
  rc = gsql_character(db, req, j->target_low, &j->target);
  if (rc <= 0)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                                        "invitee %u does not exist (guild command %d, result %d)",
                                        j->target_low, GUILD_COMMAND_INVITE,
                                        ERR_GUILD_PLAYER_NOT_FOUND_S);
  /* The core's order of refusals: faction, guild, invite, then the right. */
  if (!j->factions_free && stratus_race_faction((uint8_t)j->actor.race) !=
                               stratus_race_faction((uint8_t)j->target.race))
    return guild_refuse(req, GUILD_COMMAND_INVITE, ERR_GUILD_NOT_ALLIED,
                        "%s is of the other faction", j->target.name);
  if (j->target.guild)
    return guild_refuse(req, GUILD_COMMAND_INVITE, ERR_ALREADY_IN_GUILD_S,
                        "%s is already in a guild", j->target.name);
  rc = insert_invite(db, req, j);
  return rc != 0 ? rc : guild_need_right(req, &j->actor, GR_RIGHT_INVITE, GUILD_COMMAND_INVITE,
                                         "invite");
}

static int insert_invite(stratus_db *db, stratus_req *req, member_job *j) {
  int rc = gsql_exec(db, "DELETE FROM stratus_guild_invite WHERE invitee = ? AND created_at < ?",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->target_low),
                                    STRATUS_SQL_INT_V(j->now - j->invite_ttl_s)));
  if (rc < 0) return rc;
  rc = gsql_exec(db, "INSERT INTO stratus_guild_invite (invitee, guildid, inviter, created_at) "
                     "VALUES (?, ?, ?, ?)",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->target_low), STRATUS_SQL_UINT_V(j->g.id),
                                    STRATUS_SQL_UINT_V(j->actor_low), STRATUS_SQL_INT_V(j->now)));
  if (rc < 0 && is_dup(db))
    return guild_refuse(req, GUILD_COMMAND_INVITE, ERR_ALREADY_INVITED_TO_GUILD_S,
                        "%s already has a pending guild invite", j->target.name);
  return rc < 0 ? rc : 0;
}

static int invite_reply(stratus_req *req, void *job) {
  member_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  json_t *o = json_object();
  json_object_set_new(o, "ServiceID", json_string(p->service_id));
  json_object_set_new(o, "RealmID", json_integer(HOST->req_realm(req)));
  json_object_set_new(o, "GuildID", json_integer(j->g.id));
  json_object_set_new(o, "GuildName", json_string(j->g.name));
  json_object_set_new(o, "InviterGUID", json_integer(j->actor.guid));
  json_object_set_new(o, "InviterName", json_string(j->actor.name));
  json_object_set_new(o, "InviteeGUID", json_integer(j->target.guid));
  json_object_set_new(o, "InviteeName", json_string(j->target.name));
  guild_publish(p, "guild.invite.created", EV_INVITE_CREATED, o);
  V1__InviteMemberResponse resp = V1__INVITE_MEMBER_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

/* ---- InviteAccepted ---------------------------------------------------------------- */

typedef struct invite_row {
  uint32_t guild, inviter;
} invite_row;

static int accepted_check(stratus_req *req, const void *request, void *job) {
  const V1__InviteAcceptedParams *in = request;
  member_job *j = job;
  if (!in->character)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "character is missing");
  copy_config(req, j, in->allowcrossfaction);
  int rc = guild_name_ok(req, in->character->name, "character.name");
  return rc != 0 ? rc : guild_use_player(req, in->realmid, in->character->guid,
                                         "character.guid", &j->target_low);
}

static int join(stratus_db *db, stratus_req *req, member_job *j) {
  int rc = gsql_exec(db, "INSERT INTO guild_member (guildid, guid, `rank`, pnote, offnote) "
                         "VALUES (?, ?, ?, '', '')",
                     STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->g.id),
                                        STRATUS_SQL_UINT_V(j->target_low),
                                        STRATUS_SQL_UINT_V(j->g.ranks - 1)));
  if (rc < 0 && is_dup(db))
    return guild_refuse(req, GUILD_COMMAND_INVITE, ERR_ALREADY_IN_GUILD_S,
                        "%s is already in a guild", j->target.name);
  if (rc < 0) return rc;
  rc = gsql_exec(db, "DELETE FROM stratus_guild_invite WHERE invitee = ?",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->target_low)));
  if (rc < 0) return rc;
  j->target.guild = j->g.id;
  j->target.rank = j->g.ranks - 1;
  return gsql_members(db, req, &j->g);
}

/* The core lets an invitee join only on its guild master's side. */
static int same_faction_as_leader(stratus_db *db, stratus_req *req, member_job *j) {
  gmember leader = {0};
  int rc = gsql_character(db, req, j->g.leader, &leader);
  if (rc <= 0) return rc;
  if (stratus_race_faction((uint8_t)leader.race) == stratus_race_faction((uint8_t)j->target.race))
    return 0;
  return guild_refuse(req, GUILD_COMMAND_INVITE, ERR_GUILD_NOT_ALLIED,
                      "%s is of the other faction than the guild master", j->target.name);
}

static int accepted_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {STRATUS_COL(invite_row, guild, "guildid"),
                                     STRATUS_COL(invite_row, inviter, "inviter")};
  member_job *j = job;
  invite_row inv = {0};
  int rc = gsql_one(db, req, "SELECT guildid, inviter FROM stratus_guild_invite WHERE "
                             "invitee = ? AND created_at >= ?",
                    STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->target_low),
                                       STRATUS_SQL_INT_V(j->now - j->invite_ttl_s)),
                    STRATUS_COLS(cols), &inv);
  if (rc <= 0)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                                        "character %u has no pending guild invite", j->target_low);
  rc = gsql_character(db, req, j->target_low, &j->target);
  if (rc <= 0)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                                        "character %u does not exist", j->target_low);
  /* The inviter's lock serializes this join with the guild's other changes. */
  rc = gsql_lock_actor(db, req, inv.inviter, GUILD_COMMAND_INVITE, &j->actor, &j->g);
  if (rc == 0 && j->g.id != inv.guild)
    rc = guild_refuse(req, GUILD_COMMAND_INVITE, ERR_GUILD_INTERNAL,
                      "the inviter has left guild %u since the invite", inv.guild);
  if (rc == 0 && j->g.ranks == 0)
    rc = HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION, "guild %u has no ranks", j->g.id);
  if (rc == 0 && !j->factions_free) rc = same_faction_as_leader(db, req, j);
  return rc != 0 ? rc : join(db, req, j);
}

static int accepted_reply(stratus_req *req, void *job) {
  member_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  guild_publish(p, "guild.member.added", EV_MEMBER_ADDED, member_event(p, req, j, &j->target));
  V1__InviteAcceptedResponse resp = V1__INVITE_ACCEPTED_RESPONSE__INIT;
  resp.guildid = j->g.id;
  return HOST->req_reply(req, &resp.base);
}

/* ---- Leave and Kick ------------------------------------------------------------------ */

static int remove_member(stratus_db *db, stratus_req *req, member_job *j, uint32_t guid) {
  int rc = gsql_members(db, req, &j->g); /* before: the one leaving hears it too */
  if (rc < 0) return rc;
  rc = gsql_exec(db, "DELETE FROM guild_member WHERE guid = ? AND guildid = ?",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guid), STRATUS_SQL_UINT_V(j->g.id)));
  if (rc < 0) return rc;
  rc = gsql_exec(db, "DELETE FROM guild_member_withdraw WHERE guid = ?",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guid)));
  return rc < 0 ? rc : 0;
}

static int leave_check(stratus_req *req, const void *request, void *job) {
  const V1__LeaveParams *in = request;
  return guild_use_player(req, in->realmid, in->leaver, "leaver", &((member_job *)job)->actor_low);
}

static int leave_work(stratus_db *db, stratus_req *req, void *job) {
  member_job *j = job;
  int rc = gsql_lock_actor(db, req, j->actor_low, GUILD_COMMAND_QUIT, &j->actor, &j->g);
  if (rc != 0) return rc;
  if (j->g.leader == j->actor_low)
    return guild_refuse(req, GUILD_COMMAND_QUIT, ERR_GUILD_LEADER_LEAVE,
                        "the guild master cannot leave: make another member guild master "
                        "first, or disband the guild in game");
  return remove_member(db, req, j, j->actor_low);
}

static int leave_reply(stratus_req *req, void *job) {
  member_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  guild_publish(p, "guild.member.left", EV_MEMBER_LEFT, member_event(p, req, j, &j->actor));
  V1__LeaveResponse resp = V1__LEAVE_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

static int kick_check(stratus_req *req, const void *request, void *job) {
  const V1__KickParams *in = request;
  member_job *j = job;
  int rc = guild_use_player(req, in->realmid, in->kicker, "kicker", &j->actor_low);
  return rc != 0 ? rc : guild_same_realm(req, in->realmid, in->target, "target", &j->target_low);
}

int guild_load_target(stratus_db *db, stratus_req *req, uint32_t low, int command,
                      const gguild *g, gmember *out) {
  int rc = gsql_character(db, req, low, out);
  if (rc < 0) return rc;
  if (rc == 0)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                          "character %u does not exist (guild command %d, result %d)", low,
                          command, ERR_GUILD_PLAYER_NOT_FOUND_S);
  if (out->guild != g->id)
    return guild_refuse(req, command, ERR_GUILD_PLAYER_NOT_IN_GUILD_S,
                        "%s is not in guild %u", out->name, g->id);
  return 0;
}

static int kick_work(stratus_db *db, stratus_req *req, void *job) {
  member_job *j = job;
  int rc = gsql_lock_actor(db, req, j->actor_low, GUILD_COMMAND_REMOVE, &j->actor, &j->g);
  if (rc == 0) rc = guild_need_right(req, &j->actor, GR_RIGHT_REMOVE, GUILD_COMMAND_REMOVE,
                                     "remove members");
  if (rc == 0) rc = guild_load_target(db, req, j->target_low, GUILD_COMMAND_REMOVE, &j->g,
                                      &j->target);
  if (rc != 0) return rc;
  if (j->target_low == j->g.leader || j->target.rank == 0)
    return guild_refuse(req, GUILD_COMMAND_REMOVE, ERR_GUILD_LEADER_LEAVE,
                        "the guild master cannot be removed");
  if (j->target.rank <= j->actor.rank) /* oneself included, as in the core */
    return guild_refuse(req, GUILD_COMMAND_REMOVE, ERR_GUILD_RANK_TOO_HIGH_S,
                        "%s has rank %u, not below the kicker's %u", j->target.name,
                        j->target.rank, j->actor.rank);
  return remove_member(db, req, j, j->target_low);
}

static int kick_reply(stratus_req *req, void *job) {
  member_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  json_t *o = member_event(p, req, j, &j->target);
  json_object_set_new(o, "KickerGUID", json_integer(j->actor.guid));
  json_object_set_new(o, "KickerName", json_string(j->actor.name));
  guild_publish(p, "guild.member.kicked", EV_MEMBER_KICKED, o);
  V1__KickResponse resp = V1__KICK_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

#define MUTATION(method, prefix)                                                          \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(member_job),           \
   .pool = "characters", .check = prefix##_check, .work = prefix##_work,                  \
   .reply = prefix##_reply}

const stratus_method guild_member_methods[] = {
    MUTATION("InviteMember", invite),
    MUTATION("InviteAccepted", accepted),
    MUTATION("Leave", leave),
    MUTATION("Kick", kick),
};
const size_t guild_member_count = sizeof(guild_member_methods) / sizeof(guild_member_methods[0]);
