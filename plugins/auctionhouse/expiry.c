/*
 * The expiry tick: on every realm with a characters pool, auctions whose
 * time has passed are settled: sold to the last bidder (item to the bidder,
 * bid - cut + deposit to the seller) or, without a bid, the item mailed back
 * to the seller. Each auction is one transaction whose DELETE of the row is
 * the claim (rows affected = 1), so two stratusd on one database never
 * settle an auction twice; auctionhouse.auction.expired follows the COMMIT.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ah.h"

#define host ah_host

#define IDS_MAX 100000u

typedef struct expiry_job {
  ah_plugin *p;
  uint32_t realm, now, batch;
  ah_money money;
  uint32_t id;            /* the auction being settled */
  uint32_t *done;         /* auctions this job settled, for the events */
  ah_mails *mails;        /* and the mails each one sent */
  uint32_t *houses;
  size_t ndone;
  uint32_t sold, expired;
} expiry_job;

/* Runs outside any call: the mail helpers get no request (NULL). */
static int settle_one(stratus_db *db, void *arg) {
  expiry_job *j = arg;
  ah_auction a;
  ah_mails mails = {.n = 0};
  int rc = ah_lock_auction(db, j->id, &a);
  if (rc <= 0 || a.time >= j->now) return rc < 0 ? rc : 0;
  if ((rc = ah_claim_auction(db, a.id)) != 1) return rc < 0 ? rc : 0;
  rc = a.bidder ? ah_mail_sold(db, NULL, &j->money, &a, &mails)
                : ah_mail_item_back(db, NULL, &j->money, &a, false, &mails);
  if (rc == 0) {
    j->mails[j->ndone] = mails;
    j->houses[j->ndone] = a.house;
    j->done[j->ndone++] = a.id | (a.bidder ? 0x80000000u : 0);
  }
  return rc;
}

static int expiry_work(stratus_db *db, void *arg) {
  expiry_job *j = arg;
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT id FROM auctionhouse WHERE time < ? ORDER BY time, id "
                              "LIMIT ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->now),
                                             STRATUS_SQL_UINT_V(j->batch)),
                          &rows);
  if (rc != 0) return rc;
  while (rc == 0 && host->rows_next(rows) == 1) {
    j->id = (uint32_t)host->rows_uint(rows, 0);
    size_t before = j->ndone;
    rc = host->db_transaction(db, settle_one, j);
    if (rc != 0) j->ndone = before;
  }
  host->rows_free(rows);
  return rc;
}

static void count(ah_plugin *p, uint32_t realm, const char *outcome, uint32_t n) {
  char r[16];
  snprintf(r, sizeof(r), "%" PRIu32, realm);
  const char *labels[] = {r, outcome};
  if (n) host->metric_add(p->settled, labels, n);
}

static void expiry_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  expiry_job *j = arg;
  j->p->ticks_running--;
  for (size_t i = 0; i < j->ndone; i++) {
    bool sold = j->done[i] & 0x80000000u;
    *(sold ? &j->sold : &j->expired) += 1;
    ah_event_gone(ctx, "auctionhouse.auction.expired", j->realm, j->done[i] & 0x7FFFFFFFu);
    ah_mails_publish(ctx, j->realm, j->houses[i], &j->mails[i]);
  }
  count(j->p, j->realm, "sold", j->sold);
  count(j->p, j->realm, "expired", j->expired);
  if (result != 0)
    STRATUS_WARN(host, ctx, "auction expiry on realm %u: %s", j->realm, error);
  free(j->done);
  free(j->mails);
  free(j->houses);
  free(j);
}

static void expiry_tick(stratus_ctx *ctx, stratus_timer *timer, void *ud) {
  (void)timer;
  ah_plugin *p = ud;
  if (p->ticks_running) return;
  for (uint32_t realm = 1; realm <= (uint32_t)p->config->max_realm; realm++) {
    char pool[32];
    snprintf(pool, sizeof(pool), "characters.%" PRIu32, realm);
    if (!host->db_pool_exists(ctx, pool)) continue;
    expiry_job *j = calloc(1, sizeof(*j));
    uint32_t batch = (uint32_t)p->config->expiry_batch;
    uint32_t *done = calloc(batch, sizeof(uint32_t)), *houses = calloc(batch, sizeof(uint32_t));
    ah_mails *mails = calloc(batch, sizeof(ah_mails));
    if (!j || !done || !houses || !mails) {
      free(j);
      free(done);
      free(houses);
      free(mails);
      return;
    }
    *j = (expiry_job){.p = p, .realm = realm, .now = (uint32_t)ah_now(), .batch = batch,
                      .done = done, .mails = mails, .houses = houses};
    ah_money_of(p->config, &j->money);
    if (host->db_submit(ctx, pool, expiry_work, expiry_done, j, NULL) == 0) {
      p->ticks_running++;
    } else {
      free(done);
      free(houses);
      free(mails);
      free(j);
    }
  }
}

void ah_expiry_start(ah_plugin *p) {
  uint64_t every = (uint64_t)p->config->expiry_interval_ms;
  p->expiry_timer = host->timer_start(p->ctx, every, every, expiry_tick, p);
}
