/*
 * Hello and SellItem. A sale takes two database steps: an auction ID from
 * the world database's counter (and the item's template when the cache
 * lacks it), then the listing in the realm's database in one transaction.
 * Selling an item that this seller already listed answers that auction (a
 * retry); the item's UNIQUE key in `auctionhouse` lists it at most once.
 */
#include <stdio.h>
#include <string.h>

#include "ah.h"

#define host ah_host

#define ENCHANTMENTS_MAX 12u

typedef struct sell_job {
  const V1__AuctionSellItemRequest *r;
  uint32_t seller, item, duration;
  ah_template tmpl;
  bool have_tmpl;
  const char *enchantments;
  uint32_t id, time;
  bool replayed;
} sell_job;

/* ---- Hello -------------------------------------------------------------------------- */

static int hello_check(stratus_req *req, const void *request, void *job) {
  (void)job;
  const V1__AuctionHelloRequest *r = request;
  char pool[32];
  snprintf(pool, sizeof(pool), "characters.%u", r->realmid);
  if (r->realmid == 0 || !host->db_pool_exists(host->req_ctx(req), pool))
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "Hello: unknown realm %u (no [db.%s] section)", r->realmid, pool);
  return 0;
}

static int hello_reply(stratus_req *req, void *job) {
  (void)job;
  const V1__AuctionHelloRequest *r = (const void *)host->req_request(req);
  V1__AuctionHelloResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_hello_response__init(resp);
  resp->houseid = r->houseid;
  return host->req_reply(req, &resp->base);
}

const stratus_method ah_hello_method = {
    .name = "Hello", .check = hello_check, .reply = hello_reply,
};

/* ---- SellItem ------------------------------------------------------------------------- */

static int check_prices(stratus_req *req, const V1__AuctionSellItemRequest *r) {
  if (r->startbid == 0 || (r->buyout && r->buyout < r->startbid))
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "startBid %u must be at least 1 and at most buyout %u", r->startbid,
                          r->buyout);
  uint64_t top = r->buyout ? r->buyout : r->startbid;
  if (top + r->deposit > UINT32_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "price %llu plus deposit %u overflows 32-bit copper",
                          (unsigned long long)top, r->deposit);
  return 0;
}

static int check_listing(stratus_req *req, const V1__AuctionSellItemRequest *r, sell_job *j) {
  const ah_plugin *p = host->req_ud(req);
  if (r->houseid < 1 || r->houseid > AH_NEUTRAL_HOUSE)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "houseID %u is not 1..7",
                          r->houseid);
  if (r->itemguid == 0 || r->itemguid > UINT32_MAX || r->itemcount == 0)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "itemGuid %llu / itemCount %u do not name an item stack",
                          (unsigned long long)r->itemguid, r->itemcount);
  if (r->expiretimesecs == 0 || (int64_t)r->expiretimesecs * 1000 > p->config->max_duration_ms)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "expireTimeSecs %u is not 1..%lld", r->expiretimesecs,
                          (long long)(p->config->max_duration_ms / 1000));
  if (r->n_enchantments > ENCHANTMENTS_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "more than %u enchantments",
                          ENCHANTMENTS_MAX);
  j->item = (uint32_t)r->itemguid;
  j->duration = r->expiretimesecs;
  return 0;
}

/* "id:duration:charges " per enchantment, as the created event carries them. */
static const char *enchantments_text(stratus_req *req, const V1__AuctionSellItemRequest *r) {
  char *s = host->req_alloc(req, ENCHANTMENTS_MAX * 36 + 1);
  size_t n = 0;
  for (size_t i = 0; i < r->n_enchantments; i++)
    n += (size_t)snprintf(s + n, 37, "%u:%u:%u ", r->enchantments[i]->id,
                          r->enchantments[i]->duration, r->enchantments[i]->charges);
  return s;
}

static int sell_world(stratus_db *db, stratus_req *req, void *job);
static int sell_listed(stratus_req *req, void *job);

static int sell_check(stratus_req *req, const void *request, void *job) {
  const V1__AuctionSellItemRequest *r = request;
  sell_job *j = job;
  ah_plugin *p = host->req_ud(req);
  int rc;
  if ((rc = ah_player(req, r->playerguid, &j->seller)) || (rc = check_listing(req, r, j)) ||
      (rc = check_prices(req, r)))
    return rc;
  j->r = r;
  j->enchantments = enchantments_text(req, r);
  const ah_template *t = ah_template_get(p, r->itementry);
  if (t) j->tmpl = *t;
  j->have_tmpl = t != NULL;
  rc = host->req_submit(req, "world", sell_world, sell_listed, 0);
  return rc ? rc : STRATUS_LATER;
}

static int sell_world(stratus_db *db, stratus_req *req, void *job) {
  sell_job *j = job;
  stratus_rows *rows;
  int rc = j->have_tmpl ? 0 : ah_template_read(db, req, j->r->itementry, &j->tmpl);
  if (rc != 0) return rc;
  rc = host->sql_exec(db, "INSERT INTO stratus_auction_id (realm, created) "
                          "VALUES (?, UNIX_TIMESTAMP())",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(host->req_realm(req))), &rows);
  if (rc != 0) return rc;
  j->id = (uint32_t)host->rows_insert_id(rows);
  host->rows_free(rows);
  return 0;
}

