/*
 * The host API table: everything a plugin may ask of stratusd.
 *
 * The host passes one table to stratus_plugin_entry(). Plugins reach the
 * host only through it (the daemon exports no symbols). Members are only
 * ever appended. Every ABI 1.0 member is non-NULL in every 1.x host; test a
 * member added later with STRATUS_HOST_HAS(api, member) before calling it.
 *
 * Threads: call these on the loop thread (in any plugin callback), except
 * the db_* and sql_* functions marked "worker", which are for database work
 * functions only. rpc_call, db_submit and event_publish stay allowed while
 * the instance drains after stop, so that calls it accepted can finish.
 *
 * Ownership: strings and structs passed in are copied by the host unless a
 * comment says otherwise; `ud` pointers stay the plugin's. Every handle the
 * host returns (timer, subscription, metric) is host-owned. When the
 * instance stops, routes, subscriptions and repeating timers stop taking
 * effect (one-shot timers still fire: they may carry in-flight work); the
 * handles stay valid until destroy, so completions that arrive while the
 * instance drains may still use them.
 */
#ifndef STRATUS_HOST_H
#define STRATUS_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "bus.h"
#include "db.h"
#include "discovery.h"
#include "errors.h"
#include "method.h"
#include "metrics.h"
#include "plugin.h"
#include "presence.h"
#include "rpc.h"

struct json_t; /* jansson's json_t, for event_publish_json */

typedef enum stratus_log_level {
  STRATUS_LOG_ERROR = 0,
  STRATUS_LOG_WARN = 1,
  STRATUS_LOG_INFO = 2,
  STRATUS_LOG_DEBUG = 3,
  STRATUS_LOG_TRACE = 4,
} stratus_log_level;

typedef struct stratus_timer stratus_timer;
typedef void (*stratus_timer_cb)(stratus_ctx *ctx, stratus_timer *timer,
                                 void *ud);

struct stratus_host_api {
  stratus_abi_header hdr; /* magic STRATUS_HOST_MAGIC */

  /* ---- host and instance ------------------------------------------------ */
  const char *host_version; /* e.g. "0.1.0" */
  /* Log a line tagged with the plugin name and generation. */
  void (*log)(stratus_ctx *ctx, int level, const char *fmt, ...)
      STRATUS_PRINTF(3, 4);
  void (*logv)(stratus_ctx *ctx, int level, const char *fmt, va_list ap);
  /* Would a line at `level` be written? (skip building expensive ones) */
  bool (*log_enabled)(stratus_ctx *ctx, int level);
  const char *(*plugin_name)(stratus_ctx *ctx);
  uint64_t (*generation)(stratus_ctx *ctx);
  /* Monotonic milliseconds of the loop (cached per loop iteration). */
  uint64_t (*now_ms)(stratus_ctx *ctx);

  /* ---- timers -------------------------------------------------------------
   * Fires after timeout_ms, then every repeat_ms if non-zero. Returns NULL on
   * failure. A timer is freed by timer_stop (allowed inside its callback) or
   * when the instance stops; the pointer is invalid afterwards. */
  stratus_timer *(*timer_start)(stratus_ctx *ctx, uint64_t timeout_ms,
                                uint64_t repeat_ms, stratus_timer_cb cb,
                                void *ud);
  void (*timer_stop)(stratus_ctx *ctx, stratus_timer *timer);

  /* ---- metrics ------------------------------------------------------------
   * A family is keyed by name. A later generation of the same plugin that
   * registers the same name and kind gets the same family back, so counters
   * keep counting across a reload; another plugin's name is STRATUS_EEXIST
   * (NULL). label_values: as many as desc->labels, in order. */
  stratus_metric *(*metric_register)(stratus_ctx *ctx,
                                     const stratus_metric_desc *desc);
  void (*metric_add)(stratus_metric *m, const char *const *label_values,
                     double v);
  void (*metric_set)(stratus_metric *m, const char *const *label_values,
                     double v);
  void (*metric_observe)(stratus_metric *m, const char *const *label_values,
                         double v);

