/* The event bus: start, reload, stop, publishing, and what the connections
 * report. With NATS the bus has one current connection; a reload that
 * changes [bus] builds the next one beside it and switches once it is up. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "internal.h"
#include "metrics.h"

bus_state bus_g;

static const char *const drop_reasons[] = {"buffer_full", "queue_full",
                                           "not_connected", "rejected", "outbox_full"};

static void metrics_init(void) {
  static const char *const reason[] = {"reason", NULL};
  bus_g.published = metrics_host(STRATUS_METRIC_COUNTER,
      "stratus_bus_published_total", "Events accepted for publishing", NULL);
  bus_g.received = metrics_host(STRATUS_METRIC_COUNTER,
      "stratus_bus_received_total", "Events taken off the bus for delivery",
      NULL);
  bus_g.dropped = metrics_host(STRATUS_METRIC_COUNTER,
      "stratus_bus_dropped_total", "Events dropped, by reason", reason);
  bus_g.connected = metrics_host(STRATUS_METRIC_GAUGE, "stratus_bus_connected",
      "1 when the bus is usable (connected, or in process)", NULL);
  bus_g.reconnects = metrics_host(STRATUS_METRIC_COUNTER,
      "stratus_bus_reconnects_total", "NATS reconnections", NULL);
  bus_g.subscriptions = metrics_host(STRATUS_METRIC_GAUGE,
      "stratus_bus_subscriptions", "Distinct subscribed patterns", NULL);
  for (size_t i = 0; i < ARRAY_LEN(drop_reasons); i++)
    bus_count_drop(drop_reasons[i], 0); /* every series from the start */
  metrics_add(bus_g.published, NULL, 0);
  metrics_add(bus_g.received, NULL, 0);
  metrics_add(bus_g.reconnects, NULL, 0);
  metrics_set(bus_g.subscriptions, NULL, (double)subs_count());
}

void bus_count_drop(const char *reason, uint64_t n) {
  const char *values[] = {reason};
  metrics_add(bus_g.dropped, values, (double)n);
}

static void set_connected(bool up) {
  metrics_set(bus_g.connected, NULL, up ? 1 : 0);
}

/* ---- loop side of the queue ----------------------------------------------- */

static void deliver(bus_item *it) {
  if (it->kind == BUS_ITEM_CONN) nconn_on_event(it);
  else if (!bus_g.stopping) subs_deliver(it);
}

static void after_batch(void) {
  uint64_t drops = bq_take_drops();
  if (drops) bus_count_drop("queue_full", drops);
  subs_after_batch();
}

/* ---- revival: cnats gives a connection up for good (a server that refused
 * the credentials twice, say); with no connection left, a new one with the
 * settings in force is opened, again and again with backoff. ------------- */

#define REVIVE_FIRST_MS 1000
#define REVIVE_MAX_MS 30000

static nconn *open_next(bus_cfg *c, char *err, size_t errlen);

static void on_revive(uv_timer_t *t) {
  (void)t;
  if (bus_g.cur || bus_g.next || bus_g.inproc || bus_g.stopping) return;
  char err[256];
  bus_cfg *c = bus_cfg_dup(bus_g.cfg);
  if (!open_next(c, err, sizeof(err))) {
    bus_cfg_free(c);
    bus_log(STRATUS_LOG_ERROR, "NATS: %s", err);
    return;
  }
  bus_log(STRATUS_LOG_INFO, "opening a new connection to NATS %s", nconn_url(bus_g.next));
}

/* Arms the revival when nothing is connected or connecting. */
static void revive_if_dead(void) {
  if (bus_g.cur || bus_g.next || bus_g.inproc || bus_g.stopping || !bus_g.revive_timer) return;
  uint64_t ms = bus_g.revive_ms ? bus_g.revive_ms : REVIVE_FIRST_MS;
  bus_g.revive_ms = ms * 2 > REVIVE_MAX_MS ? REVIVE_MAX_MS : ms * 2;
  uv_timer_start(bus_g.revive_timer, on_revive, ms, 0);
  bus_log(STRATUS_LOG_WARN, "no NATS connection; a new one in %llu ms",
          (unsigned long long)ms);
}

