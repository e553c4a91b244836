/*
 * ChatService.SendWhisperMessage: check the request, find the receiver in
 * the host's presence (the given realm; else the sender's; else every
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

#include "req.h"
#include "whisper.h"

#define host whisper_host


/* The call's job: the sender's low GUID, and the receiver once found. */
typedef struct whisper_job {
  stratus_req *req; /* for the Real ID answer */
  uint64_t sender;
  whisper_char to;
} whisper_job;

void whisper_count(whisper_plugin *p, const char *result) {
  const char *labels[] = {result};
  if (!p->stopped) host->metric_add(p->m_whispers, labels, 1);
}

static int reply_status(stratus_req *req, int status, const char *result) {
  V1__SendWhisperMessageResponse *resp =
      req_message(host, req, &v1__send_whisper_message_response__descriptor);
  resp->status = status;
  whisper_count(host->req_ud(req), result);
  return host->req_reply(req, &resp->base);
}

static int refuse(stratus_req *req, const char *result) {
  return reply_status(req, V1__SEND_WHISPER_MESSAGE_RESPONSE__STATUS__CharacterNotFound, result);
}

/* ---- delivery ------------------------------------------------------------------- */

static int deliver(stratus_req *req, const whisper_job *j) {
  const V1__SendWhisperMessageRequest *in = (const void *)host->req_request(req);
  whisper_plugin *p = host->req_ud(req);
  const whisper_char *to = &j->to;
  char subject[WHISPER_GATEWAY_MAX + 32];
  snprintf(subject, sizeof(subject), "chat.gw.%s.income.whisper", to->gateway);
  json_t *o = json_pack(
      "{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:s}",
      "SenderRealmID", (json_int_t)in->realmid, "SenderGUID", (json_int_t)j->sender,
      "SenderName", in->sendername, "SenderRace", (json_int_t)in->senderrace,
      "SenderClass", (json_int_t)in->senderclass, "SenderGender", (json_int_t)in->sendergender,
      "SenderChatTag", (json_int_t)in->senderchattag, "ReceiverRealmID", (json_int_t)to->realm,
      "ReceiverGUID", (json_int_t)to->guid, "ReceiverName", to->name,
      "Language", (json_int_t)in->language, "Msg", in->msg);
  int rc = host->event_publish_json(p->ctx, subject, STRATUS_EVENT_CATALOGUE, o);
  if (rc != 0) {
    whisper_count(p, "dropped");
    return host->req_fail(req, STRATUS_GRPC_UNAVAILABLE,
                          "the event bus did not take the whisper: %s", stratus_strerror(rc));
  }
  V1__SendWhisperMessageResponse *resp =
      req_message(host, req, &v1__send_whisper_message_response__descriptor);
  resp->receiverguid = to->guid;
  resp->receiverrealmid = to->realm;
  resp->receivername = host->req_strdup(req, to->name, strlen(to->name));
  resp->receiverrace = to->race;
  resp->receiverclass = to->klass;
  resp->receivergender = to->gender;
  whisper_count(p, "delivered");
  return host->req_reply(req, &resp->base);
}

/* ---- the crossrealm case -------------------------------------------------------- */

static void realid_answered(whisper_plugin *p, int verdict, const char *message, void *ud) {
  whisper_job *j = ud;
  stratus_req *req = j->req;
  if (verdict < 0) {
    whisper_count(p, "error");
    host->req_fail(req, STRATUS_GRPC_UNAVAILABLE, "AreRealIDFriends: %s", message);
    host->req_error(req, STRATUS_EFAILED);
    return;
  }
  /* The receiver may have logged out (or moved) meanwhile: look again. */
  int rc = verdict && whisper_find_guid(p, j->to.realm, j->to.guid, &j->to) ? deliver(req, j)
                                                                             : refuse(req, "refused");
  if (rc < 0) host->req_error(req, rc);
}

