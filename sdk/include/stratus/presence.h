/*
 * Presence (ABI 1.1): who is online where. One plugin owns it (the
 * characters plugin, fed by the gateways' login, logout and update events)
 * and registers itself as the provider; every other plugin asks through the
 * host and keeps no copy. With no provider (characters disabled) lookups
 * answer STRATUS_ENOTSUP.
 *
 * Staleness, the owner's one rule: a character is online on the gateway
 * that last reported it, until that gateway reports it gone, the registry
 * removes the gateway, or a newer event (by event time) says otherwise.
 */
#ifndef STRATUS_PRESENCE_H
#define STRATUS_PRESENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "plugin.h"

typedef struct stratus_presence {
  uint32_t struct_size;   /* sizeof(stratus_presence) as the provider filled it */
  uint32_t realm;         /* home realm of the character */
  uint32_t low;           /* characters.guid */
  uint32_t account;
  const char *name;
  const char *gateway_id; /* the gateway holding the character */
  uint32_t map, zone, area;
  uint32_t guild;         /* 0: none */
  uint8_t race, class_id, gender, level;
  uint8_t faction;        /* STRATUS_FACTION_* from the race */
  uint8_t reserved[3];
  uint64_t online_since_ms; /* the provider's monotonic clock */
} stratus_presence;

#define STRATUS_FACTION_ALLIANCE 0
#define STRATUS_FACTION_HORDE 1

/* The faction of a playable race (AzerothCore's race IDs). */
static inline uint8_t stratus_race_faction(uint8_t race) {
  switch (race) {
  case 1: case 3: case 4: case 7: case 11: return STRATUS_FACTION_ALLIANCE;
  default: return STRATUS_FACTION_HORDE;
  }
}

/* Return 0 to continue, non-zero to stop. `p` and its strings are valid only
 * during the call. */
typedef int (*stratus_presence_each)(const stratus_presence *p, void *ud);

typedef enum stratus_presence_change {
  STRATUS_PRESENCE_ONLINE = 1,
  STRATUS_PRESENCE_OFFLINE = 2,
  STRATUS_PRESENCE_UPDATED = 3, /* level, map, zone or guild changed */
} stratus_presence_change;

/* A watcher: runs on the loop thread after the owner applied a change. */
typedef void (*stratus_presence_cb)(stratus_ctx *ctx, int change,
                                    const stratus_presence *p, void *ud);

/* What the owner implements. Each lookup calls `each` for every match
 * and returns how many it visited, or a negative STRATUS_E* code. */
typedef struct stratus_presence_provider {
  uint32_t struct_size; /* sizeof(stratus_presence_provider) */
  uint32_t reserved;
  int (*by_guid)(void *state, uint32_t realm, uint32_t low,
                 stratus_presence_each each, void *ud);
  /* Case-insensitive, the core's name rules; realm 0: every realm. */
  int (*by_name)(void *state, uint32_t realm, const char *name,
                 stratus_presence_each each, void *ud);
  /* Every online character of an account, on every realm. */
  int (*by_account)(void *state, uint32_t account, stratus_presence_each each,
                    void *ud);
  /* Every online character a gateway holds (realm 0: any realm). */
  int (*by_gateway)(void *state, uint32_t realm, const char *gateway_id,
                    stratus_presence_each each, void *ud);
} stratus_presence_provider;

#endif
