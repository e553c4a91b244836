/*
 * Send: one mail, at most once per idempotency key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"

#define host mail_host

#define SUBJECT_MAX 256u
#define BODY_MAX 8000u

typedef struct send_job {
  mail_draft draft;
  uint32_t items[MAIL_MAX_ITEMS];
  uint64_t sender_guid, receiver_guid; /* as the caller wrote them, for the event */
  bool player_sender; /* a character sends: it must exist and own the items */
  bool derived_key;   /* no header: the key is the sender and the items */
  uint32_t id;
  bool replayed;
} send_job;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* The key of a send without the header: the sender and its items, which no
 * two different mails can share (an item is in at most one mail). */
static const char *derived_key(stratus_req *req, const send_job *j) {
  uint32_t sorted[MAIL_MAX_ITEMS];
  memcpy(sorted, j->items, j->draft.nitems * sizeof(uint32_t));
  qsort(sorted, j->draft.nitems, sizeof(uint32_t), cmp_u32);
  char *key = host->req_alloc(req, MAIL_KEY_MAX + 1);
  int n = snprintf(key, MAIL_KEY_MAX + 1, "i:%u:%u", j->draft.type, j->draft.sender);
  for (size_t i = 0; i < j->draft.nitems; i++)
    n += snprintf(key + n, MAIL_KEY_MAX + 1 - (size_t)n, ",%u", sorted[i]);
  return key;
}

static int check_items(stratus_req *req, const V1__SendRequest *r, send_job *j) {
  if (r->n_attachments > MAIL_MAX_ITEMS)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%zu attachments, a mail holds at most %u", r->n_attachments,
                          MAIL_MAX_ITEMS);
  for (size_t i = 0; i < r->n_attachments; i++) {
    uint64_t g = r->attachments[i]->guid;
    if (g == 0 || g > UINT32_MAX)
      return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                            "attachment %zu: %llu is not an item GUID", i,
                            (unsigned long long)g);
    for (size_t k = 0; k < i; k++)
      if (j->items[k] == g)
        return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                              "item %llu is attached twice", (unsigned long long)g);
    j->items[i] = (uint32_t)g;
  }
  j->draft.items = j->items;
  j->draft.nitems = r->n_attachments;
  if (r->cashondelivery > 0 && r->n_attachments == 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "cashOnDelivery needs at least one attached item");
  return 0;
}

static int check_money(stratus_req *req, const V1__SendRequest *r) {
  if (r->moneytosend < 0 || r->cashondelivery < 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "moneyToSend %d and cashOnDelivery %d must not be negative",
                          r->moneytosend, r->cashondelivery);
  return 0;
}

