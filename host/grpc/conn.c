/* One client connection: reads into nghttp2 (through TLS when configured),
 * nghttp2's output written out (io.c), close. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "net.h"

static const uint8_t drain_ping[8] = "stratus";

static void on_closed(uv_handle_t *h) {
  grpc_conn *c = h->data;
  nghttp2_session_del(c->h2);
  if (c->ssl) SSL_free(c->ssl);
  free(c->io.out);
  free(c);
  srv.handles--;
  srv_check_drained();
}

void conn_close(grpc_conn *c) {
  if (c->io.closing) return;
  c->io.closing = true;
  list_remove(&c->node);
  list_remove(&c->flush_node);
  list_each(it, &c->calls) call_detach(list_entry(it, grpc_call, conn_node));
  grpc_stats.connections_open--;
  conn_guard_closed(&srv.guard);
  uv_close((uv_handle_t *)&c->io.tcp, on_closed);
}

static void pull_h2(grpc_conn *c) {
  int rv = grpc_io_pull_h2(&c->io, c->h2);
  if (rv == 0) return;
  grpc_log(STRATUS_LOG_DEBUG, "%s: send: %s", c->peer, nghttp2_strerror(rv));
  conn_close(c);
}

/* Close once everything is written and nghttp2 is done with the session. */
static void maybe_finish(grpc_conn *c) {
  if (c->io.closing || c->io.queued || c->io.out_len) return;
  if (!c->io.linger && (nghttp2_session_want_read(c->h2) ||
                        nghttp2_session_want_write(c->h2)))
    return;
  if (c->ssl && c->tls_up && !c->tls_shut) {
    tls_shutdown(c); /* close_notify, then close when it is written */
    grpc_io_submit(&c->io);
    if (c->io.queued) return;
  }
  conn_close(c);
}

void conn_flush(grpc_conn *c) {
  if (c->io.closing) return;
  list_remove(&c->flush_node);
  if (!c->io.linger && (!c->ssl || c->tls_up)) pull_h2(c);
  if (c->ssl && !c->io.closing) tls_pump_out(c);
  grpc_io_submit(&c->io);
  grpc_io_update_reading(&c->io);
  maybe_finish(c);
}

/* Write what is pending (a TLS alert, a GOAWAY), then close. */
static void conn_linger(grpc_conn *c) {
  if (!c->ssl || c->tls_up) pull_h2(c);
  c->io.linger = true;
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
  if (c->io.closing || c->in_recv || !list_empty(&c->flush_node)) return;
  list_push_back(&srv.flushq, &c->flush_node);
  uv_idle_start(&srv.flusher, on_flush_idle);
}

int conn_h2_recv(grpc_conn *c, const uint8_t *data, size_t len) {
  ssize_t rv = nghttp2_session_mem_recv(c->h2, data, len);
  if (rv >= 0 || c->io.closing) return rv >= 0 ? 0 : -1;
  grpc_log(STRATUS_LOG_DEBUG, "%s: %s", c->peer, nghttp2_strerror((int)rv));
  /* a GOAWAY saying why, written on the way out by conn_linger() */
  bool flood = rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  if (rv != NGHTTP2_ERR_BAD_CLIENT_MAGIC)
    nghttp2_session_terminate_session(
        c->h2, flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  return -1;
}

/* ---- what io.c calls ---- */

static void put_output(grpc_io *io, const uint8_t *data, size_t len) {
  grpc_conn *c = io->tcp.data;
  if (!c->ssl)
    grpc_io_append(io, data, len);
  else if (tls_send(c, data, len) != 0)
    conn_close(c);
}

static void received(grpc_io *io, const uint8_t *data, size_t len) {
  grpc_conn *c = io->tcp.data;
  conn_touch(c);
  c->in_recv = true;
  int rc = c->ssl ? tls_recv(c, data, len) : conn_h2_recv(c, data, len);
  c->in_recv = false;
  if (rc != 0)
    conn_linger(c);
  else
    conn_flush(c);
}

static void written(grpc_io *io) { conn_flush(io->tcp.data); }

static void lost(grpc_io *io, const char *what, int uv_err) {
  (void)what;
  (void)uv_err;
  conn_close(io->tcp.data);
}

static uint8_t read_buf[GRPC_IO_READ_BUF];
static const grpc_io_ops io_ops = {.put = put_output, .received = received,
                                   .written = written, .lost = lost,
                                   .read_buf = read_buf};

static void set_peer(grpc_conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&c->io.tcp, (struct sockaddr *)&ss, &len) == 0)
    net_format_addr((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
  else
    snprintf(c->peer, sizeof(c->peer), "?");
}

/* The next to close for a new connection: the oldest that never started a
 * call, else the oldest without a call in flight. */
static grpc_conn *oldest_idle(void) {
  grpc_conn *fallback = NULL;
  list_each(it, &srv.conns) {
    grpc_conn *c = list_entry(it, grpc_conn, node);
    if (c->io.closing || !list_empty(&c->calls)) continue;
    if (!c->had_call) return c;
    if (!fallback) fallback = c;
  }
  return fallback;
}

uint64_t conn_oldest_idle(void) {
  grpc_conn *c = oldest_idle();
  return c ? c->accepted_at : UINT64_MAX;
}

void conn_shed_one(void) {
  grpc_conn *c = oldest_idle();
  if (!c) return;
  grpc_log(STRATUS_LOG_DEBUG, "%s: closed to make room for a new connection", c->peer);
  conn_close(c);
}

static bool admit(grpc_conn *c) {
  uv_os_fd_t fd = -1;
  uv_fileno((uv_handle_t *)&c->io.tcp, &fd);
  /* the new connection is last in srv.conns and has no calls: skip it */
  list_remove(&c->node);
  bool ok = conn_guard_admit(&srv.guard, fd);
  list_push_back(&srv.conns, &c->node);
  return ok;
}

void conn_accept(uv_stream_t *listener) {
  grpc_conn *c = xcalloc(1, sizeof(*c));
  grpc_io_init(&c->io, srv.loop, &io_ops, c);
  c->io.high_water = srv.cfg.max_pending_output;
  srv.handles++;
  list_init(&c->calls);
  list_init(&c->flush_node);
  list_push_back(&srv.conns, &c->node);
  grpc_stats.connections_open++;
  grpc_stats.connections_total++;
  c->accepted_at = uv_now(srv.loop);
  conn_guard_opened(&srv.guard);
  if (uv_accept(listener, (uv_stream_t *)&c->io.tcp) != 0 || !admit(c)) {
    conn_close(c);
    return;
  }
  set_peer(c);
  conn_touch(c);
  uv_tcp_nodelay(&c->io.tcp, 1);
  c->h2 = h2_session_new(c);
  if (!c->h2 || (srv.tls && tls_conn_init(c) != 0)) {
    conn_close(c);
    return;
  }
  conn_flush(c); /* our SETTINGS (h2c); reading starts here too */
}

void conn_drain(grpc_conn *c) {
  if (c->io.closing || c->draining) return;
  c->draining = true;
  c->drain_started = uv_now(srv.loop);
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
  if (c->io.closing || c->final_goaway) return;
  c->final_goaway = true;
  nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(c->h2),
                        NGHTTP2_NO_ERROR, NULL, 0);
  conn_schedule_flush(c);
}