  /* ---- gRPC server --------------------------------------------------------
   * Serve `method` of `service` (e.g. &v1__guid_service__descriptor,
   * "GetGUIDPool"); the path is /<service>/<method>. Only inside init. A path
   * already served by another plugin is STRATUS_EEXIST. */
  int (*rpc_register)(stratus_ctx *ctx,
                      const ProtobufCServiceDescriptor *service,
                      const char *method, stratus_rpc_handler handler,
                      void *ud);
  /* Answer a call. The host serializes `response` before returning (it
   * stays the plugin's) and fills an empty `api` field with
   * STRATUS_CONTRACT_VERSION. */
  int (*call_reply)(stratus_call *call, const ProtobufCMessage *response);
  int (*call_fail)(stratus_call *call, int grpc_status, const char *fmt, ...)
      STRATUS_PRINTF(3, 4);
  /* Milliseconds left before the client's deadline; INT64_MAX if none. */
  int64_t (*call_remaining_ms)(stratus_call *call);
  /* Client cancelled or deadline passed: the answer will be dropped. */
  bool (*call_cancelled)(stratus_call *call);
  /* "ip:port" of the client, "local" for an in-process call. */
  const char *(*call_peer)(stratus_call *call);
  /* A request header (lower-case key), NULL if absent. Valid as the call. */
  const char *(*call_metadata)(stratus_call *call, const char *key);

  /* ---- gRPC client (local first) ------------------------------------------
   * Call service/method: in process when a local plugin serves it (no
   * serialization), else over gRPC to opts->target or the [grpc.upstream]
   * address configured for the service. `done` runs exactly once. */
  int (*rpc_call)(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                  const char *method, const ProtobufCMessage *request,
                  const stratus_rpc_opts *opts, stratus_rpc_done done,
                  void *ud);

  /* ---- databases ----------------------------------------------------------
   * Queue a job on the pool of section [db.<pool>]. STRATUS_ENOENT if no
   * such pool. On 0, `done` runs exactly once. `job` stays the plugin's. */
  int (*db_submit)(stratus_ctx *ctx, const char *pool, stratus_db_work work,
                   stratus_db_done done, void *job,
                   const stratus_db_opts *opts);
  bool (*db_pool_exists)(stratus_ctx *ctx, const char *pool);
  /* worker: run one statement with parameters. On success *rows (if rows is
   * not NULL) holds the buffered result, which the caller frees. */
  int (*sql_exec)(stratus_db *db, const char *sql,
                  const stratus_sql_value *params, size_t nparams,
                  stratus_rows **rows);
  /* worker: 1 = a row is current, 0 = no more rows, <0 = error. */
  int (*rows_next)(stratus_rows *rows);
  bool (*rows_is_null)(stratus_rows *rows, unsigned col);
  int64_t (*rows_int)(stratus_rows *rows, unsigned col);
  uint64_t (*rows_uint)(stratus_rows *rows, unsigned col);
  double (*rows_double)(stratus_rows *rows, unsigned col);
  /* Text or blob bytes, NUL-terminated, valid until rows_next/rows_free;
   * NULL (and *len 0) for SQL NULL. */
  const char *(*rows_text)(stratus_rows *rows, unsigned col, size_t *len);
  uint64_t (*rows_affected)(stratus_rows *rows);
  uint64_t (*rows_insert_id)(stratus_rows *rows);
  size_t (*rows_count)(stratus_rows *rows);
  void (*rows_free)(stratus_rows *rows);
  /* worker: BEGIN, body, COMMIT; on deadlock or lock wait timeout the whole
   * transaction is retried (bounded); returns what body returned, or the
   * database error. */
  int (*db_transaction)(stratus_db *db, stratus_db_txn_body body, void *arg);
  /* worker: the last error message on this connection. */
  const char *(*db_error)(stratus_db *db);
  /* worker: MySQL error number of the last failure (1062 duplicate key...). */
  unsigned (*db_errno)(stratus_db *db);

  /* ---- event bus ----------------------------------------------------------
   * Publish {"v":"0.0.1","t":type,"p":payload} on subject (ToCloud9's
   * envelope; "v" is the version its consumers expect). payload_json must be
   * a JSON object text. */
  int (*event_publish)(stratus_ctx *ctx, const char *subject, int64_t type,
                       const char *payload_json);
  /* Publish bytes as they are (subjects that carry no envelope). */
  int (*event_publish_raw)(stratus_ctx *ctx, const char *subject,
                           const void *data, size_t len);
  /* NATS wildcards `*` and `>` allowed. NULL on failure. */
  stratus_sub *(*event_subscribe)(stratus_ctx *ctx, const char *pattern,
                                  stratus_event_cb cb, void *ud);
  void (*event_unsubscribe)(stratus_ctx *ctx, stratus_sub *sub);

