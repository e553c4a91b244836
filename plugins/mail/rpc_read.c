/*
 * MailsForPlayer, MailByID and MarkAsReadForPlayer.
 */
#include "mail.h"

#define host mail_host

typedef struct read_job {
  uint32_t player; /* low GUID */
  uint32_t mail_id;
  V1__Mail **mails;
  size_t n;
} read_job;

/* ---- MailsForPlayer ------------------------------------------------------------ */

static int for_player_check(stratus_req *req, const void *request, void *job) {
  const V1__MailsForPlayerRequest *r = request;
  return mail_resolve_guid(req, r->playerguid, "playerGuid", &((read_job *)job)->player);
}

static int for_player_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  return mail_load(db, req, "receiver", j->player, &j->mails, &j->n);
}

static int for_player_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__MailsForPlayerResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__mails_for_player_response__init(resp);
  resp->mails = j->mails;
  resp->n_mails = j->n;
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_for_player_method = {
    .name = "MailsForPlayer", .job_size = sizeof(read_job),
    .pool = "characters", .realm_field = "realmID",
    .check = for_player_check, .work = for_player_work, .reply = for_player_reply,
};

/* ---- MailByID --------------------------------------------------------------------- */

static int mail_id_of(stratus_req *req, int32_t id, uint32_t *out) {
  if (id <= 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "mailID %d is not a mail ID", id);
  *out = (uint32_t)id;
  return 0;
}

static int by_id_check(stratus_req *req, const void *request, void *job) {
  return mail_id_of(req, ((const V1__MailByIDRequest *)request)->mailid,
                    &((read_job *)job)->mail_id);
}

static int by_id_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  int rc = mail_load(db, req, "id", j->mail_id, &j->mails, &j->n);
  if (rc == 0 && j->n == 0)
    return host->req_fail(req, STRATUS_GRPC_NOT_FOUND, "mail %u not found", j->mail_id);
  return rc;
}

static int by_id_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__MailByIDResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__mail_by_idresponse__init(resp);
  resp->mail = j->mails[0];
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_by_id_method = {
    .name = "MailByID", .job_size = sizeof(read_job),
    .pool = "characters", .realm_field = "realmID",
    .check = by_id_check, .work = by_id_work, .reply = by_id_reply,
};

/* ---- MarkAsReadForPlayer -------------------------------------------------------------- */

static int mark_check(stratus_req *req, const void *request, void *job) {
  const V1__MarkAsReadForPlayerRequest *r = request;
  read_job *j = job;
  int rc = mail_resolve_guid(req, r->playerguid, "playerGuid", &j->player);
  return rc ? rc : mail_id_of(req, r->mailid, &j->mail_id);
}

static int mark_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  uint32_t receiver;
  int rc = mail_lock(db, req, j->mail_id, &receiver);
  if (rc == 0) rc = mail_check_owner(req, j->mail_id, receiver, j->player);
  if (rc != 0) return rc;
  return host->sql_exec(db, "UPDATE mail SET checked = checked | ? WHERE id = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(MAIL_CHECK_READ),
                                           STRATUS_SQL_UINT_V(j->mail_id)),
                        NULL);
}

static int mark_reply(stratus_req *req, void *job) {
  (void)job;
  V1__MarkAsReadForPlayerResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__mark_as_read_for_player_response__init(resp);
  return host->req_reply(req, &resp->base);
}

const stratus_method mail_mark_read_method = {
    .name = "MarkAsReadForPlayer", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(read_job),
    .pool = "characters", .realm_field = "realmID",
    .check = mark_check, .work = mark_work, .reply = mark_reply,
};
