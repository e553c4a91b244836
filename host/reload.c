#include "reload.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_db.h"
#include "bus/eventbus.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "plugins.h"
#include "registry/registry.h"
#include "stratusd.h"
#include "util.h"

static stratus_metric *reloads_total;
static uv_timer_t reload_timer;
static bool timer_ready;

void reload_metrics_init(void) {
  static const char *const labels[] = {"outcome", NULL};
  reloads_total = metrics_host(STRATUS_METRIC_COUNTER, "stratus_reloads_total",
                               "Config reloads by outcome", labels);
}

static void set_outcome(const char *outcome, char *message, cfg_errors *errs) {
  reload_outcome *o = &stratusd.last_reload;
  free(o->message);
  for (size_t i = 0; i < o->nerrors; i++) free(o->errors[i]);
  free(o->errors);
  o->outcome = outcome;
  o->message = message;
  o->errors = errs ? errs->msgs : NULL;
  o->nerrors = errs ? errs->n : 0;
  if (errs) memset(errs, 0, sizeof(*errs));
  o->at = clock_wall_s();
  o->seq++;
  const char *values[] = {outcome};
  metrics_add(reloads_total, values, 1);
}

typedef struct candidate {
  cfg_snapshot *snap;
  host_config *hc;
  plugins_plan plan;
  cfg_errors errs;
} candidate;

/* Parse and validate everything; errs is empty when the candidate is good. */
static void candidate_build(candidate *c, const char *path) {
  memset(c, 0, sizeof(*c));
  c->snap = cfg_load(path);
  cfg_errors_move(&c->errs, &c->snap->errors);
  if (c->errs.n) return;
  c->hc = host_config_build(c->snap, &c->errs);
  plugins_plan_build(c->snap, c->hc, &stratusd.api, &c->plan, &c->errs);
}

static void candidate_free(candidate *c) {
  plugins_plan_free(&c->plan);
  host_config_free(c->hc);
  cfg_free(c->snap);
  cfg_errors_free(&c->errs);
}

static void reject(candidate *c, reload_mode mode) {
  for (size_t i = 0; i < c->errs.n; i++) log_error("%s", c->errs.msgs[i]);
  char *msg = xasprintf("%s rejected: %zu error(s) in %s; %s",
                        mode == RELOAD_STARTUP ? "configuration" : "reload",
                        c->errs.n, stratusd.config_path,
                        mode == RELOAD_STARTUP ? "not starting"
                                               : "keeping the running config");
  log_error("%s", msg);
  set_outcome("rejected", msg, &c->errs);
}

/* Host settings of the candidate replace the running ones. */
static void apply_host(candidate *c, apply_report *rep) {
  if (stratusd.config) {
    strbuf kept;
    sb_init(&kept);
    if (host_config_keep_restart(stratusd.config, c->hc, &kept)) {
      log_warn("changed host key(s) %s need a restart; the running values "
               "stay until then", kept.data);
      sb_printf(&rep->summary, "%srestart needed for %s",
                rep->summary.len ? ", " : "", kept.data);
    }
    sb_free(&kept);
  }
  if (!stratusd.config || stratusd.config->log->level != c->hc->log->level)
    log_set_level(c->hc->log->level);
  host_config_free(stratusd.config);
  stratusd.config = c->hc;
  c->hc = NULL;
}

/* Database pools follow the [db.*] sections now in force. */
static void apply_db(apply_report *rep) {
  char err[2048];
  int n = db_pools_apply(stratusd.loop, stratusd.config, err, sizeof(err));
  if (n < 0) {
    cfg_error(&rep->failures, NULL, 0, "%s", err);
  } else if (n > 0) {
    rep->changes += n;
    sb_printf(&rep->summary, "%s%d db pool(s) changed", rep->summary.len ? ", " : "", n);
  }
}

/* The event bus follows [bus]: up before the first plugin starts, switched
 * to new settings on reload. */
