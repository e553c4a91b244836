/* One client connection: resolve, connect address by address, the HTTP/2
 * handshake, reads into nghttp2, nghttp2's output in bounded uv_write
 * batches, back-pressure, GOAWAY, idle close and close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "net.h"

#define READ_BUF (64 * 1024)
#define WRITE_BATCH (256 * 1024)
/* Above this many unwritten bytes the connection stops reading and stops
 * pulling frames from nghttp2 until the socket drains. */
#define WRITE_HIGH (1024 * 1024)

typedef struct write_req {
  uv_write_t req;
  uint8_t *data;
  size_t len;
} write_req;

static const uint8_t alive_ping[8] = "alive?";

/* Reads are consumed synchronously, so every connection can share one. */
static uint8_t read_buf[READ_BUF];

static void try_next_address(gc_conn *c);

static void free_if_done(gc_conn *c) {
  if (c->tcp_open || c->resolving) return;
  nghttp2_session_del(c->h2);
  if (c->ai) uv_freeaddrinfo(c->ai);
  free(c->out);
  gc_target *t = c->target;
  free(c);
  target_unref(t);
}

static void on_tcp_closed(uv_handle_t *h) {
  gc_conn *c = h->data;
  c->tcp_open = false;
  if (c->closing)
    free_if_done(c);
  else
    try_next_address(c); /* that attempt failed */
}

/* Fails the calls that need this connection: in flight ones with `status`
 * and `why` (those never sent are retried), and, for a connection that never
 * got ready, the target's waiting calls. */
void cconn_close(gc_conn *c, int status, const char *why) {
  if (c->closing) return;
  c->closing = true;
  list_remove(&c->node);
  list_remove(&c->flush_node);
  if (c->counted) cli_stats.connections_open--;
  gc_target *t = c->target;
  bool current = t->conn == c;
  if (current) t->conn = NULL;
  list_each(it, &c->streams) ccall_conn_lost(list_entry(it, gc_call, node), status, why);
  if (c->state != CONN_READY && current) {
    if (!cli.shutting_down) cli_stats.connect_failures++;
    target_conn_failed(t, status, why);
  } else if (current) {
    target_kick(t);
  }
  if (c->resolving) uv_cancel((uv_req_t *)&c->resolve);
  if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
  free_if_done(c);
}

/* ---- output ---- */

static void out_append(gc_conn *c, const void *data, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 16 * 1024;
    while (cap < c->out_len + len) cap *= 2;
    c->out = xrealloc(c->out, cap);
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
}

static void lost(gc_conn *c, const char *what, int uv_err) {
  char why[WHY_LEN];
  const char *reason = uv_err == UV_EOF ? "closed by the server" : uv_strerror(uv_err);
  if (c->state == CONN_READY)
    why_printf(why, "connection to %s lost: %s%s", c->target->name, what, reason);
  else
    why_printf(why, "connect to %s: %s%s before HTTP/2 settings",
             c->target->name, what, reason);
  cconn_close(c, GRPC_UNAVAILABLE, why);
}

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  gc_conn *c = req->handle->data;
  c->queued -= w->len;
  free(w->data);
  free(w);
  if (c->closing) return;
  if (status < 0)
    lost(c, "write: ", status);
  else
    cconn_flush(c);
}

static void out_submit(gc_conn *c) {
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
    lost(c, "write: ", rc);
  }
}

static void pull_h2(gc_conn *c) {
  while (!c->closing && c->queued + c->out_len < WRITE_HIGH) {
    const uint8_t *data;
    ssize_t n = nghttp2_session_mem_send(c->h2, &data);
    if (n < 0) {
      char why[WHY_LEN];
      why_printf(why, "connection to %s failed: %s", c->target->name,
               nghttp2_strerror((int)n));
      cconn_close(c, GRPC_UNAVAILABLE, why);
      return;
    }
    if (n == 0) break;
    out_append(c, data, (size_t)n);
    if (c->out_len >= WRITE_BATCH) out_submit(c);
  }
}

/* ---- input ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  buf->base = (char *)read_buf;
  buf->len = sizeof(read_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void update_reading(gc_conn *c) {
  bool want = !c->linger && c->queued < WRITE_HIGH;
  if (c->closing || want == c->reading) return;
  c->reading = want;
  if (want)
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  else
    uv_read_stop((uv_stream_t *)&c->tcp);
}

/* A server that answers the preface like an HTTP/1.x request: its status
 * maps like any other HTTP status (404 -> UNIMPLEMENTED). A TLS alert means
 * a TLS port: say so rather than report a framing error. */
