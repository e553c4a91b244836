/* nghttp2 pieces the server and the client share (h2_util.h). */
#include "internal.h"

#define CONN_WINDOW (16 * 1024 * 1024)

nghttp2_option *h2_options_new(void) {
  nghttp2_option *opt;
  if (nghttp2_option_new(&opt) != 0) return NULL;
  nghttp2_option_set_no_closed_streams(opt, 1); /* no priority tree to keep */
  return opt;
}

static int send_settings(nghttp2_session *h2, const h2_session_setup *setup) {
  int rc = nghttp2_submit_settings(h2, NGHTTP2_FLAG_NONE, setup->settings,
                                   setup->nsettings);
  if (!rc)
    rc = nghttp2_session_set_local_window_size(h2, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
  return rc;
}

nghttp2_session *h2_session_open(h2_session_setup *setup, void *ud, const char *who) {
  nghttp2_session *h2 = NULL;
  int rc = setup->callbacks && setup->options
               ? setup->new_session(&h2, setup->callbacks, ud, setup->options)
               : NGHTTP2_ERR_NOMEM;
  if (!rc) rc = send_settings(h2, setup);
  nghttp2_session_callbacks_del(setup->callbacks);
  nghttp2_option_del(setup->options);
  if (rc) {
    grpc_log(STRATUS_LOG_ERROR, "%s: nghttp2 session: %s", who, nghttp2_strerror(rc));
    nghttp2_session_del(h2);
    return NULL;
  }
  return h2;
}

void *h2_stream_call(nghttp2_session *s, int32_t stream_id) {
  return stream_id ? nghttp2_session_get_stream_user_data(s, stream_id) : NULL;
}

bool h2_is_request(const nghttp2_frame *f) {
  return f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST;
}

bool h2_ends_stream(const nghttp2_frame *f) {
  bool data_or_headers = f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA;
  return data_or_headers && (f->hd.flags & NGHTTP2_FLAG_END_STREAM);
}
