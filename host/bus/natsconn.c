/* One NATS connection through cnats. Socket I/O runs on our loop through
 * cnats's libuv adapter; cnats's own threads (message delivery, connection
 * callbacks) only push items to the hand-off queue. Anything that may block
 * (connect, flush, close) runs on a libuv worker. */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* Defines the natsLibuv_* functions (not static): include it only here. */
#include <nats/adapters/libuv.h>

#include <stratus/errors.h>

#include "internal.h"

typedef enum work_kind {
  WORK_NONE, WORK_CONNECT, WORK_FLUSH, WORK_CONFIRM, WORK_CLOSE
} work_kind;

struct nconn {
  list_node node;             /* conns */
  uv_loop_t *loop;
  natsConnection *nc;
  natsOptions *opts;
  natsLibuvEvents *nle;       /* built before connecting: see ev_attach */
  atomic_bool attached;
  char *url;
  uint64_t max_pending;
  uint64_t buffered;          /* publishes taken while not connected */
  bool connected, closing, closed;
  work_kind work;             /* a worker job in flight */
  natsStatus work_status;
  uint64_t work_gen;          /* WORK_CONFIRM: reconnect count after the flush */
  natsStatistics *stats, *work_stats; /* loop's and worker's */
  char work_error[256];
  uv_work_t req;
  natsSubscription **adopted; /* destroyed once closed */
  size_t nadopted, adopted_cap;
};

static list_node conns = LIST_INIT(conns);

size_t nconn_count(void) { return list_length(&conns); }
bool nconn_connected(const nconn *c) { return c->connected; }
const char *nconn_url(const nconn *c) { return c->url; }

/* ---- the adapter's per-connection state ----------------------------------
 * natsLibuv_Attach creates it on the first attach and refuses to unless it
 * runs on the loop thread; but when the server is not up at connect time,
 * the first attach comes from cnats's reconnect thread. So it is built here,
 * on the loop, and every attach looks like a re-attach to the adapter. */
static natsLibuvEvents *nle_new(uv_loop_t *loop) {
  natsLibuvEvents *nle = xcalloc(1, sizeof(*nle));
  nle->lock = xmalloc(sizeof(uv_mutex_t));
  nle->scheduler = xmalloc(sizeof(uv_async_t));
  if (uv_mutex_init(nle->lock) != 0 ||
      uv_async_init(loop, nle->scheduler, uvAsyncCb) != 0)
    abort();
  nle->scheduler->data = nle;
  nle->loop = loop;
  return nle;
}

static void nle_closed(uv_handle_t *h) {
  natsLibuvEvents *nle = h->data;
  uv_mutex_destroy(nle->lock);
  free(nle->lock);
  free(nle->scheduler);
  free(nle);
}

static natsStatus ev_attach(void **ud, void *arg, natsConnection *nc,
                            natsSock fd) {
  nconn *c = arg;
  if (*ud == NULL) {
    c->nle->nc = nc;
    *ud = c->nle;
    atomic_store(&c->attached, true);
  }
  return natsLibuv_Attach(ud, c->loop, nc, fd);
}

/* ---- cnats threads -------------------------------------------------------- */

static void post(nconn *c, nconn_event ev, natsStatus s) {
  bus_item *it = xcalloc(1, sizeof(*it));
  it->kind = BUS_ITEM_CONN;
  it->conn = c;
  it->event = ev;
  it->status = s;
  if (!bq_push(it, false)) free(it);
}

