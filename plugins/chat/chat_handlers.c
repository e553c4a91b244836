/*
 * The ChatService channel RPCs, declared methods without a pool: each
 * method's check validates the request (malformed input is a gRPC status,
 * nothing is queued), normalizes it into the operation (the method's job,
 * in the call's arena) and queues it on its channel, taking the call over
 * (STRATUS_LATER); chat_reply answers once the operation is decided (and
 * stored). SendChannelMessage on a loaded channel is answered at once by
 * the reply step: it changes nothing that needs storing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "guid.h"
#include "req.h"

#define host chat_host

typedef enum shape { SHAPE_PLAIN, SHAPE_TARGET, SHAPE_PASSWORD, SHAPE_JOIN, SHAPE_MESSAGE } shape;

/* Where the common fields sit in each request message. */
typedef struct method {
  const char *name;
  chat_op_kind kind;
  shape shape;
  size_t realm, actor, channel, team, extra; /* extra: targetName or password */
} method;

#define M(name, kind, shape, type, actor, extra)                                         \
  {name, kind, shape, offsetof(type, realmid), offsetof(type, actor),                   \
   offsetof(type, channelname), offsetof(type, teamid), extra}
#define TARGET(name, kind, type, actor) \
  M(name, kind, SHAPE_TARGET, type, actor, offsetof(type, targetname))

static const method methods[] = {
    M("JoinChannel", CHAT_OP_JOIN, SHAPE_JOIN, V1__JoinChannelRequest, playerguid, 0),
    M("LeaveChannel", CHAT_OP_LEAVE, SHAPE_PLAIN, V1__LeaveChannelRequest, playerguid, 0),
    M("SendChannelMessage", CHAT_OP_MESSAGE, SHAPE_MESSAGE, V1__SendChannelMessageRequest,
      senderguid, 0),
    M("GetChannelList", CHAT_OP_LIST, SHAPE_PLAIN, V1__GetChannelListRequest, playerguid, 0),
    TARGET("KickFromChannel", CHAT_OP_KICK, V1__KickFromChannelRequest, kickerguid),
    TARGET("BanFromChannel", CHAT_OP_BAN, V1__BanFromChannelRequest, bannerguid),
    TARGET("UnbanFromChannel", CHAT_OP_UNBAN, V1__UnbanFromChannelRequest, unbannerguid),
    TARGET("SetChannelModerator", CHAT_OP_SET_MODERATOR, V1__SetChannelModeratorRequest,
           setterguid),
    TARGET("UnsetChannelModerator", CHAT_OP_UNSET_MODERATOR, V1__UnsetChannelModeratorRequest,
           setterguid),
    TARGET("SetChannelMute", CHAT_OP_MUTE, V1__SetChannelMuteRequest, muterguid),
    TARGET("UnsetChannelMute", CHAT_OP_UNMUTE, V1__UnsetChannelMuteRequest, unmuterguid),
    TARGET("SetChannelOwner", CHAT_OP_OWNER, V1__SetChannelOwnerRequest, setterguid),
    M("SetChannelPassword", CHAT_OP_PASSWORD, SHAPE_PASSWORD, V1__SetChannelPasswordRequest,
      setterguid, offsetof(V1__SetChannelPasswordRequest, password)),
    M("ToggleChannelModeration", CHAT_OP_TOGGLE_MODERATION, SHAPE_PLAIN,
      V1__ToggleChannelModerationRequest, togglerguid, 0),
    M("ToggleChannelAnnouncements", CHAT_OP_TOGGLE_ANNOUNCEMENTS, SHAPE_PLAIN,
      V1__ToggleChannelAnnouncementsRequest, togglerguid, 0),
    TARGET("InviteToChannel", CHAT_OP_INVITE, V1__InviteToChannelRequest, inviterguid),
};

#define FIELD(msg, off, type) (*(const type *)((const char *)(msg) + (off)))

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* ---- input checks ------------------------------------------------------------- */

