/*
 * Reads:
 *   GetArenaTeam                      the team and its roster (online from presence)
 *   GetArenaTeamPetition              an arena charter and its signature count
 *   ArenaTeamQueueDataForRatedArena   the leader's team of a type, the party
 *                                     checked against it, the party's MMR
 */
#include "arenateam.h"

#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V

typedef struct read_job {
  uint32_t team, leader, type, start_mmr, status;
  uint32_t party[AT_ROSTER_MAX];
  size_t nparty;
  V1__ArenaTeamData *data;
  V1__ArenaTeamPetitionData *petition;
  uint64_t petition_guid;
  uint32_t rating, mmr;
} read_job;

/* ---- GetArenaTeam ---------------------------------------------------------------- */

static int team_check(stratus_req *req, const void *request, void *job) {
  const V1__GetArenaTeamRequest *r = request;
  return at_team_id(req, r->arenateamid, &((read_job *)job)->team);
}

static int team_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  int rc;
  j->data = at_team_load(db, req, j->team, false, &rc);
  j->status = j->data ? V1__GET_ARENA_TEAM_RESPONSE__STATUS__Ok
                      : V1__GET_ARENA_TEAM_RESPONSE__STATUS__NotFound;
  return rc < 0 ? rc : 0;
}

static int team_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__GetArenaTeamResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__get_arena_team_response__init(r);
  r->status = (V1__GetArenaTeamResponse__Status)j->status;
  if (j->data) at_team_presence(req, j->data);
  r->team = j->data;
  return HOST->req_reply(req, &r->base);
}

/* ---- GetArenaTeamPetition ---------------------------------------------------------- */

static int petition_check(stratus_req *req, const void *request, void *job) {
  const V1__GetArenaTeamPetitionRequest *r = request;
  if (r->petitionguid == 0 || r->petitionguid > UINT32_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "petitionGUID %llu is not an item",
                          (unsigned long long)r->petitionguid);
  ((read_job *)job)->petition_guid = r->petitionguid;
  return 0;
}

static const stratus_col petition_cols[] = {
    STRATUS_COL(V1__ArenaTeamPetitionData, petitionguid, "petitionguid"),
    STRATUS_COL(V1__ArenaTeamPetitionData, petitionid, "petition_id"),
    STRATUS_COL(V1__ArenaTeamPetitionData, ownerguid, "ownerguid"),
    STRATUS_COL(V1__ArenaTeamPetitionData, name, "name"),
    STRATUS_COL(V1__ArenaTeamPetitionData, arenatype, "type"),
    STRATUS_COL(V1__ArenaTeamPetitionData, signatures, "signatures")};

static int petition_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT p.petitionguid, p.petition_id, p.ownerguid, p.name, p.type, "
                          "(SELECT COUNT(*) FROM petition_sign s WHERE s.petitionguid = "
                          "p.petitionguid) AS signatures FROM petition p WHERE p.petitionguid = ?",
                          P(U(j->petition_guid)), &rows);
  if (rc) return rc;
  j->petition = HOST->req_alloc(req, sizeof(*j->petition));
  v1__arena_team_petition_data__init(j->petition);
  rc = HOST->rows_read(rows, req, STRATUS_COLS(petition_cols), j->petition);
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  if (rc == 0) {
    j->petition = NULL;
    j->status = V1__GET_ARENA_TEAM_PETITION_RESPONSE__STATUS__NotFound;
  } else if (!at_type_ok(j->petition->arenatype)) {
    j->petition = NULL;
    j->status = V1__GET_ARENA_TEAM_PETITION_RESPONSE__STATUS__NotArena;
  } else {
    j->status = V1__GET_ARENA_TEAM_PETITION_RESPONSE__STATUS__Ok;
  }
  return 0;
}

static int petition_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__GetArenaTeamPetitionResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__get_arena_team_petition_response__init(r);
  r->status = (V1__GetArenaTeamPetitionResponse__Status)j->status;
  r->petition = j->petition;
  return HOST->req_reply(req, &r->base);
}

