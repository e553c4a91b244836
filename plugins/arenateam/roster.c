/*
 * Roster changes, each one transaction with the team row locked (FOR
 * UPDATE), so that checks and writes of one team never interleave:
 *   InviteArenaTeamMember   captain only; target free of a team of the type,
 *                           not invited already, not ignoring the inviter;
 *                           roster not full (twice the team size)
 *   AcceptArenaTeamInvite   the player's pending invite becomes membership
 *   DeclineArenaTeamInvite  the pending invite is dropped
 *   AddArenaTeamMember      direct add (no invite), same roster rules
 * Leave/remove, disband, captain and name are in manage.c.
 */
#include <string.h>

#include <stratus/text.h>

#include "arenateam.h"

#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V
#define SOCIAL_IGNORED 0x02u /* character_social.flags: SOCIAL_FLAG_IGNORED */

typedef struct roster_job {
  uint32_t team, actor, target, rating, status;
  const char *actor_name, *target_name; /* arena copies */
  V1__ArenaTeamData *data;              /* the team after the change */
  at_event ev;
  at_invite inv;
} roster_job;

static int roster_reply(stratus_req *req, void *job) {
  roster_job *j = job;
  at_event_publish(req, &j->ev);
  at_invite_publish(req, &j->inv);
  return at_reply_status(req, j->status);
}

/* Invite and accept answer with the team. */
static int team_reply(stratus_req *req, void *job, bool invite) {
  roster_job *j = job;
  at_event_publish(req, &j->ev);
  at_invite_publish(req, &j->inv);
  if (j->data) at_team_presence(req, j->data);
  if (invite) {
    V1__InviteArenaTeamMemberResponse *r = HOST->req_alloc(req, sizeof(*r));
    v1__invite_arena_team_member_response__init(r);
    r->status = (V1__ArenaTeamMutationStatus)j->status;
    r->team = j->data;
    return HOST->req_reply(req, &r->base);
  }
  V1__AcceptArenaTeamInviteResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__accept_arena_team_invite_response__init(r);
  r->status = (V1__ArenaTeamMutationStatus)j->status;
  r->team = j->data;
  return HOST->req_reply(req, &r->base);
}

static void start(roster_job *j) {
  memset(&j->ev, 0, sizeof(j->ev));
  memset(&j->inv, 0, sizeof(j->inv));
  j->data = NULL;
}

/* The target may join: AT_OK, or why not. The caller locked the target's
 * character before its first plain read (see at_lock_player). */
static int may_join(stratus_db *db, const V1__ArenaTeamData *t, uint32_t target) {
  uint32_t other;
  int rc = at_team_of_type(db, target, t->type, &other);
  if (rc) return rc < 0 ? rc : AT_IN_TEAM;
  return t->n_members >= 2u * t->type ? AT_FULL : AT_OK;
}

/* Adds the target, reloads the roster, and leaves the JOIN event. */
static int join(stratus_db *db, stratus_req *req, roster_job *j) {
  int rc = at_member_add(db, j->team, j->target, j->rating, at_slot_of(j->data->type),
                         j->rating);
  if (!rc) rc = at_drop_charters(db, j->target, j->data->type);
  if (!rc) rc = at_members_read(db, req, j->data);
  if (!rc) rc = at_char_name(db, req, j->target, &j->target_name);
  if (rc) return rc;
  at_event_set(&j->ev, j->data, AT_EV_JOIN, j->target, 0);
  j->ev.args[0] = j->target_name;
  j->ev.args[1] = j->data->name;
  j->ev.nargs = 2;
  return AT_OK;
}

/* ---- InviteArenaTeamMember ------------------------------------------------------- */

/* A name as the gateway sent it ("" = read it from characters). */
static int player_name(stratus_req *req, const char *field, const char *name, const char **out) {
  size_t chars = 0, len = strlen(name);
  if (!stratus_utf8_valid(name, len, &chars) || chars > AT_PLAYER_NAME_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%s is not a character name (UTF-8, at most %u characters)", field,
                          AT_PLAYER_NAME_MAX);
  *out = HOST->req_strdup(req, name, len);
  return 0;
}

static int invite_check(stratus_req *req, const void *request, void *job) {
  const V1__InviteArenaTeamMemberRequest *r = request;
  roster_job *j = job;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  if (!rc) rc = at_player(req, "inviterGUID", r->inviterguid, &j->actor);
  if (!rc) rc = at_player(req, "targetGUID", r->targetguid, &j->target);
  if (rc) return rc;
  if (j->actor == j->target)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "a player cannot invite itself");
  if ((rc = player_name(req, "inviterName", r->invitername, &j->actor_name))) return rc;
  return player_name(req, "targetName", r->targetname, &j->target_name);
}

static int ignores(stratus_db *db, uint32_t who, uint32_t whom) {
  uint64_t n = 0;
  int rc = at_count(db, "SELECT 1 FROM character_social WHERE guid = ? AND friend = ? AND "
                       "(flags & ?) <> 0",
                   P(U(who), U(whom), U(SOCIAL_IGNORED)), &n);
  return rc < 0 ? rc : n > 0;
}

