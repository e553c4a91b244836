/*
 * ChatService.SendWhisperMessage: check the request, find the receiver in
 * the online directory (the given realm; else the sender's; else every
 * realm, where two or more matches are CharacterAmbiguous), apply the
 * crossrealm policy, and publish chat.gw.<receiver's gateway>.income.whisper.
 * A refused crossrealm whisper answers CharacterNotFound, like an absent
 * receiver, so the sender cannot tell the two apart (PR #37).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "whisper.h"

#define host whisper_host

enum { EV_INCOMING_WHISPER = 1 };

void whisper_count(whisper_plugin *p, const char *result) {
  const char *labels[] = {result};
  if (!p->stopped) host->metric_add(p->m_whispers, labels, 1);
}

static void reply_status(whisper_plugin *p, stratus_call *call, int status, const char *result) {
  V1__SendWhisperMessageResponse resp = V1__SEND_WHISPER_MESSAGE_RESPONSE__INIT;
  resp.status = status;
  host->call_reply(call, &resp.base);
  whisper_count(p, result);
}

static void refuse(whisper_plugin *p, stratus_call *call, const char *result) {
  reply_status(p, call, V1__SEND_WHISPER_MESSAGE_RESPONSE__STATUS__CharacterNotFound, result);
}

/* ---- delivery ------------------------------------------------------------------- */

static void deliver(whisper_plugin *p, stratus_call *call, const V1__SendWhisperMessageRequest *req,
                    uint64_t sender_guid, const whisper_char *to) {
  char subject[WHISPER_GATEWAY_MAX + 32];
  snprintf(subject, sizeof(subject), "chat.gw.%s.income.whisper", to->gateway);
  json_t *o = json_pack(
      "{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:s}",
      "SenderRealmID", (json_int_t)req->realmid, "SenderGUID", (json_int_t)sender_guid,
      "SenderName", req->sendername, "SenderRace", (json_int_t)req->senderrace,
      "SenderClass", (json_int_t)req->senderclass, "SenderGender", (json_int_t)req->sendergender,
      "SenderChatTag", (json_int_t)req->senderchattag, "ReceiverRealmID", (json_int_t)to->realm,
      "ReceiverGUID", (json_int_t)to->guid, "ReceiverName", to->name,
      "Language", (json_int_t)req->language, "Msg", req->msg);
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  int rc = text ? host->event_publish(p->ctx, subject, EV_INCOMING_WHISPER, text) : STRATUS_ENOMEM;
  free(text);
  if (rc != 0) {
    host->call_fail(call, STRATUS_GRPC_UNAVAILABLE, "the event bus did not take the whisper: %s",
                    stratus_strerror(rc));
    whisper_count(p, "dropped");
    return;
  }
  V1__SendWhisperMessageResponse resp = V1__SEND_WHISPER_MESSAGE_RESPONSE__INIT;
  resp.receiverguid = to->guid;
  resp.receiverrealmid = to->realm;
  resp.receivername = (char *)to->name;
  resp.receiverrace = to->race;
  resp.receiverclass = to->klass;
  resp.receivergender = to->gender;
  host->call_reply(call, &resp.base);
  whisper_count(p, "delivered");
}

/* ---- the crossrealm case -------------------------------------------------------- */

typedef struct pending {
  stratus_call *call;
  const V1__SendWhisperMessageRequest *req; /* host-owned until the reply */
  uint64_t sender_guid;
  uint32_t to_realm;
  uint64_t to_guid;
} pending;

static void realid_answered(whisper_plugin *p, int verdict, const char *message, void *ud) {
  pending *w = ud;
  if (verdict < 0) {
    host->call_fail(w->call, STRATUS_GRPC_UNAVAILABLE, "AreRealIDFriends: %s", message);
    whisper_count(p, "error");
  } else {
    /* The receiver may have logged out (or moved) meanwhile: look again. */
    const whisper_char *to = verdict ? whisper_find_guid(p, w->to_realm, w->to_guid) : NULL;
    if (to) deliver(p, w->call, w->req, w->sender_guid, to);
    else refuse(p, w->call, "refused");
  }
  free(w);
}

