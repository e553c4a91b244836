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

#define INVALID(call, ...) \
  (HOST->call_fail((call), STRATUS_GRPC_INVALID_ARGUMENT, __VA_ARGS__), false)

/* What can be checked without state: realm, the caller's GUID, the note. */
static bool input_ok(stratus_call *call, uint32_t realm, uint64_t guid, const char *note,
                     rid_job *j) {
  uint32_t r;
  if (realm == 0) return INVALID(call, "realmID is 0");
  if (!guid_resolve(realm, guid, &r, &j->low))
    return INVALID(call, "playerGUID %llu is not a player GUID", (unsigned long long)guid);
  if (r != realm) return INVALID(call, "playerGUID belongs to realm %u, not %u", r, realm);
  size_t chars;
  if (!stratus_utf8_valid(note, strlen(note), &chars) || chars > RID_NOTE_CHARS)
    return INVALID(call, "note must be valid UTF-8 of at most %d characters", RID_NOTE_CHARS);
  j->realm = realm;
  j->note = note;
  return true;
}

/* The caller's online character gives its account. */
static bool caller_ok(realid *st, rid_job *j) {
  const pres_char *c = presence_find(&st->pres, j->realm, j->low);
  if (!c) {
    HOST->call_fail(j->call, STRATUS_GRPC_FAILED_PRECONDITION,
                    "character %u of realm %u is not online", j->low, j->realm);
    return false;
  }
  if (j->claimed && j->claimed != c->account)
    return INVALID(j->call, "accountID %u does not own the character (account %u)", j->claimed,
                   c->account);
  j->account = c->account;
  j->max_friends = (uint32_t)st->cfg->max_friends;
  return true;
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
  const pres_char *rep = presence_representative(&st->pres, j->other, j->realm);
  bool accepted = j->outcome == RID_OUT_ACCEPTED;
  a.accepted = true;
  if (rep) {
    a.status = 1, a.area = rep->zone, a.level = rep->level, a.cls = rep->cls;
    a.friend_guid = guid_for_viewer(j->realm, guid_key_realm(rep->key), guid_key_low(rep->key));
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
    json_object_set_new(p, "FriendName", json_string(rep ? rep->name : ""));
    json_object_set_new(p, "Note", json_string(j->note));
    realid_publish(st, "friends.friend.added", 2, p);
    const pres_char *me = presence_find(&st->pres, j->realm, j->low);
    if (me) /* the other side sees its new friend come online */
      realid_broadcast(st, j->account, j->other, j->realm, j->low, 1, me->zone, me->level, me->cls);
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

static void fail_job(stratus_call *call, int result, const char *error) {
  if (result == RID_ENOTABLE)
    HOST->call_fail(call, STRATUS_GRPC_FAILED_PRECONDITION,
                    "the auth database has no stratus_realid_friends table: run stratusctl migrate");
  else if (result == STRATUS_EUNAVAILABLE || result == STRATUS_ETIMEDOUT || result == STRATUS_ECANCELED)
    HOST->call_fail(call, STRATUS_GRPC_UNAVAILABLE, "auth database: %s", stratus_strerror(result));
  else
    HOST->call_fail(call, STRATUS_GRPC_INTERNAL, "auth database: %s",
                    error && *error ? error : stratus_strerror(result));
}

#define FILL_ANSWER(resp, a)                                                              \
  do {                                                                                   \
    (resp).result = (a).result, (resp).status = (a).status, (resp).area = (a).area;     \
    (resp).level = (a).level, (resp).classid = (a).cls, (resp).friendguid = (a).friend_guid; \
    (resp).pending = (a).pending, (resp).accepted = (a).accepted;                       \
  } while (0)

static void request_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  rid_job *j = arg;
  const char *labels[] = {j->accept ? "accept" : "add", "error"};
  if (result != 0) {
    fail_job(j->call, result, error);
  } else {
    answer a = answer_of(j->st, j);
    static const char *const names[] = {"pending", "accepted", "already", "self", "full",
                                        "no_request"};
    labels[1] = names[j->outcome];
    if (j->accept) {
      V1__AcceptRealIDFriendResponse resp = V1__ACCEPT_REAL_IDFRIEND_RESPONSE__INIT;
      FILL_ANSWER(resp, a);
      HOST->call_reply(j->call, &resp.base);
    } else {
      V1__AddRealIDFriendByEmailResponse resp = V1__ADD_REAL_IDFRIEND_BY_EMAIL_RESPONSE__INIT;
      FILL_ANSWER(resp, a);
      HOST->call_reply(j->call, &resp.base);
    }
  }
  if (!j->st->stopped) HOST->metric_add(j->st->m_requests, labels, 1);
  free(j);
}

static void submit(realid *st, rid_job *j) {
  int rc = HOST->db_submit(st->ctx, st->cfg->auth_pool, store_request_work, request_done, j, NULL);
  if (rc != 0) {
    HOST->call_fail(j->call, rc == STRATUS_EAGAIN ? STRATUS_GRPC_RESOURCE_EXHAUSTED
                                                  : STRATUS_GRPC_UNAVAILABLE,
                    "[db.%s]: %s", st->cfg->auth_pool, stratus_strerror(rc));
    free(j);
  }
}

/* The part of a request that needs presence. */
static void proceed(realid *st, rid_job *j) {
  if (!caller_ok(st, j)) {
    free(j);
    return;
  }
  if (!j->accept && !within_rate(st, j->account)) {
    HOST->call_fail(j->call, STRATUS_GRPC_RESOURCE_EXHAUSTED,
                    "account %u sent %lld Real ID requests this hour; try again later",
                    j->account, (long long)st->cfg->max_requests_per_hour);
    free(j);
    return;
  }
  submit(st, j);
}

static void park_or_proceed(realid *st, rid_job *j) {
  if (st->ready) {
    proceed(st, j);
    return;
  }
  j->next = NULL;
  if (!st->parked_tail) st->parked_tail = &st->parked;
  *st->parked_tail = j;
  st->parked_tail = &j->next;
}

void realid_ready(realid *st) {
  rid_job *j = st->parked;
  st->ready = true;
  st->parked = NULL;
  st->parked_tail = &st->parked;
  while (j) {
    rid_job *next = j->next;
    proceed(st, j);
    j = next;
  }
}

static rid_job *new_job(realid *st, stratus_call *call) {
  rid_job *j = calloc(1, sizeof(*j));
  if (!j) HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  else j->st = st, j->call = call;
  return j;
}

/* ---- handlers ------------------------------------------------------------------------ */

static void add_by_email(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                         void *ud) {
  const V1__AddRealIDFriendByEmailRequest *req = (const void *)msg;
  realid *st = ud;
  if (!email_ok(req->email)) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "email is not an e-mail address");
    return;
  }
  rid_job *j = new_job(st, call);
  if (!j) return;
  j->email = req->email;
  j->claimed = req->accountid;
  if (input_ok(call, req->realmid, req->playerguid, req->note, j))
    park_or_proceed(st, j);
  else
    free(j);
}

