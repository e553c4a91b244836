/*
 * auctionhouse: serves v1.AuctionHouseService (8 methods declared as data,
 * run by the host) on each realm's [db.characters.<realm>] pool, with item
 * templates from [db.world], and settles expired auctions on every realm.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ah.h"
#include "guid.h"

const stratus_host_api *ah_host;
#define host ah_host

#define KEY(n, t, field, dflt, lo, hi, text)                                           \
  {.name = (n), .type = (t), .offset = offsetof(ah_config, field), .default_value = (dflt), \
   .min = (lo), .max = (hi), .help = (text)}

static const stratus_config_key ah_keys[] = {
    KEY("expiry_interval", STRATUS_CFG_DURATION, expiry_interval_ms, "60s", 100, 86400000,
        "how often ended auctions are settled, on every realm"),
    KEY("expiry_batch", STRATUS_CFG_INT, expiry_batch, "500", 1, 100000,
        "ended auctions one tick settles per realm"),
    KEY("item_cache_size", STRATUS_CFG_INT, item_cache_size, "20000", 16, 1000000,
        "item_template rows kept in memory (the cache starts over when full)"),
    KEY("faction_cut_percent", STRATUS_CFG_INT, faction_cut_percent, "5", 0, 100,
        "the house's cut of a sale in the faction auction houses"),
    KEY("neutral_cut_percent", STRATUS_CFG_INT, neutral_cut_percent, "15", 0, 100,
        "the house's cut of a sale in the neutral auction house (house 7)"),
    KEY("sale_mail_delay", STRATUS_CFG_DURATION, sale_mail_delay_ms, "1h", 0, 86400000,
        "the seller's money arrives this long after the sale (a pending sale until then)"),
    KEY("page_size", STRATUS_CFG_INT, page_size, "50", 1, 1000, "auctions per ListItems page"),
    KEY("get_all_max", STRATUS_CFG_INT, get_all_max, "5000", 1, 100000,
        "auctions a getAll ListItems answers at most"),
    KEY("search_delay", STRATUS_CFG_DURATION, search_delay_ms, "300ms", 0, 60000,
        "searchDelay in list answers"),
    KEY("max_duration", STRATUS_CFG_DURATION, max_duration_ms, "48h", 1000, 8760LL * 3600000,
        "the longest expireTimeSecs SellItem accepts"),
    KEY("max_realm", STRATUS_CFG_INT, max_realm, "255", 1, GUID_MAX_REALM,
        "realms 1..max_realm that have a [db.characters.<realm>] pool are settled"),
    {0},
};

int64_t ah_now(void) { return (int64_t)time(NULL); }

uint32_t ah_cut(const ah_config *c, uint32_t house, uint32_t bid) {
  uint64_t pct = (uint64_t)(house == AH_NEUTRAL_HOUSE ? c->neutral_cut_percent
                                                      : c->faction_cut_percent);
  return (uint32_t)((uint64_t)bid * pct / 100u);
}

int ah_player(stratus_req *req, uint64_t guid, uint32_t *low) {
  uint32_t realm = host->req_realm(req), r;
  if (!guid_resolve(realm, guid, &r, low))
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "playerGuid %llu is not a character GUID", (unsigned long long)guid);
  if (r != realm)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "playerGuid %llu is a character of realm %u, not of realm %u",
                          (unsigned long long)guid, r, realm);
  return 0;
}

int ah_header_key(stratus_req *req, const char **key) {
  const char *v = host->call_metadata(host->req_call(req), "x-idempotency-key");
  *key = NULL;
  if (!v || !*v) return 0;
  if (strlen(v) > AH_KEY_MAX)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "x-idempotency-key is longer than %u bytes", AH_KEY_MAX);
  *key = host->req_strdup(req, v, strlen(v));
  return 0;
}

static const stratus_method *const ah_methods[] = {
    &ah_hello_method, &ah_sell_method,  &ah_bid_method,    &ah_cancel_method,
    &ah_list_method,  &ah_owner_method, &ah_bidder_method, &ah_pending_method,
};
#define AH_METHODS (sizeof(ah_methods) / sizeof(ah_methods[0]))

static int ah_init(stratus_ctx *ctx, const void *config, void **state) {
  ah_plugin *p = calloc(1, sizeof(*p));
  if (!p) return STRATUS_ENOMEM;
  p->ctx = ctx;
  p->config = config;
  static const char *const labels[] = {"realm", "outcome", NULL};
  const stratus_metric_desc desc = {sizeof(desc), STRATUS_METRIC_COUNTER,
                                    "stratus_auction_settled_total",
                                    "ended auctions this instance settled (sold, expired)",
                                    labels, NULL, 0};
  p->settled = host->metric_register(ctx, &desc);
  stratus_method table[AH_METHODS];
  for (size_t i = 0; i < AH_METHODS; i++) table[i] = *ah_methods[i];
  int rc = p->settled ? host->methods_register(ctx, &v1__auction_house_service__descriptor,
                                               table, AH_METHODS, sizeof(stratus_method), p)
                      : STRATUS_EEXIST;
  if (rc != 0) {
    free(p);
    return rc;
  }
  *state = p;
  return 0;
}

static int ah_start(stratus_ctx *ctx, void *state) {
  (void)ctx;
  ah_expiry_start(state);
  return 0;
}

static void ah_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  ah_templates_free(state);
  free(state);
}

static const stratus_plugin ah_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "auctionhouse",
    .version = "1.0.0",
    .description = "AuctionHouseService: listings, bids, buyouts, cancels and expiry, settled by mail",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(ah_keys, ah_config),
    .init = ah_init,
    .start = ah_start,
    .destroy = ah_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, rows_collect))
    return NULL;
  host = api;
  return &ah_plugin_desc;
}
