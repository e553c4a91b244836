/*
 * Player GUIDs across realms (ToCloud9 PR #37): services key a player by
 * (realm, low GUID). On the wire a player of the caller's own realm is its
 * low GUID (characters.guid); a player of another realm is
 * `realm << 32 | low`, the realm in bits 32..47 and bits 48..63 zero (the
 * player high GUID is 0). A value with bits set at 48 or above is not a
 * player GUID.
 *
 * Part of stratus_plugin_common (used by the characters and realid plugins).
 */
#ifndef STRATUS_PLUGIN_COMMON_GUID_H
#define STRATUS_PLUGIN_COMMON_GUID_H

#include <stdbool.h>
#include <stdint.h>

/* The highest realm ID a realm-scoped GUID can carry. */
#define GUID_MAX_REALM 0xFFFFu

static inline uint64_t guid_key(uint32_t realm, uint32_t low) {
  return (uint64_t)realm << 32 | low;
}

static inline uint32_t guid_key_realm(uint64_t key) { return (uint32_t)(key >> 32); }
static inline uint32_t guid_key_low(uint64_t key) { return (uint32_t)key; }

/* The GUID of (realm, low) as a player of realm `viewer` sees it. */
static inline uint64_t guid_for_viewer(uint32_t viewer, uint32_t realm, uint32_t low) {
  return viewer == realm ? (uint64_t)low : guid_key(realm, low);
}

/* Resolves a GUID sent by a caller of realm `caller` to (realm, low):
 * realm-scoped GUIDs name their realm, plain ones are the caller's. False
 * for 0, a zero low part, a non-player GUID or no realm at all. */
static inline bool guid_resolve(uint32_t caller, uint64_t guid, uint32_t *realm,
                                uint32_t *low) {
  if (guid >> 48) return false;
  uint32_t r = (uint32_t)(guid >> 32) & GUID_MAX_REALM;
  *realm = r ? r : caller;
  *low = (uint32_t)guid;
  return *low != 0 && *realm != 0;
}

#endif