/* INVALID_ARGUMENT "<what> <why>"; false, so checks chain with &&. */
static bool fail(stratus_req *rq, const char *what, const char *why) {
  host->req_fail(rq, STRATUS_GRPC_INVALID_ARGUMENT, "%s %s", what, why);
  return false;
}

/* Realm 0 (PR #37's crossrealm scope) keeps the GUID whole; a realm's own
 * realm-scoped GUID becomes its low part (plugins/common/guid.h). */
static bool check_guid(stratus_req *rq, uint32_t realm, uint64_t *guid, const char *what) {
  uint32_t r, low;
  if (*guid == 0) return fail(rq, what, "is 0");
  if (realm == 0) return true;
  if (!guid_resolve(realm, *guid, &r, &low)) return fail(rq, what, "is not a player GUID");
  if (r != realm) return fail(rq, what, "carries another realm than realmID");
  *guid = low;
  return true;
}

static bool check_realm(stratus_req *rq, uint32_t realm) {
  char pool[REALM_POOL_MAX];
  if (realm == 0) return true; /* PR #37's crossrealm scope, kept in memory */
  if (host->db_pool_exists(host->req_ctx(rq), CHAT_POOL(pool, realm))) return true;
  host->req_fail(rq, STRATUS_GRPC_NOT_FOUND, "realm %" PRIu32 " has no [db.%s]", realm, pool);
  return false;
}

static bool check_text(stratus_req *rq, const char *what, const char *why) {
  if (!why) return true;
  return fail(rq, what, why);
}

/* NULL when s can name a channel, else why not. `joining`: a join of a
 * custom (non-DBC) channel, whose name must not start with a digit. */
static const char *check_channel_name(const char *s, bool joining) {
  size_t len = strlen(s);
  if (len == 0) return "is empty";
  if (len > CHAT_CHANNEL_NAME_MAX) return "is longer than 99 bytes";
  if (!stratus_utf8_valid(s, len, NULL)) return "is not valid UTF-8";
  if (joining && s[0] >= '0' && s[0] <= '9') return "starts with a digit";
  if (strchr(s, '|')) return "contains '|' (chat links are not channel names)";
  return NULL;
}

static bool check_message(stratus_req *rq, const chat_config *cfg, const chat_req *r) {
  size_t len = strlen(r->message);
  if (len == 0) return fail(rq, "message", "is empty");
  if ((int64_t)len > cfg->max_message) {
    host->req_fail(rq, STRATUS_GRPC_INVALID_ARGUMENT,
                   "message is %zu bytes, more than max_message_length %" PRId64, len,
                   cfg->max_message);
    return false;
  }
  if (!stratus_utf8_valid(r->message, len, NULL))
    return fail(rq, "message", "is not valid UTF-8");
  if (r->chat_tag > 0xFF)
    return fail(rq, "senderChatTag", "exceeds 255");
  return check_text(rq, "senderName", stratus_name_check_player(r->actor_name));
}

static bool check_shape(stratus_req *rq, const chat_config *cfg, const method *m,
                        chat_req *r) {
  switch (m->shape) {
  case SHAPE_TARGET: return check_text(rq, "targetName", stratus_name_check_player(r->target));
  case SHAPE_PASSWORD:
  case SHAPE_JOIN:
    if (strlen(r->password) > CHAT_PASSWORD_MAX)
      return fail(rq, "password", "is longer than 31 bytes");
    if (!stratus_utf8_valid(r->password, strlen(r->password), NULL))
      return fail(rq, "password", "is not valid UTF-8");
    return m->shape == SHAPE_PASSWORD ||
           check_text(rq, "playerName", stratus_name_check_player(r->actor_name));
  case SHAPE_MESSAGE: return check_message(rq, cfg, r);
  default: return true;
  }
}

