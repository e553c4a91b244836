/*
 * Team management, each one transaction with the team row locked:
 *   RemoveArenaTeamMember  leave (actor = player) or removal by the captain;
 *                          the captain cannot leave
 *   DisbandArenaTeam       captain only; the roster and invites go too
 *   SetArenaTeamCaptain    captain only; the new captain is a member
 *   SetArenaTeamName       captain only; a valid name nobody else has
 * Leave, remove and disband pass the queue lock-out first (lockout.c).
 */
#include <string.h>

#include "arenateam.h"
#include "manage.h"

#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V

static int manage_reply(stratus_req *req, void *job) {
  manage_job *j = job;
  at_event_publish(req, &j->ev);
  return at_reply_status(req, j->status);
}

/* Loads the locked team and checks the actor is its captain: AT_OK or why not. */
static int captain_only(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc;
  memset(&j->ev, 0, sizeof(j->ev));
  if (!(j->data = at_team_load(db, req, j->team, j->lock, &rc))) return rc < 0 ? rc : AT_NOT_FOUND;
  return j->data->captainguid == j->actor ? AT_OK : AT_DENIED;
}

static int names(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc = at_char_name(db, req, j->actor, &j->actor_name);
  return rc ? rc : at_char_name(db, req, j->player, &j->player_name);
}

/* ---- RemoveArenaTeamMember ----------------------------------------------------------- */

static int remove_check(stratus_req *req, const void *request, void *job) {
  const V1__RemoveArenaTeamMemberRequest *r = request;
  manage_job *j = job;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  if (!rc) rc = at_player(req, "playerGUID", r->playerguid, &j->player);
  return rc ? rc : at_player(req, "actorGUID", r->actorguid, &j->actor);
}

int at_remove_rules(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc;
  memset(&j->ev, 0, sizeof(j->ev));
  if (!(j->data = at_team_load(db, req, j->team, j->lock, &rc))) return rc < 0 ? rc : AT_NOT_FOUND;
  if (!at_is_member(j->data, j->player)) return AT_MISMATCH;
  if (j->player == j->data->captainguid) return AT_LEADER_LEAVE;
  if (j->actor != j->player && j->actor != j->data->captainguid) return AT_DENIED;
  return AT_OK;
}

int at_remove_apply(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc = at_exec(db, "DELETE FROM arena_team_member WHERE arenaTeamId = ? AND guid = ?",
                   P(U(j->team), U(j->player)), NULL);
  if (!rc) rc = names(db, req, j);
  if (!rc) rc = at_members_read(db, req, j->data);
  if (rc) return rc;
  bool left = j->actor == j->player;
  at_event_set(&j->ev, j->data, left ? AT_EV_LEAVE : AT_EV_REMOVE, j->player, j->player);
  j->ev.args[0] = j->player_name;
  j->ev.args[1] = j->data->name;
  j->ev.args[2] = j->actor_name;
  j->ev.nargs = left ? 2 : 3;
  return AT_OK;
}

/* ---- DisbandArenaTeam ------------------------------------------------------------------ */

static int disband_check(stratus_req *req, const void *request, void *job) {
  const V1__DisbandArenaTeamRequest *r = request;
  manage_job *j = job;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  return rc ? rc : at_player(req, "actorGUID", r->actorguid, &j->actor);
}

int at_disband_rules(stratus_db *db, stratus_req *req, manage_job *j) {
  return captain_only(db, req, j);
}

int at_disband_apply(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc = at_team_delete(db, j->team);
  if (!rc) rc = at_char_name(db, req, j->actor, &j->actor_name);
  if (rc) return rc;
  at_event_set(&j->ev, j->data, AT_EV_DISBANDED, j->actor, 0);
  j->ev.args[0] = j->actor_name;
  j->ev.args[1] = j->data->name;
  j->ev.nargs = 2;
  return AT_OK;
}

/* ---- SetArenaTeamCaptain ------------------------------------------------------------------ */