static bool not_h2c_answer(gc_conn *c, const char *data, size_t n) {
  if (n >= 2 && data[0] == 0x15 && data[1] == 0x03) {
    char why[WHY_LEN];
    why_printf(why, "%s answered with TLS (the client speaks h2c only)", c->target->name);
    cconn_close(c, GRPC_UNAVAILABLE, why);
    return true;
  }
  if (n < 5 || memcmp(data, "HTTP/", 5) != 0) return false;
  size_t line = 0;
  while (line < n && line < 80 && data[line] != '\r' && data[line] != '\n') line++;
  const char *sp = memchr(data, ' ', line);
  int code = sp ? atoi(sp + 1) : 0;
  char why[WHY_LEN];
  why_printf(why, "%s is not an HTTP/2 server: it answered \"%.*s\"",
           c->target->name, (int)line, data);
  cconn_close(c, wire_grpc_from_http(code), why);
  return true;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  gc_conn *c = s->data;
  if (c->closing) return;
  if (n < 0) {
    lost(c, "", (int)n);
    return;
  }
  if (n == 0 || c->linger) return;
  if (!c->got_bytes && not_h2c_answer(c, buf->base, (size_t)n)) return;
  c->got_bytes = true;
  c->in_recv = true;
  ssize_t rv = nghttp2_session_mem_recv(c->h2, (const uint8_t *)buf->base, (size_t)n);
  c->in_recv = false;
  if (c->closing) return;
  if (rv < 0) {
    char why[WHY_LEN];
    why_printf(why, "%s %s: HTTP/2 error: %s",
             c->state == CONN_READY ? "connection to" : "connect to", c->target->name,
             nghttp2_strerror((int)rv));
    cconn_close(c, GRPC_UNAVAILABLE, why);
    return;
  }
  cconn_flush(c);
}

/* ---- flushing ---- */

/* Close once everything is written and nghttp2 has nothing more to do. */
static void maybe_finish(gc_conn *c) {
  if (c->closing || c->queued || c->out_len || c->state < CONN_HANDSHAKE) return;
  if (!c->linger &&
      (nghttp2_session_want_read(c->h2) || nghttp2_session_want_write(c->h2)))
    return;
  cconn_close(c, GRPC_UNAVAILABLE, "connection closed");
}

void cconn_flush(gc_conn *c) {
  if (c->closing) return;
  list_remove(&c->flush_node);
  if (c->state < CONN_HANDSHAKE) return;
  if (!c->linger) pull_h2(c);
  out_submit(c);
  update_reading(c);
  maybe_finish(c);
}

/* Batch the output of requests and resets made outside this connection's
 * read handler (which flushes anyway) into one write per loop iteration. */
void cconn_schedule_flush(gc_conn *c) {
  if (c->closing || c->in_recv || !list_empty(&c->flush_node)) return;
  list_push_back(&cli.flushq, &c->flush_node);
  cli_wake();
}

/* ---- connecting ---- */

static void connect_error(gc_conn *c, int err) {
  char where[WHY_LEN];
  if (c->target->numeric)
    why_printf(where, "%s", c->target->name);
  else
    why_printf(where, "%s (%s)", c->target->name, c->addr);
  if (err == UV_ECONNREFUSED)
    why_printf(c->why, "connect to %s refused", where);
  else
    why_printf(c->why, "connect to %s: %s", where, uv_strerror(err));
}

static void on_connected(uv_connect_t *req, int status) {
  gc_conn *c = req->handle->data;
  if (c->closing) return;
  if (status < 0) {
    connect_error(c, status);
    uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
    return;
  }
  uv_freeaddrinfo(c->ai);
  c->ai = c->ai_next = NULL;
  c->state = CONN_HANDSHAKE;
  c->counted = true;
  cli_stats.connections_open++;
  uv_tcp_nodelay(&c->tcp, 1);
  if (!(c->h2 = ch2_session_new(c))) {
    cconn_close(c, GRPC_INTERNAL, "cannot create an HTTP/2 session");
    return;
  }
  cconn_flush(c); /* the preface and our SETTINGS; reading starts here too */
}

