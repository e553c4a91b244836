/* The HTTP listeners and their connections: reading paused while a
 * connection's unsent output is over max_pending_output, connection caps
 * (conn_guard), and handshake, header and idle timeouts checked by one sweep
 * timer. Parsing and routing are http_session.c's. */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "conn_guard.h"
#include "http_session.h"
#include "list.h"
#include "log.h"
#include "net.h"
#include "stratusd.h"

#define SWEEP_MIN_MS 50
#define SWEEP_MAX_MS 1000

typedef union stream_handle {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} stream_handle;

typedef struct listener {
  stream_handle h;
  conn_guard *guard;
  list_node node;
} listener;

typedef struct http_conn {
  stream_handle h;
  http_session s;
  conn_guard *guard;
  bool closing, reading, got_bytes;
  bool last_queued;        /* a response that ends the connection is queued */
  size_t pending;          /* handed to uv_write, not yet written */
  char *rest;              /* read while paused, not parsed yet */
  size_t rest_len;
  uint64_t accepted_at, last_active, request_started;
  list_node node;          /* in conns, oldest first */
} http_conn;

typedef struct write_req {
  uv_write_t req;
  char *data;
  size_t len;
  bool close_after;
} write_req;

static list_node listeners = LIST_INIT(listeners);
static list_node conns = LIST_INIT(conns);
static http_handler route;
static char *admin_path;
static http_limits lim;
static http_stats stats;
static uv_timer_t sweep;
static bool sweep_on;
static conn_guard tcp_guard = {.name = "http", .limit_key = "[http] max_connections"};
static conn_guard admin_guard = {.name = "admin",
                                 .limit_key = "[http] admin_max_connections"};

const http_stats *http_get_stats(void) { return &stats; }

static uint64_t now_ms(void) { return uv_now(stratusd.loop); }

static void on_conn_closed(uv_handle_t *h) {
  http_conn *c = h->data;
  http_session_free(&c->s);
  free(c->rest);
  free(c);
}

static void conn_close(http_conn *c) {
  if (c->closing) return;
  c->closing = true;
  list_remove(&c->node);
  conn_guard_closed(c->guard);
  uv_close(&c->h.handle, on_conn_closed);
}

static void set_reading(http_conn *c, bool on);
static void feed(http_conn *c, const char *data, size_t len);

/* Parse what was held back while paused; read again once it is all used. */
static void resume(http_conn *c) {
  http_session_pause(&c->s, false);
  if (c->rest) {
    char *rest = c->rest;
    c->rest = NULL;
    feed(c, rest, c->rest_len);
    free(rest);
  }
  set_reading(c, !c->s.paused && !c->rest && !c->s.failed);
}

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  http_conn *c = req->handle->data;
  c->pending -= w->len;
  bool close_after = w->close_after;
  free(w->data);
  free(w);
  if (c->closing) return;
  c->last_active = now_ms();
  if (status < 0 || close_after) {
    conn_close(c);
  } else if (c->s.paused && !c->last_queued && c->pending <= lim.max_pending_output / 2) {
    resume(c);
  }
}

