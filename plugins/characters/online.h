/*
 * The online cache: every character a gateway reported logged in, keyed by
 * (realm, low GUID), indexed by folded name per realm and by gateway, and
 * kept per realm in a dense array with a compact row per character so that
 * a who query scans 12 bytes per character before it touches a name.
 *
 * Pure data structure (no host calls): the event and RPC code decide what
 * to do; unit tests drive it directly.
 *
 * Event ordering (ToCloud9 PR #37): events carry the gateway's
 * EventTimeUnixNano. A login older than the character's last logout
 * (remembered for `tombstone_ttl`) or than its current login is stale, a
 * logout older than the current login is stale, and without times a logout
 * must come from the gateway that holds the character.
 */
#ifndef STRATUS_CHARS_ONLINE_H
#define STRATUS_CHARS_ONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "who_index.h"

#define OC_NAME_BYTES 48 /* 12 characters of up to 4 bytes (characters.name) */
#define OC_GUILD_BYTES 96 /* guild.name: 24 characters */
#define OC_GATEWAY_BYTES 64

enum { TEAM_ALLIANCE = 0, TEAM_HORDE = 1, TEAM_NEUTRAL = 2 };

typedef struct oc_gateway oc_gateway;

typedef struct oc_char {
  uint64_t key; /* guid_key(realm, low) */
  uint32_t account, zone, map, area, guild_id;
  uint8_t race, cls, gender, level;
  float x, y, z;
  int64_t since; /* EventTimeUnixNano of the login; 0 = unknown */
  uint64_t online_ms; /* the host clock when it came online (presence) */
  oc_gateway *gw;
  struct oc_char *gw_prev, *gw_next;
  struct oc_char *acct_prev, *acct_next; /* the account's characters (account 0: none) */
  uint32_t slot; /* index in its realm's arrays */
  uint32_t cell; /* its who_index cell */
  struct oc_char *cell_prev, *cell_next;
  uint8_t name_len;
  char name[OC_NAME_BYTES + 1];
  char lname[OC_NAME_BYTES + 1]; /* folded, same length */
} oc_char;

/* What a who query filters on first, kept beside the character pointers:
 * 24 bytes, and no name comparison unless the name's bigram mask holds
 * every bigram of the searched text. */
typedef struct oc_row {
  uint8_t level, race, cls;
  uint32_t zone;
  uint32_t guild_id;
  uint64_t bigrams; /* online_bigrams() of the folded name */
} oc_row;

typedef struct oc_guild {
  uint64_t key; /* guid_key(realm, guild id) */
  uint8_t len;
  char name[OC_GUILD_BYTES + 1];
  char lname[OC_GUILD_BYTES + 1];
} oc_guild;

typedef struct oc_realm {
  uint32_t id;
  uint32_t n, cap;
  oc_char **chars;
  oc_row *rows;
  who_index who;
} oc_realm;

struct oc_gateway {
  uint32_t realm;
  uint32_t count;
  oc_char *head;
  char id[OC_GATEWAY_BYTES + 1];
};

typedef struct online {
  hmap by_key;  /* hmap_mix64(key) -> oc_char */
  hmap by_name; /* (realm, lname) -> oc_char */
  hmap by_account; /* hmap_mix64(account) -> the account's first oc_char */
  hmap tombs;   /* hmap_mix64(key) -> oc_tomb: recent logouts */
  hmap guilds;  /* hmap_mix64(guild key) -> oc_guild */
  oc_realm **realms;
  size_t nrealms;
  oc_gateway **gws;
  size_t ngws;
  size_t total;
} online;

/* A login as the gateway reported it (name: valid UTF-8, 1..48 bytes). */
typedef struct oc_login {
  uint32_t realm, low, account, zone, map, guild_id;
  uint8_t race, cls, gender, level;
  float x, y, z;
  int64_t time;
  const char *gateway;
  const char *name;
  size_t name_len;
} oc_login;

typedef enum oc_outcome { OC_ADDED, OC_UPDATED, OC_STALE, OC_NOMEM } oc_outcome;

uint8_t online_team(uint8_t race);
/* One bit per byte pair of folded text (hashed into 64): text A can only
 * contain text B when bigrams(A) holds every bit of bigrams(B). */
uint64_t online_bigrams(const char *folded, size_t len);

void online_init(online *o);
void online_free(online *o);

/* A login: adds or refreshes the character; *out gets it unless stale. */
oc_outcome online_login(online *o, const oc_login *ev, oc_char **out);
oc_char *online_find(const online *o, uint32_t realm, uint32_t low);
/* The first online character of an account, on any realm (then acct_next). */
oc_char *online_account_first(const online *o, uint32_t account);
/* Case-insensitive, name of 1..48 valid UTF-8 bytes. */
oc_char *online_find_name(const online *o, uint32_t realm, const char *name, size_t len);
/* May this logout (gateway, time) remove c? */
bool online_logout_applies(const oc_char *c, const char *gateway, int64_t time);
/* Removes and frees c, remembering the logout time; now_ms stamps it. */
void online_remove(online *o, oc_char *c, int64_t time, uint64_t now_ms);
/* Remembers a logout of a character that is not online (out of order). */
void online_remember_logout(online *o, uint32_t realm, uint32_t low, int64_t time,
                            uint64_t now_ms);
/* Forgets logouts remembered before now_ms - ttl_ms. */
void online_prune(online *o, uint64_t now_ms, uint64_t ttl_ms);

void online_set_level(online *o, oc_char *c, uint8_t level);
void online_set_zone(online *o, oc_char *c, uint32_t zone);
void online_set_guild(online *o, oc_char *c, uint32_t guild_id);

oc_realm *online_realm(const online *o, uint32_t realm);
oc_gateway *online_gateway(const online *o, uint32_t realm, const char *id);

/* Guild names per realm, as learned from the database or guild events. */
const oc_guild *online_guild(const online *o, uint32_t realm, uint32_t id);
void online_guild_put(online *o, uint32_t realm, uint32_t id, const char *name, size_t len);

#endif
