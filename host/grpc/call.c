/* One unary call: its request headers and message as they arrive, the
 * checks the transport makes before dispatch, deadlines, and the lifetime
 * shared between the HTTP/2 stream and the dispatcher. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

grpc_call *call_new(grpc_conn *c, int32_t stream_id) {
  grpc_call *call = xcalloc(1, sizeof(*call));
  call->conn = c;
  call->stream_id = stream_id;
  c->had_call = true;
  list_push_back(&c->calls, &call->conn_node);
  list_init(&call->deadline.node);
  memcpy(call->peer, c->peer, sizeof(call->peer));
  grpc_stats.streams_active++;
  return call;
}

static void call_free(grpc_call *call) {
  for (size_t i = 0; i < call->nhdrs; i++) {
    free(call->hdrs[i].name);
    free(call->hdrs[i].value);
  }
  free(call->hdrs);
  grpc_msg_reader_reset(&call->request);
  free(call->resp);
  free(call);
}

void call_add_header(grpc_call *call, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen) {
  call->hdr_bytes += nlen + vlen + 32; /* RFC 7541 entry size */
  if (call->hdr_bytes > srv.cfg.max_header_list_size) {
    call->too_big = true;
    return;
  }
  grow_array((void **)&call->hdrs, &call->hdrs_cap, call->nhdrs + 1,
             sizeof(*call->hdrs));
  call->hdrs[call->nhdrs++] = (grpc_header){
      xstrndup((const char *)name, nlen), xstrndup((const char *)value, vlen)};
}

/* The transport answers the request itself; the dispatcher never sees it. */
__attribute__((format(printf, 3, 4)))
static void reject(grpc_call *call, int status, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  call->responded = true;
  grpc_stats.calls_rejected++;
  respond_status(call, status, msg, false);
}

static void reject_http(grpc_call *call, int http_status) {
  call->responded = true;
  grpc_stats.calls_rejected++;
  respond_http(call, http_status);
}

/* ---- deadlines: one timer, calls sorted by deadline ---- */

static void deadline_arm(grpc_call *call, int64_t ms) {
  call->deadline.at = uv_now(srv.loop) + (uint64_t)ms;
  if (deadline_list_insert(&srv.deadlines, &call->deadline))
    deadline_list_arm_timer(&srv.deadlines, &srv.deadline_timer, call_deadlines_fire);
}

static void deadline_hit(grpc_call *call) {
  grpc_stats.deadline_exceeded++;
  call->cancelled = true;
  if (call->responded) return;
  call->responded = true;
  respond_status(call, GRPC_DEADLINE_EXCEEDED, "deadline exceeded", false);
}

void call_deadlines_fire(uv_timer_t *t) {
  (void)t;
  uint64_t now = uv_now(srv.loop);
  grpc_deadline *d;
  while ((d = deadline_list_pop_due(&srv.deadlines, now)))
    deadline_hit(list_entry(d, grpc_call, deadline));
  deadline_list_arm_timer(&srv.deadlines, &srv.deadline_timer, call_deadlines_fire);
}

/* ---- request ---- */

void call_headers_done(grpc_call *call) {
  const char *method = grpc_call_header(call, ":method");
  const char *timeout = grpc_call_header(call, "grpc-timeout");
  int64_t ms = timeout ? wire_parse_timeout_ms(timeout) : 0;
  if (call->too_big)
    reject(call, GRPC_RESOURCE_EXHAUSTED, "request headers larger than %u bytes",
           srv.cfg.max_header_list_size);
  else if (!method || strcmp(method, "POST") != 0)
    reject_http(call, 405);
  else if (!wire_content_type_ok(grpc_call_header(call, "content-type")))
    reject_http(call, 415);
  else if (ms < 0)
    reject(call, GRPC_INTERNAL, "malformed grpc-timeout '%s'", timeout);
  else if (timeout)
    deadline_arm(call, ms);
}

static void reject_compressed(grpc_call *call) {
  const char *enc = grpc_call_header(call, "grpc-encoding");
  call->responded = true;
  grpc_stats.calls_rejected++;
  char msg[160];
  snprintf(msg, sizeof(msg),
           "compressed request messages are not supported (grpc-encoding: %.64s); "
           "send identity",
           enc ? enc : "none");
  respond_status(call, GRPC_UNIMPLEMENTED, msg, true);
}

/* The request's message broke the framing. */
static void reject_framing(grpc_call *call, grpc_msg_result res) {
  const grpc_msg_reader *r = &call->request;
  if (res == GRPC_MSG_COMPRESSED)
    reject_compressed(call);
  else if (res == GRPC_MSG_BAD_FLAGS)
    reject(call, GRPC_INTERNAL, "invalid message flags 0x%02x", r->prefix[0]);
  else if (res == GRPC_MSG_TOO_BIG)
    reject(call, GRPC_RESOURCE_EXHAUSTED,
           "request message larger than max (%u > %zu bytes)",
           wire_prefix_len(r->prefix), srv.cfg.max_message_size);
  else
    reject(call, GRPC_INTERNAL, "unary request with more than one message");
}

