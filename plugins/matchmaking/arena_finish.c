/*
 * FinishRatedArenaMatch: the result of a rated arena match, applied exactly
 * once. The match is keyed by what the worldserver sends (owner realm,
 * crossrealm flag, instance, both team IDs); both teams, every participant
 * and the results ledger row are written in ONE transaction on the teams'
 * realm database, so a repeated call (a retry after a timeout, a second
 * worldserver report) reads back the first answer and applies nothing.
 * Refusals (unknown team, wrong type, a participant not in its team) change
 * nothing and are not recorded: the worldserver may retry with corrected data.
 */
#include <stdio.h>
#include <string.h>

#include "arena_rating.h"
#include "arena_sql.h"
#include "guid.h"
#include "matchmaking.h"

#define SIDE_MAX 5 /* the largest arena type */
#define TEAM_LOW_BITS 24 /* crossrealm arena team IDs are realm << 24 | id (PR #37) */

#define ALLIANCE V1__PVPTEAM_ID__Alliance
#define HORDE V1__PVPTEAM_ID__Horde
enum {
  MUT_OK = V1__MATCHMAKING_ARENA_TEAM_MUTATION_STATUS__MATCHMAKING_ARENA_TEAM_MUTATION_OK,
  MUT_NOT_FOUND = V1__MATCHMAKING_ARENA_TEAM_MUTATION_STATUS__MATCHMAKING_ARENA_TEAM_MUTATION_NOT_FOUND,
  MUT_MISMATCH = V1__MATCHMAKING_ARENA_TEAM_MUTATION_STATUS__MATCHMAKING_ARENA_TEAM_MUTATION_MEMBER_MISMATCH,
  MUT_BAD_TYPE = V1__MATCHMAKING_ARENA_TEAM_MUTATION_STATUS__MATCHMAKING_ARENA_TEAM_MUTATION_INVALID_TYPE,
};

typedef struct side {
  uint32_t wire_id, id;     /* as sent; on its realm database */
  uint32_t mmr, opponent_mmr;
  int outcome;              /* 1 won, 0 lost, -1 draw */
  uint32_t players[SIDE_MAX]; /* low GUIDs of its participants */
  uint64_t wire_guids[SIDE_MAX];
  size_t n;
  /* filled by the work */
  arena_team_row team;
  arena_member_row members[ARENA_ROSTER_MAX];
  size_t nmembers;
  int32_t rating_change;
} side;

typedef struct finish_job {
  char key[100];
  uint32_t realm, type, start_mmr;
  int slot;
  bool valid;
  side sides[2]; /* alliance, horde */
  V1__FinishRatedArenaMatchResponse *resp;
} finish_job;

/* ---- check (loop) -------------------------------------------------------------- */

static void split_team(uint32_t owner, bool cross, uint32_t wire, uint32_t *realm, uint32_t *id) {
  uint32_t prefix = wire >> TEAM_LOW_BITS;
  *realm = cross && prefix ? prefix : owner;
  *id = cross && prefix ? wire & ((1u << TEAM_LOW_BITS) - 1) : wire;
}

static int add_participant(stratus_req *req, finish_job *j, const V1__RatedArenaParticipant *p) {
  if (p->team != ALLIANCE && p->team != HORDE)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "participant %llu: team must be Alliance or Horde",
                          (unsigned long long)p->playerguid);
  uint32_t realm, low;
  side *s = &j->sides[p->team == HORDE];
  if (!guid_resolve(j->realm, p->playerguid, &realm, &low) || realm != j->realm)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "participant %llu is not a player of the teams' realm %u",
                          (unsigned long long)p->playerguid, j->realm);
  for (size_t i = 0; i < s->n; i++)
    if (s->players[i] == low)
      return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "participant %llu listed twice",
                            (unsigned long long)p->playerguid);
  if (s->n == (size_t)j->type)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "more than %u participants on one team", j->type);
  s->wire_guids[s->n] = p->playerguid;
  s->players[s->n++] = low;
  return 0;
}

