/*
 * RemoveMailItem, RemoveMailMoney and DeleteMail. Taking is a claim: a
 * conditional DELETE/UPDATE whose rows affected say whether this call took
 * it, recorded in stratus_mail_claim in the same transaction, so a retry
 * with the same x-idempotency-key answers what the first call did and any
 * other second call gets FAILED_PRECONDITION; nothing is paid twice.
 */
#include <stdio.h>
#include <string.h>

#include "mail.h"

#define host mail_host

typedef struct take_job {
  uint32_t mail_id, item, player; /* player 0: no receiver check */
  bool handle_cod;
  const char *key;                /* x-idempotency-key or NULL */
  uint32_t sender;                /* of the COD mail, for the payback's event */
  uint32_t amount;                /* money taken */
  mail_draft payback;             /* the COD payback mail */
  uint32_t payback_id;            /* 0: none sent by this call */
} take_job;

static int take_ids(stratus_req *req, int32_t mail_id, bool has_player, uint64_t player,
                    take_job *j) {
  if (mail_id <= 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "mailID %d is not a mail ID",
                          mail_id);
  j->mail_id = (uint32_t)mail_id;
  int rc = has_player ? mail_resolve_guid(req, player, "playerGuid", &j->player) : 0;
  return rc ? rc : mail_header_key(req, &j->key);
}

/* Affected rows of one statement; <0 on error. */
static int64_t affected(stratus_db *db, const char *sql, const stratus_sql_value *params,
                        size_t n) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, sql, params, n, &rows);
  if (rc != 0) return rc;
  int64_t a = (int64_t)host->rows_affected(rows);
  host->rows_free(rows);
  return a;
}

static int record_claim(stratus_db *db, const take_job *j, uint32_t receiver) {
  return host->sql_exec(
      db,
      "INSERT INTO stratus_mail_claim (mail_id, item_guid, receiver, amount, claim_key, "
      "cod_mail_id, claimed) VALUES (?, ?, ?, ?, ?, ?, UNIX_TIMESTAMP())",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id), STRATUS_SQL_UINT_V(j->item),
                         STRATUS_SQL_UINT_V(receiver), STRATUS_SQL_UINT_V(j->amount),
                         stratus_sql_text(j->key), STRATUS_SQL_UINT_V(j->payback_id)),
      NULL);
}

/* A second call: the first's answer for the same key, else a refusal. */
static int replay_claim(stratus_db *db, stratus_req *req, take_job *j, const char *what) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT amount, claim_key FROM stratus_mail_claim "
                              "WHERE mail_id = ? AND item_guid = ? LOCK IN SHARE MODE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id),
                                             STRATUS_SQL_UINT_V(j->item)),
                          &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  size_t len = 0;
  const char *key = rc == 1 ? host->rows_text(rows, 1, &len) : NULL;
  bool same = key && j->key && strlen(j->key) == len && memcmp(key, j->key, len) == 0;
  if (rc == 1) j->amount = (uint32_t)host->rows_uint(rows, 0);
  host->rows_free(rows);
  if (rc < 0) return rc;
  if (same) return 0;
  if (rc == 1)
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "%s of mail %u was already taken", what, j->mail_id);
  return STRATUS_ENOTFOUND;
}

/* A retry of a call that claimed already (same key): 1 and the first
 * call's amount, whatever changed since (e.g. the mail was returned). Read
 * after the mail's lock, with a locking read, so an attempt of the same call
 * that committed while this one waited is seen. */
static int claimed_by_key(stratus_db *db, take_job *j) {
  if (!j->key) return 0;
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT amount FROM stratus_mail_claim "
                              "WHERE mail_id = ? AND item_guid = ? AND claim_key = ? "
                              "LOCK IN SHARE MODE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id),
                                             STRATUS_SQL_UINT_V(j->item),
                                             stratus_sql_text(j->key)),
                          &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) j->amount = (uint32_t)host->rows_uint(rows, 0);
  host->rows_free(rows);
  return rc;
}

/* ---- RemoveMailItem --------------------------------------------------------------- */

