/*
 * Outgoing calls of plugins (rpc_call). A method a local plugin serves is
 * called in process: the request is handed over as it is and the reply
 * reaches `done` from within the server's call_reply, never from within
 * rpc_call itself (dispatch waits for the next loop turn). Anything else goes
 * to the [grpc.upstream] address of the service, or to opts->target.
 */
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "log.h"
#include "rpc_internal.h"
#include "stratusd.h"
#include "util.h"

struct local_call {
  stratus_ctx *caller;     /* held until done has run */
  stratus_rpc_done done;
  void *ud;
  const ProtobufCMessage *request; /* the caller's, valid until done */
  const char *path;
  uint64_t deadline_ms;
  bool answered;           /* done has run */
  bool served;             /* the server side finished (or never started) */
  bool timer_open;
  uv_timer_t timer;        /* dispatch now, then the deadline */
  list_node node;          /* waiting for dispatch */
};

static list_node pending = LIST_INIT(pending);
static uv_timer_t dispatcher;
static bool ready;

static void maybe_free(local_call *lc);

static void on_timer_closed(uv_handle_t *h) {
  local_call *lc = h->data;
  lc->timer_open = false;
  maybe_free(lc);
}

static void maybe_free(local_call *lc) {
  if (!lc->answered || !lc->served) return;
  if (lc->timer_open) {
    if (!uv_is_closing((uv_handle_t *)&lc->timer))
      uv_close((uv_handle_t *)&lc->timer, on_timer_closed);
    return;
  }
  free(lc);
}

void local_call_answer(local_call *lc, int status, const char *message,
                       const ProtobufCMessage *response) {
  if (!lc->answered) {
    lc->answered = true;
    lc->done(lc->caller, status, message ? message : "", response, lc->ud);
    inst_release(lc->caller);
  }
  lc->served = true;
  maybe_free(lc);
}

bool local_call_expired(const local_call *lc) { return lc->answered; }

int64_t local_call_remaining_ms(const local_call *lc) {
  uint64_t now = uv_now(stratusd.loop);
  return lc->deadline_ms > now ? (int64_t)(lc->deadline_ms - now) : 0;
}

static void on_deadline(uv_timer_t *t) {
  local_call *lc = t->data;
  if (lc->answered) return;
  lc->answered = true;
  lc->done(lc->caller, STRATUS_GRPC_DEADLINE_EXCEEDED, "deadline exceeded", NULL, lc->ud);
  inst_release(lc->caller);
  maybe_free(lc);
}

/* Serve one waiting call on whatever generation is active now. */
static void dispatch(local_call *lc) {
  route *r = rpc_route(lc->path);
  if (!r) {
    char *msg = xasprintf("%s: no enabled plugin serves this method", lc->path);
    local_call_answer(lc, STRATUS_GRPC_UNIMPLEMENTED, msg, NULL);
    free(msg);
    return;
  }
  stratus_call *call = rpc_call_new(r, (ProtobufCMessage *)lc->request, false);
  call->local = lc;
  rpc_serve(r, call);
}

static void on_dispatch(uv_timer_t *t) {
  UNUSED(t);
  while (!list_empty(&pending)) {
    local_call *lc = list_entry(pending.next, local_call, node);
    list_remove(&lc->node);
    if (lc->answered) { /* deadline passed while waiting */
      lc->served = true;
      maybe_free(lc);
    } else {
      dispatch(lc);
    }
  }
}

void rpc_client_init(void) {
  uv_timer_init(stratusd.loop, &dispatcher);
  ready = true;
}

void rpc_client_close(void) {
  if (!ready) return;
  ready = false;
  uv_close((uv_handle_t *)&dispatcher, NULL);
}

static int call_local(stratus_ctx *ctx, const char *path, const ProtobufCMessage *req,
                      int64_t timeout_ms, stratus_rpc_done done, void *ud) {
  local_call *lc = xcalloc(1, sizeof(*lc));
  *lc = (local_call){.caller = ctx, .done = done, .ud = ud, .request = req, .path = path};
  lc->deadline_ms = uv_now(stratusd.loop) + (uint64_t)timeout_ms;
  uv_timer_init(stratusd.loop, &lc->timer);
  lc->timer.data = lc;
  lc->timer_open = true;
  uv_timer_start(&lc->timer, on_deadline, (uint64_t)timeout_ms, 0);
  inst_hold(ctx);
  list_push_back(&pending, &lc->node);
  uv_timer_start(&dispatcher, on_dispatch, 0, 0);
  return 0;
}

int api_rpc_call(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                 const char *method, const ProtobufCMessage *request,
                 const stratus_call_opts *opts, stratus_rpc_done done, void *ud) {
  if (!ctx || !service || !method || !request || !done) return STRATUS_EINVAL;
  if (ctx->state == INST_DEAD) return STRATUS_EDRAINING; /* draining may still call */
  const ProtobufCMethodDescriptor *m =
      protobuf_c_service_descriptor_get_method_by_name(service, method);
  if (!m) return STRATUS_ENOENT;
  if (request->descriptor != m->input) return STRATUS_EINVAL;
  int64_t timeout = stratusd.config->grpc->default_timeout_ms;
  const char *target = NULL;
  if (opts && opts->struct_size >= offsetof(stratus_call_opts, target) + sizeof(opts->target)) {
    if (opts->timeout_ms > 0) timeout = opts->timeout_ms;
    target = opts->target;
  }
  char *path = xasprintf("/%s/%s", service->name, m->name);
  const char *interned = rpc_intern(path);
  free(path);
  if (!target && rpc_route(interned))
    return call_local(ctx, interned, request, timeout, done, ud);
  return rpc_call_remote(ctx, service, interned, m, request,
                         target ? target : host_config_upstream(stratusd.config, service->name),
                         timeout, done, ud);
}
