/* Unit tests of the guid plugin's range arithmetic and request checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guid_range.h"

#define LAST GUID_LAST

static guid_range reserve_ok(uint64_t next, uint64_t table_max, uint64_t size) {
  guid_range r = {0, 0, 0};
  assert_int_equal(guid_range_reserve(next, table_max, size, LAST, &r), GUID_RANGE_OK);
  assert_int_equal(r.end - r.start + 1, size);
  assert_int_equal(r.next, r.end + 1);
  return r;
}

static void assert_refused(uint64_t next, uint64_t table_max, uint64_t size,
                           guid_range_result want) {
  guid_range r = {7, 8, 9};
  assert_int_equal(guid_range_reserve(next, table_max, size, LAST, &r), want);
  assert_int_equal(r.start, 7); /* untouched */
  assert_int_equal(r.end, 8);
  assert_int_equal(r.next, 9);
}

static void empty_database_starts_at_one(void **s) {
  (void)s;
  guid_range r = reserve_ok(1, 0, 10);
  assert_int_equal(r.start, 1);
  assert_int_equal(r.end, 10);
  r = reserve_ok(0, 0, 1); /* a zero mark never yields GUID 0 */
  assert_int_equal(r.start, 1);
  assert_int_equal(r.end, 1);
}

static void consecutive_ranges_are_contiguous(void **s) {
  (void)s;
  guid_range a = reserve_ok(1, 0, 10000);
  guid_range b = reserve_ok(a.next, 9000, 200); /* the core used some of a */
  assert_int_equal(b.start, 10001);
  assert_int_equal(b.end, 10200);
}

static void table_max_above_the_mark_bumps_the_start(void **s) {
  (void)s;
  guid_range r = reserve_ok(11, 99, 11); /* someone wrote GUID 99 */
  assert_int_equal(r.start, 100);
  assert_int_equal(r.end, 110);
  r = reserve_ok(11, 10, 5); /* MAX() just below the mark: no bump */
  assert_int_equal(r.start, 11);
  r = reserve_ok(11, 11, 5); /* MAX() at the mark */
  assert_int_equal(r.start, 12);
}

static void the_last_guid_can_be_handed_out(void **s) {
  (void)s;
  guid_range r = reserve_ok(LAST - 9, 0, 10);
  assert_int_equal(r.start, LAST - 9);
  assert_int_equal(r.end, LAST);
  assert_int_equal(r.next, LAST + 1);
  r = reserve_ok(LAST, 0, 1);
  assert_int_equal(r.start, LAST);
  r = reserve_ok(1, LAST - 1, 1);
  assert_int_equal(r.start, LAST);
  r = reserve_ok(1, 0, LAST); /* the whole space at once */
  assert_int_equal(r.start, 1);
  assert_int_equal(r.end, LAST);
}

static void ranges_past_the_last_guid_are_refused_whole(void **s) {
  (void)s;
  assert_refused(LAST - 9, 0, 11, GUID_RANGE_EXHAUSTED); /* never shortened */
  assert_refused(LAST + 1, 0, 1, GUID_RANGE_EXHAUSTED);
  assert_refused(1, LAST, 1, GUID_RANGE_EXHAUSTED);
  assert_refused(1, UINT32_MAX, 1, GUID_RANGE_EXHAUSTED);
  assert_refused(1, 0, LAST + 1, GUID_RANGE_EXHAUSTED);
  assert_refused(1, LAST - 1, 2, GUID_RANGE_EXHAUSTED);
}

static void no_overflow_at_the_edges_of_uint64(void **s) {
  (void)s;
  assert_refused(UINT64_MAX, 0, 1, GUID_RANGE_EXHAUSTED);
  assert_refused(1, UINT64_MAX, 1, GUID_RANGE_EXHAUSTED);
  assert_refused(1, 0, UINT64_MAX, GUID_RANGE_EXHAUSTED);
  assert_refused(UINT64_MAX, UINT64_MAX, UINT64_MAX, GUID_RANGE_EXHAUSTED);
  assert_refused(LAST, 0, UINT64_MAX, GUID_RANGE_EXHAUSTED);
  guid_range r = {0, 0, 0};
  assert_int_equal(guid_range_reserve(2, 0, UINT64_MAX - 1, UINT64_MAX - 1, &r), GUID_RANGE_EXHAUSTED);
  assert_int_equal(guid_range_reserve(1, 0, UINT64_MAX - 1, UINT64_MAX - 1, &r), GUID_RANGE_OK);
  assert_int_equal(r.end, UINT64_MAX - 1);
  assert_int_equal(r.next, UINT64_MAX);
}

static void size_zero_is_empty(void **s) {
  (void)s;
  assert_refused(1, 0, 0, GUID_RANGE_EMPTY);
  assert_refused(LAST + 1, 0, 0, GUID_RANGE_EMPTY);
}

/* A run of reservations with random MAX() bumps: ranges are disjoint,
 * increasing and never below a bump. */
static void random_sequence_is_disjoint(void **s) {
  (void)s;
  uint64_t next = 1, table_max = 0, prev_end = 0, seed = 42;
  for (int i = 0; i < 100000; i++) {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    uint64_t size = 1 + (seed >> 33) % 20000;
    if ((seed >> 20) % 7 == 0) table_max = next + (seed >> 40) % 5000; /* an outside write */
    guid_range r = reserve_ok(next, table_max, size);
    assert_true(r.start > prev_end);
    assert_true(r.start > table_max);
    prev_end = r.end;
    next = r.next;
  }
}

static void check(int type, uint64_t size, bool pool, int want, const char *text) {
  char msg[128] = "";
  assert_int_equal(guid_check_request(7, pool, type, size, 1000, msg, sizeof(msg)), want);
  assert_string_equal(msg, text);
}

static void request_checks(void **s) {
  (void)s;
  check(0, 1, true, 0, "");
  check(2, 1000, true, 0, "");
  check(3, 1, true, 3, "guidType 3 is not Character (0), Item (1) or Instance (2)");
  check(-1, 1, true, 3, "guidType -1 is not Character (0), Item (1) or Instance (2)");
  check(1, 0, true, 3, "desiredPoolSize must be at least 1");
  check(1, 1001, true, 3, "desiredPoolSize 1001 is above max_pool_size 1000");
  check(1, UINT64_MAX, true, 3,
        "desiredPoolSize 18446744073709551615 is above max_pool_size 1000");
  check(1, 5, false, 3, "realm 7 has no [db.characters.7]");
  assert_string_equal(guid_type_name(0), "character");
  assert_string_equal(guid_type_name(1), "item");
  assert_string_equal(guid_type_name(2), "instance");
  assert_null(guid_type_name(3));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_database_starts_at_one),
      cmocka_unit_test(consecutive_ranges_are_contiguous),
      cmocka_unit_test(table_max_above_the_mark_bumps_the_start),
      cmocka_unit_test(the_last_guid_can_be_handed_out),
      cmocka_unit_test(ranges_past_the_last_guid_are_refused_whole),
      cmocka_unit_test(no_overflow_at_the_edges_of_uint64),
      cmocka_unit_test(size_zero_is_empty),
      cmocka_unit_test(random_sequence_is_disjoint),
      cmocka_unit_test(request_checks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
