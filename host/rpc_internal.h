/* Shared between rpc_server.c and rpc_client.c. */
#ifndef STRATUS_HOST_RPC_INTERNAL_H
#define STRATUS_HOST_RPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "grpc/server.h"
#include "instance.h"
#include "rpc.h"

#include "metrics.h"

#define RPC_STATUS_CODES 17

/* A path's one copy and its metric series, resolved on first use so that a
 * finished call counts itself without building a label key. */
typedef struct rpc_path {
  char *text;
  metric_series *requests[RPC_STATUS_CODES]; /* by gRPC status */
  metric_series *duration;
} rpc_path;

/* A method a plugin instance registered. */
typedef struct route {
  inst_reg reg;
  const char *path; /* interned "/v1.GuidService/GetGUIDPool" */
  rpc_path *series;
  const ProtobufCMethodDescriptor *method;
  stratus_rpc_handler handler;
  void *ud;
} route;

typedef struct local_call local_call;

/* One call being served by a plugin, from the network or in process. */
struct stratus_call {
  stratus_ctx *ctx; /* the serving instance, held until finished */
  const ProtobufCMethodDescriptor *method;
  const char *path;
  rpc_path *series;
  ProtobufCMessage *request;
  bool owns_request;
  uint64_t start_ns;
  grpc_call *remote; /* from the network, or NULL */
  local_call *local; /* in process, or NULL */
};

/* The active route for path, or NULL. */
route *rpc_route(const char *path);
/* Run route's handler for a decoded request; the call is then the handler's
 * to finish. */
void rpc_serve(route *r, stratus_call *call);
stratus_call *rpc_call_new(route *r, ProtobufCMessage *request, bool owns);
const char *rpc_intern(const char *path);

/* rpc_client.c: the local side of a call finished. */
void local_call_answer(local_call *lc, int status, const char *message,
                       const ProtobufCMessage *response);
bool local_call_expired(const local_call *lc);
int64_t local_call_remaining_ms(const local_call *lc);
void rpc_client_init(void);
void rpc_client_close(void);
/* rpc_remote.c: a call over gRPC to `target` ("host:port"; NULL: none
 * configured, answered UNIMPLEMENTED). */
int rpc_call_remote(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                    const char *path, const ProtobufCMethodDescriptor *method,
                    const ProtobufCMessage *request, const char *target,
                    int64_t timeout_ms, stratus_rpc_done done, void *ud);


/* A shallow copy of m with its empty `api` string set, or m itself. */
const ProtobufCMessage *rpc_with_api(const ProtobufCMessage *m, void **copy);

#endif