static int item_check(stratus_req *req, const void *request, void *job) {
  const V1__RemoveMailItemRequest *r = request;
  take_job *j = job;
  if (r->itemguid == 0 || r->itemguid > UINT32_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%llu is not an item GUID",
                          (unsigned long long)r->itemguid);
  j->item = (uint32_t)r->itemguid;
  j->handle_cod = r->handlecashondelivery;
  return take_ids(req, r->mailid,
                  r->_player_guid_case != V1__REMOVE_MAIL_ITEM_REQUEST___PLAYER_GUID__NOT_SET,
                  r->playerguid, j);
}

/* The COD money goes back to the sender once: the UPDATE that zeroes the
 * mail's cod is the claim, the payback mail is keyed by the mail. */
static int pay_cod(stratus_db *db, stratus_req *req, take_job *j, uint32_t receiver) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT sender, cod, subject, messageType FROM mail WHERE id = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id)), &rows);
  if (rc != 0) return rc;
  if ((rc = host->rows_next(rows)) != 1) {
    host->rows_free(rows);
    return rc < 0 ? rc : STRATUS_ENOTFOUND;
  }
  uint32_t cod = (uint32_t)host->rows_uint(rows, 1);
  size_t len;
  const char *subject = host->rows_text(rows, 2, &len);
  j->sender = (uint32_t)host->rows_uint(rows, 0);
  bool player = host->rows_uint(rows, 3) == V1__MAIL_TYPE__PlayerToPlayer;
  j->payback.subject = host->req_strdup(req, subject, len);
  host->rows_free(rows);
  if (cod == 0 || !player || j->sender == 0) return 0;
  int64_t a = affected(db, "UPDATE mail SET cod = 0 WHERE id = ? AND cod = ?",
                       STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id),
                                          STRATUS_SQL_UINT_V(cod)));
  if (a <= 0) return (int)a;
  const mail_plugin *p = host->req_ud(req);
  int64_t now = mail_now();
  char *key = host->req_alloc(req, 32);
  snprintf(key, 32, "cod:%u", j->mail_id);
  j->payback = (mail_draft){
      .type = V1__MAIL_TYPE__PlayerToPlayer, .stationery = V1__MAIL_STATIONERY__StDefault,
      .sender = receiver, .receiver = j->sender, .subject = j->payback.subject, .body = "",
      .money = cod, .checked = MAIL_CHECK_COD_PAYMENT, .deliver_time = (uint32_t)now,
      .expire_time = (uint32_t)(now + p->config->default_expiry_ms / 1000), .key = key};
  bool replayed;
  return mail_store_insert(host, db, req, &j->payback, &j->payback_id, &replayed);
}

static int item_work(stratus_db *db, stratus_req *req, void *job) {
  take_job *j = job;
  uint32_t receiver;
  j->payback_id = 0;
  int rc = mail_lock(db, req, j->mail_id, &receiver);
  if (rc != 0) return rc;
  if ((rc = claimed_by_key(db, j)) != 0) return rc < 0 ? rc : 0;
  if ((rc = mail_check_owner(req, j->mail_id, receiver, j->player)) != 0) return rc;
  int64_t a = affected(db, "DELETE FROM mail_items WHERE mail_id = ? AND item_guid = ?",
                       STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id),
                                          STRATUS_SQL_UINT_V(j->item)));
  if (a < 0) return (int)a;
  if (a == 0) {
    rc = replay_claim(db, req, j, "the item");
    if (rc == STRATUS_ENOTFOUND)
      return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                            "item %u is not attached to mail %u", j->item, j->mail_id);
    return rc;
  }
  if (j->handle_cod && (rc = pay_cod(db, req, j, receiver)) != 0) return rc;
  const stratus_sql_value id[] = {STRATUS_SQL_UINT_V(j->mail_id)};
  if ((rc = host->sql_exec(db, "UPDATE mail SET has_items = EXISTS "
                               "(SELECT 1 FROM mail_items WHERE mail_id = ?) WHERE id = ?",
                           STRATUS_SQL_PARAMS(id[0], id[0]), NULL)) != 0)
    return rc;
  return record_claim(db, j, receiver);
}

