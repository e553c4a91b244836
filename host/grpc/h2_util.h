/* nghttp2 pieces the server (h2.c, respond.c) and the client (client_h2.c,
 * client_call.c) share: session creation, frame tests, header fields. */
#ifndef STRATUS_HOST_GRPC_H2_UTIL_H
#define STRATUS_HOST_GRPC_H2_UTIL_H

#include <stdbool.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#define H2_STREAM_WINDOW (1024 * 1024) /* SETTINGS_INITIAL_WINDOW_SIZE */

/* A header field whose name and value are string literals. */
#define NV_STATIC(n, v) \
  {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, \
   NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE}

/* A header field with a literal name and a value nghttp2 copies. */
static inline nghttp2_nv nv_copy(const char *name, const char *value) {
  return (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name),
                      strlen(value), NGHTTP2_NV_FLAG_NO_COPY_NAME};
}

typedef struct h2_session_setup {
  /* nghttp2_session_server_new2 or nghttp2_session_client_new2 */
  int (*new_session)(nghttp2_session **h2, const nghttp2_session_callbacks *cb,
                     void *ud, const nghttp2_option *opt);
  nghttp2_session_callbacks *callbacks; /* NULL: out of memory */
  nghttp2_option *options;              /* h2_options_new(); NULL: out of memory */
  const nghttp2_settings_entry *settings;
  size_t nsettings;
} h2_session_setup;

/* A session sending our SETTINGS and opening the connection's receive
 * window; it frees the callbacks and options. NULL on failure, logged
 * with `who` (the peer). */
nghttp2_session *h2_session_open(h2_session_setup *setup, void *ud, const char *who);
/* The options both sides use. */
nghttp2_option *h2_options_new(void);

/* The call on a stream (its user data); NULL for stream 0 or none. */
void *h2_stream_call(nghttp2_session *s, int32_t stream_id);
bool h2_is_request(const nghttp2_frame *f);
/* HEADERS or DATA with END_STREAM */
bool h2_ends_stream(const nghttp2_frame *f);

#endif
