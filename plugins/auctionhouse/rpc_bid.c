/*
 * PlaceBid and CancelAuction. The auction row, locked, is the claim: a bid
 * moves it with a conditional UPDATE, a buyout or a cancel deletes it
 * (rows affected = 1), and the refund, item and proceeds mails are written
 * in the same transaction. A call with x-idempotency-key records its answer
 * (stratus_auction_op), so a retry answers the same and moves no money again.
 */
#include <string.h>

#include "ah.h"

#define host ah_host

typedef struct bid_job {
  uint32_t player, auction, house, price; /* price: the bid (PlaceBid) */
  const char *key;
  ah_money money;
  ah_auction before;     /* the row as it was (for the event) */
  bool buyout, replayed;
  uint32_t amount;       /* moneyToDeduct, or auctionCut */
  ah_mails mails;
} bid_job;

static int bid_ids(stratus_req *req, uint64_t player, uint32_t auction, uint32_t house,
                   bid_job *j) {
  int rc = ah_player(req, player, &j->player);
  if (rc != 0) return rc;
  if (auction == 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "auctionID 0 is not an auction");
  j->auction = auction;
  j->house = house;
  ah_money_of(((const ah_plugin *)host->req_ud(req))->config, &j->money);
  return ah_header_key(req, &j->key);
}

/* A keyed call answered before: 1 and its answer. A locking read, so it
 * sees an attempt of the same call that committed while this one waited. */
static int answered_before(stratus_db *db, bid_job *j) {
  if (!j->key) return 0;
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT is_buyout, money FROM stratus_auction_op "
                              "WHERE op_key = ? AND auction_id = ? AND player = ? "
                              "LOCK IN SHARE MODE",
                          STRATUS_SQL_PARAMS(stratus_sql_text(j->key),
                                             STRATUS_SQL_UINT_V(j->auction),
                                             STRATUS_SQL_UINT_V(j->player)),
                          &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) {
    j->buyout = host->rows_uint(rows, 0) != 0;
    j->amount = (uint32_t)host->rows_uint(rows, 1);
    j->replayed = true;
  }
  host->rows_free(rows);
  return rc;
}

static int record(stratus_db *db, const bid_job *j) {
  if (!j->key) return 0;
  return host->sql_exec(db, "INSERT INTO stratus_auction_op (op_key, auction_id, player, "
                            "is_buyout, money, created) VALUES (?, ?, ?, ?, ?, UNIX_TIMESTAMP())",
                        STRATUS_SQL_PARAMS(stratus_sql_text(j->key), STRATUS_SQL_UINT_V(j->auction),
                                           STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->buyout),
                                           STRATUS_SQL_UINT_V(j->amount)),
                        NULL);
}

/* The locked auction of this house, or NOT_FOUND. */
static int find(stratus_db *db, stratus_req *req, bid_job *j, ah_auction *a) {
  int rc = ah_lock_auction(db, j->auction, a);
  if (rc < 0) return rc;
  if (rc == 0 || (j->house && j->house != a->house))
    return host->req_fail(req, STRATUS_GRPC_NOT_FOUND, "auction %u not found%s", j->auction,
                          rc ? " in this auction house" : "");
  j->before = *a;
  return 0;
}

static void start(bid_job *j) {
  j->replayed = j->buyout = false;
  j->amount = 0;
  j->mails.n = 0;
}

/* ---- PlaceBid --------------------------------------------------------------------------- */

static int bid_check(stratus_req *req, const void *request, void *job) {
  const V1__AuctionPlaceBidRequest *r = request;
  bid_job *j = job;
  if (r->price == 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "price 0 is not a bid");
  j->price = r->price;
  return bid_ids(req, r->playerguid, r->auctionid, r->houseid, j);
}

static uint32_t min_bid(const ah_auction *a) {
  if (!a->bid) return a->start_bid;
  uint64_t step = (uint64_t)a->bid * 5 / 100; /* AzerothCore: 5% of the bid, at least 1 */
  uint64_t min = (uint64_t)a->bid + (step ? step : 1);
  return min > UINT32_MAX ? UINT32_MAX : (uint32_t)min;
}

static int bid_rules(stratus_req *req, bid_job *j, const ah_auction *a) {
  if (a->owner == j->player)
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "AH_BID_OWN: player %u cannot bid on its own auction %u", j->player,
                          a->id);
  if (a->time <= (uint32_t)ah_now())
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION, "auction %u has ended", a->id);
  j->buyout = a->buyout && j->price >= a->buyout;
  if (j->buyout) j->price = a->buyout;
  if ((uint64_t)j->price + a->deposit > UINT32_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "price %u plus the deposit %u overflows 32-bit copper", j->price,
                          a->deposit);
  if (!j->buyout && j->price < min_bid(a))
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "AH_BID_INCREMENT: bid %u on auction %u is below the minimum %u",
                          j->price, a->id, min_bid(a));
  j->amount = a->bidder == j->player ? j->price - a->bid : j->price;
  return 0;
}