static void free_timer(uv_handle_t *h) { free(h); }

static void revive_timer_open(void) {
  if (bus_g.revive_timer) return;
  bus_g.revive_timer = xcalloc(1, sizeof(*bus_g.revive_timer));
  uv_timer_init(bus_g.loop, bus_g.revive_timer);
}

static void revive_timer_close(void) {
  if (bus_g.revive_timer) uv_close((uv_handle_t *)bus_g.revive_timer, free_timer);
  bus_g.revive_timer = NULL;
}

/* ---- start ---------------------------------------------------------------- */

static int start_nats(char *err, size_t errlen) {
  bus_g.nats_used = true;
  nconn_loop_init(bus_g.loop);
  revive_timer_open();
  bus_g.cur = nconn_open_sync(bus_g.loop, bus_g.cfg, err, errlen);
  if (!bus_g.cur) return -1;
  bool up = nconn_connected(bus_g.cur);
  set_connected(up);
  if (up) bus_log(STRATUS_LOG_INFO, "connected to NATS %s", nconn_url(bus_g.cur));
  return 0;
}

int bus_start(uv_loop_t *loop, const bus_section *cfg, char *err,
              size_t errlen) {
  if (bus_g.started) return 0;
  bus_g.loop = loop;
  bus_g.cfg = bus_cfg_copy(cfg);
  bus_g.inproc = !*bus_g.cfg->nats_url;
  metrics_init();
  bus_go_init();
  outbox_configure(cfg->must_deliver, cfg->must_deliver_max, (uint64_t)cfg->must_deliver_settle_ms);
  if (bq_open(loop, deliver, after_batch) != 0) {
    snprintf(err, errlen, "[bus] cannot set up the event queue");
    return -1;
  }
  bus_g.started = true;
  if (bus_g.inproc) {
    set_connected(true);
    bus_log(STRATUS_LOG_INFO, "in process (no [bus] nats_url)");
    return 0;
  }
  if (start_nats(err, errlen) == 0) return 0;
  revive_timer_close();
  bus_g.started = false;
  bus_cfg_free(bus_g.cfg);
  bus_g.cfg = NULL;
  bq_close();
  return -1;
}

/* ---- reload: switching connections ---------------------------------------- */

static void abandon_next(void) {
  nconn *n = bus_g.next;
  subs_detach(n);
  bus_g.next = NULL;
  bus_cfg_free(bus_g.next_cfg);
  bus_g.next_cfg = NULL;
  nconn_close(n);
}

static void to_inproc(bus_cfg *c) {
  nconn *old = bus_g.cur;
  if (old) subs_detach(old);
  bus_g.cur = NULL;
  bus_g.inproc = true;
  bus_cfg_free(bus_g.cfg);
  bus_g.cfg = c;
  if (old) nconn_close(old);
  set_connected(true);
  bus_log(STRATUS_LOG_INFO, "now in process (nats_url is empty)");
}

int bus_apply(const bus_section *s, char *err, size_t errlen) {
  if (!bus_g.started || bus_g.stopping) return 0;
  outbox_configure(s->must_deliver, s->must_deliver_max, (uint64_t)s->must_deliver_settle_ms);
  if (bus_cfg_equal(bus_g.next ? bus_g.next_cfg : bus_g.cfg, s)) return 0;
  if (bus_g.next) abandon_next();
  if (bus_cfg_equal(bus_g.cfg, s)) {
    bus_log(STRATUS_LOG_INFO, "[bus] back to the settings in force");
    revive_if_dead();
    return 1;
  }
  bus_cfg *c = bus_cfg_copy(s);
  if (!*c->nats_url) {
    to_inproc(c);
    return 1;
  }
  nconn *n = open_next(c, err, errlen);
  if (!n) {
    bus_cfg_free(c);
    return -1;
  }
  bus_log(STRATUS_LOG_INFO, "[bus] changed: connecting to NATS %s; the "
          "current bus serves until it is up", nconn_url(n));
  return 1;
}

