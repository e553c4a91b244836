/* Outgoing calls over gRPC: encode, hand to the client transport, decode the
 * reply into the method's output type for `done`. */
#include <stdlib.h>
#include <string.h>

#include "grpc/client.h"
#include "log.h"
#include "rpc_internal.h"
#include "stratusd.h"
#include "util.h"

typedef struct remote_call {
  stratus_ctx *caller; /* held until done has run */
  const ProtobufCMethodDescriptor *method;
  stratus_rpc_done done;
  void *ud;
} remote_call;

static void on_reply(int status, const char *message, const uint8_t *msg,
                     size_t len, void *ud) {
  remote_call *rc = ud;
  ProtobufCMessage *resp = NULL;
  if (status == GRPC_OK) {
    resp = protobuf_c_message_unpack(rc->method->output, NULL, len, msg);
    if (!resp) {
      status = GRPC_INTERNAL;
      message = "the server's reply could not be decoded";
    }
  }
  rc->done(rc->caller, status, message ? message : "", resp, rc->ud);
  if (resp) protobuf_c_message_free_unpacked(resp, NULL);
  inst_release(rc->caller);
  free(rc);
}

int rpc_call_remote(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                    const char *path, const ProtobufCMethodDescriptor *method,
                    const ProtobufCMessage *request, const char *target,
                    int64_t timeout_ms, stratus_rpc_done done, void *ud) {
  remote_call *rc = xcalloc(1, sizeof(*rc));
  *rc = (remote_call){.caller = ctx, .method = method, .done = done, .ud = ud};
  inst_hold(ctx);
  if (!target) {
    char *why = xasprintf("%s: no local plugin serves it and [grpc.upstream] has "
                          "no address for %s", path, service->name);
    grpc_client_fail_later(stratusd.loop, GRPC_UNIMPLEMENTED, why, on_reply, rc);
    free(why);
    return 0;
  }
  void *copy;
  const ProtobufCMessage *m = rpc_with_api(request, &copy);
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = xmalloc(n ? n : 1);
  protobuf_c_message_pack(m, buf);
  free(copy);
  int rc_start = grpc_client_call(stratusd.loop, target, path, buf, n, timeout_ms,
                                  on_reply, rc);
  free(buf);
  if (rc_start != 0) {
    inst_release(ctx);
    free(rc);
  }
  return rc_start;
}
