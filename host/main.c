/* stratusd: the cluster services host. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "admin.h"
#include "api.h"
#include "api_db.h"
#include "bus/eventbus.h"
#include "daemon.h"
#include "http.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "plugins.h"
#include "reload.h"
#include "stratusd.h"

#ifndef STRATUS_VERSION
#define STRATUS_VERSION "0.0.0"
#endif
#ifndef STRATUS_DEFAULT_CONFIG
#define STRATUS_DEFAULT_CONFIG "/etc/stratus/stratus.ini"
#endif

stratusd_state stratusd;

static uv_signal_t sig_hup, sig_term, sig_int;
static uv_timer_t shutdown_timer;
static uint64_t shutdown_deadline;

static void usage(FILE *out) {
  fprintf(out,
          "usage: stratusd [-c FILE] [--check-config [FILE]] [--version]\n"
          "  -c, --config FILE       configuration (default %s)\n"
          "      --check-config [FILE]  validate the configuration and exit\n"
          "      --version           print the version and ABI and exit\n",
          STRATUS_DEFAULT_CONFIG);
}

static void close_handle(uv_handle_t *h) {
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void finish_shutdown(void) {
  uv_timer_stop(&shutdown_timer);
  close_handle((uv_handle_t *)&shutdown_timer);
  close_handle((uv_handle_t *)&sig_hup);
  close_handle((uv_handle_t *)&sig_term);
  close_handle((uv_handle_t *)&sig_int);
  close_handle((uv_handle_t *)&stratusd.housekeeping);
  reload_loop_close();
  inst_loop_close();
  db_pools_close_all(NULL, NULL);
}

static void force_destroy(void) {
  api_db_forget_all();
  list_each(it, &inst_all) {
    stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
    log_warn("plugin '%s' generation %llu still has %ld call(s) in flight; "
             "destroying it anyway", ctx->name,
             (unsigned long long)ctx->generation, ctx->inflight);
    ctx->inflight = 0;
  }
  inst_reap();
}

static void bus_stopped(void *ud) {
  (void)ud;
  finish_shutdown();
}

/* Polls until every instance drained, or the shutdown timeout passed. */
static void check_drained(uv_timer_t *t) {
  if (!list_empty(&inst_all) && uv_now(stratusd.loop) >= shutdown_deadline)
    force_destroy();
  if (list_empty(&inst_all))
    bus_stop(bus_stopped, NULL); /* the bus goes after the plugins */
  else
    uv_timer_start(t, check_drained, 20, 0);
}

static void start_drain_wait(void) {
  int64_t limit = stratusd.config ? stratusd.config->host->shutdown_timeout_ms
                                  : 10000;
  shutdown_deadline = uv_now(stratusd.loop) + (uint64_t)limit;
  uv_timer_start(&shutdown_timer, check_drained, 0, 0);
}

static void begin_shutdown(const char *why) {
  if (stratusd.stopping) return;
  stratusd.stopping = true;
  log_info("stopping (%s)", why);
  notify_stopping();
  http_stop();
  plugins_stop_all();
  start_drain_wait();
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)s;
  if (signum == SIGHUP) {
    log_info("SIGHUP: reloading %s", stratusd.config_path);
    reload_schedule();
  } else {
    begin_shutdown(signum == SIGTERM ? "SIGTERM" : "SIGINT");
  }
}

static void drain_watch(uv_timer_t *t) {
  (void)t;
  uint64_t now = uv_now(stratusd.loop);
  int64_t warn_ms = stratusd.config->host->drain_warn_ms;
  list_each(it, &inst_all) {
    stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
    if (ctx->state != INST_STOPPING || ctx->drain_warned) continue;
    if ((int64_t)(now - ctx->stopping_ms) < warn_ms) continue;
    ctx->drain_warned = true;
    log_warn("plugin '%s' generation %llu has drained for %llds with %ld call(s) "
             "still in flight", ctx->name, (unsigned long long)ctx->generation,
             (long long)(now - ctx->stopping_ms) / 1000, ctx->inflight);
  }
}

static void start_signals(void) {
  uv_signal_start(&sig_hup, on_signal, SIGHUP);
  uv_signal_start(&sig_term, on_signal, SIGTERM);
  uv_signal_start(&sig_int, on_signal, SIGINT);
}

static int start_listeners(void) {
  char err[512];
  const http_section *h = stratusd.config->http;
  if (http_start(h->listen, h->admin_socket, admin_route, err, sizeof(err)) != 0) {
    log_error("%s", err);
    return -1;
  }
  return 0;
}

static void init_state(const char *config_path) {
  memset(&stratusd, 0, sizeof(stratusd));
  stratusd.config_path = config_path;
  api_build(&stratusd.api, STRATUS_VERSION);
}

static int run(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  stratusd.loop = &loop;
  stratusd.started_ms = uv_now(&loop);
  stratusd.started_wall = clock_wall_s();
  inst_loop_init(&loop);
  reload_loop_init();
  reload_metrics_init();
  admin_metrics_init();
  uv_timer_init(&loop, &shutdown_timer);
  uv_timer_init(&loop, &stratusd.housekeeping);
  uv_signal_init(&loop, &sig_hup);
  uv_signal_init(&loop, &sig_term);
  uv_signal_init(&loop, &sig_int);
  signal(SIGPIPE, SIG_IGN);
  log_info("stratusd %s (ABI %d.%d) starting with %s", STRATUS_VERSION,
           STRATUS_ABI_MAJOR, STRATUS_ABI_MINOR, stratusd.config_path);
  int rc = reload_run(RELOAD_STARTUP);
  const char *pid_file = stratusd.config ? stratusd.config->host->pid_file : "";
  if (rc == 0 && *pid_file && pidfile_write(pid_file) != 0) {
    log_error("cannot write pid file %s", pid_file);
    rc = -1;
  }
  if (rc == 0) rc = start_listeners();
  if (rc == 0) {
    start_signals();
    uv_timer_start(&stratusd.housekeeping, drain_watch, 1000, 1000);
    stratusd.ready = true;
    notify_ready(stratusd.last_reload.message);
    log_info("ready: %zu plugin(s) active", plugins_active_count());
  } else {
    stratusd.stopping = true;
    http_stop();
    plugins_stop_all();
    start_drain_wait();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  pidfile_remove();
  plugins_shutdown();
  loader_shutdown();
  host_config_free(stratusd.config);
  bus_shutdown();
  metrics_shutdown();
  return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"check-config", no_argument, NULL, 'C'},
      {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = STRATUS_DEFAULT_CONFIG;
  bool check = false;
  int opt;
  log_init();
  while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': config = optarg; break;
    case 'C': check = true; break;
    case 'V':
      printf("stratusd %s (plugin ABI %d.%d)\n", STRATUS_VERSION,
             STRATUS_ABI_MAJOR, STRATUS_ABI_MINOR);
      return 0;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (check && optind < argc) config = argv[optind++];
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  init_state(config);
  if (check) {
    int rc = check_config(config, stdout);
    loader_shutdown();
    return rc;
  }
  return run();
}