/* Starts connecting with `c` as bus_g.next (which then owns c). */
static nconn *open_next(bus_cfg *c, char *err, size_t errlen) {
  revive_timer_open(); /* a bus that started in process has none yet */
  bus_g.nats_used = true;
  nconn_loop_init(bus_g.loop);
  nconn *n = nconn_open_async(bus_g.loop, c, err, errlen);
  if (!n) return NULL;
  bus_g.next = n;
  bus_g.next_cfg = c;
  return n;
}

static void switch_to_next(void) {
  nconn *old = bus_g.cur;
  subs_swap(old);
  bus_g.cur = bus_g.next;
  bus_g.next = NULL;
  bus_cfg_free(bus_g.cfg);
  bus_g.cfg = bus_g.next_cfg;
  bus_g.next_cfg = NULL;
  bus_g.inproc = false;
  bus_g.revive_ms = 0;
  set_connected(nconn_connected(bus_g.cur));
  bus_log(STRATUS_LOG_INFO, "switched to NATS %s", nconn_url(bus_g.cur));
  outbox_resend(bus_g.cur); /* what the old one did not confirm */
  if (old) nconn_close(old); /* drained: what it received is delivered */
}

/* ---- what connections report ---------------------------------------------- */

void bus_conn_up(nconn *c, bool reconnected) {
  if (c == bus_g.next) {
    if (bus_g.next_subscribed) return;
    subs_add_next();
    nconn_flush_async(c); /* then bus_conn_flushed */
    return;
  }
  if (c != bus_g.cur) return;
  set_connected(true);
  if (reconnected) metrics_add(bus_g.reconnects, NULL, 1);
  outbox_resend(c);
  bus_log(STRATUS_LOG_INFO, "%s NATS %s", reconnected ? "reconnected to"
          : "connected to", nconn_url(c));
}

void bus_conn_flushed(nconn *c, bool ok) {
  if (c != bus_g.next) return;
  if (!ok)
    bus_log(STRATUS_LOG_WARN, "NATS %s did not confirm the subscriptions in "
            "time; switching anyway", nconn_url(c));
  switch_to_next();
}

void bus_conn_down(nconn *c) {
  if (c != bus_g.cur) return;
  set_connected(false);
  outbox_hold();
  bus_log(STRATUS_LOG_WARN, "disconnected from NATS %s; publishes are "
          "buffered up to %llu bytes until it is back", nconn_url(c),
          (unsigned long long)bus_g.cfg->max_pending);
}

static void finish_stop(void) {
  bq_close();
  set_connected(false);
  void (*done)(void *) = bus_g.stop_done;
  bus_g.stop_done = NULL;
  if (done) done(bus_g.stop_ud);
}

void bus_conn_gone(nconn *c, uint64_t lost, const char *why) {
  if (lost) {
    bus_count_drop("not_connected", lost);
    bus_log(STRATUS_LOG_WARN, "NATS %s closed with %llu event(s) still "
            "buffered: dropped", nconn_url(c), (unsigned long long)lost);
  }
  if (c == bus_g.cur || c == bus_g.next) subs_conn_lost(c);
  if (c == bus_g.next) {
    bus_g.next = NULL;
    bus_cfg_free(bus_g.next_cfg);
    bus_g.next_cfg = NULL;
    bus_log(STRATUS_LOG_ERROR, "the new connection to NATS %s failed%s%s%s",
            nconn_url(c), *why ? ": " : "", why,
            bus_g.cur ? "; keeping the current bus" : "");
  }
  if (c == bus_g.cur) {
    bus_g.cur = NULL;
    set_connected(false);
    outbox_hold();
    bus_log(STRATUS_LOG_ERROR, "NATS %s closed%s%s; events are dropped until a "
            "new connection is up", nconn_url(c), *why ? ": " : "", why);
  }
  revive_if_dead();
}

void bus_conn_freed(void) {
  if (bus_g.stopping && nconn_count() == 0) finish_stop();
}

