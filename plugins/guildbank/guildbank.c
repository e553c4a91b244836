/*
 * guildbank: the guild bank methods of GuildService. The guild plugin (or
 * AzerothCore itself) owns guilds, ranks and members; this plugin owns the
 * bank's money, tabs, items and logs, and changes them only inside one
 * transaction per operation on the guild's realm database.
 */
#include <stdlib.h>

#include "guildbank.h"

const stratus_host_api *bank_host;

static const stratus_config_key bank_keys[] = {
    {.name = "world_pool", .type = STRATUS_CFG_STRING,
     .offset = offsetof(bank_config, world_pool), .default_value = "world", .max = 64,
     .help = "[db.<name>] with item_template (max stack sizes); without it items do not stack"},
    {0},
};

static int register_all(stratus_ctx *ctx, bank *b) {
  static const struct {
    const stratus_method *methods;
    const size_t *n;
  } tables[] = {{bank_money_methods, &bank_money_methods_n},
                {bank_tab_methods, &bank_tab_methods_n},
                {bank_item_methods, &bank_item_methods_n},
                {bank_read_methods, &bank_read_methods_n}};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    int rc = HOST->methods_register(ctx, &v1__guild_service__descriptor, tables[i].methods,
                                    *tables[i].n, sizeof(stratus_method), b);
    if (rc) return rc;
  }
  return 0;
}

static int bank_init(stratus_ctx *ctx, const void *config, void **state) {
  bank *b = calloc(1, sizeof(*b));
  if (!b) return STRATUS_ENOMEM;
  b->cfg = config;
  b->ctx = ctx;
  int rc = register_all(ctx, b);
  if (rc) {
    free(b);
    return rc;
  }
  *state = b;
  return 0;
}

/* The world pool is read per call: a new name applies to the next fetch. */
static int bank_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  (void)ctx;
  bank *b = state;
  b->cfg = config;
  hmap_free(&b->stacks); /* another world database may know other stacks */
  return 0;
}

static void bank_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  bank *b = state;
  hmap_free(&b->stacks);
  free(b);
}

static const stratus_plugin bank_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "guildbank",
    .version = "1.0.0",
    .description = "guild bank: money, tabs, items and logs, transactional and idempotent",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(bank_keys, bank_config),
    .init = bank_init,
    .reconfigure = bank_reconfigure,
    .destroy = bank_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register)) return NULL;
  bank_host = api;
  return &bank_plugin;
}