static void emit(http_session *s, char *data, size_t len, bool close_after) {
  http_conn *c = s->owner;
  write_req *w = xcalloc(1, sizeof(*w));
  w->data = data;
  w->len = len;
  w->close_after = close_after;
  uv_buf_t buf = uv_buf_init(data, (unsigned)len);
  if (c->closing || uv_write(&w->req, &c->h.stream, &buf, 1, on_written) != 0) {
    free(data);
    free(w);
    conn_close(c);
    return;
  }
  c->pending += len;
  if (close_after) {
    c->last_queued = true;
    http_session_pause(s, true); /* nothing after this response is answered */
  } else if (lim.max_pending_output && c->pending > lim.max_pending_output) {
    stats.paused_reads++;
    http_session_pause(s, true);
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = xmalloc(suggested);
  buf->len = suggested;
}

static void feed(http_conn *c, const char *data, size_t len) {
  unsigned long begun = c->s.begun;
  size_t done = http_session_feed(&c->s, data, len);
  if (c->closing) return;
  /* header_timeout runs from the read that began the current request */
  if (c->s.begun != begun) c->request_started = now_ms();
  if (done < len && c->s.paused && !c->s.failed) {
    c->rest = xmalloc(len - done);
    memcpy(c->rest, data + done, len - done);
    c->rest_len = len - done;
  }
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  http_conn *c = st->data;
  if (n < 0) {
    conn_close(c);
  } else if (n > 0 && !c->closing) {
    c->got_bytes = true;
    c->last_active = now_ms();
    feed(c, buf->base, (size_t)n);
    if (!c->closing && (c->s.paused || c->s.failed)) set_reading(c, false);
  }
  free(buf->base);
}

static void set_reading(http_conn *c, bool on) {
  if (c->closing || c->reading == on) return;
  c->reading = on;
  if (on)
    uv_read_start(&c->h.stream, on_alloc, on_read);
  else
    uv_read_stop(&c->h.stream);
}

/* ---- timeouts ---------------------------------------------------------- */

static bool expired(uint64_t since, uint32_t limit_ms, uint64_t now) {
  return limit_ms && now - since >= limit_ms;
}

static void check_timeouts(http_conn *c, uint64_t now) {
  if (!c->got_bytes) {
    if (expired(c->accepted_at, lim.handshake_timeout_ms, now)) {
      stats.handshake_timeouts++;
      conn_close(c);
    }
  } else if (c->s.in_request) {
    if (expired(c->request_started, lim.header_timeout_ms, now)) {
      log_debug("http: request not complete within %u ms, closing", lim.header_timeout_ms);
      stats.header_timeouts++;
      conn_close(c);
    }
  } else if (expired(c->last_active, lim.idle_timeout_ms, now)) {
    stats.idle_timeouts++;
    conn_close(c);
  }
}

static void on_sweep(uv_timer_t *t) {
  uint64_t now = uv_now(t->loop);
  list_each(it, &conns) check_timeouts(list_entry(it, http_conn, node), now);
}

static void start_sweep(void) {
  uint32_t ms = 0;
  const uint32_t all[] = {lim.handshake_timeout_ms, lim.header_timeout_ms,
                          lim.idle_timeout_ms};
  for (size_t i = 0; i < ARRAY_LEN(all); i++)
    if (all[i] && (!ms || all[i] < ms)) ms = all[i];
  if (!ms) return;
  ms /= 4;
  ms = ms < SWEEP_MIN_MS ? SWEEP_MIN_MS : ms > SWEEP_MAX_MS ? SWEEP_MAX_MS : ms;
  uv_timer_init(stratusd.loop, &sweep);
  uv_timer_start(&sweep, on_sweep, ms, ms);
  sweep_on = true;
}

/* ---- accepting --------------------------------------------------------- */

/* The oldest connection of g with nothing being written (idle between
 * requests, or still sending one) is the one closed for a new one. */
static http_conn *oldest_idle(conn_guard *g) {
  list_each(it, &conns) {
    http_conn *c = list_entry(it, http_conn, node);
    if (c->guard == g && !c->pending && !c->closing) return c;
  }
  return NULL;
}

static uint64_t oldest_at(conn_guard *g) {
  http_conn *c = oldest_idle(g);
  return c ? c->accepted_at : UINT64_MAX;
}

static void shed_one(conn_guard *g) {
  http_conn *c = oldest_idle(g);
  if (c) conn_close(c);
}

static uint64_t tcp_oldest(void) { return oldest_at(&tcp_guard); }
static uint64_t admin_oldest(void) { return oldest_at(&admin_guard); }
static void tcp_shed(void) { shed_one(&tcp_guard); }
static void admin_shed(void) { shed_one(&admin_guard); }

static bool admit(http_conn *c) {
  uv_os_fd_t fd = -1;
  uv_fileno(&c->h.handle, &fd);
  /* the new connection is last in conns and has nothing written: skip it */
  list_remove(&c->node);
  bool ok = conn_guard_admit(c->guard, fd);
  list_push_back(&conns, &c->node);
  return ok;
}

static void on_connection(uv_stream_t *server, int status) {
  listener *l = server->data;
  if (status < 0) {
    conn_guard_accept_failed(l->guard, status);
    shed_one(l->guard); /* frees a descriptor for the next attempt */
    return;
  }
  bool is_admin = l->guard == &admin_guard;
  http_conn *c = xcalloc(1, sizeof(*c));
  c->guard = l->guard;
  if (is_admin)
    uv_pipe_init(stratusd.loop, &c->h.pipe, 0);
  else
    uv_tcp_init(stratusd.loop, &c->h.tcp);
  c->h.handle.data = c;
  http_session_init(&c->s, is_admin, route, emit, c);
  c->accepted_at = c->last_active = now_ms();
  list_push_back(&conns, &c->node);
  conn_guard_opened(c->guard);
  if (uv_accept(server, &c->h.stream) != 0 || !admit(c)) {
    conn_close(c);
    return;
  }
  set_reading(c, true);
}

/* ---- listeners --------------------------------------------------------- */

static void on_listener_closed(uv_handle_t *h) { free(h->data); }

static listener *listener_new(bool admin) {
  listener *l = xcalloc(1, sizeof(*l));
  l->guard = admin ? &admin_guard : &tcp_guard;
  if (admin)
    uv_pipe_init(stratusd.loop, &l->h.pipe, 0);
  else
    uv_tcp_init(stratusd.loop, &l->h.tcp);
  l->h.handle.data = l;
  list_push_back(&listeners, &l->node);
  return l;
}

static int listen_tcp(const char *addr, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  if (net_parse_addr(addr, &ss, err, errlen) != 0) return -EINVAL;
  listener *l = listener_new(false);
  int rc = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&ss, 0);
  if (!rc) rc = uv_listen(&l->h.stream, 128, on_connection);
  if (rc) snprintf(err, errlen, "[http] listen %s: %s", addr, uv_strerror(rc));
  return rc;
}

