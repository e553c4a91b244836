/*
 * The registry's own metrics: processes per realm and state (gauges, counted
 * when /metrics is read), probes by kind and result with their latency, and
 * counters of evictions, degradations and re-admissions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "registry.h"
#include "util.h"

static stratus_metric *game_servers, *gateways, *probes, *probe_seconds, *evictions,
    *degradations, *readmissions;
static char **realms_seen; /* realm labels ever set, so that emptied ones read 0 */
static size_t nseen, seen_cap;

void registry_metrics_init(void) {
  static const char *const realm_state[] = {"realm", "state", NULL};
  static const char *const kind_result[] = {"kind", "result", NULL};
  static const char *const kind[] = {"kind", NULL};
  static const char *const role[] = {"role", NULL};
  static const char *const reason[] = {"reason", NULL};
  if (game_servers) return; /* families live for the process */
  game_servers = metrics_host(STRATUS_METRIC_GAUGE, "stratus_registry_game_servers",
                              "Game servers by realm and state (healthy, degraded, suspect)",
                              realm_state);
  gateways = metrics_host(STRATUS_METRIC_GAUGE, "stratus_registry_gateways",
                          "Gateways by realm and state (healthy, suspect)", realm_state);
  probes = metrics_host(STRATUS_METRIC_COUNTER, "stratus_registry_probes_total",
                        "Health checks (health), /metrics scrapes (metrics) and probes of "
                        "evicted processes (suspect), by result", kind_result);
  probe_seconds = metrics_host(STRATUS_METRIC_HISTOGRAM, "stratus_registry_probe_seconds",
                               "Latency of health probes, by kind", kind);
  evictions = metrics_host(STRATUS_METRIC_COUNTER, "stratus_registry_evictions_total",
                           "Processes evicted after failed health checks, by role", role);
  degradations = metrics_host(STRATUS_METRIC_COUNTER, "stratus_registry_degradations_total",
                              "Game servers degraded (no new players), by reason "
                              "(world_loop: 503/504 answers, metrics: failed scrapes)", reason);
  readmissions = metrics_host(STRATUS_METRIC_COUNTER, "stratus_registry_readmissions_total",
                              "Evicted processes restored after answering again, by role",
                              role);
}

void registry_metric_probe(const char *kind, const char *result, double seconds) {
  const char *labels[] = {kind, result};
  metrics_add(probes, labels, 1);
  metrics_observe(probe_seconds, labels, seconds);
}

void registry_metric_eviction(const char *role) {
  const char *labels[] = {role};
  metrics_add(evictions, labels, 1);
}

void registry_metric_degradation(const char *reason) {
  const char *labels[] = {reason};
  metrics_add(degradations, labels, 1);
}

void registry_metric_readmission(const char *role) {
  const char *labels[] = {role};
  metrics_add(readmissions, labels, 1);
}

/* ---- gauges ---------------------------------------------------------------- */

static void realm_label(uint32_t realm, bool crossrealm, char *buf, size_t len) {
  if (crossrealm) snprintf(buf, len, "crossrealm");
  else snprintf(buf, len, "%u", realm);
  for (size_t i = 0; i < nseen; i++)
    if (strcmp(realms_seen[i], buf) == 0) return;
  grow_array((void **)&realms_seen, &seen_cap, nseen + 1, sizeof(char *));
  realms_seen[nseen++] = xstrdup(buf);
}

static void bump(stratus_metric *m, uint32_t realm, bool crossrealm, const char *state) {
  char label[24];
  realm_label(realm, crossrealm, label, sizeof(label));
  const char *labels[] = {label, state};
  metrics_set(m, labels, metrics_value(m, labels) + 1);
}

static int count_gs(game_server *gs, void *ud) {
  (void)ud;
  bump(game_servers, gs->realm_id, gs->crossrealm, gs->health.degraded ? "degraded" : "healthy");
  return 0;
}

static int count_gw(gateway *gw, void *ud) {
  (void)ud;
  bump(gateways, gw->realm_id, gw->crossrealm, "healthy");
  return 0;
}

static void count_suspect(bool is_gs, uint32_t realm, bool crossrealm) {
  bump(is_gs ? game_servers : gateways, realm, crossrealm, "suspect");
}

void registry_refresh_metrics(void) {
  static const char *const states[] = {"healthy", "degraded", "suspect"};
  if (!game_servers) return;
  for (size_t i = 0; i < nseen; i++)
    for (size_t s = 0; s < ARRAY_LEN(states); s++) {
      const char *labels[] = {realms_seen[i], states[s]};
      metrics_set(game_servers, labels, 0);
      if (s != 1) metrics_set(gateways, labels, 0);
    }
  registry_store *st = registry_state();
  if (st) {
    st->gs_each(st, count_gs, NULL);
    st->gw_each(st, count_gw, NULL);
  }
  suspects_each(count_suspect);
}

void registry_metrics_close(void) {
  for (size_t i = 0; i < nseen; i++) free(realms_seen[i]);
  free(realms_seen);
  realms_seen = NULL;
  nseen = seen_cap = 0;
}
