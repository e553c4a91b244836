/*
 * The set of running plugins: turns the [plugin.*] sections of a config into
 * a plan (modules loaded and checked, configs validated) and applies a plan
 * to the running set: enable, disable, reconfigure, or replace a plugin with
 * a new generation.
 */
#ifndef STRATUS_HOST_PLUGINS_H
#define STRATUS_HOST_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "host_config.h"
#include "instance.h"
#include "loader.h"

typedef struct plugin_plan {
  char *name;
  bool enabled;
  char *path;
  int log_level;    /* -1: the global level */
  module *mod;      /* referenced; NULL when disabled */
  void *config;     /* built from mod->schema; NULL once consumed */
} plugin_plan;

typedef struct plugins_plan {
  plugin_plan *items;
  size_t n;
} plugins_plan;

typedef struct apply_report {
  strbuf summary;     /* "hello 2->3, realid enabled (1), ..." */
  cfg_errors failures;
  int changes;
} apply_report;

/* Check every [plugin.*] section of snap; errors go to errs. */
void plugins_plan_build(const cfg_snapshot *snap, const host_config *hc,
                        const stratus_host_api *api, plugins_plan *out,
                        cfg_errors *errs);
void plugins_plan_free(plugins_plan *p);

/* Apply a checked plan. At startup the first failure stops the apply. */
void plugins_apply(plugins_plan *p, bool startup, apply_report *rep);
void apply_report_init(apply_report *rep);
void apply_report_free(apply_report *rep);

/* The .so of plugin `name`: `path` as set in `sec` (relative to its file),
 * or <plugin_dir>/<name>.so when path is empty. Caller frees. */
char *plugins_path(const cfg_section *sec, const char *path,
                   const char *plugin_dir, const char *name);
/* The keys every [plugin.*] section has (enabled, path, log_level). */
void plugins_describe_common(FILE *out);

/* Stop every active plugin, in reverse order of start. */
void plugins_stop_all(void);
/* Active instances in start order. */
size_t plugins_active_count(void);
stratus_ctx *plugins_active_at(size_t i);
stratus_ctx *plugins_active(const char *name);
void plugins_shutdown(void);

#endif