static void crossrealm(whisper_plugin *p, stratus_call *call,
                       const V1__SendWhisperMessageRequest *req, uint64_t sender_guid,
                       const whisper_char *to) {
  const whisper_char *from = whisper_find_guid(p, req->realmid, sender_guid);
  if (whisper_shared_context(p, from, to)) {
    deliver(p, call, req, sender_guid, to);
    return;
  }
  if (req->gatewayvalidatedgameplaycrossrealmwhisper) whisper_count(p, "unverified_claim");
  /* Real ID: both accounts as the gateways announced them at login. */
  if (!from || !from->account || !to->account) {
    refuse(p, call, "refused");
    return;
  }
  pending *w = malloc(sizeof(*w));
  if (!w) {
    host->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *w = (pending){call, req, sender_guid, to->realm, to->guid};
  int rc = whisper_ask_realid(p, from->account, to->account, realid_answered, w);
  if (rc != 0) {
    free(w);
    host->call_fail(call, STRATUS_GRPC_UNAVAILABLE, "AreRealIDFriends: %s", stratus_strerror(rc));
  }
}

/* ---- checks and resolution -------------------------------------------------------- */

static bool invalid(stratus_call *call, const char *what, const char *why) {
  host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "%s %s", what, why);
  return false;
}

static bool check(whisper_plugin *p, stratus_call *call, const V1__SendWhisperMessageRequest *r,
                  uint64_t *sender) {
  size_t len = strlen(r->msg);
  uint64_t realm_bits = *sender >> 32;
  if (r->realmid == 0) return invalid(call, "realmID", "is 0");
  if (*sender == 0) return invalid(call, "senderGUID", "is 0");
  if (realm_bits && realm_bits != r->realmid)
    return invalid(call, "senderGUID", "carries another realm than realmID");
  *sender &= 0xFFFFFFFFu;
  const char *why;
  if ((why = stratus_name_check_player(r->sendername))) return invalid(call, "senderName", why);
  if ((why = stratus_name_check_player(r->receivername)))
    return invalid(call, "receiverName", why);
  if (len == 0) return invalid(call, "msg", "is empty");
  if ((int64_t)len > p->config->max_message) {
    host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                    "msg is %zu bytes, more than max_message_length %" PRId64, len,
                    p->config->max_message);
    return false;
  }
  if (!stratus_utf8_valid(r->msg, len, NULL)) return invalid(call, "msg", "is not valid UTF-8");
  if ((r->senderrace | r->senderclass | r->sendergender | r->senderchattag) > 0xFF)
    return invalid(call, "senderRace, senderClass, senderGender and senderChatTag",
                   "must fit in 8 bits");
  return true;
}

typedef enum { FOUND, NOT_FOUND, AMBIGUOUS } resolution;

static resolution resolve(whisper_plugin *p, const V1__SendWhisperMessageRequest *r,
                          const whisper_char **out) {
  char fold[WHISPER_NAME_BYTES + 1];
  if (!stratus_name_fold_str(r->receivername, fold, sizeof(fold))) return NOT_FOUND;
  const whisper_char *all = whisper_find_name(p, fold);
  uint32_t realm = r->receiverrealmid ? r->receiverrealmid : r->realmid;
  for (const whisper_char *c = all; c; c = c->same_name)
    if (c->realm == realm) {
      *out = c;
      return FOUND;
    }
  if (r->receiverrealmid || !all) return NOT_FOUND;
  *out = all;
  return all->same_name ? AMBIGUOUS : FOUND;
}

void whisper_handle(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *request,
                    void *ud) {
  const V1__SendWhisperMessageRequest *req = (const void *)request;
  whisper_plugin *p = ud;
  uint64_t sender = req->senderguid;
  const whisper_char *to = NULL;
  if (!check(p, call, req, &sender)) return;
  switch (resolve(p, req, &to)) {
  case NOT_FOUND: refuse(p, call, "not_found"); return;
  case AMBIGUOUS:
    reply_status(p, call, V1__SEND_WHISPER_MESSAGE_RESPONSE__STATUS__CharacterAmbiguous,
                 "ambiguous");
    return;
  case FOUND: break;
  }
  if (to->realm == req->realmid) deliver(p, call, req, sender, to);
  else crossrealm(p, call, req, sender, to);
}
