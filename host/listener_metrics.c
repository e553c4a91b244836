/* Metrics of the listeners: connection guards (conn_guard.h) and HTTP
 * timeouts, brought up to date on each /metrics scrape. */
#include "admin.h"
#include "conn_guard.h"
#include "http.h"
#include "metrics.h"

static stratus_metric *conns_open, *conns_shed, *conns_refused, *accept_errors,
    *http_timeouts, *http_paused;

void listener_metrics_init(void) {
  static const char *const listener[] = {"listener", NULL};
  static const char *const reason[] = {"reason", NULL};
  conns_open = metrics_host(STRATUS_METRIC_GAUGE, "stratus_connections_open",
                            "Open connections, by listener (grpc, http, admin)", listener);
  conns_shed = metrics_host(STRATUS_METRIC_COUNTER, "stratus_connections_shed_total",
                            "Idle connections closed to make room for new ones at the "
                            "connection or descriptor limit", listener);
  conns_refused = metrics_host(STRATUS_METRIC_COUNTER, "stratus_connections_refused_total",
                               "New connections closed at once: the listener was full and "
                               "had no idle connection to close", listener);
  accept_errors = metrics_host(STRATUS_METRIC_COUNTER, "stratus_accept_errors_total",
                               "Failed accepts (EMFILE, ENFILE, ENOMEM...)", listener);
  http_timeouts = metrics_host(STRATUS_METRIC_COUNTER, "stratus_http_connections_timed_out_total",
                               "HTTP connections closed by handshake_timeout, "
                               "header_timeout or idle_timeout", reason);
  http_paused = metrics_host(STRATUS_METRIC_COUNTER, "stratus_http_reads_paused_total",
                             "Times an HTTP connection stopped reading because its unsent "
                             "output passed max_pending_output", NULL);
}

/* Brings a counter up to a running total kept elsewhere. */
static void add_up_to(stratus_metric *m, const char *const *labels, uint64_t total) {
  metrics_add(m, labels, (double)total - metrics_value(m, labels));
}

void listener_metrics_refresh(void) {
  for (const conn_guard *g = conn_guard_list(); g; g = g->next) {
    const char *v[] = {g->name};
    metrics_set(conns_open, v, g->open);
    add_up_to(conns_shed, v, g->shed);
    add_up_to(conns_refused, v, g->refused);
    add_up_to(accept_errors, v, g->accept_errors);
  }
  const http_stats *st = http_get_stats();
  const char *const kinds[] = {"handshake", "header", "idle"};
  const uint64_t counts[] = {st->handshake_timeouts, st->header_timeouts, st->idle_timeouts};
  for (size_t i = 0; i < 3; i++) add_up_to(http_timeouts, &kinds[i], counts[i]);
  add_up_to(http_paused, NULL, st->paused_reads);
}

