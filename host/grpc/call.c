/* One unary call: its request headers and message as they arrive, the
 * checks the transport makes before dispatch, deadlines, and the lifetime
 * shared between the HTTP/2 stream and the dispatcher. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

grpc_call *call_new(grpc_conn *c, int32_t stream_id) {
  grpc_call *call = xcalloc(1, sizeof(*call));
  call->conn = c;
  call->stream_id = stream_id;
  list_push_back(&c->calls, &call->conn_node);
  list_init(&call->deadline_node);
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
  free(call->msg);
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

static grpc_call *first_deadline(void) {
  if (list_empty(&srv.deadlines)) return NULL;
  return list_entry(srv.deadlines.next, grpc_call, deadline_node);
}

static void deadline_timer_reset(void) {
  grpc_call *first = first_deadline();
  if (!first) {
    uv_timer_stop(&srv.deadline_timer);
    return;
  }
  uint64_t now = uv_now(srv.loop);
  uint64_t due = first->deadline_ms > now ? first->deadline_ms - now : 0;
  uv_timer_start(&srv.deadline_timer, call_deadlines_fire, due, 0);
}

static void deadline_arm(grpc_call *call, int64_t ms) {
  call->deadline_ms = uv_now(srv.loop) + (uint64_t)ms;
  list_node *pos = &srv.deadlines; /* most timeouts are alike: search from the end */
  while (pos->prev != &srv.deadlines &&
         list_entry(pos->prev, grpc_call, deadline_node)->deadline_ms > call->deadline_ms)
    pos = pos->prev;
  list_insert_before(pos, &call->deadline_node);
  if (first_deadline() == call) deadline_timer_reset();
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
  grpc_call *call;
  while ((call = first_deadline()) && call->deadline_ms <= now) {
    list_remove(&call->deadline_node);
    deadline_hit(call);
  }
  deadline_timer_reset();
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

static void prefix_done(grpc_call *call) {
  uint32_t len = wire_prefix_len(call->prefix);
  if (call->prefix[0] == 1)
    reject_compressed(call);
  else if (call->prefix[0] != 0)
    reject(call, GRPC_INTERNAL, "invalid message flags 0x%02x", call->prefix[0]);
  else if (len > srv.cfg.max_message_size)
    reject(call, GRPC_RESOURCE_EXHAUSTED,
           "request message larger than max (%u > %zu bytes)", len,
           srv.cfg.max_message_size);
  else if ((call->msg_len = len) > 0)
    call->msg = xmalloc(len);
}

static bool message_complete(const grpc_call *call) {
  return call->prefix_len == GRPC_PREFIX && call->msg_have == call->msg_len;
}

void call_data(grpc_call *call, const uint8_t *data, size_t len) {
  while (len > 0 && !call->responded) {
    size_t n;
    if (message_complete(call)) { /* bytes after the one message */
      reject(call, GRPC_INTERNAL, "unary request with more than one message");
      return;
    }
    if (call->prefix_len < GRPC_PREFIX) {
      n = MIN(GRPC_PREFIX - call->prefix_len, len);
      memcpy(call->prefix + call->prefix_len, data, n);
      call->prefix_len += n;
      if (call->prefix_len == GRPC_PREFIX) prefix_done(call);
    } else {
      n = MIN(call->msg_len - call->msg_have, len);
      memcpy(call->msg + call->msg_have, data, n);
      call->msg_have += n;
    }
    data += n;
    len -= n;
  }
}

static void dispatch(grpc_call *call) {
  if (call->deadline_ms && uv_now(srv.loop) >= call->deadline_ms) {
    list_remove(&call->deadline_node);
    deadline_hit(call);
    return;
  }
  call->held = true;
  grpc_stats.calls_total++;
  const uint8_t *msg = call->msg ? call->msg : (const uint8_t *)"";
  srv.fn(call, grpc_call_header(call, ":path"), msg, call->msg_len, srv.ud);
}

void call_end_stream(grpc_call *call) {
  call->req_done = true;
  if (call->responded) return;
  if (call->prefix_len == 0)
    reject(call, GRPC_INTERNAL, "unary request without a message");
  else if (call->prefix_len < GRPC_PREFIX)
    reject(call, GRPC_INTERNAL, "request ends inside a message prefix");
  else if (!message_complete(call))
    reject(call, GRPC_INTERNAL, "request message truncated (%zu of %zu bytes)",
           call->msg_have, call->msg_len);
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
  list_remove(&call->deadline_node);
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
static void drop_request(grpc_call *c) {
  free(c->msg);
  c->msg = NULL;
}

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
  if (!c->deadline_ms) return INT64_MAX;
  uint64_t now = uv_now(srv.loop);
  return c->deadline_ms > now ? (int64_t)(c->deadline_ms - now) : 0;
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
