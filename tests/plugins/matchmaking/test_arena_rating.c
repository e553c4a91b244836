/* AzerothCore's arena rating arithmetic (plugins/common/arena_rating.c)
 * against worked examples computed by hand from the formulas of
 * ArenaTeam.cpp (PR #37 §2.11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arena_rating.h"

static void equal_ratings_split_the_chance(void **state) {
  (void)state;
  assert_true(arena_chance(1500, 1500) > 0.4999f && arena_chance(1500, 1500) < 0.5001f);
  assert_int_equal(arena_rating_mod(1500, 1500, true), 12);   /* 24 * 0.5 */
  assert_int_equal(arena_rating_mod(1500, 1500, false), -12); /* 24 * -0.5 */
  assert_int_equal(arena_mmr_mod(1500, 1500, false), -12);
}

static void win_modifier_scales_between_1000_and_1300(void **state) {
  (void)state;
  /* below 1000: 48 * (1 - 0.0049) = 47.76 -> 48 */
  assert_int_equal(arena_rating_mod(0, 1500, true), 48);
  /* at 1000: (24 + 24 * 300/300) * (1 - 0.14539) = 41.02 -> 42 */
  assert_int_equal(arena_rating_mod(1000, 1500, true), 42);
  /* at 1150: (24 + 24 * 150/300) * 0.5 = 18 */
  assert_int_equal(arena_rating_mod(1150, 1150, true), 18);
  /* from 1300: 24 * (1 - 0.6700) = 7.92 -> 8 */
  assert_int_equal(arena_rating_mod(1500, 1300, true), 8);
}

static void losses_round_towards_zero(void **state) {
  (void)state;
  /* 24 * -0.85461 = -20.51 -> ceil -20 */
  assert_int_equal(arena_rating_mod(2000, 1500, false), -20);
  /* 24 * -0.6700 = -16.08 -> -16 */
  assert_int_equal(arena_rating_mod(1500, 1300, false), -16);
}

static void matchmaker_rating_against_a_stronger_team(void **state) {
  (void)state;
  /* chance(1500, 1700) = 0.32983: win 24 * 0.67017 = 16.08 -> 17,
   * loss 24 * -0.32983 = -7.92 -> -7 */
  assert_int_equal(arena_mmr_mod(1500, 1700, true), 17);
  assert_int_equal(arena_mmr_mod(1500, 1700, false), -7);
}

static void ratings_never_drop_below_zero(void **state) {
  (void)state;
  assert_int_equal(arena_apply(10, ARENA_DRAW_LOSS), 0);
  assert_int_equal(arena_apply(1500, ARENA_DRAW_LOSS), 1484);
  assert_int_equal(arena_apply(1500, 12), 1512);
}

static void mmr_drop_is_limited_to_500_below_the_max(void **state) {
  (void)state;
  assert_int_equal(arena_member_mmr(1600, 2100, -12), 1600); /* held at 2100 - 500 */
  assert_int_equal(arena_member_mmr(1700, 2100, -12), 1688); /* above the floor */
  assert_int_equal(arena_member_mmr(1500, 2100, -12), 1488); /* already below: no jump up */
  assert_int_equal(arena_member_mmr(1600, 2100, 17), 1617);
  assert_int_equal(arena_member_mmr(5, 100, -12), 0);
}

static void slots_of_arena_types(void **state) {
  (void)state;
  assert_int_equal(arena_slot(2), 0);
  assert_int_equal(arena_slot(3), 1);
  assert_int_equal(arena_slot(5), 2);
  assert_int_equal(arena_slot(4), -1);
  assert_int_equal(arena_slot(0), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(equal_ratings_split_the_chance),
      cmocka_unit_test(win_modifier_scales_between_1000_and_1300),
      cmocka_unit_test(losses_round_towards_zero),
      cmocka_unit_test(matchmaker_rating_against_a_stronger_team),
      cmocka_unit_test(ratings_never_drop_below_zero),
      cmocka_unit_test(mmr_drop_is_limited_to_500_below_the_max),
      cmocka_unit_test(slots_of_arena_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
