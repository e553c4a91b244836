/*
 * ListItems (the contract's search filters, sorting and paging), ListOwnerItems,
 * ListBidderItems and ListPendingSales. check builds one prepared statement
 * from the request (the filters become parameters, never text); the work
 * runs its COUNT and its page on the realm's database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

#define host ah_host

#define MAX_PARAMS 24u
#define OUTBID_MAX 100u
#define SQL_MAX 2048u

typedef struct list_job {
  char *where;  /* "WHERE ..." */
  char *order;  /* "ORDER BY ..." */
  stratus_sql_value params[MAX_PARAMS];
  size_t n;
  uint32_t limit, offset;
  bool count_only; /* ListPendingSales */
  uint32_t player;
  /* results */
  V1__AuctionItem **items;
  size_t nitems;
  uint32_t total;
} list_job;

/* An AuctionItem row with its enchantments text. */
typedef struct item_row {
  V1__AuctionItem item;
  char *enchantments;
} item_row;

static const stratus_col item_cols[] = {
    STRATUS_COL(item_row, item.auctionid, "id"),
    STRATUS_COL(item_row, item.itementry, "itemEntry"),
    STRATUS_COL(item_row, item.itemcount, "itemCount"),
    STRATUS_COL(item_row, item.charges, "charges"),
    STRATUS_COL(item_row, item.randompropertyid, "randomPropertyID"),
    STRATUS_COL(item_row, item.suffixfactor, "suffixFactor"),
    STRATUS_COL(item_row, item.itemguid, "itemguid"),
    STRATUS_COL(item_row, item.ownerguid, "itemowner"),
    STRATUS_COL(item_row, item.startbid, "startbid"),
    STRATUS_COL(item_row, item.bid, "lastbid"),
    STRATUS_COL(item_row, item.buyout, "buyoutprice"),
    STRATUS_COL(item_row, item.expiretime, "time"),
    STRATUS_COL(item_row, item.bidderguid, "buyguid"),
    STRATUS_COL(item_row, item.deposit, "deposit"),
    STRATUS_COL(item_row, item.houseid, "houseid"),
    STRATUS_COL(item_row, item.flags, "flags"),
    STRATUS_COL(item_row, enchantments, "enchantments"),
};

#define FROM                                                                                  \
  " FROM auctionhouse a LEFT JOIN item_instance ii ON ii.guid = a.itemguid "                 \
  "LEFT JOIN stratus_auction_info s ON s.auction_id = a.id "
#define SELECT                                                                                 \
  "SELECT a.id, COALESCE(ii.itemEntry, 0) AS itemEntry, COALESCE(ii.count, 1) AS itemCount, " \
  "CAST(SUBSTRING_INDEX(COALESCE(ii.charges, '0'), ' ', 1) AS SIGNED) AS charges, "            \
  "COALESCE(ii.randomPropertyId, 0) AS randomPropertyID, "                                     \
  "COALESCE(s.suffix_factor, 0) AS suffixFactor, a.itemguid, a.itemowner, a.startbid, "        \
  "a.lastbid, a.buyoutprice, a.time, a.buyguid, a.deposit, a.houseid, "                        \
  "COALESCE(s.flags, 0) AS flags, COALESCE(s.enchantments, '') AS enchantments" FROM

/* ---- building the statement (loop) ------------------------------------------------------ */

typedef struct builder {
  stratus_req *req;
  list_job *j;
  char where[SQL_MAX];
  size_t len;
} builder;

static void cond0(builder *b, const char *sql) {
  b->len += (size_t)snprintf(b->where + b->len, sizeof(b->where) - b->len, "%s%s",
                             b->len ? " AND " : "WHERE ", sql);
}

static void cond(builder *b, const char *sql, stratus_sql_value v) {
  cond0(b, sql);
  if (b->j->n < MAX_PARAMS) b->j->params[b->j->n++] = v;
}

static void finish(builder *b, const char *order) {
  b->j->where = host->req_strdup(b->req, b->where, b->len);
  b->j->order = host->req_strdup(b->req, order, strlen(order));
}

