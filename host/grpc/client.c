/* The gRPC client: the public calls, targets and their backoff, the upkeep
 * timer (connect and PING timeouts, idle connections, reconnects), shutdown
 * and counters. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "client_internal.h"

grpc_cli cli = {.targets = LIST_INIT(cli.targets),
                .conns = LIST_INIT(cli.conns),
                .flushq = LIST_INIT(cli.flushq),
                .deadlines = LIST_INIT(cli.deadlines),
                .completed = LIST_INIT(cli.completed),
                .idle_ms = CLIENT_IDLE_MS,
                .ping_ms = CLIENT_PING_MS};
grpc_client_stats cli_stats;

/* ---- handles ---- */

static void on_idle(uv_idle_t *h);

static void on_handle_closed(uv_handle_t *h) {
  gc_handles *hs = h->data;
  if (--hs->open == 0) free(hs);
}

static void cli_init(uv_loop_t *loop) {
  if (cli.h) return;
  gc_handles *hs = xcalloc(1, sizeof(*hs));
  cli.loop = loop;
  uv_timer_init(loop, &hs->deadline);
  uv_timer_init(loop, &hs->maint);
  uv_idle_init(loop, &hs->idle);
  hs->deadline.data = hs->maint.data = hs->idle.data = hs;
  hs->open = 3;
  cli.h = hs;
}

static void cli_close_handles(void) {
  gc_handles *hs = cli.h;
  cli.h = NULL;
  uv_close((uv_handle_t *)&hs->deadline, on_handle_closed);
  uv_close((uv_handle_t *)&hs->maint, on_handle_closed);
  uv_close((uv_handle_t *)&hs->idle, on_handle_closed);
}

/* vsnprintf: messages are cut at WHY_LEN, which is meant. */
void why_printf(char why[WHY_LEN], const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, WHY_LEN, fmt, ap);
  va_end(ap);
}

void cli_wake(void) {
  if (cli.h) uv_idle_start(&cli.h->idle, on_idle);
}

/* ---- targets ---- */

static bool host_name_ok(const char *h) {
  if (!*h) return false;
  for (; *h; h++)
    if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' && *h != '_') return false;
  return true;
}

static bool port_ok(const char *p) {
  if (!*p || strlen(p) > 5) return false;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return false;
  long v = strtol(p, NULL, 10);
  return v >= 1 && v <= 65535;
}

/* "host:port" or "[v6]:port" into host (brackets stripped) and port. */
int client_parse_target(const char *target, char **host, char **port) {
  const char *colon;
  char *h;
  if (target[0] == '[') {
    const char *end = strstr(target, "]:");
    if (!end) return STRATUS_EINVAL;
    h = xstrndup(target + 1, (size_t)(end - target - 1));
    colon = end + 1;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, h, &a6) != 1) goto bad;
  } else {
    colon = strrchr(target, ':');
    if (!colon) return STRATUS_EINVAL;
    h = xstrndup(target, (size_t)(colon - target));
    if (!host_name_ok(h)) goto bad;
  }
  if (!port_ok(colon + 1)) goto bad;
  *host = h;
  *port = xstrdup(colon + 1);
  return 0;
bad:
  free(h);
  return STRATUS_EINVAL;
}

static gc_target *target_get(const char *name, char *host, char *port) {
  list_each(it, &cli.targets) {
    gc_target *t = list_entry(it, gc_target, node);
    if (strcmp(t->name, name) == 0) {
      free(host);
      free(port);
      return t;
    }
  }
  gc_target *t = xcalloc(1, sizeof(*t));
  struct in6_addr a;
  t->name = xstrdup(name);
  t->host = host;
  t->port = port;
  t->numeric = inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
  t->backoff_ms = BACKOFF_MIN_MS;
  list_init(&t->waiting);
  list_push_back(&cli.targets, &t->node);
  return t;
}

static void target_free(gc_target *t) {
  list_remove(&t->node);
  free(t->name);
  free(t->host);
  free(t->port);
  free(t);
}

void target_unref(gc_target *t) {
  if (--t->refs > 0) return;
  if (!cli.h) {
    target_free(t); /* shut down: nothing will look for it */
    return;
  }
  t->unused_since = uv_now(cli.loop);
  cli_wake();
}

