/* The nghttp2 client session of one connection: our SETTINGS and the
 * callbacks that feed responses to calls (client_call.c). */
#include "client_internal.h"

#define MAX_HEADER_LIST (64 * 1024)

/* Callbacks refuse to go on once the connection is closing. Calls finish
 * here but their done callbacks run later, from the loop (client.c), so
 * nothing re-enters the session. */
static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, uint8_t flags, void *ud) {
  gc_conn *c = ud;
  (void)flags;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  bool headers = f->hd.type == NGHTTP2_HEADERS;
  gc_call *call = headers ? h2_stream_call(s, f->hd.stream_id) : NULL;
  if (call) ccall_header(call, name, nlen, value, vlen);
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *ud) {
  gc_conn *c = ud;
  (void)flags;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  gc_call *call = h2_stream_call(s, stream_id);
  if (call) ccall_data(call, data, len);
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  gc_conn *c = ud;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  switch (f->hd.type) {
  case NGHTTP2_SETTINGS:
    if (!(f->hd.flags & NGHTTP2_FLAG_ACK)) cconn_ready(c);
    break;
  case NGHTTP2_GOAWAY:
    cconn_goaway(c, f->goaway.last_stream_id, f->goaway.error_code);
    break;
  case NGHTTP2_PING:
    if (f->hd.flags & NGHTTP2_FLAG_ACK) cconn_ping_ack(c, f->ping.opaque_data);
    break;
  default:
    break;
  }
  gc_call *call = h2_stream_call(s, f->hd.stream_id);
  if (call && h2_ends_stream(f)) ccall_response_end(call);
  return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  gc_conn *c = ud;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  gc_call *call = h2_is_request(f) ? h2_stream_call(s, f->hd.stream_id) : NULL;
  if (call) ccall_headers_sent(call);
  return 0;
}

/* A request that never left: after a GOAWAY the server has not seen it, so
 * it is retried. The stream was never opened: find the call by id. */
static int on_frame_not_send(nghttp2_session *s, const nghttp2_frame *f,
                             int error, void *ud) {
  gc_conn *c = ud;
  (void)s;
  if (c->io.closing || !h2_is_request(f)) return 0;
  list_each(it, &c->streams) {
    gc_call *call = list_entry(it, gc_call, node);
    if (call->stream_id == f->hd.stream_id) {
      ccall_not_sent(call, error);
      break;
    }
  }
  cconn_check_done(c);
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id,
                           uint32_t error_code, void *ud) {
  gc_conn *c = ud;
  if (c->io.closing) return 0; /* cconn_close() unbound every call already */
  gc_call *call = h2_stream_call(s, stream_id);
  if (call) ccall_stream_closed(call, error_code);
  if (c->target->conn == c)
    target_pump(c->target);
  else
    cconn_check_done(c);
  return 0;
}

static int on_error(nghttp2_session *s, int code, const char *msg, size_t len,
                    void *ud) {
  gc_conn *c = ud;
  (void)s;
  grpc_log(STRATUS_LOG_DEBUG, "%s: %s: %.*s", c->target->name, nghttp2_strerror(code),
           (int)len, msg);
  return 0;
}

static nghttp2_session_callbacks *make_callbacks(void) {
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb) != 0) return NULL;
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cb, on_frame_not_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_error_callback2(cb, on_error);
  return cb;
}

nghttp2_session *ch2_session_new(gc_conn *c) {
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST},
  };
  h2_session_setup setup = {.new_session = nghttp2_session_client_new2,
                            .callbacks = make_callbacks(),
                            .options = h2_options_new(),
                            .settings = iv,
                            .nsettings = ARRAY_LEN(iv)};
  return h2_session_open(&setup, c, c->target->name);
}