static int crossrealm(stratus_req *req, whisper_job *j) {
  const V1__SendWhisperMessageRequest *in = (const void *)host->req_request(req);
  whisper_plugin *p = host->req_ud(req);
  whisper_char from;
  bool online = whisper_find_guid(p, in->realmid, j->sender, &from);
  if (online && whisper_shared_context(p, &from, &j->to)) return deliver(req, j);
  if (in->gatewayvalidatedgameplaycrossrealmwhisper) whisper_count(p, "unverified_claim");
  /* Real ID: both accounts as the presence owner knows them. */
  if (!online || !from.account || !j->to.account) return refuse(req, "refused");
  j->req = req;
  int rc = whisper_ask_realid(p, from.account, j->to.account, realid_answered, j);
  if (rc != 0)
    return host->req_fail(req, STRATUS_GRPC_UNAVAILABLE, "AreRealIDFriends: %s",
                          stratus_strerror(rc));
  return STRATUS_LATER;
}

/* ---- checks and resolution -------------------------------------------------------- */

static int invalid(stratus_req *req, const char *what, const char *why) {
  return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %s", what, why);
}

static int whisper_check(stratus_req *req, const void *msg, void *job) {
  const V1__SendWhisperMessageRequest *r = msg;
  whisper_plugin *p = host->req_ud(req);
  whisper_job *j = job;
  size_t len = strlen(r->msg);
  uint64_t realm_bits = r->senderguid >> 32;
  const char *why;
  if (r->realmid == 0) return invalid(req, "realmID", "is 0");
  if (r->senderguid == 0) return invalid(req, "senderGUID", "is 0");
  if (realm_bits && realm_bits != r->realmid)
    return invalid(req, "senderGUID", "carries another realm than realmID");
  j->sender = r->senderguid & 0xFFFFFFFFu;
  if ((why = stratus_name_check_player(r->sendername))) return invalid(req, "senderName", why);
  if ((why = stratus_name_check_player(r->receivername))) return invalid(req, "receiverName", why);
  if (len == 0) return invalid(req, "msg", "is empty");
  if ((int64_t)len > p->config->max_message)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "msg is %zu bytes, more than max_message_length %" PRId64, len,
                          p->config->max_message);
  if (!stratus_utf8_valid(r->msg, len, NULL)) return invalid(req, "msg", "is not valid UTF-8");
  if ((r->senderrace | r->senderclass | r->sendergender | r->senderchattag) > 0xFF)
    return invalid(req, "senderRace, senderClass, senderGender and senderChatTag",
                   "must fit in 8 bits");
  return 0;
}

typedef enum { FOUND, NOT_FOUND, AMBIGUOUS } resolution;

/* The given realm; else the sender's; else every realm (two: ambiguous). */
static resolution resolve(whisper_plugin *p, const V1__SendWhisperMessageRequest *r,
                          whisper_char *out) {
  whisper_char all[2];
  uint32_t realm = r->receiverrealmid ? r->receiverrealmid : r->realmid;
  if (whisper_find_name(p, realm, r->receivername, out, 1)) return FOUND;
  if (r->receiverrealmid) return NOT_FOUND;
  size_t n = whisper_find_name(p, 0, r->receivername, all, 2);
  if (n == 0) return NOT_FOUND;
  *out = all[0];
  return n > 1 ? AMBIGUOUS : FOUND;
}

static int whisper_reply(stratus_req *req, void *job) {
  const V1__SendWhisperMessageRequest *in = (const void *)host->req_request(req);
  whisper_job *j = job;
  switch (resolve(host->req_ud(req), in, &j->to)) {
  case NOT_FOUND: return refuse(req, "not_found");
  case AMBIGUOUS:
    return reply_status(req, V1__SEND_WHISPER_MESSAGE_RESPONSE__STATUS__CharacterAmbiguous,
                        "ambiguous");
  case FOUND: break;
  }
  return j->to.realm == in->realmid ? deliver(req, j) : crossrealm(req, j);
}

/* No database: answered from presence, the policy and (maybe) realid. */
const stratus_method whisper_method = {.name = "SendWhisperMessage",
                                       .job_size = sizeof(whisper_job),
                                       .check = whisper_check,
                                       .reply = whisper_reply};