/* Fills r from the request; false when a failure was recorded. */
static bool parse(stratus_req *rq, const chat_config *cfg, const method *m,
                  const ProtobufCMessage *msg, chat_req *r) {
  memset(r, 0, sizeof(*r));
  r->realm = FIELD(msg, m->realm, uint32_t);
  r->actor = FIELD(msg, m->actor, uint64_t);
  r->channel = str_or_empty(FIELD(msg, m->channel, char *));
  int team = FIELD(msg, m->team, int);
  r->password = "";
  if (m->shape == SHAPE_TARGET) r->target = str_or_empty(FIELD(msg, m->extra, char *));
  if (m->shape == SHAPE_PASSWORD) r->password = str_or_empty(FIELD(msg, m->extra, char *));
  if (m->shape == SHAPE_JOIN) {
    const V1__JoinChannelRequest *j = (const void *)msg;
    r->actor_name = str_or_empty(j->playername);
    r->password = str_or_empty(j->password);
    r->dbc_id = j->channelid;
    r->channel_flags = j->channelflags;
  }
  if (m->shape == SHAPE_MESSAGE) {
    const V1__SendChannelMessageRequest *s = (const void *)msg;
    r->actor_name = str_or_empty(s->sendername);
    r->message = str_or_empty(s->message);
    r->language = s->language;
    r->chat_tag = s->senderchattag;
  }
  if (team < 0 || team > 2) {
    host->req_fail(rq, STRATUS_GRPC_INVALID_ARGUMENT, "teamID %d is not a TeamID", team);
    return false;
  }
  r->team = (uint8_t)team;
  bool joining_custom = m->shape == SHAPE_JOIN && r->dbc_id == 0;
  return check_guid(rq, r->realm, &r->actor, m->shape == SHAPE_JOIN ? "playerGUID" : "GUID") &&
         check_text(rq, "channelName", check_channel_name(r->channel, joining_custom)) &&
         check_shape(rq, cfg, m, r) && check_realm(rq, r->realm);
}

/* ---- replies ------------------------------------------------------------------ */

/* Responses are built in the call's arena; an internal operation has no
 * call and is freed instead. */
static void answer(chat_op *op, const void *resp) {
  if (op->rq) host->req_reply(op->rq, resp);
  else free(op);
}

static void *response(chat_op *op) {
  if (!op->rq) return NULL;
  return req_message(host, op->rq, op->reply_type);
}

static void set_status(const ProtobufCMessageDescriptor *type, void *resp, int status) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(type, "status");
  *(int *)((char *)resp + f->offset) = status;
}

static void fill_join(chat_channel *ch, chat_op *op, V1__JoinChannelResponse *resp) {
  V1__ChannelInfo *info = req_message(host, op->rq, &v1__channel_info__descriptor);
  const chat_member *m = chat_member_find(ch, op->req.actor);
  info->name = ch->name;
  info->channelid = ch->dbc_id;
  info->flags = ch->flags;
  info->nummembers = (uint32_t)ch->n_members;
  info->memberflags = m ? m->flags : 0;
  resp->channel = info;
}

static void fill_list(chat_channel *ch, chat_op *op, V1__GetChannelListResponse *resp) {
  /* The core lists nobody in a channel whose rights forbid speaking. */
  size_t n = ch->rights.flags & CHAT_RIGHT_CANT_SPEAK ? 0 : ch->n_members, i = 0;
  resp->members = host->req_alloc(op->rq, n * sizeof(*resp->members) + 1);
  for (chat_member *m = ch->first; m && i < n; m = m->next, i++) {
    V1__ChannelMember *item = req_message(host, op->rq, &v1__channel_member__descriptor);
    item->guid = m->guid;
    item->name = m->name;
    item->flags = m->flags;
    resp->members[i] = item;
  }
  resp->n_members = i;
}

void chat_reply(chat_channel *ch, chat_op *op, const chat_plan *plan) {
  void *resp = response(op);
  if (resp) {
    set_status(op->reply_type, resp, plan->status);
    if (op->kind == CHAT_OP_JOIN && plan->status == 0) fill_join(ch, op, resp);
    if (op->kind == CHAT_OP_LIST && plan->status == 0) fill_list(ch, op, resp);
    if (op->kind == CHAT_OP_TOGGLE_MODERATION)
      ((V1__ToggleChannelModerationResponse *)resp)->moderationenabled = plan->toggled;
    if (op->kind == CHAT_OP_TOGGLE_ANNOUNCEMENTS)
      ((V1__ToggleChannelAnnouncementsResponse *)resp)->announcementsenabled = plan->toggled;
  }
  answer(op, resp);
}