static int captain_check(stratus_req *req, const void *request, void *job) {
  const V1__SetArenaTeamCaptainRequest *r = request;
  manage_job *j = job;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  if (!rc) rc = at_player(req, "captainGUID", r->captainguid, &j->player);
  return rc ? rc : at_player(req, "actorGUID", r->actorguid, &j->actor);
}

static int captain_rules(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc = captain_only(db, req, j);
  if (rc != AT_OK) return rc;
  if (!at_is_member(j->data, j->player)) return AT_MISMATCH;
  if (j->player == j->actor) return AT_OK; /* already the captain: nothing to do */
  rc = at_exec(db, "UPDATE arena_team SET captainGuid = ? WHERE arenaTeamId = ?",
               P(U(j->player), U(j->team)), NULL);
  if (!rc) rc = names(db, req, j);
  if (rc) return rc;
  at_event_set(&j->ev, j->data, AT_EV_LEADER_CHANGED, j->player, 0);
  j->ev.args[0] = j->actor_name;
  j->ev.args[1] = j->player_name;
  j->ev.args[2] = j->data->name;
  j->ev.nargs = 3;
  return AT_OK;
}

/* ---- SetArenaTeamName ---------------------------------------------------------------------- */

static int name_check(stratus_req *req, const void *request, void *job) {
  const V1__SetArenaTeamNameRequest *r = request;
  manage_job *j = job;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  if (rc || (rc = at_player(req, "actorGUID", r->actorguid, &j->actor))) return rc;
  j->name = HOST->req_strdup(req, r->name, strlen(r->name));
  return 0;
}

static int name_rules(stratus_db *db, stratus_req *req, manage_job *j) {
  int rc = captain_only(db, req, j);
  if (rc != AT_OK) return rc;
  if (!at_name_ok(j->name)) return AT_BAD_NAME;
  rc = at_exec(db, "UPDATE arena_team SET name = ? WHERE arenaTeamId = ?",
               P(stratus_sql_text(j->name), U(j->team)), NULL);
  if (at_duplicate(db, rc)) return AT_NAME_EXISTS;
  return rc ? rc : AT_OK;
}

static int simple_work(stratus_db *db, stratus_req *req, void *job,
                       int (*rules)(stratus_db *, stratus_req *, manage_job *)) {
  manage_job *j = job;
  j->lock = true;
  int rc = rules(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  if (rc != AT_OK) memset(&j->ev, 0, sizeof(j->ev));
  return 0;
}

static int captain_work(stratus_db *db, stratus_req *req, void *job) {
  return simple_work(db, req, job, captain_rules);
}

static int name_work(stratus_db *db, stratus_req *req, void *job) {
  return simple_work(db, req, job, name_rules);
}

#define MANAGE_METHOD(method, prefix, work_fn, reply_fn)                            \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(manage_job),     \
   .pool = "characters", .realm_field = "realmID", .check = prefix##_check,         \
   .work = work_fn, .reply = reply_fn}

const stratus_method at_manage_methods[] = {
    /* the first work only reads: the lock-out runs, then the change (lockout.c) */
    {.name = "RemoveArenaTeamMember", .job_size = sizeof(manage_job), .pool = "characters",
     .realm_field = "realmID", .check = remove_check, .work = at_gate_remove_work,
     .reply = at_gate_reply},
    {.name = "DisbandArenaTeam", .job_size = sizeof(manage_job), .pool = "characters",
     .realm_field = "realmID", .check = disband_check, .work = at_gate_disband_work,
     .reply = at_gate_reply},
    MANAGE_METHOD("SetArenaTeamCaptain", captain, captain_work, manage_reply),
    MANAGE_METHOD("SetArenaTeamName", name, name_work, manage_reply),
};
const size_t at_manage_methods_n = sizeof(at_manage_methods) / sizeof(at_manage_methods[0]);

int at_manage_reply(stratus_req *req, void *job) { return manage_reply(req, job); }
