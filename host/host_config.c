#include "host_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#ifndef STRATUS_PLUGIN_DIR
#define STRATUS_PLUGIN_DIR "/usr/lib/stratus/plugins"
#endif

/* The installed plugin directory, moved with a relocated install. */
static char plugin_dir_default[4096] = STRATUS_PLUGIN_DIR;

void host_config_locate_defaults(void) {
  static bool done;
  if (done) return;
  done = true;
  char *dir = install_path(STRATUS_PLUGIN_DIR);
  snprintf(plugin_dir_default, sizeof(plugin_dir_default), "%s", dir);
  free(dir);
}

#define KEY(st, field, nm, tp, def, fl, lo, hi, hlp)                    \
  {.name = nm, .type = tp, .flags = fl, .offset = offsetof(st, field), \
   .default_value = def, .min = lo, .max = hi, .help = hlp}

static const stratus_config_key host_keys[] = {
    KEY(host_section, plugin_dir, "plugin_dir", STRATUS_CFG_STRING,
        plugin_dir_default, 0, 0, 0, "directory of <name>.so plugins"),
    KEY(host_section, include, "include", STRATUS_CFG_LIST, NULL, 0, 0, 0,
        "more ini files (glob patterns, relative to this file)"),
    KEY(host_section, pid_file, "pid_file", STRATUS_CFG_STRING, "",
        STRATUS_CFG_RESTART, 0, 0, "write the daemon's pid here"),
    KEY(host_section, runtime_dir, "runtime_dir", STRATUS_CFG_STRING, "",
        0, 0, 0, "private scratch directory (default: $TMPDIR or /tmp)"),
    KEY(host_section, shutdown_timeout_ms, "shutdown_timeout",
        STRATUS_CFG_DURATION, "10s", 0, 0, 3600000,
        "how long a stop waits for in-flight work"),
    KEY(host_section, drain_warn_ms, "drain_warning", STRATUS_CFG_DURATION,
        "30s", 0, 1, 86400000,
        "warn when an old plugin generation drains longer than this"),
    KEY(host_section, reserve_fds, "reserve_fds", STRATUS_CFG_INT, "64",
        STRATUS_CFG_RESTART, 0, 100000,
        "descriptors the listeners leave to databases, NATS and plugins"),
};
const schema host_schema = {host_keys, ARRAY_LEN(host_keys),
                            sizeof(host_section)};

static const stratus_config_key log_keys[] = {
    {.name = "level", .type = STRATUS_CFG_ENUM, .offset = offsetof(log_section, level),
     .default_value = "info", .choices = log_level_names,
     .help = "error, warn, info, debug or trace"},
};
const schema log_schema = {log_keys, ARRAY_LEN(log_keys), sizeof(log_section)};

static const stratus_config_key http_keys[] = {
    KEY(http_section, listen, "listen", STRATUS_CFG_LIST, "127.0.0.1:8900",
        STRATUS_CFG_RESTART, 0, 0,
        "HTTP addresses for /healthcheck, /ready, /metrics, /status"),
    KEY(http_section, admin_socket, "admin_socket", STRATUS_CFG_STRING,
        "/run/stratus/stratusd.sock", STRATUS_CFG_RESTART, 0, 107,
        "unix socket for stratusctl (empty: none)"),
    KEY(http_section, max_connections, "max_connections", STRATUS_CFG_INT, "256",
        STRATUS_CFG_RESTART, 1, 1000000, "open connections on the HTTP addresses together"),
    KEY(http_section, admin_max_connections, "admin_max_connections", STRATUS_CFG_INT,
        "16", STRATUS_CFG_RESTART, 1, 10000, "open connections on the admin socket"),
    KEY(http_section, max_pending_output, "max_pending_output", STRATUS_CFG_SIZE, "1MiB",
        STRATUS_CFG_RESTART, 4096, 1 << 30,
        "unsent response bytes per connection before its requests wait"),
    KEY(http_section, handshake_timeout_ms, "handshake_timeout", STRATUS_CFG_DURATION,
        "10s", STRATUS_CFG_RESTART, 10, 3600000,
        "time a new connection has to send its first byte"),
    KEY(http_section, header_timeout_ms, "header_timeout", STRATUS_CFG_DURATION, "10s",
        STRATUS_CFG_RESTART, 10, 3600000,
        "time a request has, from its first byte, to arrive whole"),
    KEY(http_section, idle_timeout_ms, "idle_timeout", STRATUS_CFG_DURATION, "60s",
        STRATUS_CFG_RESTART, 10, 86400000,
        "a connection between requests, or whose output does not move, is closed after this"),
};
const schema http_schema = {http_keys, ARRAY_LEN(http_keys),
                            sizeof(http_section)};

