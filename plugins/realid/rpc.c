/*
 * AddRealIDFriendByEmail, AcceptRealIDFriend and AreRealIDFriends.
 *
 * Privacy (fixing PR #37): until the other account agrees, an answer says
 * nothing about it. An address that belongs to no account, to several, or
 * to an account that has not asked back all get the same answer: `pending`
 * with result RID_PENDING and every other field zero; only the caller's own
 * state (its list is full, the address is its own, a friendship that both
 * sides already agreed to) changes the answer. Requests per account and
 * hour are bounded, counted whatever the address.
 *
 * The caller's account comes from its online character (the gateway's
 * login event), never from the request; a request names the character, and
 * Real ID is only used from in game.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "realid.h"
#include "req.h"

/* ---- checks ------------------------------------------------------------------------ */

static bool label_ok(const char *s, size_t n) {
  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '-') return false;
  return true;
}

/* local@domain.tld: printable ASCII, one @, a local part of 1..64 bytes and
 * dotted domain labels of 1..63 letters, digits or hyphens. */
static bool email_ok(const char *s) {
  size_t len = strlen(s);
  const char *at = strchr(s, '@');
  if (len > RID_EMAIL_BYTES || !at || strchr(at + 1, '@') || at == s || at - s > 64) return false;
  for (const char *p = s; p < at; p++)
    if (*p <= ' ' || *p >= 127) return false;
  const char *label = at + 1;
  int labels = 0;
  for (const char *p = label;; p++) {
    if (*p == '.' || *p == '\0') {
      if (!label_ok(label, (size_t)(p - label))) return false;
      labels++;
      if (*p == '\0') break;
      label = p + 1;
    }
  }
  return labels >= 2;
}

#define INVALID(req, ...) HOST->req_fail((req), STRATUS_GRPC_INVALID_ARGUMENT, __VA_ARGS__)

/* What can be checked without state: realm, the caller's GUID, the note. */
static int input_check(stratus_req *req, uint32_t realm, uint64_t guid, const char *note,
                       rid_job *j) {
  uint32_t r;
  size_t chars;
  if (realm == 0) return INVALID(req, "realmID is 0");
  if (!guid_resolve(realm, guid, &r, &j->low))
    return INVALID(req, "playerGUID %llu is not a player GUID", (unsigned long long)guid);
  if (r != realm) return INVALID(req, "playerGUID belongs to realm %u, not %u", r, realm);
  if (!stratus_utf8_valid(note, strlen(note), &chars) || chars > RID_NOTE_CHARS)
    return INVALID(req, "note must be valid UTF-8 of at most %d characters", RID_NOTE_CHARS);
  j->realm = realm;
  j->note = note;
  return 0;
}

/* The caller's online character gives its account. */
static int caller_check(realid *st, stratus_req *req, rid_job *j) {
  rid_char c;
  if (!realid_online(st, j->realm, j->low, &c))
    return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "character %u of realm %u is not online", j->low, j->realm);
  if (j->claimed && j->claimed != c.account)
    return INVALID(req, "accountID %u does not own the character (account %u)", j->claimed,
                   c.account);
  j->account = c.account;
  j->max_friends = (uint32_t)st->cfg->max_friends;
  return 0;
}

/* Counts a request; false when the account used up its hour. */
static bool within_rate(realid *st, uint32_t account) {
  uint64_t now = HOST->now_ms(st->ctx), h = hmap_mix64(account);
  if (st->cfg->max_requests_per_hour == 0) return true;
  rid_attempts *a = hmap_get(&st->attempts, h, NULL, NULL);
  if (!a) {
    if (!(a = calloc(1, sizeof(*a))) || hmap_put(&st->attempts, h, a) != 0) {
      free(a);
      return true;
    }
    a->account = account;
  }
  if (now - a->window_ms >= 3600000 || a->count == 0) {
    a->window_ms = now;
    a->count = 0;
  }
  return ++a->count <= (uint64_t)st->cfg->max_requests_per_hour;
}

/* ---- answers ------------------------------------------------------------------------ */

typedef struct answer {
  uint32_t result, status, area, level, cls;
  uint64_t friend_guid;
  bool pending, accepted;
} answer;

static answer friend_answer(realid *st, rid_job *j) {
  answer a = {0};
  rid_char rep, me;
  bool online = realid_representative(st, j->other, j->realm, &rep);
  bool accepted = j->outcome == RID_OUT_ACCEPTED;
  a.accepted = true;
  if (online) {
    a.status = 1, a.area = rep.zone, a.level = rep.level, a.cls = rep.cls;
    a.friend_guid = guid_for_viewer(j->realm, rep.realm, rep.low);
    a.result = accepted ? RID_ADDED_ONLINE : RID_ALREADY;
  } else {
    if (j->other_low) a.friend_guid = guid_for_viewer(j->realm, j->other_realm, j->other_low);
    a.result = accepted ? RID_ADDED_OFFLINE : RID_ALREADY;
  }
  if (accepted) {
    friendmap_add(&st->friends, j->account, j->other);
    json_t *p = json_object();
    json_object_set_new(p, "ServiceID", json_string(st->service_id));
    json_object_set_new(p, "RealmID", json_integer(j->realm));
    json_object_set_new(p, "PlayerGUID", json_integer(j->low));
    json_object_set_new(p, "FriendGUID", json_integer((json_int_t)a.friend_guid));
    json_object_set_new(p, "FriendName", json_string(online ? rep.name : ""));
    json_object_set_new(p, "Note", json_string(j->note));
    realid_publish(st, "friends.friend.added", p);
    if (realid_online(st, j->realm, j->low, &me)) /* the other side sees its new friend */
      realid_broadcast(st, j->account, j->other, j->realm, j->low, 1, me.zone, me.level, me.cls);
  }
  return a;
}

