/* One length-prefixed gRPC message reassembled from DATA chunks, with a
 * size limit: the request of a server call, the reply of a client call.
 * It says what went wrong; the caller decides the status and the words. */
#ifndef STRATUS_HOST_GRPC_MSG_READER_H
#define STRATUS_HOST_GRPC_MSG_READER_H

#include <stddef.h>
#include <stdint.h>

#define GRPC_PREFIX 5 /* the compressed flag, then the length (big-endian) */

typedef struct grpc_msg_reader {
  uint8_t prefix[GRPC_PREFIX];
  size_t prefix_len;     /* bytes of the prefix seen */
  uint8_t *msg;          /* allocated once the prefix is accepted */
  size_t msg_len, msg_have;
} grpc_msg_reader;       /* all zero: empty */

typedef enum grpc_msg_result {
  GRPC_MSG_MORE,         /* fine so far */
  GRPC_MSG_COMPLETE,     /* at the end: exactly one whole message */
  GRPC_MSG_NONE,         /* at the end: no message */
  GRPC_MSG_IN_PREFIX,    /* at the end: cut inside the prefix */
  GRPC_MSG_TRUNCATED,    /* at the end: cut inside the message */
  GRPC_MSG_COMPRESSED,   /* flag 1 */
  GRPC_MSG_BAD_FLAGS,    /* flags other than 0 and 1 (prefix[0]) */
  GRPC_MSG_TOO_BIG,      /* the prefix's length is over the limit */
  GRPC_MSG_SECOND,       /* bytes after the one message */
} grpc_msg_result;

/* GRPC_MSG_MORE, or the first violation, after which the rest is not read
 * and the reader must not be fed again. */
grpc_msg_result grpc_msg_reader_feed(grpc_msg_reader *r, const uint8_t *data,
                                     size_t len, size_t max_len);
/* The stream ended: GRPC_MSG_COMPLETE, or what is missing. */
grpc_msg_result grpc_msg_reader_end(const grpc_msg_reader *r);
/* Free the message and start over. */
void grpc_msg_reader_reset(grpc_msg_reader *r);

#endif
