/* Request checks shared by the arena-team methods (loop thread). */
#include <string.h>

#include <stratus/text.h>

#include "arenateam.h"
#include "guid.h"

int at_team_id(stratus_req *req, uint32_t wire, uint32_t *id) {
  uint32_t realm = HOST->req_realm(req), top = wire >> 24;
  if (top != 0 && top != (realm & 0xFFu))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "arenaTeamID %u belongs to realm %u, not %u", wire, top, realm);
  *id = wire & 0xFFFFFFu;
  if (*id == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "arenaTeamID is 0");
  return 0;
}

int at_player(stratus_req *req, const char *field, uint64_t guid, uint32_t *low) {
  uint32_t realm;
  if (!guid_resolve(HOST->req_realm(req), guid, &realm, low) || realm != HOST->req_realm(req))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %llu is not a player of realm %u",
                          field, (unsigned long long)guid, HOST->req_realm(req));
  return 0;
}

bool at_type_ok(uint32_t type) { return type == 2 || type == 3 || type == 5; }

uint32_t at_slot_of(uint32_t type) { return type == 2 ? 0 : type == 3 ? 1 : 2; }

bool at_name_ok(const char *name) {
  size_t len = strlen(name), chars = 0;
  if (len == 0 || !stratus_utf8_valid(name, len, &chars) || chars > AT_NAME_MAX) return false;
  if (name[0] == ' ' || name[len - 1] == ' ') return false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F) return false;
  return true;
}

int at_reply_status(stratus_req *req, uint32_t status) {
  V1__ArenaTeamMutationResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__arena_team_mutation_response__init(r);
  r->status = (V1__ArenaTeamMutationStatus)status;
  return HOST->req_reply(req, &r->base);
}
