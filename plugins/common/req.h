/*
 * Helpers for declared methods (sdk method.h):
 *   req_message  a response message in the call's arena, initialised:
 *                `V1__Foo *resp = req_message(HOST, req, &v1__foo__descriptor);`
 *
 * Part of stratus_plugin_common.
 */
#ifndef STRATUS_PLUGIN_COMMON_REQ_H
#define STRATUS_PLUGIN_COMMON_REQ_H

#include <stratus/stratus.h>

static inline void *req_message(const stratus_host_api *api, stratus_req *req,
                                const ProtobufCMessageDescriptor *desc) {
  void *msg = api->req_alloc(req, desc->sizeof_message);
  protobuf_c_message_init(desc, msg);
  return msg;
}

#endif
