/*
 * Stopping, in phases, each bounded by [host] shutdown_timeout:
 *  1. gRPC: GOAWAY, in-flight calls finish on the plugins that took them;
 *     /healthcheck answers 503 from now on.
 *  2. the registry and every plugin stop (in reverse order of start), and
 *     the host waits until their in-flight work drained;
 *  3. the bus flushes and closes, then database pools, outgoing gRPC
 *     connections and the HTTP listeners close and the loop runs dry.
 */
#include "shutdown.h"

#include <uv.h>

#include "api_db.h"
#include "bus/eventbus.h"
#include "daemon.h"
#include "http.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "plugins.h"
#include "registry/registry.h"
#include "reload.h"
#include "rpc.h"
#include "stratusd.h"

static uv_timer_t timer;
static uint64_t deadline;
static bool grpc_drained;

static uint64_t limit_ms(void) {
  return stratusd.config ? (uint64_t)stratusd.config->host->shutdown_timeout_ms : 10000;
}

static void close_handle(uv_handle_t *h) {
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void finish(void) {
  close_handle((uv_handle_t *)&timer);
  close_handle((uv_handle_t *)&stratusd.housekeeping);
  rpc_close();
  db_pools_close_all(NULL, NULL);
  http_stop();
  reload_loop_close();
  inst_loop_close();
  daemon_signals_close();
}

static void bus_stopped(void *ud) {
  (void)ud;
  finish();
}

static void force_destroy(void) {
  api_db_forget_all();
  loader_freeze_unloading(); /* a database worker may still run plugin code */
  list_each(it, &inst_all) {
    stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
    log_warn("plugin '%s' generation %llu still has %ld call(s) in flight; "
             "destroying it anyway", ctx->name, (unsigned long long)ctx->generation,
             ctx->inflight);
    ctx->inflight = 0;
  }
  inst_reap();
}

static void wait_plugins(uv_timer_t *t) {
  if (!list_empty(&inst_all) && uv_now(stratusd.loop) >= deadline) force_destroy();
  if (list_empty(&inst_all))
    bus_stop(bus_stopped, NULL);
  else
    uv_timer_start(t, wait_plugins, 20, 0);
}

static void stop_plugins(void) {
  registry_stop();
  plugins_stop_all();
  deadline = uv_now(stratusd.loop) + limit_ms();
  uv_timer_start(&timer, wait_plugins, 0, 0);
}

static void on_grpc_drained(void *ud) {
  (void)ud;
  grpc_drained = true;
  uv_timer_stop(&timer);
  stop_plugins();
}

static void on_grpc_drain_timeout(uv_timer_t *t) {
  (void)t;
  if (grpc_drained) return;
  log_warn("gRPC calls still open after %llums; closing their connections",
           (unsigned long long)limit_ms());
  rpc_server_close();
  stop_plugins();
}

void shutdown_init(void) { uv_timer_init(stratusd.loop, &timer); }

void shutdown_begin(const char *why) {
  if (stratusd.stopping) return;
  stratusd.stopping = true;
  log_info("stopping (%s)", why);
  notify_stopping();
  uv_timer_start(&timer, on_grpc_drain_timeout, limit_ms(), 0);
  rpc_server_drain(on_grpc_drained, NULL);
}
