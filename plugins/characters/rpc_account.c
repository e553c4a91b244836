/*
 * Account data and saved positions:
 *   AccountDataForAccount        account_data rows of an account (the
 *                                client's cached UI data, per realm)
 *   UpdateAccountDataForAccount  (PR #37) stores one type; the newer `time`
 *                                wins, so a retried or reordered update
 *                                never overwrites fresher data
 *   SavePlayerPosition           map, position and orientation of a
 *                                character (crash recovery moves a player
 *                                whose worldserver died), in a transaction
 */
#include <math.h>
#include <string.h>

#include "characters.h"
#include "guid.h"
#include "req.h"

#define ACCOUNT_DATA_TYPES 8    /* NUM_ACCOUNT_DATA_TYPES of the client */
#define ACCOUNT_DATA_BYTES 65535 /* account_data.data is a BLOB */

typedef struct account_job {
  const void *in; /* the request, valid until the answer */
  uint32_t account;
  V1__AccountData *rows; /* AccountDataForAccount */
  size_t n;
} account_job;

/* ---- AccountDataForAccount ------------------------------------------------------ */

static int read_check(stratus_req *req, const void *msg, void *job) {
  const V1__AccountDataForAccountRequest *in = msg;
  ((account_job *)job)->account = in->accountid;
  int rc = chars_use_realm(req, in->realmid);
  if (rc == 0 && in->accountid == 0)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "accountID is 0");
  return rc;
}

static int read_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {STRATUS_COL(V1__AccountData, type, "type"),
                                     STRATUS_COL(V1__AccountData, time, "time"),
                                     STRATUS_COL(V1__AccountData, data, "data")};
  static const V1__AccountData tmpl = V1__ACCOUNT_DATA__INIT;
  account_job *j = job;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT type, time, data FROM account_data WHERE accountId = ? "
                              "ORDER BY type",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->account)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(tmpl), &tmpl,
                          (void **)&j->rows, &j->n);
  HOST->rows_free(rows);
  return rc;
}

static int read_reply(stratus_req *req, void *job) {
  account_job *j = job;
  V1__AccountDataForAccountResponse *resp =
      req_message(HOST, req, &v1__account_data_for_account_response__descriptor);
  resp->accountdata = HOST->req_alloc(req, (j->n + 1) * sizeof(*resp->accountdata));
  for (size_t i = 0; i < j->n; i++) /* a string field carries UTF-8 text only */
    if (stratus_utf8_valid(j->rows[i].data, strlen(j->rows[i].data), NULL))
      resp->accountdata[resp->n_accountdata++] = &j->rows[i];
  return HOST->req_reply(req, &resp->base);
}

/* ---- UpdateAccountDataForAccount ------------------------------------------------- */

static int write_check(stratus_req *req, const void *msg, void *job) {
  const V1__UpdateAccountDataForAccountRequest *in = msg;
  ((account_job *)job)->in = in;
  int rc = chars_use_realm(req, in->realmid);
  const char *bad = in->accountid == 0                     ? "accountID is 0"
                    : in->type >= ACCOUNT_DATA_TYPES       ? "type must be below 8"
                    : in->time < 0 || in->time > UINT32_MAX ? "time must be a unix time"
                    : strlen(in->data) > ACCOUNT_DATA_BYTES ? "data is longer than 65535 bytes"
                    : !stratus_utf8_valid(in->data, strlen(in->data), NULL)
                        ? "data is not valid UTF-8"
                        : NULL;
  return rc == 0 && bad ? HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s", bad) : rc;
}

/* The newer `time` wins: a retried or reordered update never overwrites
 * fresher data. */
static int write_work(stratus_db *db, stratus_req *req, void *job) {
  const V1__UpdateAccountDataForAccountRequest *in = ((account_job *)job)->in;
  return HOST->sql_exec(
      db,
      "INSERT INTO account_data (accountId, type, time, data) VALUES (?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE data = IF(VALUES(time) >= time, VALUES(data), data), "
      "time = GREATEST(time, VALUES(time))",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(in->accountid), STRATUS_SQL_UINT_V(in->type),
                         STRATUS_SQL_INT_V(in->time),
                         STRATUS_SQL_BLOB_V(in->data, strlen(in->data))),
      NULL);
}

static int write_reply(stratus_req *req, void *job) {
  return HOST->req_reply(req, req_message(HOST, req,
                                          &v1__update_account_data_for_account_response__descriptor));
}

/* ---- SavePlayerPosition ----------------------------------------------------------- */

typedef struct position_job {
  const V1__SavePlayerPositionRequest *in;
  uint32_t realm, low;
} position_job;

static int position_check(stratus_req *req, const void *msg, void *job) {
  const V1__SavePlayerPositionRequest *in = msg;
  position_job *j = job;
  j->in = in;
  int rc = chars_guid(req, in->realmid, in->charguid, "charGUID", &j->realm, &j->low);
  if (rc == 0) rc = chars_use_realm(req, j->realm);
  if (rc == 0 && in->mapid > 0xFFFF)
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "mapID %u is above 65535", in->mapid);
  if (rc == 0 && !(isfinite(in->x) && isfinite(in->y) && isfinite(in->z) && isfinite(in->o)))
    rc = HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "the position is not finite");
  return rc;
}

static int position_work(stratus_db *db, stratus_req *req, void *job) {
  const position_job *j = job;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT guid FROM characters WHERE guid = ? AND "
                              "deleteInfos_Name IS NULL FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->low)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_next(rows);
  HOST->rows_free(rows);
  if (rc == 0)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "character %u not found on realm %u",
                          j->low, j->realm);
  if (rc < 0) return rc;
  /* As the core saves a position: off any transport and flight path. */
  return HOST->sql_exec(db, "UPDATE characters SET map = ?, position_x = ?, position_y = ?, "
                            "position_z = ?, orientation = ?, trans_x = 0, trans_y = 0, "
                            "trans_z = 0, transguid = 0, taxi_path = '' WHERE guid = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->in->mapid),
                                           STRATUS_SQL_DOUBLE_V(j->in->x),
                                           STRATUS_SQL_DOUBLE_V(j->in->y),
                                           STRATUS_SQL_DOUBLE_V(j->in->z),
                                           STRATUS_SQL_DOUBLE_V(j->in->o),
                                           STRATUS_SQL_UINT_V(j->low)),
                        NULL);
}

static int position_reply(stratus_req *req, void *job) {
  return HOST->req_reply(req, req_message(HOST, req, &v1__save_player_position_response__descriptor));
}

const stratus_method chars_account_methods[CHARS_ACCOUNT_METHODS] = {
    {.name = "AccountDataForAccount", .job_size = sizeof(account_job), .pool = "characters",
     .check = read_check, .work = read_work, .reply = read_reply},
    {.name = "UpdateAccountDataForAccount", .job_size = sizeof(account_job),
     .pool = "characters", .check = write_check, .work = write_work, .reply = write_reply},
    {.name = "SavePlayerPosition", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(position_job),
     .pool = "characters", .check = position_check, .work = position_work,
     .reply = position_reply},
};
