/* Shared between the gRPC transport's files; not for users of server.h. */
#ifndef STRATUS_HOST_GRPC_INTERNAL_H
#define STRATUS_HOST_GRPC_INTERNAL_H

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "conn_guard.h"
#include "deadline_list.h"
#include "h2_util.h"
#include "io.h"
#include "list.h"
#include "log.h"
#include "msg_reader.h"
#include "server.h"
#include "util.h"

#define GRPC_TAG "grpc"
#define grpc_log(level, ...) log_write(level, GRPC_TAG, __VA_ARGS__)
#define PEER_LEN 64
#define WIRE_MESSAGE_MAX 2048 /* grpc-message bytes before encoding */

typedef struct grpc_conn {
  grpc_io io;            /* the socket; io.tcp.data is this connection */
  nghttp2_session *h2;
  SSL *ssl;              /* NULL for h2c */
  list_node node;        /* in srv.conns */
  list_node calls;       /* grpc_call.conn_node, one per open request stream */
  list_node flush_node;  /* in srv.flushq while a flush is scheduled */
  bool in_recv, draining, final_goaway;
  bool tls_up, tls_shut;
  bool greeted;          /* the client's HTTP/2 preface and first frame arrived */
  bool had_call;         /* a request stream was opened */
  uint64_t accepted_at, last_active, drain_started; /* loop time (ms) */
  uint64_t greeted_at;
  char peer[PEER_LEN];
} grpc_conn;

typedef struct grpc_header {
  char *name, *value;
} grpc_header;

struct grpc_call {
  grpc_conn *conn;       /* NULL once the stream or the connection is gone */
  int32_t stream_id;
  list_node conn_node;
  grpc_deadline deadline; /* in srv.deadlines while armed */
  grpc_header *hdrs;
  size_t nhdrs, hdrs_cap, hdr_bytes;
  grpc_msg_reader request;
  uint8_t *resp;         /* prefixed reply, read by nghttp2 */
  size_t resp_len, resp_off;
  bool too_big;    /* request headers over max_header_list_size */
  bool req_done;   /* END_STREAM from the client */
  bool responded;  /* a response is submitted: nothing more may be */
  bool held;       /* dispatched and not yet finished by the dispatcher */
  bool cancelled;
  void *data;
  char peer[PEER_LEN];
};

typedef struct grpc_srv {
  uv_loop_t *loop;
  grpc_server_config cfg;
  grpc_dispatch_fn fn;
  void *ud;
  SSL_CTX *tls;
  list_node listeners, conns, flushq, deadlines;
  uv_timer_t deadline_timer, drain_timer, sweep_timer;
  uv_idle_t flusher;
  int handles;           /* server-level handles not yet closed */
  conn_guard guard;
  bool running, draining;
  void (*drain_done)(void *ud);
  void *drain_ud;
} grpc_srv;

extern grpc_srv srv;
extern grpc_server_stats grpc_stats;

/* server.c */
void srv_check_drained(void);

/* conn.c: one TCP connection and its output */
void conn_accept(uv_stream_t *listener);
/* conn_guard's callbacks: when the connection to close next was accepted
 * (UINT64_MAX: none), and closing it. */
uint64_t conn_oldest_idle(void);
void conn_shed_one(void);
void conn_close(grpc_conn *c);
void conn_drain(grpc_conn *c);
void conn_final_goaway(grpc_conn *c);
bool conn_is_drain_ping(const uint8_t opaque[8]);
void conn_flush(grpc_conn *c);
void conn_schedule_flush(grpc_conn *c);
int conn_h2_recv(grpc_conn *c, const uint8_t *data, size_t len);

/* conn_timeouts.c: handshake and idle timeouts */
void conn_timeouts_start(void);
void conn_touch(grpc_conn *c);

/* h2.c: the nghttp2 server session */
nghttp2_session *h2_session_new(grpc_conn *c);

/* call.c: one request stream */
grpc_call *call_new(grpc_conn *c, int32_t stream_id);
void call_add_header(grpc_call *call, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen);
void call_headers_done(grpc_call *call);
void call_data(grpc_call *call, const uint8_t *data, size_t len);
void call_end_stream(grpc_call *call);
void call_end_sent(grpc_call *call);
void call_detach(grpc_call *call);
void call_deadlines_fire(uv_timer_t *t);

/* respond.c: responses on the wire */
void respond_reply(grpc_call *call, const uint8_t *msg, size_t len);
void respond_status(grpc_call *call, int status, const char *message,
                    bool accept_encoding);
void respond_http(grpc_call *call, int http_status);

/* wire.c: pure helpers (unit tested) */
int64_t wire_parse_timeout_ms(const char *s);
char *wire_percent_encode(const char *s);
bool wire_content_type_ok(const char *ct);
void wire_put_prefix(uint8_t out[GRPC_PREFIX], uint32_t len);
uint32_t wire_prefix_len(const uint8_t prefix[GRPC_PREFIX]);
#define WIRE_TIMEOUT_LEN 16
void wire_format_timeout(int64_t ms, char out[WIRE_TIMEOUT_LEN]);
char *wire_percent_decode(const char *s);
int wire_grpc_from_http(int http_status);
int wire_grpc_from_h2_error(uint32_t code);

/* tls.c: OpenSSL over memory BIOs */
SSL_CTX *tls_ctx_new(const grpc_server_config *cfg, char *err, size_t errlen);
int tls_conn_init(grpc_conn *c);
int tls_recv(grpc_conn *c, const uint8_t *data, size_t len);
int tls_send(grpc_conn *c, const uint8_t *data, size_t len);
void tls_pump_out(grpc_conn *c);
void tls_shutdown(grpc_conn *c);

#endif
