/* The nghttp2 server session of one connection: settings, protections and
 * the callbacks that feed request streams (call.c). */
#include "internal.h"

#define MAX_SETTINGS 32
#define MAX_CONTINUATIONS 8
#define RESET_BURST 1000
#define RESET_RATE 33

/* Every callback refuses to go on once the connection is closing (the
 * dispatcher may close the server from inside a callback). */
static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  grpc_conn *c = ud;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  if (h2_is_request(f))
    nghttp2_session_set_stream_user_data(s, f->hd.stream_id,
                                         call_new(c, f->hd.stream_id));
  return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, uint8_t flags, void *ud) {
  grpc_conn *c = ud;
  (void)flags;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  grpc_call *call = h2_is_request(f) ? h2_stream_call(s, f->hd.stream_id) : NULL;
  if (call) call_add_header(call, name, nlen, value, vlen);
  return 0; /* request trailers are ignored */
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *ud) {
  grpc_conn *c = ud;
  (void)flags;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  grpc_call *call = h2_stream_call(s, stream_id);
  if (call) call_data(call, data, len);
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  grpc_conn *c = ud;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  grpc_call *call = h2_stream_call(s, f->hd.stream_id);
  if (!c->greeted) c->greeted_at = uv_now(srv.loop);
  c->greeted = true; /* nghttp2 checked the preface before any frame */
  switch (f->hd.type) {
  case NGHTTP2_HEADERS:
    if (call && h2_is_request(f)) call_headers_done(call);
    break;
  case NGHTTP2_RST_STREAM:
    grpc_stats.resets_received++;
    break;
  case NGHTTP2_PING:
    if ((f->hd.flags & NGHTTP2_FLAG_ACK) && conn_is_drain_ping(f->ping.opaque_data))
      conn_final_goaway(c);
    break;
  default:
    break;
  }
  if (call && h2_ends_stream(f))
    call_end_stream(call); /* may dispatch: call is not touched afterwards */
  return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  grpc_conn *c = ud;
  if (c->io.closing) return NGHTTP2_ERR_CALLBACK_FAILURE;
  grpc_call *call = h2_stream_call(s, f->hd.stream_id);
  if (call && h2_ends_stream(f)) call_end_sent(call);
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id,
                           uint32_t error_code, void *ud) {
  grpc_conn *c = ud;
  (void)error_code;
  if (c->io.closing) return 0; /* conn_close() detached every call already */
  grpc_call *call = h2_stream_call(s, stream_id);
  if (call) {
    nghttp2_session_set_stream_user_data(s, stream_id, NULL);
    call_detach(call);
  }
  return 0;
}

static int on_error(nghttp2_session *s, int code, const char *msg, size_t len,
                    void *ud) {
  grpc_conn *c = ud;
  (void)s;
  grpc_log(STRATUS_LOG_DEBUG, "%s: %s: %.*s", c->peer, nghttp2_strerror(code),
           (int)len, msg);
  return 0;
}

static nghttp2_session_callbacks *make_callbacks(void) {
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb) != 0) return NULL;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_error_callback2(cb, on_error);
  return cb;
}

static nghttp2_option *make_options(void) {
  nghttp2_option *opt = h2_options_new();
  if (!opt) return NULL;
  nghttp2_option_set_max_settings(opt, MAX_SETTINGS);
#ifdef STRATUS_HAVE_NGHTTP2_RESET_RATE_LIMIT
  /* rapid reset, CVE-2023-44487 */
  nghttp2_option_set_stream_reset_rate_limit(opt, RESET_BURST, RESET_RATE);
#endif
#ifdef STRATUS_HAVE_NGHTTP2_MAX_CONTINUATIONS
  /* CONTINUATION flood, CVE-2024-28182 */
  nghttp2_option_set_max_continuations(opt, MAX_CONTINUATIONS);
#endif
  return opt;
}

nghttp2_session *h2_session_new(grpc_conn *c) {
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, srv.cfg.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, srv.cfg.max_header_list_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  h2_session_setup setup = {.new_session = nghttp2_session_server_new2,
                            .callbacks = make_callbacks(),
                            .options = make_options(),
                            .settings = iv,
                            .nsettings = ARRAY_LEN(iv)};
  return h2_session_open(&setup, c, c->peer);
}
