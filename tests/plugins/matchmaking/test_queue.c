/* The matchmaking queue engine (plugins/matchmaking/queue.c, match.c,
 * state.c): slots and refusals, parties, invites and their expiry, the
 * battleground, skirmish and rated matching rules, and the hand-over blob. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stratus/errors.h>

#include "queue.h"

enum { ANY = 0, ALLIANCE = 1, HORDE = 2 };
static const mm_qkey WSG = {.scope = 1, .bracket = 8, .type = 2};
static const mm_qkey AB = {.scope = 1, .bracket = 8, .type = 3};
static const mm_qkey EYE = {.scope = 1, .bracket = 8, .type = 7};
static const mm_qkey SKIRMISH2 = {.scope = MM_SCOPE_BATTLEGROUP | 1, .bracket = 8,
                                  .type = MM_TYPE_ARENA | 2};

static mm_ticket ticket(mm_qkey key, int team, int n, uint32_t first_low) {
  mm_ticket t = {.key = key, .team = (uint8_t)team, .n = (uint8_t)n};
  for (int i = 0; i < n; i++) t.members[i] = (mm_member){.realm = 1, .low = first_low + (uint32_t)i};
  return t;
}

static mm_ticket *add(mm_engine *e, mm_ticket t) {
  mm_ticket *out = NULL;
  assert_int_equal(mm_enqueue(e, &t, 1000, &out), 0);
  return out;
}

static void queueing_twice_or_in_too_many_queues_is_refused(void **state) {
  (void)state;
  mm_engine e;
  mm_engine_init(&e);
  add(&e, ticket(WSG, ALLIANCE, 1, 10));
  mm_ticket again = ticket(WSG, ALLIANCE, 2, 9); /* 9 and 10: 10 already queues for WSG */
  assert_int_equal(mm_enqueue(&e, &again, 1000, NULL), STRATUS_EEXIST);
  assert_null(mm_ticket_of(&e, 1, 9, WSG.type)); /* nothing of the refused party stayed */
  add(&e, ticket(AB, ALLIANCE, 1, 10));
  mm_ticket third = ticket(EYE, ALLIANCE, 1, 10);
  assert_int_equal(mm_enqueue(&e, &third, 1000, NULL), STRATUS_EBUSY);
  mm_ticket twice = ticket(EYE, ALLIANCE, 2, 20);
  twice.members[1] = twice.members[0];
  assert_int_equal(mm_enqueue(&e, &twice, 1000, NULL), STRATUS_EINVAL);
  mm_ticket none = ticket(EYE, ALLIANCE, 0, 20);
  assert_int_equal(mm_enqueue(&e, &none, 1000, NULL), STRATUS_EINVAL);
  mm_ticket *slots[MM_PLAYER_SLOTS];
  assert_int_equal(mm_slots_of(&e, 1, 10, slots), 2);
  assert_int_equal(slots[0]->key.type, WSG.type);
  assert_int_equal(slots[1]->key.type, AB.type);
  assert_int_equal(e.tickets, 2);
  mm_engine_free(&e);
}

static void a_party_member_leaves_alone(void **state) {
  (void)state;
  mm_engine e;
  mm_engine_init(&e);
  mm_ticket *party = add(&e, ticket(WSG, HORDE, 3, 30));
  assert_int_equal(mm_remove_player(&e, 1, 31, WSG.type), 0);
  assert_int_equal(party->n, 2);
  assert_ptr_equal(mm_ticket_of(&e, 1, 32, WSG.type), party);
  assert_null(mm_ticket_of(&e, 1, 31, WSG.type));
  assert_int_equal(mm_remove_player(&e, 1, 31, WSG.type), STRATUS_ENOTFOUND);
  assert_int_equal(mm_remove_player(&e, 1, 30, WSG.type), 0);
  assert_int_equal(mm_remove_player(&e, 1, 32, WSG.type), 0);
  assert_int_equal(e.tickets, 0);
  assert_null(mm_queue_of(&e, WSG)); /* an empty queue goes */
  mm_engine_free(&e);
}

static int expired_count;
static void on_expired(const mm_ticket *t, void *ud) {
  (void)ud;
  assert_int_equal(t->state, MM_INVITED);
  expired_count += t->n;
}