static const stratus_config_key grpc_keys[] = {
    KEY(grpc_section, listen, "listen", STRATUS_CFG_LIST, "127.0.0.1:8999",
        STRATUS_CFG_RESTART, 0, 0, "gRPC addresses; every one serves every method"),
    KEY(grpc_section, max_message_size, "max_message_size", STRATUS_CFG_SIZE, "4MiB",
        STRATUS_CFG_RESTART, 1024, 64 << 20, "largest request or reply message"),
    KEY(grpc_section, max_concurrent_streams, "max_concurrent_streams", STRATUS_CFG_INT,
        "1000", STRATUS_CFG_RESTART, 1, 100000, "concurrent calls per connection"),
    KEY(grpc_section, default_timeout_ms, "default_timeout", STRATUS_CFG_DURATION,
        "10s", 0, 1, 3600000, "deadline of outgoing calls that set none"),
    KEY(grpc_section, tls, "tls", STRATUS_CFG_BOOL, "no", STRATUS_CFG_RESTART, 0, 0,
        "serve TLS (ALPN h2) with the [tls] certificate instead of h2c"),
    KEY(grpc_section, handshake_timeout_ms, "handshake_timeout", STRATUS_CFG_DURATION, "10s",
        STRATUS_CFG_RESTART, 100, 300000,
        "time a new connection has for the TLS handshake and the HTTP/2 preface"),
    KEY(grpc_section, idle_timeout_ms, "idle_timeout", STRATUS_CFG_DURATION, "0s",
        STRATUS_CFG_RESTART, 0, 86400000,
        "drain (GOAWAY) connections without calls this long; 0s: never"),
    KEY(grpc_section, first_call_timeout_ms, "first_call_timeout", STRATUS_CFG_DURATION,
        "60s", STRATUS_CFG_RESTART, 0, 86400000,
        "drain (GOAWAY) connections that never started a call this long; 0s: never"),
    KEY(grpc_section, max_connections, "max_connections", STRATUS_CFG_INT, "10000",
        STRATUS_CFG_RESTART, 1, 10000000, "open connections on all gRPC addresses together"),
    KEY(grpc_section, max_pending_output, "max_pending_output", STRATUS_CFG_SIZE, "1MiB",
        STRATUS_CFG_RESTART, 65536, 1 << 30,
        "unsent bytes per connection before it stops reading"),
};
const schema grpc_schema = {grpc_keys, ARRAY_LEN(grpc_keys), sizeof(grpc_section)};

static const stratus_config_key tls_keys[] = {
    KEY(tls_section, cert, "cert", STRATUS_CFG_STRING, "", STRATUS_CFG_RESTART, 0, 4096,
        "server certificate chain (PEM)"),
    KEY(tls_section, key, "key", STRATUS_CFG_STRING, "", STRATUS_CFG_RESTART, 0, 4096,
        "private key (PEM)"),
    KEY(tls_section, client_ca, "client_ca", STRATUS_CFG_STRING, "", STRATUS_CFG_RESTART,
        0, 4096, "CA bundle that signs client certificates"),
    KEY(tls_section, verify_client, "verify_client", STRATUS_CFG_BOOL, "no",
        STRATUS_CFG_RESTART, 0, 0, "mTLS: refuse clients without a valid certificate"),
};
const schema tls_schema = {tls_keys, ARRAY_LEN(tls_keys), sizeof(tls_section)};

#define UPSTREAM(field, svc)                                                   \
  KEY(upstream_section, field, #field, STRATUS_CFG_STRING, "", 0, 0, 255,     \
      "host:port of a " svc " no local plugin serves")
static const stratus_config_key upstream_keys[] = {
    UPSTREAM(servers_registry, "ServersRegistryService"),
    UPSTREAM(guid, "GuidService"),
    UPSTREAM(characters, "CharactersService"),
    UPSTREAM(chat, "ChatService"),
    UPSTREAM(group, "GroupService"),
    UPSTREAM(guild, "GuildService"),
    UPSTREAM(mail, "MailService"),
    UPSTREAM(matchmaking, "MatchmakingService"),
    UPSTREAM(auctionhouse, "AuctionHouseService"),
};
const schema upstream_schema = {upstream_keys, ARRAY_LEN(upstream_keys),
                                sizeof(upstream_section)};

