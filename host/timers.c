/* Plugin timers: libuv timers owned by an instance. A one-shot timer frees
 * itself after its callback and keeps working while the instance drains
 * (it may carry an in-flight call); a repeating one runs until timer_stop or
 * until the instance stops. */
#include <stdlib.h>

#include <uv.h>

#include "api.h"
#include "instance.h"
#include "stratusd.h"
#include "util.h"

struct stratus_timer {
  inst_reg reg;
  uv_timer_t handle;
  uint64_t timeout_ms, repeat_ms;
  stratus_timer_cb cb;
  void *ud;
};

static void on_closed(uv_handle_t *h) { free(h->data); }

static void on_fire(uv_timer_t *h) {
  stratus_timer *t = h->data;
  stratus_ctx *ctx = t->reg.ctx;
  bool one_shot = t->repeat_ms == 0;
  /* Hold the registration across the callback: the plugin may stop it. */
  inst_hold(ctx);
  t->cb(ctx, t, t->ud);
  if (one_shot && t->reg.ctx && t->reg.active) inst_reg_drop(&t->reg);
  inst_release(ctx);
}

static void timer_activate(inst_reg *r) {
  stratus_timer *t = (stratus_timer *)r;
  uv_timer_start(&t->handle, on_fire, t->timeout_ms, t->repeat_ms);
}

static void timer_deactivate(inst_reg *r) {
  uv_timer_stop(&((stratus_timer *)r)->handle);
}

static void timer_release(inst_reg *r) {
  stratus_timer *t = (stratus_timer *)r;
  t->reg.ctx = NULL;
  uv_close((uv_handle_t *)&t->handle, on_closed);
}

static const inst_reg_ops timer_ops = {"timer", timer_activate,
                                       timer_deactivate, timer_release};

stratus_timer *api_timer_start(stratus_ctx *ctx, uint64_t timeout_ms,
                               uint64_t repeat_ms, stratus_timer_cb cb,
                               void *ud) {
  if (!ctx || !cb || ctx->state == INST_DEAD) return NULL;
  if (ctx->state == INST_STOPPING && repeat_ms != 0) return NULL;
  stratus_timer *t = xcalloc(1, sizeof(*t));
  uv_timer_init(stratusd.loop, &t->handle);
  t->handle.data = t;
  t->timeout_ms = timeout_ms;
  t->repeat_ms = repeat_ms;
  t->cb = cb;
  t->ud = ud;
  t->reg.outlives_stop = repeat_ms == 0;
  inst_reg_add(ctx, &t->reg, &timer_ops);
  return t;
}

void api_timer_stop(stratus_ctx *ctx, stratus_timer *t) {
  UNUSED(ctx);
  if (t && t->reg.ctx) inst_reg_drop(&t->reg);
}
