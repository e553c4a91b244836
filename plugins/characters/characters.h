/*
 * characters: CharactersService of ToCloud9 (login lists, account data,
 * lookups, who, the online cache, friends and ignore lists) for every realm
 * that has a [db.characters.<realm>] pool. Internal header shared by the
 * plugin's files.
 */
#ifndef STRATUS_CHARS_CHARACTERS_H
#define STRATUS_CHARS_CHARACTERS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <stratus/proto/characters/characters.pb-c.h>
#include <stratus/stratus.h>

#include "hmap.h"
#include "online.h"

/* AzerothCore's FriendsResult (SocialMgr.h): the value the gateway forwards
 * to the client in SMSG_FRIEND_STATUS. */
enum {
  FRIEND_DB_ERROR = 0x00,
  FRIEND_LIST_FULL = 0x01,
  FRIEND_ONLINE = 0x02,
  FRIEND_OFFLINE = 0x03,
  FRIEND_NOT_FOUND = 0x04,
  FRIEND_REMOVED = 0x05,
  FRIEND_ADDED_ONLINE = 0x06,
  FRIEND_ADDED_OFFLINE = 0x07,
  FRIEND_ALREADY = 0x08,
  FRIEND_SELF = 0x09,
  FRIEND_ENEMY = 0x0A,
  FRIEND_IGNORE_FULL = 0x0B,
  FRIEND_IGNORE_SELF = 0x0C,
  FRIEND_IGNORE_NOT_FOUND = 0x0D,
  FRIEND_IGNORE_ALREADY = 0x0E,
  FRIEND_IGNORE_ADDED = 0x0F,
};

/* character_social.flags bits and the core's list limits. */
#define SOCIAL_FRIEND 0x01u
#define SOCIAL_IGNORED 0x02u
#define SOCIAL_FRIEND_LIMIT 50u
#define SOCIAL_IGNORE_LIMIT 50u
#define SOCIAL_NOTE_CHARS 48 /* character_social.note VARCHAR(48) */
#define CHAR_NAME_CHARS 12   /* characters.name VARCHAR(12) */

typedef struct chars_config {
  const char *world_pool;
  bool two_side_who;
  bool two_side_add_friend;
  int64_t who_max_results;
  int64_t tombstone_ttl_ms;
  bool notify_friends;
  const char *service_id;
} chars_config;

typedef struct item_cache item_cache; /* items.c */
typedef struct notifier notifier;     /* notify.c */
typedef struct guild_fetch guild_fetch; /* guilds.c */

typedef struct chars {
  const chars_config *cfg;
  stratus_ctx *ctx;
  bool stopped; /* metric handles and timers are gone after stop */
  online oc;
  item_cache *items;
  notifier *notify;
  guild_fetch *guilds;
  stratus_timer *prune_timer;
  char service_id[64];
  stratus_metric *m_online, *m_events, *m_published;
} chars;

extern const stratus_host_api *chars_host;
#define HOST chars_host

/* ---- characters.c ------------------------------------------------------------ */

/* Background work (not a call) on the realm's characters pool. */
int chars_submit(chars *st, uint32_t realm, stratus_db_work work, stratus_db_done done,
                 void *job);

/* ---- checks of declared methods (loop): 0, or the req_fail code to return ---- */

/* For methods without a pool: the realm is served (NOT_FOUND otherwise). */
int chars_realm_known(stratus_req *req, uint32_t realm);
/* Runs the method on the realm's pool: INVALID_ARGUMENT for realm 0,
 * NOT_FOUND for a realm without [db.characters.<realm>]. */
int chars_use_realm(stratus_req *req, uint32_t realm);
/* A player GUID of a caller of realm `caller` (INVALID_ARGUMENT naming `what`). */
int chars_guid(stratus_req *req, uint32_t caller, uint64_t guid, const char *what,
               uint32_t *realm, uint32_t *low);
/* Valid UTF-8 of at most max_chars characters. */
int chars_text(stratus_req *req, const char *s, int max_chars, const char *what);
/* A name of 1..12 characters. */
int chars_name(stratus_req *req, const char *s, const char *what);

