/*
 * matchmaking: MatchmakingService. Today it serves FinishRatedArenaMatch
 * (rated arena results applied exactly once, both teams in one
 * transaction); the queue methods are not registered yet and answer
 * UNIMPLEMENTED (see README.md). Internal header of the plugin's files.
 */
#ifndef STRATUS_MATCHMAKING_H
#define STRATUS_MATCHMAKING_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/proto/matchmaking/matchmaking.pb-c.h>
#include <stratus/stratus.h>

typedef struct mm_config {
  int64_t start_mmr; /* a member's MMR before its first rated game */
} mm_config;

typedef struct mm {
  const mm_config *cfg;
  stratus_ctx *ctx;
} mm;

extern const stratus_host_api *mm_host;
#define HOST mm_host

/* ---- arena_finish.c ---------------------------------------------------------- */
extern const stratus_method mm_arena_methods[];
extern const size_t mm_arena_methods_n;

/* ---- arena_ledger.c (worker, inside the result's transaction) ---------------------
 * stratus_arena_match_result: one row per finished match, holding the
 * packed response of the first call. */

/* 1 and *out (unpacked into the call's arena) when `key` was applied before. */
int mm_result_find(stratus_db *db, stratus_req *req, const char *key,
                   V1__FinishRatedArenaMatchResponse **out);
int mm_result_record(stratus_db *db, stratus_req *req, const char *key, uint32_t alliance_team,
                     uint32_t horde_team, const V1__FinishRatedArenaMatchResponse *resp);

#endif
