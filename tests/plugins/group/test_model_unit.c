/* Unit tests of the group plugin's rules without a database (group_model.c):
 * capacity, subgroups, roles, wire GUIDs across realms, and who leads next.
 * Presence comes from a fake host table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "group.h"

const stratus_host_api *group_host;

/* Online: (realm, low) pairs; a NULL list means no presence owner. */
static const gplayer *online_set;
static size_t online_n;

static int fake_by_guid(stratus_ctx *ctx, uint32_t realm, uint32_t low,
                        stratus_presence_each each, void *ud) {
  (void)ctx;
  if (!online_set) return STRATUS_ENOTSUP;
  for (size_t i = 0; i < online_n; i++)
    if (online_set[i].realm == realm && online_set[i].low == low) {
      stratus_presence p = {.struct_size = sizeof(p), .realm = realm, .low = low};
      each(&p, ud);
      return 1;
    }
  return 0;
}

static stratus_host_api fake;

static int setup(void **state) {
  (void)state;
  memset(&fake, 0, sizeof(fake));
  fake.hdr.struct_size = sizeof(fake);
  fake.presence_by_guid = fake_by_guid;
  group_host = &fake;
  online_set = NULL;
  online_n = 0;
  return 0;
}

static void add(ggroup *g, uint32_t realm, uint32_t low, uint32_t flags, uint32_t sub) {
  g->members[g->n++] = (gmember){.realm = realm, .low = low, .flags = flags, .subgroup = sub};
}

static void test_capacity_and_subgroups(void **state) {
  (void)state;
  ggroup g = {.realm = 1, .id = 7};
  assert_int_equal(group_capacity(&g), 5);
  assert_int_equal(group_free_subgroup(&g), 0);
  g.group_type = GROUP_TYPE_RAID;
  assert_int_equal(group_capacity(&g), 40);
  for (uint32_t i = 0; i < 5; i++) add(&g, 1, 10 + i, 0, 0);
  assert_int_equal(group_subgroup_count(&g, 0), 5);
  assert_int_equal(group_free_subgroup(&g), 1);
  for (uint32_t s = 1; s < 8; s++)
    for (uint32_t i = 0; i < 5; i++) add(&g, 2, s * 10 + i, 0, s);
  assert_int_equal(g.n, 40);
  assert_int_equal(group_free_subgroup(&g), 0); /* none free: callers check the size first */
}

static void test_roles(void **state) {
  (void)state;
  ggroup g = {.realm = 1, .leader = {1, 5}};
  add(&g, 1, 5, 0, 0);
  add(&g, 2, 5, MEMBER_ASSISTANT, 0);
  add(&g, 3, 9, MEMBER_MAIN_TANK, 0);
  assert_true(group_is_leader(&g, (gplayer){1, 5}));
  assert_false(group_is_leader(&g, (gplayer){2, 5})); /* same low GUID, other realm */
  assert_true(group_is_leader_or_assistant(&g, (gplayer){2, 5}));
  assert_false(group_is_leader_or_assistant(&g, (gplayer){3, 9}));
  assert_null(group_member(&g, (gplayer){3, 5}));
}

static void test_wire_guids(void **state) {
  (void)state;
  ggroup g = {.realm = 2};
  assert_int_equal(group_wire_guid(&g, (gplayer){2, 42}), 42);
  assert_int_equal(group_wire_guid(&g, (gplayer){1, 42}), (1ull << 32) | 42);
  assert_int_equal(group_wire_guid(&g, (gplayer){0, 0}), 0);
}

static void test_next_leader(void **state) {
  (void)state;
  ggroup g = {.realm = 1, .leader = {1, 1}, .group_type = GROUP_TYPE_RAID};
  add(&g, 1, 1, 0, 0);
  add(&g, 1, 2, 0, 0);
  add(&g, 2, 3, 0, 0);
  add(&g, 3, 4, MEMBER_ASSISTANT, 0);
  gjob j = {0};
  /* nobody online: the first member after the old leader */
  gplayer next = group_next_leader(&j, &g, (gplayer){1, 1}, true);
  assert_true(gplayer_eq(next, (gplayer){1, 2}));
  /* online members: the first online one */
  j.online[j.n_online++] = (gplayer){2, 3};
  next = group_next_leader(&j, &g, (gplayer){1, 1}, true);
  assert_true(gplayer_eq(next, (gplayer){2, 3}));
  /* an online assistant first in a raid, not in a party */
  j.online[j.n_online++] = (gplayer){3, 4};
  next = group_next_leader(&j, &g, (gplayer){1, 1}, true);
  assert_true(gplayer_eq(next, (gplayer){3, 4}));
  next = group_next_leader(&j, &g, (gplayer){1, 1}, false);
  assert_true(gplayer_eq(next, (gplayer){2, 3}));
}

static void test_receivers_without_presence(void **state) {
  (void)state;
  group_plugin p = {0};
  /* no owner: nobody is online, everyone receives */
  assert_false(group_online(&p, 1, 1));
  assert_true(group_receiver(&p, 1, 1));
  static const gplayer on[] = {{1, 1}};
  online_set = on;
  online_n = 1;
  assert_true(group_online(&p, 1, 1));
  assert_false(group_online(&p, 2, 1));
  assert_false(group_receiver(&p, 2, 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_capacity_and_subgroups, setup),
      cmocka_unit_test_setup(test_roles, setup),
      cmocka_unit_test_setup(test_wire_guids, setup),
      cmocka_unit_test_setup(test_next_leader, setup),
      cmocka_unit_test_setup(test_receivers_without_presence, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
