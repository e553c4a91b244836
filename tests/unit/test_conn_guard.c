/* Admission of connections (host/conn_guard.c): the cap, shedding idle
 * connections of the listener or (when descriptors run short) of another,
 * refusals, the one-log-line state, and the descriptor reserve measured
 * against a lowered RLIMIT_NOFILE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "conn_guard.h"

static int idle_a, idle_b; /* idle connections each listener could close */
static uint64_t age_a = 10, age_b = 20; /* when their oldest was accepted */

static uint64_t oldest_a(void) { return idle_a > 0 ? age_a : UINT64_MAX; }
static uint64_t oldest_b(void) { return idle_b > 0 ? age_b : UINT64_MAX; }
static void shed_a(void) { idle_a--; }
static void shed_b(void) { idle_b--; }

static conn_guard a = {.name = "a", .limit_key = "[a] max", .oldest_idle = oldest_a,
                       .shed_oldest = shed_a};
static conn_guard b = {.name = "b", .limit_key = "[b] max", .oldest_idle = oldest_b,
                       .shed_oldest = shed_b};

/* A new connection on g, as the listeners do: counted, then admitted. */
static bool arrive(conn_guard *g, int fd) {
  conn_guard_opened(g);
  bool ok = conn_guard_admit(g, fd);
  if (!ok) conn_guard_closed(g);
  return ok;
}

static void test_cap_sheds_then_refuses(void **state) {
  (void)state;
  conn_guard_register(&a);
  conn_guard_register(&b);
  a.max = 3;
  for (int i = 0; i < 3; i++) assert_true(arrive(&a, 5));
  assert_false(a.limited);
  idle_a = 1;
  idle_b = 5;
  assert_true(arrive(&a, 5)); /* one idle connection of a is closed for it */
  assert_int_equal(a.shed, 1);
  assert_true(a.limited);
  conn_guard_closed(&a); /* what shed_a closed */
  assert_false(arrive(&a, 5)); /* nothing idle on a: b's are not a's to close */
  assert_int_equal(a.refused, 1);
  assert_int_equal(idle_b, 5);
  assert_int_equal(a.open, 3);
  /* the episode ends only clearly below the cap */
  conn_guard_closed(&a);
  conn_guard_closed(&a);
  assert_true(arrive(&a, 5));
  assert_false(a.limited);
}

static void test_descriptors_short_sheds_anywhere(void **state) {
  (void)state;
  struct rlimit old, low = {.rlim_cur = 48, .rlim_max = 0};
  getrlimit(RLIMIT_NOFILE, &old);
  low.rlim_max = old.rlim_max;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  conn_guard_set_reserve(8);
  int fds[64], n = 0, fd;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd < 44) fds[n++] = fd;
  assert_true(fd >= 0);
  fds[n++] = fd; /* 45 in use now, with stdio: fewer than 8 left */
  b.max = 0;
  b.open = b.shed = b.refused = 0;
  b.limited = false;
  idle_a = 2;
  idle_b = 0;
  idle_b = 1;
  uint64_t a_shed = a.shed;
  assert_true(arrive(&b, fd)); /* a's idle connection is older than b's: it goes */
  assert_int_equal(a.shed, a_shed + 1);
  assert_int_equal(idle_a, 1);
  assert_int_equal(idle_b, 1);
  assert_true(b.limited);
  idle_a = 0;
  assert_true(arrive(&b, fd)); /* then b's own */
  assert_int_equal(b.shed, 1);
  assert_false(arrive(&b, fd));
  assert_int_equal(b.refused, 1);
  for (int i = 0; i < n; i++) close(fds[i]);
  assert_true(arrive(&b, 3)); /* plenty again */
  setrlimit(RLIMIT_NOFILE, &old);
}

static void test_accept_errors_counted(void **state) {
  (void)state;
  conn_guard_accept_failed(&a, UV_EMFILE);
  conn_guard_accept_failed(&a, UV_EMFILE);
  assert_int_equal(a.accept_errors, 2);
  assert_true(a.accept_failing);
  a.max = 0;
  assert_true(arrive(&a, 5));
  assert_false(a.accept_failing);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cap_sheds_then_refuses),
      cmocka_unit_test(test_descriptors_short_sheds_anywhere),
      cmocka_unit_test(test_accept_errors_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
