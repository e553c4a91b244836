/*
 * CreateArenaTeamFromPetition: an arena charter becomes a team, in one
 * transaction. The charter row is locked; the name is unique by the key
 * stratus_uq_arena_team_name (no named lock); the ID comes from
 * stratus_arena_team_id's AUTO_INCREMENT (no MAX()+1); captain and signers
 * must be in no team of the type and are locked (their characters rows)
 * while that is checked; the charter and every member's other charters and
 * signatures of the type go in the same transaction. The charter is
 * recorded (stratus_arena_team_charter), so that a retry answers the same
 * team instead of "not found".
 */
#include <stdio.h>
#include <string.h>

#include "arenateam.h"

#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V
#define ID_DRAWS 8     /* IDs drawn before giving up (the worldserver took them) */
#define MAX_SIGNERS 16 /* more than a charter holds */

enum {
  C_OK = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__Ok,
  C_NOT_FOUND = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__NotFound,
  C_NOT_OWNER = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__NotOwner,
  C_BAD_TYPE = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__InvalidType,
  C_NAME_EXISTS = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__NameExists,
  C_IN_TEAM = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__AlreadyInTeam,
  C_FEW_SIGNS = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__NotEnoughSignatures,
  C_FAILED = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__Failed,
  C_BAD_NAME = V1__CREATE_ARENA_TEAM_FROM_PETITION_RESPONSE__STATUS__InvalidName,
};

typedef struct create_job {
  V1__CreateArenaTeamFromPetitionRequest in; /* the request's numbers, copied */
  uint32_t captain, petition, status, team;
  char name[4 * AT_NAME_MAX + 1];
  uint32_t members[MAX_SIGNERS + 1];
  size_t nmembers;
} create_job;

static int create_check(stratus_req *req, const void *request, void *job) {
  const V1__CreateArenaTeamFromPetitionRequest *r = request;
  create_job *j = job;
  int rc = at_player(req, "captainGUID", r->captainguid, &j->captain);
  if (rc) return rc;
  if (r->petitionguid == 0 || r->petitionguid > UINT32_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "petitionGUID %llu is not an item",
                          (unsigned long long)r->petitionguid);
  j->petition = (uint32_t)r->petitionguid;
  j->in = *r;
  if (!at_type_ok(r->arenatype)) j->status = C_BAD_TYPE;
  return 0;
}

/* The charter (locked): C_OK with its name, or why not. */
static int charter(stratus_db *db, create_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT ownerguid, name, type FROM petition WHERE petitionguid = ? "
                              "FOR UPDATE", P(U(j->petition)), &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) {
    size_t len;
    const char *name = HOST->rows_text(rows, 1, &len);
    snprintf(j->name, sizeof(j->name), "%.*s", (int)len, name ? name : "");
    if (HOST->rows_uint(rows, 0) != j->captain) rc = C_NOT_OWNER;
    else if (HOST->rows_uint(rows, 2) != j->in.arenatype) rc = C_BAD_TYPE;
    else rc = at_name_ok(j->name) ? C_OK : C_BAD_NAME;
  } else if (rc == 0) {
    rc = C_NOT_FOUND;
  }
  HOST->rows_free(rows);
  return rc;
}

/* Captain then signers, in j->members; C_FEW_SIGNS below type - 1. */
static int signers(stratus_db *db, create_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT playerguid FROM petition_sign WHERE petitionguid = ? "
                              "AND playerguid <> ? ORDER BY playerguid FOR UPDATE",
                          P(U(j->petition), U(j->captain)), &rows);
  if (rc) return rc;
  j->members[0] = j->captain;
  j->nmembers = 1;
  while ((rc = HOST->rows_next(rows)) == 1 && j->nmembers <= MAX_SIGNERS)
    j->members[j->nmembers++] = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  return j->nmembers < j->in.arenatype ? C_FEW_SIGNS : C_OK;
}

/* Every member is locked before the first plain read, whose snapshot then
 * holds every team they joined until now. */
static int free_agents(stratus_db *db, create_job *j) {
  int rc;
  for (size_t i = 0; i < j->nmembers; i++)
    if ((rc = at_lock_player(db, j->members[i]))) return rc;
  for (size_t i = 0; i < j->nmembers; i++) {
    uint32_t team;
    if ((rc = at_team_of_type(db, j->members[i], j->in.arenatype, &team)))
      return rc < 0 ? rc : C_IN_TEAM;
  }
  return C_OK;
}

