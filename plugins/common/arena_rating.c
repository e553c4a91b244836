/* AzerothCore's arena rating arithmetic; see arena_rating.h. The float
 * arithmetic follows the core's (single precision, ceil) so that results
 * match a worldserver's to the point. */
#include <math.h>

#include "arena_rating.h"

float arena_chance(uint32_t own, uint32_t opponent) {
  return 1.0f / (1.0f + expf(logf(10.0f) * ((float)opponent - (float)own) / 650.0f));
}

int32_t arena_rating_mod(uint32_t own, uint32_t opponent_mmr, bool won) {
  float chance = arena_chance(own, opponent_mmr), mod;
  if (!won) {
    mod = ARENA_LOSE_MOD * -chance;
  } else if (own < 1000) {
    mod = ARENA_WIN_MOD_LOW * (1.0f - chance);
  } else if (own < 1300) {
    float half = ARENA_WIN_MOD_LOW / 2.0f;
    mod = (half + half * (1300.0f - (float)own) / 300.0f) * (1.0f - chance);
  } else {
    mod = ARENA_WIN_MOD_HIGH * (1.0f - chance);
  }
  return (int32_t)ceilf(mod);
}

int32_t arena_mmr_mod(uint32_t own_mmr, uint32_t opponent_mmr, bool won) {
  float chance = arena_chance(own_mmr, opponent_mmr);
  return (int32_t)ceilf(((won ? 1.0f : 0.0f) - chance) * ARENA_MMR_MOD);
}

uint32_t arena_apply(uint32_t rating, int32_t mod) {
  int64_t r = (int64_t)rating + mod;
  return r < 0 ? 0 : (uint32_t)r;
}

uint32_t arena_member_mmr(uint32_t mmr, uint32_t max_mmr, int32_t mod) {
  uint32_t after = arena_apply(mmr, mod);
  int64_t floor = (int64_t)max_mmr - ARENA_MAX_MMR_DROP;
  if (mod < 0 && (int64_t)after < floor && (int64_t)mmr >= floor) after = (uint32_t)floor;
  return after;
}

int arena_slot(uint32_t type) {
  switch (type) {
  case 2: return 0;
  case 3: return 1;
  case 5: return 2;
  default: return -1;
  }
}
