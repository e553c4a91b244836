/* At-least-once publishing for the subjects of [bus] must_deliver.
 *
 * NATS core confirms nothing: bytes written just before a server dies are
 * gone, and so is a reconnect buffer when its connection is closed for good.
 * For subjects on the list, each publish is also kept here, in order, until
 * a flush (PING/PONG) issued after it comes back from the server on the same
 * connection and reconnect generation: the server then has it and has sent
 * it to every subscriber it had. Whatever is not confirmed when a connection
 * reconnects, or when another connection takes over, is published again.
 *
 * The server keeps nothing for a subscriber that is not there, and after an
 * outage the gateways and sidecars re-subscribe only when they reconnect. So
 * from a disconnect on, these events are held here (not in cnats's reconnect
 * buffer, which it would write out the moment it reconnects) and sent, in
 * order, must_deliver_settle after the connection is back.
 * A subscriber can therefore see an event twice (after an outage), never
 * zero times while the daemon runs; the outbox is in memory (a daemon that
 * dies loses what it holds) and bounded by must_deliver_max, past which such
 * publishes are refused with STRATUS_EAGAIN and counted as outbox_full. */
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "internal.h"
#include "metrics.h"

#define CONFIRM_EVERY_MS 20

typedef struct ob_entry {
  struct ob_entry *next;
  uint64_t seq;
  nconn *conn;  /* where it was last handed over; NULL: nowhere yet */
  uint64_t gen; /* that connection's reconnect count when it reaches the server */
  char *subject;
  size_t len;
  char data[];
} ob_entry;

static struct {
  char **patterns;
  uint64_t max_bytes;
  ob_entry *head, *tail;
  size_t n, bytes;
  uint64_t seq;
  uv_timer_t *timer;
  uint64_t settle_ms;
  bool holding;    /* an outage, or its settle time: nothing is handed over */
  uv_timer_t *settle;
  bool confirming; /* a flush is in flight */
  uint64_t confirm_upto, confirm_gen;
  nconn *confirm_conn;
  stratus_metric *pending, *redelivered, *confirmed;
} ob;

static void free_patterns(void) {
  for (size_t i = 0; ob.patterns && ob.patterns[i]; i++) free(ob.patterns[i]);
  free(ob.patterns);
  ob.patterns = NULL;
}

void outbox_configure(const char *const *patterns, uint64_t max_bytes, uint64_t settle_ms) {
  ob.settle_ms = settle_ms;
  free_patterns();
  size_t n = 0;
  while (patterns && patterns[n]) n++;
  ob.patterns = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) ob.patterns[i] = xstrdup(patterns[i]);
  ob.max_bytes = max_bytes;
  if (!ob.pending) {
    ob.pending = metrics_host(STRATUS_METRIC_GAUGE, "stratus_bus_outbox_pending",
                              "must_deliver events not yet confirmed by the NATS server", NULL);
    ob.redelivered = metrics_host(STRATUS_METRIC_COUNTER, "stratus_bus_redelivered_total",
                                  "must_deliver events published again after an outage", NULL);
    ob.confirmed = metrics_host(STRATUS_METRIC_COUNTER, "stratus_bus_confirmed_total",
                                "must_deliver events the NATS server confirmed", NULL);
    metrics_add(ob.redelivered, NULL, 0);
    metrics_add(ob.confirmed, NULL, 0);
  }
}

bool outbox_wants(const char *subject) {
  for (size_t i = 0; ob.patterns && ob.patterns[i]; i++)
    if (bus_subject_match(ob.patterns[i], subject)) return true;
  return false;
}

static void set_gauge(void) { metrics_set(ob.pending, NULL, (double)ob.n); }

/* Hand e to c (the current connection). false: cnats refused it; it stays
 * unsent and goes out at the next reconnect or switch. */
static bool hand_over(ob_entry *e, nconn *c) {
  bool up;
  uint64_t gen = nconn_generation(c, &up);
  const char *reason;
  /* cnats may know of an outage before the loop does: its reconnect buffer
   * would go out before subscribers are back */
  if (!up) ob.holding = true;
  if (!up || nconn_publish(c, e->subject, e->data, e->len, &reason) != 0) {
    e->conn = NULL;
    return false;
  }
  e->conn = c;
  e->gen = gen;
  return true;
}

static void arm(void);

int outbox_publish(nconn *c, const char *subject, const void *data, size_t len) {
  if (ob.max_bytes && ob.bytes + len > ob.max_bytes) return STRATUS_EAGAIN;
  ob_entry *e = xmalloc(sizeof(*e) + len + 1);
  memcpy(e->data, data, len);
  e->data[len] = '\0';
  e->subject = xstrdup(subject);
  e->len = len;
  e->seq = ++ob.seq;
  e->next = NULL;
  if (ob.tail) ob.tail->next = e;
  else ob.head = e;
  ob.tail = e;
  ob.n++;
  ob.bytes += len;
  set_gauge();
  if (c && !ob.holding) hand_over(e, c);
  arm();
  return 0;
}

