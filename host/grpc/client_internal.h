/* Shared between the gRPC client's files; not for users of client.h. */
#ifndef STRATUS_HOST_GRPC_CLIENT_INTERNAL_H
#define STRATUS_HOST_GRPC_CLIENT_INTERNAL_H

#include <netdb.h>

#include "client.h"
#include "internal.h"

#define CLIENT_MAX_MESSAGE (4u * 1024 * 1024)
#define CLIENT_IDLE_MS (5 * 60 * 1000)
#define CLIENT_CONNECT_MS 20000 /* TCP connect and the server's SETTINGS */
#define CLIENT_PING_MS 5000     /* for the PING sent when a call times out */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define CLIENT_MAX_RETRIES 5    /* transparent retries of unprocessed requests */
#define WHY_LEN 200

typedef struct gc_conn gc_conn;

/* One "host:port" and the calls for it; kept while anything refers to it
 * and for an idle period after, so backoff survives between calls. */
typedef struct gc_target {
  char *name;            /* as given; also the :authority */
  char *host, *port;     /* for getaddrinfo, brackets stripped */
  bool numeric;          /* an IP literal: resolved without DNS */
  list_node node;        /* in cli.targets */
  list_node waiting;     /* gc_call.node: calls waiting for a stream */
  gc_conn *conn;         /* where new streams go; NULL if none */
  int refs;              /* calls and connections pointing here */
  uint64_t unused_since;
  uint32_t backoff_ms;   /* the wait after the next failed attempt */
  uint64_t retry_at;     /* no attempt before this (uv_now scale) */
  char why[WHY_LEN];     /* why the last attempt failed */
} gc_target;

enum { CONN_RESOLVING, CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY };

struct gc_conn {
  grpc_io io;            /* the socket; io.tcp.data is this connection */
  uv_connect_t connect;
  uv_getaddrinfo_t resolve;
  nghttp2_session *h2;
  gc_target *target;     /* counted in target->refs until freed */
  list_node node;        /* in cli.conns */
  list_node flush_node;  /* in cli.flushq while a flush is scheduled */
  list_node streams;     /* gc_call.node of calls holding a stream here */
  uint32_t nstreams;
  struct addrinfo *ai, *ai_next; /* resolved addresses, the next to try */
  uint64_t started, idle_since, ping_sent;
  int state;
  bool ping_out;         /* our liveness PING is unanswered */
  bool tcp_open, resolving, in_recv, got_bytes, counted;
  bool retired;          /* GOAWAY received (or ids ran out): no new streams */
  char addr[PEER_LEN];   /* the address being tried or connected */
  char why[WHY_LEN];     /* the last connect error */
};

typedef struct gc_call {
  gc_target *target;     /* NULL for grpc_client_fail_later() */
  gc_conn *conn;         /* while the call holds a stream */
  int32_t stream_id;
  list_node node;        /* target->waiting or conn->streams */
  list_node done_node;   /* in cli.completed until done has run */
  grpc_deadline deadline; /* in cli.deadlines while armed */
  int64_t timeout_ms;
  char *path;
  uint8_t *req;          /* prefixed request, read by nghttp2 */
  size_t req_len, req_off;
  grpc_client_done done;
  void *ud;
  int retries;
  /* the response as it arrives */
  int http_status, grpc_status; /* grpc_status -2: none, -1: malformed */
  bool grpc_ctype, headers_sent;
  bool cancel;           /* finished early: RST_STREAM(CANCEL) the stream */
  char *grpc_message;    /* as received, percent-encoded */
  grpc_msg_reader reply;
  /* the outcome */
  bool finished, delivered;
  int status;
  char *message;
} gc_call;

typedef struct gc_handles {
  uv_timer_t deadline, maint;
  uv_idle_t idle;        /* completions and write batches */
  int open;
} gc_handles;

typedef struct grpc_cli {
  uv_loop_t *loop;
  gc_handles *h;         /* NULL until the first call and after shutdown */
  list_node targets, conns, flushq, deadlines, completed;
  bool shutting_down;
  uint64_t idle_ms;      /* CLIENT_IDLE_MS; tests shorten it */
  uint64_t ping_ms;      /* CLIENT_PING_MS; tests shorten it */
  uint64_t retries;      /* transparent retries, for tests */
} grpc_cli;

extern grpc_cli cli;
extern grpc_client_stats cli_stats;

/* client.c: targets, upkeep, the public calls */
void why_printf(char why[WHY_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_wake(void);     /* run completions, flushes and timers' upkeep soon */
void target_enqueue(gc_target *t, gc_call *call);
void target_pump(gc_target *t);
void target_kick(gc_target *t);
void target_conn_failed(gc_target *t, int status, const char *why);
void target_unref(gc_target *t);
int client_parse_target(const char *target, char **host, char **port);

/* client_conn.c: one connection */
void cconn_start(gc_target *t);
void cconn_close(gc_conn *c, int status, const char *why);
void cconn_flush(gc_conn *c);
void cconn_schedule_flush(gc_conn *c);
void cconn_ready(gc_conn *c);
void cconn_goaway(gc_conn *c, int32_t last_stream_id, uint32_t error_code);
void cconn_check_done(gc_conn *c);
void cconn_idle_close(gc_conn *c);
void cconn_check_alive(gc_conn *c);
void cconn_ping_ack(gc_conn *c, const uint8_t opaque[8]);
uint32_t cconn_max_streams(gc_conn *c);

/* client_h2.c: the nghttp2 session */
nghttp2_session *ch2_session_new(gc_conn *c);

/* client_call.c: the call, its stream, deadlines and completion */
gc_call *ccall_new(gc_target *t, grpc_client_done done, void *ud);
void ccall_finish(gc_call *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ccall_free(gc_call *call);
bool ccall_link(list_node *list, gc_call *call);
int ccall_stream_start(gc_conn *c, gc_call *call);
void ccall_unbind(gc_call *call);
void ccall_conn_lost(gc_call *call, int status, const char *why);
void ccall_not_sent(gc_call *call, int nghttp2_error);
void ccall_retry(gc_call *call, const char *why);
void ccall_stream_closed(gc_call *call, uint32_t error_code);
void ccall_headers_sent(gc_call *call);
void ccall_deadline_arm(gc_call *call, int64_t ms);
void ccall_deadlines_fire(uv_timer_t *t);
void ccall_run_completions(void);
void ccall_cancel_stream(gc_call *call);

/* client_reply.c */
void ccall_header(gc_call *call, const uint8_t *name, size_t nlen,
                  const uint8_t *value, size_t vlen);
void ccall_data(gc_call *call, const uint8_t *data, size_t len);
void ccall_response_end(gc_call *call);

#endif
