#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/proto/contracts.h>

#include "log.h"
#include "stratusd.h"
#include "util.h"

list_node inst_all = LIST_INIT(inst_all);

static const char *const state_names[] = {"init", "ready", "active",
                                          "stopping", "dead"};

const char *inst_state_name(inst_state s) { return state_names[s]; }

stratus_ctx *inst_create(module *m, void *config, int log_level,
                         uint64_t generation) {
  stratus_ctx *ctx = xcalloc(1, sizeof(*ctx));
  module_ref(m);
  ctx->mod = m;
  ctx->desc = &m->desc;
  ctx->name = xstrdup(m->name);
  ctx->generation = generation;
  snprintf(ctx->tag, sizeof(ctx->tag), "%s#%llu", ctx->name,
           (unsigned long long)generation);
  ctx->config = config;
  ctx->log_level = log_level;
  ctx->state = INST_INIT;
  list_init(&ctx->regs);
  list_push_back(&inst_all, &ctx->node);
  return ctx;
}

stratus_ctx *inst_create_host(const char *name) {
  static const stratus_plugin host_desc = {
      .hdr = STRATUS_PLUGIN_HDR, .name = "stratusd", .version = "builtin",
      .description = "part of the host", STRATUS_PLUGIN_CONTRACTS};
  stratus_ctx *ctx = xcalloc(1, sizeof(*ctx));
  ctx->desc = &host_desc;
  ctx->name = xstrdup(name);
  ctx->generation = 1;
  snprintf(ctx->tag, sizeof(ctx->tag), "%s", name);
  ctx->log_level = -1;
  ctx->state = INST_INIT;
  list_init(&ctx->regs);
  list_push_back(&inst_all, &ctx->node);
  return ctx;
}

void inst_reg_add(stratus_ctx *ctx, inst_reg *r, const inst_reg_ops *ops) {
  r->ops = ops;
  r->ctx = ctx;
  r->active = false;
  list_push_back(&ctx->regs, &r->node);
  if (ctx->state == INST_ACTIVE || (ctx->state == INST_STOPPING && r->outlives_stop)) {
    r->active = true;
    if (ops->activate) ops->activate(r);
  }
}

static void reg_deactivate(inst_reg *r) {
  if (!r->active) return;
  r->active = false;
  if (r->ops->deactivate) r->ops->deactivate(r);
}

void inst_reg_drop(inst_reg *r) {
  reg_deactivate(r);
  list_remove(&r->node);
  r->ops->release(r);
}

static void drop_all_regs(stratus_ctx *ctx) {
  list_each(it, &ctx->regs) inst_reg_drop(list_entry(it, inst_reg, node));
}

/* Registrations stop taking effect at stop but are freed only at destroy: a
 * completion that arrives while the instance drains may still touch its
 * metrics or stop its timers. */
static void deactivate_all_regs(stratus_ctx *ctx) {
  list_each(it, &ctx->regs) {
    inst_reg *r = list_entry(it, inst_reg, node);
    if (!r->outlives_stop) reg_deactivate(r);
  }
}

static void inst_free(stratus_ctx *ctx) {
  drop_all_regs(ctx);
  if (ctx->mod) schema_free(&ctx->mod->schema, ctx->config);
  list_remove(&ctx->node);
  if (ctx->mod) module_unref(ctx->mod);
  free(ctx->name);
  free(ctx);
}

static void report(char *err, size_t errlen, stratus_ctx *ctx,
                   const char *what, int rc) {
  snprintf(err, errlen, "plugin '%s' generation %llu: %s failed: %s (%d)",
           ctx->name, (unsigned long long)ctx->generation, what,
           stratus_strerror(rc), rc);
}

int inst_init(stratus_ctx *ctx, char *err, size_t errlen) {
  int rc = ctx->desc->init(ctx, ctx->config, &ctx->state_ptr);
  if (rc == 0) return 0;
  report(err, errlen, ctx, "init", rc);
  inst_free(ctx);
  return rc < 0 ? rc : STRATUS_EPLUGIN;
}