#define CHARS_ONLINE_METHODS 4
extern const stratus_method chars_online_methods[CHARS_ONLINE_METHODS]; /* rpc_online.c */
#define CHARS_LOOKUP_METHODS 2
extern const stratus_method chars_lookup_methods[CHARS_LOOKUP_METHODS]; /* rpc_lookup.c */
#define CHARS_LOGIN_METHODS 2
extern const stratus_method chars_login_methods[CHARS_LOGIN_METHODS]; /* rpc_login.c */
#define CHARS_ACCOUNT_METHODS 3
extern const stratus_method chars_account_methods[CHARS_ACCOUNT_METHODS]; /* rpc_account.c */
#define CHARS_SOCIAL_METHODS 7
extern const stratus_method chars_social_methods[CHARS_SOCIAL_METHODS]; /* rpc_social.c */

/* Fills a CharacterByNameResponse.Char-shaped record from an online entry. */
void chars_fill_short(const oc_char *c, uint32_t viewer,
                      V1__ShortCharactersDataByGUIDsResponse__ShortCharData *out);

/* ---- events.c ---------------------------------------------------------------- */

int chars_events_subscribe(chars *st);
/* Publishes {"v","t","p"}; takes the payload reference. */
void chars_publish(chars *st, const char *subject, json_t *payload);
json_t *chars_guid_array(const uint64_t *guids, size_t n);

/* ---- notify.c: friends.status.changed ---------------------------------------- */

int notify_create(chars *st);
void notify_destroy(chars *st);
/* Queues a status change of (realm, low) for the players who have it as a
 * friend (looked up in batches). */
void notify_queue(chars *st, uint32_t realm, uint32_t low, uint8_t race, uint8_t status,
                  uint32_t area, uint32_t level, uint32_t cls);
/* Publishes friends.status.changed for `listeners` (low GUIDs of players who
 * have the player as a friend), keeping those online that may see it.
 * Returns how many were notified. */
size_t notify_publish(chars *st, uint32_t realm, uint32_t low, uint8_t race, uint8_t status,
                      uint32_t area, uint32_t level, uint32_t cls, const uint32_t *listeners,
                      size_t n);
/* May a player of race `viewer` see the online state of race `subject`? */
bool chars_visible(const chars *st, uint8_t viewer, uint8_t subject);

/* ---- presence.c: the one owner of who is online (sdk presence.h) ------------ */

int chars_presence_provide(chars *st);
/* Tells the host's presence watchers about a change of c (STRATUS_PRESENCE_*). */
void chars_presence_report(chars *st, int change, const oc_char *c);
/* A character going offline, kept to report it after its removal (watchers
 * run after the owner applied the change). */
typedef struct chars_gone {
  stratus_presence p;
  char name[OC_NAME_BYTES + 1];
  char gateway[OC_GATEWAY_BYTES + 1];
} chars_gone;
void chars_presence_keep(const oc_char *c, chars_gone *out);
void chars_presence_gone(chars *st, const chars_gone *g);

/* ---- guilds.c: guild names of online characters ------------------------------- */

int guilds_create(chars *st);
void guilds_destroy(chars *st);
/* Makes sure the name of (realm, guild) gets loaded. */
void guilds_want(chars *st, uint32_t realm, uint32_t guild);

/* ---- items.c: item_template display data --------------------------------------- */

int items_create(chars *st);
void items_destroy(chars *st);
void items_start(chars *st);
/* Runs cb once the cache is loaded (or its load failed): at once or later. */
typedef void (*items_ready_cb)(chars *st, void *ud);
void items_when_ready(chars *st, items_ready_cb cb, void *ud);
/* Display id and inventory type of an item entry (0, 0 if unknown). */
void items_display(const chars *st, uint32_t entry, uint32_t *display, uint32_t *inv_type);

/* ---- state.c: hand-over between generations ------------------------------------- */

int chars_export(stratus_ctx *ctx, void *state, stratus_blob *out);
int chars_import(stratus_ctx *ctx, void *state, const void *data, size_t len);

/* ---- metrics ---------------------------------------------------------------------- */

void chars_count_event(chars *st, const char *subject, const char *outcome);
void chars_update_online_gauge(chars *st, uint32_t realm);

#endif
