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
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

#define ACCOUNT_DATA_TYPES 8    /* NUM_ACCOUNT_DATA_TYPES of the client */
#define ACCOUNT_DATA_BYTES 65535 /* account_data.data is a BLOB */

typedef struct data_row {
  uint32_t type;
  int64_t time;
  char *data;
} data_row;

typedef struct account_job {
  chars *st;
  stratus_call *call;
  uint32_t realm, account;
  /* UpdateAccountDataForAccount */
  uint32_t type;
  int64_t time;
  const char *data; /* the request's, valid until the reply */
  /* AccountDataForAccount */
  data_row *rows;
  size_t n;
} account_job;

static void free_account_job(account_job *j) {
  for (size_t i = 0; i < j->n; i++) free(j->rows[i].data);
  free(j->rows);
  free(j);
}

static int read_work(stratus_db *db, void *arg) {
  account_job *j = arg;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT type, time, data FROM account_data WHERE accountId = ? "
                              "ORDER BY type",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->account)), &rows);
  if (rc != 0) return rc;
  size_t count = HOST->rows_count(rows);
  j->rows = calloc(count ? count : 1, sizeof(*j->rows));
  while (j->rows && HOST->rows_next(rows) == 1 && j->n < count) {
    size_t len;
    const char *data = HOST->rows_text(rows, 2, &len);
    /* A string field carries UTF-8 text only: skip what cannot travel. */
    if (!data || !stratus_utf8_valid(data, len, NULL)) continue;
    char *copy = malloc(len + 1);
    if (!copy) break;
    memcpy(copy, data, len + 1);
    j->rows[j->n++] = (data_row){(uint32_t)HOST->rows_uint(rows, 0),
                                 HOST->rows_int(rows, 1), copy};
  }
  HOST->rows_free(rows);
  return j->rows ? 0 : STRATUS_ENOMEM;
}

static void read_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  account_job *j = arg;
  (void)ctx;
  if (result != 0) {
    chars_fail_job(j->call, result, error, j->realm);
    free_account_job(j);
    return;
  }
  V1__AccountData *items = calloc(j->n ? j->n : 1, sizeof(*items));
  V1__AccountData **ptrs = calloc(j->n ? j->n : 1, sizeof(*ptrs));
  if (!items || !ptrs) {
    HOST->call_fail(j->call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
  } else {
    for (size_t i = 0; i < j->n; i++) {
      v1__account_data__init(&items[i]);
      items[i].type = j->rows[i].type;
      items[i].time = j->rows[i].time;
      items[i].data = j->rows[i].data;
      ptrs[i] = &items[i];
    }
    V1__AccountDataForAccountResponse resp = V1__ACCOUNT_DATA_FOR_ACCOUNT_RESPONSE__INIT;
    resp.n_accountdata = j->n;
    resp.accountdata = ptrs;
    HOST->call_reply(j->call, &resp.base);
  }
  free(items);
  free(ptrs);
  free_account_job(j);
}

static int write_work(stratus_db *db, void *arg) {
  account_job *j = arg;
  return HOST->sql_exec(
      db,
      "INSERT INTO account_data (accountId, type, time, data) VALUES (?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE data = IF(VALUES(time) >= time, VALUES(data), data), "
      "time = GREATEST(time, VALUES(time))",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->account), STRATUS_SQL_UINT_V(j->type),
                         STRATUS_SQL_INT_V(j->time),
                         STRATUS_SQL_BLOB_V(j->data, strlen(j->data))),
      NULL);
}

static void write_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  account_job *j = arg;
  (void)ctx;
  if (result != 0) {
    chars_fail_job(j->call, result, error, j->realm);
  } else {
    V1__UpdateAccountDataForAccountResponse resp = V1__UPDATE_ACCOUNT_DATA_FOR_ACCOUNT_RESPONSE__INIT;
    HOST->call_reply(j->call, &resp.base);
  }
  free_account_job(j);
}

static void account_data(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                         void *ud) {
  const V1__AccountDataForAccountRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid)) return;
  if (req->accountid == 0) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "accountID is 0");
    return;
  }
  account_job j = {.st = st, .call = call, .realm = req->realmid, .account = req->accountid};
  chars_submit_copy(st, call, j.realm, &j, sizeof(j), read_work, read_done);
}

