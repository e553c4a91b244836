/*
 * Friends and ignore lists (ToCloud9's friends service over AzerothCore's
 * character_social). Game-rule outcomes of AddFriend and AddIgnore travel
 * in `result` as the core's FriendsResult, because the gateway forwards it
 * to the client; gRPC errors are for bad input, unknown players and
 * infrastructure. Removing something that is not there is a success (a
 * retry of a removal must not fail). Changes publish friends.friend.added,
 * friends.friend.removed and friends.note.updated.
 */
#include <string.h>

#include "characters.h"
#include "guid.h"
#include "realid/link.pb-c.h"
#include "req.h"
#include "social.h"

#define NEW(req, name) req_message(HOST, (req), &v1__##name##__descriptor)

static json_t *event_base(chars *st, const social_job *j) {
  json_t *p = json_object();
  json_object_set_new(p, "ServiceID", json_string(st->service_id));
  json_object_set_new(p, "RealmID", json_integer(j->realm));
  json_object_set_new(p, "PlayerGUID", json_integer(j->player));
  uint32_t other_realm = j->other_realm ? j->other_realm : j->realm;
  json_object_set_new(p, "FriendGUID",
                      json_integer((json_int_t)guid_for_viewer(j->realm, other_realm, j->other)));
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

/* A friend may be of another realm: a Real ID friend's representative. */
static int remove_friend_check(stratus_req *req, const void *msg, void *job) {
  const V1__RemoveFriendRequest *in = msg;
  social_job *j = job;
  j->friend = true;
  return pair_check(req, j, in->realmid, in->playerguid, in->friendguid, "friendGUID",
                    &j->other_realm);
}

static int remove_ignore_check(stratus_req *req, const void *msg, void *job) {
  const V1__RemoveIgnoreRequest *in = msg;
  social_job *j = job;
  int rc = pair_check(req, j, in->realmid, in->playerguid, in->ignoredguid, "ignoredGUID",
                      &j->other_realm);
  return rc ? rc : same_realm(req, in->realmid, j->other_realm, "ignoredGUID");
}

static int set_note_check(stratus_req *req, const void *msg, void *job) {
  const V1__SetFriendNoteRequest *in = msg;
  social_job *j = job;
  j->note = in->note;
  int rc = chars_text(req, in->note, SOCIAL_NOTE_CHARS, "note");
  return rc ? rc : pair_check(req, j, in->realmid, in->playerguid, in->friendguid,
                              "friendGUID", &j->other_realm);
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
  f->guid = r->other;
  f->note = r->note;
  f->realmid = j->realm;
  const oc_char *c = online_find(&st->oc, j->realm, r->other);
  if (c && chars_visible(st, viewer, c->race))
    f->status = 1, f->area = c->zone, f->level = c->level, f->classid = c->cls;
}

static V1__GetFriendsListResponse__Friend *new_friend(stratus_req *req,
                                                      V1__GetFriendsListResponse *resp) {
  V1__GetFriendsListResponse__Friend *f = HOST->req_alloc(req, sizeof(*f));
  v1__get_friends_list_response__friend__init(f);
  return resp->friends[resp->n_friends++] = f;
}

/* Is the Real ID friend's account already listed through a character friend? */
static bool listed(const social_job *j, uint32_t account) {
  for (size_t i = 0; i < j->n; i++)
    if ((j->rows[i].flags & SOCIAL_FRIEND) && j->rows[i].account == account) return true;
  return false;
}

/* Accepted Real ID friends after the character friends: each once, as the
 * representative realid chose, its GUID rendered for the viewer's realm. */
static void add_linked(stratus_req *req, const social_job *j,
                       const Stratus__Realid__FriendsOfResponse *linked,
                       V1__GetFriendsListResponse *resp) {
  for (size_t i = 0; linked && i < linked->n_friends; i++) {
    const Stratus__Realid__LinkedFriend *l = linked->friends[i];
    if (!l->guid || listed(j, l->accountid) || resp->n_friends >= SOCIAL_FRIEND_LIMIT) continue;
    V1__GetFriendsListResponse__Friend *f = new_friend(req, resp);
    f->guid = guid_for_viewer(j->realm, l->realmid, l->guid);
    f->realmid = l->realmid;
    f->note = HOST->req_strdup(req, l->note, strlen(l->note));
    if (l->online) f->status = 1, f->area = l->area, f->level = l->level, f->classid = l->classid;
  }
}

static int answer_friends(stratus_req *req, social_job *j, const void *linked) {
  chars *st = HOST->req_ud(req);
  const Stratus__Realid__FriendsOfResponse *rid = linked;
  size_t cap = j->n + (rid ? rid->n_friends : 0) + 1;
  V1__GetFriendsListResponse *resp = NEW(req, get_friends_list_response);
  resp->friends = HOST->req_alloc(req, cap * sizeof(*resp->friends));
  resp->ignored = HOST->req_alloc(req, (j->n + 1) * sizeof(*resp->ignored));
  const oc_char *me = online_find(&st->oc, j->realm, j->player);
  for (size_t i = 0; i < j->n; i++) {
    const social_row *r = &j->rows[i];
    if ((r->flags & SOCIAL_FRIEND) && resp->n_friends < SOCIAL_FRIEND_LIMIT)
      fill_friend(st, j, r, me ? me->race : 0, new_friend(req, resp));
    if ((r->flags & SOCIAL_IGNORED) && resp->n_ignored < SOCIAL_IGNORE_LIMIT) {
      V1__GetFriendsListResponse__IgnoredPlayer *p = HOST->req_alloc(req, sizeof(*p));
      v1__get_friends_list_response__ignored_player__init(p);
      p->guid = r->other;
      resp->ignored[resp->n_ignored++] = p;
    }
  }
  add_linked(req, j, rid, resp);
  return HOST->req_reply(req, &resp->base);
}

static int get_friends_reply(stratus_req *req, void *job) {
  return link_friends_list(req, job, answer_friends);
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

static int add_ignore_done(stratus_req *req, void *job) {
  V1__AddIgnoreResponse *resp = NEW(req, add_ignore_response);
  resp->result = ((social_job *)job)->result;
  return HOST->req_reply(req, &resp->base);
}

/* Ignoring a character blocks its account's Real ID requests (and ends a pair). */
static int add_ignore_reply(stratus_req *req, void *job) {
  social_job *j = job;
  if (!j->changed) return add_ignore_done(req, job);
  j->other_realm = j->realm;
  return link_pair_changed(req, j, STRATUS__REALID__PAIR_CHANGE__BLOCK, add_ignore_done);
}

static int remove_friend_done(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  if (j->changed || j->linked_changed)
    chars_publish(st, "friends.friend.removed", event_base(st, j));
  return HOST->req_reply(req, NEW(req, remove_friend_response));
}

/* PR #37: removing a friend also ends the Real ID pair of the two accounts,
 * pending or accepted (the way to decline or cancel a request). */
static int remove_friend_reply(stratus_req *req, void *job) {
  return link_pair_changed(req, job, STRATUS__REALID__PAIR_CHANGE__REMOVE, remove_friend_done);
}

static int remove_ignore_done(stratus_req *req, void *job) {
  return HOST->req_reply(req, NEW(req, remove_ignore_response));
}

static int remove_ignore_reply(stratus_req *req, void *job) {
  social_job *j = job;
  if (!j->changed) return remove_ignore_done(req, job);
  return link_pair_changed(req, j, STRATUS__REALID__PAIR_CHANGE__UNBLOCK, remove_ignore_done);
}

static int set_note_done(stratus_req *req, void *job) {
  social_job *j = job;
  chars *st = HOST->req_ud(req);
  if (!j->changed && !j->linked_changed)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "character %u has no friend %u on realm %u",
                          j->player, j->other, j->other_realm);
  json_t *p = event_base(st, j);
  json_object_set_new(p, "Note", json_string(j->note));
  chars_publish(st, "friends.note.updated", p);
  return HOST->req_reply(req, NEW(req, set_friend_note_response));
}

/* The note goes to character_social and to the caller's side of a Real ID pair. */
static int set_note_reply(stratus_req *req, void *job) {
  return link_pair_changed(req, job, STRATUS__REALID__PAIR_CHANGE__NOTE, set_note_done);
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
