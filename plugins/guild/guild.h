/*
 * guild: GuildService of ToCloud9 (roster, ranks, MOTD, notes, invites, guild
 * chat) and PR #37's guild charters, on every realm that has a
 * [db.characters.<realm>] pool. Internal header shared by the plugin's files.
 *
 * The plugin keeps no guild cache: every call reads the realm's database,
 * so native changes (leader change, disband, turn-in) are never stale and a
 * second stratusd needs nothing shared. Who is online comes from the
 * presence owner (the characters plugin).
 */
#ifndef STRATUS_GUILD_GUILD_H
#define STRATUS_GUILD_GUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <stratus/proto/guilds/guilds.pb-c.h>
#include <stratus/stratus.h>

extern const stratus_host_api *guild_host;
#define HOST guild_host

/* AzerothCore's GuildRankRights (Guild.h). */
enum {
  GR_RIGHT_EMPTY = 0x00000040,
  GR_RIGHT_GCHATLISTEN = GR_RIGHT_EMPTY | 0x00000001,
  GR_RIGHT_GCHATSPEAK = GR_RIGHT_EMPTY | 0x00000002,
  GR_RIGHT_OFFCHATLISTEN = GR_RIGHT_EMPTY | 0x00000004,
  GR_RIGHT_OFFCHATSPEAK = GR_RIGHT_EMPTY | 0x00000008,
  GR_RIGHT_INVITE = GR_RIGHT_EMPTY | 0x00000010,
  GR_RIGHT_REMOVE = GR_RIGHT_EMPTY | 0x00000020,
  GR_RIGHT_PROMOTE = GR_RIGHT_EMPTY | 0x00000080,
  GR_RIGHT_DEMOTE = GR_RIGHT_EMPTY | 0x00000100,
  GR_RIGHT_SETMOTD = GR_RIGHT_EMPTY | 0x00001000,
  GR_RIGHT_EPNOTE = GR_RIGHT_EMPTY | 0x00002000,
  GR_RIGHT_VIEWOFFNOTE = GR_RIGHT_EMPTY | 0x00004000,
  GR_RIGHT_EOFFNOTE = GR_RIGHT_EMPTY | 0x00008000,
  GR_RIGHT_MODIFY_GUILD_INFO = GR_RIGHT_EMPTY | 0x00010000,
  GR_RIGHT_ALL = 0x001DF1FF,
};

/* AzerothCore's GuildCommandType and GuildCommandError: what the gateway
 * puts in SMSG_GUILD_COMMAND_RESULT. Refusals carry them in the status
 * message as "(guild command C, result R)". */
enum {
  GUILD_COMMAND_CREATE = 0,
  GUILD_COMMAND_INVITE = 1,
  GUILD_COMMAND_QUIT = 3,
  GUILD_COMMAND_PROMOTE = 6,
  GUILD_COMMAND_DEMOTE = 7,
  GUILD_COMMAND_REMOVE = 8,
  GUILD_COMMAND_EDIT_MOTD = 11,
  GUILD_COMMAND_GUILD_CHAT = 13,
  GUILD_COMMAND_CHANGE_RANK = 16,
  GUILD_COMMAND_PUBLIC_NOTE = 19,
};
enum {
  ERR_GUILD_INTERNAL = 1,
  ERR_ALREADY_IN_GUILD_S = 3,
  ERR_ALREADY_INVITED_TO_GUILD_S = 5,
  ERR_GUILD_NAME_INVALID = 6,
  ERR_GUILD_PERMISSIONS = 8,
  ERR_GUILD_LEADER_LEAVE = 8,
  ERR_GUILD_PLAYER_NOT_IN_GUILD = 9,
  ERR_GUILD_PLAYER_NOT_IN_GUILD_S = 10,
  ERR_GUILD_PLAYER_NOT_FOUND_S = 11,
  ERR_GUILD_NOT_ALLIED = 12,
  ERR_GUILD_RANK_TOO_HIGH_S = 13,
  ERR_GUILD_RANK_TOO_LOW_S = 14,
  ERR_GUILD_RANK_IN_USE = 18,
};

/* Limits of AzerothCore's columns and the core. */
#define GUILD_RANKS_MIN 5       /* GUILD_RANKS_MIN_COUNT */
#define GUILD_RANKS_MAX 10      /* GUILD_RANKS_MAX_COUNT */
#define GUILD_RANK_NAME_CHARS 20 /* guild_rank.rname VARCHAR(20) */
#define GUILD_MOTD_CHARS 128    /* guild.motd VARCHAR(128) */
#define GUILD_INFO_CHARS 500    /* guild.info VARCHAR(500) */
#define GUILD_NOTE_CHARS 31     /* guild_member.pnote / offnote VARCHAR(31) */
#define GUILD_CHAT_BYTES 255    /* the client's chat message limit */
#define GUILD_BANK_TABS 6       /* GUILD_BANK_MAX_TABS */
#define GUILD_NAMES_MAX 1000    /* guildIDs in one GetGuildNamesByIDs */
#define GUILD_CHARTER_TYPE 9    /* petition.type of a guild charter */
#define GUILD_UNLIMITED 0xFFFFFFFFu /* GUILD_WITHDRAW_MONEY/SLOT_UNLIMITED */
#define GUILD_BANK_RIGHT_FULL 0xFFu

enum { CROSS_FACTION_GATEWAY = 0, CROSS_FACTION_YES = 1, CROSS_FACTION_NO = 2 };

typedef struct guild_config {
  int cross_faction;         /* CROSS_FACTION_* */
  int64_t min_petition_signs;
  int64_t invite_ttl_ms;
  const char *service_id;
} guild_config;

