/* Map assignment and registry IDs: pure functions, checked exhaustively. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ids.h"
#include "mapassign.h"

static const map_weight weights[] = {{0, 100}, {1, 100}, {530, 50}, {571, 120},
                                     {33, 1},  {34, 1},  {36, 1},   {603, 2}};
#define NW (sizeof(weights) / sizeof(weights[0]))

static void setup(assign_server *s, size_t n, char ids[][16]) {
  memset(s, 0, n * sizeof(*s));
  for (size_t i = 0; i < n; i++) {
    snprintf(ids[i], 16, "s%u", (unsigned)i);
    s[i].id = ids[i];
    s[i].is_new = true;
  }
}

static void release(assign_server *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    mapset_free(&s[i].assigned);
    mapset_free(&s[i].pending);
  }
}

/* Every weighted map goes to exactly `copies` servers. */
static void assert_each_map_once(assign_server *s, size_t n) {
  for (size_t w = 0; w < NW; w++) {
    int owners = 0;
    for (size_t i = 0; i < n; i++) owners += mapset_has(&s[i].assigned, weights[w].map);
    if (owners != 1) fail_msg("map %u has %d owners", weights[w].map, owners);
  }
}

static void test_one_all_maps_server_gets_everything(void **state) {
  (void)state;
  assign_server s[1];
  char ids[1][16];
  setup(s, 1, ids);
  map_assign(s, 1, weights, NW, NULL, 0);
  assert_int_equal(s[0].assigned.n, NW);
  assert_int_equal(s[0].pending.n, 0); /* a new server: routable at once */
  release(s, 1);
}

static void test_bin_packing_over_two_and_five(void **state) {
  (void)state;
  for (size_t n = 2; n <= 5; n += 3) {
    assign_server s[5];
    char ids[5][16];
    setup(s, n, ids);
    map_assign(s, n, weights, NW, NULL, 0);
    assert_each_map_once(s, n);
    release(s, n);
    /* with the real weights every server gets work */
    setup(s, n, ids);
    map_assign(s, n, default_map_weights, default_map_weight_count, NULL, 0);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
      assert_true(s[i].assigned.n > 0);
      total += s[i].assigned.n;
    }
    assert_int_equal(total, default_map_weight_count);
    release(s, n);
  }
  /* two servers: Northrend (120) alone or with small maps, the two 100s apart */
  assign_server s[2];
  char ids[2][16];
  setup(s, 2, ids);
  map_assign(s, 2, weights, NW, NULL, 0);
  assert_true(mapset_has(&s[0].assigned, 571));
  assert_false(mapset_has(&s[0].assigned, 0) && mapset_has(&s[0].assigned, 1));
  release(s, 2);
}

static void test_explicit_lists_win_and_leave_the_pool(void **state) {
  (void)state;
  assign_server s[3];
  char ids[3][16];
  setup(s, 3, ids);
  mapset a = {0}, b = {0};
  mapset_add(&a, 571);
  mapset_add(&a, 9999); /* not weighted: explicit servers still get it */
  mapset_add(&b, 571);
  s[0].available = &a;
  s[1].available = &b;
  map_assign(s, 3, weights, NW, NULL, 0);
  assert_int_equal(s[0].assigned.n, 2);
  assert_int_equal(s[1].assigned.n, 1);
  assert_false(mapset_has(&s[2].assigned, 571)); /* claimed by explicit servers */
  assert_int_equal(s[2].assigned.n, NW - 1);
  mapset_free(&a);
  mapset_free(&b);
  release(s, 3);
}

static void test_layers_on_distinct_servers(void **state) {
  (void)state;
  assign_server s[5];
  char ids[5][16];
  setup(s, 5, ids);
  const map_layers layers[] = {{0, 3}, {530, 9}};
  map_assign(s, 5, weights, NW, layers, 2);
  int zero = 0, outland = 0;
  for (size_t i = 0; i < 5; i++) {
    zero += mapset_has(&s[i].assigned, 0);
    outland += mapset_has(&s[i].assigned, 530);
  }
  assert_int_equal(zero, 3);
  assert_int_equal(outland, 5); /* nine asked, five servers exist */
  release(s, 5);
}

