/* One client connection: reads into nghttp2 (through TLS when configured),
 * nghttp2's output collected into uv_write batches, back-pressure, close. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "net.h"

#define READ_BUF (64 * 1024)
#define WRITE_BATCH (256 * 1024)
/* Above this many unwritten bytes the connection stops reading and stops
 * pulling frames from nghttp2 until the socket drains. */
#define WRITE_HIGH (1024 * 1024)

static const uint8_t drain_ping[8] = "stratus";

typedef struct write_req {
  uv_write_t req;
  uint8_t *data;
  size_t len;
} write_req;

/* Reads are consumed synchronously, so every connection can share one. */
static uint8_t read_buf[READ_BUF];

static void on_closed(uv_handle_t *h) {
  grpc_conn *c = h->data;
  nghttp2_session_del(c->h2);
  if (c->ssl) SSL_free(c->ssl);
  free(c->out);
  free(c);
  srv.handles--;
  srv_check_drained();
}

void conn_close(grpc_conn *c) {
  if (c->closing) return;
  c->closing = true;
  list_remove(&c->node);
  list_remove(&c->flush_node);
  list_each(it, &c->calls) call_detach(list_entry(it, grpc_call, conn_node));
  grpc_stats.connections_open--;
  uv_close((uv_handle_t *)&c->tcp, on_closed);
}

uint8_t *conn_out_reserve(grpc_conn *c, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 16 * 1024;
    while (cap < c->out_len + n) cap *= 2;
    c->out = xrealloc(c->out, cap);
    c->out_cap = cap;
  }
  return c->out + c->out_len;
}

void conn_out_append(grpc_conn *c, const void *data, size_t len) {
  memcpy(conn_out_reserve(c, len), data, len);
  c->out_len += len;
}

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  grpc_conn *c = req->handle->data;
  c->queued -= w->len;
  free(w->data);
  free(w);
  if (status < 0)
    conn_close(c);
  else
    conn_flush(c);
}

static void out_submit(grpc_conn *c) {
  if (!c->out_len || c->closing) return;
  write_req *w = xmalloc(sizeof(*w));
  w->data = c->out;
  w->len = c->out_len;
  c->out = NULL;
  c->out_len = c->out_cap = 0;
  c->queued += w->len;
  uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)w->len);
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written);
  if (rc) {
    c->queued -= w->len;
    free(w->data);
    free(w);
    conn_close(c);
  }
}

/* Move frames from nghttp2 into the batch until it has nothing more or
 * enough is queued. */