static void update_account_data(stratus_ctx *ctx, stratus_call *call,
                                const ProtobufCMessage *msg, void *ud) {
  const V1__UpdateAccountDataForAccountRequest *req = (const void *)msg;
  chars *st = ud;
  (void)ctx;
  if (!chars_realm_ok(st, call, req->realmid)) return;
  const char *bad = req->accountid == 0                 ? "accountID is 0"
                    : req->type >= ACCOUNT_DATA_TYPES   ? "type must be below 8"
                    : req->time < 0 || req->time > UINT32_MAX ? "time must be a unix time"
                    : strlen(req->data) > ACCOUNT_DATA_BYTES ? "data is longer than 65535 bytes"
                                                             : NULL;
  if (bad) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "%s", bad);
    return;
  }
  if (!stratus_utf8_valid(req->data, strlen(req->data), NULL)) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "data is not valid UTF-8");
    return;
  }
  account_job j = {.st = st, .call = call, .realm = req->realmid, .account = req->accountid,
                   .type = req->type, .time = req->time, .data = req->data};
  chars_submit_copy(st, call, j.realm, &j, sizeof(j), write_work, write_done);
}

/* ---- SavePlayerPosition ----------------------------------------------------------- */

typedef struct position_job {
  stratus_call *call;
  uint32_t realm, low, map;
  float x, y, z, o;
} position_job;

static int position_body(stratus_db *db, void *arg) {
  position_job *j = arg;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT guid FROM characters WHERE guid = ? AND "
                              "deleteInfos_Name IS NULL FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->low)), &rows);
  if (rc != 0) return rc;
  bool found = HOST->rows_next(rows) == 1;
  HOST->rows_free(rows);
  if (!found) return STRATUS_ENOTFOUND;
  /* As the core saves a position: off any transport and flight path. */
  return HOST->sql_exec(db, "UPDATE characters SET map = ?, position_x = ?, position_y = ?, "
                            "position_z = ?, orientation = ?, trans_x = 0, trans_y = 0, "
                            "trans_z = 0, transguid = 0, taxi_path = '' WHERE guid = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->map), STRATUS_SQL_DOUBLE_V(j->x),
                                           STRATUS_SQL_DOUBLE_V(j->y), STRATUS_SQL_DOUBLE_V(j->z),
                                           STRATUS_SQL_DOUBLE_V(j->o),
                                           STRATUS_SQL_UINT_V(j->low)),
                        NULL);
}

static int position_work(stratus_db *db, void *arg) {
  return HOST->db_transaction(db, position_body, arg);
}

static void position_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  position_job *j = arg;
  (void)ctx;
  if (result == STRATUS_ENOTFOUND) {
    HOST->call_fail(j->call, STRATUS_GRPC_NOT_FOUND, "character %u not found on realm %u",
                    j->low, j->realm);
  } else if (result != 0) {
    chars_fail_job(j->call, result, error, j->realm);
  } else {
    V1__SavePlayerPositionResponse resp = V1__SAVE_PLAYER_POSITION_RESPONSE__INIT;
    HOST->call_reply(j->call, &resp.base);
  }
  free(j);
}

static void save_position(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *msg,
                          void *ud) {
  const V1__SavePlayerPositionRequest *req = (const void *)msg;
  chars *st = ud;
  uint32_t realm, low;
  (void)ctx;
  if (!chars_guid_ok(call, req->realmid, req->charguid, "charGUID", &realm, &low) ||
      !chars_realm_ok(st, call, realm))
    return;
  if (req->mapid > 0xFFFF) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "mapID %u is above 65535", req->mapid);
    return;
  }
  if (!isfinite(req->x) || !isfinite(req->y) || !isfinite(req->z) || !isfinite(req->o)) {
    HOST->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "the position is not finite");
    return;
  }
  position_job j = {call, realm, low, req->mapid, req->x, req->y, req->z, req->o};
  chars_submit_copy(st, call, realm, &j, sizeof(j), position_work, position_done);
}

const chars_method chars_account_methods[] = {
    {"AccountDataForAccount", account_data},
    {"UpdateAccountDataForAccount", update_account_data},
    {"SavePlayerPosition", save_position},
    {NULL, NULL},
};