static int item_reply(stratus_req *req, void *job) {
  take_job *j = job;
  if (j->payback_id)
    mail_incoming_publish(host, host->req_ctx(req), host->req_realm(req), j->payback.sender,
                          j->payback.receiver, j->payback.deliver_time, j->payback_id);
  V1__RemoveMailItemResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__remove_mail_item_response__init(resp);
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_remove_item_method = {
    .name = "RemoveMailItem", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(take_job),
    .pool = "characters", .realm_field = "realmID",
    .check = item_check, .work = item_work, .reply = item_reply,
};

/* ---- RemoveMailMoney ----------------------------------------------------------------- */

static int money_check(stratus_req *req, const void *request, void *job) {
  const V1__RemoveMailMoneyRequest *r = request;
  return take_ids(req, r->mailid,
                  r->_player_guid_case != V1__REMOVE_MAIL_MONEY_REQUEST___PLAYER_GUID__NOT_SET,
                  r->playerguid, job);
}

static int money_work(stratus_db *db, stratus_req *req, void *job) {
  take_job *j = job;
  uint32_t receiver;
  stratus_rows *rows;
  j->amount = 0;
  int rc = mail_lock(db, req, j->mail_id, &receiver);
  if (rc != 0) return rc;
  if ((rc = claimed_by_key(db, j)) != 0) return rc < 0 ? rc : 0;
  rc = mail_check_owner(req, j->mail_id, receiver, j->player);
  if (rc == 0)
    rc = host->sql_exec(db, "SELECT money FROM mail WHERE id = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id)), &rows);
  if (rc != 0) return rc;
  uint32_t money = host->rows_next(rows) == 1 ? (uint32_t)host->rows_uint(rows, 0) : 0;
  host->rows_free(rows);
  if (money == 0) {
    rc = replay_claim(db, req, j, "the money");
    return rc == STRATUS_ENOTFOUND ? 0 : rc; /* never had money: 0 copper */
  }
  int64_t a = affected(db, "UPDATE mail SET money = 0 WHERE id = ? AND money = ?",
                       STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->mail_id),
                                          STRATUS_SQL_UINT_V(money)));
  if (a < 0) return (int)a;
  if (a == 0) return STRATUS_ECONFLICT; /* cannot happen under the row lock */
  j->amount = money;
  return record_claim(db, j, receiver);
}

static int money_reply(stratus_req *req, void *job) {
  take_job *j = job;
  V1__RemoveMailMoneyResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__remove_mail_money_response__init(resp);
  resp->moneyremoved = (int32_t)j->amount;
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_remove_money_method = {
    .name = "RemoveMailMoney", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(take_job),
    .pool = "characters", .realm_field = "realmID",
    .check = money_check, .work = money_work, .reply = money_reply,
};

/* ---- DeleteMail ------------------------------------------------------------------------ */

static int delete_check(stratus_req *req, const void *request, void *job) {
  const V1__DeleteMailRequest *r = request;
  take_job *j = job;
  if (r->mailid <= 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "mailID %d is not a mail ID",
                          r->mailid);
  j->mail_id = (uint32_t)r->mailid;
  return 0;
}

static int delete_work(stratus_db *db, stratus_req *req, void *job) {
  take_job *j = job;
  int rc = mail_store_delete(host, db, j->mail_id, 0);
  if (rc == 0) return host->req_fail(req, STRATUS_GRPC_NOT_FOUND, "mail %u not found", j->mail_id);
  return rc < 0 ? rc : 0;
}

static int delete_reply(stratus_req *req, void *job) {
  (void)job;
  V1__DeleteMailResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__delete_mail_response__init(resp);
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_delete_method = {
    .name = "DeleteMail", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(take_job),
    .pool = "characters", .realm_field = "realmID",
    .check = delete_check, .work = delete_work, .reply = delete_reply,
};
