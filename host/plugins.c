#include "plugins.h"

#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashmap.h"
#include "log.h"
#include "util.h"

/* ---- the keys the host reads in every [plugin.*] section ---------------- */

typedef struct plugin_common {
  bool enabled;
  const char *path;
  int log_level; /* 0 = default, else level + 1 */
} plugin_common;

static const char *const common_levels[] = {"default", "error", "warn", "info",
                                            "debug",   "trace", NULL};
static const stratus_config_key common_keys[] = {
    {.name = "enabled", .type = STRATUS_CFG_BOOL,
     .offset = offsetof(plugin_common, enabled), .default_value = "yes",
     .help = "run this plugin"},
    {.name = "path", .type = STRATUS_CFG_STRING,
     .offset = offsetof(plugin_common, path), .default_value = "",
     .help = "the .so to load (default: <plugin_dir>/<name>.so)"},
    {.name = "log_level", .type = STRATUS_CFG_ENUM,
     .offset = offsetof(plugin_common, log_level), .default_value = "default",
     .choices = common_levels, .help = "this plugin's log level"},
};
static const schema common_schema = {common_keys, ARRAY_LEN(common_keys),
                                     sizeof(plugin_common)};

/* ---- the running set ----------------------------------------------------- */

static stratus_ctx **active;
static size_t nactive, active_cap;
static hashmap last_generation; /* name -> (uintptr_t) generation */

size_t plugins_active_count(void) { return nactive; }
stratus_ctx *plugins_active_at(size_t i) { return i < nactive ? active[i] : NULL; }

static long active_index(const char *name) {
  for (size_t i = 0; i < nactive; i++)
    if (strcmp(active[i]->name, name) == 0) return (long)i;
  return -1;
}

stratus_ctx *plugins_active(const char *name) {
  long i = active_index(name);
  return i < 0 ? NULL : active[i];
}

static void active_set(const char *name, stratus_ctx *ctx) {
  long i = active_index(name);
  if (i >= 0) {
    active[i] = ctx;
    return;
  }
  grow_array((void **)&active, &active_cap, nactive + 1, sizeof(*active));
  active[nactive++] = ctx;
}

static void active_remove(size_t i) {
  memmove(&active[i], &active[i + 1], (nactive - i - 1) * sizeof(*active));
  nactive--;
}

static uint64_t next_generation(const char *name) {
  uint64_t g = (uintptr_t)hm_get(&last_generation, name) + 1;
  hm_put(&last_generation, name, (void *)(uintptr_t)g);
  return g;
}

/* ---- planning ------------------------------------------------------------ */

/* A view of `sec` holding only (or all but) the host's own keys. */
static cfg_section filter_section(const cfg_section *sec, bool common) {
  cfg_section view = *sec;
  view.entries = xcalloc(sec->n + 1, sizeof(cfg_entry));
  view.n = 0;
  for (size_t i = 0; i < sec->n; i++)
    if ((schema_find(&common_schema, sec->entries[i].key) != NULL) == common)
      view.entries[view.n++] = sec->entries[i];
  return view;
}

char *plugins_path(const cfg_section *sec, const char *path,
                   const char *plugin_dir, const char *name) {
  if (!path || !*path) return xasprintf("%s/%s.so", plugin_dir, name);
  if (path[0] == '/') return xstrdup(path);
  char *copy = xstrdup(sec->file);
  char *full = xasprintf("%s/%s", dirname(copy), path);
  free(copy);
  return full;
}

void plugins_describe_common(FILE *out) { schema_describe(&common_schema, out); }

static bool valid_plugin_name(const char *name) {
  if (!*name) return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-'))
      return false;
  return true;
}

