/*
 * AzerothCore's arena rating arithmetic (ArenaTeam.cpp), as PR #37 lists it:
 * pure functions on integers, shared by the matchmaking plugin (rated
 * results) and the arenateam plugin. No host calls.
 *
 *   chance(own, opp)   = 1 / (1 + 10^((opp - own) / 650))
 *   team/personal mod  = K * (won - chance), rounded up (ceil);
 *                        K on a win: 48 below 1000, 24 + 24*(1300-own)/300
 *                        between 1000 and 1300, 24 from 1300; on a loss 24
 *   matchmaker mod     = 24 * (won - chance), rounded up
 *   a loss never takes a member's MMR more than 500 below its max MMR
 *   a draw (time limit): -16 team rating for both teams
 */
#ifndef STRATUS_ARENA_RATING_H
#define STRATUS_ARENA_RATING_H

#include <stdbool.h>
#include <stdint.h>

#define ARENA_WIN_MOD_LOW 48.0f  /* CONFIG_ARENA_WIN_RATING_MODIFIER_1 */
#define ARENA_WIN_MOD_HIGH 24.0f /* CONFIG_ARENA_WIN_RATING_MODIFIER_2 */
#define ARENA_LOSE_MOD 24.0f     /* CONFIG_ARENA_LOSE_RATING_MODIFIER */
#define ARENA_MMR_MOD 24.0f      /* CONFIG_ARENA_MATCHMAKER_RATING_MODIFIER */
#define ARENA_MAX_MMR_DROP 500   /* CONFIG_MAX_ALLOWED_MMR_DROP */
#define ARENA_DRAW_LOSS (-16)    /* ARENA_TIMELIMIT_POINTS_LOSS */

/* The chance that a team rated `own` beats one rated `opponent`. */
float arena_chance(uint32_t own, uint32_t opponent);
/* Change of a team's or a member's rating (against the opponent's MMR). */
int32_t arena_rating_mod(uint32_t own, uint32_t opponent_mmr, bool won);
/* Change of a team's matchmaker rating. */
int32_t arena_mmr_mod(uint32_t own_mmr, uint32_t opponent_mmr, bool won);
/* rating + mod, never below 0. */
uint32_t arena_apply(uint32_t rating, int32_t mod);
/* A member's MMR after `mod`: never below 0, and after a loss never below
 * max_mmr - 500 (unless it already was lower). */
uint32_t arena_member_mmr(uint32_t mmr, uint32_t max_mmr, int32_t mod);
/* The character_arena_stats slot of an arena type (2, 3, 5 -> 0, 1, 2), or
 * -1 for another type. */
int arena_slot(uint32_t type);

#endif
