/* The gRPC server transport: unary gRPC calls over HTTP/2 (h2c with prior
 * knowledge, or TLS with ALPN "h2"), bytes in and bytes out. It knows nothing
 * of protobuf; a dispatcher gets the path and the raw request message.
 *
 * Everything runs on the loop thread given to grpc_server_start(); none of
 * these functions may be called from another thread. One server per process,
 * which must ignore SIGPIPE (clients hang up while replies are written). */
#ifndef STRATUS_HOST_GRPC_SERVER_H
#define STRATUS_HOST_GRPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "status.h"

#define GRPC_DEFAULT_MAX_MESSAGE (4u * 1024 * 1024)
#define GRPC_DEFAULT_MAX_STREAMS 1000u
#define GRPC_DEFAULT_MAX_HEADER_LIST (16u * 1024)
#define GRPC_DEFAULT_HANDSHAKE_MS 10000u
#define GRPC_DEFAULT_MAX_PENDING (1024u * 1024)

typedef struct grpc_call grpc_call; /* one unary call */

/* Zero values take the defaults above. */
typedef struct grpc_server_config {
  const char *const *listen;       /* NULL-terminated "ip:port" / "[ip6]:port" */
  size_t max_message_size;         /* request and reply, without the prefix */
  uint32_t max_concurrent_streams; /* per connection (SETTINGS) */
  uint32_t max_header_list_size;   /* request headers, HPACK-decoded size */
  bool tls;                        /* TLS with ALPN "h2" on every address */
  const char *tls_cert, *tls_key;  /* PEM files (the cert file may hold a chain) */
  /* CA bundle for client certificates. With tls_verify_client a client
   * without a valid certificate is refused; without it a certificate is
   * asked for and checked only if the client presents one. */
  const char *tls_client_ca;
  bool tls_verify_client;
  /* Time a client has to send the HTTP/2 preface (after the TLS handshake);
   * 0: GRPC_DEFAULT_HANDSHAKE_MS. */
  uint32_t handshake_timeout_ms;
  /* A connection without calls and incoming bytes this long is drained
   * (GOAWAY); 0: never. */
  uint32_t idle_timeout_ms;
  /* The same for a connection that has never started a call, counted from
   * its HTTP/2 greeting; 0: never. */
  uint32_t first_call_timeout_ms;
  /* Open connections on all addresses; at the cap (or when descriptors run
   * low, conn_guard.h) the oldest connection without calls is closed for a
   * new one, else the new one is. 0: no cap. */
  uint32_t max_connections;
  /* Unsent bytes per connection above which it stops reading and nghttp2
   * stops producing frames; 0: GRPC_DEFAULT_MAX_PENDING. */
  size_t max_pending_output;
} grpc_server_config;

/* What the transport answers itself, without dispatching:
 *   not POST -> HTTP 405; content-type not application/grpc[+x|;x] -> HTTP 415
 *   request headers over max_header_list_size -> RESOURCE_EXHAUSTED
 *   malformed grpc-timeout -> INTERNAL; deadline passed -> DEADLINE_EXCEEDED
 *   compressed flag set -> UNIMPLEMENTED + grpc-accept-encoding: identity
 *   message length over max_message_size -> RESOURCE_EXHAUSTED (at the prefix)
 *   no message, two or more, truncated, flags other than 0/1 -> INTERNAL
 * (INTERNAL: what gRPC servers answer to protocol errors, grpc-java here;
 * "te: trailers" is not required.) When the answer goes out before the
 * request has ended, RST_STREAM(NO_ERROR) follows it. Paths are not checked:
 * unknown methods are the dispatcher's to refuse.
 *
 * A complete request arrived. path: "/v1.GuidService/GetGUIDPool"; msg/len:
 * the message without its 5-byte prefix (len may be 0), valid until the call
 * is finished. The callee must finish the call exactly once, with
 * grpc_call_reply() or grpc_call_fail(), now or later on the loop thread. */
typedef void (*grpc_dispatch_fn)(grpc_call *call, const char *path,
                                 const uint8_t *msg, size_t len, void *ud);

/* Bind every address (all or nothing) and start serving. 0, or a negative
 * errno / uv error with a message naming the address or file in err. */
int grpc_server_start(uv_loop_t *loop, const grpc_server_config *cfg,
                      grpc_dispatch_fn fn, void *ud, char *err, size_t errlen);
/* "ip:port" the i-th listen address is bound to (port 0 resolved), or NULL. */
const char *grpc_server_address(size_t i);
/* Graceful stop: close the listeners, send GOAWAY (a shutdown notice, then
 * after one PING round trip the final GOAWAY), let in-flight calls finish,
 * close the connections, close the server's handles, then call done. It
 * waits for calls the dispatcher holds: bound it with a timer and
 * grpc_server_close(), which cancels the drain (done is then never called).
 * Without a running server done is called at once; a drain already under
 * way ignores a second one. */
void grpc_server_drain(void (*done)(void *ud), void *ud);
/* Hard stop: close everything now. Calls the dispatcher still holds stay
 * valid and cancelled; finishing one then only frees it. */
void grpc_server_close(void);

/* Reply with grpc-status 0 and one message (copied). A reply bigger than
 * max_message_size becomes RESOURCE_EXHAUSTED. On a cancelled call this only
 * frees it. The call is gone after either finishing function. */
void grpc_call_reply(grpc_call *c, const uint8_t *msg, size_t len);
/* A trailers-only response: grpc-status and grpc-message (percent-encoded on
 * the wire; NULL for none). Status outside 1..16 is sent as UNKNOWN. */
void grpc_call_fail(grpc_call *c, int status, const char *message);

/* Milliseconds left before grpc-timeout passes (0 once passed), INT64_MAX
 * when the client gave none. */
int64_t grpc_call_remaining_ms(const grpc_call *c);
/* RST_STREAM from the client, connection gone, deadline passed or server
 * closed: nothing more can reach the client. */
bool grpc_call_cancelled(const grpc_call *c);
const char *grpc_call_peer(const grpc_call *c); /* "ip:port" / "[ip6]:port" */
/* First value of a request header ("authorization", ":authority"; -bin
 * values are left base64-encoded), or NULL. */
const char *grpc_call_header(const grpc_call *c, const char *lowercase_name);
void grpc_call_set_data(grpc_call *c, void *data);
void *grpc_call_data(const grpc_call *c);

typedef struct grpc_server_stats {
  uint64_t connections_open, connections_total;
  uint64_t streams_active;  /* HTTP/2 request streams open now */
  uint64_t calls_total;     /* requests handed to the dispatcher */
  uint64_t calls_rejected;  /* refused by the transport (framing, 405, 415, size) */
  uint64_t deadline_exceeded;
  uint64_t resets_received; /* RST_STREAM frames from clients */
  uint64_t finished_after_cancel; /* replies/fails dropped: call was cancelled */
  uint64_t handshake_timeouts; /* connections closed before their HTTP/2 greeting */
  uint64_t idle_closed;     /* connections drained after idle_timeout */
  uint64_t first_call_closed; /* drained after first_call_timeout */
} grpc_server_stats;

/* Counters live for the process, across start/close. */
void grpc_server_get_stats(grpc_server_stats *out);

#endif
