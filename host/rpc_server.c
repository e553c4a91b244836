#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/proto/contracts.h>
#include <stratus/proto/auctionhouse/auctionhouse.pb-c.h>
#include <stratus/proto/characters/characters.pb-c.h>
#include <stratus/proto/chat/chat.pb-c.h>
#include <stratus/proto/group/group.pb-c.h>
#include <stratus/proto/guid/guid.pb-c.h>
#include <stratus/proto/guilds/guilds.pb-c.h>
#include <stratus/proto/mail/mail.pb-c.h>
#include <stratus/proto/matchmaking/matchmaking.pb-c.h>
#include <stratus/proto/servers-registry/registry.pb-c.h>
#include <stratus/proto/worldserver/worldserver.pb-c.h>

#include "hashmap.h"
#include "log.h"
#include "metrics.h"
#include "grpc/client.h"
#include "rpc_internal.h"
#include "stratusd.h"
#include "util.h"

static hashmap routes;   /* path -> active route */
static hashmap interned; /* path -> rpc_path */
static stratus_metric *requests_total, *duration, *inflight_gauge, *conns_open,
    *conns_total, *rejected_total, *timed_out_total;
static long inflight;

static const char *const status_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

const char *grpc_status_name(int status) {
  return status >= 0 && status <= 16 ? status_names[status] : "UNKNOWN";
}

static rpc_path *path_get(const char *path) {
  rpc_path *p = hm_get(&interned, path);
  if (!p) {
    p = xcalloc(1, sizeof(*p));
    p->text = xstrdup(path);
    hm_put(&interned, path, p);
  }
  return p;
}

const char *rpc_intern(const char *path) { return path_get(path)->text; }

void rpc_init(void) {
  static const char *const method_code[] = {"method", "code", NULL};
  static const char *const method[] = {"method", NULL};
  static const char *const reason[] = {"reason", NULL};
  hm_init(&routes);
  hm_init(&interned);
  requests_total = metrics_host(STRATUS_METRIC_COUNTER, "stratus_grpc_requests_total",
                                "gRPC calls finished, by method and status", method_code);
  duration = metrics_host(STRATUS_METRIC_HISTOGRAM, "stratus_grpc_request_duration_seconds",
                          "gRPC call latency inside stratusd, by method", method);
  inflight_gauge = metrics_host(STRATUS_METRIC_GAUGE, "stratus_grpc_inflight",
                                "gRPC calls being served", NULL);
  conns_open = metrics_host(STRATUS_METRIC_GAUGE, "stratus_grpc_connections_open",
                            "Open gRPC (HTTP/2) connections", NULL);
  conns_total = metrics_host(STRATUS_METRIC_COUNTER, "stratus_grpc_connections_total",
                             "gRPC connections accepted", NULL);
  rejected_total = metrics_host(STRATUS_METRIC_COUNTER, "stratus_grpc_transport_rejected_total",
                                "Requests refused by the transport (framing, size, method)", NULL);
  timed_out_total = metrics_host(STRATUS_METRIC_COUNTER, "stratus_grpc_connections_timed_out_total",
                                 "Connections closed for handshake_timeout or drained for "
                                 "idle_timeout or first_call_timeout", reason);
  rpc_client_init();
}

/* Brings a counter series up to the transport's running total. */
static void add_up_to_series(stratus_metric *m, const char *const *labels, uint64_t total) {
  metrics_add(m, labels, (double)total - metrics_value(m, labels));
}

static void add_up_to(stratus_metric *m, const char *label, uint64_t total) {
  const char *labels[] = {label};
  add_up_to_series(m, labels, total);
}

