/* The gRPC length-prefixed message reader (msg_reader.c): a request body cut
 * into DATA chunks anywhere, under a size limit. */
#include <stdint.h>
#include <stdlib.h>

#include "msg_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t max_len = (size_t)data[0] * 64;  /* 0..16 KiB */
  size_t step = (size_t)data[1] % 32 + 1; /* DATA frame size */
  grpc_msg_reader r = {0};
  grpc_msg_result res = GRPC_MSG_MORE;
  for (size_t i = 2; i < size && res == GRPC_MSG_MORE; i += step) {
    size_t n = size - i < step ? size - i : step;
    res = grpc_msg_reader_feed(&r, data + i, n, max_len);
  }
  if (res == GRPC_MSG_MORE) {
    res = grpc_msg_reader_end(&r);
    if (res == GRPC_MSG_COMPLETE && (r.msg_len > max_len || r.msg_have != r.msg_len)) abort();
  }
  grpc_msg_reader_reset(&r);
  return 0;
}
