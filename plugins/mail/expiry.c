/*
 * The expiry tick: on every realm with a characters pool, expired mail is
 * returned to its sender once (player mail with money or items), else
 * deleted with its items. Each mail is one transaction whose UPDATE or
 * DELETE repeats the expiry condition, so when two stratusd share a
 * database the second finds nothing to do (0 rows affected) instead of
 * returning or deleting twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "mail.h"

#define host mail_host

typedef struct expiry_job {
  mail_plugin *p;
  uint32_t realm;
  uint32_t now, batch, expire_after, forget_before;
  /* the mail being handled */
  uint32_t id, sender, receiver;
  bool give_back;
  /* outcome */
  uint32_t returned, deleted;
} expiry_job;

static int64_t affected(stratus_db *db, const char *sql, const stratus_sql_value *params,
                        size_t n) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, sql, params, n, &rows);
  if (rc != 0) return rc;
  int64_t a = (int64_t)host->rows_affected(rows);
  host->rows_free(rows);
  return a;
}

static int return_mail(stratus_db *db, expiry_job *j) {
  int64_t a = affected(
      db,
      "UPDATE mail SET sender = ?, receiver = ?, checked = ?, cod = 0, deliver_time = ?, "
      "expire_time = ? WHERE id = ? AND receiver = ? AND expire_time < ? AND checked & ? = 0",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->receiver), STRATUS_SQL_UINT_V(j->sender),
                         STRATUS_SQL_UINT_V(MAIL_CHECK_RETURNED), STRATUS_SQL_UINT_V(j->now),
                         STRATUS_SQL_UINT_V(j->now + j->expire_after),
                         STRATUS_SQL_UINT_V(j->id), STRATUS_SQL_UINT_V(j->receiver),
                         STRATUS_SQL_UINT_V(j->now),
                         STRATUS_SQL_UINT_V(MAIL_CHECK_RETURNED | MAIL_CHECK_COD_PAYMENT)));
  if (a <= 0) return (int)a;
  const stratus_sql_value p[] = {STRATUS_SQL_UINT_V(j->sender), STRATUS_SQL_UINT_V(j->id)};
  int rc = host->sql_exec(db, "UPDATE mail_items SET receiver = ? WHERE mail_id = ?", p, 2, NULL);
  if (rc == 0)
    rc = host->sql_exec(db, "UPDATE item_instance ii JOIN mail_items mi ON mi.item_guid = ii.guid "
                            "SET ii.owner_guid = ? WHERE mi.mail_id = ?", p, 2, NULL);
  if (rc == 0) j->returned++;
  return rc;
}

static int expire_one(stratus_db *db, void *arg) {
  expiry_job *j = arg;
  if (j->give_back) return return_mail(db, j);
  int rc = mail_store_delete(host, db, j->id, j->now);
  if (rc == 1) j->deleted++;
  return rc < 0 ? rc : 0;
}

/* One row of the expired batch into the job. */
static void read_expired(stratus_rows *rows, expiry_job *j) {
  j->id = (uint32_t)host->rows_uint(rows, 0);
  j->sender = (uint32_t)host->rows_uint(rows, 1);
  j->receiver = (uint32_t)host->rows_uint(rows, 2);
  uint64_t money = host->rows_uint(rows, 3), items = host->rows_uint(rows, 4);
  uint64_t checked = host->rows_uint(rows, 5), type = host->rows_uint(rows, 6);
  j->give_back = type == V1__MAIL_TYPE__PlayerToPlayer && j->sender != 0 &&
                 !(checked & (MAIL_CHECK_RETURNED | MAIL_CHECK_COD_PAYMENT)) &&
                 (money > 0 || items > 0);
}

static int expiry_work(stratus_db *db, void *arg) {
  expiry_job *j = arg;
  stratus_rows *rows;
  int rc = host->sql_exec(db,
                          "SELECT id, sender, receiver, money, has_items, checked, messageType "
                          "FROM mail WHERE expire_time < ? ORDER BY expire_time, id LIMIT ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->now),
                                             STRATUS_SQL_UINT_V(j->batch)),
                          &rows);
  if (rc != 0) return rc;
  while (rc == 0 && host->rows_next(rows) == 1) {
    read_expired(rows, j);
    rc = host->db_transaction(db, expire_one, j);
  }
  host->rows_free(rows);
  if (rc != 0) return rc;
  return host->sql_exec(db, "DELETE FROM stratus_mail_send WHERE created > 0 AND created < ? "
                            "LIMIT 10000",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->forget_before)), NULL);
}

static void count(mail_plugin *p, uint32_t realm, const char *outcome, uint32_t n) {
  char r[16];
  snprintf(r, sizeof(r), "%" PRIu32, realm);
  const char *labels[] = {r, outcome};
  if (n) host->metric_add(p->expired, labels, n);
}

static void expiry_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  expiry_job *j = arg;
  j->p->ticks_running--;
  count(j->p, j->realm, "returned", j->returned);
  count(j->p, j->realm, "deleted", j->deleted);
  if (result != 0)
    STRATUS_WARN(host, ctx, "mail expiry on realm %u: %s (%d returned, %d deleted)", j->realm,
                 error, (int)j->returned, (int)j->deleted);
  else if (j->returned || j->deleted)
    STRATUS_INFO(host, ctx, "mail expiry on realm %u: %u returned, %u deleted", j->realm,
                 j->returned, j->deleted);
  free(j);
}

static void expiry_tick(stratus_ctx *ctx, stratus_timer *timer, void *ud) {
  (void)timer;
  mail_plugin *p = ud;
  if (p->ticks_running) return; /* the last tick is still at work */
  uint32_t now = (uint32_t)mail_now();
  for (uint32_t realm = 1; realm <= (uint32_t)p->config->max_realm; realm++) {
    char pool[32];
    snprintf(pool, sizeof(pool), "characters.%" PRIu32, realm);
    if (!host->db_pool_exists(ctx, pool)) continue;
    expiry_job *j = calloc(1, sizeof(*j));
    if (!j) return;
    *j = (expiry_job){.p = p, .realm = realm, .now = now,
                      .batch = (uint32_t)p->config->expiry_batch,
                      .expire_after = (uint32_t)(p->config->default_expiry_ms / 1000),
                      .forget_before = now - (uint32_t)(p->config->key_retention_ms / 1000)};
    if (host->db_submit(ctx, pool, expiry_work, expiry_done, j, NULL) == 0)
      p->ticks_running++;
    else
      free(j);
  }
}

void mail_expiry_start(mail_plugin *p) {
  uint64_t every = (uint64_t)p->config->expiry_interval_ms;
  p->expiry_timer = host->timer_start(p->ctx, every, every, expiry_tick, p);
}
