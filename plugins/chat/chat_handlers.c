/*
 * The ChatService channel RPCs: each request is checked (malformed input is
 * a gRPC status, nothing is queued), normalized into a chat_req and queued
 * as an operation on its channel; the reply comes from chat_reply once the
 * operation is decided (and stored). SendChannelMessage on a loaded channel
 * is answered at once: it changes nothing that needs storing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

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
static bool fail(stratus_call *call, const char *what, const char *why) {
  host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "%s %s", what, why);
  return false;
}

static bool check_guid(stratus_call *call, uint32_t realm, uint64_t *guid, const char *what) {
  uint64_t realm_bits = *guid >> 32;
  if (*guid == 0) return fail(call, what, "is 0");
  if (realm != 0 && realm_bits != 0) {
    if (realm_bits != realm)
      return fail(call, what,
                  "carries another realm than realmID");
    *guid &= 0xFFFFFFFFu; /* a realm-scoped GUID of this realm: its low part */
  }
  return true;
}

static bool check_realm(stratus_ctx *ctx, stratus_call *call, uint32_t realm) {
  char pool[32];
  if (realm == 0) return true; /* PR #37's crossrealm scope, kept in memory */
  chat_pool_name(realm, pool, sizeof(pool));
  if (host->db_pool_exists(ctx, pool)) return true;
  host->call_fail(call, STRATUS_GRPC_NOT_FOUND, "realm %" PRIu32 " has no [db.%s]", realm, pool);
  return false;
}

static bool check_text(stratus_call *call, const char *what, const char *why) {
  if (!why) return true;
  return fail(call, what, why);
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

static bool check_message(stratus_call *call, const chat_config *cfg, const chat_req *r) {
  size_t len = strlen(r->message);
  if (len == 0) return fail(call, "message", "is empty");
  if ((int64_t)len > cfg->max_message) {
    host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                    "message is %zu bytes, more than max_message_length %" PRId64, len,
                    cfg->max_message);
    return false;
  }
  if (!stratus_utf8_valid(r->message, len, NULL))
    return fail(call, "message", "is not valid UTF-8");
  if (r->chat_tag > 0xFF)
    return fail(call, "senderChatTag", "exceeds 255");
  return check_text(call, "senderName", stratus_name_check_player(r->actor_name));
}

static bool check_shape(stratus_call *call, const chat_config *cfg, const method *m,
                        chat_req *r) {
  switch (m->shape) {
  case SHAPE_TARGET: return check_text(call, "targetName", stratus_name_check_player(r->target));
  case SHAPE_PASSWORD:
  case SHAPE_JOIN:
    if (strlen(r->password) > CHAT_PASSWORD_MAX)
      return fail(call, "password",
                  "is longer than 31 bytes");
    if (!stratus_utf8_valid(r->password, strlen(r->password), NULL))
      return fail(call, "password", "is not valid UTF-8");
    return m->shape == SHAPE_PASSWORD ||
           check_text(call, "playerName", stratus_name_check_player(r->actor_name));
  case SHAPE_MESSAGE: return check_message(call, cfg, r);
  default: return true;
  }
}

/* Fills r from the request; false when the call was already answered. */
static bool parse(stratus_ctx *ctx, stratus_call *call, const chat_config *cfg, const method *m,
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
    host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "teamID %d is not a TeamID", team);
    return false;
  }
  r->team = (uint8_t)team;
  bool joining_custom = m->shape == SHAPE_JOIN && r->dbc_id == 0;
  return check_guid(call, r->realm, &r->actor, m->shape == SHAPE_JOIN ? "playerGUID" : "GUID") &&
         check_text(call, "channelName", check_channel_name(r->channel, joining_custom)) &&
         check_shape(call, cfg, m, r) && check_realm(ctx, call, r->realm);
}

/* ---- replies ------------------------------------------------------------------ */

static void reply_status(stratus_call *call, const ProtobufCMessageDescriptor *type, int status) {
  union {
    ProtobufCMessage base;
    char bytes[256];
    long double align;
  } u;
  protobuf_c_message_init(type, &u);
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(type, "status");
  *(int *)((char *)&u + f->offset) = status;
  host->call_reply(call, &u.base);
}

static void reply_join(chat_channel *ch, chat_op *op, int status) {
  V1__JoinChannelResponse resp = V1__JOIN_CHANNEL_RESPONSE__INIT;
  V1__ChannelInfo info = V1__CHANNEL_INFO__INIT;
  resp.status = status;
  if (status == 0) {
    const chat_member *m = chat_member_find(ch, op->req.actor);
    info.name = ch->name;
    info.channelid = ch->dbc_id;
    info.flags = ch->flags;
    info.nummembers = (uint32_t)ch->n_members;
    info.memberflags = m ? m->flags : 0;
    resp.channel = &info;
  }
  host->call_reply(op->call, &resp.base);
}

