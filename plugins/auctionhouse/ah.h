/*
 * auctionhouse: v1.AuctionHouseService on the host's method runner, settled
 * through mail rows written in the auction's own transaction (see README.md).
 */
#ifndef STRATUS_AH_H
#define STRATUS_AH_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/host.h>
#include <stratus/proto/auctionhouse/auctionhouse.pb-c.h>
#include <stratus/proto/mail/mail.pb-c.h>

#include "hmap.h"
#include "mail_store.h"

extern const stratus_host_api *ah_host;

/* AzerothCore's "any" for the search filters. */
#define AH_ANY 0xFFFFFFFFu
#define AH_NEUTRAL_HOUSE 7u
#define AH_KEY_MAX 253u

typedef struct ah_config {
  int64_t expiry_interval_ms;
  int64_t expiry_batch;
  int64_t item_cache_size;
  int64_t faction_cut_percent, neutral_cut_percent;
  int64_t sale_mail_delay_ms;
  int64_t page_size, get_all_max;
  int64_t search_delay_ms;
  int64_t max_duration_ms;
  int64_t max_realm;
} ah_config;

/* What an auction copies from world.item_template. */
typedef struct ah_template {
  uint32_t entry;
  uint32_t item_class, subclass, quality, inventory_type, item_level, required_level;
  char name[256];
} ah_template;

typedef struct ah_plugin {
  stratus_ctx *ctx;
  const ah_config *config;
  hmap templates; /* entry -> ah_template*, at most item_cache_size */
  stratus_timer *expiry_timer;
  stratus_metric *settled; /* {realm, outcome} */
  unsigned ticks_running;
} ah_plugin;

/* An auction row as the settlement reads it (locked). */
typedef struct ah_auction {
  uint32_t id, house, item, owner, buyout, time, bidder, bid, start_bid, deposit;
  uint32_t entry;
  int32_t random_property;
} ah_auction;

extern const stratus_method ah_hello_method, ah_sell_method, ah_bid_method, ah_cancel_method,
    ah_list_method, ah_owner_method, ah_bidder_method, ah_pending_method;

/* ---- helpers (ah.c) ----------------------------------------------------------------- */
int ah_player(stratus_req *req, uint64_t guid, uint32_t *low);
int ah_header_key(stratus_req *req, const char **key);
int64_t ah_now(void);
/* The house's cut of `bid`, AzerothCore's: 5% faction houses, 15% neutral. */
uint32_t ah_cut(const ah_config *c, uint32_t house, uint32_t bid);

/* ---- item templates (templates.c) --------------------------------------------------- */
const ah_template *ah_template_get(ah_plugin *p, uint32_t entry);
void ah_template_put(ah_plugin *p, const ah_template *t);
void ah_templates_free(ah_plugin *p);
/* worker: read one template from world.item_template; 0, or NOT_FOUND recorded. */
int ah_template_read(stratus_db *db, stratus_req *req, uint32_t entry, ah_template *out);

/* ---- settlement (settle.c), worker ---------------------------------------------------
 * The AzerothCore mails of an auction, each keyed by the auction and its
 * purpose so it exists once; `mails` collects what to announce. */
typedef struct ah_mails {
  uint32_t id[4], receiver[4], deliver[4];
  size_t n;
} ah_mails;

typedef struct ah_money {
  uint32_t cut_faction, cut_neutral; /* percent */
  uint32_t sale_delay_s, expiry_s;
} ah_money;

/* NOT_FOUND (recorded) unless the character exists on the request's realm. */
int ah_character(stratus_db *db, stratus_req *req, uint32_t low);
int ah_lock_auction(stratus_db *db, uint32_t id, ah_auction *a);
/* The auction row and its info row; 1 when this call deleted it. */
int ah_claim_auction(stratus_db *db, uint32_t id);
int ah_mail_outbid(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                   ah_mails *out);
/* Sold (buyout or expiry with a bid): item to the bidder, bid - cut + deposit to the seller. */
int ah_mail_sold(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                 ah_mails *out);
/* The item back to the seller (expired without a bid, or cancelled). */
int ah_mail_item_back(stratus_db *db, stratus_req *req, const ah_money *m, const ah_auction *a,
                      bool cancelled, ah_mails *out);
void ah_money_of(const ah_config *c, ah_money *m);
void ah_mails_publish(stratus_ctx *ctx, uint32_t realm, uint32_t sender, const ah_mails *m);

/* ---- events (events.c), loop: raw snake_case JSON, no envelope -------------------------- */
void ah_event_created(stratus_ctx *ctx, uint32_t realm, const V1__AuctionSellItemRequest *r,
                      uint32_t id, uint32_t owner, uint32_t time, const char *enchantments);
void ah_event_bid(stratus_ctx *ctx, uint32_t realm, uint32_t id, uint32_t bidder, uint32_t bid,
                  bool buyout, uint32_t old_bidder, uint32_t old_bid);
void ah_event_gone(stratus_ctx *ctx, const char *subject, uint32_t realm, uint32_t id);

/* ---- expiry (expiry.c) ---------------------------------------------------------------------- */
void ah_expiry_start(ah_plugin *p);

#endif
