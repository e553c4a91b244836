/*
 * Reads shared by the mail handlers (worker thread).
 */
#include <stdio.h>
#include <string.h>

#include "mail.h"

#define host mail_host

int mail_lock(stratus_db *db, stratus_req *req, uint32_t id, uint32_t *receiver) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT receiver FROM mail WHERE id = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(id)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) *receiver = (uint32_t)host->rows_uint(rows, 0);
  host->rows_free(rows);
  if (rc == 0) return host->req_fail(req, STRATUS_GRPC_NOT_FOUND, "mail %u not found", id);
  return rc < 0 ? rc : 0;
}

int mail_check_owner(stratus_req *req, uint32_t id, uint32_t receiver, uint32_t player) {
  if (player == 0 || player == receiver) return 0;
  return host->req_fail(req, STRATUS_GRPC_PERMISSION_DENIED,
                        "mail %u is not addressed to player %u", id, player);
}

int mail_character_exists(stratus_db *db, uint32_t low) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT 1 FROM characters WHERE guid = ? AND account <> 0",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(low)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  host->rows_free(rows);
  return rc;
}

static const stratus_col mail_cols[] = {
    STRATUS_COL(V1__Mail, id, "id"),
    STRATUS_COL(V1__Mail, sender, "sender"),
    STRATUS_COL(V1__Mail, receiverguid, "receiver"),
    STRATUS_COL(V1__Mail, subject, "subject"),
    STRATUS_COL(V1__Mail, body, "body"),
    STRATUS_COL(V1__Mail, moneytosend, "money"),
    STRATUS_COL(V1__Mail, cashondelivery, "cod"),
    STRATUS_COL(V1__Mail, deliverytimestamp, "deliver_time"),
    STRATUS_COL(V1__Mail, expirationtimestamp, "expire_time"),
    STRATUS_COL(V1__Mail, flags, "checked"),
    STRATUS_COL(V1__Mail, type, "messageType"),
    STRATUS_COL(V1__Mail, templateid, "mailTemplateId"),
    STRATUS_COL(V1__Mail, stationery, "stationery"),
};

/* An attachment row with the mail it belongs to. */
typedef struct attachment_row {
  uint32_t mail_id;
  V1__ItemAttachment item;
} attachment_row;

static const stratus_col attachment_cols[] = {
    STRATUS_COL(attachment_row, mail_id, "mail_id"),
    STRATUS_COL(attachment_row, item.guid, "guid"),
    STRATUS_COL(attachment_row, item.entry, "itemEntry"),
    STRATUS_COL(attachment_row, item.count, "count"),
    STRATUS_COL(attachment_row, item.flags, "flags"),
    STRATUS_COL(attachment_row, item.durability, "durability"),
    STRATUS_COL(attachment_row, item.charges, "charges"),
    STRATUS_COL(attachment_row, item.randompropertyid, "randomPropertyId"),
    STRATUS_COL(attachment_row, item.text, "text"),
};

#define MAIL_SELECT                                                                     \
  "SELECT id, sender, receiver, subject, body, money, cod, deliver_time, expire_time, " \
  "checked, messageType, mailTemplateId, stationery FROM mail m WHERE m."
/* charges: the first of item_instance's five spell charges. */
#define ATTACHMENT_SELECT                                                                \
  "SELECT mi.mail_id, ii.guid, COALESCE(ii.itemEntry, 0) AS itemEntry, ii.count, "       \
  "COALESCE(ii.flags, 0) AS flags, ii.durability, "                                      \
  "CAST(SUBSTRING_INDEX(COALESCE(ii.charges, '0'), ' ', 1) AS SIGNED) AS charges, "      \
  "CAST(ii.randomPropertyId AS UNSIGNED) & 0xFFFFFFFF AS randomPropertyId, ii.text "     \
  "FROM mail m JOIN mail_items mi ON mi.mail_id = m.id "                                 \
  "JOIN item_instance ii ON ii.guid = mi.item_guid WHERE m."

static int query(stratus_db *db, stratus_req *req, const char *head, const char *where,
                 const char *tail, uint64_t value, stratus_rows **rows) {
  char sql[1024];
  (void)req;
  snprintf(sql, sizeof(sql), "%s%s = ? ORDER BY %s", head, where, tail);
  return host->sql_exec(db, sql, STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(value)), rows);
}

/* Hands each mail its slice of the attachment rows (both sorted by mail). */
static void attach(stratus_req *req, V1__Mail *mails, size_t n, attachment_row *rows,
                   size_t nrows) {
  size_t r = 0;
  for (size_t i = 0; i < n; i++) {
    size_t first = r;
    while (r < nrows && rows[r].mail_id == mails[i].id) r++;
    if (r == first) continue;
    mails[i].n_attachments = r - first;
    mails[i].attachments = host->req_alloc(req, (r - first) * sizeof(V1__ItemAttachment *));
    for (size_t k = first; k < r; k++) mails[i].attachments[k - first] = &rows[k].item;
  }
}

int mail_load(stratus_db *db, stratus_req *req, const char *where, uint64_t value,
              V1__Mail ***out, size_t *n) {
  static const V1__Mail mail_init = V1__MAIL__INIT;
  static const attachment_row row_init = {0, V1__ITEM_ATTACHMENT__INIT};
  V1__Mail *mails;
  attachment_row *items;
  size_t nitems;
  stratus_rows *rows;
  int rc = query(db, req, MAIL_SELECT, where, "m.id", value, &rows);
  if (rc != 0) return rc;
  rc = host->rows_collect(rows, req, STRATUS_COLS(mail_cols), sizeof(V1__Mail), &mail_init,
                          (void **)&mails, n);
  host->rows_free(rows);
  if (rc != 0) return rc;
  rc = query(db, req, ATTACHMENT_SELECT, where, "m.id, mi.item_guid", value, &rows);
  if (rc != 0) return rc;
  rc = host->rows_collect(rows, req, STRATUS_COLS(attachment_cols), sizeof(attachment_row),
                          &row_init, (void **)&items, &nitems);
  host->rows_free(rows);
  if (rc != 0) return rc;
  attach(req, mails, *n, items, nitems);
  *out = host->req_alloc(req, (*n ? *n : 1) * sizeof(V1__Mail *));
  for (size_t i = 0; i < *n; i++) (*out)[i] = &mails[i];
  return 0;
}
