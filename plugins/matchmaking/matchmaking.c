/*
 * matchmaking: MatchmakingService. Serves FinishRatedArenaMatch; the
 * battleground and arena queue methods and the dungeon finder are not
 * registered yet, so they answer UNIMPLEMENTED (README.md).
 */
#include <stdlib.h>

#include "matchmaking.h"

const stratus_host_api *mm_host;

static const stratus_config_key mm_keys[] = {
    {.name = "start_mmr", .type = STRATUS_CFG_INT, .offset = offsetof(mm_config, start_mmr),
     .default_value = "1500", .min = 0, .max = 65535,
     .help = "a member's matchmaker rating before its first rated game "
             "(AzerothCore's Arena.ArenaStartMatchmakerRating)"},
    {0},
};

static int mm_init(stratus_ctx *ctx, const void *config, void **state) {
  mm *m = calloc(1, sizeof(*m));
  if (!m) return STRATUS_ENOMEM;
  m->cfg = config;
  m->ctx = ctx;
  int rc = HOST->methods_register(ctx, &v1__matchmaking_service__descriptor, mm_arena_methods,
                                  mm_arena_methods_n, sizeof(stratus_method), m);
  if (rc) {
    free(m);
    return rc;
  }
  *state = m;
  return 0;
}

/* check copies start_mmr into each job: the next call sees the new value. */
static int mm_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  (void)ctx;
  ((mm *)state)->cfg = config;
  return 0;
}

static void mm_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  free(state);
}

static const stratus_plugin mm_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "matchmaking",
    .version = "0.1.0",
    .description = "MatchmakingService: rated arena results applied exactly once",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(mm_keys, mm_config),
    .init = mm_init,
    .reconfigure = mm_reconfigure,
    .destroy = mm_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register)) return NULL;
  mm_host = api;
  return &mm_plugin;
}