static int sell_work(stratus_db *db, stratus_req *req, void *job);
static int sell_reply(stratus_req *req, void *job);

static int sell_listed(stratus_req *req, void *job) {
  sell_job *j = job;
  ah_plugin *p = host->req_ud(req);
  if (!j->have_tmpl) ah_template_put(p, &j->tmpl);
  char pool[32];
  snprintf(pool, sizeof(pool), "characters.%u", host->req_realm(req));
  int rc = host->req_submit(req, pool, sell_work, sell_reply, STRATUS_METHOD_TXN);
  return rc ? rc : STRATUS_LATER;
}

/* The item is the seller's, of the entry sold, and in no mail. */
static int check_item(stratus_db *db, stratus_req *req, sell_job *j) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT ii.owner_guid, COALESCE(ii.itemEntry, 0), "
                              "(SELECT COUNT(*) FROM mail_items mi WHERE mi.item_guid = ii.guid) "
                              "FROM item_instance ii WHERE ii.guid = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->item)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  uint32_t owner = 0, entry = 0, mailed = 0;
  if (rc == 1) {
    owner = (uint32_t)host->rows_uint(rows, 0);
    entry = (uint32_t)host->rows_uint(rows, 1);
    mailed = (uint32_t)host->rows_uint(rows, 2);
  }
  host->rows_free(rows);
  if (rc < 0) return rc;
  if (rc == 0 || owner != j->seller || mailed)
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "item %u is not the seller's (%s)", j->item,
                          rc == 0 ? "no such item" : mailed ? "attached to a mail" : "owner differs");
  if (entry != j->r->itementry)
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION, "item %u is entry %u, not %u",
                          j->item, entry, j->r->itementry);
  return 0;
}

/* The auction that already lists the item: a retry when it is this seller's. */
static int listed_before(stratus_db *db, stratus_req *req, sell_job *j) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT id, itemowner FROM auctionhouse WHERE itemguid = ? "
                              "LOCK IN SHARE MODE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->item)), &rows);
  if (rc != 0) return rc;
  rc = host->rows_next(rows);
  uint32_t id = rc == 1 ? (uint32_t)host->rows_uint(rows, 0) : 0;
  uint32_t owner = rc == 1 ? (uint32_t)host->rows_uint(rows, 1) : 0;
  host->rows_free(rows);
  if (rc != 1) return rc;
  if (owner != j->seller)
    return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "item %u is already on auction %u", j->item, id);
  j->id = id;
  j->replayed = true;
  return 1;
}

static int insert_info(stratus_db *db, const sell_job *j) {
  const ah_template *t = &j->tmpl;
  return host->sql_exec(
      db,
      "INSERT INTO stratus_auction_info (auction_id, item_entry, name, item_class, "
      "item_subclass, quality, inventory_type, item_level, required_level, suffix_factor, "
      "flags, enchantments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->id), STRATUS_SQL_UINT_V(t->entry),
                         stratus_sql_text(t->name), STRATUS_SQL_UINT_V(t->item_class),
                         STRATUS_SQL_UINT_V(t->subclass), STRATUS_SQL_UINT_V(t->quality),
                         STRATUS_SQL_UINT_V(t->inventory_type), STRATUS_SQL_UINT_V(t->item_level),
                         STRATUS_SQL_UINT_V(t->required_level),
                         STRATUS_SQL_UINT_V(j->r->suffixfactor), STRATUS_SQL_UINT_V(j->r->flags),
                         stratus_sql_text(j->enchantments)),
      NULL);
}

static int sell_work(stratus_db *db, stratus_req *req, void *job) {
  sell_job *j = job;
  j->replayed = false;
  int rc = listed_before(db, req, j);
  if (rc != 0) return rc < 0 ? rc : 0;
  /* the item's lock waits for a concurrent attempt of this sale; look again */
  if ((rc = check_item(db, req, j)) != 0 || (rc = listed_before(db, req, j)) != 0)
    return rc < 0 ? rc : 0;
  j->time = (uint32_t)ah_now() + j->duration;
  const V1__AuctionSellItemRequest *r = j->r;
  rc = host->sql_exec(db,
                      "INSERT INTO auctionhouse (id, houseid, itemguid, itemowner, buyoutprice, "
                      "time, buyguid, lastbid, startbid, deposit) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?)",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->id), STRATUS_SQL_UINT_V(r->houseid),
                                         STRATUS_SQL_UINT_V(j->item), STRATUS_SQL_UINT_V(j->seller),
                                         STRATUS_SQL_UINT_V(r->buyout), STRATUS_SQL_UINT_V(j->time),
                                         STRATUS_SQL_UINT_V(r->startbid),
                                         STRATUS_SQL_UINT_V(r->deposit)),
                      NULL);
  return rc ? rc : insert_info(db, j);
}

static int sell_reply(stratus_req *req, void *job) {
  sell_job *j = job;
  if (!j->replayed)
    ah_event_created(host->req_ctx(req), host->req_realm(req), j->r, j->id, j->seller, j->time,
                     j->enchantments);
  V1__AuctionSellItemResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_sell_item_response__init(resp);
  resp->auctionid = j->id;
  return host->req_reply(req, &resp->base);
}

const stratus_method ah_sell_method = {
    .name = "SellItem", .job_size = sizeof(sell_job),
    .pool = "characters", .realm_field = "realmID",
    .check = sell_check, .work = sell_work, .reply = sell_reply,
};
