/* What the files of host/bus/ share. Not for the rest of the host. */
#ifndef STRATUS_HOST_BUS_INTERNAL_H
#define STRATUS_HOST_BUS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <nats/nats.h>

#include "eventbus.h"
#include "list.h"
#include "log.h"
#include "util.h"

/* ---- subjects (subject.c) ------------------------------------------------ */
bool bus_subject_valid(const char *s, bool wildcards);
/* publish_go.c: parse the embedded catalogue and register its metric (at
 * bus_start); free both (at bus_shutdown). */
void bus_go_init(void);
void bus_go_shutdown(void);
bool bus_subject_match(const char *pattern, const char *subject);

/* ---- envelopes (envelope.c) ---------------------------------------------- */
typedef struct bus_envelope {
  int64_t type;         /* -1: no envelope */
  const char *version;  /* "" when absent */
  const char *payload;  /* NUL-terminated */
  size_t payload_len;
  bool malformed;       /* not JSON at all */
} bus_envelope;

/* {"v":version,"t":type,"p":payload} into out (replaced). STRATUS_EINVAL
 * unless payload is a JSON object. */
int bus_envelope_build(strbuf *out, const char *version, int64_t type,
                       const char *payload, size_t len);
/* `data` must be NUL-terminated at len. version/payload point into data or
 * into scratch, valid until the next call with the same scratch. */
void bus_envelope_parse(const void *data, size_t len, bus_envelope *env,
                        strbuf *scratch);
/* Byte span of the value of top-level `key` in a valid JSON object text. */
bool bus_json_value_span(const char *s, size_t n, const char *key,
                         size_t *off, size_t *len);

/* ---- the hand-off queue to the loop (queue.c) ---------------------------- */
struct nconn;

typedef enum bus_item_kind {
  BUS_ITEM_MSG,   /* a message for the subscriptions */
  BUS_ITEM_CONN,  /* a connection event from a cnats thread */
} bus_item_kind;

typedef struct bus_item {
  struct bus_item *next;
  bus_item_kind kind;
  uint64_t sub_id;        /* MSG: NATS subscription id; 0 = match them all */
  natsMsg *msg;           /* MSG from NATS (destroyed with the item) */
  const char *subject;
  const char *data;       /* NUL-terminated at len */
  size_t len;
  struct nconn *conn;     /* CONN */
  int event;              /* CONN: nconn_event */
  int status;             /* CONN: natsStatus of an async error */
  char buf[];             /* in-process copy: subject \0 data \0 */
} bus_item;

typedef void (*bq_deliver_fn)(bus_item *it);

/* deliver runs on the loop for each item (which is freed after it);
 * batch_done after each batch. */
int bq_open(uv_loop_t *loop, bq_deliver_fn deliver, void (*batch_done)(void));
/* Any thread. false: the queue is full or closed, the item was not taken
 * (the caller frees it). CONN items are never refused while open. A refused
 * message is counted for bq_take_drops() when count_drop is set. */
bool bq_push(bus_item *it, bool count_drop);
/* Messages refused since the last call (loop thread). */
uint64_t bq_take_drops(void);
/* Refuse everything from now on, close the async handle, free what is
 * queued. */
void bq_close(void);
/* Once no cnats thread is left (after nats_CloseAndWait). */
void bq_destroy(void);
void bq_item_free(bus_item *it);

/* ---- configuration copy (natsopts.c) ------------------------------------- */
typedef struct bus_cfg {
  char *nats_url, *name, *user, *password, *token, *creds_file;
  char *tls_ca, *tls_cert, *tls_key;
  uint64_t max_pending;
  int64_t reconnect_wait_ms, ping_interval_ms, max_pings_out;
  int64_t connect_timeout_ms;
} bus_cfg;

bus_cfg *bus_cfg_copy(const bus_section *s);
bus_cfg *bus_cfg_dup(const bus_cfg *c);
bool bus_cfg_equal(const bus_cfg *a, const bus_section *b);
void bus_cfg_free(bus_cfg *c);
/* The server list for log lines: credentials in URLs become "***". */
char *bus_url_redacted(const char *list);
/* natsOptions for cfg, without callbacks or event loop. NULL with err. */
natsOptions *bus_nats_options(const bus_cfg *cfg, char *err, size_t errlen);

/* ---- NATS connections (natsconn.c) --------------------------------------- */
typedef struct nconn nconn;

void nconn_loop_init(uv_loop_t *loop);
size_t nconn_count(void);

typedef enum nconn_event {
  NCONN_CONNECTED,    /* first connect after a failed attempt */
  NCONN_DISCONNECTED,
  NCONN_RECONNECTED,
  NCONN_CLOSED,
  NCONN_ERROR,        /* asynchronous error (slow consumer, permissions) */
} nconn_event;