static void reply_list(chat_channel *ch, chat_op *op, int status) {
  V1__GetChannelListResponse resp = V1__GET_CHANNEL_LIST_RESPONSE__INIT;
  V1__ChannelMember *items = NULL, **ptrs = NULL;
  resp.status = status;
  /* The core lists nobody in a channel whose rights forbid speaking. */
  size_t n = status == 0 && !(ch->rights.flags & CHAT_RIGHT_CANT_SPEAK) ? ch->n_members : 0;
  if (n) {
    items = calloc(n, sizeof(*items));
    ptrs = calloc(n, sizeof(*ptrs));
    if (!items || !ptrs) {
      free(items);
      free(ptrs);
      host->call_fail(op->call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
      return;
    }
    size_t i = 0;
    for (chat_member *m = ch->first; m; m = m->next, i++) {
      v1__channel_member__init(&items[i]);
      items[i].guid = m->guid;
      items[i].name = m->name;
      items[i].flags = m->flags;
      ptrs[i] = &items[i];
    }
    resp.n_members = n;
    resp.members = ptrs;
  }
  host->call_reply(op->call, &resp.base);
  free(ptrs);
  free(items);
}

void chat_reply(chat_channel *ch, chat_op *op, const chat_plan *plan) {
  if (!op->call) return;
  switch (op->kind) {
  case CHAT_OP_JOIN: reply_join(ch, op, plan->status); break;
  case CHAT_OP_LIST: reply_list(ch, op, plan->status); break;
  case CHAT_OP_TOGGLE_MODERATION: {
    V1__ToggleChannelModerationResponse r = V1__TOGGLE_CHANNEL_MODERATION_RESPONSE__INIT;
    r.status = plan->status;
    r.moderationenabled = plan->toggled;
    host->call_reply(op->call, &r.base);
    break;
  }
  case CHAT_OP_TOGGLE_ANNOUNCEMENTS: {
    V1__ToggleChannelAnnouncementsResponse r = V1__TOGGLE_CHANNEL_ANNOUNCEMENTS_RESPONSE__INIT;
    r.status = plan->status;
    r.announcementsenabled = plan->toggled;
    host->call_reply(op->call, &r.base);
    break;
  }
  default: reply_status(op->call, op->reply_type, plan->status);
  }
}

/* ---- handlers ---------------------------------------------------------------- */

/* One per method and plugin instance (generations must not share them). */
struct chat_route {
  chat_plugin *plugin;
  const method *method;
  const ProtobufCMessageDescriptor *reply_type;
};
typedef struct chat_route route;

/* A message on a loaded channel needs nothing stored: answer now. */
static bool speak_now(chat_plugin *p, stratus_call *call, const route *rt, const chat_req *r) {
  char key[sizeof(((chat_channel *)0)->key)];
  if (!stratus_name_fold_str(r->channel, key, sizeof(key))) return false;
  chat_channel *ch = chat_channel_find(p, r->realm, r->team, key);
  if (!ch || ch->state != CHAT_READY) return false;
  int status = chat_check_speak(ch, r->actor, host->now_ms(p->ctx));
  const char *outcome[] = {status ? "refused" : "published"};
  if (status == 0 && chat_publish_message(ch, r, r->actor) != 0) {
    outcome[0] = "dropped";
    host->call_fail(call, STRATUS_GRPC_UNAVAILABLE, "the event bus did not take the message");
  } else {
    reply_status(call, rt->reply_type, status);
    if (status == 0) chat_touch(ch);
  }
  if (!p->stopped) host->metric_add(p->m_messages, outcome, 1);
  return true;
}

static void handle(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *request,
                   void *ud) {
  const route *rt = ud;
  chat_plugin *p = rt->plugin;
  chat_req r;
  if (!parse(ctx, call, p->config, rt->method, request, &r)) return;
  if (rt->method->kind == CHAT_OP_MESSAGE && speak_now(p, call, rt, &r)) return;
  chat_op *op = calloc(1, sizeof(*op));
  if (!op) {
    host->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  op->kind = rt->method->kind;
  op->call = call;
  op->reply_type = rt->reply_type;
  op->req = r; /* its strings point into the request, valid until the reply */
  chat_submit(p, op);
}

int chat_handlers_register(stratus_ctx *ctx, chat_plugin *p) {
  const ProtobufCServiceDescriptor *svc = &v1__chat_service__descriptor;
  size_t n = sizeof(methods) / sizeof(methods[0]);
  route *routes = p->routes = calloc(n, sizeof(*routes));
  if (!routes) return STRATUS_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    const ProtobufCMethodDescriptor *md =
        protobuf_c_service_descriptor_get_method_by_name(svc, methods[i].name);
    if (!md || md->output->sizeof_message > 256) return STRATUS_EINVAL;
    routes[i] = (route){p, &methods[i], md->output};
    int rc = host->rpc_register(ctx, svc, methods[i].name, handle, &routes[i]);
    if (rc != 0) return rc;
  }
  return 0;
}