/* ---- the declared methods ------------------------------------------------------ */

/* A message on a loaded channel needs nothing stored: 0, the reply step
 * answers it at once, or the failure to answer with. 1: queue it. */
static int speak_now(chat_plugin *p, chat_op *op) {
  char key[sizeof(((chat_channel *)0)->key)];
  const chat_req *r = &op->req;
  int rc = 0;
  if (!stratus_name_fold_str(r->channel, key, sizeof(key))) return 1;
  chat_channel *ch = chat_channel_find(p, r->realm, r->team, key);
  if (!ch || ch->state != CHAT_READY) return 1;
  int status = chat_check_speak(ch, r->actor, host->now_ms(p->ctx));
  const char *outcome[] = {status ? "refused" : "published"};
  op->fast_status = status;
  if (status == 0 && chat_publish_message(ch, r, r->actor) != 0) {
    outcome[0] = "dropped";
    rc = host->req_fail(op->rq, STRATUS_GRPC_UNAVAILABLE,
                        "the event bus did not take the message");
  } else if (status == 0) {
    chat_touch(ch);
  }
  if (!p->stopped) host->metric_add(p->m_messages, outcome, 1);
  return rc;
}

static int check(stratus_req *rq, const method *m, const void *request, chat_op *op) {
  chat_plugin *p = host->req_ud(rq);
  if (!parse(rq, p->config, m, request, &op->req)) return STRATUS_EFAILED;
  op->kind = m->kind;
  op->rq = rq;
  op->reply_type =
      protobuf_c_service_descriptor_get_method_by_name(&v1__chat_service__descriptor, m->name)
          ->output;
  int rc = m->kind == CHAT_OP_MESSAGE ? speak_now(p, op) : 1;
  if (rc <= 0) return rc;
  rc = chat_submit(p, op); /* op->req's strings point into the request */
  return rc == 0 ? STRATUS_LATER : rc;
}

/* Only a message answered at once gets here. */
static int reply_now(stratus_req *rq, void *job) {
  chat_op *op = job;
  void *resp = req_message(host, rq, op->reply_type);
  set_status(op->reply_type, resp, op->fast_status);
  return host->req_reply(rq, resp);
}

#define CHECK(i) \
  static int check_##i(stratus_req *rq, const void *msg, void *job) { \
    return check(rq, &methods[i], msg, job);                        \
  }
CHECK(0) CHECK(1) CHECK(2) CHECK(3) CHECK(4) CHECK(5) CHECK(6) CHECK(7)
CHECK(8) CHECK(9) CHECK(10) CHECK(11) CHECK(12) CHECK(13) CHECK(14) CHECK(15)

#define DECLARE(i) \
  {.name = NULL, .job_size = sizeof(chat_op), .check = check_##i, .reply = reply_now}

int chat_handlers_register(stratus_ctx *ctx, chat_plugin *p) {
  stratus_method declared[] = {DECLARE(0),  DECLARE(1),  DECLARE(2),  DECLARE(3),
                               DECLARE(4),  DECLARE(5),  DECLARE(6),  DECLARE(7),
                               DECLARE(8),  DECLARE(9),  DECLARE(10), DECLARE(11),
                               DECLARE(12), DECLARE(13), DECLARE(14), DECLARE(15)};
  size_t n = sizeof(declared) / sizeof(declared[0]);
  _Static_assert(sizeof(declared) / sizeof(declared[0]) == sizeof(methods) / sizeof(methods[0]),
                 "one declaration per method");
  for (size_t i = 0; i < n; i++) declared[i].name = methods[i].name;
  return host->methods_register(ctx, &v1__chat_service__descriptor, declared, n,
                                sizeof(declared[0]), p);
}
