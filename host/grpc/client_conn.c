/* One client connection: resolve, connect address by address, the HTTP/2
 * handshake, reads into nghttp2, nghttp2's output written out (io.c),
 * GOAWAY, idle close and close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "net.h"

static const uint8_t alive_ping[8] = "alive?";

static void try_next_address(gc_conn *c);

static void free_if_done(gc_conn *c) {
  if (c->tcp_open || c->resolving) return;
  nghttp2_session_del(c->h2);
  if (c->ai) uv_freeaddrinfo(c->ai);
  free(c->io.out);
  gc_target *t = c->target;
  free(c);
  target_unref(t);
}

static void on_tcp_closed(uv_handle_t *h) {
  gc_conn *c = h->data;
  c->tcp_open = false;
  if (c->io.closing)
    free_if_done(c);
  else
    try_next_address(c); /* that attempt failed */
}

/* Fails the calls that need this connection: in flight ones with `status`
 * and `why` (those never sent are retried), and, for a connection that never
 * got ready, the target's waiting calls. */
void cconn_close(gc_conn *c, int status, const char *why) {
  if (c->io.closing) return;
  c->io.closing = true;
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
  if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->io.tcp))
    uv_close((uv_handle_t *)&c->io.tcp, on_tcp_closed);
  free_if_done(c);
}

/* ---- output and input ---- */

static void pull_h2(gc_conn *c) {
  int rv = grpc_io_pull_h2(&c->io, c->h2);
  if (rv == 0) return;
  char why[WHY_LEN];
  why_printf(why, "connection to %s failed: %s", c->target->name, nghttp2_strerror(rv));
  cconn_close(c, GRPC_UNAVAILABLE, why);
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

static void received(grpc_io *io, const uint8_t *data, size_t n) {
  gc_conn *c = io->tcp.data;
  if (!c->got_bytes && not_h2c_answer(c, (const char *)data, n)) return;
  c->got_bytes = true;
  c->in_recv = true;
  ssize_t rv = nghttp2_session_mem_recv(c->h2, data, n);
  c->in_recv = false;
  if (c->io.closing) return;
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

static void lost(grpc_io *io, const char *what, int uv_err) {
  gc_conn *c = io->tcp.data;
  char why[WHY_LEN];
  const char *reason = uv_err == UV_EOF ? "closed by the server" : uv_strerror(uv_err);
  if (c->state == CONN_READY)
    why_printf(why, "connection to %s lost: %s%s", c->target->name, what, reason);
  else
    why_printf(why, "connect to %s: %s%s before HTTP/2 settings",
             c->target->name, what, reason);
  cconn_close(c, GRPC_UNAVAILABLE, why);
}

static void written(grpc_io *io) { cconn_flush(io->tcp.data); }

static uint8_t read_buf[GRPC_IO_READ_BUF];
static const grpc_io_ops io_ops = {.put = grpc_io_append, .received = received,
                                   .written = written, .lost = lost,
                                   .read_buf = read_buf};

/* ---- flushing ---- */

/* Close once everything is written and nghttp2 has nothing more to do. */
static void maybe_finish(gc_conn *c) {
  if (c->io.closing || c->io.queued || c->io.out_len) return;
  if (c->state < CONN_HANDSHAKE) return;
  if (!c->io.linger &&
      (nghttp2_session_want_read(c->h2) || nghttp2_session_want_write(c->h2)))
    return;
  cconn_close(c, GRPC_UNAVAILABLE, "connection closed");
}

void cconn_flush(gc_conn *c) {
  if (c->io.closing) return;
  list_remove(&c->flush_node);
  if (c->state < CONN_HANDSHAKE) return;
  if (!c->io.linger) pull_h2(c);
  grpc_io_submit(&c->io);
  grpc_io_update_reading(&c->io);
  maybe_finish(c);
}

/* Batch the output of requests and resets made outside this connection's
 * read handler (which flushes anyway) into one write per loop iteration. */
void cconn_schedule_flush(gc_conn *c) {
  if (c->io.closing || c->in_recv || !list_empty(&c->flush_node)) return;
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
  if (c->io.closing) return;
  if (status < 0) {
    connect_error(c, status);
    uv_close((uv_handle_t *)&c->io.tcp, on_tcp_closed);
    return;
  }
  uv_freeaddrinfo(c->ai);
  c->ai = c->ai_next = NULL;
  c->state = CONN_HANDSHAKE;
  c->counted = true;
  cli_stats.connections_open++;
  uv_tcp_nodelay(&c->io.tcp, 1);
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
  grpc_io_init(&c->io, cli.loop, &io_ops, c);
  c->tcp_open = true;
  int rc = uv_tcp_connect(&c->connect, &c->io.tcp, ai->ai_addr, on_connected);
  if (rc) {
    connect_error(c, rc);
    uv_close((uv_handle_t *)&c->io.tcp, on_tcp_closed);
  }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  gc_conn *c = req->data;
  c->resolving = false;
  c->ai = c->ai_next = res;
  if (c->io.closing) {
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
  if (c->io.closing || !c->retired || c->nstreams) return;
  c->io.linger = true;
  cconn_schedule_flush(c);
}

void cconn_idle_close(gc_conn *c) {
  c->retired = true;
  if (c->target->conn == c) c->target->conn = NULL;
  nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
  pull_h2(c); /* the GOAWAY */
  c->io.linger = true;
  cconn_flush(c);
}

/* A call passed its deadline waiting for a reply: check the server is still
 * there. A peer gone without FIN or RST (host down, partition) would
 * otherwise take every later call until TCP gives up, minutes later. */
void cconn_check_alive(gc_conn *c) {
  if (c->io.closing || c->ping_out || c->state != CONN_READY) return;
  if (nghttp2_submit_ping(c->h2, NGHTTP2_FLAG_NONE, alive_ping) != 0) return;
  c->ping_out = true;
  c->ping_sent = uv_now(cli.loop);
  cconn_schedule_flush(c);
}

void cconn_ping_ack(gc_conn *c, const uint8_t opaque[8]) {
  if (memcmp(opaque, alive_ping, sizeof(alive_ping)) == 0) c->ping_out = false;
}
