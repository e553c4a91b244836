/*
 * Presence: the host forwards lookups to the one plugin that owns who is
 * online (it registers a provider) and runs watchers when the owner reports
 * a change. Nothing here keeps presence data of its own.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "log.h"
#include "util.h"

typedef struct provider_reg {
  inst_reg reg;
  stratus_presence_provider ops;
  void *state;
} provider_reg;

typedef struct watcher {
  inst_reg reg;
  list_node node; /* in watchers while active */
  stratus_presence_cb cb;
  void *ud;
} watcher;

static provider_reg *current;
static list_node watchers = LIST_INIT(watchers);

static void provider_activate(inst_reg *r) { current = (provider_reg *)r; }
static void provider_deactivate(inst_reg *r) {
  if (current == (provider_reg *)r) current = NULL;
}
static void reg_free(inst_reg *r) { free(r); }
static const inst_reg_ops provider_ops = {"presence provider", provider_activate,
                                          provider_deactivate, reg_free};

static void watcher_activate(inst_reg *r) { list_push_back(&watchers, &((watcher *)r)->node); }
static void watcher_deactivate(inst_reg *r) { list_remove(&((watcher *)r)->node); }
static const inst_reg_ops watcher_ops = {"presence watch", watcher_activate,
                                         watcher_deactivate, reg_free};

static int api_presence_provide(stratus_ctx *ctx, const stratus_presence_provider *p,
                                void *state) {
  if (!ctx || !p || p->struct_size < sizeof(stratus_presence_provider)) return STRATUS_EINVAL;
  if (ctx->state != INST_INIT) return STRATUS_EBUSY;
  if (current && strcmp(current->reg.ctx->name, ctx->name) != 0) {
    log_write(STRATUS_LOG_ERROR, ctx->tag, "presence is already provided by plugin '%s'",
              current->reg.ctx->name);
    return STRATUS_EEXIST;
  }
  provider_reg *r = xcalloc(1, sizeof(*r));
  r->ops = *p;
  r->state = state;
  inst_reg_add(ctx, &r->reg, &provider_ops);
  return 0;
}

static int api_presence_watch(stratus_ctx *ctx, stratus_presence_cb cb, void *ud) {
  if (!ctx || !cb) return STRATUS_EINVAL;
  watcher *w = xcalloc(1, sizeof(*w));
  w->cb = cb;
  w->ud = ud;
  inst_reg_add(ctx, &w->reg, &watcher_ops);
  return 0;
}

static void api_presence_changed(stratus_ctx *ctx, int change, const stratus_presence *p) {
  if (!current || current->reg.ctx != ctx || !p) return;
  list_each(it, &watchers) {
    watcher *w = list_entry(it, watcher, node);
    w->cb(w->reg.ctx, change, p, w->ud);
  }
}

static int api_presence_by_guid(stratus_ctx *ctx, uint32_t realm, uint32_t low,
                                stratus_presence_each each, void *ud) {
  UNUSED(ctx);
  if (!each) return STRATUS_EINVAL;
  return current ? current->ops.by_guid(current->state, realm, low, each, ud) : STRATUS_ENOTSUP;
}

static int api_presence_by_name(stratus_ctx *ctx, uint32_t realm, const char *name,
                                stratus_presence_each each, void *ud) {
  UNUSED(ctx);
  if (!each || !name) return STRATUS_EINVAL;
  return current ? current->ops.by_name(current->state, realm, name, each, ud) : STRATUS_ENOTSUP;
}

static int api_presence_by_account(stratus_ctx *ctx, uint32_t account,
                                   stratus_presence_each each, void *ud) {
  UNUSED(ctx);
  if (!each) return STRATUS_EINVAL;
  return current ? current->ops.by_account(current->state, account, each, ud) : STRATUS_ENOTSUP;
}

static int api_presence_by_gateway(stratus_ctx *ctx, uint32_t realm, const char *gateway_id,
                                   stratus_presence_each each, void *ud) {
  UNUSED(ctx);
  if (!each || !gateway_id) return STRATUS_EINVAL;
  return current ? current->ops.by_gateway(current->state, realm, gateway_id, each, ud)
                 : STRATUS_ENOTSUP;
}

void api_presence_install(stratus_host_api *api) {
  api->presence_provide = api_presence_provide;
  api->presence_changed = api_presence_changed;
  api->presence_by_guid = api_presence_by_guid;
  api->presence_by_name = api_presence_by_name;
  api->presence_by_account = api_presence_by_account;
  api->presence_by_gateway = api_presence_by_gateway;
  api->presence_watch = api_presence_watch;
}