  /* ---- discovery ----------------------------------------------------------
   * Game servers that serve `map` in `realm` (crossrealm ones included),
   * healthy and not degraded first. Returns how many were visited. */
  int (*discovery_game_servers)(stratus_ctx *ctx, uint32_t realm, uint32_t map,
                                stratus_game_server_each each, void *ud);
  /* Look up one game server by registry ID; 0 or STRATUS_ENOTFOUND. */
  int (*discovery_game_server)(stratus_ctx *ctx, const char *id,
                               stratus_game_server_each each, void *ud);
  int (*discovery_gateways)(stratus_ctx *ctx, uint32_t realm,
                            stratus_gateway_each each, void *ud);
  /* Look up one gateway by registry ID; 0 or STRATUS_ENOTFOUND. */
  int (*discovery_gateway)(stratus_ctx *ctx, const char *id,
                           stratus_gateway_each each, void *ud);

  /* ==== ABI 1.1 ==============================================================
   * Every member above is non-NULL in every 1.x host; test these with
   * STRATUS_HOST_HAS before use. */

  /* ---- declared methods (method.h) -----------------------------------------
   * Serve n methods of `service`, described by `methods` (an array of
   * method_size-byte elements: pass sizeof(stratus_method)); `ud` is what
   * req_ud returns. Only inside init. Like rpc_register for each. */
  int (*methods_register)(stratus_ctx *ctx,
                          const ProtobufCServiceDescriptor *service,
                          const stratus_method *methods, size_t n,
                          size_t method_size, void *ud);
  void *(*req_ud)(stratus_req *req);
  stratus_ctx *(*req_ctx)(stratus_req *req);
  /* The underlying call (peer, metadata, deadline). */
  stratus_call *(*req_call)(stratus_req *req);
  const ProtobufCMessage *(*req_request)(stratus_req *req);
  /* The realm whose pool the work runs on (0 before one is chosen). */
  uint32_t (*req_realm)(stratus_req *req);
  /* check: run the work on <pool>.<realm>. STRATUS_ENOTFOUND (and a
   * recorded INVALID_ARGUMENT) when that realm has no pool: return it. */
  int (*req_use_realm)(stratus_req *req, uint32_t realm);
  /* Zeroed memory freed when the call is answered; never NULL (the host
   * aborts when memory runs out, as for its own allocations). Usable by
   * whichever thread holds the request (the loop, or its work function). */
  void *(*req_alloc)(stratus_req *req, size_t size);
  /* A NUL-terminated copy of len bytes of s in the arena. */
  char *(*req_strdup)(stratus_req *req, const char *s, size_t len);
  /* Record the failure to answer with; returns STRATUS_EFAILED for the step
   * to return. Any thread that holds the request. */
  int (*req_fail)(stratus_req *req, int grpc_status, const char *fmt, ...)
      STRATUS_PRINTF(3, 4);
  /* Answer (loop thread). After a step returned STRATUS_LATER, the plugin
   * answers with one of these; the request is freed by it. */
  int (*req_reply)(stratus_req *req, const ProtobufCMessage *response);
  int (*req_error)(stratus_req *req, int code);
  /* Another database job for a call the plugin took over: `work` runs on
   * `pool` (a full pool name) with `flags` (STRATUS_METHOD_TXN), then `next`
   * runs on the loop like a reply step. A job that fails answers the call;
   * a submission that fails returns the code and answers nothing (return it
   * from a step, or pass it to req_error). */
  int (*req_submit)(stratus_req *req, const char *pool, stratus_method_work work,
                    stratus_method_reply next, uint32_t flags);