/* searchedName as a LIKE pattern: a case-insensitive substring. */
static stratus_sql_value like(stratus_req *req, const char *name) {
  size_t n = strlen(name);
  char *p = host->req_alloc(req, 2 * n + 3), *o = p;
  *o++ = '%';
  for (size_t i = 0; i < n; i++) {
    if (name[i] == '%' || name[i] == '_' || name[i] == '\\') *o++ = '\\';
    *o++ = name[i];
  }
  *o++ = '%';
  return STRATUS_SQL_TEXT_N(p, (size_t)(o - p));
}

/* AzerothCore's AuctionSortOrder columns. */
static const char *const sort_sql[] = {
    "s.required_level", "s.quality", "a.buyoutprice", "a.time", NULL, "s.name",
    "COALESCE(NULLIF(a.buyoutprice, 0), GREATEST(a.lastbid, a.startbid))", "a.itemowner",
    "GREATEST(a.lastbid, a.startbid)", "ii.count", "a.buyoutprice"};

static char *order_by(stratus_req *req, const V1__AuctionListItemsRequest *r) {
  char *o = host->req_alloc(req, 1024);
  size_t n = (size_t)snprintf(o, 1024, "ORDER BY ");
  for (size_t i = 0; i < r->n_sorting && i < 11; i++) {
    uint32_t c = r->sorting[i]->column;
    if (c >= sizeof(sort_sql) / sizeof(sort_sql[0]) || !sort_sql[c]) continue;
    n += (size_t)snprintf(o + n, 1024 - n, "%s%s, ", sort_sql[c],
                          r->sorting[i]->isdesc ? " DESC" : "");
  }
  snprintf(o + n, 1024 - n, "a.id");
  return o;
}

static int list_check(stratus_req *req, const void *request, void *job) {
  const V1__AuctionListItemsRequest *r = request;
  const ah_plugin *p = host->req_ud(req);
  list_job *j = job;
  builder b = {.req = req, .j = j};
  int rc = ah_player(req, r->playerguid, &j->player);
  if (rc != 0) return rc;
  if (strlen(r->searchedname) > 255)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "searchedName is over 255 bytes");
  cond0(&b, "a.time > UNIX_TIMESTAMP()");
  if (r->houseid) cond(&b, "a.houseid = ?", STRATUS_SQL_UINT_V(r->houseid));
  if (*r->searchedname) cond(&b, "s.name LIKE ?", like(req, r->searchedname));
  if (r->levelmin) cond(&b, "s.required_level >= ?", STRATUS_SQL_UINT_V(r->levelmin));
  if (r->levelmax) cond(&b, "s.required_level <= ?", STRATUS_SQL_UINT_V(r->levelmax));
  if (r->inventorytype != AH_ANY)
    cond(&b, "s.inventory_type = ?", STRATUS_SQL_UINT_V(r->inventorytype));
  if (r->itemclass != AH_ANY) cond(&b, "s.item_class = ?", STRATUS_SQL_UINT_V(r->itemclass));
  if (r->itemsubclass != AH_ANY)
    cond(&b, "s.item_subclass = ?", STRATUS_SQL_UINT_V(r->itemsubclass));
  if (r->quality != AH_ANY && r->quality) cond(&b, "s.quality >= ?", STRATUS_SQL_UINT_V(r->quality));
  finish(&b, order_by(req, r));
  j->limit = (uint32_t)(r->getall ? p->config->get_all_max : p->config->page_size);
  j->offset = r->getall ? 0 : r->listfrom;
  return 0;
}

static int owner_check(stratus_req *req, const void *request, void *job) {
  const V1__AuctionListOwnerItemsRequest *r = request;
  list_job *j = job;
  builder b = {.req = req, .j = j};
  int rc = ah_player(req, r->playerguid, &j->player);
  if (rc != 0) return rc;
  cond(&b, "a.itemowner = ?", STRATUS_SQL_UINT_V(j->player));
  if (r->houseid) cond(&b, "a.houseid = ?", STRATUS_SQL_UINT_V(r->houseid));
  finish(&b, "ORDER BY a.id");
  j->limit = (uint32_t)((const ah_plugin *)host->req_ud(req))->config->get_all_max;
  return 0;
}

