/*
 * auctionhouse.* events as ToCloud9 publishes them: bare snake_case JSON
 * objects, no envelope, keys in the Go structs' order, published after the
 * COMMIT that made them true.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"

#define host ah_host

static void publish(stratus_ctx *ctx, const char *subject, json_t *o) {
  char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!text) return;
  int rc = host->event_publish_raw(ctx, subject, text, strlen(text));
  if (rc != 0) STRATUS_WARN(host, ctx, "%s not published: %s", subject, stratus_strerror(rc));
  free(text);
}

static void set_u(json_t *o, const char *k, uint64_t v) {
  json_object_set_new(o, k, json_integer((json_int_t)v));
}

void ah_event_created(stratus_ctx *ctx, uint32_t realm, const V1__AuctionSellItemRequest *r,
                      uint32_t id, uint32_t owner, uint32_t time, const char *enchantments) {
  json_t *o = json_object();
  set_u(o, "realm_id", realm);
  set_u(o, "auction_id", id);
  set_u(o, "house_id", r->houseid);
  set_u(o, "item_guid", (uint32_t)r->itemguid);
  set_u(o, "item_owner", owner);
  set_u(o, "buyout_price", r->buyout);
  set_u(o, "time", time);
  set_u(o, "start_bid", r->startbid);
  set_u(o, "deposit", r->deposit);
  set_u(o, "item_entry", r->itementry);
  set_u(o, "item_count", r->itemcount);
  json_object_set_new(o, "charges", json_integer(r->charges));
  json_object_set_new(o, "random_property_id", json_integer((int32_t)r->randompropertyid));
  set_u(o, "suffix_factor", r->suffixfactor);
  json_object_set_new(o, "enchantments", json_string(enchantments));
  set_u(o, "flags", r->flags);
  publish(ctx, "auctionhouse.auction.created", o);
}

void ah_event_bid(stratus_ctx *ctx, uint32_t realm, uint32_t id, uint32_t bidder, uint32_t bid,
                  bool buyout, uint32_t old_bidder, uint32_t old_bid) {
  json_t *o = json_object();
  set_u(o, "realm_id", realm);
  set_u(o, "auction_id", id);
  set_u(o, "buy_guid", bidder);
  set_u(o, "last_bid", bid);
  json_object_set_new(o, "is_buyout", json_boolean(buyout));
  if (old_bidder) set_u(o, "old_bidder", old_bidder); /* Go: omitempty */
  if (old_bid) set_u(o, "old_bid", old_bid);
  publish(ctx, "auctionhouse.bid.placed", o);
}

void ah_event_gone(stratus_ctx *ctx, const char *subject, uint32_t realm, uint32_t id) {
  json_t *o = json_object();
  set_u(o, "realm_id", realm);
  set_u(o, "auction_id", id);
  publish(ctx, subject, o);
}