int inst_handover(stratus_ctx *from, stratus_ctx *to, char *err,
                  size_t errlen) {
  if (!from || !from->desc->export_state || !to->desc->import_state) return 0;
  stratus_blob blob = {0};
  int rc = from->desc->export_state(from, from->state_ptr, &blob);
  if (rc != 0) {
    report(err, errlen, from, "export_state", rc);
    return rc < 0 ? rc : STRATUS_EPLUGIN;
  }
  rc = to->desc->import_state(to, to->state_ptr, blob.data, blob.len);
  if (blob.free) blob.free(blob.data);
  if (rc != 0) {
    report(err, errlen, to, "import_state", rc);
    return rc < 0 ? rc : STRATUS_EPLUGIN;
  }
  log_info("plugin '%s': state handed over from generation %llu to %llu (%zu bytes)",
           to->name, (unsigned long long)from->generation,
           (unsigned long long)to->generation, blob.len);
  return 0;
}

int inst_start(stratus_ctx *ctx, char *err, size_t errlen) {
  int rc = ctx->desc->start ? ctx->desc->start(ctx, ctx->state_ptr) : 0;
  if (rc != 0) {
    report(err, errlen, ctx, "start", rc);
    return rc < 0 ? rc : STRATUS_EPLUGIN;
  }
  ctx->state = INST_READY;
  return 0;
}

void inst_activate(stratus_ctx *ctx) {
  ctx->state = INST_ACTIVE;
  ctx->started_ms = uv_now(stratusd.loop);
  list_each(it, &ctx->regs) {
    inst_reg *r = list_entry(it, inst_reg, node);
    if (r->active) continue;
    r->active = true;
    if (r->ops->activate) r->ops->activate(r);
  }
}

static uv_timer_t reaper;
static bool reaper_ready;

static void on_reap(uv_timer_t *t) {
  UNUSED(t);
  inst_reap();
}

void inst_loop_init(uv_loop_t *loop) {
  uv_timer_init(loop, &reaper);
  reaper_ready = true;
}

void inst_loop_close(void) {
  if (!reaper_ready) return;
  reaper_ready = false;
  uv_close((uv_handle_t *)&reaper, NULL);
}

static void schedule_reap(void) {
  if (reaper_ready) uv_timer_start(&reaper, on_reap, 0, 0);
}

void inst_begin_stop(stratus_ctx *ctx) {
  if (ctx->state == INST_STOPPING || ctx->state == INST_DEAD) return;
  bool was_started = ctx->state == INST_ACTIVE || ctx->state == INST_READY;
  ctx->state = INST_STOPPING;
  ctx->stopping_ms = stratusd.loop ? uv_now(stratusd.loop) : 0;
  deactivate_all_regs(ctx);
  if (was_started && ctx->desc->stop) ctx->desc->stop(ctx, ctx->state_ptr);
  if (ctx->inflight == 0) schedule_reap();
}

void inst_discard(stratus_ctx *ctx) {
  drop_all_regs(ctx);
  if (ctx->desc->destroy) ctx->desc->destroy(ctx, ctx->state_ptr);
  inst_free(ctx);
}

void inst_hold(stratus_ctx *ctx) { ctx->inflight++; }

void inst_release(stratus_ctx *ctx) {
  if (--ctx->inflight == 0 && ctx->state == INST_STOPPING) schedule_reap();
}

void inst_reap(void) {
  list_each(it, &inst_all) {
    stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
    if (ctx->state != INST_STOPPING || ctx->inflight > 0) continue;
    ctx->state = INST_DEAD;
    log_info("plugin '%s' generation %llu drained and destroyed", ctx->name,
             (unsigned long long)ctx->generation);
    if (ctx->desc->destroy) ctx->desc->destroy(ctx, ctx->state_ptr);
    inst_free(ctx);
  }
}