static const struct {
  const char *service;
  size_t offset;
} upstream_services[] = {
    {"v1.ServersRegistryService", offsetof(upstream_section, servers_registry)},
    {"v1.GuidService", offsetof(upstream_section, guid)},
    {"v1.CharactersService", offsetof(upstream_section, characters)},
    {"v1.ChatService", offsetof(upstream_section, chat)},
    {"v1.GroupService", offsetof(upstream_section, group)},
    {"v1.GuildService", offsetof(upstream_section, guild)},
    {"v1.MailService", offsetof(upstream_section, mail)},
    {"v1.MatchmakingService", offsetof(upstream_section, matchmaking)},
    {"v1.AuctionHouseService", offsetof(upstream_section, auctionhouse)},
};

const char *host_config_upstream(const host_config *hc, const char *service) {
  for (size_t i = 0; i < ARRAY_LEN(upstream_services); i++) {
    if (strcmp(upstream_services[i].service, service) != 0) continue;
    const char *addr =
        *(const char *const *)((const char *)hc->upstream + upstream_services[i].offset);
    return addr && *addr ? addr : NULL;
  }
  return NULL;
}

static const stratus_config_key bus_keys[] = {
    KEY(bus_section, nats_url, "nats_url", STRATUS_CFG_STRING, "", 0, 0, 1024,
        "NATS servers (nats://host:port, comma-separated); empty = in process"),
    KEY(bus_section, name, "name", STRATUS_CFG_STRING, "stratusd", 0, 0, 128,
        "connection name shown by the NATS server"),
    KEY(bus_section, user, "user", STRATUS_CFG_STRING, "", 0, 0, 255, "NATS user"),
    KEY(bus_section, password, "password", STRATUS_CFG_STRING, "", STRATUS_CFG_SECRET,
        0, 255, "NATS password"),
    KEY(bus_section, token, "token", STRATUS_CFG_STRING, "", STRATUS_CFG_SECRET, 0,
        1024, "NATS token"),
    KEY(bus_section, creds_file, "creds_file", STRATUS_CFG_STRING, "", 0, 0, 4096,
        "NATS 2 credentials file"),
    KEY(bus_section, tls_ca, "tls_ca", STRATUS_CFG_STRING, "", 0, 0, 4096,
        "CA to verify the NATS server (enables TLS)"),
    KEY(bus_section, tls_cert, "tls_cert", STRATUS_CFG_STRING, "", 0, 0, 4096,
        "client certificate for NATS TLS"),
    KEY(bus_section, tls_key, "tls_key", STRATUS_CFG_STRING, "", 0, 0, 4096,
        "client key for NATS TLS"),
    KEY(bus_section, max_pending, "max_pending", STRATUS_CFG_SIZE, "8MiB", 0, 0,
        1 << 30, "publishes buffered while disconnected; beyond, dropped and counted"),
    KEY(bus_section, reconnect_wait_ms, "reconnect_wait", STRATUS_CFG_DURATION, "1s",
        0, 10, 600000, "wait between reconnect attempts"),
    KEY(bus_section, ping_interval_ms, "ping_interval", STRATUS_CFG_DURATION, "20s",
        0, 100, 3600000, "client PING interval"),
    KEY(bus_section, max_pings_out, "max_pings_out", STRATUS_CFG_INT, "5", 0, 1, 100,
        "unanswered PINGs before the connection counts as lost"),
    KEY(bus_section, connect_timeout_ms, "connect_timeout", STRATUS_CFG_DURATION,
        "10s", 0, 10, 600000, "connect timeout"),
    KEY(bus_section, must_deliver, "must_deliver", STRATUS_CFG_LIST,
        "mail.incoming, guild.bank.>, char.arena-team.>, group.created, "
        "group.member.added, group.member.left, group.disband, group.leader.changed",
        0, 0, 0, "subject patterns kept until the NATS server confirms them (at least once)"),
    KEY(bus_section, must_deliver_max, "must_deliver_max", STRATUS_CFG_SIZE, "16MiB", 0, 4096,
        1 << 30, "unconfirmed must_deliver bytes held; beyond, such publishes are refused"),
    KEY(bus_section, must_deliver_settle_ms, "must_deliver_settle", STRATUS_CFG_DURATION,
        "3s", 0, 0, 600000,
        "after a NATS outage, must_deliver events wait this long for subscribers to return"),
};
const schema bus_schema = {bus_keys, ARRAY_LEN(bus_keys), sizeof(bus_section)};

