/*
 * whisper: v1.ChatService/SendWhisperMessage. Delivers a whisper to the
 * receiver's gateway on chat.gw.<gatewayID>.income.whisper, same realm
 * always, another realm only under PR #37's crossrealm policy. Who is online
 * where comes from the gateways' gw.char.* events (whisper_directory.c).
 */
#include <stdlib.h>

#include "whisper.h"

const stratus_host_api *whisper_host;
#define host whisper_host

static const stratus_config_key whisper_keys[] = {
    {.name = "max_message_length", .type = STRATUS_CFG_INT,
     .offset = offsetof(whisper_config, max_message), .default_value = "255", .min = 1,
     .max = 65535, .help = "longest whisper in bytes (the client sends at most 255)"},
    {.name = "crossrealm_maps", .type = STRATUS_CFG_LIST,
     .offset = offsetof(whisper_config, crossrealm_maps), .default_value = "",
     .help = "map ids that count as crossrealm maps besides those a registered crossrealm "
             "game server serves (battlegrounds, arenas, dungeon-finder dungeons)"},
    {.name = "realid_timeout", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(whisper_config, realid_timeout_ms), .default_value = "2s", .min = 10,
     .max = 60000, .help = "deadline of CharactersService.AreRealIDFriends"},
    {0},
};

static int whisper_init(stratus_ctx *ctx, const void *config, void **state) {
  static const char *const result_label[] = {"result", NULL};
  static const stratus_metric_desc whispers = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER, "stratus_whisper_total",
      "Whispers by result: delivered, not_found, ambiguous, refused (crossrealm policy), "
      "dropped (event bus), error; unverified_claim counts gateway claims the host "
      "could not confirm", result_label, NULL, 0};
  static const stratus_metric_desc lfg_groups = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_GAUGE, "stratus_whisper_lfg_groups",
      "Dungeon-finder groups the whisper plugin knows of", NULL, NULL, 0};
  whisper_plugin *p = calloc(1, sizeof(*p));
  if (!p) return STRATUS_ENOMEM;
  p->config = config;
  p->ctx = ctx;
  p->m_whispers = host->metric_register(ctx, &whispers);
  p->m_lfg_groups = host->metric_register(ctx, &lfg_groups);
  int rc = p->m_whispers && p->m_lfg_groups ? 0 : STRATUS_EEXIST;
  if (rc == 0) rc = whisper_groups_subscribe(ctx, p);
  if (rc == 0)
    rc = host->methods_register(ctx, &v1__chat_service__descriptor, &whisper_method, 1,
                                sizeof(stratus_method), p);
  if (rc != 0) {
    free(p);
    return rc;
  }
  host->metric_set(p->m_lfg_groups, NULL, 0);
  *state = p;
  return 0;
}

static int whisper_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  ((whisper_plugin *)state)->config = config;
  return 0;
}

static void whisper_stop(stratus_ctx *ctx, void *state) {
  ((whisper_plugin *)state)->stopped = true;
}

static void whisper_destroy(stratus_ctx *ctx, void *state) {
  whisper_groups_free(state);
  free(state);
}

static const stratus_plugin whisper_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "whisper",
    .version = "1.0.0",
    .description = "ChatService.SendWhisperMessage with the crossrealm whisper policy",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(whisper_keys, whisper_config),
    .init = whisper_init,
    .reconfigure = whisper_reconfigure,
    .stop = whisper_stop,
    .destroy = whisper_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, presence_by_name))
    return NULL;
  host = api;
  return &whisper_plugin_desc;
}