void rpc_refresh_metrics(void) {
  grpc_server_stats st;
  grpc_server_get_stats(&st);
  metrics_set(inflight_gauge, NULL, (double)inflight);
  metrics_set(conns_open, NULL, (double)st.connections_open);
  metrics_add(conns_total, NULL, (double)st.connections_total - metrics_value(conns_total, NULL));
  metrics_add(rejected_total, NULL, (double)st.calls_rejected - metrics_value(rejected_total, NULL));
  add_up_to(timed_out_total, "handshake", st.handshake_timeouts);
  /* Calls the transport refused before any dispatch (size, compression,
   * framing, 405/415): it tells neither their path nor their status. */
  static const char *const transport[] = {"unknown", "rejected_by_transport"};
  add_up_to_series(requests_total, transport, st.calls_rejected);
  add_up_to(timed_out_total, "idle", st.idle_closed);
  add_up_to(timed_out_total, "first_call", st.first_call_closed);
}

void rpc_close(void) {
  rpc_client_close();
  grpc_client_shutdown();
}

void rpc_shutdown(void) {
  hm_free(&routes);
  size_t it = 0;
  void *p;
  while (hm_next(&interned, &it, NULL, &p)) {
    free(((rpc_path *)p)->text);
    free(p);
  }
  hm_free(&interned);
}

route *rpc_route(const char *path) { return hm_get(&routes, path); }

/* ---- registration ------------------------------------------------------ */

static void route_activate(inst_reg *r) {
  route *rt = (route *)r;
  hm_put(&routes, rt->path, rt); /* replaces an older generation's route */
}

static void route_deactivate(inst_reg *r) {
  route *rt = (route *)r;
  if (hm_get(&routes, rt->path) == rt) hm_remove(&routes, rt->path);
}

static void route_release(inst_reg *r) { free(r); }

static const inst_reg_ops route_ops = {"rpc", route_activate, route_deactivate,
                                       route_release};

static bool registered_by(stratus_ctx *ctx, const char *path) {
  list_each(it, &ctx->regs) {
    inst_reg *r = list_entry(it, inst_reg, node);
    if (r->ops == &route_ops && strcmp(((route *)r)->path, path) == 0) return true;
  }
  return false;
}

/* A v1 service is served with libstratus-proto's layouts: a plugin that
 * recorded other contracts would read and write its messages wrongly. */
static int contracts_ok(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service) {
  if (!ctx->desc || strncmp(service->name, "v1.", 3) != 0) return 0;
  uint64_t mine = stratus_proto_contracts_id(), theirs = ctx->desc->contracts_id;
  if (theirs == 0) {
    if (!ctx->contracts_warned)
      log_write(STRATUS_LOG_WARN, ctx->tag, "serves %s but does not record the contracts it "
                "was built against (STRATUS_PLUGIN_CONTRACTS); make sure it was built with "
                "this host's headers", service->name);
    ctx->contracts_warned = true;
    return 0;
  }
  if (theirs == mine) return 0;
  log_write(STRATUS_LOG_ERROR, ctx->tag, "was built against contracts %016" PRIx64 ", this "
            "host has %016" PRIx64 ": rebuild the plugin against this stratus-dev", theirs,
            mine);
  return STRATUS_EVERSION;
}

int api_rpc_register(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                     const char *method, stratus_rpc_handler handler, void *ud) {
  if (!ctx || !service || !method || !handler) return STRATUS_EINVAL;
  if (ctx->state != INST_INIT) return STRATUS_EBUSY;
  int rc = contracts_ok(ctx, service);
  if (rc != 0) return rc;
  const ProtobufCMethodDescriptor *m =
      protobuf_c_service_descriptor_get_method_by_name(service, method);
  if (!m) return STRATUS_ENOENT;
  char *path = xasprintf("/%s/%s", service->name, m->name);
  rpc_path *series = path_get(path);
  const char *interned_path = series->text;
  free(path);
  route *current = hm_get(&routes, interned_path);
  if ((current && strcmp(current->reg.ctx->name, ctx->name) != 0) ||
      registered_by(ctx, interned_path)) {
    log_write(STRATUS_LOG_ERROR, ctx->tag, "%s is already served by plugin '%s'",
              interned_path, current ? current->reg.ctx->name : ctx->name);
    return STRATUS_EEXIST;
  }
  route *rt = xcalloc(1, sizeof(*rt));
  *rt = (route){.path = interned_path, .series = series, .method = m, .handler = handler,
                .ud = ud};
  inst_reg_add(ctx, &rt->reg, &route_ops);
  return 0;
}

