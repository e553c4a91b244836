/*
 * Friends and ignore lists (ToCloud9's friends service over AzerothCore's
 * character_social). Game-rule outcomes of AddFriend and AddIgnore travel
 * in `result` as the core's FriendsResult, because the gateway forwards it
 * to the client; gRPC errors are for bad input, unknown players and
 * infrastructure. Removing something that is not there is a success (a
 * retry of a removal must not fail). Changes publish friends.friend.added,
 * friends.friend.removed and friends.note.updated.
 */
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"
#include "social.h"

static void free_job(social_job *j) {
  free(j->rows);
  free(j->listeners);
  free(j);
}

static json_t *event_base(chars *st, uint32_t realm, uint32_t player, uint32_t other) {
  json_t *p = json_object();
  json_object_set_new(p, "ServiceID", json_string(st->service_id));
  json_object_set_new(p, "RealmID", json_integer(realm));
  json_object_set_new(p, "PlayerGUID", json_integer(player));
  json_object_set_new(p, "FriendGUID", json_integer(other));
  return p;
}

/* ---- answers ------------------------------------------------------------------------ */

static void reply_list(social_job *j) {
  size_t nf = 0, ni = 0;
  V1__GetFriendsListResponse__Friend *fs = calloc(j->n ? j->n : 1, sizeof(*fs));
  V1__GetFriendsListResponse__Friend **fp = calloc(j->n ? j->n : 1, sizeof(*fp));
  V1__GetFriendsListResponse__IgnoredPlayer *is = calloc(j->n ? j->n : 1, sizeof(*is));
  V1__GetFriendsListResponse__IgnoredPlayer **ip = calloc(j->n ? j->n : 1, sizeof(*ip));
  const oc_char *me = online_find(&j->st->oc, j->realm, j->player);
  if (!fs || !fp || !is || !ip) {
    HOST->call_fail(j->call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < j->n; i++) {
    const social_row *r = &j->rows[i];
    if ((r->flags & SOCIAL_FRIEND) && nf < SOCIAL_FRIEND_LIMIT) {
      V1__GetFriendsListResponse__Friend *f = &fs[nf];
      v1__get_friends_list_response__friend__init(f);
      f->guid = r->other;
      f->note = (char *)r->note;
      f->realmid = j->realm;
      const oc_char *c = online_find(&j->st->oc, j->realm, r->other);
      if (c && chars_visible(j->st, me ? me->race : 0, c->race)) {
        f->status = 1, f->area = c->zone, f->level = c->level, f->classid = c->cls;
      }
      fp[nf++] = f;
    }
    if ((r->flags & SOCIAL_IGNORED) && ni < SOCIAL_IGNORE_LIMIT) {
      v1__get_friends_list_response__ignored_player__init(&is[ni]);
      is[ni].guid = r->other;
      ip[ni] = &is[ni];
      ni++;
    }
  }
  V1__GetFriendsListResponse resp = V1__GET_FRIENDS_LIST_RESPONSE__INIT;
  resp.n_friends = nf, resp.friends = fp;
  resp.n_ignored = ni, resp.ignored = ip;
  HOST->call_reply(j->call, &resp.base);
out:
  free(fs), free(fp), free(is), free(ip);
}

static void reply_add_friend(social_job *j) {
  chars *st = j->st;
  V1__AddFriendResponse resp = V1__ADD_FRIEND_RESPONSE__INIT;
  resp.result = j->result;
  resp.friendguid = j->result == FRIEND_NOT_FOUND ? 0 : j->other;
  if (j->changed) {
    const oc_char *c = online_find(&st->oc, j->realm, j->other);
    resp.accepted = 1;
    if (c && chars_visible(st, j->player_race, c->race)) {
      resp.result = FRIEND_ADDED_ONLINE;
      resp.status = 1, resp.area = c->zone, resp.level = c->level, resp.classid = c->cls;
    }
    json_t *p = event_base(st, j->realm, j->player, j->other);
    json_object_set_new(p, "FriendName", json_string(j->other_name));
    json_object_set_new(p, "Note", json_string(j->note));
    chars_publish(st, "friends.friend.added", 2, p);
  }
  HOST->call_reply(j->call, &resp.base);
}

static void social_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  social_job *j = arg;
  chars *st = j->st;
  (void)ctx;
  if (result == STRATUS_ENOTFOUND) {
    if (j->op == SOCIAL_NOTE)
      HOST->call_fail(j->call, STRATUS_GRPC_NOT_FOUND, "character %u has no friend %u on realm %u",
                      j->player, j->other, j->realm);
    else
      HOST->call_fail(j->call, STRATUS_GRPC_NOT_FOUND, "character %u not found on realm %u",
                      j->player, j->realm);
    free_job(j);
    return;
  }
  if (result != 0) {
    chars_fail_job(j->call, result, error, j->realm);
    free_job(j);
    return;
  }
  switch (j->op) {
  case SOCIAL_LIST:
    reply_list(j);
    break;
  case SOCIAL_ADD_FRIEND:
    reply_add_friend(j);
    break;
  case SOCIAL_ADD_IGNORE: {
    V1__AddIgnoreResponse resp = V1__ADD_IGNORE_RESPONSE__INIT;
    resp.result = j->result;
    HOST->call_reply(j->call, &resp.base);
    break;
  }
  case SOCIAL_REMOVE_FRIEND: {
    if (j->changed)
      chars_publish(st, "friends.friend.removed", 3, event_base(st, j->realm, j->player, j->other));
    V1__RemoveFriendResponse resp = V1__REMOVE_FRIEND_RESPONSE__INIT;
    HOST->call_reply(j->call, &resp.base);
    break;
  }
  case SOCIAL_REMOVE_IGNORE: {
    V1__RemoveIgnoreResponse resp = V1__REMOVE_IGNORE_RESPONSE__INIT;
    HOST->call_reply(j->call, &resp.base);
    break;
  }
  case SOCIAL_NOTE: {
    json_t *p = event_base(st, j->realm, j->player, j->other);
    json_object_set_new(p, "Note", json_string(j->note));
    chars_publish(st, "friends.note.updated", 4, p);
    V1__SetFriendNoteResponse resp = V1__SET_FRIEND_NOTE_RESPONSE__INIT;
    HOST->call_reply(j->call, &resp.base);
    break;
  }
  case SOCIAL_LISTENERS: {
    const oc_char *c = online_find(&st->oc, j->realm, j->player);
    notify_publish(st, j->realm, j->player, c ? c->race : 0, j->status, j->area, j->level,
                   j->cls, j->listeners, j->nlisteners);
    V1__NotifyStatusChangeResponse resp = V1__NOTIFY_STATUS_CHANGE_RESPONSE__INIT;
    HOST->call_reply(j->call, &resp.base);
    break;
  }
  }
  free_job(j);
}

