/* The response of one call as it arrives: status and grpc-* headers (from
 * the response headers or the trailers alike, so trailers-only responses
 * need nothing special), the one prefixed message, and the outcome. */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

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

/* The reply's message broke the framing. */
static void fail_framing(gc_call *call, grpc_msg_result res) {
  const grpc_msg_reader *r = &call->reply;
  if (res == GRPC_MSG_COMPRESSED)
    ccall_finish(call, GRPC_INTERNAL, "compressed reply not negotiated");
  else if (res == GRPC_MSG_BAD_FLAGS)
    ccall_finish(call, GRPC_INTERNAL, "invalid reply message flags 0x%02x", r->prefix[0]);
  else if (res == GRPC_MSG_TOO_BIG)
    ccall_finish(call, GRPC_RESOURCE_EXHAUSTED,
                 "reply message larger than max (%u > %u bytes)",
                 wire_prefix_len(r->prefix), CLIENT_MAX_MESSAGE);
  else
    ccall_finish(call, GRPC_INTERNAL, "unary reply with more than one message");
  ccall_cancel_stream(call);
}

void ccall_data(gc_call *call, const uint8_t *data, size_t len) {
  if (call->http_status != 200 || !call->grpc_ctype) return; /* not gRPC: no framing */
  if (call->finished) return;
  grpc_msg_result res = grpc_msg_reader_feed(&call->reply, data, len, CLIENT_MAX_MESSAGE);
  if (res != GRPC_MSG_MORE) fail_framing(call, res);
}

static void finish_status(gc_call *call) {
  int code = call->grpc_status <= GRPC_UNAUTHENTICATED ? call->grpc_status : GRPC_UNKNOWN;
  char *text = call->grpc_message ? wire_percent_decode(call->grpc_message) : xstrdup("");
  ccall_finish(call, code, "%s", text);
  free(text);
}

/* grpc-status 0: the reply is its one message, whole. A cut inside the prefix
 * is a truncation too (of 0 bytes). */
static void finish_message(gc_call *call) {
  const grpc_msg_reader *r = &call->reply;
  grpc_msg_result res = grpc_msg_reader_end(r);
  if (res == GRPC_MSG_NONE)
    ccall_finish(call, GRPC_INTERNAL, "no reply message");
  else if (res != GRPC_MSG_COMPLETE)
    ccall_finish(call, GRPC_INTERNAL, "reply message truncated (%zu of %zu bytes)",
                 r->msg_have, r->msg_len);
  else
    ccall_finish(call, GRPC_OK, "%s", "");
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
  else
    finish_message(call);
}
