/* The SDK's event members. A plugin's subscription is a registration of
 * its instance: it exists from event_subscribe on (so the pattern is
 * subscribed before the instance takes over), but events reach the plugin
 * only while the instance is active; the host removes it when the instance
 * stops. */
#include <stdlib.h>

#include "instance.h"
#include "internal.h"

struct stratus_sub {
  inst_reg reg;
  bus_sub *sub;
  stratus_event_cb cb;
  void *ud;
};

static bool stopping(const stratus_ctx *ctx) {
  return ctx->state == INST_STOPPING || ctx->state == INST_DEAD;
}

static void deliver(const stratus_event *ev, void *ud) {
  stratus_sub *s = ud;
  if (!s->reg.active) return; /* pending, or already switched out */
  stratus_ctx *ctx = s->reg.ctx;
  inst_hold(ctx);
  s->cb(ctx, ev, s->ud); /* may unsubscribe: s is not touched after */
  inst_release(ctx);
}

static void sub_release(inst_reg *r) {
  stratus_sub *s = (stratus_sub *)r;
  bus_unsubscribe(s->sub);
  free(s);
}

static const inst_reg_ops sub_ops = {"subscription", NULL, NULL, sub_release};

static stratus_sub *api_event_subscribe(stratus_ctx *ctx, const char *pattern,
                                        stratus_event_cb cb, void *ud) {
  if (!ctx || !cb || stopping(ctx)) return NULL;
  stratus_sub *s = xcalloc(1, sizeof(*s));
  s->cb = cb;
  s->ud = ud;
  s->sub = bus_subscribe(pattern, deliver, s);
  if (!s->sub) {
    log_write(STRATUS_LOG_WARN, ctx->tag, "event_subscribe '%s' refused",
              pattern ? pattern : "(null)");
    free(s);
    return NULL;
  }
  inst_reg_add(ctx, &s->reg, &sub_ops);
  return s;
}

static void api_event_unsubscribe(stratus_ctx *ctx, stratus_sub *s) {
  UNUSED(ctx);
  if (s && s->reg.ctx) inst_reg_drop(&s->reg);
}

/* Publishing stays allowed while the instance drains: a call it accepted
 * before the stop may still commit a change and announce it. */
static int api_event_publish(stratus_ctx *ctx, const char *subject,
                             int64_t type, const char *payload_json) {
  if (!ctx) return STRATUS_EINVAL;
  if (ctx->state == INST_DEAD) return STRATUS_EDRAINING;
  return bus_publish(subject, type, payload_json);
}

static int api_event_publish_raw(stratus_ctx *ctx, const char *subject,
                                 const void *data, size_t len) {
  if (!ctx) return STRATUS_EINVAL;
  if (ctx->state == INST_DEAD) return STRATUS_EDRAINING;
  return bus_publish_raw(subject, data, len);
}

/* The payload reference is the host's from here on, on every path. */
static int api_event_publish_json(stratus_ctx *ctx, const char *subject,
                                  int64_t type, json_t *payload) {
  if (!ctx || ctx->state == INST_DEAD) {
    json_decref(payload);
    return ctx ? STRATUS_EDRAINING : STRATUS_EINVAL;
  }
  return bus_publish_go_from(ctx->tag, subject, type, payload);
}

void api_bus_install(stratus_host_api *api) {
  api->event_publish = api_event_publish;
  api->event_publish_raw = api_event_publish_raw;
  api->event_subscribe = api_event_subscribe;
  api->event_unsubscribe = api_event_unsubscribe;
  api->event_publish_json = api_event_publish_json;
}