void target_pump(gc_target *t) {
  gc_conn *c = t->conn;
  while (c && t->conn == c && c->state == CONN_READY && !list_empty(&t->waiting) &&
         c->nstreams < cconn_max_streams(c)) {
    gc_call *call = list_entry(t->waiting.next, gc_call, node);
    list_remove(&call->node);
    if (ccall_stream_start(c, call) != 0) {
      /* stream ids ran out: this connection takes no more */
      list_insert_before(t->waiting.next, &call->node);
      c->retired = true;
      t->conn = NULL;
      cconn_check_done(c);
      target_kick(t);
      return;
    }
  }
}

/* Connect for the waiting calls now, or let the upkeep timer do it when the
 * backoff has passed. */
void target_kick(gc_target *t) {
  if (t->conn || list_empty(&t->waiting) || cli.shutting_down) return;
  if (uv_now(cli.loop) >= t->retry_at)
    cconn_start(t);
  else
    cli_wake();
}

void target_enqueue(gc_target *t, gc_call *call) {
  if (cli.shutting_down) {
    ccall_finish(call, GRPC_UNAVAILABLE, "shutting down");
    return;
  }
  uint64_t now = uv_now(cli.loop);
  uint64_t deadline = call->deadline.at;
  if (!t->conn && now < t->retry_at && deadline && deadline < t->retry_at) {
    ccall_finish(call, GRPC_UNAVAILABLE,
                 "%s (next attempt in %llu ms, after the deadline)", t->why,
                 (unsigned long long)(t->retry_at - now));
    return;
  }
  if (!ccall_link(&t->waiting, call)) return;
  if (t->conn)
    target_pump(t);
  else
    target_kick(t);
}

/* An attempt failed: back off and fail the calls that waited for it. */
void target_conn_failed(gc_target *t, int status, const char *why) {
  if (!cli.shutting_down) {
    why_printf(t->why, "%s", why);
    t->retry_at = uv_now(cli.loop) + t->backoff_ms;
    t->backoff_ms *= 2;
    if (t->backoff_ms > BACKOFF_MAX_MS) t->backoff_ms = BACKOFF_MAX_MS;
    grpc_log(STRATUS_LOG_DEBUG, "%s; next attempt in %llu ms", why,
             (unsigned long long)(t->retry_at - uv_now(cli.loop)));
  }
  list_each(it, &t->waiting)
    ccall_finish(list_entry(it, gc_call, node), status, "%s", why);
}

/* ---- upkeep: one timer for connect timeouts, unanswered PINGs, idle
 * connections, backoff expiry and unused targets ---- */

static void on_maint(uv_timer_t *timer);

static uint64_t earliest(uint64_t a, uint64_t b) { return !a || (b && b < a) ? b : a; }

static void maint_reschedule(void) {
  uint64_t due = 0, now = uv_now(cli.loop);
  list_each(it, &cli.targets) {
    gc_target *t = list_entry(it, gc_target, node);
    if (!t->conn && !list_empty(&t->waiting))
      due = earliest(due, t->retry_at ? t->retry_at : now);
    if (!t->refs) due = earliest(due, t->unused_since + cli.idle_ms);
  }
  list_each(it, &cli.conns) {
    gc_conn *c = list_entry(it, gc_conn, node);
    if (c->state != CONN_READY)
      due = earliest(due, c->started + CLIENT_CONNECT_MS);
    else if (!c->nstreams && !c->retired && !c->io.linger)
      due = earliest(due, c->idle_since + cli.idle_ms);
    if (c->ping_out) due = earliest(due, c->ping_sent + cli.ping_ms);
  }
  if (!due)
    uv_timer_stop(&cli.h->maint);
  else
    uv_timer_start(&cli.h->maint, on_maint, due > now ? due - now : 0, 0);
}

