/*
 * Friends and ignore lists (ToCloud9's friends service over AzerothCore's
 * character_social). Game-rule outcomes of AddFriend and AddIgnore travel
 * in `result` as the core's FriendsResult, because the gateway forwards it
 * to the client; gRPC errors are for bad input, unknown players and
 * infrastructure. Removing something that is not there is a success (a
 * retry of a removal must not fail). Changes publish friends.friend.added,
 * friends.friend.removed and friends.note.updated.
 */
#include "characters.h"
#include "guid.h"
#include "req.h"
#include "social.h"

#define NEW(req, name) req_message(HOST, (req), &v1__##name##__descriptor)

static json_t *event_base(chars *st, const social_job *j) {
  json_t *p = json_object();
  json_object_set_new(p, "ServiceID", json_string(st->service_id));
  json_object_set_new(p, "RealmID", json_integer(j->realm));
  json_object_set_new(p, "PlayerGUID", json_integer(j->player));
  json_object_set_new(p, "FriendGUID", json_integer(j->other));
  return p;
}

/* ---- checks (loop) ------------------------------------------------------------------ */

/* The realm and the player, who must be of that realm. */
static int player_check(stratus_req *req, social_job *j, uint32_t realm, uint64_t guid) {
  uint32_t r;
  int rc = chars_use_realm(req, realm);
  if (rc == 0) rc = chars_guid(req, realm, guid, "playerGUID", &r, &j->player);
  if (rc == 0 && r != realm)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                        "playerGUID belongs to realm %u, not %u", r, realm);
  j->realm = realm;
  return rc;
}

/* A pair of the same realm (the other one may be of another realm only for
 * an add, which answers NOT_FOUND for it). */
static int pair_check(stratus_req *req, social_job *j, uint32_t realm, uint64_t player,
                      uint64_t other, const char *what, uint32_t *other_realm) {
  int rc = player_check(req, j, realm, player);
  return rc != 0 ? rc : chars_guid(req, realm, other, what, other_realm, &j->other);
}

static int same_realm(stratus_req *req, uint32_t realm, uint32_t other_realm, const char *what) {
  if (other_realm == realm) return 0;
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                        "%s belongs to realm %u; character_social holds one realm's characters",
                        what, other_realm);
}

/* AddFriend and AddIgnore of oneself or of another realm: the result
 * without the database (0: ask it). */
static uint32_t add_answer(const social_job *j, uint32_t realm, uint32_t other_realm) {
  if (other_realm != realm) /* character_social holds realm-local GUIDs only */
    return j->friend ? FRIEND_NOT_FOUND : FRIEND_IGNORE_NOT_FOUND;
  if (j->other == j->player) return j->friend ? FRIEND_SELF : FRIEND_IGNORE_SELF;
  return 0;
}

static int get_friends_check(stratus_req *req, const void *msg, void *job) {
  const V1__GetFriendsListRequest *in = msg;
  return player_check(req, job, in->realmid, in->playerguid);
}

static int add_friend_check(stratus_req *req, const void *msg, void *job) {
  const V1__AddFriendRequest *in = msg;
  social_job *j = job;
  uint32_t other_realm;
  *j = (social_job){.friend = true, .note = in->note,
                    .two_side_add_friend = ((chars *)HOST->req_ud(req))->cfg->two_side_add_friend};
  int rc = chars_text(req, in->note, SOCIAL_NOTE_CHARS, "note");
  if (rc == 0)
    rc = pair_check(req, j, in->realmid, in->playerguid, in->friendguid, "friendGUID", &other_realm);
  if (rc != 0 || !(j->result = add_answer(j, in->realmid, other_realm))) return rc;
  V1__AddFriendResponse *resp = NEW(req, add_friend_response);
  resp->result = j->result;
  resp->friendguid = j->result == FRIEND_SELF ? j->other : 0;
  return HOST->req_reply(req, &resp->base);
}

static int add_ignore_check(stratus_req *req, const void *msg, void *job) {
  const V1__AddIgnoreRequest *in = msg;
  social_job *j = job;
  uint32_t other_realm;
  j->note = "";
  int rc = pair_check(req, j, in->realmid, in->playerguid, in->ignoredguid, "ignoredGUID",
                      &other_realm);
  if (rc != 0 || !(j->result = add_answer(j, in->realmid, other_realm))) return rc;
  V1__AddIgnoreResponse *resp = NEW(req, add_ignore_response);
  resp->result = j->result;
  return HOST->req_reply(req, &resp->base);
}

static int remove_friend_check(stratus_req *req, const void *msg, void *job) {
  const V1__RemoveFriendRequest *in = msg;
  uint32_t other_realm;
  ((social_job *)job)->friend = true;
  int rc = pair_check(req, job, in->realmid, in->playerguid, in->friendguid, "friendGUID",
                      &other_realm);
  return rc ? rc : same_realm(req, in->realmid, other_realm, "friendGUID");
}

static int remove_ignore_check(stratus_req *req, const void *msg, void *job) {
  const V1__RemoveIgnoreRequest *in = msg;
  uint32_t other_realm;
  int rc = pair_check(req, job, in->realmid, in->playerguid, in->ignoredguid, "ignoredGUID",
                      &other_realm);
  return rc ? rc : same_realm(req, in->realmid, other_realm, "ignoredGUID");
}

