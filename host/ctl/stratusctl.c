/* stratusctl: talk to a running stratusd (status, reload) and check configs. */
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl_http.h"
#include "host_config.h"
#include "migrate.h"
#include "paths.h"

#ifndef STRATUS_DEFAULT_CONFIG
#define STRATUS_DEFAULT_CONFIG "/etc/stratus/stratus.ini"
#endif
#ifndef STRATUS_SBINDIR
#define STRATUS_SBINDIR "/usr/sbin"
#endif

typedef struct options {
  const char *config;
  bool config_given;
  const char *socket;
  bool json;
  migrate_opts migrate;
} options;

static void usage(FILE *out, const char *config) {
  fprintf(out,
          "usage: stratusctl [-c FILE] [-s SOCKET] [--json] COMMAND\n"
          "commands:\n"
          "  status             version, uptime, config generation, plugins\n"
          "  reload             reload the configuration now and show the outcome\n"
          "  check-config [FILE]  validate a configuration offline\n"
          "  config             every section and key: type, range, default,\n"
          "                     reloadable or restart-only, help\n"
          "  migrate [--db NAME] [--dry-run] [--sql-dir DIR] [--plugin-sql DIR]\n"
          "                     apply pending sql/<kind>/NNNN_*.sql migrations,\n"
          "                     Stratus's own and each plugin's\n"
          "options:\n"
          "  -c, --config FILE  configuration (default %s)\n"
          "  -s, --socket PATH  admin socket (default: [http] admin_socket)\n"
          "      --json         print the daemon's JSON as it is\n",
          config);
}

/* The admin socket named by the config, or NULL with a message printed. */
static char *admin_socket_of(const char *config) {
  cfg_snapshot *snap = cfg_load(config);
  cfg_errors errs = {0};
  char *path = NULL;
  if (snap->errors.n == 0) {
    host_config *hc = host_config_build(snap, &errs);
    if (*hc->http->admin_socket) path = strdup(hc->http->admin_socket);
    host_config_free(hc);
  }
  for (size_t i = 0; i < snap->errors.n; i++)
    fprintf(stderr, "%s\n", snap->errors.msgs[i]);
  if (!path && snap->errors.n == 0)
    fprintf(stderr, "%s: [http] admin_socket is empty; use -s PATH\n", config);
  cfg_errors_free(&errs);
  cfg_free(snap);
  return path;
}

static json_t *fetch(const options *o, const char *method, const char *path,
                     long *status) {
  char *sock = o->socket ? strdup(o->socket) : admin_socket_of(o->config);
  if (!sock) return NULL;
  strbuf body;
  char err[512];
  sb_init(&body);
  *status = ctl_request(sock, method, path, &body, err, sizeof(err));
  free(sock);
  json_t *doc = NULL;
  if (*status < 0) {
    fprintf(stderr, "stratusctl: %s\n", err);
  } else if (o->json) {
    fputs(body.data, stdout);
    doc = json_object();
  } else if (!(doc = json_loads(body.data, 0, NULL))) {
    fprintf(stderr, "stratusctl: unexpected answer (HTTP %ld): %s\n", *status,
            body.data);
  }
  sb_free(&body);
  return doc;
}

static const char *str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static void print_plugin(json_t *p) {
  printf("  %-16s %-10s gen %-4lld %-9s inflight %lld\n", str(p, "name"),
         str(p, "version"), (long long)json_integer_value(json_object_get(p, "generation")),
         str(p, "state"), (long long)json_integer_value(json_object_get(p, "inflight")));
}

static int cmd_status(const options *o) {
  long status;
  json_t *doc = fetch(o, "GET", "/status", &status);
  if (!doc) return 1;
  if (!o->json) {
    json_t *rl = json_object_get(doc, "last_reload");
    printf("stratusd %s (ABI %s), pid %lld, up %.0fs\n", str(doc, "version"),
           str(doc, "abi"), (long long)json_integer_value(json_object_get(doc, "pid")),
           json_number_value(json_object_get(doc, "uptime_seconds")));
    printf("config %s, generation %lld, %s\n", str(doc, "config"),
           (long long)json_integer_value(json_object_get(doc, "config_generation")),
           json_is_true(json_object_get(doc, "ready")) ? "ready" : "not ready");
    printf("last reload: %s\n", str(rl, "message"));
    size_t i;
    json_t *p;
    printf("plugins:\n");
    json_array_foreach(json_object_get(doc, "plugins"), i, p) print_plugin(p);
    json_t *draining = json_object_get(doc, "draining");
    if (json_array_size(draining)) printf("draining:\n");
    json_array_foreach(draining, i, p) print_plugin(p);
  }
  json_decref(doc);
  return status == 200 ? 0 : 1;
}

