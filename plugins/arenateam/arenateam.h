/*
 * arenateam: the 16 arena-team methods of CharactersService (PR #37) on
 * AzerothCore's arena_team, arena_team_member, character_arena_stats,
 * petition and petition_sign, plus two Stratus tables (team IDs, invites).
 * Every mutation is one transaction on the team's realm database; events
 * go out after the commit. Internal header shared by the plugin's files.
 */
#ifndef STRATUS_ARENATEAM_H
#define STRATUS_ARENATEAM_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/proto/characters/characters.pb-c.h>
#include <stratus/stratus.h>

extern const stratus_host_api *arena_host;
#define HOST arena_host

#define AT_NAME_MAX 24       /* arena_team.name, in characters */
#define AT_PLAYER_NAME_MAX 12u /* characters.name */
#define AT_ROSTER_MAX 10     /* twice the largest team size */
#define AT_RECEIVERS_MAX (AT_ROSTER_MAX + 1)

/* v1.ArenaTeamMutationStatus, shorter. */
enum {
  AT_OK = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_OK,
  AT_NOT_FOUND = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_NOT_FOUND,
  AT_MISMATCH = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_MEMBER_MISMATCH,
  AT_BAD_TYPE = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_INVALID_TYPE,
  AT_NAME_EXISTS = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_NAME_EXISTS,
  AT_IN_TEAM = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_ALREADY_IN_TEAM,
  AT_FULL = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_ROSTER_FULL,
  AT_FAILED = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_FAILED,
  AT_BAD_NAME = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_INVALID_NAME,
  AT_DENIED = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_PERMISSION_DENIED,
  AT_LEADER_LEAVE = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_LEADER_LEAVE,
  AT_INVITED = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_ALREADY_INVITED,
  AT_IGNORED = V1__ARENA_TEAM_MUTATION_STATUS__ARENA_TEAM_MUTATION_IGNORING_YOU,
};

/* AzerothCore's ArenaTeamEvents (SMSG_ARENA_TEAM_EVENT). */
enum {
  AT_EV_JOIN = 3,           /* player, team */
  AT_EV_LEAVE = 4,          /* player, team */
  AT_EV_REMOVE = 5,         /* player, team, captain */
  AT_EV_LEADER_CHANGED = 7, /* old captain, new captain, team */
  AT_EV_DISBANDED = 8,      /* captain, team */
};

/* A char.arena-team.native-event, filled by a work step, published by the
 * reply step after the commit (event 0: none). */
typedef struct at_event {
  uint32_t team;
  uint8_t event;
  uint32_t event_guid;
  const char *args[3];
  unsigned nargs;
  uint32_t receivers[AT_RECEIVERS_MAX];
  unsigned nreceivers;
} at_event;

/* A char.arena-team.invite-created (target 0: none). */
typedef struct at_invite {
  uint32_t team, target, inviter;
  const char *target_name, *inviter_name, *team_name;
} at_invite;

/* ---- check.c (loop thread) ------------------------------------------------- */

/* The local ID of a wire team ID (local, or realm<<24 | id of this realm). */
int at_team_id(stratus_req *req, uint32_t wire, uint32_t *id);
/* The low GUID of a player of the request's realm. */
int at_player(stratus_req *req, const char *field, uint64_t guid, uint32_t *low);
/* 2, 3 or 5. */
bool at_type_ok(uint32_t type);
/* character_arena_stats.slot of a team type. */
uint32_t at_slot_of(uint32_t type);
/* A team name AzerothCore accepts: 1..24 characters of valid UTF-8, no
 * control characters, no leading or trailing space. */
bool at_name_ok(const char *name);

/* ---- store.c (worker) ------------------------------------------------------- */

/* The team row into *t (members not filled); 1 found, 0 not, <0 error.
 * lock: FOR UPDATE (serializes every change of one team). */
int at_team_read(stratus_db *db, stratus_req *req, uint32_t id, bool lock,
                 V1__ArenaTeamData *t);
/* The roster, with names, levels, classes and the MMR of the team's slot. */
int at_members_read(stratus_db *db, stratus_req *req, V1__ArenaTeamData *t);
/* The team row and roster; NULL when there is no such team (*rc 0) or on
 * error (*rc < 0). */
V1__ArenaTeamData *at_team_load(stratus_db *db, stratus_req *req, uint32_t id, bool lock,
                                int *rc);
bool at_is_member(const V1__ArenaTeamData *t, uint32_t low);
/* The team of `type` the player is in: 1 (*team) or 0. */
int at_team_of_type(stratus_db *db, uint32_t low, uint32_t type, uint32_t *team);
/* Locks the character's row, so that two roster changes of one player
 * (in teams of one type) cannot both pass their checks. Call it before the
 * transaction's first plain (non-locking) read: InnoDB takes the snapshot
 * of REPEATABLE READ there, and a later snapshot sees the other change. */
int at_lock_player(stratus_db *db, uint32_t low);
/* characters.name ("" when unknown), in the arena. */
int at_char_name(stratus_db *db, stratus_req *req, uint32_t low, const char **name);
int at_member_add(stratus_db *db, uint32_t team, uint32_t low, uint32_t rating, uint32_t slot,
                  uint32_t mmr);
int at_team_delete(stratus_db *db, uint32_t team);
/* Deletes the player's charters and signatures of an arena type. */
int at_drop_charters(stratus_db *db, uint32_t low, uint32_t type);
/* A statement failed on a unique key. */
bool at_duplicate(stratus_db *db, int rc);
/* How many rows a SELECT returned. */
int at_count(stratus_db *db, const char *sql, const stratus_sql_value *params, size_t n,
             uint64_t *count);
/* A statement whose only result is how many rows it changed. */
int at_exec(stratus_db *db, const char *sql, const stratus_sql_value *params, size_t n,
            uint64_t *affected);

/* ---- events.c ----------------------------------------------------------------- */

/* worker: an event to every member of t (and `extra`, when not 0). */
void at_event_set(at_event *ev, const V1__ArenaTeamData *t, uint8_t event, uint32_t guid,
                  uint32_t extra);
/* loop: publishes what the work left (no-op when empty). */
void at_event_publish(stratus_req *req, const at_event *ev);
void at_invite_publish(stratus_req *req, const at_invite *inv);
/* loop: marks members online through the presence owner (when there is one). */
void at_team_presence(stratus_req *req, V1__ArenaTeamData *t);

/* ---- method tables --------------------------------------------------------------- */

extern const stratus_method at_read_methods[];
extern const size_t at_read_methods_n;
extern const stratus_method at_create_methods[];
extern const size_t at_create_methods_n;
extern const stratus_method at_roster_methods[];
extern const size_t at_roster_methods_n;
extern const stratus_method at_admin_methods[];
extern const size_t at_admin_methods_n;

/* Answers an ArenaTeamMutationResponse. */
int at_reply_status(stratus_req *req, uint32_t status);

#endif
