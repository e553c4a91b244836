/* The reassembly of one length-prefixed gRPC message (msg_reader.h). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static grpc_msg_result prefix_done(grpc_msg_reader *r, size_t max_len) {
  uint32_t len = wire_prefix_len(r->prefix);
  if (r->prefix[0] == 1) return GRPC_MSG_COMPRESSED;
  if (r->prefix[0] != 0) return GRPC_MSG_BAD_FLAGS;
  if (len > max_len) return GRPC_MSG_TOO_BIG;
  r->msg_len = len;
  r->msg = xmalloc(len);
  return GRPC_MSG_MORE;
}

static bool complete(const grpc_msg_reader *r) {
  return r->prefix_len == GRPC_PREFIX && r->msg_have == r->msg_len;
}

grpc_msg_result grpc_msg_reader_feed(grpc_msg_reader *r, const uint8_t *data,
                                     size_t len, size_t max_len) {
  while (len > 0) {
    size_t n;
    if (complete(r)) return GRPC_MSG_SECOND;
    if (r->prefix_len < GRPC_PREFIX) {
      n = MIN(GRPC_PREFIX - r->prefix_len, len);
      memcpy(r->prefix + r->prefix_len, data, n);
      r->prefix_len += n;
      grpc_msg_result res = r->prefix_len == GRPC_PREFIX ? prefix_done(r, max_len)
                                                         : GRPC_MSG_MORE;
      if (res != GRPC_MSG_MORE) return res;
    } else {
      n = MIN(r->msg_len - r->msg_have, len);
      memcpy(r->msg + r->msg_have, data, n);
      r->msg_have += n;
    }
    data += n;
    len -= n;
  }
  return GRPC_MSG_MORE;
}

grpc_msg_result grpc_msg_reader_end(const grpc_msg_reader *r) {
  if (r->prefix_len == 0) return GRPC_MSG_NONE;
  if (r->prefix_len < GRPC_PREFIX) return GRPC_MSG_IN_PREFIX;
  return complete(r) ? GRPC_MSG_COMPLETE : GRPC_MSG_TRUNCATED;
}

void grpc_msg_reader_reset(grpc_msg_reader *r) {
  free(r->msg);
  *r = (grpc_msg_reader){0};
}