/* ---- ArenaTeamQueueDataForRatedArena ------------------------------------------------- */

enum {
  Q_OK = V1__ARENA_TEAM_QUEUE_DATA_FOR_RATED_ARENA_RESPONSE__STATUS__Ok,
  Q_NOT_FOUND = V1__ARENA_TEAM_QUEUE_DATA_FOR_RATED_ARENA_RESPONSE__STATUS__NotFound,
  Q_MISMATCH = V1__ARENA_TEAM_QUEUE_DATA_FOR_RATED_ARENA_RESPONSE__STATUS__MemberMismatch,
  Q_SIZE = V1__ARENA_TEAM_QUEUE_DATA_FOR_RATED_ARENA_RESPONSE__STATUS__InvalidPartySize,
  Q_BAD_TYPE = V1__ARENA_TEAM_QUEUE_DATA_FOR_RATED_ARENA_RESPONSE__STATUS__InvalidType,
};

static int queue_check(stratus_req *req, const void *request, void *job) {
  const V1__ArenaTeamQueueDataForRatedArenaRequest *r = request;
  read_job *j = job;
  int rc = at_player(req, "leaderGUID", r->leaderguid, &j->leader);
  if (rc) return rc;
  j->type = r->arenatype;
  j->start_mmr = r->startmatchmakerrating;
  if (!at_type_ok(j->type)) j->status = Q_BAD_TYPE;
  else if (r->n_playerguids != j->type) j->status = Q_SIZE;
  if (j->status) return 0;
  for (size_t i = 0; i < r->n_playerguids; i++) {
    if ((rc = at_player(req, "playerGUIDs", r->playerguids[i], &j->party[i]))) return rc;
    for (size_t k = 0; k < i; k++)
      if (j->party[k] == j->party[i]) j->status = Q_MISMATCH; /* one player twice */
  }
  j->nparty = r->n_playerguids;
  return 0;
}

static int queue_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  if (j->status) return 0; /* refused by the check */
  int rc = at_team_of_type(db, j->leader, j->type, &j->team);
  if (rc <= 0) {
    j->status = Q_NOT_FOUND;
    return rc;
  }
  if (!(j->data = at_team_load(db, req, j->team, false, &rc))) {
    j->status = Q_NOT_FOUND;
    return rc;
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < j->nparty; i++) {
    const V1__ArenaTeamMemberData *m = NULL;
    for (size_t k = 0; k < j->data->n_members; k++)
      if (j->data->members[k]->playerguid == j->party[i]) m = j->data->members[k];
    if (!m) {
      j->status = Q_MISMATCH;
      return 0;
    }
    sum += m->matchmakerrating ? m->matchmakerrating : j->start_mmr;
  }
  j->status = Q_OK;
  j->rating = j->data->rating;
  j->mmr = (uint32_t)(sum / j->nparty);
  return 0;
}

static int queue_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__ArenaTeamQueueDataForRatedArenaResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__arena_team_queue_data_for_rated_arena_response__init(r);
  r->status = (V1__ArenaTeamQueueDataForRatedArenaResponse__Status)j->status;
  if (j->status == Q_OK) {
    r->arenateamid = j->team;
    r->teamrating = j->rating;
    r->matchmakerrating = j->mmr;
  }
  return HOST->req_reply(req, &r->base);
}

#define READ_METHOD(method, prefix)                                                 \
  {.name = method, .job_size = sizeof(read_job), .pool = "characters",              \
   .realm_field = "realmID", .check = prefix##_check, .work = prefix##_work,        \
   .reply = prefix##_reply}

const stratus_method at_read_methods[] = {
    READ_METHOD("GetArenaTeam", team),
    READ_METHOD("GetArenaTeamPetition", petition),
    READ_METHOD("ArenaTeamQueueDataForRatedArena", queue),
};
const size_t at_read_methods_n = sizeof(at_read_methods) / sizeof(at_read_methods[0]);
