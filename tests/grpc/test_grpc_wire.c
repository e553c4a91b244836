/* The gRPC transport's pure wire helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_timeout_units(void **state) {
  (void)state;
  assert_int_equal(wire_parse_timeout_ms("5S"), 5000);
  assert_int_equal(wire_parse_timeout_ms("100m"), 100);
  assert_int_equal(wire_parse_timeout_ms("250000u"), 250);
  assert_int_equal(wire_parse_timeout_ms("2H"), 7200000);
  assert_int_equal(wire_parse_timeout_ms("1M"), 60000);
  assert_int_equal(wire_parse_timeout_ms("0S"), 0);
  /* sub-millisecond rounds up */
  assert_int_equal(wire_parse_timeout_ms("500n"), 1);
  assert_int_equal(wire_parse_timeout_ms("1u"), 1);
  assert_int_equal(wire_parse_timeout_ms("1000001n"), 2);
  /* the largest legal value does not overflow */
  assert_int_equal(wire_parse_timeout_ms("99999999H"), 99999999LL * 3600000);
}

static void test_timeout_malformed(void **state) {
  (void)state;
  const char *bad[] = {"", "S", "5", "5s", "5h", "123456789S", "-5S", "5 S",
                       " 5S", "5SS", "x5m", "1.5S"};
  for (size_t i = 0; i < ARRAY_LEN(bad); i++)
    assert_int_equal(wire_parse_timeout_ms(bad[i]), -1);
}

static void check_encode(const char *in, const char *want) {
  char *got = wire_percent_encode(in);
  assert_string_equal(got, want);
  free(got);
}

static void test_percent_encode(void **state) {
  (void)state;
  check_encode("plain text: ok!", "plain text: ok!");
  check_encode("100%", "100%25");
  check_encode("caf\xc3\xa9", "caf%C3%A9");
  check_encode("a\nb\tc\x7f", "a%0Ab%09c%7F");
  check_encode("", "");
}

static void test_percent_encode_cuts_at_char_boundary(void **state) {
  (void)state;
  char *in = xmalloc(WIRE_MESSAGE_MAX + 8);
  memset(in, 'a', WIRE_MESSAGE_MAX - 1);
  /* a 2-byte character straddles the limit: it is dropped whole */
  in[WIRE_MESSAGE_MAX - 1] = '\xc3';
  in[WIRE_MESSAGE_MAX] = '\xa9';
  strcpy(in + WIRE_MESSAGE_MAX + 1, "tail");
  char *got = wire_percent_encode(in);
  assert_int_equal(strlen(got), WIRE_MESSAGE_MAX - 1);
  assert_null(strchr(got, '%'));
  free(got);
  free(in);
}

static void test_content_type(void **state) {
  (void)state;
  assert_true(wire_content_type_ok("application/grpc"));
  assert_true(wire_content_type_ok("application/grpc+proto"));
  assert_true(wire_content_type_ok("application/grpc+json"));
  assert_true(wire_content_type_ok("application/grpc;charset=utf-8"));
  assert_true(wire_content_type_ok("Application/GRPC"));
  assert_false(wire_content_type_ok(NULL));
  assert_false(wire_content_type_ok("application/grpc-web"));
  assert_false(wire_content_type_ok("application/grpcx"));
  assert_false(wire_content_type_ok("application/json"));
  assert_false(wire_content_type_ok(""));
}

static void test_prefix(void **state) {
  (void)state;
  uint8_t p[GRPC_PREFIX];
  wire_put_prefix(p, 0x01020304u);
  assert_memory_equal(p, "\x00\x01\x02\x03\x04", 5);
  assert_int_equal(wire_prefix_len(p), 0x01020304u);
  wire_put_prefix(p, 0xffffffffu);
  assert_int_equal(wire_prefix_len(p), 0xffffffffu);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timeout_units),
      cmocka_unit_test(test_timeout_malformed),
      cmocka_unit_test(test_percent_encode),
      cmocka_unit_test(test_percent_encode_cuts_at_char_boundary),
      cmocka_unit_test(test_content_type),
      cmocka_unit_test(test_prefix),
  };
  return cmocka_run_group_tests_name("grpc_wire", tests, NULL, NULL);
}