typedef struct guild_plugin {
  stratus_ctx *ctx;
  const guild_config *cfg;
  char service_id[64];
  stratus_sub *created_sub;
  stratus_metric *m_published;
  bool presence_warned;
} guild_plugin;

/* ---- the acting player and its guild (guild_sql.c, worker) --------------- */

/* A guild member as the checks need it. */
typedef struct gmember {
  uint32_t guid;
  uint32_t guild;
  uint32_t rank;
  uint32_t rights;
  uint32_t race;
  uint32_t account;
  char *name;
} gmember;

/* The guild a mutation works on, read under its row lock. */
typedef struct gguild {
  uint32_t id;
  uint32_t leader;
  char *name;
  uint32_t ranks;     /* rows in guild_rank */
  /* Members with their rank rights, for the events' receivers. */
  uint32_t *member_guids;
  uint32_t *member_rights;
  size_t nmembers;
} gguild;

/* A player of the actor's guild: 1 found, 0 not a member, <0 error. */
int gsql_member(stratus_db *db, stratus_req *req, uint32_t guid, uint32_t guild, gmember *out);
/* Any character (guild 0 if guildless): 1 found, 0 unknown, <0 error. */
int gsql_character(stratus_db *db, stratus_req *req, uint32_t guid, gmember *out);
/* Locks the actor's guild row and reads the actor in it; a refusal (not in
 * a guild) is recorded with req_fail. */
int gsql_lock_actor(stratus_db *db, stratus_req *req, uint32_t guid, int command,
                    gmember *actor, gguild *g);
/* The actor without a lock (read-only calls). */
int gsql_actor(stratus_db *db, stratus_req *req, uint32_t guid, int command, gmember *actor,
               gguild *g);
/* Members and their rights into g (after the change). */
int gsql_members(stratus_db *db, stratus_req *req, gguild *g);
/* Rows changed by one statement, or <0. */
int gsql_exec(stratus_db *db, const char *sql, const stratus_sql_value *p, size_t n);
/* The first row of a query into out: 1, 0 (no row) or <0. */
int gsql_one(stratus_db *db, stratus_req *req, const char *sql, const stratus_sql_value *p,
             size_t n, const stratus_col *cols, size_t ncols, void *out);

/* ---- checks and refusals (guild_check.c) ---------------------------------- */

/* Resolves the acting player's GUID to its home realm and picks that realm's
 * pool (crossrealm callers send realm-scoped GUIDs). */
int guild_use_player(stratus_req *req, uint32_t realm, uint64_t guid, const char *what,
                     uint32_t *low);
/* Another player of the same home realm. */
int guild_same_realm(stratus_req *req, uint32_t realm, uint64_t guid, const char *what,
                     uint32_t *low);
int guild_text_ok(stratus_req *req, const char *s, size_t max_chars, bool nonempty,
                  const char *what);
/* A player name the request carries (optional: "" passes) against
 * AzerothCore's rules; the database's name is what the plugin uses. */
int guild_name_ok(stratus_req *req, const char *name, const char *what);
/* FAILED_PRECONDITION with the native command result. */
int guild_refuse(stratus_req *req, int command, int result, const char *fmt, ...)
    STRATUS_PRINTF(4, 5);
int guild_need_right(stratus_req *req, const gmember *m, uint32_t right, int command,
                     const char *action);
/* The target of an action: a member of g; refusals recorded. */
int guild_load_target(stratus_db *db, stratus_req *req, uint32_t low, int command,
                      const gguild *g, gmember *out);

/* ---- events (guild_events.c, loop) ---------------------------------------- */

enum {
  EV_INVITE_CREATED = 1, EV_MEMBER_ADDED, EV_MEMBER_LEFT, EV_MEMBER_KICKED,
  EV_NOTE_UPDATED, EV_OFFICER_NOTE_UPDATED, EV_RANK_CREATED, EV_RANK_UPDATED,
  EV_RANK_DELETED, EV_MEMBER_PROMOTED, EV_MEMBER_DEMOTED, EV_MOTD_UPDATED,
  EV_INFO_UPDATED, EV_MESSAGE_NEW, EV_PETITION_OFFERED, EV_PETITION_SIGNED,
};

/* The one place events leave the plugin (payload stolen). */
void guild_publish(guild_plugin *p, const char *subject, int64_t type, json_t *payload);
/* The online members of g (of its realm) that hold `right` (0: all), as a
 * JSON array of low GUIDs, or null when none. */
json_t *guild_online(guild_plugin *p, uint32_t realm, const gguild *g, uint32_t right);
/* ServiceID, RealmID, GuildID, GuildName, MembersOnline. */
json_t *guild_event_base(guild_plugin *p, uint32_t realm, const gguild *g, uint32_t right);
/* The same with a receivers list computed once (borrowed). */
json_t *guild_event_head(guild_plugin *p, uint32_t realm, const gguild *g, json_t *online);
/* Is (realm, low) online? 1 yes, 0 no, STRATUS_ENOTSUP without an owner. */
int guild_is_online(guild_plugin *p, uint32_t realm, uint32_t low,
                    stratus_presence *copy);
int guild_created_subscribe(guild_plugin *p);

/* ---- method tables ---------------------------------------------------------- */

extern const stratus_method guild_read_methods[];
extern const size_t guild_read_count;
extern const stratus_method guild_member_methods[];
extern const size_t guild_member_count;
extern const stratus_method guild_text_methods[];
extern const size_t guild_text_count;
extern const stratus_method guild_rank_methods[];
extern const size_t guild_rank_count;
extern const stratus_method guild_petition_methods[];
extern const size_t guild_petition_count;

#endif