static void accept_friend(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                          void *ud) {
  const V1__AcceptRealIDFriendRequest *req = (const void *)msg;
  realid *st = ud;
  if (req->requesteraccountid == 0) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "requesterAccountID is 0");
    return;
  }
  rid_job *j = new_job(st, call);
  if (!j) return;
  j->accept = true;
  j->other = req->requesteraccountid;
  j->claimed = req->accountid;
  if (input_ok(call, req->realmid, req->playerguid, req->note, j))
    park_or_proceed(st, j);
  else
    free(j);
}

static void check_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  rid_check_job *j = arg;
  if (result != 0) {
    fail_job(j->call, result, error);
  } else {
    V1__AreRealIDFriendsResponse resp = V1__ARE_REAL_IDFRIENDS_RESPONSE__INIT;
    resp.accepted = j->accepted;
    HOST->call_reply(j->call, &resp.base);
  }
  free(j);
}

static void are_friends(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                        void *ud) {
  const V1__AreRealIDFriendsRequest *req = (const void *)msg;
  realid *st = ud;
  if (req->accountid == 0 || req->friendaccountid == 0) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "accountID and friendAccountID must not be 0");
    return;
  }
  if (req->accountid == req->friendaccountid) { /* nobody is their own friend */
    V1__AreRealIDFriendsResponse resp = V1__ARE_REAL_IDFRIENDS_RESPONSE__INIT;
    HOST->call_reply(call, &resp.base);
    return;
  }
  rid_check_job *j = calloc(1, sizeof(*j));
  if (!j) {
    HOST->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *j = (rid_check_job){st, call, req->accountid, req->friendaccountid, false};
  int rc = HOST->db_submit(st->ctx, st->cfg->auth_pool, store_check_work, check_done, j, NULL);
  if (rc != 0) {
    HOST->call_fail(call, STRATUS_GRPC_UNAVAILABLE, "[db.%s]: %s", st->cfg->auth_pool,
                    stratus_strerror(rc));
    free(j);
  }
}

int realid_register_methods(realid *st) {
  static const struct {
    const char *name;
    stratus_rpc_handler fn;
  } methods[] = {{"AddRealIDFriendByEmail", add_by_email},
                 {"AcceptRealIDFriend", accept_friend},
                 {"AreRealIDFriends", are_friends}};
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    int rc = HOST->rpc_register(st->ctx, &v1__characters_service__descriptor, methods[i].name,
                                methods[i].fn, st);
    if (rc != 0) return rc;
  }
  return 0;
}