/* ---- stop ----------------------------------------------------------------- */

void bus_stop(void (*done)(void *ud), void *ud) {
  if (!bus_g.started || bus_g.stopping) {
    if (!bus_g.started && done) done(ud);
    return;
  }
  bus_g.stopping = true;
  bus_g.stop_done = done;
  bus_g.stop_ud = ud;
  revive_timer_close();
  outbox_close(); /* the drain below flushes what was handed over */
  if (bus_g.next) abandon_next();
  nconn *cur = bus_g.cur;
  bus_g.cur = NULL;
  if (cur) {
    subs_detach(cur);
    nconn_close(cur);
  }
  if (nconn_count() == 0) finish_stop();
}

void bus_shutdown(void) {
  subs_free_all();
  bus_cfg_free(bus_g.cfg);
  bus_cfg_free(bus_g.next_cfg);
  sb_free(&bus_g.out);
  bus_go_shutdown();
  if (nconn_count())
    bus_log(STRATUS_LOG_WARN, "%zu NATS connection(s) still open at exit",
            nconn_count());
  else if (bus_g.nats_used)
    nats_CloseAndWait(BUS_DRAIN_TIMEOUT_MS);
  bq_destroy();
  memset(&bus_g, 0, sizeof(bus_g));
}

/* ---- publishing ----------------------------------------------------------- */

static int publish_inproc(const char *subject, const void *data, size_t len) {
  size_t slen = strlen(subject);
  bus_item *it = xmalloc(sizeof(*it) + slen + len + 2);
  memset(it, 0, sizeof(*it));
  memcpy(it->buf, subject, slen + 1);
  char *copy = it->buf + slen + 1;
  if (len) memcpy(copy, data, len);
  copy[len] = '\0';
  it->kind = BUS_ITEM_MSG;
  it->subject = it->buf;
  it->data = copy;
  it->len = len;
  if (bq_push(it, false)) return 0;
  free(it);
  return STRATUS_EAGAIN;
}

static int route(const char *subject, const void *data, size_t len) {
  const char *reason = "not_connected";
  int rc = STRATUS_EUNAVAILABLE;
  if (bus_g.started && !bus_g.stopping && bus_g.inproc) {
    rc = publish_inproc(subject, data, len);
    reason = "queue_full";
  } else if (bus_g.started && !bus_g.stopping && outbox_wants(subject)) {
    /* kept until confirmed, even while no connection is up */
    rc = outbox_publish(bus_g.cur, subject, data, len);
    reason = "outbox_full";
  } else if (bus_g.started && !bus_g.stopping && bus_g.cur) {
    rc = nconn_publish(bus_g.cur, subject, data, len, &reason);
  }
  if (rc == 0) metrics_add(bus_g.published, NULL, 1);
  else if (rc != STRATUS_EINVAL) bus_count_drop(reason, 1);
  return rc;
}

int bus_publish_raw(const char *subject, const void *data, size_t len) {
  if (!bus_subject_valid(subject, false) || (len && !data) || len > INT_MAX)
    return STRATUS_EINVAL;
  return route(subject, data, len);
}

int bus_publish(const char *subject, int64_t type, const char *payload_json) {
  if (!bus_subject_valid(subject, false) || !payload_json)
    return STRATUS_EINVAL;
  int rc = bus_envelope_build(&bus_g.out, BUS_ENVELOPE_VERSION, type,
                              payload_json, strlen(payload_json));
  return rc ? rc : route(subject, bus_g.out.data, bus_g.out.len);
}

int bus_publish_json(const char *subject, int64_t type, json_t *payload) {
  if (!bus_subject_valid(subject, false) || !json_is_object(payload))
    return STRATUS_EINVAL;
  json_t *env = json_pack("{s:s, s:I, s:O}", "v", BUS_ENVELOPE_VERSION, "t",
                          (json_int_t)type, "p", payload);
  char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
  json_decref(env);
  if (!text) return STRATUS_ENOMEM;
  int rc = route(subject, text, strlen(text));
  free(text);
  return rc;
}