/* A refusal found after waiting for the auction's lock may be the work of
 * an earlier attempt of this very call (its answer was lost, the client
 * retried while it ran): then that attempt's answer is this one's. */
static int refused(stratus_db *db, bid_job *j, int rc) {
  if (rc == 0 || !j->key) return rc;
  int again = answered_before(db, j);
  return again == 1 ? 0 : rc;
}

static int bid_work(stratus_db *db, stratus_req *req, void *job) {
  bid_job *j = job;
  ah_auction a;
  start(j);
  int rc = answered_before(db, j);
  if (rc != 0) return rc < 0 ? rc : 0;
  if ((rc = find(db, req, j, &a)) != 0 || (rc = ah_character(db, req, j->player)) != 0 ||
      (rc = bid_rules(req, j, &a)) != 0)
    return refused(db, j, rc);
  if (a.bidder != j->player && (rc = ah_mail_outbid(db, req, &j->money, &a, &j->mails)) != 0)
    return rc;
  if (j->buyout) {
    if ((rc = ah_claim_auction(db, a.id)) != 1) return rc < 0 ? rc : STRATUS_ECONFLICT;
    a.bidder = j->player;
    a.bid = j->price;
    rc = ah_mail_sold(db, req, &j->money, &a, &j->mails);
  } else {
    rc = host->sql_exec(db, "UPDATE auctionhouse SET buyguid = ?, lastbid = ? WHERE id = ? "
                            "AND buyguid = ? AND lastbid = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->price), STRATUS_SQL_UINT_V(a.id),
                                           STRATUS_SQL_UINT_V(a.bidder),
                                           STRATUS_SQL_UINT_V(a.bid)),
                        NULL);
  }
  return rc ? rc : record(db, j);
}

static int bid_reply(stratus_req *req, void *job) {
  bid_job *j = job;
  uint32_t realm = host->req_realm(req);
  if (!j->replayed) {
    const ah_auction *b = &j->before;
    bool other = b->bidder && b->bidder != j->player;
    ah_event_bid(host->req_ctx(req), realm, j->auction, j->player, j->price, j->buyout,
                 other ? b->bidder : 0, other ? b->bid : 0);
    ah_mails_publish(host->req_ctx(req), realm, b->house, &j->mails);
  }
  V1__AuctionPlaceBidResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_place_bid_response__init(resp);
  resp->auctionid = j->auction;
  resp->isbuyout = j->buyout;
  resp->moneytodeduct = j->amount;
  return host->req_reply(req, &resp->base);
}

const stratus_method ah_bid_method = {
    .name = "PlaceBid", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(bid_job),
    .pool = "characters", .realm_field = "realmID",
    .check = bid_check, .work = bid_work, .reply = bid_reply,
};

/* ---- CancelAuction ----------------------------------------------------------------------- */

static int cancel_check(stratus_req *req, const void *request, void *job) {
  const V1__AuctionCancelRequest *r = request;
  return bid_ids(req, r->playerguid, r->auctionid, r->houseid, job);
}

static int cancel_work(stratus_db *db, stratus_req *req, void *job) {
  bid_job *j = job;
  ah_auction a;
  start(j);
  int rc = answered_before(db, j);
  if (rc != 0) return rc < 0 ? rc : 0;
  if ((rc = find(db, req, j, &a)) != 0) return refused(db, j, rc);
  if (a.owner != j->player)
    return host->req_fail(req, STRATUS_GRPC_PERMISSION_DENIED,
                          "auction %u is not player %u's", a.id, j->player);
  if ((rc = ah_claim_auction(db, a.id)) != 1) return rc < 0 ? rc : STRATUS_ECONFLICT;
  if ((rc = ah_mail_item_back(db, req, &j->money, &a, true, &j->mails)) != 0) return rc;
  uint64_t pct = a.house == AH_NEUTRAL_HOUSE ? j->money.cut_neutral : j->money.cut_faction;
  j->amount = (uint32_t)((uint64_t)a.bid * pct / 100u); /* the seller pays the cut of a bid */
  return record(db, j);
}

static int cancel_reply(stratus_req *req, void *job) {
  bid_job *j = job;
  uint32_t realm = host->req_realm(req);
  if (!j->replayed) {
    ah_event_gone(host->req_ctx(req), "auctionhouse.auction.canceled", realm, j->auction);
    ah_mails_publish(host->req_ctx(req), realm, j->before.house, &j->mails);
  }
  V1__AuctionCancelResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_cancel_response__init(resp);
  resp->auctionid = j->auction;
  resp->auctioncut = j->amount;
  return host->req_reply(req, &resp->base);
}

const stratus_method ah_cancel_method = {
    .name = "CancelAuction", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(bid_job),
    .pool = "characters", .realm_field = "realmID",
    .check = cancel_check, .work = cancel_work, .reply = cancel_reply,
};
