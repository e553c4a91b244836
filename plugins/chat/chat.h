/*
 * chat plugin internals: v1.ChatService channel RPCs with AzerothCore's
 * channel rules, state in memory on the loop thread, persisted in the
 * realm's characters database.
 *   chat.c           descriptor, config, lifecycle, metrics, logout events
 *   chat_handlers.c  the RPCs: input checks, operations, replies
 *   chat_queue.c     one operation at a time per channel: load, lookups,
 *                    database write, then memory, events and reply
 *   chat_rules.c     what each operation decides (statuses, writes, events)
 *   chat_channel.c   channels, members and bans in memory
 *   chat_sql.c       database work (worker threads)
 *   chat_events.c    chat.gw.ALL.channel.* payloads
 * Names are checked and case-folded with the SDK's <stratus/text.h>.
 */
#ifndef CHAT_H
#define CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stratus/proto/chat/chat.pb-c.h>
#include <stratus/stratus.h>

#include "pool.h"

extern const stratus_host_api *chat_host;

/* AzerothCore limits: MAX_CHANNEL_NAME_STR, MAX_CHANNEL_PASS_STR, player
 * names of 12 characters (UTF-8: up to 4 bytes each). */
#define CHAT_CHANNEL_NAME_MAX 99
#define CHAT_PASSWORD_MAX 31
#define CHAT_PLAYER_NAME_BYTES STRATUS_NAME_PLAYER_BYTES

/* ChannelFlags */
#define CHAT_CHANNEL_CUSTOM 0x01
#define CHAT_CHANNEL_TRADE 0x04
#define CHAT_CHANNEL_NOT_LFG 0x08
#define CHAT_CHANNEL_GENERAL 0x10

/* ChannelMemberFlags */
#define CHAT_MEMBER_OWNER 0x01
#define CHAT_MEMBER_MODERATOR 0x02
#define CHAT_MEMBER_VOICED 0x04
#define CHAT_MEMBER_MUTED 0x08

/* channels_rights.flags */
#define CHAT_RIGHT_FORCE_NO_ANNOUNCE 0x001
#define CHAT_RIGHT_FORCE_ANNOUNCE 0x002
#define CHAT_RIGHT_NO_OWNERSHIP 0x004
#define CHAT_RIGHT_CANT_SPEAK 0x008
#define CHAT_RIGHT_CANT_BAN 0x010
#define CHAT_RIGHT_CANT_KICK 0x020
#define CHAT_RIGHT_CANT_MUTE 0x040
#define CHAT_RIGHT_CANT_CHANGE_PASSWORD 0x080
#define CHAT_RIGHT_DONT_PRESERVE 0x100

/* ChatNotify codes of the core (SMSG_CHANNEL_NOTIFY). */
enum {
  CHAT_NOTIFY_PASSWORD_CHANGED = 0x07,
  CHAT_NOTIFY_OWNER_CHANGED = 0x08,
  CHAT_NOTIFY_MODE_CHANGE = 0x0C,
  CHAT_NOTIFY_ANNOUNCEMENTS_ON = 0x0D,
  CHAT_NOTIFY_ANNOUNCEMENTS_OFF = 0x0E,
  CHAT_NOTIFY_MODERATION_ON = 0x0F,
  CHAT_NOTIFY_MODERATION_OFF = 0x10,
  CHAT_NOTIFY_PLAYER_KICKED = 0x12,
  CHAT_NOTIFY_PLAYER_BANNED = 0x14,
  CHAT_NOTIFY_PLAYER_UNBANNED = 0x15,
  CHAT_NOTIFY_INVITE = 0x18,
};

typedef struct chat_config {
  int64_t max_message;     /* bytes of one channel message */
  int64_t ban_duration_ms; /* how long a channel ban lasts */
  bool two_side;           /* the gateways run cross-faction channels */
  int64_t lookup_timeout_ms;
} chat_config;

typedef struct chat_plugin {
  const chat_config *config;
  stratus_ctx *ctx;
  bool stopped;            /* metric handles are gone once the instance stops */
  void *channels;          /* tsearch root of chat_channel, by realm/team/key */
  size_t n_channels;
  int64_t n_members;       /* members of all loaded channels */
  char service_id[40];     /* ServiceID of joined/left events */
  stratus_metric *m_messages, *m_ops, *m_channels, *m_members;
} chat_plugin;

/* ---- channels in memory ------------------------------------------------- */

