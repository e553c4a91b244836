/*
 * hello: the SDK's example plugin. Every `interval` it logs `greeting` and
 * counts the greetings; the count survives reloads and upgrades because the
 * old generation hands it to the new one (export_state/import_state).
 */
#include <stdlib.h>
#include <string.h>

#include <stratus/stratus.h>

typedef struct hello_config {
  const char *greeting;
  int64_t interval_ms;
} hello_config;

typedef struct hello_state {
  const hello_config *config;
  uint64_t greetings;
  stratus_metric *greetings_metric;
} hello_state;

static const stratus_host_api *host;

static const stratus_config_key hello_keys[] = {
    {.name = "greeting", .type = STRATUS_CFG_STRING,
     .offset = offsetof(hello_config, greeting),
     .default_value = "hello from stratus", .max = 200,
     .help = "what to log"},
    {.name = "interval", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(hello_config, interval_ms), .default_value = "10s",
     .min = 10, .max = 86400000, .help = "how often to log it"},
    {0},
};

static void greet(stratus_ctx *ctx, stratus_timer *timer, void *ud) {
  hello_state *st = ud;
  (void)timer;
  st->greetings++;
  host->metric_set(st->greetings_metric, NULL, (double)st->greetings);
  STRATUS_INFO(host, ctx, "%s (greeting #%llu)", st->config->greeting,
               (unsigned long long)st->greetings);
}

static int hello_init(stratus_ctx *ctx, const void *config, void **state) {
  hello_state *st = calloc(1, sizeof(*st));
  if (!st) return STRATUS_ENOMEM;
  st->config = config;
  static const stratus_metric_desc greetings = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_GAUGE,
      "stratus_hello_greetings", "Greetings logged so far", NULL, NULL, 0};
  st->greetings_metric = host->metric_register(ctx, &greetings);
  if (!host->timer_start(ctx, (uint64_t)st->config->interval_ms,
                         (uint64_t)st->config->interval_ms, greet, st)) {
    free(st);
    return STRATUS_ENOMEM;
  }
  *state = st;
  return 0;
}

static void hello_destroy(stratus_ctx *ctx, void *state) {
  hello_state *st = state;
  STRATUS_DEBUG(host, ctx, "destroyed after %llu greetings",
                (unsigned long long)st->greetings);
  free(st);
}

/* State format: the greeting count as 8 little-endian bytes. */
static int hello_export(stratus_ctx *ctx, void *state, stratus_blob *out) {
  hello_state *st = state;
  unsigned char *buf = malloc(8);
  (void)ctx;
  if (!buf) return STRATUS_ENOMEM;
  for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(st->greetings >> (8 * i));
  *out = (stratus_blob){buf, 8, free};
  return 0;
}

static int hello_import(stratus_ctx *ctx, void *state, const void *data,
                        size_t len) {
  hello_state *st = state;
  const unsigned char *p = data;
  if (len != 8) {
    STRATUS_WARN(host, ctx, "ignoring handed-over state of %zu bytes", len);
    return 0;
  }
  st->greetings = 0;
  for (int i = 0; i < 8; i++) st->greetings |= (uint64_t)p[i] << (8 * i);
  host->metric_set(st->greetings_metric, NULL, (double)st->greetings);
  return 0;
}

static const stratus_plugin hello_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "hello",
    .version = "1.0.0",
    .description = "SDK example: logs a greeting on a timer",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(hello_keys, hello_config),
    .init = hello_init,
    .destroy = hello_destroy,
    .export_state = hello_export,
    .import_state = hello_import,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, timer_start) || !STRATUS_HOST_HAS(api, metric_set))
    return NULL;
  host = api;
  return &hello_plugin;
}