static void maint_conns(uint64_t now) {
  list_each(it, &cli.conns) {
    gc_conn *c = list_entry(it, gc_conn, node);
    if (c->state != CONN_READY && now >= c->started + CLIENT_CONNECT_MS) {
      char why[WHY_LEN];
      why_printf(why, "connect to %s timed out (no HTTP/2 settings within %d s)",
               c->target->name, CLIENT_CONNECT_MS / 1000);
      cconn_close(c, GRPC_UNAVAILABLE, why);
    } else if (c->ping_out && now >= c->ping_sent + cli.ping_ms) {
      char why[WHY_LEN];
      why_printf(why, "connection to %s lost: no answer to PING within %llu ms",
                 c->target->name, (unsigned long long)cli.ping_ms);
      cconn_close(c, GRPC_UNAVAILABLE, why);
    } else if (c->state == CONN_READY && !c->nstreams && !c->retired && !c->io.linger &&
               now >= c->idle_since + cli.idle_ms) {
      cconn_idle_close(c);
    }
  }
}

static void on_maint(uv_timer_t *timer) {
  (void)timer;
  uint64_t now = uv_now(cli.loop);
  maint_conns(now);
  list_each(it, &cli.targets) {
    gc_target *t = list_entry(it, gc_target, node);
    if (!t->refs && now >= t->unused_since + cli.idle_ms)
      target_free(t);
    else
      target_kick(t);
  }
  if (cli.h) maint_reschedule();
}

static void flush_all(void) {
  while (cli.h && !list_empty(&cli.flushq))
    cconn_flush(list_entry(cli.flushq.next, gc_conn, flush_node));
}

/* Output first (a reset for a call past its deadline leaves before its done
 * runs), then the done callbacks, then what requests they made, batched. */
static void on_idle(uv_idle_t *h) {
  (void)h;
  flush_all();
  ccall_run_completions();
  flush_all();
  if (!cli.h) return; /* a done callback shut the client down */
  if (list_empty(&cli.completed)) uv_idle_stop(&cli.h->idle);
  maint_reschedule();
}

/* ---- the public calls ---- */

int grpc_client_call(uv_loop_t *loop, const char *target, const char *path,
                     const uint8_t *msg, size_t len, int64_t timeout_ms,
                     grpc_client_done done, void *ud) {
  char *host, *port;
  if (!target || !path || path[0] != '/' || !done ||
      client_parse_target(target, &host, &port) != 0)
    return STRATUS_EINVAL;
  cli_init(loop);
  gc_target *t = target_get(target, host, port);
  gc_call *call = ccall_new(t, done, ud);
  call->path = xstrdup(path);
  cli_stats.calls_total++;
  if (len > UINT32_MAX) {
    ccall_finish(call, GRPC_RESOURCE_EXHAUSTED, "request message larger than 4 GiB");
    return 0;
  }
  call->req_len = GRPC_PREFIX + len;
  call->req = xmalloc(call->req_len);
  wire_put_prefix(call->req, (uint32_t)len);
  if (len) memcpy(call->req + GRPC_PREFIX, msg, len);
  if (timeout_ms > 0) ccall_deadline_arm(call, timeout_ms);
  target_enqueue(t, call);
  return 0;
}

void grpc_client_fail_later(uv_loop_t *loop, int status, const char *message,
                            grpc_client_done done, void *ud) {
  cli_init(loop);
  ccall_finish(ccall_new(NULL, done, ud), status, "%s", message ? message : "");
}

void grpc_client_shutdown(void) {
  if (!cli.h || cli.shutting_down) return;
  cli.shutting_down = true;
  list_each(it, &cli.conns)
    cconn_close(list_entry(it, gc_conn, node), GRPC_UNAVAILABLE, "shutting down");
  list_each(it, &cli.targets) {
    gc_target *t = list_entry(it, gc_target, node);
    list_each(c, &t->waiting)
      ccall_finish(list_entry(c, gc_call, node), GRPC_UNAVAILABLE, "shutting down");
  }
  ccall_run_completions(); /* calls their done callbacks make fail the same way */
  cli_close_handles();
  list_each(it, &cli.targets) {
    gc_target *t = list_entry(it, gc_target, node);
    if (!t->refs) target_free(t); /* the rest go with their last connection */
  }
  cli.shutting_down = false;
}

void grpc_client_get_stats(grpc_client_stats *out) { *out = cli_stats; }