static void plan_section(const cfg_section *sec, const host_config *hc,
                         const stratus_host_api *api, plugin_plan *item,
                         cfg_errors *errs) {
  char *label = xasprintf("[%s]", sec->name);
  cfg_section view = filter_section(sec, true);
  plugin_common *c = schema_build(&common_schema, &view, NULL, label, errs);
  free(view.entries);
  item->enabled = c->enabled;
  item->log_level = c->log_level - 1;
  item->path = plugins_path(sec, c->path, hc->host->plugin_dir, item->name);
  char err[1024];
  if (item->enabled || access(item->path, F_OK) == 0) {
    item->mod = loader_open(item->name, item->path, api, err, sizeof(err));
    if (!item->mod && item->enabled) cfg_error(errs, sec->file, sec->line, "%s", err);
  }
  if (item->mod) {
    view = filter_section(sec, false);
    item->config = schema_build(&item->mod->schema, &view, NULL, label, errs);
    free(view.entries);
  }
  if (item->mod && !item->enabled) { /* checked only */
    schema_free(&item->mod->schema, item->config);
    item->config = NULL;
    module_unref(item->mod);
    item->mod = NULL;
  }
  schema_free(&common_schema, c);
  free(label);
}

void plugins_plan_build(const cfg_snapshot *snap, const host_config *hc,
                        const stratus_host_api *api, plugins_plan *out,
                        cfg_errors *errs) {
  memset(out, 0, sizeof(*out));
  out->items = xcalloc(snap->n + 1, sizeof(plugin_plan));
  for (size_t i = 0; i < snap->n; i++) {
    const cfg_section *sec = &snap->sections[i];
    if (!str_has_prefix(sec->name, "plugin.")) continue;
    const char *name = sec->name + strlen("plugin.");
    if (!valid_plugin_name(name)) {
      cfg_error(errs, sec->file, sec->line,
                "invalid plugin name in [%s] (use a-z, 0-9, '_', '-')", sec->name);
      continue;
    }
    plugin_plan *item = &out->items[out->n++];
    item->name = xstrdup(name);
    plan_section(sec, hc, api, item, errs);
  }
}

void plugins_plan_free(plugins_plan *p) {
  for (size_t i = 0; i < p->n; i++) {
    plugin_plan *item = &p->items[i];
    if (item->mod) {
      schema_free(&item->mod->schema, item->config);
      module_unref(item->mod);
    }
    free(item->name);
    free(item->path);
  }
  free(p->items);
  memset(p, 0, sizeof(*p));
}

/* ---- applying ------------------------------------------------------------ */

void apply_report_init(apply_report *rep) {
  memset(rep, 0, sizeof(*rep));
  sb_init(&rep->summary);
}

void apply_report_free(apply_report *rep) {
  sb_free(&rep->summary);
  cfg_errors_free(&rep->failures);
}

static void note(apply_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(apply_report *rep, const char *fmt, ...) {
  va_list ap;
  if (rep->summary.len) sb_puts(&rep->summary, ", ");
  va_start(ap, fmt);
  sb_vprintf(&rep->summary, fmt, ap);
  va_end(ap);
}

static const plugin_plan *plan_find(const plugins_plan *p, const char *name) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->items[i].name, name) == 0) return &p->items[i];
  return NULL;
}

static void disable_dropped(const plugins_plan *p, apply_report *rep) {
  for (size_t i = nactive; i-- > 0;) {
    stratus_ctx *ctx = active[i];
    const plugin_plan *item = plan_find(p, ctx->name);
    if (item && item->enabled) continue;
    active_remove(i);
    note(rep, "%s disabled (generation %llu draining)", ctx->name,
         (unsigned long long)ctx->generation);
    rep->changes++;
    inst_begin_stop(ctx);
  }
}

static void fail(apply_report *rep, const char *why) {
  log_error("%s", why);
  cfg_error(&rep->failures, NULL, 0, "%s", why);
}

/* Start a new generation of item's plugin; `cur` (may be NULL) keeps
 * serving unless the new one is fully up. */
