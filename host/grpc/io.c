/* The socket side of an HTTP/2 connection (io.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "util.h"

#define WRITE_BATCH (256 * 1024)
/* Above this many unwritten bytes the connection stops reading and stops
 * pulling frames from nghttp2 until the socket drains. */
#define WRITE_HIGH (1024 * 1024)

typedef struct write_req {
  uv_write_t req;
  uint8_t *data;
  size_t len;
} write_req;

static grpc_io *io_of(uv_stream_t *tcp) {
  return (grpc_io *)((char *)tcp - offsetof(grpc_io, tcp));
}

void grpc_io_init(grpc_io *io, uv_loop_t *loop, const grpc_io_ops *ops, void *owner) {
  uv_tcp_init(loop, &io->tcp);
  io->tcp.data = owner;
  io->ops = ops;
}

uint8_t *grpc_io_reserve(grpc_io *io, size_t n) {
  if (io->out_len + n > io->out_cap) {
    size_t cap = io->out_cap ? io->out_cap : 16 * 1024;
    while (cap < io->out_len + n) cap *= 2;
    io->out = xrealloc(io->out, cap);
    io->out_cap = cap;
  }
  return io->out + io->out_len;
}

void grpc_io_append(grpc_io *io, const uint8_t *data, size_t len) {
  memcpy(grpc_io_reserve(io, len), data, len);
  io->out_len += len;
}

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  grpc_io *io = io_of(req->handle);
  io->queued -= w->len;
  free(w->data);
  free(w);
  if (io->closing) return;
  if (status < 0)
    io->ops->lost(io, "write: ", status);
  else
    io->ops->written(io);
}

void grpc_io_submit(grpc_io *io) {
  if (!io->out_len || io->closing) return;
  write_req *w = xmalloc(sizeof(*w));
  w->data = io->out;
  w->len = io->out_len;
  io->out = NULL;
  io->out_len = io->out_cap = 0;
  io->queued += w->len;
  uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)w->len);
  int rc = uv_write(&w->req, (uv_stream_t *)&io->tcp, &buf, 1, on_written);
  if (rc) {
    io->queued -= w->len;
    free(w->data);
    free(w);
    io->ops->lost(io, "write: ", rc);
  }
}

static size_t high_water(const grpc_io *io) {
  return io->high_water ? io->high_water : WRITE_HIGH;
}

int grpc_io_pull_h2(grpc_io *io, nghttp2_session *h2) {
  while (!io->closing && io->queued + io->out_len < high_water(io)) {
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(h2, &data);
    if (n <= 0) return (int)n;
    io->ops->put(io, data, (size_t)n);
    if (io->out_len >= WRITE_BATCH) grpc_io_submit(io);
  }
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  buf->base = (char *)io_of((uv_stream_t *)h)->ops->read_buf;
  buf->len = GRPC_IO_READ_BUF;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  grpc_io *io = io_of(s);
  if (io->closing) return;
  if (n < 0)
    io->ops->lost(io, "", (int)n);
  else if (n > 0 && !io->linger)
    io->ops->received(io, (const uint8_t *)buf->base, (size_t)n);
}

void grpc_io_update_reading(grpc_io *io) {
  bool want = !io->linger && io->queued < high_water(io);
  if (io->closing || want == io->reading) return;
  io->reading = want;
  if (want)
    uv_read_start((uv_stream_t *)&io->tcp, on_alloc, on_read);
  else
    uv_read_stop((uv_stream_t *)&io->tcp);
}