static void pull_h2(grpc_conn *c) {
  while (!c->closing && c->queued + c->out_len < WRITE_HIGH) {
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(c->h2, &data);
    if (n < 0) {
      grpc_log(STRATUS_LOG_DEBUG, "%s: send: %s", c->peer, nghttp2_strerror((int)n));
      conn_close(c);
      return;
    }
    if (n == 0) break;
    if (!c->ssl)
      conn_out_append(c, data, (size_t)n);
    else if (tls_send(c, data, (size_t)n) != 0)
      conn_close(c);
    if (c->out_len >= WRITE_BATCH) out_submit(c);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  buf->base = (char *)read_buf;
  buf->len = sizeof(read_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void update_reading(grpc_conn *c) {
  bool want = !c->linger && c->queued < WRITE_HIGH;
  if (c->closing || want == c->reading) return;
  c->reading = want;
  if (want)
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  else
    uv_read_stop((uv_stream_t *)&c->tcp);
}

/* Close once everything is written and nghttp2 is done with the session. */
static void maybe_finish(grpc_conn *c) {
  if (c->closing || c->queued || c->out_len) return;
  if (!c->linger && (nghttp2_session_want_read(c->h2) ||
                     nghttp2_session_want_write(c->h2)))
    return;
  if (c->ssl && c->tls_up && !c->tls_shut) {
    tls_shutdown(c); /* close_notify, then close when it is written */
    out_submit(c);
    if (c->queued) return;
  }
  conn_close(c);
}

void conn_flush(grpc_conn *c) {
  if (c->closing) return;
  list_remove(&c->flush_node);
  if (!c->linger && (!c->ssl || c->tls_up)) pull_h2(c);
  if (c->ssl && !c->closing) tls_pump_out(c);
  out_submit(c);
  update_reading(c);
  maybe_finish(c);
}

/* Write what is pending (a TLS alert, a GOAWAY), then close. */
static void conn_linger(grpc_conn *c) {
  if (!c->ssl || c->tls_up) pull_h2(c);
  c->linger = true;
  conn_flush(c);
}

static void on_flush_idle(uv_idle_t *h) {
  uv_idle_stop(h);
  while (!list_empty(&srv.flushq))
    conn_flush(list_entry(srv.flushq.next, grpc_conn, flush_node));
}

/* Batch the output of replies made outside this connection's read handler
 * (which flushes anyway) into one write per loop iteration. */
void conn_schedule_flush(grpc_conn *c) {
  if (c->closing || c->in_recv || !list_empty(&c->flush_node)) return;
  list_push_back(&srv.flushq, &c->flush_node);
  uv_idle_start(&srv.flusher, on_flush_idle);
}

int conn_h2_recv(grpc_conn *c, const uint8_t *data, size_t len) {
  ssize_t rv = nghttp2_session_mem_recv(c->h2, data, len);
  if (rv >= 0 || c->closing) return rv >= 0 ? 0 : -1;
  grpc_log(STRATUS_LOG_DEBUG, "%s: %s", c->peer, nghttp2_strerror((int)rv));
  /* a GOAWAY saying why, written on the way out by conn_linger() */
  bool flood = rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  if (rv != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
    nghttp2_session_terminate_session(
        c->h2, flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  return -1;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  grpc_conn *c = s->data;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0 || c->closing || c->linger) return;
  c->in_recv = true;
  const uint8_t *data = (const uint8_t *)buf->base;
  int rc = c->ssl ? tls_recv(c, data, (size_t)n) : conn_h2_recv(c, data, (size_t)n);
  c->in_recv = false;
  if (rc != 0)
    conn_linger(c);
  else
    conn_flush(c);
}

static void set_peer(grpc_conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    net_format_addr((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
  else
    snprintf(c->peer, sizeof(c->peer), "?");
}

void conn_accept(uv_stream_t *listener) {
  grpc_conn *c = xcalloc(1, sizeof(*c));
  uv_tcp_init(srv.loop, &c->tcp);
  c->tcp.data = c;
  srv.handles++;
  list_init(&c->calls);
  list_init(&c->flush_node);
  list_push_back(&srv.conns, &c->node);
  grpc_stats.connections_open++;
  grpc_stats.connections_total++;
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  set_peer(c);
  uv_tcp_nodelay(&c->tcp, 1);
  c->h2 = h2_session_new(c);
  if (!c->h2 || (srv.tls && tls_conn_init(c) != 0)) {
    conn_close(c);
    return;
  }
  conn_flush(c); /* our SETTINGS (h2c); reading starts here too */
}

void conn_drain(grpc_conn *c) {
  if (c->closing || c->draining) return;
  c->draining = true;
  if (c->ssl && !c->tls_up) {
    conn_close(c); /* still in the handshake: nothing in flight */
    return;
  }
  nghttp2_submit_shutdown_notice(c->h2);
  nghttp2_submit_ping(c->h2, NGHTTP2_FLAG_NONE, drain_ping);
  conn_schedule_flush(c);
}

bool conn_is_drain_ping(const uint8_t opaque[8]) {
  return memcmp(opaque, drain_ping, sizeof(drain_ping)) == 0;
}

void conn_final_goaway(grpc_conn *c) {
  if (c->closing || c->final_goaway) return;
  c->final_goaway = true;
  nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(c->h2),
                        NGHTTP2_NO_ERROR, NULL, 0);
  conn_schedule_flush(c);
}
