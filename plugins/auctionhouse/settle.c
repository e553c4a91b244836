/*
 * The settlement mails of an auction (worker thread). Each is inserted with
 * plugins/common's mail_store in the transaction that claims the auction
 * row, under a key made of the auction and its purpose, so a refund, a
 * sale's money or an item goes out once even if the transaction runs again.
 * Subjects and bodies are AzerothCore's ("entry:random:response"). `req`
 * may be NULL (the expiry tick): nothing here allocates from it.
 */
#include <stdio.h>

#include "ah.h"

#define host ah_host

enum { OUTBIDDED = 0, WON = 1, SUCCESSFUL = 2, EXPIRED = 3, CANCELLED_TO_BIDDER = 4,
       CANCELED = 5 };

void ah_money_of(const ah_config *c, ah_money *m) {
  *m = (ah_money){.cut_faction = (uint32_t)c->faction_cut_percent,
                  .cut_neutral = (uint32_t)c->neutral_cut_percent,
                  .sale_delay_s = (uint32_t)(c->sale_mail_delay_ms / 1000),
                  .expiry_s = 30u * 86400u};
}

static uint32_t cut_of(const ah_money *m, const ah_auction *a) {
  uint64_t pct = a->house == AH_NEUTRAL_HOUSE ? m->cut_neutral : m->cut_faction;
  return (uint32_t)((uint64_t)a->bid * pct / 100u);
}

int ah_lock_auction(stratus_db *db, uint32_t id, ah_auction *a) {
  stratus_rows *rows;
  int rc = host->sql_exec(
      db,
      "SELECT a.id, a.houseid, a.itemguid, a.itemowner, a.buyoutprice, a.time, a.buyguid, "
      "a.lastbid, a.startbid, a.deposit, COALESCE(ii.itemEntry, 0), "
      "COALESCE(ii.randomPropertyId, 0) FROM auctionhouse a "
      "LEFT JOIN item_instance ii ON ii.guid = a.itemguid WHERE a.id = ? FOR UPDATE",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(id)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) {
    uint32_t v[11];
    for (unsigned i = 0; i < 11; i++) v[i] = (uint32_t)host->rows_uint(rows, i);
    *a = (ah_auction){.id = v[0], .house = v[1], .item = v[2], .owner = v[3],
                      .buyout = v[4], .time = v[5], .bidder = v[6], .bid = v[7],
                      .start_bid = v[8], .deposit = v[9], .entry = v[10],
                      .random_property = (int32_t)host->rows_int(rows, 11)};
  }
  host->rows_free(rows);
  return rc;
}

int ah_character(stratus_db *db, stratus_req *req, uint32_t low) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT 1 FROM characters WHERE guid = ? AND account <> 0",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(low)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  host->rows_free(rows);
  if (rc == 0)
    return host->req_fail(req, STRATUS_GRPC_NOT_FOUND, "character %u not found on realm %u", low,
                          host->req_realm(req));
  return rc < 0 ? rc : 0;
}

int ah_claim_auction(stratus_db *db, uint32_t id) {
  stratus_rows *rows;
  const stratus_sql_value p[] = {STRATUS_SQL_UINT_V(id)};
  int rc = host->sql_exec(db, "DELETE FROM auctionhouse WHERE id = ?", p, 1, &rows);
  if (rc != 0) return rc;
  int claimed = host->rows_affected(rows) == 1;
  host->rows_free(rows);
  if (claimed) rc = host->sql_exec(db, "DELETE FROM stratus_auction_info WHERE auction_id = ?",
                                   p, 1, NULL);
  return rc != 0 ? rc : claimed;
}

/* One AzerothCore auction mail, keyed "a:<auction>:<purpose>". */
static int send(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                int response, uint32_t to, uint32_t money, bool with_item, uint32_t delay,
                const char *body, const char *purpose, ah_mails *out) {
  char subject[48], key[64];
  snprintf(subject, sizeof(subject), "%u:%d:%d", a->entry, a->random_property, response);
  snprintf(key, sizeof(key), "a:%u:%s", a->id, purpose);
  uint32_t now = (uint32_t)ah_now(), item = a->item, id;
  mail_draft d = {.type = V1__MAIL_TYPE__Auction, .stationery = V1__MAIL_STATIONERY__StAuction,
                  .sender = a->house, .receiver = to, .subject = subject, .body = body,
                  .money = money, .deliver_time = now + delay,
                  .expire_time = now + delay + m->expiry_s, .items = with_item ? &item : NULL,
                  .nitems = with_item ? 1 : 0, .key = key};
  bool replayed;
  int rc = mail_store_insert(host, db, req, &d, &id, &replayed);
  if (rc == 0 && !replayed && out->n < 4) {
    out->id[out->n] = id;
    out->receiver[out->n] = to;
    out->deliver[out->n++] = d.deliver_time;
  }
  return rc;
}

int ah_mail_outbid(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                   ah_mails *out) {
  if (!a->bidder || !a->bid) return 0;
  char purpose[40];
  snprintf(purpose, sizeof(purpose), "o:%u:%u", a->bidder, a->bid);
  return send(db, req, m, a, OUTBIDDED, a->bidder, a->bid, false, 0, "", purpose, out);
}

int ah_mail_sold(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                 ah_mails *out) {
  uint32_t cut = cut_of(m, a);
  char won[48], sold[64];
  snprintf(won, sizeof(won), "%X:%u:%u", a->owner, a->bid, a->buyout);
  snprintf(sold, sizeof(sold), "%X:%u:%u:%u:%u", a->bidder, a->bid, a->buyout, a->deposit, cut);
  int rc = send(db, req, m, a, WON, a->bidder, 0, true, 0, won, "w", out);
  if (rc != 0) return rc;
  /* PlaceBid keeps bid + deposit within mail.money's INT UNSIGNED. */
  return send(db, req, m, a, SUCCESSFUL, a->owner, a->bid - cut + a->deposit, false,
              m->sale_delay_s, sold, "s", out);
}

int ah_mail_item_back(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                      bool cancelled, ah_mails *out) {
  int rc = 0;
  if (cancelled && a->bidder && a->bid)
    rc = send(db, req, m, a, CANCELLED_TO_BIDDER, a->bidder, a->bid, false, 0, "", "r", out);
  if (rc != 0) return rc;
  return send(db, req, m, a, cancelled ? CANCELED : EXPIRED, a->owner, 0, true, 0, "",
              cancelled ? "c" : "e", out);
}

void ah_mails_publish(stratus_ctx *ctx, uint32_t realm, uint32_t sender, const ah_mails *m) {
  for (size_t i = 0; i < m->n; i++)
    mail_incoming_publish(host, ctx, realm, sender, m->receiver[i], m->deliver[i], m->id[i]);
}