static answer answer_of(realid *st, rid_job *j) {
  answer a = {0};
  switch (j->outcome) {
  case RID_OUT_PENDING: a.result = RID_PENDING, a.pending = true; break;
  case RID_OUT_SELF: a.result = RID_SELF; break;
  case RID_OUT_FULL: a.result = RID_LIST_FULL; break;
  case RID_OUT_NO_REQUEST: a.result = RID_NOT_FOUND; break;
  case RID_OUT_ACCEPTED:
  case RID_OUT_ALREADY: a = friend_answer(st, j); break;
  }
  return a;
}

#define FILL_ANSWER(resp, a)                                                              \
  do {                                                                                   \
    (resp)->result = (a).result, (resp)->status = (a).status, (resp)->area = (a).area;  \
    (resp)->level = (a).level, (resp)->classid = (a).cls;                                \
    (resp)->friendguid = (a).friend_guid;                                                \
    (resp)->pending = (a).pending, (resp)->accepted = (a).accepted;                     \
  } while (0)

static int request_reply(stratus_req *req, void *job) {
  static const char *const names[] = {"pending", "accepted", "already", "self", "full",
                                      "no_request"};
  rid_job *j = job;
  realid *st = HOST->req_ud(req);
  answer a = answer_of(st, j);
  const char *labels[] = {j->accept ? "accept" : "add", names[j->outcome]};
  if (!st->stopped) HOST->metric_add(st->m_requests, labels, 1);
  if (j->accept) {
    V1__AcceptRealIDFriendResponse *resp =
        req_message(HOST, req, &v1__accept_real_idfriend_response__descriptor);
    FILL_ANSWER(resp, a);
    return HOST->req_reply(req, &resp->base);
  }
  V1__AddRealIDFriendByEmailResponse *resp =
      req_message(HOST, req, &v1__add_real_idfriend_by_email_response__descriptor);
  FILL_ANSWER(resp, a);
  return HOST->req_reply(req, &resp->base);
}

/* The part of a request that needs presence; then the work runs on the
 * configured auth pool. */
static int proceed(stratus_req *req, rid_job *j) {
  realid *st = HOST->req_ud(req);
  int rc = caller_check(st, req, j);
  if (rc != 0) return rc;
  if (!j->accept && !within_rate(st, j->account))
    return HOST->req_fail(req, STRATUS_GRPC_RESOURCE_EXHAUSTED,
                          "account %u sent %lld Real ID requests this hour; try again later",
                          j->account, (long long)st->cfg->max_requests_per_hour);
  return HOST->req_use_pool(req, st->cfg->auth_pool);
}

/* ---- checks ------------------------------------------------------------------------ */

static int add_check(stratus_req *req, const void *msg, void *job) {
  const V1__AddRealIDFriendByEmailRequest *in = msg;
  rid_job *j = job;
  if (!email_ok(in->email)) return INVALID(req, "email is not an e-mail address");
  j->email = in->email;
  j->claimed = in->accountid;
  int rc = input_check(req, in->realmid, in->playerguid, in->note, j);
  return rc != 0 ? rc : proceed(req, j);
}

static int accept_check(stratus_req *req, const void *msg, void *job) {
  const V1__AcceptRealIDFriendRequest *in = msg;
  rid_job *j = job;
  if (in->requesteraccountid == 0) return INVALID(req, "requesterAccountID is 0");
  j->accept = true;
  j->other = in->requesteraccountid;
  j->claimed = in->accountid;
  int rc = input_check(req, in->realmid, in->playerguid, in->note, j);
  return rc != 0 ? rc : proceed(req, j);
}

static int are_friends_reply(stratus_req *req, void *job) {
  V1__AreRealIDFriendsResponse *resp =
      req_message(HOST, req, &v1__are_real_idfriends_response__descriptor);
  resp->accepted = ((rid_job *)job)->accepted;
  return HOST->req_reply(req, &resp->base);
}

static int are_friends_check(stratus_req *req, const void *msg, void *job) {
  const V1__AreRealIDFriendsRequest *in = msg;
  rid_job *j = job;
  realid *st = HOST->req_ud(req);
  if (in->accountid == 0 || in->friendaccountid == 0)
    return INVALID(req, "accountID and friendAccountID must not be 0");
  if (in->accountid == in->friendaccountid) /* nobody is their own friend */
    return are_friends_reply(req, job);
  j->account = in->accountid;
  j->other = in->friendaccountid;
  return HOST->req_use_pool(req, st->cfg->auth_pool);
}

/* The auth pool is configured (auth_pool): each check picks it. */

int realid_register_methods(realid *st) {
  static const stratus_method methods[] = {
      {.name = "AddRealIDFriendByEmail", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(rid_job),
       .check = add_check, .work = store_request_work, .reply = request_reply},
      {.name = "AcceptRealIDFriend", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(rid_job),
       .check = accept_check, .work = store_request_work, .reply = request_reply},
      {.name = "AreRealIDFriends", .job_size = sizeof(rid_job), .check = are_friends_check,
       .work = store_check_work, .reply = are_friends_reply},
  };
  return HOST->methods_register(st->ctx, &v1__characters_service__descriptor, methods,
                                sizeof(methods) / sizeof(methods[0]), sizeof(stratus_method), st);
}