static int start_generation(plugin_plan *item, stratus_ctx *cur,
                            apply_report *rep) {
  char err[1024];
  stratus_ctx *ctx = inst_create(item->mod, item->config, item->log_level,
                                 next_generation(item->name));
  item->config = NULL;
  int rc = inst_init(ctx, err, sizeof(err));
  if (rc == 0 && (rc = inst_handover(cur, ctx, err, sizeof(err))) != 0)
    inst_discard(ctx);
  else if (rc == 0 && (rc = inst_start(ctx, err, sizeof(err))) != 0)
    inst_discard(ctx);
  if (rc != 0) {
    fail(rep, err);
    if (cur)
      log_warn("plugin '%s': generation %llu keeps serving", item->name,
               (unsigned long long)cur->generation);
    return rc;
  }
  if (cur) {
    note(rep, "%s %llu->%llu", item->name, (unsigned long long)cur->generation,
         (unsigned long long)ctx->generation);
    inst_begin_stop(cur);
  } else {
    note(rep, "%s enabled (generation %llu)", item->name,
         (unsigned long long)ctx->generation);
  }
  /* Nothing runs between the old instance's stop and this switch. */
  inst_activate(ctx);
  active_set(item->name, ctx);
  rep->changes++;
  return 0;
}

static int reconfigure(plugin_plan *item, stratus_ctx *cur, apply_report *rep) {
  int rc = cur->desc->reconfigure(cur, cur->state_ptr, item->config);
  if (rc != 0) {
    char err[512];
    snprintf(err, sizeof(err),
             "plugin '%s' generation %llu: reconfigure failed: %s (%d); the "
             "running config stays", item->name,
             (unsigned long long)cur->generation, stratus_strerror(rc), rc);
    fail(rep, err);
    return rc;
  }
  schema_free(&cur->mod->schema, cur->config);
  cur->config = item->config;
  item->config = NULL;
  note(rep, "%s reconfigured (generation %llu)", item->name,
       (unsigned long long)cur->generation);
  rep->changes++;
  return 0;
}

/* Restart-only keys keep their running values, also when new code of the
 * plugin (item->mod) replaces the running code (cur->mod). */
static void keep_restart_keys(plugin_plan *item, const stratus_ctx *cur,
                              apply_report *rep) {
  strbuf kept;
  sb_init(&kept);
  if (schema_keep_restart_keys_from(&cur->mod->schema, cur->config,
                                    &item->mod->schema, item->config, &kept)) {
    log_warn("plugin '%s': changed key(s) %s need a restart; the running "
             "values stay until then", item->name, kept.data);
    note(rep, "%s restart needed for %s", item->name, kept.data);
  }
  sb_free(&kept);
}

static int update_running(plugin_plan *item, stratus_ctx *cur,
                          apply_report *rep) {
  keep_restart_keys(item, cur, rep);
  if (cur->log_level != item->log_level) {
    cur->log_level = item->log_level;
    note(rep, "%s log level", item->name);
  }
  if (schema_equal(&cur->mod->schema, cur->config, item->config)) return 0;
  if (cur->desc->reconfigure) return reconfigure(item, cur, rep);
  return start_generation(item, cur, rep);
}

void plugins_apply(plugins_plan *p, bool startup, apply_report *rep) {
  if (!startup) disable_dropped(p, rep);
  for (size_t i = 0; i < p->n; i++) {
    plugin_plan *item = &p->items[i];
    if (!item->enabled) continue;
    stratus_ctx *cur = plugins_active(item->name);
    int rc;
    if (cur && cur->mod == item->mod) {
      rc = update_running(item, cur, rep);
    } else {
      if (cur) keep_restart_keys(item, cur, rep);
      rc = start_generation(item, cur, rep);
    }
    if (rc != 0 && startup) return;
  }
}

void plugins_stop_all(void) {
  while (nactive > 0) {
    stratus_ctx *ctx = active[nactive - 1];
    nactive--;
    log_info("stopping plugin '%s' generation %llu", ctx->name,
             (unsigned long long)ctx->generation);
    inst_begin_stop(ctx);
  }
}

void plugins_shutdown(void) {
  free(active);
  active = NULL;
  nactive = active_cap = 0;
  hm_free(&last_generation);
}