static void invites_expire(void **state) {
  (void)state;
  mm_engine e;
  mm_engine_init(&e);
  mm_ticket *a = add(&e, ticket(WSG, ALLIANCE, 2, 10));
  mm_ticket *b = add(&e, ticket(WSG, HORDE, 1, 20));
  add(&e, ticket(AB, HORDE, 1, 30));
  mm_invite(a, 77, 61000);
  mm_invite(b, 77, 62000);
  expired_count = 0;
  assert_int_equal(mm_expire(&e, 60999, on_expired, NULL), 0);
  assert_int_equal(mm_expire(&e, 61000, on_expired, NULL), 1);
  assert_int_equal(expired_count, 2);
  assert_null(mm_ticket_of(&e, 1, 10, WSG.type));
  assert_int_equal(mm_ticket_of(&e, 1, 20, WSG.type)->instance, 77);
  assert_int_equal(mm_expire(&e, 100000, on_expired, NULL), 1);
  assert_int_equal(e.tickets, 1); /* the AB ticket was never invited */
  mm_engine_free(&e);
}

static void battleground_teams_fill_in_queue_order(void **state) {
  (void)state;
  mm_engine e;
  mm_engine_init(&e);
  mm_ticket *a5 = add(&e, ticket(WSG, ALLIANCE, 5, 100));
  mm_ticket *a6 = add(&e, ticket(WSG, ALLIANCE, 6, 110)); /* does not fit in 10 */
  mm_ticket *a4 = add(&e, ticket(WSG, ALLIANCE, 4, 120));
  mm_ticket *h1 = add(&e, ticket(WSG, HORDE, 1, 200));
  mm_bg_match m;
  assert_false(mm_match_battleground(mm_queue_of(&e, WSG), 2, 10, &m)); /* horde has 1 */
  mm_ticket *h3 = add(&e, ticket(WSG, HORDE, 3, 210));
  assert_true(mm_match_battleground(mm_queue_of(&e, WSG), 2, 10, &m));
  assert_int_equal(m.n[0], 2);
  assert_ptr_equal(m.sides[0][0], a5);
  assert_ptr_equal(m.sides[0][1], a4);
  assert_int_equal(m.players[0], 9);
  assert_ptr_equal(m.sides[1][0], h1);
  assert_ptr_equal(m.sides[1][1], h3);
  mm_invite(a5, 1, 5000); /* invited tickets are not matched again */
  assert_true(mm_match_battleground(mm_queue_of(&e, WSG), 2, 10, &m));
  assert_ptr_equal(m.sides[0][0], a6);
  mm_engine_free(&e);
}

static void skirmish_parties_add_up_to_the_size(void **state) {
  (void)state;
  mm_engine e;
  mm_engine_init(&e);
  mm_ticket *p2 = add(&e, ticket(SKIRMISH2, ANY, 2, 10));
  mm_ticket *s1 = add(&e, ticket(SKIRMISH2, ANY, 1, 20));
  mm_bg_match m;
  assert_false(mm_match_skirmish(mm_queue_of(&e, SKIRMISH2), 2, &m));
  mm_ticket *s2 = add(&e, ticket(SKIRMISH2, ANY, 1, 30));
  assert_true(mm_match_skirmish(mm_queue_of(&e, SKIRMISH2), 2, &m));
  assert_int_equal(m.n[0], 1);
  assert_ptr_equal(m.sides[0][0], p2);
  assert_int_equal(m.n[1], 2);
  assert_ptr_equal(m.sides[1][0], s1);
  assert_ptr_equal(m.sides[1][1], s2);
  mm_engine_free(&e);
}

/* No subset of pairs makes 5: the search must give up without trying every
 * combination of 2,000 tickets (an exhaustive search would not finish). */
static void an_impossible_skirmish_is_found_impossible_quickly(void **state) {
  (void)state;
  static const mm_qkey key = {.scope = 1, .bracket = 8, .type = MM_TYPE_ARENA | 5};
  mm_engine e;
  mm_engine_init(&e);
  for (uint32_t i = 0; i < 2000; i++) add(&e, ticket(key, ANY, 2, 10 + 2 * i));
  mm_bg_match m;
  assert_false(mm_match_skirmish(mm_queue_of(&e, key), 5, &m));
  mm_ticket *solo = add(&e, ticket(key, ANY, 1, 90000));
  mm_ticket *solo2 = add(&e, ticket(key, ANY, 1, 90001));
  assert_true(mm_match_skirmish(mm_queue_of(&e, key), 5, &m)); /* 2+2+1 and 2+2+1 */
  assert_ptr_equal(m.sides[0][2], solo);
  assert_ptr_equal(m.sides[1][2], solo2);
  mm_engine_free(&e);
}