/* ---- requests ------------------------------------------------------------------------ */

/* Checks the realm and the player (who must be of that realm). */
static bool player_ok(chars *st, stratus_call *call, uint32_t realm, uint64_t guid,
                      uint32_t *low) {
  uint32_t r;
  if (!chars_realm_ok(st, call, realm) || !chars_guid_ok(call, realm, guid, "playerGUID", &r, low))
    return false;
  if (r != realm) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "playerGUID belongs to realm %u, not %u",
                    r, realm);
    return false;
  }
  return true;
}

static void get_friends(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                        void *ud) {
  const V1__GetFriendsListRequest *req = (const void *)msg;
  social_job j = {.st = ud, .call = call, .op = SOCIAL_LIST, .realm = req->realmid};
  (void)ctx;
  if (player_ok(ud, call, req->realmid, req->playerguid, &j.player))
    chars_submit_copy(ud, call, j.realm, &j, sizeof(j), social_work, social_done);
}

/* AddFriend and AddIgnore: self and other realms are answered here; the rest
 * needs the database. Returns false when the call was answered. */
static bool add_checks(chars *st, stratus_call *call, social_job *j, uint32_t realm,
                       uint64_t player, uint64_t other, const char *what) {
  uint32_t other_realm;
  bool friend = j->op == SOCIAL_ADD_FRIEND;
  if (!player_ok(st, call, realm, player, &j->player) ||
      !chars_guid_ok(call, realm, other, what, &other_realm, &j->other))
    return false;
  uint32_t result = 0;
  if (other_realm != realm) /* character_social holds realm-local GUIDs only */
    result = friend ? FRIEND_NOT_FOUND : FRIEND_IGNORE_NOT_FOUND;
  else if (j->other == j->player)
    result = friend ? FRIEND_SELF : FRIEND_IGNORE_SELF;
  if (!result) return true;
  if (friend) {
    V1__AddFriendResponse resp = V1__ADD_FRIEND_RESPONSE__INIT;
    resp.result = result;
    resp.friendguid = result == FRIEND_SELF ? j->other : 0;
    HOST->call_reply(call, &resp.base);
  } else {
    V1__AddIgnoreResponse resp = V1__ADD_IGNORE_RESPONSE__INIT;
    resp.result = result;
    HOST->call_reply(call, &resp.base);
  }
  return false;
}

