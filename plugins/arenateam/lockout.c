/*
 * The queue lock-out of PR #37 §2.11: leave, remove and disband are refused
 * while a member of the team is queued for (or invited to) an arena. The
 * plugin asks MatchmakingService.BattlegroundQueueDataForPlayer for every
 * member through rpc_call (in process when the matchmaking plugin is
 * loaded, else the [grpc.upstream] of MatchmakingService). A member whose
 * question fails (no matchmaking anywhere, an error) counts as not queued:
 * without a matchmaker nobody can be queued through Stratus.
 *
 * Steps: a read-only work loads the team and applies the rules (a refusal
 * answers at once); the reply step asks; the last answer either refuses
 * with FAILED_PRECONDITION or submits the change, whose transaction runs
 * the rules again on the locked team row.
 */
#include <stdio.h>

#include <stratus/proto/matchmaking/matchmaking.pb-c.h>

#include "manage.h"

static bool arena_bg(uint32_t bg) {
  /* BATTLEGROUND_NA, BE, AA (any arena), RL, DS, RV */
  return bg == 4 || bg == 5 || bg == 6 || bg == 8 || bg == 10 || bg == 11;
}

static bool queued(const ProtobufCMessage *m) {
  const V1__BattlegroundQueueDataForPlayerResponse *r = (const void *)m;
  for (size_t i = 0; r && i < r->n_slots; i++) {
    const V1__BattlegroundQueueDataForPlayerResponse__QueueSlot *s = r->slots[i];
    if (arena_bg(s->bgtypeid) && (s->status == V1__PLAYER_QUEUE_STATUS__InQueue ||
                                  s->status == V1__PLAYER_QUEUE_STATUS__Invited))
      return true;
  }
  return false;
}

static int change_work(stratus_db *db, stratus_req *req, void *job) {
  manage_job *j = job;
  j->lock = true;
  int rc = j->disband ? at_disband_rules(db, req, j) : at_remove_rules(db, req, j);
  if (rc == AT_OK) rc = j->disband ? at_disband_apply(db, req, j) : at_remove_apply(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  if (rc != AT_OK) j->ev.event = 0;
  return 0;
}

static void go_on(stratus_req *req, manage_job *j) {
  int rc;
  if (j->queued) {
    rc = HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                        "member %u of arena team %u is queued for arena", j->queued, j->team);
  } else {
    char pool[32];
    snprintf(pool, sizeof(pool), "characters.%u", HOST->req_realm(req));
    rc = HOST->req_submit(req, pool, change_work, at_manage_reply, STRATUS_METHOD_TXN);
  }
  if (rc) HOST->req_error(req, rc);
}

typedef struct question {
  stratus_req *req;
  manage_job *j;
  uint32_t member;
} question;

static void answered(stratus_ctx *ctx, int status, const char *message,
                     const ProtobufCMessage *response, void *ud) {
  (void)ctx;
  (void)message;
  question *q = ud;
  manage_job *j = q->j;
  if (status == STRATUS_GRPC_OK && queued(response) && !j->queued) j->queued = q->member;
  if (++j->answered == j->asked && !j->asking) go_on(q->req, j);
}

/* Reply step of the read-only work: refuse, or ask about every member. */
int at_gate_reply(stratus_req *req, void *job) {
  manage_job *j = job;
  if (j->status != AT_OK) return at_reply_status(req, j->status);
  j->asking = true;
  for (size_t i = 0; i < j->data->n_members; i++) {
    question *q = HOST->req_alloc(req, sizeof(*q));
    *q = (question){.req = req, .j = j, .member = (uint32_t)j->data->members[i]->playerguid};
    V1__BattlegroundQueueDataForPlayerRequest *r = HOST->req_alloc(req, sizeof(*r));
    v1__battleground_queue_data_for_player_request__init(r);
    r->realmid = HOST->req_realm(req);
    r->playerguid = q->member;
    j->asked++;
    if (HOST->rpc_call(HOST->req_ctx(req), &v1__matchmaking_service__descriptor,
                       "BattlegroundQueueDataForPlayer", &r->base, NULL, answered, q))
      j->answered++; /* nobody to ask: not queued */
  }
  j->asking = false;
  if (j->answered == j->asked) go_on(req, j);
  return STRATUS_LATER;
}

static int gate_work(stratus_db *db, stratus_req *req, manage_job *j,
                     int (*rules)(stratus_db *, stratus_req *, manage_job *)) {
  j->lock = false;
  int rc = rules(db, req, j);
  if (rc < 0) return rc;
  j->status = (uint32_t)rc;
  return 0;
}

int at_gate_remove_work(stratus_db *db, stratus_req *req, void *job) {
  return gate_work(db, req, job, at_remove_rules);
}

int at_gate_disband_work(stratus_db *db, stratus_req *req, void *job) {
  ((manage_job *)job)->disband = true;
  return gate_work(db, req, job, at_disband_rules);
}
