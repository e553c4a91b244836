/* One outgoing unary call: the request stream, deadlines, the outcome,
 * retries of requests the server never processed, and the deferred done
 * callbacks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

#ifndef STRATUS_VERSION
#define STRATUS_VERSION "0.0.0"
#endif
#define USER_AGENT "stratus/" STRATUS_VERSION

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

gc_call *ccall_new(gc_target *t, grpc_client_done done, void *ud) {
  gc_call *call = xcalloc(1, sizeof(*call));
  call->target = t;
  if (t) t->refs++;
  call->done = done;
  call->ud = ud;
  call->grpc_status = -2;
  list_init(&call->node);
  list_init(&call->done_node);
  list_init(&call->deadline.node);
  return call;
}

void ccall_free(gc_call *call) {
  list_remove(&call->deadline.node);
  free(call->path);
  free(call->req);
  free(call->grpc_message);
  grpc_msg_reader_reset(&call->reply);
  free(call->message);
  gc_target *t = call->target;
  free(call);
  if (t) target_unref(t);
}

static void response_reset(gc_call *call) {
  call->http_status = 0;
  call->grpc_status = -2;
  call->grpc_ctype = call->headers_sent = false;
  free(call->grpc_message);
  call->grpc_message = NULL;
  grpc_msg_reader_reset(&call->reply);
  call->req_off = 0;
  call->stream_id = 0;
}

/* The outcome is set once; done runs from the loop (ccall_run_completions). */
void ccall_finish(gc_call *call, int status, const char *fmt, ...) {
  if (call->finished) return;
  call->finished = true;
  call->status = status;
  strbuf sb;
  sb_init(&sb);
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  call->message = sb_steal(&sb);
  list_remove(&call->deadline.node);
  if (!call->conn) list_remove(&call->node); /* out of target->waiting */
  if (call->target && status != GRPC_OK) cli_stats.calls_failed++;
  if (call->target && status == GRPC_OK) call->target->backoff_ms = BACKOFF_MIN_MS;
  list_push_back(&cli.completed, &call->done_node);
  cli_wake();
}

void ccall_run_completions(void) {
  while (!list_empty(&cli.completed)) {
    gc_call *call = list_entry(cli.completed.next, gc_call, done_node);
    list_remove(&call->done_node);
    bool ok = call->status == GRPC_OK;
    const grpc_msg_reader *r = &call->reply;
    const uint8_t *msg = r->msg ? r->msg : (const uint8_t *)"";
    call->done(call->status, call->message, ok ? msg : NULL, ok ? r->msg_len : 0,
               call->ud);
    /* set only now: a shutdown inside done may unbind it, and must not free it */
    call->delivered = true;
    if (!call->conn) ccall_free(call);
  }
}

/* ---- the stream ---- */

void ccall_cancel_stream(gc_call *call) {
  call->cancel = true;
  if (!call->conn || !call->headers_sent) return; /* done when the HEADERS go */
  nghttp2_submit_rst_stream(call->conn->h2, NGHTTP2_FLAG_NONE, call->stream_id,
                            NGHTTP2_CANCEL);
  cconn_schedule_flush(call->conn);
}