static void test_layers_prefer_servers_that_list_the_map(void **state) {
  (void)state;
  assign_server s[3];
  char ids[3][16];
  setup(s, 3, ids);
  mapset lists = {0};
  for (size_t w = 0; w < NW; w++) mapset_add(&lists, weights[w].map);
  s[2].available = &lists; /* s2 lists everything: many maps, yet it keeps 0 */
  const map_layers layers[] = {{0, 2}};
  map_assign(s, 3, weights, NW, layers, 1);
  assert_true(mapset_has(&s[2].assigned, 0));
  int owners = mapset_has(&s[0].assigned, 0) + mapset_has(&s[1].assigned, 0);
  assert_int_equal(owners, 1);
  mapset_free(&lists);
  release(s, 3);
}

static void test_gained_maps_are_pending_until_loaded(void **state) {
  (void)state;
  assign_server s[2];
  char ids[2][16];
  setup(s, 2, ids);
  map_assign(s, 1, weights, NW, NULL, 0); /* s0 alone takes everything */
  mapset old0 = {0}, pend0 = {0};
  mapset_copy(&old0, &s[0].assigned);
  s[0].is_new = false;
  s[0].old_assigned = &old0;
  s[0].old_pending = &pend0;
  map_assign(s, 2, weights, NW, NULL, 0); /* s1 joins */
  assert_int_equal(s[0].pending.n, 0);    /* s0 only lost maps */
  assert_int_equal(s[1].pending.n, 0);    /* s1 is new */
  mapset old1 = {0};
  mapset_copy(&old1, &s[1].assigned);
  mapset_copy(&old0, &s[0].assigned);
  s[1].is_new = false;
  s[1].old_assigned = &old1;
  s[1].old_pending = &pend0;
  map_assign(s, 1, weights, NW, NULL, 0); /* only s0 now: it regains s1's maps */
  assert_int_equal(s[0].pending.n, old1.n);
  for (size_t i = 0; i < old1.n; i++) assert_true(mapset_has(&s[0].pending, old1.ids[i]));
  mapset_free(&old0);
  mapset_free(&old1);
  release(s, 2);
}

static void test_ids_and_aliases(void **state) {
  (void)state;
  char id[16], alias[48], again[48];
  registry_id("127.0.0.1:9501", id, sizeof(id));
  assert_string_equal(id, "3632450545"); /* ToCloud9's documented example */
  registry_id("127.0.0.1:9501", id, sizeof(id));
  registry_alias("127.0.0.1:9501", alias, sizeof(alias));
  registry_alias("127.0.0.1:9501", again, sizeof(again));
  assert_string_equal(alias, again);
  assert_int_equal(registry_fnv1a32_lower("Host:1"), registry_fnv1a32_lower("host:1"));
  char *hp = registry_host_port("::1", 8085);
  assert_string_equal(hp, "[::1]:8085");
  free(hp);
}

static void test_parse_available_maps(void **state) {
  (void)state;
  mapset m = {0};
  assert_int_equal(mapset_parse(&m, "0,1, 530,571"), 0);
  assert_int_equal(m.n, 4);
  mapset_clear(&m);
  assert_int_equal(mapset_parse(&m, "0,x,-1,5a"), 3);
  assert_int_equal(m.n, 1);
  mapset_clear(&m);
  assert_int_equal(mapset_parse(&m, ""), 0);
  assert_int_equal(m.n, 0);
  mapset_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_all_maps_server_gets_everything),
      cmocka_unit_test(test_bin_packing_over_two_and_five),
      cmocka_unit_test(test_explicit_lists_win_and_leave_the_pool),
      cmocka_unit_test(test_layers_on_distinct_servers),
      cmocka_unit_test(test_layers_prefer_servers_that_list_the_map),
      cmocka_unit_test(test_gained_maps_are_pending_until_loaded),
      cmocka_unit_test(test_ids_and_aliases),
      cmocka_unit_test(test_parse_available_maps),
  };
  return cmocka_run_group_tests_name("mapassign", tests, NULL, NULL);
}