static void try_next_address(gc_conn *c) {
  struct addrinfo *ai = c->ai_next;
  if (!ai) {
    cconn_close(c, GRPC_UNAVAILABLE, c->why[0] ? c->why : "no address to connect to");
    return;
  }
  c->ai_next = ai->ai_next;
  net_format_addr(ai->ai_addr, c->addr, sizeof(c->addr));
  c->state = CONN_CONNECTING;
  uv_tcp_init(cli.loop, &c->tcp);
  c->tcp.data = c;
  c->tcp_open = true;
  int rc = uv_tcp_connect(&c->connect, &c->tcp, ai->ai_addr, on_connected);
  if (rc) {
    connect_error(c, rc);
    uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
  }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  gc_conn *c = req->data;
  c->resolving = false;
  c->ai = c->ai_next = res;
  if (c->closing) {
    free_if_done(c);
    return;
  }
  if (status < 0) {
    why_printf(c->why, "resolve %s: %s", c->target->host, uv_strerror(status));
    cconn_close(c, GRPC_UNAVAILABLE, c->why);
    return;
  }
  try_next_address(c);
}

void cconn_start(gc_target *t) {
  gc_conn *c = xcalloc(1, sizeof(*c));
  c->target = t;
  t->refs++;
  t->conn = c;
  list_init(&c->streams);
  list_init(&c->flush_node);
  list_push_back(&cli.conns, &c->node);
  c->started = uv_now(cli.loop);
  c->resolve.data = c;
  c->state = CONN_RESOLVING;
  cli_stats.connects_total++;
  cli_wake(); /* the connect timeout */
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  if (t->numeric) {
    /* no DNS involved: resolve here rather than on the thread pool */
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int rc = getaddrinfo(t->host, t->port, &hints, &c->ai);
    if (rc) {
      why_printf(c->why, "resolve %s: %s", t->host, gai_strerror(rc));
      cconn_close(c, GRPC_UNAVAILABLE, c->why);
      return;
    }
    c->ai_next = c->ai;
    try_next_address(c);
    return;
  }
  c->resolving = true;
  int rc = uv_getaddrinfo(cli.loop, &c->resolve, on_resolved, t->host, t->port, &hints);
  if (rc) {
    c->resolving = false;
    why_printf(c->why, "resolve %s: %s", t->host, uv_strerror(rc));
    cconn_close(c, GRPC_UNAVAILABLE, c->why);
  }
}

/* ---- HTTP/2 events ---- */

uint32_t cconn_max_streams(gc_conn *c) {
  return nghttp2_session_get_remote_settings(c->h2,
                                             NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

/* The server's SETTINGS: the first makes the connection usable, later ones
 * may allow more streams. */
void cconn_ready(gc_conn *c) {
  if (c->state != CONN_READY) {
    c->state = CONN_READY;
    c->idle_since = uv_now(cli.loop);
    cli_wake();
  }
  if (c->target->conn == c) target_pump(c->target);
}

/* Streams above last_stream_id are closed by nghttp2 with REFUSED_STREAM
 * (and retried); the others finish here; new calls get a new connection. */
void cconn_goaway(gc_conn *c, int32_t last_stream_id, uint32_t error_code) {
  grpc_log(STRATUS_LOG_DEBUG, "%s: GOAWAY %s, last stream %d", c->target->name,
           nghttp2_http2_strerror(error_code), last_stream_id);
  c->retired = true;
  if (c->target->conn == c) {
    c->target->conn = NULL;
    target_kick(c->target);
  }
  cconn_check_done(c);
}

/* A retired connection closes after its last stream (from a flush: never
 * inside nghttp2's callbacks). */
void cconn_check_done(gc_conn *c) {
  if (c->closing || !c->retired || c->nstreams) return;
  c->linger = true;
  cconn_schedule_flush(c);
}

void cconn_idle_close(gc_conn *c) {
  c->retired = true;
  if (c->target->conn == c) c->target->conn = NULL;
  nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
  pull_h2(c); /* the GOAWAY */
  c->linger = true;
  cconn_flush(c);
}

/* A call passed its deadline waiting for a reply: check the server is still
 * there. A peer gone without FIN or RST (host down, partition) would
 * otherwise take every later call until TCP gives up, minutes later. */
void cconn_check_alive(gc_conn *c) {
  if (c->closing || c->ping_out || c->state != CONN_READY) return;
  if (nghttp2_submit_ping(c->h2, NGHTTP2_FLAG_NONE, alive_ping) != 0) return;
  c->ping_out = true;
  c->ping_sent = uv_now(cli.loop);
  cconn_schedule_flush(c);
}

void cconn_ping_ack(gc_conn *c, const uint8_t opaque[8]) {
  if (memcmp(opaque, alive_ping, sizeof(alive_ping)) == 0) c->ping_out = false;
}