static int check_sides(stratus_req *req, const V1__FinishRatedArenaMatchRequest *r,
                       finish_job *j) {
  uint32_t realm_a, realm_h;
  if (!r->alliancearenateamid || !r->hordearenateamid ||
      r->alliancearenateamid == r->hordearenateamid)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "two different arena team IDs are required (got %u and %u)",
                          r->alliancearenateamid, r->hordearenateamid);
  split_team(r->ownerrealmid, r->iscrossrealm, r->alliancearenateamid, &realm_a, &j->sides[0].id);
  split_team(r->ownerrealmid, r->iscrossrealm, r->hordearenateamid, &realm_h, &j->sides[1].id);
  if (realm_a != realm_h)
    return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "teams of two realms (%u and %u) cannot be saved in one transaction",
                          realm_a, realm_h);
  j->realm = realm_a;
  uint32_t wire[2] = {r->alliancearenateamid, r->hordearenateamid};
  uint32_t mmr[2] = {r->alliancearenamatchmakerrating, r->hordearenamatchmakerrating};
  for (int i = 0; i < 2; i++) {
    side *s = &j->sides[i];
    s->wire_id = wire[i];
    s->mmr = mmr[i];
    s->opponent_mmr = mmr[!i];
    s->outcome = r->winnerteam == V1__PVPTEAM_ID__Any ? -1 : (r->winnerteam == (i ? HORDE : ALLIANCE));
  }
  return HOST->req_use_realm(req, j->realm);
}

static int finish_check(stratus_req *req, const void *request, void *job) {
  const V1__FinishRatedArenaMatchRequest *r = request;
  finish_job *j = job;
  const mm *m = HOST->req_ud(req);
  if ((j->slot = arena_slot(r->arenatype)) < 0)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "arenaType %u is not 2, 3 or 5", r->arenatype);
  if (r->winnerteam > HORDE)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "winnerTeam %d unknown",
                          (int)r->winnerteam);
  if (!r->ownerrealmid)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "ownerRealmID is required");
  j->type = r->arenatype;
  j->valid = r->validarena;
  j->start_mmr = (uint32_t)m->cfg->start_mmr;
  int rc = check_sides(req, r, j);
  for (size_t i = 0; !rc && i < r->n_participants; i++)
    rc = add_participant(req, j, r->participants[i]);
  if (rc) return rc;
  if (j->valid && (!j->sides[0].n || !j->sides[1].n))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "a counted match needs participants on both teams");
  snprintf(j->key, sizeof(j->key), "%u:%u:%u:%u:%u", r->ownerrealmid, r->iscrossrealm ? 1u : 0u,
           r->instanceid, r->alliancearenateamid, r->hordearenateamid);
  return 0;
}

/* ---- work (worker, one transaction) ------------------------------------------------ */

/* Locks both teams, lower ID first (two reports of one match, or two
 * matches of one team, queue here instead of deadlocking). MUT_OK, or the
 * refusal; nothing is read before both locks are held. */
static int lock_sides(stratus_db *db, finish_job *j) {
  int first = j->sides[0].id < j->sides[1].id ? 0 : 1;
  for (int k = 0; k < 2; k++) {
    side *s = &j->sides[k ? !first : first];
    int rc = arena_team_lock(HOST, db, s->id, &s->team);
    if (rc <= 0) return rc < 0 ? rc : MUT_NOT_FOUND;
  }
  for (int t = 0; t < 2; t++)
    if (j->sides[t].team.type != j->type) return MUT_BAD_TYPE;
  return MUT_OK;
}

/* MUT_OK when the team holds every participant; its members are read. */
static int load_members(stratus_db *db, finish_job *j, side *s) {
  int rc = arena_members_read(HOST, db, s->id, j->slot, j->start_mmr, s->members, &s->nmembers);
  if (rc) return rc;
  for (size_t p = 0; p < s->n; p++) {
    size_t i = 0;
    while (i < s->nmembers && s->members[i].guid != s->players[p]) i++;
    if (i == s->nmembers) return MUT_MISMATCH;
  }
  return MUT_OK;
}

static arena_member_row *member_of(side *s, uint32_t guid) {
  for (size_t i = 0; i < s->nmembers; i++)
    if (s->members[i].guid == guid) return &s->members[i];
  return NULL;
}

/* AzerothCore's WonAgainst/LostAgainst and MemberWon/MemberLost; a draw
 * takes 16 from the team rating and counts the game. */
static void apply_side(side *s) {
  bool won = s->outcome == 1;
  int32_t mmr_mod = s->outcome < 0 ? 0 : arena_mmr_mod(s->mmr, s->opponent_mmr, won);
  s->rating_change = s->outcome < 0 ? ARENA_DRAW_LOSS
                                    : arena_rating_mod(s->team.rating, s->opponent_mmr, won);
  s->team.rating = arena_apply(s->team.rating, s->rating_change);
  s->team.week_games++, s->team.season_games++;
  s->team.week_wins += won, s->team.season_wins += won;
  for (size_t p = 0; p < s->n; p++) {
    arena_member_row *m = member_of(s, s->players[p]);
    if (s->outcome >= 0)
      m->personal_rating = arena_apply(m->personal_rating,
                                       arena_rating_mod(m->personal_rating, s->opponent_mmr, won));
    m->mmr = arena_member_mmr(m->mmr, m->max_mmr, mmr_mod);
    if (m->mmr > m->max_mmr) m->max_mmr = m->mmr;
    m->week_games++, m->season_games++;
    m->week_wins += won, m->season_wins += won;
  }
}

