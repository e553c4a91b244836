/*
 * arenateam: the arena-team methods of CharactersService. The plugin keeps
 * no state of its own: teams, rosters and pending invites live in each
 * realm's characters database, so several stratusd instances can serve
 * them side by side and a restart loses nothing.
 */
#include "arenateam.h"
#include "manage.h"

const stratus_host_api *arena_host;

static int arena_init(stratus_ctx *ctx, const void *config, void **state) {
  (void)config;
  static const struct {
    const stratus_method *methods;
    const size_t *n;
  } tables[] = {{at_read_methods, &at_read_methods_n},
                {at_create_methods, &at_create_methods_n},
                {at_roster_methods, &at_roster_methods_n},
                {at_manage_methods, &at_manage_methods_n},
                {at_admin_methods, &at_admin_methods_n}};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    int rc = HOST->methods_register(ctx, &v1__characters_service__descriptor, tables[i].methods,
                                    *tables[i].n, sizeof(stratus_method), NULL);
    if (rc) return rc;
  }
  *state = NULL;
  return 0;
}

static const stratus_plugin arena_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "arenateam",
    .version = "1.0.0",
    .description = "arena teams: charters, rosters, invites, stats (CharactersService)",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    .init = arena_init,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register)) return NULL;
  arena_host = api;
  return &arena_plugin;
}