typedef struct chat_member {
  uint64_t guid;
  uint8_t flags;
  uint64_t seq;            /* join order */
  uint64_t last_speak_ms;
  char name[CHAT_PLAYER_NAME_BYTES + 1];
  char fold[CHAT_PLAYER_NAME_BYTES + 1]; /* lower case, for name lookups */
  struct chat_member *prev, *next;
} chat_member;

typedef struct chat_ban {
  uint64_t guid;
  uint32_t until;          /* unix time the ban ends (channels_bans.banTime) */
} chat_ban;

typedef struct chat_rights {
  uint32_t flags, speak_delay_s;
  uint32_t *moderators;    /* account ids */
  size_t n_moderators;
} chat_rights;

/* Channel properties a decision sets (CREATE, PROPS). */
typedef struct chat_props {
  uint32_t dbc_id;
  uint8_t flags;
  bool announce, ownership, moderated;
  char password[CHAT_PASSWORD_MAX + 1];
  char name[CHAT_CHANNEL_NAME_MAX + 1];
} chat_props;

/* A channel read from the database. */
typedef struct chat_loaded_member {
  uint64_t guid;
  uint8_t flags;
  uint64_t seq;
  char name[CHAT_PLAYER_NAME_BYTES + 1];
} chat_loaded_member;

typedef struct chat_load_job {
  chat_plugin *plugin;
  uint32_t realm;
  uint8_t team;
  char key[CHAT_CHANNEL_NAME_MAX * 2 + 1];
  /* out */
  bool stored, exists;
  chat_props props;
  uint32_t ac_id;
  chat_loaded_member *members;
  size_t n_members;
  chat_ban *bans;
  size_t n_bans;
  chat_rights rights;
  bool has_rights;
  unsigned db_errno;
} chat_load_job;

typedef enum chat_channel_state {
  CHAT_LOADING,            /* the load job runs; operations wait */
  CHAT_READY,
} chat_channel_state;

typedef struct chat_op chat_op;

typedef struct chat_channel {
  chat_plugin *plugin;
  uint32_t realm;
  uint8_t team;
  char key[CHAT_CHANNEL_NAME_MAX * 2 + 1]; /* folded name */
  char name[CHAT_CHANNEL_NAME_MAX + 1];    /* as first joined */
  chat_channel_state state;
  bool exists;             /* joined at least once (in memory or database) */
  bool persist;            /* written to the database (realm != 0, rights allow) */
  bool stored;             /* stratus_chat_channel has its row */
  uint32_t dbc_id;         /* built-in channel id, 0 for custom channels */
  uint8_t flags;           /* CHAT_CHANNEL_* */
  uint32_t ac_id;          /* channels.channelId of a custom channel, 0 none */
  bool announce, ownership, moderated;
  char password[CHAT_PASSWORD_MAX + 1];
  uint64_t owner;
  chat_rights rights;
  void *members_by_guid;   /* tsearch root of chat_member */
  chat_member *first, *last;
  size_t n_members;
  uint64_t next_seq;
  chat_ban *bans;
  size_t n_bans, cap_bans;
  chat_op *head, *tail;    /* waiting operations, head runs */
  bool busy;               /* the head waits for a job or a lookup */
  uint64_t touched_ms;     /* last lastUsed update of a message */
  chat_load_job load;      /* while CHAT_LOADING */
} chat_channel;

/* ---- operations --------------------------------------------------------- */

typedef enum chat_op_kind {
  CHAT_OP_JOIN, CHAT_OP_LEAVE, CHAT_OP_MESSAGE, CHAT_OP_LIST,
  CHAT_OP_KICK, CHAT_OP_BAN, CHAT_OP_UNBAN,
  CHAT_OP_SET_MODERATOR, CHAT_OP_UNSET_MODERATOR,
  CHAT_OP_MUTE, CHAT_OP_UNMUTE, CHAT_OP_OWNER, CHAT_OP_PASSWORD,
  CHAT_OP_TOGGLE_MODERATION, CHAT_OP_TOGGLE_ANNOUNCEMENTS, CHAT_OP_INVITE,
  CHAT_OP_LOGOUT,          /* internal: the player logged out */
  CHAT_OP_COUNT
} chat_op_kind;