static void on_connected(natsConnection *nc, void *c) {
  UNUSED(nc);
  post(c, NCONN_CONNECTED, NATS_OK);
}
static void on_disconnected(natsConnection *nc, void *c) {
  UNUSED(nc);
  post(c, NCONN_DISCONNECTED, NATS_OK);
}
static void on_reconnected(natsConnection *nc, void *c) {
  UNUSED(nc);
  post(c, NCONN_RECONNECTED, NATS_OK);
}
static void on_closed(natsConnection *nc, void *c) {
  UNUSED(nc);
  post(c, NCONN_CLOSED, NATS_OK);
}
static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus s,
                     void *c) {
  UNUSED(nc);
  UNUSED(sub);
  post(c, NCONN_ERROR, s);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
                   void *closure) {
  UNUSED(nc);
  UNUSED(sub);
  bus_item *it = xcalloc(1, sizeof(*it));
  it->kind = BUS_ITEM_MSG;
  it->sub_id = (uint64_t)(uintptr_t)closure;
  it->msg = msg;
  it->subject = natsMsg_GetSubject(msg);
  it->data = natsMsg_GetData(msg);
  it->len = (size_t)natsMsg_GetDataLength(msg);
  if (!it->data) it->data = "";
  if (!bq_push(it, true)) bq_item_free(it);
}

/* ---- opening -------------------------------------------------------------- */

static natsStatus set_callbacks(nconn *c) {
  natsOptions *o = c->opts;
  natsStatus s = natsOptions_SetEventLoop(o, c, ev_attach, natsLibuv_Read,
                                          natsLibuv_Write, natsLibuv_Detach);
  /* A server that is not up yet is retried in the background. */
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, c);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(o, on_disconnected, c);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(o, on_reconnected, c);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(o, on_closed, c);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(o, on_error, c);
  return s;
}

static void conn_free(nconn *c) {
  list_remove(&c->node);
  if (!atomic_load(&c->attached)) uv_close((uv_handle_t *)c->nle->scheduler, nle_closed);
  natsOptions_Destroy(c->opts);
  natsStatistics_Destroy(c->stats);
  natsStatistics_Destroy(c->work_stats);
  free(c->adopted);
  free(c->url);
  free(c);
}

static nconn *conn_new(uv_loop_t *loop, const bus_cfg *cfg, char *err,
                       size_t errlen) {
  natsOptions *o = bus_nats_options(cfg, err, errlen);
  if (!o) return NULL;
  nconn *c = xcalloc(1, sizeof(*c));
  list_push_back(&conns, &c->node);
  c->loop = loop;
  c->opts = o;
  c->url = bus_url_redacted(cfg->nats_url);
  c->max_pending = cfg->max_pending;
  c->nle = nle_new(loop);
  natsStatus s = set_callbacks(c);
  if (s == NATS_OK) s = natsStatistics_Create(&c->stats);
  if (s == NATS_OK) s = natsStatistics_Create(&c->work_stats);
  if (s == NATS_OK) return c;
  snprintf(err, errlen, "[bus] NATS options: %s", natsStatus_GetText(s));
  conn_free(c);
  return NULL;
}

static void connect_error(natsStatus s, char *err, size_t errlen) {
  const char *last = nats_GetLastError(NULL);
  snprintf(err, errlen, "cannot connect: %s%s%s", natsStatus_GetText(s),
           last && *last ? ": " : "", last ? last : "");
}

/* OK and NOT_YET_CONNECTED (retrying in the background) both give a live
 * connection object. */
static bool connect_ok(nconn *c, natsStatus s) {
  if (s == NATS_OK) c->connected = true;
  if (s == NATS_NOT_YET_CONNECTED && !c->connected)
    bus_log(STRATUS_LOG_WARN, "NATS %s: no connection yet; retrying in the "
            "background, publishes are buffered meanwhile", c->url);
  return s == NATS_OK || s == NATS_NOT_YET_CONNECTED;
}

nconn *nconn_open_sync(uv_loop_t *loop, const bus_cfg *cfg, char *err,
                       size_t errlen) {
  nconn *c = conn_new(loop, cfg, err, errlen);
  if (!c) return NULL;
  natsStatus s = natsConnection_Connect(&c->nc, c->opts);
  if (connect_ok(c, s)) return c;
  connect_error(s, err, errlen);
  conn_free(c);
  return NULL;
}

/* ---- worker jobs ---------------------------------------------------------- */

static void finalize(nconn *c);
static void continue_close(nconn *c);