static int invite_rules(stratus_db *db, stratus_req *req, roster_job *j) {
  int rc = at_lock_player(db, j->target);
  if (rc) return rc;
  if (!(j->data = at_team_load(db, req, j->team, true, &rc))) return rc < 0 ? rc : AT_NOT_FOUND;
  if (j->data->captainguid != j->actor) return AT_DENIED;
  if ((rc = may_join(db, j->data, j->target)) != AT_OK) return rc;
  if ((rc = ignores(db, j->target, j->actor))) return rc < 0 ? rc : AT_IGNORED;
  if (!*j->actor_name && (rc = at_char_name(db, req, j->actor, &j->actor_name))) return rc;
  if (!*j->target_name && (rc = at_char_name(db, req, j->target, &j->target_name))) return rc;
  uint64_t added = 0;
  rc = at_exec(db, "INSERT IGNORE INTO stratus_arena_team_invite (target_guid, arenaTeamId, "
                   "inviter_guid, inviter_name, target_name) VALUES (?, ?, ?, ?, ?)",
               P(U(j->target), U(j->team), U(j->actor), stratus_sql_text(j->actor_name),
                 stratus_sql_text(j->target_name)),
               &added);
  if (rc) return rc;
  return added ? AT_OK : AT_INVITED;
}

static int invite_work(stratus_db *db, stratus_req *req, void *job) {
  roster_job *j = job;
  start(j);
  int rc = invite_rules(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  if (rc == AT_OK)
    j->inv = (at_invite){.team = j->team, .target = j->target, .inviter = j->actor,
                         .target_name = j->target_name, .inviter_name = j->actor_name,
                         .team_name = j->data->name};
  return 0;
}

static int invite_reply(stratus_req *req, void *job) { return team_reply(req, job, true); }

/* ---- AcceptArenaTeamInvite ---------------------------------------------------------- */

static int accept_check(stratus_req *req, const void *request, void *job) {
  const V1__AcceptArenaTeamInviteRequest *r = request;
  roster_job *j = job;
  j->rating = r->personalrating;
  return at_player(req, "playerGUID", r->playerguid, &j->target);
}

/* The pending invite's team (locked): 1, or 0 when there is none. */
static int find_invite(stratus_db *db, roster_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT arenaTeamId FROM stratus_arena_team_invite "
                              "WHERE target_guid = ? FOR UPDATE",
                          P(U(j->target)), &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) j->team = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return rc;
}

static int drop_invite(stratus_db *db, uint32_t target) {
  return at_exec(db, "DELETE FROM stratus_arena_team_invite WHERE target_guid = ?", P(U(target)),
                 NULL);
}

/* A refused accept keeps the invite; one whose team is gone is dropped. */
static int accept_rules(stratus_db *db, stratus_req *req, roster_job *j) {
  int rc = find_invite(db, j);
  if (rc <= 0) return rc < 0 ? rc : AT_NOT_FOUND;
  if ((rc = at_lock_player(db, j->target))) return rc;
  if (!(j->data = at_team_load(db, req, j->team, true, &rc))) {
    if (rc < 0 || (rc = drop_invite(db, j->target))) return rc;
    return AT_NOT_FOUND;
  }
  if ((rc = may_join(db, j->data, j->target)) != AT_OK) return rc;
  if ((rc = drop_invite(db, j->target))) return rc;
  return join(db, req, j);
}

static int accept_work(stratus_db *db, stratus_req *req, void *job) {
  roster_job *j = job;
  start(j);
  int rc = accept_rules(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  if (rc != AT_OK) j->data = NULL;
  return 0;
}

static int accept_reply(stratus_req *req, void *job) { return team_reply(req, job, false); }

/* ---- DeclineArenaTeamInvite ----------------------------------------------------------- */

static int decline_check(stratus_req *req, const void *request, void *job) {
  const V1__DeclineArenaTeamInviteRequest *r = request;
  return at_player(req, "playerGUID", r->playerguid, &((roster_job *)job)->target);
}

static int decline_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  roster_job *j = job;
  start(j);
  int rc = find_invite(db, j);
  if (rc == 1 && (rc = drop_invite(db, j->target)) == 0) rc = 1;
  if (rc < 0) return rc;
  j->status = rc ? AT_OK : AT_NOT_FOUND;
  return 0;
}

/* ---- AddArenaTeamMember ---------------------------------------------------------------- */

static int add_check(stratus_req *req, const void *request, void *job) {
  const V1__AddArenaTeamMemberRequest *r = request;
  roster_job *j = job;
  j->rating = r->personalrating;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  return rc ? rc : at_player(req, "playerGUID", r->playerguid, &j->target);
}

static int add_work(stratus_db *db, stratus_req *req, void *job) {
  roster_job *j = job;
  start(j);
  int rc = at_lock_player(db, j->target);
  if (rc) return rc;
  if (!(j->data = at_team_load(db, req, j->team, true, &rc))) rc = rc < 0 ? rc : AT_NOT_FOUND;
  else if ((rc = may_join(db, j->data, j->target)) == AT_OK) rc = join(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  return 0;
}

#define ROSTER_METHOD(method, prefix, reply_fn)                                     \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(roster_job),     \
   .pool = "characters", .realm_field = "realmID", .check = prefix##_check,         \
   .work = prefix##_work, .reply = reply_fn}

const stratus_method at_roster_methods[] = {
    ROSTER_METHOD("InviteArenaTeamMember", invite, invite_reply),
    ROSTER_METHOD("AcceptArenaTeamInvite", accept, accept_reply),
    ROSTER_METHOD("DeclineArenaTeamInvite", decline, roster_reply),
    ROSTER_METHOD("AddArenaTeamMember", add, roster_reply),
};
const size_t at_roster_methods_n = sizeof(at_roster_methods) / sizeof(at_roster_methods[0]);