  /* ---- rows by column name (worker) ---------------------------------------- */
  /* Index of a column by name, or -1. */
  int (*rows_col)(stratus_rows *rows, const char *name);
  /* rows_next, then the current row into *out through the column map.
   * 1 = a row was read, 0 = no more rows, <0 = error (a map column missing
   * from the result is STRATUS_EINVAL). */
  int (*rows_read)(stratus_rows *rows, stratus_req *req, const stratus_col *cols,
                   size_t ncols, void *out);
  /* Every remaining row into an arena array of elem_size-byte elements, each
   * starting as a copy of tmpl (e.g. a protobuf message's INIT; NULL =
   * zeroed). *out is never NULL on success. */
  int (*rows_collect)(stratus_rows *rows, stratus_req *req, const stratus_col *cols,
                      size_t ncols, size_t elem_size, const void *tmpl, void **out,
                      size_t *n);
  /* Inside a db_submit done callback: the MySQL error number of the failed
   * job's last statement, 0 if none. */
  unsigned (*db_done_errno)(stratus_ctx *ctx);

  /* ---- events as data --------------------------------------------------------
   * Publish a payload built with jansson, written exactly as Go's
   * encoding/json writes it (<>& escaped, integers as numbers, json_null()
   * for a nil slice). The reference is stolen on every path. type
   * STRATUS_EVENT_CATALOGUE takes the type (and the raw, envelope-less form)
   * from the host's catalogue of subjects (sdk/events/catalogue.txt); an
   * explicit type on a catalogued subject must be the catalogue's. A
   * catalogued payload is written in the Go struct's key order; one whose
   * keys or value types differ from the catalogue is refused with
   * STRATUS_EINVAL, publishes nothing, and is logged (once per subject). An
   * uncatalogued subject needs an explicit type; keys keep insertion order.
   * A u64 field above INT64_MAX: store the same bits as a negative
   * json_integer; the host writes it unsigned (catalogued u64 fields only). */
  int (*event_publish_json)(stratus_ctx *ctx, const char *subject, int64_t type,
                            struct json_t *payload);

  /* ---- presence (presence.h) ------------------------------------------------ */
  /* The owner registers itself (inside init); one provider at a time. */
  int (*presence_provide)(stratus_ctx *ctx, const stratus_presence_provider *provider,
                          void *state);
  /* The owner reports a change; the host runs every watcher. */
  void (*presence_changed)(stratus_ctx *ctx, int change, const stratus_presence *p);
  /* Lookups: how many matched, or STRATUS_ENOTSUP without an owner. */
  int (*presence_by_guid)(stratus_ctx *ctx, uint32_t realm, uint32_t low,
                          stratus_presence_each each, void *ud);
  int (*presence_by_name)(stratus_ctx *ctx, uint32_t realm, const char *name,
                          stratus_presence_each each, void *ud);
  int (*presence_by_account)(stratus_ctx *ctx, uint32_t account,
                             stratus_presence_each each, void *ud);
  int (*presence_by_gateway)(stratus_ctx *ctx, uint32_t realm, const char *gateway_id,
                             stratus_presence_each each, void *ud);
  /* Watch changes; removed with the instance. */
  int (*presence_watch)(stratus_ctx *ctx, stratus_presence_cb cb, void *ud);

  /* check: run the work on this pool (a full [db.<name>] name, e.g. from the
   * plugin's config), for a method declared with work and no pool. */
  int (*req_use_pool)(stratus_req *req, const char *pool);
};

#define STRATUS_EVENT_CATALOGUE (-1)

/* True when this host has `fn` and built it (non-NULL). */
#define STRATUS_HOST_HAS(api, fn)                                          \
  ((api) != NULL &&                                                        \
   (api)->hdr.struct_size >= offsetof(stratus_host_api, fn) + sizeof((api)->fn) && \
   (api)->fn != NULL)

#define STRATUS_LOG(api, ctx, level, ...) (api)->log((ctx), (level), __VA_ARGS__)
#define STRATUS_ERROR(api, ctx, ...) STRATUS_LOG(api, ctx, STRATUS_LOG_ERROR, __VA_ARGS__)
#define STRATUS_WARN(api, ctx, ...) STRATUS_LOG(api, ctx, STRATUS_LOG_WARN, __VA_ARGS__)
#define STRATUS_INFO(api, ctx, ...) STRATUS_LOG(api, ctx, STRATUS_LOG_INFO, __VA_ARGS__)
#define STRATUS_DEBUG(api, ctx, ...) STRATUS_LOG(api, ctx, STRATUS_LOG_DEBUG, __VA_ARGS__)

#endif
