/* Request decoding for every gRPC method of the contracts (proto/v1): the
 * first two bytes pick a service and a method, the rest is the request
 * message, decoded with the method's input descriptor as the host's router
 * does (rpc_server.c) and, when it decodes, checked, encoded again (to the
 * size it announced) and decoded back. The plugins' own validation behind the router is not
 * reached here (it needs the plugins' databases). */
#include <stdint.h>
#include <stdlib.h>

#include <protobuf-c/protobuf-c.h>

#include "auctionhouse/auctionhouse.pb-c.h"
#include "characters/characters.pb-c.h"
#include "chat/chat.pb-c.h"
#include "group/group.pb-c.h"
#include "guid/guid.pb-c.h"
#include "guilds/guilds.pb-c.h"
#include "mail/mail.pb-c.h"
#include "matchmaking/matchmaking.pb-c.h"
#include "servers-registry/registry.pb-c.h"
#include "worldserver/worldserver.pb-c.h"

static const ProtobufCServiceDescriptor *const services[] = {
    &v1__auction_house_service__descriptor, &v1__characters_service__descriptor,
    &v1__chat_service__descriptor,          &v1__group_service__descriptor,
    &v1__guid_service__descriptor,          &v1__guild_service__descriptor,
    &v1__mail_service__descriptor,          &v1__matchmaking_service__descriptor,
    &v1__servers_registry_service__descriptor, &v1__world_server_service__descriptor,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  const ProtobufCServiceDescriptor *svc =
      services[data[0] % (sizeof(services) / sizeof(services[0]))];
  const ProtobufCMethodDescriptor *m = &svc->methods[data[1] % svc->n_methods];
  ProtobufCMessage *req = protobuf_c_message_unpack(m->input, NULL, size - 2, data + 2);
  if (!req) return 0;
  if (!protobuf_c_message_check(req)) abort();
  size_t len = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(len ? len : 1);
  if (protobuf_c_message_pack(req, buf) != len) abort();
  /* Decoding what was encoded must not crash. It need not give the same
   * bytes: protobuf-c keeps unknown fields as they came, including field
   * number 0 spelled as a two-byte varint tag (at any depth), and writes it
   * back as a one-byte tag 0 it then refuses or reads differently. */
  ProtobufCMessage *again = protobuf_c_message_unpack(m->input, NULL, len, buf);
  if (again) protobuf_c_message_free_unpacked(again, NULL);
  protobuf_c_message_free_unpacked(req, NULL);
  free(buf);
  return 0;
}