/* ---- serving ------------------------------------------------------------ */

stratus_call *rpc_call_new(route *r, ProtobufCMessage *request, bool owns) {
  stratus_call *call = xcalloc(1, sizeof(*call));
  call->ctx = r->reg.ctx;
  call->method = r->method;
  call->path = r->path;
  call->series = r->series;
  call->request = request;
  call->owns_request = owns;
  call->start_ns = clock_mono_ns();
  inst_hold(call->ctx);
  inflight++;
  return call;
}

void rpc_serve(route *r, stratus_call *call) {
  r->handler(call->ctx, call, call->request, r->ud);
}

static void count_call(rpc_path *p, int status, uint64_t start_ns) {
  int code = status >= 0 && status < RPC_STATUS_CODES ? status : GRPC_UNKNOWN;
  const char *labels[] = {p->text, grpc_status_name(code)};
  if (!p->requests[code]) p->requests[code] = metrics_series(requests_total, labels);
  if (!p->duration) p->duration = metrics_series(duration, labels);
  metrics_series_add(requests_total, p->requests[code], 1);
  metrics_series_observe(duration, p->duration, (double)(clock_mono_ns() - start_ns) / 1e9);
}

static void finish(stratus_call *call, int status) {
  count_call(call->series, status, call->start_ns);
  if (call->owns_request) protobuf_c_message_free_unpacked(call->request, NULL);
  inflight--;
  inst_release(call->ctx);
  free(call);
}

/* The method label of a call no route serves: its path when it names a
 * method of the contracts (a disabled plugin's), else "unknown", so that
 * made-up paths cannot create series without end. */
static const char *method_label(const char *path) {
  static const ProtobufCServiceDescriptor *const services[] = {
      &v1__auction_house_service__descriptor, &v1__characters_service__descriptor,
      &v1__chat_service__descriptor, &v1__group_service__descriptor,
      &v1__guid_service__descriptor, &v1__guild_service__descriptor,
      &v1__mail_service__descriptor, &v1__matchmaking_service__descriptor,
      &v1__servers_registry_service__descriptor, &v1__world_server_service__descriptor};
  const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
  if (!slash) return "unknown";
  size_t n = (size_t)(slash - path - 1);
  for (size_t i = 0; i < ARRAY_LEN(services); i++)
    if (strlen(services[i]->name) == n && strncmp(services[i]->name, path + 1, n) == 0 &&
        protobuf_c_service_descriptor_get_method_by_name(services[i], slash + 1))
      return rpc_intern(path);
  return "unknown";
}

/* A call answered before it reached a plugin still counts. */
static void refuse(grpc_call *gc, const char *label, int status, const char *text) {
  const char *labels[] = {label, grpc_status_name(status)};
  metrics_add(requests_total, labels, 1);
  grpc_call_fail(gc, status, text);
}

static void on_request(grpc_call *gc, const char *path, const uint8_t *msg,
                       size_t len, void *ud) {
  UNUSED(ud);
  route *r = rpc_route(path);
  if (!r) {
    char text[300];
    snprintf(text, sizeof(text), "%s: no enabled plugin serves this method", path);
    refuse(gc, method_label(path), GRPC_UNIMPLEMENTED, text);
    return;
  }
  ProtobufCMessage *req = protobuf_c_message_unpack(r->method->input, NULL, len, msg);
  if (!req) {
    char text[300];
    snprintf(text, sizeof(text), "malformed request: not a valid %s",
             r->method->input->name);
    refuse(gc, r->path, GRPC_INVALID_ARGUMENT, text);
    return;
  }
  stratus_call *call = rpc_call_new(r, req, true);
  call->remote = gc;
  rpc_serve(r, call);
}

