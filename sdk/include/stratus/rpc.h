/*
 * gRPC types for plugins: status codes, method handlers and client calls.
 * Messages are protobuf-c messages of the generated contracts
 * (<stratus/proto/...>); the host does all framing and (de)serialization.
 */
#ifndef STRATUS_RPC_H
#define STRATUS_RPC_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "plugin.h"

/* gRPC status codes (the numbers are the protocol's). */
typedef enum stratus_grpc_status {
  STRATUS_GRPC_OK = 0,
  STRATUS_GRPC_CANCELLED = 1,
  STRATUS_GRPC_UNKNOWN = 2,
  STRATUS_GRPC_INVALID_ARGUMENT = 3,
  STRATUS_GRPC_DEADLINE_EXCEEDED = 4,
  STRATUS_GRPC_NOT_FOUND = 5,
  STRATUS_GRPC_ALREADY_EXISTS = 6,
  STRATUS_GRPC_PERMISSION_DENIED = 7,
  STRATUS_GRPC_RESOURCE_EXHAUSTED = 8,
  STRATUS_GRPC_FAILED_PRECONDITION = 9,
  STRATUS_GRPC_ABORTED = 10,
  STRATUS_GRPC_OUT_OF_RANGE = 11,
  STRATUS_GRPC_UNIMPLEMENTED = 12,
  STRATUS_GRPC_INTERNAL = 13,
  STRATUS_GRPC_UNAVAILABLE = 14,
  STRATUS_GRPC_DATA_LOSS = 15,
  STRATUS_GRPC_UNAUTHENTICATED = 16,
} stratus_grpc_status;

/* One server-side call. Host-owned; valid until the plugin replies or fails
 * it, after which the plugin must not touch it again. */
typedef struct stratus_call stratus_call;

/*
 * A method handler. `request` is host-owned and valid until the call is
 * answered. The handler may answer before returning or later (after a
 * database job, a timer or another RPC). Answering a call whose client went
 * away or whose deadline passed is allowed and does nothing.
 */
typedef void (*stratus_rpc_handler)(stratus_ctx *ctx, stratus_call *call,
                                    const ProtobufCMessage *request, void *ud);

/*
 * Completion of an outgoing call, on the loop thread, exactly once.
 * `response` is NULL unless status is STRATUS_GRPC_OK; it and `message` are
 * host-owned and valid only during the callback.
 */
typedef void (*stratus_rpc_done)(stratus_ctx *ctx, int status,
                                 const char *message,
                                 const ProtobufCMessage *response, void *ud);

/* Options of an outgoing call (rpc_call). Not to be confused with
 * stratus_call, the server side of a call a plugin answers. */
typedef struct stratus_rpc_opts {
  uint32_t struct_size;  /* sizeof(stratus_rpc_opts) */
  uint32_t reserved;
  int64_t timeout_ms;    /* 0 = the host's default deadline */
  const char *target;    /* "host:port" to call directly (a game server's
                            registered address); NULL = local plugin first,
                            else the [grpc.upstream] address for the service */
} stratus_rpc_opts;

/* The ABI 1.0 name of stratus_rpc_opts (same struct). */
typedef stratus_rpc_opts stratus_call_opts;

#endif
