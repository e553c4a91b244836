/*
 * The characters side of the link with the optional realid plugin
 * (plugins/common proto/realid/link.proto), called in process through the
 * host's rpc_call: no link-time coupling, and with realid disabled the host
 * answers UNIMPLEMENTED at once and the friend RPCs behave as without Real
 * ID (no auth database is needed). A link failure is logged, never fails
 * the caller's RPC: the Real ID part is then left out or unchanged.
 */
#include "characters.h"
#include "realid/link.pb-c.h"
#include "social.h"

#define LINK_TIMEOUT_MS 2000

typedef struct link_call {
  stratus_req *req;
  social_job *j;
  int (*answer)(stratus_req *req, social_job *j, const void *linked);
  stratus_method_reply next;
} link_call;

static bool link_ok(chars *st, int status, const char *message) {
  if (status == STRATUS_GRPC_OK) return true;
  if (status != STRATUS_GRPC_UNIMPLEMENTED) /* UNIMPLEMENTED: realid is off */
    STRATUS_WARN(HOST, st->ctx, "Real ID left out: %s", message ? message : "");
  return false;
}

static void friends_done(stratus_ctx *ctx, int status, const char *message,
                         const ProtobufCMessage *response, void *ud) {
  link_call *lc = ud;
  bool ok = link_ok(HOST->req_ud(lc->req), status, message);
  int rc = lc->answer(lc->req, lc->j, ok ? response : NULL);
  if (rc == STRATUS_EFAILED) HOST->req_error(lc->req, rc); /* recorded, not answered */
}

static int call(stratus_req *req, const char *method, const ProtobufCMessage *msg,
                link_call *lc, stratus_rpc_done done) {
  static const stratus_rpc_opts opts = {.struct_size = sizeof(opts),
                                        .timeout_ms = LINK_TIMEOUT_MS};
  chars *st = HOST->req_ud(req);
  int rc = HOST->rpc_call(st->ctx, &stratus__realid__real_idlink__descriptor, method, msg, &opts,
                          done, lc);
  return rc != 0 ? rc : STRATUS_LATER;
}

int link_friends_list(stratus_req *req, social_job *j,
                      int (*answer)(stratus_req *req, social_job *j, const void *linked)) {
  if (!j->account) return answer(req, j, NULL);
  Stratus__Realid__FriendsOfRequest *in = HOST->req_alloc(req, sizeof(*in));
  stratus__realid__friends_of_request__init(in);
  in->accountid = j->account;
  in->viewerrealmid = j->realm;
  in->viewerrace = j->player_race;
  link_call *lc = HOST->req_alloc(req, sizeof(*lc));
  *lc = (link_call){.req = req, .j = j, .answer = answer};
  int rc = call(req, "FriendsOf", &in->base, lc, friends_done);
  return rc == STRATUS_LATER ? rc : answer(req, j, NULL);
}

static void pair_done(stratus_ctx *ctx, int status, const char *message,
                      const ProtobufCMessage *response, void *ud) {
  link_call *lc = ud;
  if (link_ok(HOST->req_ud(lc->req), status, message))
    lc->j->linked_changed = ((const Stratus__Realid__PairChangedResponse *)response)->changed;
  int rc = lc->next(lc->req, lc->j);
  if (rc == STRATUS_EFAILED) HOST->req_error(lc->req, rc); /* recorded, not answered */
}

int link_pair_changed(stratus_req *req, social_job *j, int change, stratus_method_reply next) {
  if (!j->account) return next(req, j);
  Stratus__Realid__PairChangedRequest *in = HOST->req_alloc(req, sizeof(*in));
  stratus__realid__pair_changed_request__init(in);
  in->change = change;
  in->accountid = j->account;
  in->otheraccountid = j->other_account;
  in->otherrealmid = j->other_realm;
  in->otherguid = j->other;
  in->note = (char *)(j->note ? j->note : "");
  link_call *lc = HOST->req_alloc(req, sizeof(*lc));
  *lc = (link_call){.req = req, .j = j, .next = next};
  int rc = call(req, "PairChanged", &in->base, lc, pair_done);
  return rc == STRATUS_LATER ? rc : next(req, j);
}