const ProtobufCMessage *rpc_with_api(const ProtobufCMessage *m, void **copy) {
  *copy = NULL;
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field(m->descriptor, 1);
  if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED ||
      strcmp(f->name, "api") != 0)
    return m;
  const char *const *api = (const char *const *)((const char *)m + f->offset);
  if (*api && **api) return m;
  char *c = xmalloc(m->descriptor->sizeof_message);
  memcpy(c, m, m->descriptor->sizeof_message);
  *(const char **)(c + f->offset) = STRATUS_CONTRACT_VERSION;
  *copy = c;
  return (const ProtobufCMessage *)c;
}

static int send_reply(stratus_call *call, const ProtobufCMessage *response) {
  void *copy;
  const ProtobufCMessage *m = rpc_with_api(response, &copy);
  if (call->local) {
    local_call_answer(call->local, GRPC_OK, NULL, m);
  } else {
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(n ? n : 1);
    protobuf_c_message_pack(m, buf);
    grpc_call_reply(call->remote, buf, n);
    free(buf);
  }
  free(copy);
  return 0;
}

static void send_failure(stratus_call *call, int status, const char *message) {
  if (call->local)
    local_call_answer(call->local, status, message, NULL);
  else
    grpc_call_fail(call->remote, status, message);
}

int api_call_reply(stratus_call *call, const ProtobufCMessage *response) {
  if (!call) return STRATUS_EINVAL;
  if (!response || response->descriptor != call->method->output) {
    log_write(STRATUS_LOG_ERROR, call->ctx->tag, "%s: reply is not a %s", call->path,
              call->method->output->name);
    send_failure(call, GRPC_INTERNAL, "the plugin replied with the wrong message type");
    finish(call, GRPC_INTERNAL);
    return STRATUS_EINVAL;
  }
  send_reply(call, response);
  finish(call, GRPC_OK);
  return 0;
}

int api_call_fail(stratus_call *call, int status, const char *fmt, ...) {
  if (!call) return STRATUS_EINVAL;
  if (status <= GRPC_OK || status > GRPC_UNAUTHENTICATED) status = GRPC_UNKNOWN;
  char *message = NULL;
  if (fmt) {
    va_list ap;
    strbuf sb;
    sb_init(&sb);
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    message = sb_steal(&sb);
  }
  send_failure(call, status, message);
  free(message);
  finish(call, status);
  return 0;
}

int64_t api_call_remaining_ms(stratus_call *call) {
  if (call->local) return local_call_remaining_ms(call->local);
  return grpc_call_remaining_ms(call->remote);
}

bool api_call_cancelled(stratus_call *call) {
  if (call->local) return local_call_expired(call->local);
  return grpc_call_cancelled(call->remote);
}

const char *api_call_peer(stratus_call *call) {
  return call->local ? "local" : grpc_call_peer(call->remote);
}

const char *api_call_metadata(stratus_call *call, const char *key) {
  if (call->local || !key) return NULL;
  return grpc_call_header(call->remote, key);
}

/* ---- the transport ------------------------------------------------------ */

int rpc_server_start(const host_config *hc, char *err, size_t errlen) {
  const grpc_section *g = hc->grpc;
  const tls_section *t = hc->tls;
  grpc_server_config cfg = {
      .listen = g->listen,
      .max_message_size = (size_t)g->max_message_size,
      .max_concurrent_streams = (uint32_t)g->max_concurrent_streams,
      .tls = g->tls,
      .tls_cert = t->cert,
      .tls_key = t->key,
      .tls_client_ca = *t->client_ca ? t->client_ca : NULL,
      .tls_verify_client = t->verify_client,
      .handshake_timeout_ms = (uint32_t)g->handshake_timeout_ms,
      .idle_timeout_ms = (uint32_t)g->idle_timeout_ms,
      .first_call_timeout_ms = (uint32_t)g->first_call_timeout_ms,
      .max_connections = (uint32_t)g->max_connections,
      .max_pending_output = (size_t)g->max_pending_output,
  };
  return grpc_server_start(stratusd.loop, &cfg, on_request, NULL, err, errlen);
}

void rpc_server_drain(void (*done)(void *ud), void *ud) { grpc_server_drain(done, ud); }
void rpc_server_close(void) { grpc_server_close(); }
const char *rpc_server_address(size_t i) { return grpc_server_address(i); }