static uint64_t reconnects(natsConnection *nc, natsStatistics *st) {
  uint64_t n = 0;
  if (nc && natsConnection_GetStats(nc, st) == NATS_OK)
    natsStatistics_GetCounts(st, NULL, NULL, NULL, NULL, &n);
  return n;
}

uint64_t nconn_generation(nconn *c, bool *up) {
  *up = c->nc && natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED;
  return reconnects(c->nc, c->stats);
}

static void work_run(uv_work_t *req) {
  nconn *c = req->data;
  switch (c->work) {
  case WORK_CONNECT:
    c->work_status = natsConnection_Connect(&c->nc, c->opts);
    if (c->work_status != NATS_OK && c->work_status != NATS_NOT_YET_CONNECTED)
      connect_error(c->work_status, c->work_error, sizeof(c->work_error));
    break;
  case WORK_FLUSH:
    c->work_status = natsConnection_FlushTimeout(c->nc, BUS_DRAIN_TIMEOUT_MS);
    break;
  case WORK_CONFIRM:
    c->work_status = natsConnection_FlushTimeout(c->nc, BUS_DRAIN_TIMEOUT_MS);
    c->work_gen = reconnects(c->nc, c->work_stats);
    break;
  case WORK_CLOSE:
    natsConnection_Close(c->nc); /* joins cnats threads: may wait */
    break;
  case WORK_NONE:
    break;
  }
  nats_ReleaseThreadMemory(); /* libuv's threads outlive the job */
}

static void connect_done(nconn *c) {
  if (connect_ok(c, c->work_status)) {
    if (c->connected && !c->closing) bus_conn_up(c, false);
    return;
  }
  bus_log(STRATUS_LOG_ERROR, "NATS %s: %s", c->url, c->work_error);
  c->closing = true; /* no connection object: finalize below */
}

static void work_done(uv_work_t *req, int status) {
  UNUSED(status);
  nconn *c = req->data;
  work_kind k = c->work;
  c->work = WORK_NONE;
  if (k == WORK_CONNECT) connect_done(c);
  if (k == WORK_FLUSH && !c->closing && !c->closed)
    bus_conn_flushed(c, c->work_status == NATS_OK);
  if (k == WORK_CONFIRM) outbox_confirmed(c, c->work_status == NATS_OK, c->work_gen);
  if (c->work != WORK_NONE) return; /* the callback queued another job */
  if (c->closed || (c->closing && !c->nc))
    finalize(c);
  else if (c->closing && k != WORK_CLOSE)
    continue_close(c);
}

static void queue_work(nconn *c, work_kind k) {
  c->work = k;
  c->req.data = c;
  if (uv_queue_work(c->loop, &c->req, work_run, work_done) != 0) abort();
}

nconn *nconn_open_async(uv_loop_t *loop, const bus_cfg *cfg, char *err,
                        size_t errlen) {
  nconn *c = conn_new(loop, cfg, err, errlen);
  if (c) queue_work(c, WORK_CONNECT);
  return c;
}

void nconn_flush_async(nconn *c) {
  if (c->work == WORK_NONE && !c->closing) queue_work(c, WORK_FLUSH);
}

bool nconn_confirm_async(nconn *c) {
  if (c->work != WORK_NONE || c->closing || !c->nc) return false;
  queue_work(c, WORK_CONFIRM);
  return true;
}

/* ---- closing -------------------------------------------------------------- */

static void continue_close(nconn *c) {
  if (c->closed || !c->nc) {
    finalize(c);
    return;
  }
  /* Drain sends UNSUBs, lets delivered messages through, flushes the
   * publishes, then closes: all on its own thread. */
  if (c->connected &&
      natsConnection_DrainTimeout(c->nc, BUS_DRAIN_TIMEOUT_MS) == NATS_OK)
    return;
  queue_work(c, WORK_CLOSE);
}

void nconn_close(nconn *c) {
  if (c->closing) return;
  c->closing = true;
  if (c->work == WORK_NONE) continue_close(c);
}

/* The server's or the library's last word on this connection. */
static const char *last_error(nconn *c) {
  const char *text = NULL;
  if (!c->nc || natsConnection_GetLastError(c->nc, &text) == NATS_OK || !text)
    return "";
  return text;
}

