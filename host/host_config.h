/*
 * The host's own sections ([host], [log], [http], ...) and the validated,
 * typed view of a whole config file. Each section is described by a schema
 * table of the same kind plugins use.
 */
#ifndef STRATUS_HOST_HOST_CONFIG_H
#define STRATUS_HOST_HOST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "schema.h"

typedef struct host_section {
  const char *plugin_dir;
  const char *const *include;
  const char *pid_file;
  const char *runtime_dir;
  int64_t shutdown_timeout_ms;
  int64_t drain_warn_ms;
  int64_t reserve_fds;       /* descriptors listeners leave free */
} host_section;

typedef struct log_section {
  int level;
} log_section;

typedef struct http_section {
  const char *const *listen;
  const char *admin_socket;
  int64_t max_connections, admin_max_connections;
  uint64_t max_pending_output;
  int64_t handshake_timeout_ms, header_timeout_ms, idle_timeout_ms;
} http_section;

typedef struct grpc_section {
  const char *const *listen;
  uint64_t max_message_size;
  int64_t max_concurrent_streams;
  int64_t default_timeout_ms;  /* outgoing calls without a deadline */
  int64_t handshake_timeout_ms, idle_timeout_ms;
  int64_t first_call_timeout_ms;  /* connections that never started a call */
  int64_t max_connections;
  uint64_t max_pending_output;
  bool tls;
} grpc_section;

typedef struct tls_section {
  const char *cert, *key;   /* PEM */
  const char *client_ca;    /* CA bundle for client certificates */
  bool verify_client;       /* refuse clients without a valid certificate */
} tls_section;

/* [grpc.upstream]: where services no local plugin serves are called. */
typedef struct upstream_section {
  const char *servers_registry, *guid, *characters, *chat, *group, *guild,
      *mail, *matchmaking, *auctionhouse;
} upstream_section;

/* [bus]: the event bus (NATS, or in process when nats_url is empty). */
typedef struct bus_section {
  const char *nats_url;        /* nats://host:port[,more]; empty = in process */
  const char *name;            /* connection name shown by the server */
  const char *user, *password, *token;
  const char *creds_file;      /* NATS 2 credentials (JWT + nkey seed) */
  const char *tls_ca, *tls_cert, *tls_key;
  uint64_t max_pending;        /* bytes buffered while disconnected */
  int64_t reconnect_wait_ms;
  int64_t ping_interval_ms;
  int64_t max_pings_out;
  int64_t connect_timeout_ms;
  const char *const *must_deliver; /* subject patterns published at least once */
  uint64_t must_deliver_max;       /* bytes they may hold unconfirmed */
  int64_t must_deliver_settle_ms;  /* after an outage, before they go out */
} bus_section;

/* [discovery]: the servers registry. */
typedef struct discovery_section {
  const char *const *realms;      /* realm IDs game servers may register for */
  const char *const *layers;      /* "map:count" applied to every realm */
  const char *const *map_weights; /* "map:weight", over the built-in table */
  int64_t binding_ttl_ms;         /* group -> layer stickiness */
  bool crossrealm;                /* accept crossrealm game servers */
} discovery_section;

/* [health]: polling of registered processes. */
typedef struct health_section {
  int64_t interval_ms, timeout_ms; /* timeout < interval: no check is skipped */
  int64_t failures;               /* consecutive failures before eviction */
  int64_t degraded_after;         /* consecutive 503/504 before degraded */
  int64_t metrics_interval_ms, metrics_timeout_ms;
  int64_t degraded_after_scrapes; /* consecutive failed /metrics before degraded */
  int64_t suspect_time_ms;        /* how long an evicted process is probed */
  int64_t suspect_backoff_max_ms; /* longest wait between two suspect probes */
} health_section;

/* [registry]: where the registry's state lives and who may register. */
typedef enum registry_store_kind { REGISTRY_STORE_MEMORY, REGISTRY_STORE_JETSTREAM } registry_store_kind;

typedef struct registry_section {
  int store;                           /* registry_store_kind */
  const char *const *allow_from;       /* CIDRs of callers that may register */
  const char *const *preferred_hosts;  /* accepted preferredHostName values (empty: none) */
  bool dial_preferred_host;            /* probe and call the preferred host, not the caller */
} registry_section;

/* [db.<name>]: one connection pool. */
typedef struct db_section {
  const char *host;
  int64_t port;
  const char *socket;          /* unix socket; wins over host/port */
  const char *user;
  const char *password;
  const char *password_file;   /* read at (re)load; wins over password */
  const char *database;
  int schema;                  /* index in db_schema_names: 0 = from the name
                                  (db.characters.2 -> characters) */
  int64_t pool_size;
  int64_t connect_timeout_ms, read_timeout_ms, write_timeout_ms;
  int64_t job_timeout_ms;      /* a job not started by then fails, unrun */
  int64_t max_queue;           /* queued jobs beyond this are refused */
  int64_t txn_retries;         /* deadlock / lock-wait retries */
  bool tls;
  const char *tls_ca;
  bool tls_verify;
} db_section;

/* One kind of host section: a fixed name ("log") or a prefix ("db."). */
typedef struct section_kind {
  const char *name;
  bool prefix;
  const schema *schema;
  const char *const *host_keys; /* keys the host reads itself (plugin.*) */
  size_t slot;                  /* singletons: offsetof(host_config, ...) */
} section_kind;

/* A section of a prefixed kind, e.g. [db.characters.1]. */
typedef struct named_section {
  char *name;   /* the part after the prefix */
  void *data;
} named_section;

typedef struct host_config {
  host_section *host;
  log_section *log;
  http_section *http;
  grpc_section *grpc;
  tls_section *tls;
  upstream_section *upstream;
  bus_section *bus;
  discovery_section *discovery;
  health_section *health;
  registry_section *registry;
  /* sections of prefixed kinds, by kind index */
  named_section *named;
  size_t nnamed;
  const section_kind **named_kind;
} host_config;

extern const schema host_schema, log_schema, http_schema, db_schema,
    grpc_schema, tls_schema, upstream_schema, bus_schema, discovery_schema,
    health_schema, registry_schema;

/* The [grpc.upstream] address for a service ("v1.ChatService"), or NULL. */
const char *host_config_upstream(const host_config *hc, const char *service);
/* "", "auth", "characters", "world" */
extern const char *const db_schema_names[];

/* The [db.<name>] sections, by name ("characters.1"). */
size_t host_config_db_count(const host_config *hc);
const char *host_config_db_name(const host_config *hc, size_t i);
const db_section *host_config_db(const host_config *hc, size_t i);
const db_section *host_config_db_find(const host_config *hc, const char *name);

/* Defaults that depend on where the program is installed ([host]
 * plugin_dir); host_config_build calls it. */
void host_config_locate_defaults(void);

/* Every host section and key, as schema_describe prints them. */
void host_config_describe(FILE *out);

/* Validate every host section of `snap` (plugin sections are only checked
 * for a valid name here). Errors go to errs. Never NULL. */
host_config *host_config_build(const cfg_snapshot *snap, cfg_errors *errs);
void host_config_free(host_config *hc);

/* The sections of a prefixed kind, e.g. "db." */
size_t host_config_count(const host_config *hc, const char *prefix);


/* Keep the running value of every restart-only host key that changed;
 * their names go to notes ("[http] listen, ..."). Returns how many. */
int host_config_keep_restart(const host_config *running, host_config *next,
                             strbuf *notes);
#endif