static const stratus_config_key discovery_keys[] = {
    KEY(discovery_section, realms, "realms", STRATUS_CFG_LIST, "1", 0, 0, 0,
        "realm IDs game servers and gateways may register for"),
    KEY(discovery_section, layers, "layers", STRATUS_CFG_LIST, "", 0, 0, 0,
        "map:layers, e.g. 0:2, 530:2 (applied to every realm)"),
    KEY(discovery_section, map_weights, "map_weights", STRATUS_CFG_LIST, "", 0, 0, 0,
        "map:weight over the built-in weights (bin packing of all-map servers)"),
    KEY(discovery_section, binding_ttl_ms, "group_binding_ttl", STRATUS_CFG_DURATION,
        "24h", 0, 1000, 604800000, "how long a group stays on its layer"),
    KEY(discovery_section, crossrealm, "crossrealm", STRATUS_CFG_BOOL, "yes", 0, 0, 0,
        "accept crossrealm game servers"),
};
const schema discovery_schema = {discovery_keys, ARRAY_LEN(discovery_keys),
                                 sizeof(discovery_section)};

/* Defaults: a killed worldserver (refused) is evicted 1.5-2.25 s after it
 * died, a frozen one (timeouts) 2.0-2.75 s; see host/registry/README.md. */
static const stratus_config_key health_keys[] = {
    KEY(health_section, interval_ms, "interval", STRATUS_CFG_DURATION, "750ms", 0, 50,
        3600000, "how often each process's /healthcheck is polled"),
    KEY(health_section, timeout_ms, "timeout", STRATUS_CFG_DURATION, "500ms", 0, 10,
        600000, "timeout of one health check (shorter than interval)"),
    KEY(health_section, failures, "failures", STRATUS_CFG_INT, "3", 0, 1, 100,
        "consecutive failed checks before a process is evicted"),
    KEY(health_section, degraded_after, "degraded_after", STRATUS_CFG_INT, "2", 0, 1,
        100, "consecutive 503/504 answers before a game server counts as degraded"),
    KEY(health_section, metrics_interval_ms, "metrics_interval", STRATUS_CFG_DURATION,
        "1s", 0, 50, 3600000, "how often /metrics is scraped"),
    KEY(health_section, metrics_timeout_ms, "metrics_timeout", STRATUS_CFG_DURATION,
        "800ms", 0, 10, 600000, "timeout of one /metrics scrape (shorter than metrics_interval)"),
    KEY(health_section, degraded_after_scrapes, "degraded_after_scrapes", STRATUS_CFG_INT,
        "3", 0, 1, 100, "consecutive failed /metrics scrapes before a game server is degraded"),
    KEY(health_section, suspect_time_ms, "suspect_time", STRATUS_CFG_DURATION, "10m", 0,
        0, 604800000, "how long an evicted process is probed for re-admission (0s: never)"),
    KEY(health_section, suspect_backoff_max_ms, "suspect_backoff_max", STRATUS_CFG_DURATION,
        "5s", 0, 50, 3600000, "longest wait between two probes of an evicted process"),
};
const schema health_schema = {health_keys, ARRAY_LEN(health_keys), sizeof(health_section)};

static const char *const store_names[] = {"memory", "jetstream", NULL};
static const stratus_config_key registry_keys[] = {
    {.name = "store", .type = STRATUS_CFG_ENUM, .offset = offsetof(registry_section, store),
     .flags = STRATUS_CFG_RESTART, .default_value = "memory", .choices = store_names,
     .help = "memory (this process only); jetstream is not available yet"},
    KEY(registry_section, allow_from, "allow_from", STRATUS_CFG_LIST,
        "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7", 0, 0, 0,
        "address ranges (CIDR) of callers that may register"),
    KEY(registry_section, preferred_hosts, "preferred_hosts", STRATUS_CFG_LIST, "", 0, 0, 0,
        "preferredHostName values accepted: names, *.domain, CIDRs (empty: refused)"),
    KEY(registry_section, dial_preferred_host, "dial_preferred_host", STRATUS_CFG_BOOL, "no",
        0, 0, 0, "health checks and calls go to the preferred host instead of the caller's IP"),
};
const schema registry_schema = {registry_keys, ARRAY_LEN(registry_keys),
                                sizeof(registry_section)};