static int bidder_check(stratus_req *req, const void *request, void *job) {
  const V1__AuctionListBidderItemsRequest *r = request;
  list_job *j = job;
  builder b = {.req = req, .j = j};
  int rc = ah_player(req, r->playerguid, &j->player);
  if (rc != 0) return rc;
  if (r->n_outbiddedauctionids > OUTBID_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%zu outbiddedAuctionIDs, at most %u", r->n_outbiddedauctionids,
                          OUTBID_MAX);
  /* the player's bids, and the auctions the client says it was outbid on */
  char in[16 + 3 * OUTBID_MAX] = "a.buyguid = ?";
  size_t n = strlen(in);
  for (size_t i = 0; i < r->n_outbiddedauctionids; i++)
    n += (size_t)snprintf(in + n, sizeof(in) - n, "%s", i ? ", ?" : " OR a.id IN (?");
  if (r->n_outbiddedauctionids) snprintf(in + n, sizeof(in) - n, ")");
  char *expr = host->req_alloc(req, strlen(in) + 3);
  snprintf(expr, strlen(in) + 3, "(%s)", in);
  cond(&b, expr, STRATUS_SQL_UINT_V(j->player));
  for (size_t i = 0; i < r->n_outbiddedauctionids; i++)
    j->params[j->n++] = STRATUS_SQL_UINT_V(r->outbiddedauctionids[i]);
  if (r->houseid) cond(&b, "a.houseid = ?", STRATUS_SQL_UINT_V(r->houseid));
  finish(&b, "ORDER BY a.id");
  j->limit = (uint32_t)((const ah_plugin *)host->req_ud(req))->config->get_all_max;
  return 0;
}

/* ---- work -------------------------------------------------------------------------------- */

static int count(stratus_db *db, list_job *j) {
  char sql[SQL_MAX + 256];
  stratus_rows *rows;
  /* no filter reads item_instance: the count leaves it out */
  snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM auctionhouse a "
                             "LEFT JOIN stratus_auction_info s ON s.auction_id = a.id %s",
           j->where);
  int rc = host->sql_exec(db, sql, j->params, j->n, &rows);
  if (rc != 0) return rc;
  j->total = host->rows_next(rows) == 1 ? (uint32_t)host->rows_uint(rows, 0) : 0;
  host->rows_free(rows);
  return 0;
}

static int list_work(stratus_db *db, stratus_req *req, void *job) {
  static const item_row tmpl = {V1__AUCTION_ITEM__INIT, NULL};
  list_job *j = job;
  char sql[SQL_MAX + 2048];
  stratus_rows *rows;
  int rc = count(db, j);
  if (rc != 0) return rc;
  snprintf(sql, sizeof(sql), SELECT "%s %s LIMIT ? OFFSET ?", j->where, j->order);
  stratus_sql_value params[MAX_PARAMS + 2];
  memcpy(params, j->params, j->n * sizeof(params[0]));
  params[j->n] = STRATUS_SQL_UINT_V(j->limit);
  params[j->n + 1] = STRATUS_SQL_UINT_V(j->offset);
  rc = host->sql_exec(db, sql, params, j->n + 2, &rows);
  if (rc != 0) return rc;
  item_row *items;
  rc = host->rows_collect(rows, req, STRATUS_COLS(item_cols), sizeof(item_row), &tmpl,
                          (void **)&items, &j->nitems);
  host->rows_free(rows);
  if (rc != 0) return rc;
  j->items = host->req_alloc(req, (j->nitems ? j->nitems : 1) * sizeof(V1__AuctionItem *));
  for (size_t i = 0; i < j->nitems; i++) {
    j->items[i] = &items[i].item;
    /* "id:duration:charges " tokens back into messages */
    size_t k = 0;
    for (const char *s = items[i].enchantments; *s && k < 12; k++) {
      unsigned id, dur, ch;
      int used;
      if (sscanf(s, "%u:%u:%u %n", &id, &dur, &ch, &used) != 3) break;
      V1__AuctionEnchantment *e = host->req_alloc(req, sizeof(*e));
      v1__auction_enchantment__init(e);
      *e = (V1__AuctionEnchantment){e->base, id, dur, ch};
      if (!k) items[i].item.enchantments = host->req_alloc(req, 12 * sizeof(e));
      items[i].item.enchantments[k] = e;
      items[i].item.n_enchantments = k + 1;
      s += used;
    }
  }
  return 0;
}

