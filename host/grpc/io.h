/* The socket side of an HTTP/2 connection, for the server (conn.c) and the
 * client (client_conn.c): nghttp2's output collected into bounded uv_write
 * batches, and reading paused while too much is unwritten. */
#ifndef STRATUS_HOST_GRPC_IO_H
#define STRATUS_HOST_GRPC_IO_H

#include <stdbool.h>

#include <nghttp2/nghttp2.h>
#include <uv.h>

#define GRPC_IO_READ_BUF (64 * 1024)

typedef struct grpc_io grpc_io;

/* What the owning connection (io->tcp.data) does with its socket. */
typedef struct grpc_io_ops {
  /* nghttp2's output on its way out: grpc_io_append, or the server's TLS */
  void (*put)(grpc_io *io, const uint8_t *data, size_t len);
  void (*received)(grpc_io *io, const uint8_t *data, size_t len);
  void (*written)(grpc_io *io);   /* a write finished: flush again */
  void (*lost)(grpc_io *io, const char *what, int uv_err); /* read or write failed */
  /* GRPC_IO_READ_BUF bytes. Reads are consumed synchronously, so all the
   * connections of a side share one; the server and the client have one
   * each, as they may run on different loop threads. */
  uint8_t *read_buf;
} grpc_io_ops;

struct grpc_io {
  uv_tcp_t tcp;          /* tcp.data: the owning connection */
  const grpc_io_ops *ops;
  uint8_t *out;          /* the write batch being collected */
  size_t out_len, out_cap;
  size_t queued;         /* bytes handed to uv_write and not yet written */
  bool closing;          /* the connection is closing: no more I/O */
  bool linger;           /* close once the output is written: no more input */
  bool reading;
  size_t high_water;     /* unwritten bytes that pause reading; 0: 1 MiB */
};

/* uv_tcp_init() for a new connection, or a new attempt of one. */
void grpc_io_init(grpc_io *io, uv_loop_t *loop, const grpc_io_ops *ops, void *owner);
/* Room for n more bytes at the end of the batch. */
uint8_t *grpc_io_reserve(grpc_io *io, size_t n);
void grpc_io_append(grpc_io *io, const uint8_t *data, size_t len);
/* Hand the batch to uv_write. */
void grpc_io_submit(grpc_io *io);
/* Move frames from nghttp2 into the batch until it has nothing more or
 * enough is queued. 0, or nghttp2's error (the caller closes). */
int grpc_io_pull_h2(grpc_io *io, nghttp2_session *h2);
/* Read unless lingering or too much is unwritten. */
void grpc_io_update_reading(grpc_io *io);

#endif