static int cmd_reload(const options *o) {
  long status;
  json_t *doc = fetch(o, "POST", "/reload", &status);
  if (!doc) return 1;
  int rc = status == 200 && (o->json || json_is_true(json_object_get(doc, "accepted")))
               ? 0 : 1;
  if (!o->json) {
    printf("%s\n", str(doc, "message"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "errors"), i, e)
      printf("  %s\n", json_string_value(e));
    if (strcmp(str(doc, "outcome"), "partial") == 0) rc = 1;
  }
  json_decref(doc);
  return rc;
}

/* Validating and describing need the plugins' schemas, which only
 * stratusd can load: run the stratusd beside this program, or the installed
 * one. */
static int exec_stratusd(const char *arg, const char *config) {
  char self[PATH_MAX], sibling[PATH_MAX + 16];
  const char *daemon = getenv("STRATUSD");
  char *installed = install_path(STRATUS_SBINDIR "/stratusd");
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (!daemon && n > 0) {
    self[n] = '\0';
    snprintf(sibling, sizeof(sibling), "%s/stratusd", dirname(self));
    if (access(sibling, X_OK) == 0) daemon = sibling;
  }
  if (!daemon) daemon = installed;
  if (config)
    execl(daemon, daemon, arg, config, (char *)NULL);
  else
    execl(daemon, daemon, arg, (char *)NULL);
  fprintf(stderr, "stratusctl: cannot run %s: %m\n", daemon);
  free(installed);
  return 1;
}

/* -1: carry on; else the exit status. */
static int parse_args(int argc, char **argv, options *o) {
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"socket", required_argument, NULL, 's'},
      {"json", no_argument, NULL, 'j'},
      {"db", required_argument, NULL, 'D'},
      {"dry-run", no_argument, NULL, 'n'},
      {"sql-dir", required_argument, NULL, 'S'},
      {"plugin-sql", required_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': o->config = optarg; o->config_given = true; break;
    case 's': o->socket = optarg; break;
    case 'j': o->json = true; break;
    case 'D': o->migrate.db = optarg; break;
    case 'n': o->migrate.dry_run = true; break;
    case 'S': o->migrate.sql_dir = optarg; break;
    case 'P': o->migrate.plugin_sql = optarg; break;
    case 'h': usage(stdout, o->config); return 0;
    default: usage(stderr, o->config); return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr, o->config);
    return 2;
  }
  return -1;
}

static int run_command(int argc, char **argv, options *o) {
  const char *cmd = argv[optind++];
  if (strcmp(cmd, "status") == 0 && optind == argc) return cmd_status(o);
  if (strcmp(cmd, "reload") == 0 && optind == argc) return cmd_reload(o);
  if (strcmp(cmd, "migrate") == 0 && optind == argc) {
    o->migrate.config = o->config;
    return cmd_migrate(&o->migrate);
  }
  if (strcmp(cmd, "check-config") == 0 && optind + 1 >= argc)
    return exec_stratusd("--check-config", optind < argc ? argv[optind] : o->config);
  if (strcmp(cmd, "config") == 0 && optind == argc) {
    if (!o->config_given) return exec_stratusd("--describe-config", NULL);
    char *arg = xasprintf("--config=%s", o->config);
    int rc = exec_stratusd("--describe-config", arg); /* returns only on failure */
    free(arg);
    return rc;
  }
  usage(stderr, o->config);
  return 2;
}

int main(int argc, char **argv) {
  char *default_config = install_path(STRATUS_DEFAULT_CONFIG);
  options o = {.config = default_config};
  int rc = parse_args(argc, argv, &o);
  if (rc < 0) rc = run_command(argc, argv, &o);
  free(default_config);
  return rc;
}
