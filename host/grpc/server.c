/* The gRPC server: listeners, start, drain, close and counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "internal.h"
#include "net.h"

#define BACKLOG 511
#define DRAIN_GOAWAY_MS 1000

typedef struct listener {
  uv_tcp_t tcp;
  list_node node;
  char addr[PEER_LEN];
} listener;

grpc_srv srv = {.guard = {.name = "grpc", .limit_key = "[grpc] max_connections"},
                .listeners = LIST_INIT(srv.listeners),
                .conns = LIST_INIT(srv.conns),
                .flushq = LIST_INIT(srv.flushq),
                .deadlines = LIST_INIT(srv.deadlines)};
grpc_server_stats grpc_stats;

static void on_handle_closed(uv_handle_t *h) {
  if (h->data) free(h->data); /* a listener; the embedded handles carry NULL */
  srv.handles--;
  srv_check_drained();
}

static void close_handle(uv_handle_t *h) {
  if (!uv_is_closing(h)) uv_close(h, on_handle_closed);
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0) {
    conn_guard_accept_failed(&srv.guard, status);
    conn_shed_one(); /* frees a descriptor for the next attempt */
    return;
  }
  conn_accept(server);
}

static int listen_one(const char *addr, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  char why[160];
  if (net_parse_addr(addr, &ss, why, sizeof(why)) != 0) {
    snprintf(err, errlen, "[grpc] listen %s", why);
    return -EINVAL;
  }
  listener *l = xcalloc(1, sizeof(*l));
  uv_tcp_init(srv.loop, &l->tcp);
  l->tcp.data = l;
  srv.handles++;
  list_push_back(&srv.listeners, &l->node);
  /* v6 sockets stay v6-only so "0.0.0.0:p" and "[::]:p" can both be listed */
  unsigned flags = ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
  int rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, flags);
  if (!rc) rc = uv_listen((uv_stream_t *)&l->tcp, BACKLOG, on_connection);
  if (rc) {
    snprintf(err, errlen, "[grpc] listen %s: %s", addr, uv_strerror(rc));
    return rc;
  }
  int len = sizeof(ss);
  uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
  net_format_addr((struct sockaddr *)&ss, l->addr, sizeof(l->addr));
  return 0;
}

static void close_listeners(void) {
  list_each(it, &srv.listeners) {
    listener *l = list_entry(it, listener, node);
    list_remove(&l->node);
    close_handle((uv_handle_t *)&l->tcp);
  }
}

static void close_own_handles(void) {
  close_handle((uv_handle_t *)&srv.deadline_timer);
  close_handle((uv_handle_t *)&srv.drain_timer);
  close_handle((uv_handle_t *)&srv.sweep_timer);
  close_handle((uv_handle_t *)&srv.flusher);
  if (srv.tls) SSL_CTX_free(srv.tls); /* live SSL objects hold a reference */
  srv.tls = NULL;
}

static void init_own_handles(void) {
  uv_timer_init(srv.loop, &srv.deadline_timer);
  uv_timer_init(srv.loop, &srv.drain_timer);
  uv_timer_init(srv.loop, &srv.sweep_timer);
  uv_idle_init(srv.loop, &srv.flusher);
  srv.deadline_timer.data = srv.drain_timer.data = srv.flusher.data = NULL;
  srv.sweep_timer.data = NULL;
  srv.handles += 4;
}

static void apply_config(const grpc_server_config *cfg) {
  srv.cfg = *cfg;
  srv.cfg.listen = NULL;
  srv.cfg.tls_cert = srv.cfg.tls_key = srv.cfg.tls_client_ca = NULL;
  if (!srv.cfg.max_message_size) srv.cfg.max_message_size = GRPC_DEFAULT_MAX_MESSAGE;
  if (!srv.cfg.max_concurrent_streams)
    srv.cfg.max_concurrent_streams = GRPC_DEFAULT_MAX_STREAMS;
  if (!srv.cfg.max_header_list_size)
    srv.cfg.max_header_list_size = GRPC_DEFAULT_MAX_HEADER_LIST;
  if (!srv.cfg.handshake_timeout_ms) srv.cfg.handshake_timeout_ms = GRPC_DEFAULT_HANDSHAKE_MS;
  if (!srv.cfg.max_pending_output) srv.cfg.max_pending_output = GRPC_DEFAULT_MAX_PENDING;
  srv.guard.max = srv.cfg.max_connections;
  srv.guard.oldest_idle = conn_oldest_idle;
  srv.guard.shed_oldest = conn_shed_one;
  conn_guard_register(&srv.guard);
}

int grpc_server_start(uv_loop_t *loop, const grpc_server_config *cfg,
                      grpc_dispatch_fn fn, void *ud, char *err, size_t errlen) {
  if (srv.running || srv.handles > 0) {
    snprintf(err, errlen, "[grpc] the server is already running or closing");
    return -EBUSY;
  }
  srv.loop = loop;
  srv.fn = fn;
  srv.ud = ud;
  apply_config(cfg);
  init_own_handles();
  srv.running = true;
  int rc = 0;
  if (cfg->tls && !(srv.tls = tls_ctx_new(cfg, err, errlen))) rc = -EINVAL;
  for (size_t i = 0; !rc && cfg->listen && cfg->listen[i]; i++)
    rc = listen_one(cfg->listen[i], err, errlen);
  if (!rc && list_empty(&srv.listeners)) {
    snprintf(err, errlen, "[grpc] no listen address");
    rc = -EINVAL;
  }
  if (rc) grpc_server_close();
  else conn_timeouts_start();
  return rc;
}

const char *grpc_server_address(size_t i) {
  list_each(it, &srv.listeners) {
    if (i-- == 0) return list_entry(it, listener, node)->addr;
  }
  return NULL;
}

static void on_drain_timer(uv_timer_t *t) {
  (void)t;
  list_each(it, &srv.conns) conn_final_goaway(list_entry(it, grpc_conn, node));
}

void grpc_server_drain(void (*done)(void *ud), void *ud) {
  if (srv.draining) return;
  if (!srv.running) {
    if (done) done(ud);
    return;
  }
  srv.draining = true;
  srv.drain_done = done;
  srv.drain_ud = ud;
  close_listeners();
  list_each(it, &srv.conns) conn_drain(list_entry(it, grpc_conn, node));
  /* the final GOAWAY normally follows the PING ack; this is the fallback */
  uv_timer_start(&srv.drain_timer, on_drain_timer, DRAIN_GOAWAY_MS, 0);
  srv_check_drained();
}

void srv_check_drained(void) {
  if (!srv.draining || !list_empty(&srv.conns)) return;
  if (srv.running) {
    srv.running = false;
    close_listeners();
    close_own_handles();
  }
  if (srv.handles > 0) return;
  srv.draining = false;
  void (*done)(void *) = srv.drain_done;
  srv.drain_done = NULL;
  if (done) done(srv.drain_ud);
}

void grpc_server_close(void) {
  srv.draining = false;
  srv.drain_done = NULL;
  if (!srv.running) return;
  srv.running = false;
  close_listeners();
  list_each(it, &srv.conns) conn_close(list_entry(it, grpc_conn, node));
  close_own_handles();
}

void grpc_server_get_stats(grpc_server_stats *out) { *out = grpc_stats; }