static void apply_bus(reload_mode mode, apply_report *rep) {
  char err[1024];
  const bus_section *b = stratusd.config->bus;
  int n = mode == RELOAD_STARTUP ? bus_start(stratusd.loop, b, err, sizeof(err))
                                 : bus_apply(b, err, sizeof(err));
  if (n < 0) {
    log_error("%s", err);
    cfg_error(&rep->failures, NULL, 0, "%s", err);
  } else if (n > 0) {
    rep->changes++;
    sb_printf(&rep->summary, "%sbus changed", rep->summary.len ? ", " : "");
  }
}

/* The servers registry follows [discovery], [health] and [registry]; at start it comes
 * up before the plugins so that they can query it from init. */
static void apply_registry(reload_mode mode, apply_report *rep) {
  char err[512];
  if (mode == RELOAD_RUNTIME) {
    registry_apply(stratusd.config);
  } else if (registry_start(stratusd.config, err, sizeof(err)) != 0) {
    log_error("%s", err);
    cfg_error(&rep->failures, NULL, 0, "%s", err);
  }
}

static int finish(reload_mode mode, apply_report *rep) {
  const char *outcome = rep->failures.n ? "partial"
                        : rep->changes  ? "ok"
                                        : "unchanged";
  stratusd.config_generation++;
  char *msg = xasprintf("%s %llu: %s (%s)",
                        mode == RELOAD_STARTUP ? "start" : "reload",
                        (unsigned long long)stratusd.config_generation, outcome,
                        rep->summary.len ? rep->summary.data : "no changes");
  if (rep->failures.n)
    log_warn("%s; %zu failure(s)", msg, rep->failures.n);
  else
    log_info("%s", msg);
  set_outcome(outcome, msg, &rep->failures);
  return 0;
}

int reload_run(reload_mode mode) {
  candidate c;
  if (mode == RELOAD_RUNTIME) notify_reloading();
  candidate_build(&c, stratusd.config_path);
  int rc = -1;
  if (c.errs.n) {
    reject(&c, mode);
  } else {
    apply_report rep;
    apply_report_init(&rep);
    apply_host(&c, &rep);
    apply_db(&rep);
    apply_bus(mode, &rep);
    apply_registry(mode, &rep);
    if (mode == RELOAD_RUNTIME || rep.failures.n == 0)
      plugins_apply(&c.plan, mode == RELOAD_STARTUP, &rep);
    if (mode == RELOAD_STARTUP && rep.failures.n) {
      set_outcome("failed", xstrdup(rep.failures.msgs[0]), &rep.failures);
    } else {
      rc = finish(mode, &rep);
    }
    apply_report_free(&rep);
  }
  candidate_free(&c);
  if (mode == RELOAD_RUNTIME) notify_ready(stratusd.last_reload.message);
  return rc;
}

static void on_reload_timer(uv_timer_t *t) {
  UNUSED(t);
  if (!stratusd.stopping) reload_run(RELOAD_RUNTIME);
}

void reload_loop_init(void) {
  uv_timer_init(stratusd.loop, &reload_timer);
  timer_ready = true;
}

void reload_loop_close(void) {
  if (!timer_ready) return;
  timer_ready = false;
  uv_close((uv_handle_t *)&reload_timer, NULL);
}

void reload_schedule(void) {
  /* Restarting a pending zero timer keeps one reload for a burst. */
  if (timer_ready) uv_timer_start(&reload_timer, on_reload_timer, 0, 0);
}

int check_config(const char *path, FILE *out) {
  candidate c;
  candidate_build(&c, path);
  for (size_t i = 0; i < c.errs.n; i++) fprintf(out, "%s\n", c.errs.msgs[i]);
  int rc = c.errs.n ? 1 : 0;
  if (rc == 0) {
    size_t enabled = 0;
    for (size_t i = 0; i < c.plan.n; i++) enabled += c.plan.items[i].enabled;
    fprintf(out, "%s: configuration OK (%zu plugin section(s), %zu enabled)\n",
            path, c.plan.n, enabled);
  } else {
    fprintf(out, "%s: %zu error(s)\n", path, c.errs.n);
  }
  candidate_free(&c);
  return rc;
}
