/* The response of one call as it arrives: status and grpc-* headers (from
 * the response headers or the trailers alike, so trailers-only responses
 * need nothing special), the one prefixed message, and the outcome. */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static bool name_is(const uint8_t *name, size_t nlen, const char *want) {
  return nlen == strlen(want) && memcmp(name, want, nlen) == 0;
}

/* grpc-status: decimal digits only; -1 if malformed. */
static int parse_status(const uint8_t *v, size_t len) {
  if (len == 0 || len > 3) return -1;
  int n = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') return -1;
    n = n * 10 + (v[i] - '0');
  }
  return n;
}

/* nghttp2 NUL-terminates values. */
void ccall_header(gc_call *call, const uint8_t *name, size_t nlen,
                  const uint8_t *value, size_t vlen) {
  if (call->finished) return;
  if (name_is(name, nlen, ":status")) {
    int st = parse_status(value, vlen);
    if (st >= 200 || st < 100) call->http_status = st; /* 1xx are interim */
  } else if (name_is(name, nlen, "content-type")) {
    call->grpc_ctype = wire_content_type_ok((const char *)value);
  } else if (name_is(name, nlen, "grpc-status")) {
    call->grpc_status = parse_status(value, vlen);
  } else if (name_is(name, nlen, "grpc-message")) {
    free(call->grpc_message);
    call->grpc_message = xstrndup((const char *)value, vlen);
  }
}

static void prefix_done(gc_call *call) {
  uint32_t len = wire_prefix_len(call->prefix);
  if (call->prefix[0] == 1) {
    ccall_finish(call, GRPC_INTERNAL, "compressed reply not negotiated");
  } else if (call->prefix[0] != 0) {
    ccall_finish(call, GRPC_INTERNAL, "invalid reply message flags 0x%02x",
                 call->prefix[0]);
  } else if (len > CLIENT_MAX_MESSAGE) {
    ccall_finish(call, GRPC_RESOURCE_EXHAUSTED,
                 "reply message larger than max (%u > %u bytes)", len,
                 CLIENT_MAX_MESSAGE);
  } else {
    call->msg_len = len;
    call->msg = xmalloc(len ? len : 1);
    return;
  }
  ccall_cancel_stream(call);
}

static bool message_complete(const gc_call *call) {
  return call->prefix_len == GRPC_PREFIX && call->msg_have == call->msg_len;
}

void ccall_data(gc_call *call, const uint8_t *data, size_t len) {
  if (call->http_status != 200 || !call->grpc_ctype) return; /* not gRPC: no framing */
  while (len > 0 && !call->finished) {
    size_t n;
    if (message_complete(call)) {
      ccall_finish(call, GRPC_INTERNAL, "unary reply with more than one message");
      ccall_cancel_stream(call);
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

static void finish_status(gc_call *call) {
  int code = call->grpc_status <= GRPC_UNAUTHENTICATED ? call->grpc_status : GRPC_UNKNOWN;
  char *text = call->grpc_message ? wire_percent_decode(call->grpc_message) : xstrdup("");
  ccall_finish(call, code, "%s", text);
  free(text);
}

/* END_STREAM from the server: decide the outcome. */
void ccall_response_end(gc_call *call) {
  const char *name = call->target->name;
  if (call->finished) return;
  if (call->http_status != 200)
    ccall_finish(call, wire_grpc_from_http(call->http_status),
                 "unexpected HTTP status %d from %s (not a gRPC response)",
                 call->http_status, name);
  else if (call->grpc_status == -2 && !call->grpc_ctype)
    ccall_finish(call, GRPC_UNKNOWN, "%s answered without grpc-status or a gRPC "
                 "content-type (not a gRPC server?)", name);
  else if (call->grpc_status == -2)
    ccall_finish(call, GRPC_INTERNAL, "%s ended the response without grpc-status", name);
  else if (call->grpc_status < 0)
    ccall_finish(call, GRPC_INTERNAL, "malformed grpc-status from %s", name);
  else if (call->grpc_status != GRPC_OK)
    finish_status(call);
  else if (call->prefix_len == 0)
    ccall_finish(call, GRPC_INTERNAL, "no reply message");
  else if (!message_complete(call))
    ccall_finish(call, GRPC_INTERNAL, "reply message truncated (%zu of %zu bytes)",
                 call->msg_have, call->msg_len);
  else
    ccall_finish(call, GRPC_OK, "%s", "");
}
