/* stratusd: the cluster services host. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "admin.h"
#include "api.h"
#include "bus/eventbus.h"
#include "conn_guard.h"
#include "daemon.h"
#include "describe.h"
#include "http.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "paths.h"
#include "plugins.h"
#include "reload.h"
#include "rpc.h"
#include "shutdown.h"
#include "stratusd.h"

#ifndef STRATUS_VERSION
#define STRATUS_VERSION "0.0.0"
#endif
#ifndef STRATUS_DEFAULT_CONFIG
#define STRATUS_DEFAULT_CONFIG "/etc/stratus/stratus.ini"
#endif

stratusd_state stratusd;

static void usage(FILE *out, const char *config) {
  fprintf(out,
          "usage: stratusd [-c FILE] [--check-config [FILE]] [--describe-config]\n"
          "                [--version]\n"
          "  -c, --config FILE       configuration (default %s)\n"
          "      --check-config [FILE]  validate the configuration and exit\n"
          "      --describe-config   print every section and key (type, range,\n"
          "                          default, reloadable or restart-only, help)\n"
          "      --version           print the version and ABI and exit\n",
          config);
}

static void on_hup(void) {
  log_info("SIGHUP: reloading %s", stratusd.config_path);
  reload_schedule();
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

/* HTTP and gRPC listeners, bound once every plugin is up. */
static int start_listeners(void) {
  char err[512];
  const host_config *hc = stratusd.config;
  const http_section *h = hc->http;
  http_limits lim = {.max_connections = (uint32_t)h->max_connections,
                     .admin_max_connections = (uint32_t)h->admin_max_connections,
                     .max_pending_output = h->max_pending_output,
                     .handshake_timeout_ms = (uint32_t)h->handshake_timeout_ms,
                     .header_timeout_ms = (uint32_t)h->header_timeout_ms,
                     .idle_timeout_ms = (uint32_t)h->idle_timeout_ms};
  conn_guard_set_reserve((uint32_t)hc->host->reserve_fds);
  int rc = http_start(h->listen, h->admin_socket, &lim, admin_route, err, sizeof(err));
  if (rc == 0) rc = rpc_server_start(hc, err, sizeof(err));
  if (rc != 0) log_error("%s", err);
  return rc;
}

static int start(void) {
  int rc = reload_run(RELOAD_STARTUP);
  const char *pid_file = stratusd.config ? stratusd.config->host->pid_file : "";
  if (rc == 0 && *pid_file && pidfile_write(pid_file) != 0) {
    log_error("cannot write pid file %s", pid_file);
    rc = -1;
  }
  if (rc == 0) rc = start_listeners();
  return rc;
}

static void init_loop(uv_loop_t *loop) {
  uv_loop_init(loop);
  stratusd.loop = loop;
  stratusd.started_ms = uv_now(loop);
  stratusd.started_wall = clock_wall_s();
  inst_loop_init(loop);
  reload_loop_init();
  reload_metrics_init();
  admin_metrics_init();
  rpc_init();
  shutdown_init();
  daemon_signals_init(loop);
  uv_timer_init(loop, &stratusd.housekeeping);
}

static void free_all(void) {
  pidfile_remove();
  rpc_shutdown();
  plugins_shutdown();
  loader_shutdown();
  host_config_free(stratusd.config);
  bus_shutdown();
  metrics_shutdown();
}

static int run(void) {
  uv_loop_t loop;
  init_loop(&loop);
  log_info("stratusd %s (ABI %d.%d) starting with %s", STRATUS_VERSION,
           STRATUS_ABI_MAJOR, STRATUS_ABI_MINOR, stratusd.config_path);
  int rc = start();
  if (rc == 0) {
    daemon_signals_start(on_hup, shutdown_begin);
    uv_timer_start(&stratusd.housekeeping, drain_watch, 1000, 1000);
    stratusd.ready = true;
    notify_ready(stratusd.last_reload.message);
    log_info("ready: %zu plugin(s) active", plugins_active_count());
  } else {
    shutdown_begin("startup failed");
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  free_all();
  return rc == 0 ? 0 : 1;
}

typedef enum mode { MODE_RUN, MODE_CHECK, MODE_DESCRIBE } mode;

typedef struct options {
  const char *config;
  bool config_given;
  mode mode;
} options;

/* -1: carry on; else the exit status. */
static int parse_args(int argc, char **argv, options *o) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"check-config", no_argument, NULL, 'C'},
      {"describe-config", no_argument, NULL, 'D'},
      {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': o->config = optarg; o->config_given = true; break;
    case 'C': o->mode = MODE_CHECK; break;
    case 'D': o->mode = MODE_DESCRIBE; break;
    case 'V':
      printf("stratusd %s (plugin ABI %d.%d)\n", STRATUS_VERSION,
             STRATUS_ABI_MAJOR, STRATUS_ABI_MINOR);
      return 0;
    case 'h': usage(stdout, o->config); return 0;
    default: usage(stderr, o->config); return 2;
    }
  }
  if (o->mode == MODE_CHECK && optind < argc) o->config = argv[optind++];
  if (optind < argc) {
    usage(stderr, o->config);
    return 2;
  }
  return -1;
}

int main(int argc, char **argv) {
  char *default_config = install_path(STRATUS_DEFAULT_CONFIG);
  options o = {.config = default_config};
  log_init();
  int rc = parse_args(argc, argv, &o);
  if (rc < 0) {
    memset(&stratusd, 0, sizeof(stratusd));
    stratusd.config_path = o.config;
    api_build(&stratusd.api, STRATUS_VERSION);
    if (o.mode == MODE_RUN) {
      rc = run();
    } else {
      rc = o.mode == MODE_CHECK ? check_config(o.config, stdout)
                                : describe_config(o.config, o.config_given, stdout);
      loader_shutdown();
    }
  }
  free(default_config);
  return rc;
}