/* The team and its participants only: members who did not play keep their rows. */
static int save_side(stratus_db *db, const finish_job *j, side *s) {
  arena_member_row played[ARENA_ROSTER_MAX];
  for (size_t p = 0; p < s->n; p++) played[p] = *member_of(s, s->players[p]);
  return arena_team_stats_save(HOST, db, &s->team, played, s->n, j->slot);
}

static V1__RatedArenaTeamScore *score_of(stratus_req *req, const finish_job *j, const side *s) {
  V1__RatedArenaTeamScore *sc = HOST->req_alloc(req, sizeof(*sc));
  v1__rated_arena_team_score__init(sc);
  sc->realmid = j->realm;
  sc->arenateamid = s->wire_id;
  sc->teamname = HOST->req_strdup(req, s->team.name, strlen(s->team.name));
  sc->ratingchange = s->rating_change;
  sc->matchmakerrating = s->mmr;
  return sc;
}

static void member_results(stratus_req *req, finish_job *j, V1__FinishRatedArenaMatchResponse *r) {
  size_t n = j->sides[0].n + j->sides[1].n, k = 0;
  r->memberresults = HOST->req_alloc(req, (n ? n : 1) * sizeof(*r->memberresults));
  for (int t = 0; t < 2; t++) {
    side *s = &j->sides[t];
    for (size_t p = 0; p < s->n; p++) {
      const arena_member_row *m = member_of(s, s->players[p]);
      V1__RatedArenaMemberResult *mr = HOST->req_alloc(req, sizeof(*mr));
      v1__rated_arena_member_result__init(mr);
      mr->team = t ? HORDE : ALLIANCE;
      mr->playerguid = s->wire_guids[p];
      mr->personalrating = m->personal_rating;
      mr->weekgames = m->week_games, mr->seasongames = m->season_games;
      mr->weekwins = m->week_wins, mr->seasonwins = m->season_wins;
      mr->matchmakerrating = m->mmr;
      r->memberresults[k++] = mr;
    }
  }
  r->n_memberresults = k;
}

static V1__FinishRatedArenaMatchResponse *new_response(stratus_req *req, int status) {
  V1__FinishRatedArenaMatchResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__finish_rated_arena_match_response__init(r);
  r->status = status;
  return r;
}

static int finish_work(stratus_db *db, stratus_req *req, void *job) {
  finish_job *j = job;
  int rc = lock_sides(db, j);
  if (rc < 0) return rc;
  /* Both teams are locked: a concurrent repeat waited above and now finds
   * the row (a plain read: no gap lock for other matches to collide with). */
  int found = mm_result_find(db, req, j->key, &j->resp);
  if (found) return found < 0 ? found : 0;
  for (int t = 0; t < 2 && rc == MUT_OK; t++) rc = load_members(db, j, &j->sides[t]);
  if (rc < 0) return rc;
  if (rc != MUT_OK) {
    j->resp = new_response(req, rc);
    return 0;
  }
  if (j->valid) {
    for (int t = 0; t < 2; t++) apply_side(&j->sides[t]);
    for (int t = 0; t < 2 && !rc; t++) rc = save_side(db, j, &j->sides[t]);
    if (rc) return rc;
  }
  j->resp = new_response(req, MUT_OK);
  j->resp->alliancescore = score_of(req, j, &j->sides[0]);
  j->resp->hordescore = score_of(req, j, &j->sides[1]);
  member_results(req, j, j->resp);
  return mm_result_record(db, req, j->key, j->sides[0].id, j->sides[1].id, j->resp);
}

static int finish_reply(stratus_req *req, void *job) {
  finish_job *j = job;
  return HOST->req_reply(req, &j->resp->base);
}

const stratus_method mm_arena_methods[] = {
    {.name = "FinishRatedArenaMatch", .flags = STRATUS_METHOD_TXN,
     .job_size = sizeof(finish_job), .pool = "characters", .realm_field = "ownerRealmID",
     .check = finish_check, .work = finish_work, .reply = finish_reply},
};
const size_t mm_arena_methods_n = sizeof(mm_arena_methods) / sizeof(mm_arena_methods[0]);
