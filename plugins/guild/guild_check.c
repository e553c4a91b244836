/*
 * Checks every method shares: the acting player's home realm, text limits,
 * rank rights and factions, and refusals with the core's result codes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guid.h"
#include "guild.h"

static int bad_guid(stratus_req *req, uint64_t guid, const char *what) {
  if (guid == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is 0", what);
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %llu is not a player GUID",
                        what, (unsigned long long)guid);
}

int guild_use_player(stratus_req *req, uint32_t realm, uint64_t guid, const char *what,
                     uint32_t *low) {
  uint32_t home;
  if (!guid_resolve(realm, guid, &home, low)) {
    if (guid != 0 && realm == 0)
      return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "realmID is 0");
    return bad_guid(req, guid, what);
  }
  return HOST->req_use_realm(req, home);
}

int guild_same_realm(stratus_req *req, uint32_t realm, uint64_t guid, const char *what,
                     uint32_t *low) {
  uint32_t home;
  if (!guid_resolve(realm, guid, &home, low)) return bad_guid(req, guid, what);
  if (home != HOST->req_realm(req))
    return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "%s is a character of realm %u; guilds and charters stay within "
                          "realm %u", what, home, HOST->req_realm(req));
  return 0;
}

int guild_text_ok(stratus_req *req, const char *s, size_t max_chars, bool nonempty,
                  const char *what) {
  size_t n;
  if (!stratus_utf8_valid(s, strlen(s), &n))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is not valid UTF-8", what);
  if (nonempty && n == 0)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is empty", what);
  if (n > max_chars)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%s has %zu characters; at most %zu are allowed", what, n, max_chars);
  return 0;
}

int guild_refuse(stratus_req *req, int command, int result, const char *fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                        "%s (guild command %d, result %d)", text, command, result);
}

int guild_need_right(stratus_req *req, const gmember *m, uint32_t right, int command,
                     const char *action) {
  if ((m->rights & right) == right) return 0;
  return guild_refuse(req, command, ERR_GUILD_PERMISSIONS,
                      "rank %u of character %u may not %s", m->rank, m->guid, action);
}

int guild_name_ok(stratus_req *req, const char *name, const char *what) {
  const char *why = name && name[0] ? stratus_name_check_player(name) : NULL;
  if (!why) return 0;
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %s", what, why);
}