const char *const db_schema_names[] = {"", "auth", "characters", "world", NULL};
static const stratus_config_key db_keys[] = {
    KEY(db_section, host, "host", STRATUS_CFG_STRING, "127.0.0.1", 0, 0, 255,
        "MySQL/MariaDB server host"),
    KEY(db_section, port, "port", STRATUS_CFG_INT, "3306", 0, 1, 65535, "server port"),
    KEY(db_section, socket, "socket", STRATUS_CFG_STRING, "", 0, 0, 107,
        "unix socket (instead of host and port)"),
    KEY(db_section, user, "user", STRATUS_CFG_STRING, "", STRATUS_CFG_REQUIRED, 0, 80,
        "user name"),
    KEY(db_section, password, "password", STRATUS_CFG_STRING, "", STRATUS_CFG_SECRET,
        0, 255, "password (prefer password_file)"),
    KEY(db_section, password_file, "password_file", STRATUS_CFG_STRING, "", 0, 0,
        4096, "file holding the password"),
    KEY(db_section, database, "database", STRATUS_CFG_STRING, "", STRATUS_CFG_REQUIRED,
        0, 64, "database (schema) name"),
    {.name = "schema", .type = STRATUS_CFG_ENUM, .offset = offsetof(db_section, schema),
     .default_value = "", .choices = db_schema_names,
     .help = "which migrations apply: auth, characters, world (default: from the name)"},
    KEY(db_section, pool_size, "pool_size", STRATUS_CFG_INT, "4", 0, 1, 256,
        "connections (worker threads)"),
    KEY(db_section, connect_timeout_ms, "connect_timeout", STRATUS_CFG_DURATION,
        "5s", 0, 1, 600000, "connect timeout"),
    KEY(db_section, read_timeout_ms, "read_timeout", STRATUS_CFG_DURATION, "30s",
        0, 1, 3600000, "timeout of one read from the server"),
    KEY(db_section, write_timeout_ms, "write_timeout", STRATUS_CFG_DURATION,
        "30s", 0, 1, 3600000, "timeout of one write to the server"),
    KEY(db_section, job_timeout_ms, "job_timeout", STRATUS_CFG_DURATION, "10s", 0,
        1, 3600000, "a job that has not started by then fails without running"),
    KEY(db_section, max_queue, "max_queue", STRATUS_CFG_INT, "10000", 0, 1,
        10000000, "queued jobs beyond this are refused (EAGAIN)"),
    KEY(db_section, txn_retries, "transaction_retries", STRATUS_CFG_INT, "3", 0, 0,
        100, "retries of a transaction after a deadlock or lock wait timeout"),
    KEY(db_section, tls, "tls", STRATUS_CFG_BOOL, "no", 0, 0, 0,
        "connect with TLS"),
    KEY(db_section, tls_ca, "tls_ca", STRATUS_CFG_STRING, "", 0, 0, 4096,
        "CA file to verify the server with"),
    KEY(db_section, tls_verify, "tls_verify", STRATUS_CFG_BOOL, "yes", 0, 0, 0,
        "verify the server certificate"),
};
const schema db_schema = {db_keys, ARRAY_LEN(db_keys), sizeof(db_section)};

/* Section kinds the host validates here; plugin.* is the plugin manager's. */
static const section_kind kinds[] = {
    {"host", false, &host_schema, NULL, offsetof(host_config, host)},
    {"log", false, &log_schema, NULL, offsetof(host_config, log)},
    {"http", false, &http_schema, NULL, offsetof(host_config, http)},
    {"grpc", false, &grpc_schema, NULL, offsetof(host_config, grpc)},
    {"tls", false, &tls_schema, NULL, offsetof(host_config, tls)},
    {"grpc.upstream", false, &upstream_schema, NULL, offsetof(host_config, upstream)},
    {"bus", false, &bus_schema, NULL, offsetof(host_config, bus)},
    {"discovery", false, &discovery_schema, NULL, offsetof(host_config, discovery)},
    {"health", false, &health_schema, NULL, offsetof(host_config, health)},
    {"registry", false, &registry_schema, NULL, offsetof(host_config, registry)},
    {"db.", true, &db_schema, NULL, 0},
};