/* Inserts the team under a fresh ID: C_OK, C_NAME_EXISTS, or an error. */
static int insert_team(stratus_db *db, create_job *j) {
  const V1__CreateArenaTeamFromPetitionRequest *r = &j->in;
  for (int draw = 0; draw < ID_DRAWS; draw++) {
    stratus_rows *rows;
    int rc = HOST->sql_exec(db, "INSERT INTO stratus_arena_team_id () VALUES ()", NULL, 0, &rows);
    if (rc) return rc;
    j->team = (uint32_t)HOST->rows_insert_id(rows);
    HOST->rows_free(rows);
    if (j->team > 0xFFFFFFu) return C_FAILED; /* team IDs carry the realm in the top byte */
    rc = at_exec(db,
                 "INSERT INTO arena_team (arenaTeamId, name, captainGuid, type, rating, "
                 "backgroundColor, emblemStyle, emblemColor, borderStyle, borderColor) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 P(U(j->team), stratus_sql_text(j->name), U(j->captain), U(r->arenatype),
                   U(r->startrating), U(r->backgroundcolor), U(r->emblemstyle),
                   U(r->emblemcolor), U(r->borderstyle), U(r->bordercolor)),
                 NULL);
    if (!at_duplicate(db, rc)) return rc;
    uint64_t taken = 0; /* a locking read sees the latest committed row */
    rc = at_count(db, "SELECT arenaTeamId FROM arena_team WHERE name = ? LOCK IN SHARE MODE",
                 P(stratus_sql_text(j->name)), &taken);
    if (rc || taken) return rc ? rc : C_NAME_EXISTS;
  }
  return C_FAILED;
}

/* A charter already turned in by this captain: its team (C_OK), or C_NOT_FOUND. */
static int turned_in(stratus_db *db, create_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT c.arenaTeamId FROM stratus_arena_team_charter c "
                              "JOIN arena_team t ON t.arenaTeamId = c.arenaTeamId "
                              "WHERE c.petitionguid = ? AND c.captain_guid = ?",
                          P(U(j->petition), U(j->captain)), &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) j->team = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return rc < 0 ? rc : rc == 1 ? C_OK : C_NOT_FOUND;
}

static int record_charter(stratus_db *db, create_job *j) {
  return at_exec(db, "REPLACE INTO stratus_arena_team_charter (petitionguid, captain_guid, "
                     "arenaTeamId) VALUES (?, ?, ?)",
                 P(U(j->petition), U(j->captain), U(j->team)), NULL);
}

static int create_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  create_job *j = job;
  if (j->status == C_BAD_TYPE) return 0;
  j->team = 0;
  int rc = charter(db, j);
  if (rc == C_NOT_FOUND && (rc = turned_in(db, j)) == C_OK) {
    j->status = C_OK; /* a retry: the first answer, nothing more */
    return 0;
  }
  if (rc == C_OK) rc = signers(db, j);
  if (rc == C_OK) rc = free_agents(db, j);
  if (rc == C_OK) rc = insert_team(db, j);
  for (size_t i = 0; rc == C_OK && i < j->nmembers; i++) {
    rc = at_member_add(db, j->team, j->members[i], j->in.startpersonalrating,
                       at_slot_of(j->in.arenatype), j->in.startmatchmakerrating);
    if (!rc) rc = at_drop_charters(db, j->members[i], j->in.arenatype);
  }
  if (rc == C_OK)
    rc = at_exec(db, "DELETE FROM petition_sign WHERE petitionguid = ?", P(U(j->petition)), NULL);
  if (rc == C_OK) rc = record_charter(db, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  if (rc != C_OK) j->team = 0;
  return 0;
}

static int create_reply(stratus_req *req, void *job) {
  create_job *j = job;
  V1__CreateArenaTeamFromPetitionResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__create_arena_team_from_petition_response__init(r);
  r->status = (V1__CreateArenaTeamFromPetitionResponse__Status)j->status;
  r->arenateamid = j->team;
  return HOST->req_reply(req, &r->base);
}

const stratus_method at_create_methods[] = {
    {.name = "CreateArenaTeamFromPetition", .flags = STRATUS_METHOD_TXN,
     .job_size = sizeof(create_job), .pool = "characters", .realm_field = "realmID",
     .check = create_check, .work = create_work, .reply = create_reply},
};
const size_t at_create_methods_n = sizeof(at_create_methods) / sizeof(at_create_methods[0]);
