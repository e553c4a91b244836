/*
 * chat.gw.ALL.channel.{message,joined,left,notify}: ToCloud9's payloads
 * (Go field names and order) with PR #37's additions (TeamID, ChannelFlags,
 * NumMembers, Silent, SenderChatTag).
 *
 * Receivers are not listed: one event per message or change, whatever the
 * channel's size. Every gateway keeps the channel membership of its own
 * sessions (from the JoinChannel/LeaveChannel answers and kick/ban notices)
 * and delivers to its members of the scope (RealmID, TeamID, lower-case
 * ChannelName), as ToCloud9's gateway does; RealmID and TeamID in every
 * payload keep Alliance and Horde channels of one name apart.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <jansson.h>

#include "chat.h"

#define host chat_host

/* The type, key order and value types come from the host's event catalogue. */
static int publish(chat_channel *ch, const char *subject, json_t *payload) {
  return host->event_publish_json(ch->plugin->ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
}

int chat_publish_message(chat_channel *ch, const chat_req *req, uint64_t sender) {
  json_t *p = json_pack("{s:I, s:s, s:I, s:I, s:I, s:s, s:I, s:s, s:I}",
                        "RealmID", (json_int_t)ch->realm, "ChannelName", ch->name,
                        "ChannelID", (json_int_t)ch->dbc_id, "TeamID", (json_int_t)ch->team,
                        "SenderGUID", (json_int_t)sender, "SenderName", req->actor_name,
                        "Language", (json_int_t)req->language, "Message", req->message,
                        "SenderChatTag", (json_int_t)req->chat_tag);
  return publish(ch, "chat.gw.ALL.channel.message", p);
}

static json_t *membership(chat_channel *ch, const chat_event *e, const char *name) {
  return json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:s}",
                   "ServiceID", ch->plugin->service_id, "RealmID", (json_int_t)ch->realm,
                   "ChannelName", ch->name, "ChannelID", (json_int_t)ch->dbc_id,
                   "ChannelFlags", (json_int_t)ch->flags, "TeamID", (json_int_t)ch->team,
                   "NumMembers", (json_int_t)ch->n_members, "PlayerGUID", (json_int_t)e->target,
                   "PlayerName", name);
}

static int publish_event(chat_channel *ch, const chat_event *e) {
  json_t *p;
  switch (e->kind) {
  case CHAT_EV_JOINED: {
    const chat_member *m = chat_member_find(ch, e->target);
    p = membership(ch, e, m ? m->name : "");
    if (p) json_object_set_new(p, "PlayerFlags", json_integer(m ? m->flags : 0));
    return publish(ch, "chat.gw.ALL.channel.joined", p);
  }
  case CHAT_EV_LEFT:
    p = membership(ch, e, e->target_name);
    if (p) json_object_set_new(p, "Silent", json_boolean(e->silent));
    return publish(ch, "chat.gw.ALL.channel.left", p);
  default:
    p = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:s, s:I}",
                  "RealmID", (json_int_t)ch->realm, "ChannelName", ch->name,
                  "ChannelID", (json_int_t)ch->dbc_id, "ChannelFlags", (json_int_t)ch->flags,
                  "TeamID", (json_int_t)ch->team, "NumMembers", (json_int_t)ch->n_members,
                  "NotifyType", (json_int_t)e->notify, "TargetGUID", (json_int_t)e->target,
                  "TargetName", e->target_name, "SecondGUID", (json_int_t)e->second,
                  "OldFlags", (json_int_t)e->old_flags, "NewFlags", (json_int_t)e->new_flags,
                  "ExtraData", "", "AffectsPlayer", (json_int_t)e->affects);
    return publish(ch, "chat.gw.ALL.channel.notify", p);
  }
}

/* The change is stored already: a lost event is logged, not undone. */
void chat_publish_plan(chat_channel *ch, const chat_plan *plan) {
  for (size_t i = 0; i < plan->nev; i++) {
    int rc = publish_event(ch, &plan->ev[i]);
    if (rc != 0)
      STRATUS_WARN(host, ch->plugin->ctx, "realm %" PRIu32 " channel '%s': event lost: %s",
                   ch->realm, ch->name, stratus_strerror(rc));
  }
}
