/* Request checks shared by every bank method (loop thread). */
#include <stdio.h>
#include <string.h>

#include "guid.h"
#include "guildbank.h"

#define KEY_MAX 64 /* bytes of an x-idempotency-key */

static bool key_char_ok(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '-' || c == '_' || c == '.' || c == ':';
}

/* The client's x-idempotency-key, prefixed with the operation, or "". */
static int idempotency_key(stratus_req *req, const char *op, bank_who *who) {
  const char *key = HOST->call_metadata(HOST->req_call(req), "x-idempotency-key");
  who->key[0] = '\0';
  if (!key || !*key) return 0;
  size_t len = strlen(key);
  for (size_t i = 0; i < len; i++)
    if (len > KEY_MAX || !key_char_ok((unsigned char)key[i]))
      return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                            "x-idempotency-key must be 1..%d characters of [A-Za-z0-9._:-]",
                            KEY_MAX);
  snprintf(who->key, sizeof(who->key), "%s:%s", op, key);
  return 0;
}

int bank_who_from(stratus_req *req, const char *op, uint64_t guild, uint64_t member,
                  bank_who *who) {
  uint32_t realm, low;
  if (guild == 0 || guild > UINT32_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "guildID %llu is not a guild",
                          (unsigned long long)guild);
  if (!guid_resolve(HOST->req_realm(req), member, &realm, &low) ||
      realm != HOST->req_realm(req))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "memberGUID %llu is not a player of realm %u",
                          (unsigned long long)member, HOST->req_realm(req));
  who->guild = (uint32_t)guild;
  who->member = low;
  return idempotency_key(req, op, who);
}

int bank_tab_ok(stratus_req *req, uint32_t tab) {
  if (tab < BANK_MAX_TABS) return 0;
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "tabID %u is outside 0..%u", tab,
                        BANK_MAX_TABS - 1);
}

int bank_slot_ok(stratus_req *req, uint32_t slot) {
  if (slot < BANK_MAX_SLOTS) return 0;
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "slotID %u is outside 0..%u", slot,
                        BANK_MAX_SLOTS - 1);
}

void bank_realm_pool(stratus_req *req, char out[32]) {
  snprintf(out, 32, "characters.%u", HOST->req_realm(req));
}

int bank_reply_action(stratus_req *req, uint32_t status, uint32_t log_guid) {
  V1__GuildBankActionResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__guild_bank_action_response__init(r);
  r->status = (V1__GuildBankStatus__Status)status;
  r->logguid = log_guid;
  return HOST->req_reply(req, &r->base);
}
