/*
 * Results and housekeeping:
 *   SaveArenaTeamStats                team rating, games, wins and rank, and
 *                                     the listed members' stats (and MMR rows
 *                                     when saveArenaStats), one transaction
 *   DeleteAllArenaTeams               every team, roster and invite of a realm
 *   ValidateArenaTeamCharacterDelete  a captain may not be deleted
 *   RemovePlayerFromArenaTeams        a deleted character leaves every team
 */
#include <string.h>

#include "arenateam.h"

#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V
#define SMALL_MAX 65535u /* SMALLINT UNSIGNED */
#define SIGNED_SMALL_MAX 32767u

typedef struct admin_job {
  uint32_t team, player, status;
  V1__SaveArenaTeamStatsRequest stats; /* numbers only: members are copied below */
  V1__ArenaTeamStatsMember members[AT_ROSTER_MAX];
  uint32_t member_low[AT_ROSTER_MAX];
  at_event ev[3]; /* RemovePlayerFromArenaTeams: one per team type */
} admin_job;

static int admin_reply(stratus_req *req, void *job) {
  admin_job *j = job;
  for (size_t i = 0; i < 3; i++) at_event_publish(req, &j->ev[i]);
  return at_reply_status(req, j->status);
}

/* ---- SaveArenaTeamStats -------------------------------------------------------------- */

static int too_big(stratus_req *req, const char *field, uint32_t v, uint32_t max) {
  if (v <= max) return 0;
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %u is above %u", field, v, max);
}

static int member_check(stratus_req *req, const V1__ArenaTeamStatsMember *m, uint32_t *low) {
  int rc = at_player(req, "members.playerGUID", m->playerguid, low);
  if (!rc) rc = too_big(req, "members.personalRating", m->personalrating, SIGNED_SMALL_MAX);
  if (!rc) rc = too_big(req, "members.weekGames", m->weekgames, SMALL_MAX);
  if (!rc) rc = too_big(req, "members.weekWins", m->weekwins, m->weekgames);
  if (!rc) rc = too_big(req, "members.seasonGames", m->seasongames, SMALL_MAX);
  if (!rc) rc = too_big(req, "members.seasonWins", m->seasonwins, m->seasongames);
  if (!rc) rc = too_big(req, "members.matchmakerRating", m->matchmakerrating, SMALL_MAX);
  if (!rc) rc = too_big(req, "members.maxMMR", m->maxmmr, SIGNED_SMALL_MAX);
  return rc;
}

static int stats_check(stratus_req *req, const void *request, void *job) {
  const V1__SaveArenaTeamStatsRequest *r = request;
  admin_job *j = job;
  int rc = at_team_id(req, r->arenateamid, &j->team);
  if (!rc) rc = too_big(req, "rating", r->rating, SMALL_MAX);
  if (!rc) rc = too_big(req, "weekGames", r->weekgames, SMALL_MAX);
  if (!rc) rc = too_big(req, "weekWins", r->weekwins, r->weekgames);
  if (!rc) rc = too_big(req, "seasonGames", r->seasongames, SMALL_MAX);
  if (!rc) rc = too_big(req, "seasonWins", r->seasonwins, r->seasongames);
  if (!rc) rc = too_big(req, "slot", r->slot, 2);
  if (!rc && r->n_members > AT_ROSTER_MAX)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%zu members, a roster holds %u",
                        r->n_members, AT_ROSTER_MAX);
  for (size_t i = 0; !rc && i < r->n_members; i++) {
    rc = member_check(req, r->members[i], &j->member_low[i]);
    j->members[i] = *r->members[i];
  }
  j->stats = *r;
  return rc;
}

static int save_member(stratus_db *db, const admin_job *j, size_t i, uint32_t slot) {
  const V1__ArenaTeamStatsMember *m = &j->members[i];
  int rc = at_exec(db, "UPDATE arena_team_member SET personalRating = ?, weekGames = ?, "
                       "weekWins = ?, seasonGames = ?, seasonWins = ? "
                       "WHERE arenaTeamId = ? AND guid = ?",
                   P(U(m->personalrating), U(m->weekgames), U(m->weekwins), U(m->seasongames),
                     U(m->seasonwins), U(j->team), U(j->member_low[i])),
                   NULL);
  if (rc || !m->savearenastats) return rc;
  return at_exec(db, "REPLACE INTO character_arena_stats (guid, slot, matchMakerRating, maxMMR) "
                     "VALUES (?, ?, ?, ?)",
                 P(U(j->member_low[i]), U(slot), U(m->matchmakerrating), U(m->maxmmr)), NULL);
}

