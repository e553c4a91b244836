/*
 * Mail rows shared by the mail and auctionhouse plugins (see mail_store.h).
 */
#include "mail_store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ER_DUP_ENTRY 1062u

static int exec(const stratus_host_api *api, stratus_db *db, const char *sql,
                const stratus_sql_value *params, size_t n) {
  return api->sql_exec(db, sql, params, n, NULL);
}

int mail_store_find_key(const stratus_host_api *api, stratus_db *db, const char *key,
                      uint32_t *id) {
  stratus_rows *rows;
  int rc = api->sql_exec(db, "SELECT mail_id FROM stratus_mail_send WHERE send_key = ? "
                             "LOCK IN SHARE MODE",
                         STRATUS_SQL_PARAMS(stratus_sql_text(key)), &rows);
  if (rc != 0) return rc;
  *id = api->rows_next(rows) == 1 ? (uint32_t)api->rows_uint(rows, 0) : 0;
  api->rows_free(rows);
  return 0;
}

/* A new ID for the mail, or the first mail's ID for a key sent before. */
static int reserve_id(const stratus_host_api *api, stratus_db *db, const mail_draft *d,
                      uint32_t *id, bool *replayed) {
  stratus_rows *rows;
  *replayed = false;
  if (d->key) {
    int rc = mail_store_find_key(api, db, d->key, id);
    if (rc != 0 || *id) {
      *replayed = rc == 0;
      return rc;
    }
  }
  int rc = api->sql_exec(db, "INSERT INTO stratus_mail_send (send_key, created) "
                             "VALUES (?, UNIX_TIMESTAMP())",
                         STRATUS_SQL_PARAMS(stratus_sql_text(d->key)), &rows);
  if (rc != 0 && d->key && api->db_errno(db) == ER_DUP_ENTRY) {
    /* A concurrent send with the same key committed first. */
    rc = mail_store_find_key(api, db, d->key, id);
    *replayed = rc == 0 && *id != 0;
    return rc;
  }
  if (rc != 0) return rc;
  *id = (uint32_t)api->rows_insert_id(rows);
  api->rows_free(rows);
  return 0;
}

static int attach_item(const stratus_host_api *api, stratus_db *db, stratus_req *req,
                       const mail_draft *d, uint32_t id, uint32_t item) {
  int rc = exec(api, db, "INSERT INTO mail_items (mail_id, item_guid, receiver) VALUES (?, ?, ?)",
                STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(id), STRATUS_SQL_UINT_V(item),
                                   STRATUS_SQL_UINT_V(d->receiver)));
  if (rc != 0 && api->db_errno(db) == ER_DUP_ENTRY && !req) return STRATUS_EEXIST;
  if (rc != 0 && api->db_errno(db) == ER_DUP_ENTRY)
    return api->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                         "item %u is already attached to another mail", item);
  if (rc != 0) return rc;
  return exec(api, db, "UPDATE item_instance SET owner_guid = ? WHERE guid = ?",
              STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(d->receiver), STRATUS_SQL_UINT_V(item)));
}

int mail_store_insert(const stratus_host_api *api, stratus_db *db, stratus_req *req,
                      const mail_draft *d, uint32_t *id, bool *replayed) {
  int rc = reserve_id(api, db, d, id, replayed);
  if (rc != 0 || *replayed) return rc;
  for (size_t i = 0; i < d->nitems; i++)
    if ((rc = attach_item(api, db, req, d, *id, d->items[i])) != 0) return rc;
  return exec(api, db,
              "INSERT INTO mail (id, messageType, stationery, mailTemplateId, sender, receiver, "
              "subject, body, has_items, expire_time, deliver_time, money, cod, checked) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(*id), STRATUS_SQL_UINT_V(d->type),
                                 STRATUS_SQL_INT_V((int32_t)d->stationery),
                                 STRATUS_SQL_UINT_V(d->template_id),
                                 STRATUS_SQL_UINT_V(d->sender), STRATUS_SQL_UINT_V(d->receiver),
                                 stratus_sql_text(d->subject ? d->subject : ""),
                                 stratus_sql_text(d->body ? d->body : ""),
                                 STRATUS_SQL_UINT_V(d->nitems > 0),
                                 STRATUS_SQL_UINT_V(d->expire_time),
                                 STRATUS_SQL_UINT_V(d->deliver_time),
                                 STRATUS_SQL_UINT_V(d->money), STRATUS_SQL_UINT_V(d->cod),
                                 STRATUS_SQL_UINT_V(d->checked)));
}

int mail_store_delete(const stratus_host_api *api, stratus_db *db, uint32_t id,
                      uint32_t expired_before) {
  stratus_rows *rows;
  int rc = api->sql_exec(db, "DELETE FROM mail WHERE id = ? AND (? = 0 OR expire_time < ?)",
                         STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(id),
                                            STRATUS_SQL_UINT_V(expired_before),
                                            STRATUS_SQL_UINT_V(expired_before)),
                         &rows);
  if (rc != 0) return rc;
  uint64_t deleted = api->rows_affected(rows);
  api->rows_free(rows);
  if (deleted == 0) return 0;
  const stratus_sql_value p[] = {STRATUS_SQL_UINT_V(id)};
  if ((rc = exec(api, db, "DELETE ii FROM item_instance ii JOIN mail_items mi "
                          "ON mi.item_guid = ii.guid WHERE mi.mail_id = ?", p, 1)) != 0 ||
      (rc = exec(api, db, "DELETE FROM mail_items WHERE mail_id = ?", p, 1)) != 0 ||
      (rc = exec(api, db, "DELETE FROM stratus_mail_claim WHERE mail_id = ?", p, 1)) != 0)
    return rc;
  return 1;
}

int stratus_event_json(const stratus_host_api *api, stratus_ctx *ctx, const char *subject,
                       int64_t type, json_t *payload) {
  if (STRATUS_HOST_HAS(api, event_publish_json))
    return api->event_publish_json(ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
  char *text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(payload);
  if (!text) return STRATUS_ENOMEM;
  int rc = api->event_publish(ctx, subject, type, text);
  free(text);
  return rc;
}

int mail_incoming_publish(const stratus_host_api *api, stratus_ctx *ctx, uint32_t realm,
                          uint64_t sender, uint64_t receiver, int64_t deliver_time,
                          uint32_t mail_id) {
  json_t *p = json_object();
  json_object_set_new(p, "RealmID", json_integer(realm));
  json_object_set_new(p, "SenderGUID", json_integer((json_int_t)sender));
  json_object_set_new(p, "ReceiverGUID", json_integer((json_int_t)receiver));
  json_object_set_new(p, "DeliveryTimestamp", json_integer(deliver_time));
  json_object_set_new(p, "MailID", json_integer(mail_id));
  return stratus_event_json(api, ctx, "mail.incoming", 1, p);
}
