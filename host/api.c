#include "api.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api_db.h"
#include "bus/eventbus.h"
#include "instance.h"
#include "log.h"
#include "metrics.h"
#include "registry/registry.h"
#include "rpc.h"
#include "stratusd.h"
#include "util.h"

static void api_logv(stratus_ctx *ctx, int level, const char *fmt, va_list ap) {
  log_vwrite(level, ctx ? ctx->log_level : -1, ctx ? ctx->tag : "plugin", fmt,
             ap);
}

static void api_log(stratus_ctx *ctx, int level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  api_logv(ctx, level, fmt, ap);
  va_end(ap);
}

static bool api_log_enabled(stratus_ctx *ctx, int level) {
  return log_would_write(level, ctx ? ctx->log_level : -1);
}

static const char *api_plugin_name(stratus_ctx *ctx) { return ctx->name; }
static uint64_t api_generation(stratus_ctx *ctx) { return ctx->generation; }

static uint64_t api_now_ms(stratus_ctx *ctx) {
  UNUSED(ctx);
  return uv_now(stratusd.loop);
}

/* ---- metrics: the family is shared, the reference is the instance's ---- */

typedef struct metric_ref {
  inst_reg reg;
  stratus_metric *family;
} metric_ref;

static void metric_ref_release(inst_reg *r) {
  metric_ref *ref = (metric_ref *)r;
  metrics_unref(ref->family);
  free(ref);
}

static const inst_reg_ops metric_ref_ops = {"metric", NULL, NULL,
                                            metric_ref_release};

static stratus_metric *api_metric_register(stratus_ctx *ctx,
                                           const stratus_metric_desc *desc) {
  if (!ctx || !desc || desc->struct_size < sizeof(stratus_metric_desc))
    return NULL;
  int err = 0;
  stratus_metric *m = metrics_register(ctx->name, desc, &err);
  if (!m) {
    log_write(STRATUS_LOG_WARN, ctx->tag, "metric '%s' refused: %s",
              desc->name ? desc->name : "(null)", stratus_strerror(err));
    return NULL;
  }
  metric_ref *ref = xcalloc(1, sizeof(*ref));
  ref->family = m;
  inst_reg_add(ctx, &ref->reg, &metric_ref_ops);
  return m;
}

void api_build(stratus_host_api *api, const char *host_version) {
  memset(api, 0, sizeof(*api));
  api->hdr = (stratus_abi_header){STRATUS_HOST_MAGIC, STRATUS_ABI_MAJOR,
                                  STRATUS_ABI_MINOR, sizeof(*api)};
  api->host_version = host_version;
  api->log = api_log;
  api->logv = api_logv;
  api->log_enabled = api_log_enabled;
  api->plugin_name = api_plugin_name;
  api->generation = api_generation;
  api->now_ms = api_now_ms;
  api->timer_start = api_timer_start;
  api->timer_stop = api_timer_stop;
  api->metric_register = api_metric_register;
  api->metric_add = metrics_add;
  api->metric_set = metrics_set;
  api->metric_observe = metrics_observe;
  api->rpc_register = api_rpc_register;
  api->call_reply = api_call_reply;
  api->call_fail = api_call_fail;
  api->call_remaining_ms = api_call_remaining_ms;
  api->call_cancelled = api_call_cancelled;
  api->call_peer = api_call_peer;
  api->call_metadata = api_call_metadata;
  api->rpc_call = api_rpc_call;
  api_db_install(api);
  api_discovery_install(api);
  api_bus_install(api);
  api_method_install(api);
  api_presence_install(api);
}