/* What an operation still needs from outside the channel before deciding. */
typedef enum chat_lookup {
  CHAT_LOOKUP_NONE,
  CHAT_LOOKUP_ACTOR_ACCOUNT,   /* characters.account of the actor */
  CHAT_LOOKUP_TARGET_ACCOUNT,  /* characters.account of the target member */
  CHAT_LOOKUP_NAME,            /* characters.guid of the target name */
  CHAT_LOOKUP_ONLINE,          /* the online target, its team, its ignores */
} chat_lookup;

/* One request, normalized from whichever message carried it. */
typedef struct chat_req {
  uint32_t realm;
  uint8_t team;
  uint64_t actor;
  const char *channel;
  const char *actor_name;  /* join, message */
  const char *target;      /* moderation, invite */
  const char *password;    /* join, password */
  uint32_t dbc_id, channel_flags; /* join */
  const char *message;     /* message */
  uint32_t language, chat_tag;
} chat_req;

typedef struct chat_lookup_job {
  chat_channel *channel;   /* loop side only */
  chat_lookup what;
  uint64_t guid;           /* account lookups; the actor for ignores */
  char name[CHAT_PLAYER_NAME_BYTES + 1];
  bool resolve_name;       /* ONLINE: the characters plugin did not answer */
  uint64_t target;         /* ONLINE: the resolved target */
  /* out */
  bool found, ignored;
  uint64_t found_guid;
  uint32_t race, account;
  unsigned db_errno;
} chat_lookup_job;

struct chat_op {
  chat_op_kind kind;
  stratus_req *rq;         /* the call; NULL for internal operations (heap) */
  const ProtobufCMessageDescriptor *reply_type;
  int fast_status;         /* a message answered without queueing */
  chat_req req;
  char target_fold[CHAT_PLAYER_NAME_BYTES + 1];
  char channel_buf[CHAT_CHANNEL_NAME_MAX + 1]; /* internal operations' channel name */
  /* lookups: decide asks for one (want), the queue runs it (asked) */
  chat_lookup want, asked;
  bool found;
  uint64_t found_guid;
  uint8_t found_team;
  bool ignored;            /* the invited player ignores the actor */
  uint32_t account;        /* of the actor or target, 0 unknown */
  chat_lookup_job lookup;  /* the lookup job while one runs */
  chat_op *next;
};

/* ---- what a decision produces ------------------------------------------- */

typedef enum chat_write_kind {
  CHAT_W_CREATE,           /* stratus_chat_channel row (and channels row) */
  CHAT_W_MEMBER_ADD, CHAT_W_MEMBER_DEL, CHAT_W_MEMBER_FLAGS,
  CHAT_W_BAN_ADD, CHAT_W_BAN_DEL,
  CHAT_W_PROPS,            /* announce, password, moderated */
  CHAT_W_TOUCH,            /* channels.lastUsed */
} chat_write_kind;

typedef struct chat_write {
  chat_write_kind kind;
  uint64_t guid;
  uint8_t flags;
  uint32_t time;
  uint64_t seq;
  const char *name;        /* member name (the request's, valid meanwhile) */
} chat_write;

typedef enum chat_event_kind { CHAT_EV_JOINED, CHAT_EV_LEFT, CHAT_EV_NOTIFY } chat_event_kind;

typedef struct chat_event {
  chat_event_kind kind;
  uint8_t notify;
  bool silent;
  uint64_t target, second, affects;
  uint8_t old_flags, new_flags;
  char target_name[CHAT_PLAYER_NAME_BYTES + 1];
} chat_event;

#define CHAT_MAX_WRITES 6
#define CHAT_MAX_EVENTS 6

typedef struct chat_plan {
  int status;              /* the response's Status value */
  bool toggled;            /* moderationEnabled / announcementsEnabled */
  chat_props props;
  chat_write w[CHAT_MAX_WRITES];
  size_t nw;
  chat_event ev[CHAT_MAX_EVENTS];
  size_t nev;
} chat_plan;

typedef enum chat_decision { CHAT_DECIDED, CHAT_NEED_LOOKUP } chat_decision;

/* ---- chat_channel.c ----------------------------------------------------- */
chat_channel *chat_channel_find(chat_plugin *p, uint32_t realm, uint8_t team, const char *key);
chat_channel *chat_channel_new(chat_plugin *p, uint32_t realm, uint8_t team, const char *key,
                               const char *name);
void chat_channel_forget(chat_channel *ch); /* out of the registry, freed */
void chat_channels_free(chat_plugin *p);
chat_member *chat_member_find(const chat_channel *ch, uint64_t guid);
chat_member *chat_member_by_name(const chat_channel *ch, const char *fold);
chat_member *chat_member_add(chat_channel *ch, uint64_t guid, const char *name, uint8_t flags,
                             uint64_t seq);