static mm_ticket rated(uint32_t team, uint32_t mmr, uint32_t first_low) {
  static const mm_qkey key = {.scope = 1, .bracket = 8, .type = MM_TYPE_ARENA | MM_TYPE_RATED | 2};
  mm_ticket t = ticket(key, ANY, 2, first_low);
  t.arena_team = team, t.mmr = mmr;
  return t;
}

static bool met_10_and_11(uint32_t a, uint32_t b, void *ud) {
  (void)ud;
  return (a == 10 && b == 11) || (a == 11 && b == 10);
}

static void rated_takes_the_smallest_gap_unless_they_just_met(void **state) {
  (void)state;
  mm_engine e;
  mm_engine_init(&e);
  mm_ticket *t10 = add(&e, rated(10, 1500, 100));
  mm_ticket *t11 = add(&e, rated(11, 1510, 110));
  mm_ticket *t12 = add(&e, rated(12, 1560, 120));
  mm_ticket *t13 = add(&e, rated(13, 1900, 130));
  mm_ticket one = rated(14, 1505, 140);
  one.n = 1; /* not a full team: never matched */
  assert_int_equal(mm_enqueue(&e, &one, 1000, NULL), 0);
  const mm_queue *q = mm_queue_of(&e, t10->key);
  mm_ticket *a = NULL, *b = NULL;
  assert_true(mm_match_rated(q, 2, NULL, NULL, &a, &b));
  assert_ptr_equal(a, t10);
  assert_ptr_equal(b, t11);
  assert_true(mm_match_rated(q, 2, met_10_and_11, NULL, &a, &b));
  assert_ptr_equal(a, t11); /* 1510 vs 1560: the next smallest gap */
  assert_ptr_equal(b, t12);
  (void)t13;
  mm_engine_free(&e);
}

static void the_hand_over_keeps_order_invites_and_sequence(void **state) {
  (void)state;
  mm_engine e, f;
  mm_engine_init(&e);
  add(&e, ticket(WSG, ALLIANCE, 1, 10));
  mm_ticket *party = add(&e, ticket(WSG, HORDE, 3, 20));
  add(&e, ticket(AB, ANY, 1, 10));
  mm_invite(party, 42, 61000);
  void *blob;
  size_t len;
  assert_int_equal(mm_engine_export(&e, &blob, &len), 0);
  mm_engine_init(&f);
  assert_int_equal(mm_engine_import(&f, blob, len), 0);
  assert_int_equal(f.tickets, 3);
  const mm_queue *q = mm_queue_of(&f, WSG);
  assert_int_equal(q->len, 2);
  assert_int_equal(q->head->members[0].low, 10);
  assert_int_equal(q->tail->state, MM_INVITED);
  assert_int_equal(q->tail->instance, 42);
  assert_int_equal(q->tail->expires_ms, 61000);
  assert_int_equal(q->tail->id, party->id);
  mm_ticket *slots[MM_PLAYER_SLOTS];
  assert_int_equal(mm_slots_of(&f, 1, 10, slots), 2);
  mm_ticket *next = add(&f, ticket(EYE, ANY, 1, 99));
  assert_int_equal(next->id, e.next_id); /* the sequence goes on */
  mm_engine g;
  mm_engine_init(&g);
  ((uint8_t *)blob)[3] = MM_STATE_VERSION + 1;
  assert_int_equal(mm_engine_import(&g, blob, len), STRATUS_EINVAL);
  assert_int_equal(mm_engine_import(&g, blob, len - 1), STRATUS_EINVAL);
  assert_int_equal(g.tickets, 0);
  free(blob);
  mm_engine_free(&e);
  mm_engine_free(&f);
  mm_engine_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(queueing_twice_or_in_too_many_queues_is_refused),
      cmocka_unit_test(a_party_member_leaves_alone),
      cmocka_unit_test(invites_expire),
      cmocka_unit_test(battleground_teams_fill_in_queue_order),
      cmocka_unit_test(skirmish_parties_add_up_to_the_size),
      cmocka_unit_test(an_impossible_skirmish_is_found_impossible_quickly),
      cmocka_unit_test(rated_takes_the_smallest_gap_unless_they_just_met),
      cmocka_unit_test(the_hand_over_keeps_order_invites_and_sequence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