void host_config_describe(FILE *out) {
  host_config_locate_defaults();
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    fprintf(out, "[%s%s]\n", kinds[i].name, kinds[i].prefix ? "<name>" : "");
    schema_describe(kinds[i].schema, out);
    fputc('\n', out);
  }
}

static void **singleton_slot(host_config *hc, const section_kind *k) {
  return (void **)((char *)hc + k->slot);
}

static const section_kind *find_kind(const char *section) {
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    const section_kind *k = &kinds[i];
    if (k->prefix ? str_has_prefix(section, k->name) && section[strlen(k->name)]
                  : strcmp(section, k->name) == 0)
      return k;
  }
  return NULL;
}

static void add_named(host_config *hc, const section_kind *k, const char *name,
                      void *data) {
  hc->named = xrealloc(hc->named, (hc->nnamed + 1) * sizeof(named_section));
  hc->named_kind =
      xrealloc(hc->named_kind, (hc->nnamed + 1) * sizeof(section_kind *));
  hc->named[hc->nnamed] = (named_section){xstrdup(name), data};
  hc->named_kind[hc->nnamed++] = k;
}

static void build_section(host_config *hc, const cfg_section *sec,
                          const section_kind *k, cfg_errors *errs) {
  char *label = xasprintf("[%s]", sec->name);
  void *data = schema_build(k->schema, sec, k->host_keys, label, errs);
  free(label);
  if (k->prefix) {
    add_named(hc, k, sec->name + strlen(k->name), data);
  } else {
    *singleton_slot(hc, k) = data;
  }
}

static void check_list(const cfg_snapshot *snap, const char *key,
                       const char *const *items, bool pairs, cfg_errors *errs) {
  const cfg_entry *e = cfg_section_get(cfg_find(snap, "discovery"), key);
  for (size_t i = 0; items && items[i]; i++) {
    uint32_t a, b = 1;
    bool ok = pairs ? parse_u32_pair(items[i], &a, &b) && b > 0 : parse_u32(items[i], &a);
    if (!ok)
      cfg_error(errs, e ? e->file : snap->main_path, e ? e->line : 0,
                "[discovery]: %s: '%s' is not %s", key, items[i],
                pairs ? "map:number (number > 0)" : "a realm ID");
  }
}

static void check_discovery(const host_config *hc, const cfg_snapshot *snap,
                            cfg_errors *errs) {
  check_list(snap, "realms", hc->discovery->realms, false, errs);
  check_list(snap, "layers", hc->discovery->layers, true, errs);
  check_list(snap, "map_weights", hc->discovery->map_weights, true, errs);
}

/* An error at a key's line, else the section's, else the file's. */
static void key_error(cfg_errors *errs, const cfg_snapshot *snap, const char *section,
                      const char *key, const char *message) {
  const cfg_section *sec = cfg_find(snap, section);
  const cfg_entry *e = cfg_section_get(sec, key);
  const char *file = e ? e->file : sec ? sec->file : snap->main_path;
  cfg_error(errs, file, e ? e->line : sec ? sec->line : 0, "%s", message);
}

/* A check still running when the next one is due would be skipped. */
static void check_timeout(const cfg_snapshot *snap, const char *timeout, int64_t t_ms,
                          const char *interval, int64_t i_ms, cfg_errors *errs) {
  if (t_ms < i_ms) return;
  char msg[200];
  snprintf(msg, sizeof(msg), "[health] %s (%lld ms) must be shorter than %s (%lld ms)",
           timeout, (long long)t_ms, interval, (long long)i_ms);
  key_error(errs, snap, "health", timeout, msg);
}

static void check_ranges(const cfg_snapshot *snap, const char *key,
                         const char *const *items, bool names_too, cfg_errors *errs) {
  for (size_t i = 0; items && items[i]; i++) {
    cidr c;
    char err[200], msg[300];
    bool name = names_too && !strchr(items[i], '/') && !cidr_is_ip(items[i]);
    if (name || cidr_parse(items[i], &c, err, sizeof(err)) == 0) continue;
    snprintf(msg, sizeof(msg), "[registry] %s: %s", key, err);
    key_error(errs, snap, "registry", key, msg);
  }
}

