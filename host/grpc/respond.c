/* Responses on the wire: HEADERS, one DATA with the prefixed message and
 * grpc-status trailers; trailers-only for errors; plain HTTP refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void submit(grpc_call *call, const nghttp2_nv *nv, size_t n,
                   const nghttp2_data_provider *prd) {
  grpc_conn *c = call->conn;
  int rc = nghttp2_submit_response(c->h2, call->stream_id, nv, n, prd);
  if (rc)
    grpc_log(STRATUS_LOG_DEBUG, "%s: stream %d: response: %s", c->peer,
             call->stream_id, nghttp2_strerror(rc));
  conn_schedule_flush(c);
}

static ssize_t read_reply(nghttp2_session *s, int32_t stream_id, uint8_t *buf,
                          size_t length, uint32_t *flags,
                          nghttp2_data_source *src, void *ud) {
  grpc_call *call = src->ptr;
  (void)ud;
  size_t n = call->resp_len - call->resp_off;
  if (n > length) n = length;
  memcpy(buf, call->resp + call->resp_off, n);
  call->resp_off += n;
  if (call->resp_off < call->resp_len) return (ssize_t)n;
  static const nghttp2_nv trailer[] = {NV_STATIC("grpc-status", "0")};
  *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
  if (nghttp2_submit_trailer(s, stream_id, trailer, ARRAY_LEN(trailer)) != 0)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  free(call->resp);
  call->resp = NULL;
  return (ssize_t)n;
}

void respond_reply(grpc_call *call, const uint8_t *msg, size_t len) {
  call->resp_len = GRPC_PREFIX + len;
  call->resp = xmalloc(call->resp_len);
  wire_put_prefix(call->resp, (uint32_t)len);
  if (len) memcpy(call->resp + GRPC_PREFIX, msg, len);
  static const nghttp2_nv hdrs[] = {NV_STATIC(":status", "200"),
                                    NV_STATIC("content-type", "application/grpc")};
  nghttp2_data_provider prd = {.source.ptr = call, .read_callback = read_reply};
  submit(call, hdrs, ARRAY_LEN(hdrs), &prd);
}

void respond_status(grpc_call *call, int status, const char *message,
                    bool accept_encoding) {
  char code[16];
  snprintf(code, sizeof(code), "%d", status);
  char *text = message && *message ? wire_percent_encode(message) : NULL;
  nghttp2_nv nv[5] = {NV_STATIC(":status", "200"),
                      NV_STATIC("content-type", "application/grpc"),
                      nv_copy("grpc-status", code)};
  size_t n = 3;
  if (text) nv[n++] = nv_copy("grpc-message", text);
  if (accept_encoding) nv[n++] = (nghttp2_nv)NV_STATIC("grpc-accept-encoding", "identity");
  submit(call, nv, n, NULL);
  free(text);
}

void respond_http(grpc_call *call, int http_status) {
  static const nghttp2_nv r405[] = {NV_STATIC(":status", "405"),
                                    NV_STATIC("allow", "POST")};
  static const nghttp2_nv r415[] = {NV_STATIC(":status", "415")};
  if (http_status == 405)
    submit(call, r405, ARRAY_LEN(r405), NULL);
  else
    submit(call, r415, ARRAY_LEN(r415), NULL);
}
