/*
 * The in-process link with the characters plugin (plugins/common
 * proto/realid/link.proto): FriendsOf gives an account's accepted Real ID
 * friends, each as its representative character for the viewer's realm,
 * for GetFriendsList; PairChanged applies RemoveFriend, SetFriendNote,
 * AddIgnore and RemoveIgnore to the Real ID pair of the two accounts. Only
 * local callers are served: the methods take account IDs on trust.
 */
#include <string.h>

#include "guid.h"
#include "realid.h"
#include "realid/link.pb-c.h"
#include "req.h"

static int local_only(stratus_req *req) {
  if (strcmp(HOST->call_peer(HOST->req_call(req)), "local") == 0) return 0;
  return HOST->req_fail(req, STRATUS_GRPC_PERMISSION_DENIED,
                        "RealIDLink serves plugins of the same stratusd only");
}

/* ---- FriendsOf ------------------------------------------------------------------- */

static int friends_of_check(stratus_req *req, const void *msg, void *job) {
  const Stratus__Realid__FriendsOfRequest *in = msg;
  rid_link_job *j = job;
  realid *st = HOST->req_ud(req);
  int rc = local_only(req);
  if (rc != 0) return rc;
  if (in->accountid == 0 || in->viewerrealmid == 0)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "accountID and viewerRealmID "
                                                             "must not be 0");
  j->account = in->accountid;
  j->viewer = in->viewerrealmid;
  j->viewer_race = in->viewerrace;
  j->cross_faction = st->cfg->cross_faction;
  return HOST->req_use_pool(req, st->cfg->auth_pool);
}

/* Fills f with the representative of `r`; false when the faction filter hides it. */
static bool represent(realid *st, const rid_link_job *j, const rid_linked *r,
                      Stratus__Realid__LinkedFriend *f) {
  rid_char rep;
  f->accountid = r->other;
  f->note = r->note;
  if (realid_representative(st, r->other, j->viewer, &rep)) {
    if (!j->cross_faction && j->viewer_race &&
        stratus_race_faction(rep.race) != stratus_race_faction(j->viewer_race))
      return false;
    f->online = 1, f->realmid = rep.realm, f->guid = rep.low;
    f->area = rep.zone, f->level = rep.level, f->classid = rep.cls;
    return true;
  }
  f->realmid = r->char_realm, f->guid = r->char_low; /* the character last used toward us */
  return true;
}

static int friends_of_reply(stratus_req *req, void *job) {
  rid_link_job *j = job;
  realid *st = HOST->req_ud(req);
  Stratus__Realid__FriendsOfResponse *resp =
      req_message(HOST, req, &stratus__realid__friends_of_response__descriptor);
  resp->friends = HOST->req_alloc(req, (j->n + 1) * sizeof(*resp->friends));
  for (size_t i = 0; i < j->n; i++) {
    Stratus__Realid__LinkedFriend *f =
        req_message(HOST, req, &stratus__realid__linked_friend__descriptor);
    if (represent(st, j, &j->rows[i], f)) resp->friends[resp->n_friends++] = f;
  }
  return HOST->req_reply(req, &resp->base);
}

/* ---- PairChanged ------------------------------------------------------------------- */

static int pair_changed_check(stratus_req *req, const void *msg, void *job) {
  const Stratus__Realid__PairChangedRequest *in = msg;
  rid_link_job *j = job;
  realid *st = HOST->req_ud(req);
  rid_char c;
  int rc = local_only(req);
  if (rc != 0) return rc;
  if (in->accountid == 0 || (in->otheraccountid == 0 && in->otherguid == 0))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "accountID and otherAccountID or otherGUID are needed");
  j->change = in->change;
  j->account = in->accountid;
  j->other = in->otheraccountid;
  j->other_realm = in->otherrealmid;
  j->other_low = in->otherguid;
  j->note = in->note;
  if (!j->other && realid_online(st, j->other_realm, j->other_low, &c)) j->other = c.account;
  return HOST->req_use_pool(req, st->cfg->auth_pool);
}

static int pair_changed_reply(stratus_req *req, void *job) {
  rid_link_job *j = job;
  realid *st = HOST->req_ud(req);
  if (j->was_accepted && j->change != STRATUS__REALID__PAIR_CHANGE__NOTE)
    friendmap_remove(&st->friends, j->account, j->other);
  Stratus__Realid__PairChangedResponse *resp =
      req_message(HOST, req, &stratus__realid__pair_changed_response__descriptor);
  resp->changed = j->changed;
  resp->otheraccountid = j->other;
  return HOST->req_reply(req, &resp->base);
}

int realid_register_link(realid *st) {
  static const stratus_method methods[] = {
      {.name = "FriendsOf", .job_size = sizeof(rid_link_job), .check = friends_of_check,
       .work = store_friends_of_work, .reply = friends_of_reply},
      {.name = "PairChanged", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(rid_link_job),
       .check = pair_changed_check, .work = store_pair_changed_work, .reply = pair_changed_reply},
  };
  return HOST->methods_register(st->ctx, &stratus__realid__real_idlink__descriptor, methods,
                                sizeof(methods) / sizeof(methods[0]), sizeof(stratus_method), st);
}