void call_data(grpc_call *call, const uint8_t *data, size_t len) {
  if (call->responded) return;
  grpc_msg_result res =
      grpc_msg_reader_feed(&call->request, data, len, srv.cfg.max_message_size);
  if (res != GRPC_MSG_MORE) reject_framing(call, res);
}

static void dispatch(grpc_call *call) {
  if (call->deadline.at && uv_now(srv.loop) >= call->deadline.at) {
    list_remove(&call->deadline.node);
    deadline_hit(call);
    return;
  }
  call->held = true;
  grpc_stats.calls_total++;
  srv.fn(call, grpc_call_header(call, ":path"), call->request.msg,
         call->request.msg_len, srv.ud);
}

void call_end_stream(grpc_call *call) {
  call->req_done = true;
  if (call->responded) return;
  const grpc_msg_reader *r = &call->request;
  grpc_msg_result res = grpc_msg_reader_end(r);
  if (res == GRPC_MSG_NONE)
    reject(call, GRPC_INTERNAL, "unary request without a message");
  else if (res == GRPC_MSG_IN_PREFIX)
    reject(call, GRPC_INTERNAL, "request ends inside a message prefix");
  else if (res == GRPC_MSG_TRUNCATED)
    reject(call, GRPC_INTERNAL, "request message truncated (%zu of %zu bytes)",
           r->msg_have, r->msg_len);
  else
    dispatch(call);
}

/* Our side ended the stream: if the client is still sending (an early
 * answer), tell it to stop without an error. */
void call_end_sent(grpc_call *call) {
  if (!call->req_done && call->conn)
    nghttp2_submit_rst_stream(call->conn->h2, NGHTTP2_FLAG_NONE,
                              call->stream_id, NGHTTP2_NO_ERROR);
}

/* The stream or the connection is gone. */
void call_detach(grpc_call *call) {
  list_remove(&call->conn_node);
  list_remove(&call->deadline.node);
  call->conn = NULL;
  grpc_stats.streams_active--;
  if (call->held)
    call->cancelled = true;
  else
    call_free(call);
}

/* ---- the dispatcher's side ---- */

/* true if a response should go out; otherwise the call may be gone. */
static bool call_finish(grpc_call *c) {
  if (!c->held) {
    grpc_log(STRATUS_LOG_ERROR, "a call was finished twice or never dispatched");
    return false;
  }
  c->held = false;
  if (c->conn && !c->cancelled && !c->responded) {
    c->responded = true;
    return true;
  }
  grpc_stats.finished_after_cancel++;
  if (!c->conn) call_free(c);
  return false;
}

/* The request message may be what is being replied: free it only now. */
static void drop_request(grpc_call *c) { grpc_msg_reader_reset(&c->request); }

void grpc_call_reply(grpc_call *c, const uint8_t *msg, size_t len) {
  if (!call_finish(c)) return;
  if (len > srv.cfg.max_message_size) {
    char m[128];
    snprintf(m, sizeof(m), "response message larger than max (%zu > %zu bytes)",
             len, srv.cfg.max_message_size);
    respond_status(c, GRPC_RESOURCE_EXHAUSTED, m, false);
  } else {
    respond_reply(c, msg, len);
  }
  drop_request(c);
}

void grpc_call_fail(grpc_call *c, int status, const char *message) {
  if (!call_finish(c)) return;
  if (status < 1 || status > GRPC_UNAUTHENTICATED) status = GRPC_UNKNOWN;
  respond_status(c, status, message, false);
  drop_request(c);
}

int64_t grpc_call_remaining_ms(const grpc_call *c) {
  if (!c->deadline.at) return INT64_MAX;
  uint64_t now = uv_now(srv.loop);
  return c->deadline.at > now ? (int64_t)(c->deadline.at - now) : 0;
}

bool grpc_call_cancelled(const grpc_call *c) { return c->cancelled || !c->conn; }
const char *grpc_call_peer(const grpc_call *c) { return c->peer; }
void grpc_call_set_data(grpc_call *c, void *data) { c->data = data; }
void *grpc_call_data(const grpc_call *c) { return c->data; }

const char *grpc_call_header(const grpc_call *c, const char *lowercase_name) {
  for (size_t i = 0; i < c->nhdrs; i++)
    if (strcmp(c->hdrs[i].name, lowercase_name) == 0) return c->hdrs[i].value;
  return NULL;
}