static void check_registry(const host_config *hc, const cfg_snapshot *snap,
                           cfg_errors *errs) {
  const health_section *h = hc->health;
  const registry_section *r = hc->registry;
  check_timeout(snap, "timeout", h->timeout_ms, "interval", h->interval_ms, errs);
  check_timeout(snap, "metrics_timeout", h->metrics_timeout_ms, "metrics_interval",
                h->metrics_interval_ms, errs);
  if (r->store == REGISTRY_STORE_JETSTREAM)
    key_error(errs, snap, "registry", "store",
              "[registry] store = jetstream is not available yet: only memory is "
              "(the registry lives in this process)");
  check_ranges(snap, "allow_from", r->allow_from, false, errs);
  check_ranges(snap, "preferred_hosts", r->preferred_hosts, true, errs);
}

host_config *host_config_build(const cfg_snapshot *snap, cfg_errors *errs) {
  host_config_locate_defaults();
  host_config *hc = xcalloc(1, sizeof(*hc));
  for (size_t i = 0; i < snap->n; i++) {
    const cfg_section *sec = &snap->sections[i];
    if (str_has_prefix(sec->name, "plugin.")) continue;
    const section_kind *k = find_kind(sec->name);
    if (!k) {
      cfg_error(errs, sec->file, sec->line, "unknown section [%s]", sec->name);
      continue;
    }
    build_section(hc, sec, k, errs);
  }
  /* Sections left out get their defaults. */
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    const section_kind *k = &kinds[i];
    if (k->prefix) continue;
    void **slot = singleton_slot(hc, k);
    if (!*slot) *slot = schema_build(k->schema, NULL, NULL, k->name, errs);
  }
  check_discovery(hc, snap, errs);
  check_registry(hc, snap, errs);
  if (hc->grpc->tls && (!*hc->tls->cert || !*hc->tls->key)) {
    const cfg_section *g = cfg_find(snap, "grpc");
    cfg_error(errs, g ? g->file : snap->main_path, g ? g->line : 0,
              "[grpc] tls = yes needs [tls] cert and key");
  }
  /* A developer's plugin directory (STRATUS_PLUGIN_DIR) replaces the built-in
   * default, never a plugin_dir the file sets. */
  const char *dev_dir = getenv("STRATUS_PLUGIN_DIR");
  if (dev_dir && *dev_dir && !cfg_section_get(cfg_find(snap, "host"), "plugin_dir")) {
    free((char *)hc->host->plugin_dir);
    hc->host->plugin_dir = xstrdup(dev_dir);
  }
  return hc;
}

static long db_index(const host_config *hc, size_t i) {
  for (size_t j = 0; j < hc->nnamed; j++)
    if (strcmp(hc->named_kind[j]->name, "db.") == 0 && i-- == 0) return (long)j;
  return -1;
}

size_t host_config_db_count(const host_config *hc) {
  return host_config_count(hc, "db.");
}

const char *host_config_db_name(const host_config *hc, size_t i) {
  long j = db_index(hc, i);
  return j < 0 ? NULL : hc->named[j].name;
}

const db_section *host_config_db(const host_config *hc, size_t i) {
  long j = db_index(hc, i);
  return j < 0 ? NULL : hc->named[j].data;
}

const db_section *host_config_db_find(const host_config *hc, const char *name) {
  for (size_t i = 0; i < host_config_db_count(hc); i++)
    if (strcmp(host_config_db_name(hc, i), name) == 0) return host_config_db(hc, i);
  return NULL;
}

size_t host_config_count(const host_config *hc, const char *prefix) {
  size_t n = 0;
  for (size_t i = 0; i < hc->nnamed; i++)
    if (strcmp(hc->named_kind[i]->name, prefix) == 0) n++;
  return n;
}

void host_config_free(host_config *hc) {
  if (!hc) return;
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
    if (!kinds[i].prefix) schema_free(kinds[i].schema, *singleton_slot(hc, &kinds[i]));
  for (size_t i = 0; i < hc->nnamed; i++) {
    schema_free(hc->named_kind[i]->schema, hc->named[i].data);
    free(hc->named[i].name);
  }
  free(hc->named);
  free(hc->named_kind);
  free(hc);
}

int host_config_keep_restart(const host_config *running, host_config *next,
                             strbuf *notes) {
  int kept = 0;
  for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
    const section_kind *k = &kinds[i];
    if (k->prefix) continue;
    strbuf keys;
    sb_init(&keys);
    kept += schema_keep_restart_keys(k->schema,
                                     *singleton_slot((host_config *)running, k),
                                     *singleton_slot(next, k), &keys);
    if (keys.len)
      sb_printf(notes, "%s[%s] %s", notes->len ? ", " : "", k->name, keys.data);
    sb_free(&keys);
  }
  return kept;
}
