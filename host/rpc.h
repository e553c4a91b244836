/*
 * The RPC layer between the gRPC transport (grpc/) and plugins: the table of
 * methods plugins registered, decoding requests into protobuf-c messages,
 * encoding replies, per-method metrics, and in-process calls between
 * plugins (rpc_call to a method a local plugin serves never serializes).
 */
#ifndef STRATUS_HOST_RPC_H
#define STRATUS_HOST_RPC_H

#include <stratus/host.h>

#include "host_config.h"

void rpc_init(void);
/* Close the loop handles (before the loop stops), then free the tables. */
void rpc_close(void);
void rpc_shutdown(void);

/* Start serving gRPC on [grpc] listen. 0 or <0 with a message. */
int rpc_server_start(const host_config *hc, char *err, size_t errlen);
/* Graceful stop (GOAWAY, finish in-flight calls); done runs when all is
 * closed. */
void rpc_server_drain(void (*done)(void *ud), void *ud);
void rpc_server_close(void);
/* Bound address of the i-th listener (tests use port 0). */
const char *rpc_server_address(size_t i);

/* Host API members. */
int api_rpc_register(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                     const char *method, stratus_rpc_handler handler, void *ud);
int api_call_reply(stratus_call *call, const ProtobufCMessage *response);
int api_call_fail(stratus_call *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t api_call_remaining_ms(stratus_call *call);
bool api_call_cancelled(stratus_call *call);
const char *api_call_peer(stratus_call *call);
const char *api_call_metadata(stratus_call *call, const char *key);
int api_rpc_call(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                 const char *method, const ProtobufCMessage *request,
                 const stratus_call_opts *opts, stratus_rpc_done done, void *ud);

const char *grpc_status_name(int status);
/* Copy transport counters into metrics (before GET /metrics). */
void rpc_refresh_metrics(void);

#endif
