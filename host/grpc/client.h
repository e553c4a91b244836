/* The gRPC client transport: outgoing unary calls over HTTP/2 cleartext
 * (h2c with prior knowledge), bytes in and bytes out, like server.h.
 *
 * One connection per target, shared by every call to it; calls beyond the
 * server's SETTINGS_MAX_CONCURRENT_STREAMS wait for a free stream. A target
 * whose connection attempt failed is in backoff (100 ms doubling to 5 s,
 * reset by a call answered OK): a call made then waits for the next attempt
 * if its deadline allows, and otherwise fails at once with UNAVAILABLE and
 * the last connect error (the server was not reachable, which is more use
 * to the caller than DEADLINE_EXCEEDED). A failed attempt fails the calls
 * waiting for it with UNAVAILABLE. Requests a server refused without
 * processing them (GOAWAY, REFUSED_STREAM, never sent) are retried on a new
 * connection. Nothing is sent on an idle connection; one idle for 5 minutes
 * is closed. When a call times out waiting for its reply, a PING checks the
 * server is still there; without an answer in 5 s the connection is dropped
 * (its calls fail UNAVAILABLE) rather than left to TCP's own timeouts.
 *
 * Everything runs on the loop thread; none of these functions may be called
 * from another thread. One loop per process (the first call's); the process
 * must ignore SIGPIPE. */
#ifndef STRATUS_HOST_GRPC_CLIENT_H
#define STRATUS_HOST_GRPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "status.h"

/* status: GRPC_OK with the reply message in msg/len (valid only during the
 * callback; msg is never NULL then), or a gRPC status with a message (never
 * NULL, maybe "") and msg NULL. */
typedef void (*grpc_client_done)(int status, const char *message,
                                 const uint8_t *msg, size_t len, void *ud);

/* Unary call to `target` ("host:port", "[ipv6]:port"; host may be a DNS
 * name: resolved with uv_getaddrinfo, the first address that connects is
 * used) with `path` ("/v1.GuidService/GetGUIDPool") and the serialized
 * request `msg` (copied). timeout_ms <= 0: no deadline. `done` runs exactly
 * once on the loop thread, never from inside grpc_client_call. Returns 0, or
 * STRATUS_EINVAL for an invalid target, a path not starting with '/' or no
 * done (then done is NOT called).
 *
 * Replies bigger than 4 MiB fail with RESOURCE_EXHAUSTED; a non-200 HTTP
 * status maps to a gRPC status as gRPC specifies (404 UNIMPLEMENTED...),
 * also from a server that answers HTTP/1.x. */
int grpc_client_call(uv_loop_t *loop, const char *target, const char *path,
                     const uint8_t *msg, size_t len, int64_t timeout_ms,
                     grpc_client_done done, void *ud);

/* Call done(status, message, NULL, 0, ud) on the next loop turn (for errors
 * found before a call could start). Not counted in the stats. */
void grpc_client_fail_later(uv_loop_t *loop, int status, const char *message,
                            grpc_client_done done, void *ud);

/* Fail every pending call with UNAVAILABLE "shutting down" (their done runs
 * before this returns, and calls they make fail the same way), close the
 * connections and the client's handles; then the loop can close once it has
 * run them to their close callbacks. A later call starts afresh. */
void grpc_client_shutdown(void);

typedef struct grpc_client_stats {
  uint64_t connections_open; /* TCP connections up now */
  uint64_t connects_total;   /* connection attempts (one per target try) */
  uint64_t connect_failures; /* attempts that never got the server's SETTINGS */
  uint64_t calls_total;      /* grpc_client_call() that returned 0 */
  uint64_t calls_failed;     /* of those, done with a status other than OK */
} grpc_client_stats;

/* Counters live for the process, across shutdowns. */
void grpc_client_get_stats(grpc_client_stats *out);

#endif