static ssize_t read_request(nghttp2_session *s, int32_t stream_id, uint8_t *buf,
                            size_t length, uint32_t *flags,
                            nghttp2_data_source *src, void *ud) {
  gc_call *call = src->ptr;
  (void)s;
  (void)stream_id;
  (void)ud;
  size_t n = MIN(call->req_len - call->req_off, length);
  memcpy(buf, call->req + call->req_off, n);
  call->req_off += n;
  if (call->req_off == call->req_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

/* 0, or -1 when the connection has no stream id left. */
int ccall_stream_start(gc_conn *c, gc_call *call) {
  nghttp2_nv nv[8] = {NV_STATIC(":method", "POST"), NV_STATIC(":scheme", "http"),
                      nv_copy(":path", call->path),
                      nv_copy(":authority", c->target->name),
                      NV_STATIC("content-type", "application/grpc"),
                      NV_STATIC("te", "trailers"), NV_STATIC("user-agent", USER_AGENT)};
  size_t n = 7;
  char timeout[WIRE_TIMEOUT_LEN];
  if (call->deadline.at) {
    uint64_t now = uv_now(cli.loop);
    int64_t left = call->deadline.at > now ? (int64_t)(call->deadline.at - now) : 1;
    wire_format_timeout(left, timeout);
    nv[n++] = nv_copy("grpc-timeout", timeout);
  }
  nghttp2_data_provider prd = {.source.ptr = call, .read_callback = read_request};
  int32_t id = nghttp2_submit_request(c->h2, NULL, nv, n, &prd, call);
  if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) return -1;
  if (id < 0) {
    ccall_finish(call, GRPC_INTERNAL, "HTTP/2 request: %s", nghttp2_strerror(id));
    return 0;
  }
  call->stream_id = id;
  call->conn = c;
  list_push_back(&c->streams, &call->node);
  c->nstreams++;
  cconn_schedule_flush(c);
  return 0;
}

void ccall_headers_sent(gc_call *call) {
  call->headers_sent = true;
  if (call->cancel) ccall_cancel_stream(call);
}

/* A call's node is in one list at a time (target->waiting or a connection's
 * streams): queued twice, the list would loop forever. Refuse and say so. */
bool ccall_link(list_node *list, gc_call *call) {
  if (call->node.next != &call->node) {
    grpc_log(STRATUS_LOG_ERROR, "internal error: a call to %s%s is queued twice; ignored",
             call->target ? call->target->name : "", call->path ? call->path : "");
    return false;
  }
  list_push_back(list, &call->node);
  return true;
}

/* The stream lets go of the call too: nghttp2 may still report on it (a
 * request it could not send is closed next with REFUSED_STREAM), and by then
 * the call is retried elsewhere or freed. */
void ccall_unbind(gc_call *call) {
  gc_conn *c = call->conn;
  if (!c) return;
  if (c->h2) nghttp2_session_set_stream_user_data(c->h2, call->stream_id, NULL);
  list_remove(&call->node);
  call->conn = NULL;
  if (--c->nstreams == 0) {
    c->idle_since = uv_now(cli.loop);
    cli_wake();
  }
}

static void free_if_delivered(gc_call *call) {
  if (call->delivered && !call->conn) ccall_free(call);
}

/* The server never saw the request: send it again, on whatever connection
 * the target has by then. */
void ccall_retry(gc_call *call, const char *why) {
  if (call->finished) {
    free_if_delivered(call);
    return;
  }
  if (++call->retries > CLIENT_MAX_RETRIES) {
    ccall_finish(call, GRPC_UNAVAILABLE, "%s: %s (retried %d times)", call->target->name,
                 why, CLIENT_MAX_RETRIES);
    return;
  }
  cli.retries++;
  response_reset(call);
  target_enqueue(call->target, call);
}

void ccall_not_sent(gc_call *call, int error) {
  ccall_unbind(call);
  if (call->finished)
    free_if_delivered(call);
  else if (error == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED)
    ccall_retry(call, "request not sent: the server is going away");
  else
    ccall_finish(call, GRPC_INTERNAL, "request not sent: %s", nghttp2_strerror(error));
}

void ccall_conn_lost(gc_call *call, int status, const char *why) {
  ccall_unbind(call);
  if (call->finished)
    free_if_delivered(call);
  else if (!call->headers_sent)
    ccall_retry(call, why);
  else
    ccall_finish(call, status, "%s", why);
}

void ccall_stream_closed(gc_call *call, uint32_t error_code) {
  ccall_unbind(call);
  if (call->finished) {
    free_if_delivered(call);
  } else if (error_code == NGHTTP2_REFUSED_STREAM && !call->http_status) {
    ccall_retry(call, "stream refused by the server");
  } else if (error_code == NGHTTP2_NO_ERROR) {
    ccall_finish(call, GRPC_INTERNAL, "%s closed the stream before the response ended",
                 call->target->name);
  } else {
    ccall_finish(call, wire_grpc_from_h2_error(error_code), "stream reset by %s: %s",
                 call->target->name, nghttp2_http2_strerror(error_code));
  }
}

/* ---- deadlines: one timer, calls sorted by deadline ---- */

static void deadline_timer_reset(void) {
  if (!cli.h) return;
  deadline_list_arm_timer(&cli.deadlines, &cli.h->deadline, ccall_deadlines_fire);
}

void ccall_deadline_arm(gc_call *call, int64_t ms) {
  call->timeout_ms = ms;
  call->deadline.at = uv_now(cli.loop) + (uint64_t)ms;
  if (deadline_list_insert(&cli.deadlines, &call->deadline)) deadline_timer_reset();
}

static void deadline_hit(gc_call *call) {
  gc_target *t = call->target;
  const char *what = call->conn ? "waiting for the reply from"
                     : t->conn && t->conn->state == CONN_READY ? "waiting for a stream to"
                     : t->conn ? "connecting to"
                     : "waiting to reconnect to";
  ccall_finish(call, GRPC_DEADLINE_EXCEEDED, "deadline exceeded after %lld ms %s %s",
               (long long)call->timeout_ms, what, t->name);
  ccall_cancel_stream(call);
  if (call->conn) cconn_check_alive(call->conn);
}

void ccall_deadlines_fire(uv_timer_t *timer) {
  (void)timer;
  uint64_t now = uv_now(cli.loop);
  grpc_deadline *d;
  while ((d = deadline_list_pop_due(&cli.deadlines, now)))
    deadline_hit(list_entry(d, gc_call, deadline));
  deadline_timer_reset();
}