/* A caller's timestamp, or now + the configured default for 0. */
static int check_time(stratus_req *req, const char *what, int64_t t, int64_t dflt_ms,
                      uint32_t *out) {
  if (t == 0) t = mail_now() + dflt_ms / 1000;
  if (t < 0 || t > UINT32_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%s %lld is not a unix time in seconds", what, (long long)t);
  *out = (uint32_t)t;
  return 0;
}

static int check_text(stratus_req *req, const V1__SendRequest *r) {
  if (strlen(r->subject) > SUBJECT_MAX || strlen(r->body) > BODY_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "subject and body are limited to %u and %u bytes", SUBJECT_MAX,
                          BODY_MAX);
  return 0;
}

static int check_parties(stratus_req *req, const V1__SendRequest *r, send_job *j) {
  int rc = mail_resolve_guid(req, r->receiverguid, "receiverGuid", &j->draft.receiver);
  if (rc != 0) return rc;
  j->receiver_guid = r->receiverguid;
  bool has_sender = r->_sender_guid_case != V1__SEND_REQUEST___SENDER_GUID__NOT_SET;
  j->sender_guid = has_sender ? r->senderguid : 0;
  j->player_sender = r->type == V1__MAIL_TYPE__PlayerToPlayer && has_sender;
  if (j->player_sender) return mail_resolve_guid(req, r->senderguid, "senderGuid", &j->draft.sender);
  if (j->sender_guid > UINT32_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "senderGuid %llu is too large",
                          (unsigned long long)j->sender_guid);
  j->draft.sender = (uint32_t)j->sender_guid;
  return 0;
}

static int send_check(stratus_req *req, const void *request, void *job) {
  const V1__SendRequest *r = request;
  const mail_plugin *p = host->req_ud(req);
  send_job *j = job;
  int rc;
  if ((rc = check_parties(req, r, j)) || (rc = check_money(req, r)) ||
      (rc = check_items(req, r, j)) || (rc = check_text(req, r)) ||
      (rc = check_time(req, "deliveryTimestamp", r->deliverytimestamp,
                       p->config->delivery_delay_ms, &j->draft.deliver_time)) ||
      (rc = check_time(req, "expirationTimestamp", r->expirationtimestamp,
                       p->config->default_expiry_ms, &j->draft.expire_time)) ||
      (rc = mail_header_key(req, &j->draft.key)))
    return rc;
  j->derived_key = !j->draft.key && j->draft.nitems;
  if (j->derived_key) j->draft.key = derived_key(req, j);
  j->draft.type = (uint32_t)r->type;
  j->draft.stationery = (uint32_t)r->stationery;
  j->draft.template_id = r->templateid;
  j->draft.subject = r->subject;
  j->draft.body = r->body;
  j->draft.money = (uint32_t)r->moneytosend;
  j->draft.cod = (uint32_t)r->cashondelivery;
  j->draft.checked = r->flagsmask;
  return 0;
}

/* The items exist and belong to the sender (or already to the receiver:
 * ToCloud9's gateway re-owns them on the worldserver before sending). */
static int check_owned(stratus_db *db, stratus_req *req, const send_job *j) {
  for (size_t i = 0; i < j->draft.nitems; i++) {
    stratus_rows *rows;
    int rc = host->sql_exec(db, "SELECT owner_guid FROM item_instance WHERE guid = ? FOR UPDATE",
                            STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->items[i])), &rows);
    if (rc != 0) return rc;
    rc = host->rows_next(rows);
    uint32_t owner = rc == 1 ? (uint32_t)host->rows_uint(rows, 0) : 0;
    host->rows_free(rows);
    if (rc < 0) return rc;
    if (rc == 0)
      return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION, "item %u does not exist",
                            j->items[i]);
    if (owner != j->draft.sender && owner != j->draft.receiver)
      return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                            "item %u is not the sender's (owner %u)", j->items[i], owner);
  }
  return 0;
}

static int check_character(stratus_db *db, stratus_req *req, uint32_t low, const char *what) {
  int rc = mail_character_exists(db, low);
  if (rc == 0)
    return host->req_fail(req, STRATUS_GRPC_NOT_FOUND, "%s %u not found on realm %u", what, low,
                          host->req_realm(req));
  return rc < 0 ? rc : 0;
}

/* A key made from the items stands for the first mail only while that mail
 * still holds one of them: once the receiver took them all, the same sender
 * may legitimately mail the same items again (a retry cannot come that late:
 * the receiver sees a mail only after its delivery delay). The stale key is
 * released. 1: replay the first mail. */
static int derived_key_holds(stratus_db *db, const send_job *j) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT 1 FROM mail_items WHERE mail_id = ? LIMIT 1",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->id)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  host->rows_free(rows);
  if (rc != 0) return rc;
  rc = host->sql_exec(db, "UPDATE stratus_mail_send SET send_key = NULL WHERE mail_id = ?",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->id)), NULL);
  return rc;
}

static int send_work(stratus_db *db, stratus_req *req, void *job) {
  send_job *j = job;
  int rc;
  j->replayed = false;
  j->id = 0;
  if (j->draft.key && (rc = mail_store_find_key(host, db, j->draft.key, &j->id)) != 0) return rc;
  if (j->id && j->derived_key && (rc = derived_key_holds(db, j)) <= 0) {
    if (rc < 0) return rc;
    j->id = 0;
  }
  if (j->id) {
    j->replayed = true;
    return 0;
  }
  if ((rc = check_character(db, req, j->draft.receiver, "receiver")) != 0) return rc;
  if (j->player_sender && (rc = check_character(db, req, j->draft.sender, "sender")) != 0)
    return rc;
  if (j->player_sender && (rc = check_owned(db, req, j)) != 0) return rc;
  return mail_store_insert(host, db, req, &j->draft, &j->id, &j->replayed);
}

static int send_reply(stratus_req *req, void *job) {
  send_job *j = job;
  if (!j->replayed)
    mail_incoming_publish(host, host->req_ctx(req), host->req_realm(req), j->sender_guid,
                          j->receiver_guid, j->draft.deliver_time, j->id);
  V1__SendResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__send_response__init(resp);
  resp->mailid = j->id;
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_send_method = {
    .name = "Send", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(send_job),
    .pool = "characters", .realm_field = "realmID",
    .check = send_check, .work = send_work, .reply = send_reply,
};
