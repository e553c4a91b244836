/*
 * Arena team stats on a realm's characters database (AzerothCore's
 * arena_team, arena_team_member, character_arena_stats), shared by the
 * matchmaking plugin (FinishRatedArenaMatch) and the arenateam plugin
 * (SaveArenaTeamStats). Worker thread only, inside the caller's transaction;
 * `host` is the plugin's host API table. Return 0 or a negative STRATUS_E*.
 *
 * Locking rule: the arena_team row is the lock of the team, its members and
 * their stats. Every writer locks it first (arena_team_lock); the member
 * reads are plain reads, so they take no gap locks that would deadlock two
 * teams' inserts into character_arena_stats. Lock every team a transaction
 * touches (lowest ID first) before its first plain read: InnoDB takes the
 * read snapshot there.
 */
#ifndef STRATUS_ARENA_SQL_H
#define STRATUS_ARENA_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <stratus/stratus.h>

#define ARENA_NAME_MAX 24
#define ARENA_ROSTER_MAX 10 /* twice the largest team size */

typedef struct arena_team_row {
  uint32_t id, type, captain, rating, rank;
  uint32_t week_games, week_wins, season_games, season_wins;
  char name[ARENA_NAME_MAX * 4 + 1]; /* UTF-8 */
} arena_team_row;

typedef struct arena_member_row {
  uint32_t guid; /* low GUID on the team's realm */
  uint32_t personal_rating, week_games, week_wins, season_games, season_wins;
  uint32_t mmr, max_mmr; /* character_arena_stats of the team's slot */
} arena_member_row;

/* The team row, locked FOR UPDATE: 1 when found, 0 when not. */
int arena_team_lock(const stratus_host_api *host, stratus_db *db, uint32_t team_id,
                    arena_team_row *out);

/* After arena_team_lock: every member with its MMR in `slot` (start_mmr when it has no stats row),
 * at most ARENA_ROSTER_MAX into out[], their number into *n. */
int arena_members_read(const stratus_host_api *host, stratus_db *db, uint32_t team_id, int slot,
                       uint32_t start_mmr, arena_member_row *out, size_t *n);

/* Writes a team's rating, games and wins, its rank among the teams of its
 * type, and the given members' stats and their character_arena_stats row of
 * `slot`. Members not listed are not touched. */
int arena_team_stats_save(const stratus_host_api *host, stratus_db *db, arena_team_row *team,
                          const arena_member_row *members, size_t n, int slot);

#endif