/* Startup: the first attempt runs here, blocking. */
nconn *nconn_open_sync(uv_loop_t *loop, const bus_cfg *cfg, char *err,
                       size_t errlen);
/* Reload: connects on a worker thread; bus_conn_up() follows. */
nconn *nconn_open_async(uv_loop_t *loop, const bus_cfg *cfg, char *err,
                        size_t errlen);
bool nconn_connected(const nconn *c);
const char *nconn_url(const nconn *c);
/* 0, or STRATUS_EAGAIN/EUNAVAILABLE/ERANGE/EINVAL with *reason set to the
 * dropped-metric label. */
int nconn_publish(nconn *c, const char *subject, const void *data,
                  size_t len, const char **reason);
natsSubscription *nconn_subscribe(nconn *c, const char *pattern,
                                  uint64_t sub_id);
void nconn_unsubscribe(natsSubscription *ns);
/* Destroy `ns` when `c` is closed (after it was drained). */
void nconn_adopt(nconn *c, natsSubscription *ns);
/* Wait (on a worker) until the server processed what was sent so far;
 * bus_conn_flushed() follows. */
void nconn_flush_async(nconn *c);
/* Flush on a worker to confirm what was published so far; false when a
 * worker job is already running. outbox_confirmed() follows. */
bool nconn_confirm_async(nconn *c);
/* cnats's reconnect count; *up: connected right now (not buffering). */
uint64_t nconn_generation(nconn *c, bool *up);
/* Drain if connected, else close; bus_conn_gone() follows. */
void nconn_close(nconn *c);
void nconn_on_event(bus_item *it);

/* Called by natsconn.c on the loop thread (bus.c). */
void bus_conn_up(nconn *c, bool reconnected);
void bus_conn_down(nconn *c);
void bus_conn_flushed(nconn *c, bool ok);
/* `lost`: publishes that were still buffered when it closed; `why`: the
 * last error ("" if none). */
void bus_conn_gone(nconn *c, uint64_t lost, const char *why);
/* After a connection was freed. */
void bus_conn_freed(void);

/* ---- at-least-once for [bus] must_deliver (outbox.c), loop thread ------- */
void outbox_configure(const char *const *patterns, uint64_t max_bytes, uint64_t settle_ms);
bool outbox_wants(const char *subject);
/* Keep and publish on c (may be NULL: kept for the next connection). 0, or
 * STRATUS_EAGAIN when the outbox is full. */
int outbox_publish(nconn *c, const char *subject, const void *data, size_t len);
/* The current connection is down: keep must_deliver events here. */
void outbox_hold(void);
/* c is up (again, or newly current): after the settle time, publish what
 * it has not confirmed. */
void outbox_resend(nconn *c);
void outbox_confirmed(nconn *c, bool ok, uint64_t gen_after);
void outbox_conn_gone(nconn *c);
size_t outbox_pending(void);
void outbox_close(void);

/* ---- the bus's state (bus.c), loop thread only ---------------------------- */
typedef struct bus_state {
  uv_loop_t *loop;
  bool started, stopping;
  bool inproc;              /* no NATS: matched and delivered in process */
  bool nats_used;           /* cnats was initialised: tear it down at exit */
  bus_cfg *cfg;             /* in force */
  nconn *cur;               /* NATS: the connection in use (NULL: none) */
  nconn *next;              /* NATS: the one being switched to */
  bus_cfg *next_cfg;
  bool next_subscribed;     /* every subscription exists on `next` */
  uv_timer_t *revive_timer; /* NATS: opens a new connection after one closed */
  uint64_t revive_ms;       /* its backoff */
  strbuf out;               /* envelope being published */
  void (*stop_done)(void *ud);
  void *stop_ud;
  stratus_metric *published, *received, *dropped, *connected, *reconnects,
      *subscriptions;
} bus_state;

extern bus_state bus_g;

void bus_count_drop(const char *reason, uint64_t n);

/* ---- subscriptions and dispatch (subs.c) ---------------------------------- */
void subs_deliver(bus_item *it);       /* a MSG item, on the loop */
void subs_after_batch(void);
size_t subs_count(void);               /* distinct patterns */
/* Subscribe every pattern on bus_g.next too. */
void subs_add_next(void);
/* bus_g.next becomes current: its subscriptions replace those of `old`
 * (adopted by old, which is then closed). */
void subs_swap(nconn *old);
/* Hand the subscriptions on `c` (current or next) over to it, for closing. */
void subs_detach(nconn *c);
/* `c` closed by itself: its subscriptions are gone. */
void subs_conn_lost(nconn *c);
void subs_free_all(void);

#define bus_log(level, ...) log_write((level), "bus", __VA_ARGS__)

#endif