static int listen_admin(const char *path, char *err, size_t errlen) {
  listener *l = listener_new(true);
  unlink(path); /* a stale socket from an earlier run */
  int rc = uv_pipe_bind(&l->h.pipe, path);
  if (!rc) rc = uv_listen(&l->h.stream, 16, on_connection);
  if (rc) {
    snprintf(err, errlen, "[http] admin_socket %s: %s", path, uv_strerror(rc));
    return rc;
  }
  chmod(path, 0660);
  admin_path = xstrdup(path);
  return 0;
}

int http_start(const char *const *listen, const char *admin_socket,
               const http_limits *limits, http_handler handler, char *err, size_t errlen) {
  route = handler;
  lim = *limits;
  tcp_guard.max = lim.max_connections;
  admin_guard.max = lim.admin_max_connections;
  tcp_guard.oldest_idle = tcp_oldest;
  tcp_guard.shed_oldest = tcp_shed;
  admin_guard.oldest_idle = admin_oldest;
  admin_guard.shed_oldest = admin_shed;
  conn_guard_register(&tcp_guard);
  conn_guard_register(&admin_guard);
  int rc = 0;
  for (size_t i = 0; !rc && listen && listen[i]; i++)
    rc = listen_tcp(listen[i], err, errlen);
  if (!rc && admin_socket && *admin_socket)
    rc = listen_admin(admin_socket, err, errlen);
  if (rc) http_stop();
  else start_sweep();
  return rc;
}

void http_stop(void) {
  list_each(it, &listeners) {
    listener *l = list_entry(it, listener, node);
    list_remove(&l->node);
    uv_close(&l->h.handle, on_listener_closed);
  }
  list_each(it, &conns) conn_close(list_entry(it, http_conn, node));
  if (sweep_on) uv_close((uv_handle_t *)&sweep, NULL);
  sweep_on = false;
  if (admin_path) {
    unlink(admin_path);
    free(admin_path);
    admin_path = NULL;
  }
}