static int stats_rules(stratus_db *db, stratus_req *req, admin_job *j) {
  int rc;
  V1__ArenaTeamData *t = at_team_load(db, req, j->team, true, &rc);
  if (!t) return rc < 0 ? rc : AT_NOT_FOUND;
  if (at_slot_of(t->type) != j->stats.slot) return AT_BAD_TYPE;
  for (size_t i = 0; i < j->stats.n_members; i++)
    if (!at_is_member(t, j->member_low[i])) return AT_MISMATCH;
  const V1__SaveArenaTeamStatsRequest *s = &j->stats;
  rc = at_exec(db, "UPDATE arena_team SET rating = ?, weekGames = ?, weekWins = ?, "
                   "seasonGames = ?, seasonWins = ?, `rank` = ? WHERE arenaTeamId = ?",
               P(U(s->rating), U(s->weekgames), U(s->weekwins), U(s->seasongames),
                 U(s->seasonwins), U(s->rank), U(j->team)),
               NULL);
  for (size_t i = 0; !rc && i < s->n_members; i++) rc = save_member(db, j, i, s->slot);
  return rc ? rc : AT_OK;
}

static int stats_work(stratus_db *db, stratus_req *req, void *job) {
  admin_job *j = job;
  int rc = stats_rules(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  return 0;
}

/* ---- DeleteAllArenaTeams ---------------------------------------------------------------- */

static int delete_all_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  admin_job *j = job;
  int rc = at_exec(db, "DELETE FROM stratus_arena_team_invite", NULL, 0, NULL);
  if (!rc) rc = at_exec(db, "DELETE FROM arena_team_member", NULL, 0, NULL);
  if (!rc) rc = at_exec(db, "DELETE FROM arena_team", NULL, 0, NULL);
  j->status = AT_OK;
  return rc;
}

/* ---- ValidateArenaTeamCharacterDelete / RemovePlayerFromArenaTeams ------------------------- */

static int validate_check(stratus_req *req, const void *request, void *job) {
  const V1__ValidateArenaTeamCharacterDeleteRequest *r = request;
  return at_player(req, "playerGUID", r->playerguid, &((admin_job *)job)->player);
}

static int remove_player_check(stratus_req *req, const void *request, void *job) {
  const V1__RemovePlayerFromArenaTeamsRequest *r = request;
  return at_player(req, "playerGUID", r->playerguid, &((admin_job *)job)->player);
}

static int captains(stratus_db *db, uint32_t player) {
  uint64_t n = 0;
  int rc = at_count(db, "SELECT arenaTeamId FROM arena_team WHERE captainGuid = ? LIMIT 1",
                   P(U(player)), &n);
  return rc < 0 ? rc : n > 0;
}

static int validate_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  admin_job *j = job;
  int rc = captains(db, j->player);
  if (rc < 0) return rc;
  j->status = rc ? AT_LEADER_LEAVE : AT_OK;
  return 0;
}

/* Leaves one team: the LEAVE event goes to the rest and the player. */
static int leave(stratus_db *db, stratus_req *req, admin_job *j, uint32_t team, at_event *ev) {
  int rc;
  const char *name;
  V1__ArenaTeamData *t = at_team_load(db, req, team, true, &rc);
  if (!t) return rc;
  rc = at_exec(db, "DELETE FROM arena_team_member WHERE arenaTeamId = ? AND guid = ?",
               P(U(team), U(j->player)), NULL);
  if (!rc) rc = at_char_name(db, req, j->player, &name);
  if (!rc) rc = at_members_read(db, req, t);
  if (rc) return rc;
  at_event_set(ev, t, AT_EV_LEAVE, j->player, j->player);
  ev->args[0] = name;
  ev->args[1] = t->name;
  ev->nargs = 2;
  return 0;
}

static int remove_player_work(stratus_db *db, stratus_req *req, void *job) {
  admin_job *j = job;
  memset(j->ev, 0, sizeof(j->ev));
  int rc = captains(db, j->player);
  if (rc) {
    j->status = AT_LEADER_LEAVE;
    return rc < 0 ? rc : 0;
  }
  static const uint32_t types[3] = {2, 3, 5};
  for (size_t i = 0; i < 3; i++) {
    uint32_t team;
    if ((rc = at_team_of_type(db, j->player, types[i], &team)) < 0) return rc;
    if (rc == 1 && (rc = leave(db, req, j, team, &j->ev[i]))) return rc;
  }
  rc = at_exec(db, "DELETE FROM stratus_arena_team_invite WHERE target_guid = ?",
               P(U(j->player)), NULL);
  j->status = AT_OK;
  return rc;
}

#define ADMIN_METHOD(method, check_fn, work_fn)                                      \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(admin_job),       \
   .pool = "characters", .realm_field = "realmID", .check = check_fn, .work = work_fn, \
   .reply = admin_reply}

const stratus_method at_admin_methods[] = {
    ADMIN_METHOD("SaveArenaTeamStats", stats_check, stats_work),
    ADMIN_METHOD("DeleteAllArenaTeams", NULL, delete_all_work),
    ADMIN_METHOD("ValidateArenaTeamCharacterDelete", validate_check, validate_work),
    ADMIN_METHOD("RemovePlayerFromArenaTeams", remove_player_check, remove_player_work),
};
const size_t at_admin_methods_n = sizeof(at_admin_methods) / sizeof(at_admin_methods[0]);