static int set_note_check(stratus_req *req, const void *msg, void *job) {
  const V1__SetFriendNoteRequest *in = msg;
  uint32_t other_realm;
  ((social_job *)job)->note = in->note;
  int rc = chars_text(req, in->note, SOCIAL_NOTE_CHARS, "note");
  if (rc == 0)
    rc = pair_check(req, job, in->realmid, in->playerguid, in->friendguid, "friendGUID",
                    &other_realm);
  return rc ? rc : same_realm(req, in->realmid, other_realm, "friendGUID");
}

static int notify_check(stratus_req *req, const void *msg, void *job) {
  const V1__NotifyStatusChangeRequest *in = msg;
  social_job *j = job;
  int rc = player_check(req, j, in->realmid, in->playerguid);
  if (rc == 0 && in->status > 255)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "status %u is above 255", in->status);
  j->status = (uint8_t)in->status, j->area = in->area, j->level = in->level, j->cls = in->classid;
  return rc;
}

/* ---- replies (loop) ----------------------------------------------------------------- */

static void fill_friend(chars *st, const social_job *j, const social_row *r, uint8_t viewer,
                        V1__GetFriendsListResponse__Friend *f) {
  v1__get_friends_list_response__friend__init(f);
  f->guid = r->other;
  f->note = r->note;
  f->realmid = j->realm;
  const oc_char *c = online_find(&st->oc, j->realm, r->other);
  if (c && chars_visible(st, viewer, c->race))
    f->status = 1, f->area = c->zone, f->level = c->level, f->classid = c->cls;
}

static int get_friends_reply(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  V1__GetFriendsListResponse *resp = NEW(req, get_friends_list_response);
  resp->friends = HOST->req_alloc(req, (j->n + 1) * sizeof(*resp->friends));
  resp->ignored = HOST->req_alloc(req, (j->n + 1) * sizeof(*resp->ignored));
  const oc_char *me = online_find(&st->oc, j->realm, j->player);
  for (size_t i = 0; i < j->n; i++) {
    const social_row *r = &j->rows[i];
    if ((r->flags & SOCIAL_FRIEND) && resp->n_friends < SOCIAL_FRIEND_LIMIT) {
      resp->friends[resp->n_friends] = HOST->req_alloc(req, sizeof(**resp->friends));
      fill_friend(st, j, r, me ? me->race : 0, resp->friends[resp->n_friends++]);
    }
    if ((r->flags & SOCIAL_IGNORED) && resp->n_ignored < SOCIAL_IGNORE_LIMIT) {
      V1__GetFriendsListResponse__IgnoredPlayer *p = HOST->req_alloc(req, sizeof(*p));
      v1__get_friends_list_response__ignored_player__init(p);
      p->guid = r->other;
      resp->ignored[resp->n_ignored++] = p;
    }
  }
  return HOST->req_reply(req, &resp->base);
}

static int add_friend_reply(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  V1__AddFriendResponse *resp = NEW(req, add_friend_response);
  resp->result = j->result;
  resp->friendguid = j->result == FRIEND_NOT_FOUND ? 0 : j->other;
  if (j->changed) {
    const oc_char *c = online_find(&st->oc, j->realm, j->other);
    resp->accepted = 1;
    if (c && chars_visible(st, j->player_race, c->race)) {
      resp->result = FRIEND_ADDED_ONLINE;
      resp->status = 1, resp->area = c->zone, resp->level = c->level, resp->classid = c->cls;
    }
    json_t *p = event_base(st, j);
    json_object_set_new(p, "FriendName", json_string(j->other_name));
    json_object_set_new(p, "Note", json_string(j->note));
    chars_publish(st, "friends.friend.added", p);
  }
  return HOST->req_reply(req, &resp->base);
}

static int add_ignore_reply(stratus_req *req, void *job) {
  V1__AddIgnoreResponse *resp = NEW(req, add_ignore_response);
  resp->result = ((social_job *)job)->result;
  return HOST->req_reply(req, &resp->base);
}

static int remove_friend_reply(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  if (j->changed) chars_publish(st, "friends.friend.removed", event_base(st, j));
  return HOST->req_reply(req, NEW(req, remove_friend_response));
}

static int remove_ignore_reply(stratus_req *req, void *job) {
  return HOST->req_reply(req, NEW(req, remove_ignore_response));
}

static int set_note_reply(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  json_t *p = event_base(st, j);
  json_object_set_new(p, "Note", json_string(j->note));
  chars_publish(st, "friends.note.updated", p);
  return HOST->req_reply(req, NEW(req, set_friend_note_response));
}

static int notify_reply(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  const oc_char *c = online_find(&st->oc, j->realm, j->player);
  notify_publish(st, j->realm, j->player, c ? c->race : 0, j->status, j->area, j->level, j->cls,
                 j->listeners, j->nlisteners);
  return HOST->req_reply(req, NEW(req, notify_status_change_response));
}

#define SOCIAL(method, txn, prefix, fn)                                                     \
  {.name = method, .flags = (txn) ? STRATUS_METHOD_TXN : 0, .job_size = sizeof(social_job), \
   .pool = "characters", .check = prefix##_check, .work = fn, .reply = prefix##_reply}

const stratus_method chars_social_methods[CHARS_SOCIAL_METHODS] = {
    SOCIAL("GetFriendsList", false, get_friends, social_list_work),
    SOCIAL("AddFriend", true, add_friend, social_add_work),
    SOCIAL("RemoveFriend", true, remove_friend, social_remove_work),
    SOCIAL("SetFriendNote", true, set_note, social_note_work),
    SOCIAL("AddIgnore", true, add_ignore, social_add_work),
    SOCIAL("RemoveIgnore", true, remove_ignore, social_remove_work),
    SOCIAL("NotifyStatusChange", false, notify, social_listeners_work),
};