/* What c has not surely delivered goes out again, in the original order. */
static void resend(nconn *c) {
  if (!c || ob.holding) return;
  bool up;
  uint64_t gen = nconn_generation(c, &up);
  uint64_t again = 0;
  for (ob_entry *e = ob.head; e && !ob.holding; e = e->next) {
    if (e->conn == c && e->gen >= gen) continue; /* in flight on this generation */
    if (e->conn) again++;
    hand_over(e, c);
  }
  if (again) {
    metrics_add(ob.redelivered, NULL, (double)again);
    bus_log(STRATUS_LOG_INFO, "must_deliver: %llu unconfirmed event(s) published again",
            (unsigned long long)again);
  }
  arm();
}

static void drop_confirmed(nconn *c, uint64_t upto, uint64_t gen) {
  ob_entry **link = &ob.head, *last = NULL;
  uint64_t done = 0;
  while (*link) {
    ob_entry *e = *link;
    if (e->seq <= upto && e->conn == c && e->gen == gen) {
      *link = e->next;
      ob.n--;
      ob.bytes -= e->len;
      free(e->subject);
      free(e);
      done++;
    } else {
      last = e;
      link = &e->next;
    }
  }
  ob.tail = last;
  metrics_add(ob.confirmed, NULL, (double)done);
  set_gauge();
}

void outbox_confirmed(nconn *c, bool ok, uint64_t gen_after) {
  if (!ob.confirming || c != ob.confirm_conn) return;
  ob.confirming = false;
  if (ok && gen_after == ob.confirm_gen) drop_confirmed(c, ob.confirm_upto, ob.confirm_gen);
  arm();
}

/* A connection is gone: nothing it holds can be confirmed any more. */
void outbox_conn_gone(nconn *c) {
  for (ob_entry *e = ob.head; e; e = e->next)
    if (e->conn == c) e->conn = NULL;
  if (ob.confirm_conn == c) {
    ob.confirming = false;
    ob.confirm_conn = NULL;
  }
}

void outbox_hold(void) { ob.holding = true; }

static void on_settled(uv_timer_t *t) {
  (void)t;
  ob.holding = false;
  resend(bus_g.cur);
}

static void free_timer(uv_handle_t *h) { free(h); }

void outbox_resend(nconn *c) {
  if (!ob.holding || !ob.settle_ms) {
    ob.holding = false;
    resend(c);
    return;
  }
  if (!ob.settle) {
    ob.settle = xcalloc(1, sizeof(*ob.settle));
    uv_timer_init(bus_g.loop, ob.settle);
  }
  uv_timer_start(ob.settle, on_settled, ob.settle_ms, 0);
  if (ob.n)
    bus_log(STRATUS_LOG_INFO, "must_deliver: %zu event(s) go out in %llu ms, once "
            "subscribers are back", ob.n, (unsigned long long)ob.settle_ms);
}

static void on_timer(uv_timer_t *t) {
  (void)t;
  nconn *c = bus_g.cur;
  /* a hold that began when cnats saw an outage the loop never heard of */
  if (ob.holding && c && nconn_connected(c) && !(ob.settle && uv_is_active((uv_handle_t *)ob.settle)))
    outbox_resend(c);
  if (!ob.head || ob.confirming || ob.holding || !c || !nconn_connected(c)) return;
  bool up;
  ob.confirm_gen = nconn_generation(c, &up);
  if (!up) return;
  ob.confirm_upto = ob.seq;
  ob.confirm_conn = c;
  ob.confirming = nconn_confirm_async(c);
}

static void arm(void) {
  if (!ob.head || !bus_g.loop) return;
  if (!ob.timer) {
    ob.timer = xcalloc(1, sizeof(*ob.timer));
    uv_timer_init(bus_g.loop, ob.timer);
  }
  if (!uv_is_active((uv_handle_t *)ob.timer))
    uv_timer_start(ob.timer, on_timer, CONFIRM_EVERY_MS, CONFIRM_EVERY_MS);
}

size_t outbox_pending(void) { return ob.n; }

void outbox_close(void) {
  if (ob.timer) uv_close((uv_handle_t *)ob.timer, free_timer);
  if (ob.settle) uv_close((uv_handle_t *)ob.settle, free_timer);
  ob.timer = ob.settle = NULL;
  ob.holding = false;
  while (ob.head) {
    ob_entry *e = ob.head;
    ob.head = e->next;
    free(e->subject);
    free(e);
  }
  ob.tail = NULL;
  if (ob.n)
    bus_log(STRATUS_LOG_WARN, "must_deliver: %zu unconfirmed event(s) at stop", ob.n);
  ob.n = ob.bytes = 0;
  ob.confirming = false;
  ob.confirm_conn = NULL;
  free_patterns();
}
