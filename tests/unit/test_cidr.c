/* Address ranges for [registry] allow_from and preferred_hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"

static void test_parse(void **state) {
  (void)state;
  cidr c;
  char err[200];
  assert_int_equal(cidr_parse("10.0.0.0/8", &c, err, sizeof(err)), 0);
  assert_int_equal(c.prefix, 8);
  assert_int_equal(cidr_parse("127.0.0.1", &c, err, sizeof(err)), 0);
  assert_int_equal(c.prefix, 32);
  assert_int_equal(cidr_parse("fc00::/7", &c, err, sizeof(err)), 0);
  assert_int_equal(cidr_parse("::/0", &c, err, sizeof(err)), 0);
  assert_int_not_equal(cidr_parse("10.0.0.1/8", &c, err, sizeof(err)), 0);
  assert_non_null(strstr(err, "bits set"));
  const char *bad[] = {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8",
                       "host.example.org", "::1/129", "10.0.0.0/8x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
    assert_int_not_equal(cidr_parse(bad[i], &c, err, sizeof(err)), 0);
}

static void test_match(void **state) {
  (void)state;
  const char *ranges[] = {"10.0.0.0/8", "192.168.1.0/25", "::1", "fd00::/8", NULL};
  assert_true(cidr_list_match(ranges, "10.255.0.1"));
  assert_true(cidr_list_match(ranges, "192.168.1.127"));
  assert_false(cidr_list_match(ranges, "192.168.1.128"));
  assert_false(cidr_list_match(ranges, "11.0.0.1"));
  assert_true(cidr_list_match(ranges, "::1"));
  assert_false(cidr_list_match(ranges, "::2"));
  assert_true(cidr_list_match(ranges, "fd12:3456::1"));
  assert_true(cidr_list_match(ranges, "::ffff:10.1.2.3")); /* IPv4-mapped */
  assert_false(cidr_list_match(ranges, "example.org"));
  assert_false(cidr_list_match(ranges, NULL));
  const char *none[] = {NULL};
  assert_false(cidr_list_match(none, "10.0.0.1"));
  const char *all[] = {"0.0.0.0/0", NULL};
  assert_true(cidr_list_match(all, "203.0.113.9"));
  assert_false(cidr_list_match(all, "2001:db8::1"));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse),
                                     cmocka_unit_test(test_match)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