void chat_member_remove(chat_channel *ch, chat_member *m);
const chat_ban *chat_ban_find(const chat_channel *ch, uint64_t guid, uint32_t now);
void chat_ban_set(chat_channel *ch, uint64_t guid, uint32_t until);
void chat_ban_remove(chat_channel *ch, uint64_t guid);
bool chat_rights_moderator(const chat_channel *ch, uint32_t account);
void chat_rights_clear(chat_rights *r);
/* Apply a committed plan to memory (ac_id: what CREATE produced). */
void chat_channel_apply(chat_channel *ch, const chat_plan *plan, uint32_t ac_id);
bool chat_channel_announces(const chat_channel *ch);

/* ---- chat_rules.c ------------------------------------------------------- */
/* Decide `op` on the channel's committed state. CHAT_NEED_LOOKUP: run
 * op->want, then decide again. */
chat_decision chat_decide(chat_channel *ch, chat_op *op, const chat_config *cfg, uint32_t now,
                          chat_plan *plan);
/* Checks of SendChannelMessage on the committed state; a Status value. */
int chat_check_speak(chat_channel *ch, uint64_t sender, uint64_t now_ms);
uint8_t chat_team_of_race(uint32_t race); /* 0 Alliance, 1 Horde, 2 unknown */

/* ---- chat_queue.c ------------------------------------------------------- */
/* Queue `op` on its channel (loading it first when needed); takes op, or
 * returns an error (op not queued: the caller still owns it). */
int chat_submit(chat_plugin *p, chat_op *op);
/* An operation dropped unanswered (the plugin is destroyed). */
void chat_op_drop(chat_op *op);
/* Logout: the player leaves every channel it is in. */
void chat_logout(chat_plugin *p, uint32_t realm, uint32_t low);
/* channels.lastUsed of a channel that had a message (at most once a minute). */
void chat_touch(chat_channel *ch);
/* Adds d to the members gauge. */
void chat_members_delta(chat_plugin *p, int64_t d);
/* Answer an operation with a gRPC failure (an internal one is freed). */
void chat_op_fail(chat_op *op, int grpc_status, const char *fmt, ...) STRATUS_PRINTF(3, 4);

/* ---- chat_handlers.c ---------------------------------------------------- */
int chat_handlers_register(stratus_ctx *ctx, chat_plugin *p);
/* Answer op with plan's outcome (an internal one is freed). */
void chat_reply(chat_channel *ch, chat_op *op, const chat_plan *plan);
/* The realm's characters pool. */
#define CHAT_POOL(buf, realm) realm_pool((buf), "characters", (realm))

/* ---- chat_events.c ------------------------------------------------------ */
void chat_publish_plan(chat_channel *ch, const chat_plan *plan);
int chat_publish_message(chat_channel *ch, const chat_req *req, uint64_t sender);

/* ---- chat_sql.c (worker threads) ---------------------------------------- */

int chat_sql_load(stratus_db *db, void *job);

/* A committed plan's writes, copied so the worker touches nothing else. */
typedef struct chat_write_job {
  chat_channel *channel;   /* loop side only */
  uint32_t realm;
  uint8_t team;
  char key[CHAT_CHANNEL_NAME_MAX * 2 + 1];
  bool stored;
  uint32_t ac_id;          /* channels.channelId before the writes */
  uint32_t new_ac_id;      /* out: after them (CREATE may make one) */
  uint32_t now;
  chat_plan plan;
  char names[CHAT_MAX_WRITES][CHAT_PLAYER_NAME_BYTES + 1];
  unsigned db_errno;
} chat_write_job;

int chat_sql_write(stratus_db *db, void *job);

int chat_sql_lookup(stratus_db *db, void *job);

typedef struct chat_touch_job {
  uint32_t ac_id, now;
} chat_touch_job;

int chat_sql_touch(stratus_db *db, void *job);

/* Logout: the channels a player is in according to the database. */
typedef struct chat_logout_job {
  chat_plugin *plugin;
  uint32_t realm;
  uint64_t guid;
  size_t n;
  struct { uint8_t team; char key[CHAT_CHANNEL_NAME_MAX * 2 + 1]; char name[CHAT_CHANNEL_NAME_MAX + 1]; } *found;
} chat_logout_job;

int chat_sql_member_channels(stratus_db *db, void *job);

#endif