/* The three list answers share one layout (items, totalCount, searchDelay). */
static int list_reply(stratus_req *req, void *job) {
  list_job *j = job;
  const ah_plugin *p = host->req_ud(req);
  V1__AuctionListItemsResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_list_items_response__init(resp);
  resp->items = j->items;
  resp->n_items = j->nitems;
  resp->totalcount = j->total;
  resp->searchdelay = (uint32_t)p->config->search_delay_ms;
  return host->req_reply(req, &resp->base);
}

static int owner_reply(stratus_req *req, void *job) {
  list_job *j = job;
  V1__AuctionListOwnerItemsResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_list_owner_items_response__init(resp);
  resp->items = j->items;
  resp->n_items = j->nitems;
  resp->totalcount = j->total;
  resp->searchdelay = (uint32_t)((const ah_plugin *)host->req_ud(req))->config->search_delay_ms;
  return host->req_reply(req, &resp->base);
}

static int bidder_reply(stratus_req *req, void *job) {
  list_job *j = job;
  V1__AuctionListBidderItemsResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_list_bidder_items_response__init(resp);
  resp->items = j->items;
  resp->n_items = j->nitems;
  resp->totalcount = j->total;
  resp->searchdelay = (uint32_t)((const ah_plugin *)host->req_ud(req))->config->search_delay_ms;
  return host->req_reply(req, &resp->base);
}

const stratus_method ah_list_method = {
    .name = "ListItems", .job_size = sizeof(list_job), .pool = "characters",
    .realm_field = "realmID", .check = list_check, .work = list_work, .reply = list_reply,
};
const stratus_method ah_owner_method = {
    .name = "ListOwnerItems", .job_size = sizeof(list_job), .pool = "characters",
    .realm_field = "realmID", .check = owner_check, .work = list_work, .reply = owner_reply,
};
const stratus_method ah_bidder_method = {
    .name = "ListBidderItems", .job_size = sizeof(list_job), .pool = "characters",
    .realm_field = "realmID", .check = bidder_check, .work = list_work, .reply = bidder_reply,
};

/* ---- ListPendingSales: the seller's sale mails not delivered yet ------------------------- */

static int pending_check(stratus_req *req, const void *request, void *job) {
  return ah_player(req, ((const V1__AuctionListPendingSalesRequest *)request)->playerguid,
                   &((list_job *)job)->player);
}

static int pending_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  list_job *j = job;
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT COUNT(*) FROM mail WHERE receiver = ? AND messageType = ? "
                              "AND deliver_time > UNIX_TIMESTAMP() AND subject LIKE '%:2'",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player),
                                             STRATUS_SQL_UINT_V(V1__MAIL_TYPE__Auction)),
                          &rows);
  if (rc != 0) return rc;
  j->total = host->rows_next(rows) == 1 ? (uint32_t)host->rows_uint(rows, 0) : 0;
  host->rows_free(rows);
  return 0;
}

static int pending_reply(stratus_req *req, void *job) {
  V1__AuctionListPendingSalesResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__auction_list_pending_sales_response__init(resp);
  resp->count = ((list_job *)job)->total;
  return host->req_reply(req, &resp->base);
}

const stratus_method ah_pending_method = {
    .name = "ListPendingSales", .job_size = sizeof(list_job), .pool = "characters",
    .realm_field = "realmID", .check = pending_check, .work = pending_work,
    .reply = pending_reply,
};
