/* Connection timeouts, checked by one sweep timer rather than a timer per
 * connection: a client must finish the TLS handshake and send the HTTP/2
 * preface and SETTINGS within handshake_timeout (a socket that only holds
 * a slot is closed), and a connection without calls or incoming bytes for
 * idle_timeout (when set) is drained with GOAWAY like at a reload; one that
 * never started a call is drained first_call_timeout after its greeting. */
#include "internal.h"

#define SWEEP_MIN_MS 50
#define SWEEP_MAX_MS 1000
#define GOAWAY_AFTER_MS 1000 /* when the client does not answer the drain PING */

static uint64_t sweep_interval(void) {
  uint64_t ms = srv.cfg.handshake_timeout_ms;
  if (srv.cfg.idle_timeout_ms && srv.cfg.idle_timeout_ms < ms) ms = srv.cfg.idle_timeout_ms;
  if (srv.cfg.first_call_timeout_ms && srv.cfg.first_call_timeout_ms < ms)
    ms = srv.cfg.first_call_timeout_ms;
  ms /= 4;
  return ms < SWEEP_MIN_MS ? SWEEP_MIN_MS : ms > SWEEP_MAX_MS ? SWEEP_MAX_MS : ms;
}

static bool handshake_expired(const grpc_conn *c, uint64_t now) {
  return !c->greeted && now - c->accepted_at >= srv.cfg.handshake_timeout_ms;
}

static bool idle_expired(const grpc_conn *c, uint64_t now) {
  return srv.cfg.idle_timeout_ms && c->greeted && !c->draining && list_empty(&c->calls) &&
         now - c->last_active >= srv.cfg.idle_timeout_ms;
}

/* Counted from the greeting, not from the last byte: PINGs do not keep a
 * connection that never calls anything. */
static bool first_call_expired(const grpc_conn *c, uint64_t now) {
  uint32_t limit = srv.cfg.first_call_timeout_ms;
  return limit && c->greeted && !c->had_call && !c->draining && now - c->greeted_at >= limit;
}

static void on_sweep(uv_timer_t *t) {
  uint64_t now = uv_now(t->loop);
  list_each(it, &srv.conns) {
    grpc_conn *c = list_entry(it, grpc_conn, node);
    if (handshake_expired(c, now)) {
      grpc_log(STRATUS_LOG_INFO, "%s: no HTTP/2 greeting within %u ms, closing", c->peer,
               srv.cfg.handshake_timeout_ms);
      grpc_stats.handshake_timeouts++;
      conn_close(c);
    } else if (idle_expired(c, now)) {
      grpc_log(STRATUS_LOG_DEBUG, "%s: idle for %u ms, draining", c->peer,
               srv.cfg.idle_timeout_ms);
      grpc_stats.idle_closed++;
      conn_drain(c);
    } else if (first_call_expired(c, now)) {
      grpc_log(STRATUS_LOG_DEBUG, "%s: no call within %u ms of the greeting, draining",
               c->peer, srv.cfg.first_call_timeout_ms);
      grpc_stats.first_call_closed++;
      conn_drain(c);
    } else if (c->draining && !c->final_goaway && now - c->drain_started >= GOAWAY_AFTER_MS) {
      conn_final_goaway(c);
    }
  }
}

void conn_timeouts_start(void) {
  uint64_t every = sweep_interval();
  uv_timer_start(&srv.sweep_timer, on_sweep, every, every);
}

void conn_touch(grpc_conn *c) { c->last_active = uv_now(srv.loop); }