static void add_friend(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                       void *ud) {
  const V1__AddFriendRequest *req = (const void *)msg;
  chars *st = ud;
  social_job j = {.st = st, .call = call, .op = SOCIAL_ADD_FRIEND, .realm = req->realmid,
                  .note = req->note, .two_side_add_friend = st->cfg->two_side_add_friend};
  (void)ctx;
  if (!chars_text_ok(call, req->note, SOCIAL_NOTE_CHARS, "note")) return;
  if (add_checks(ud, call, &j, req->realmid, req->playerguid, req->friendguid, "friendGUID"))
    chars_submit_copy(ud, call, j.realm, &j, sizeof(j), social_work, social_done);
}

static void add_ignore(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                       void *ud) {
  const V1__AddIgnoreRequest *req = (const void *)msg;
  social_job j = {.st = ud, .call = call, .op = SOCIAL_ADD_IGNORE, .realm = req->realmid,
                  .note = ""};
  (void)ctx;
  if (add_checks(ud, call, &j, req->realmid, req->playerguid, req->ignoredguid, "ignoredGUID"))
    chars_submit_copy(ud, call, j.realm, &j, sizeof(j), social_work, social_done);
}

/* RemoveFriend, RemoveIgnore, SetFriendNote: a pair of the same realm. */
static void pair_request(chars *st, stratus_call *call, social_op op, uint32_t realm,
                         uint64_t player, uint64_t other, const char *what, const char *note) {
  social_job j = {.st = st, .call = call, .op = op, .realm = realm, .note = note};
  uint32_t other_realm;
  if (!player_ok(st, call, realm, player, &j.player) ||
      !chars_guid_ok(call, realm, other, what, &other_realm, &j.other))
    return;
  if (other_realm != realm) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                    "%s belongs to realm %u; character_social holds one realm's characters", what,
                    other_realm);
    return;
  }
  chars_submit_copy(st, call, j.realm, &j, sizeof(j), social_work, social_done);
}

static void remove_friend(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                          void *ud) {
  const V1__RemoveFriendRequest *req = (const void *)msg;
  (void)ctx;
  pair_request(ud, call, SOCIAL_REMOVE_FRIEND, req->realmid, req->playerguid, req->friendguid,
               "friendGUID", "");
}

static void remove_ignore(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                          void *ud) {
  const V1__RemoveIgnoreRequest *req = (const void *)msg;
  (void)ctx;
  pair_request(ud, call, SOCIAL_REMOVE_IGNORE, req->realmid, req->playerguid, req->ignoredguid,
               "ignoredGUID", "");
}

static void set_note(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                     void *ud) {
  const V1__SetFriendNoteRequest *req = (const void *)msg;
  (void)ctx;
  if (chars_text_ok(call, req->note, SOCIAL_NOTE_CHARS, "note"))
    pair_request(ud, call, SOCIAL_NOTE, req->realmid, req->playerguid, req->friendguid,
                 "friendGUID", req->note);
}

static void notify_status(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                          void *ud) {
  const V1__NotifyStatusChangeRequest *req = (const void *)msg;
  social_job j = {.st = ud, .call = call, .op = SOCIAL_LISTENERS, .realm = req->realmid,
                  .area = req->area, .level = req->level, .cls = req->classid};
  (void)ctx;
  if (!player_ok(ud, call, req->realmid, req->playerguid, &j.player)) return;
  if (req->status > 255) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "status %u is above 255", req->status);
    return;
  }
  j.status = (uint8_t)req->status;
  chars_submit_copy(ud, call, j.realm, &j, sizeof(j), social_work, social_done);
}

const chars_method chars_social_methods[] = {
    {"GetFriendsList", get_friends},
    {"AddFriend", add_friend},
    {"RemoveFriend", remove_friend},
    {"SetFriendNote", set_note},
    {"AddIgnore", add_ignore},
    {"RemoveIgnore", remove_ignore},
    {"NotifyStatusChange", notify_status},
    {NULL, NULL},
};
