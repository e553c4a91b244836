/*
 * Helpers for declared methods (sdk method.h):
 *   req_message  a response message in the call's arena, initialised:
 *                `V1__Foo *resp = req_message(HOST, req, &v1__foo__descriptor);`
 *   REQ_COL      a column map entry, as STRATUS_COL means to be: SDK 1.1's
 *                STRATUS_COL names its struct parameter `type`, which the
 *                preprocessor also substitutes into its `.type =` designator,
 *                so it does not compile. Use REQ_COL until the SDK is fixed.
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

#define REQ_COL(struct_type, member, column_name)                                  \
  {.column = (column_name), .type = STRATUS_COL_TYPE_OF(((struct_type *)0)->member), \
   .offset = (uint32_t)offsetof(struct_type, member)}

#endif
