/* The plugin's descriptor: configuration, lifecycle and state hand-over. */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

const stratus_host_api *ledger_host;

static const stratus_config_key keys[] = {
    {.name = "pool", .type = STRATUS_CFG_STRING,
     .offset = offsetof(ledger_config, pool), .default_value = "auth", .max = 64,
     .help = "[db.<name>] section whose database holds stratus_ledger_entries"},
    {.name = "subject", .type = STRATUS_CFG_STRING,
     .offset = offsetof(ledger_config, subject),
     .default_value = "ledger.entry.recorded", .max = 128,
     .help = "NATS subject of the event sent for each recorded entry"},
    {.name = "label", .type = STRATUS_CFG_STRING, .flags = STRATUS_CFG_RESTART,
     .offset = offsetof(ledger_config, label), .default_value = "main", .max = 32,
     .help = "a name for this ledger, returned by Stats"},
    {0},
};

static int ledger_init(stratus_ctx *ctx, const void *config, void **state) {
  static const stratus_metric_desc entries = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER,
      "ledger_entries_total", "Entries recorded by the ledger example", NULL,
      NULL, 0};
  const ledger_config *cfg = config;
  if (!*cfg->subject || !*cfg->pool) {
    STRATUS_ERROR(ledger_host, ctx, "pool and subject must not be empty");
    return STRATUS_EINVAL;
  }
  ledger *lg = calloc(1, sizeof(*lg));
  if (!lg) return STRATUS_ENOMEM;
  lg->config = cfg;
  lg->entries = ledger_host->metric_register(ctx, &entries);
  int rc = ledger_register(ctx, lg);
  if (rc != 0) {
    free(lg);
    return rc;
  }
  *state = lg;
  return 0;
}

static void ledger_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  free(state);
}

/* The state blob: a format version, then the count. Both generations may
 * be different builds, so the version is checked on import. */
enum { STATE_VERSION = 1, STATE_SIZE = 4 + 8 };

static int ledger_export(stratus_ctx *ctx, void *state, stratus_blob *out) {
  const ledger *lg = state;
  unsigned char *blob = malloc(STATE_SIZE);
  uint32_t version = STATE_VERSION;
  (void)ctx;
  if (!blob) return STRATUS_ENOMEM;
  memcpy(blob, &version, 4);
  memcpy(blob + 4, &lg->recorded, 8);
  *out = (stratus_blob){blob, STATE_SIZE, free};
  return 0;
}

static int ledger_import(stratus_ctx *ctx, void *state, const void *data,
                         size_t len) {
  ledger *lg = state;
  uint32_t version;
  if (len != STATE_SIZE) return STRATUS_EINVAL;
  memcpy(&version, data, 4);
  if (version != STATE_VERSION) {
    STRATUS_WARN(ledger_host, ctx, "state format %u is unknown; starting at 0",
                 version);
    return 0;
  }
  memcpy(&lg->recorded, (const unsigned char *)data + 4, 8);
  STRATUS_INFO(ledger_host, ctx, "took over %llu recorded entries",
               (unsigned long long)lg->recorded);
  return 0;
}

static const stratus_plugin ledger_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "ledger",
    .version = "1.0.0",
    .description = "example third-party plugin: a ledger of amounts per account",
    STRATUS_PLUGIN_CONFIG(keys, ledger_config),
    .init = ledger_init,
    .destroy = ledger_destroy,
    .export_state = ledger_export,
    .import_state = ledger_import,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  /* ABI 1.0 members are always there; check what 1.1 added. */
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, req_use_pool) ||
      !STRATUS_HOST_HAS(api, event_publish_json))
    return NULL; /* a host too old for us: refuse to load */
  ledger_host = api;
  return &ledger_plugin;
}