static void finalize(nconn *c) {
  outbox_conn_gone(c);
  bus_conn_gone(c, c->connected ? 0 : c->buffered, last_error(c));
  for (size_t i = 0; i < c->nadopted; i++)
    natsSubscription_Destroy(c->adopted[i]);
  if (c->nc) natsConnection_Destroy(c->nc); /* closed: does not block */
  conn_free(c);
  bus_conn_freed();
}

/* ---- subscriptions and publishing ----------------------------------------- */

natsSubscription *nconn_subscribe(nconn *c, const char *pattern,
                                  uint64_t sub_id) {
  natsSubscription *ns = NULL;
  natsStatus s = natsConnection_Subscribe(&ns, c->nc, pattern, on_msg,
                                          (void *)(uintptr_t)sub_id);
  if (s == NATS_OK) return ns;
  bus_log(STRATUS_LOG_ERROR, "NATS %s: subscribe %s: %s", c->url, pattern,
          natsStatus_GetText(s));
  return NULL;
}

void nconn_unsubscribe(natsSubscription *ns) {
  if (!ns) return;
  natsSubscription_Unsubscribe(ns);
  natsSubscription_Destroy(ns);
}

void nconn_adopt(nconn *c, natsSubscription *ns) {
  if (!ns) return;
  grow_array((void **)&c->adopted, &c->adopted_cap, c->nadopted + 1,
             sizeof(*c->adopted));
  c->adopted[c->nadopted++] = ns;
}

static int publish_error(natsStatus s, const char **reason) {
  switch (s) {
  case NATS_INSUFFICIENT_BUFFER: /* reconnect buffer full */
    *reason = "buffer_full";
    return STRATUS_EAGAIN;
  case NATS_CONNECTION_CLOSED:
  case NATS_DRAINING:
    *reason = "not_connected";
    return STRATUS_EUNAVAILABLE;
  case NATS_MAX_PAYLOAD:
    *reason = "rejected";
    return STRATUS_ERANGE;
  default:
    *reason = "rejected";
    return STRATUS_EIO;
  }
}

int nconn_publish(nconn *c, const char *subject, const void *data,
                  size_t len, const char **reason) {
  if (len > INT_MAX) return STRATUS_EINVAL;
  bool up = natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED;
  /* Connected, cnats's outgoing buffer grows until the loop writes it:
   * bound it like the reconnect buffer. */
  if (up && natsConnection_Buffered(c->nc) > (int)c->max_pending) {
    *reason = "buffer_full";
    return STRATUS_EAGAIN;
  }
  natsStatus s = natsConnection_Publish(c->nc, subject, data, (int)len);
  if (s != NATS_OK) return publish_error(s, reason);
  if (!up) c->buffered++;
  return 0;
}

/* ---- events on the loop --------------------------------------------------- */

void nconn_on_event(bus_item *it) {
  nconn *c = it->conn;
  bool connecting = c->work == WORK_CONNECT; /* c->nc may not be set yet */
  switch ((nconn_event)it->event) {
  case NCONN_CONNECTED:
  case NCONN_RECONNECTED:
    c->connected = true;
    c->buffered = 0;
    if (!c->closing && !connecting)
      bus_conn_up(c, it->event == NCONN_RECONNECTED);
    break;
  case NCONN_DISCONNECTED:
    c->connected = false;
    if (!c->closing && !connecting) bus_conn_down(c);
    break;
  case NCONN_ERROR:
    bus_log(STRATUS_LOG_WARN, "NATS %s: %s%s%s", c->url,
            natsStatus_GetText((natsStatus)it->status),
            *last_error(c) ? ": " : "", last_error(c));
    break;
  case NCONN_CLOSED:
    c->closed = true;
    if (c->work == WORK_NONE) finalize(c);
    break;
  }
}

void nconn_loop_init(uv_loop_t *loop) {
  natsLibuv_Init();
  natsLibuv_SetThreadLocalLoop(loop);
}
