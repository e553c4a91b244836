/* The gRPC transport's pure wire helpers, and the client's target parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client_internal.h"
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


static void check_format(int64_t ms, const char *want) {
  char got[WIRE_TIMEOUT_LEN];
  wire_format_timeout(ms, got);
  assert_string_equal(got, want);
  /* what is sent parses back to at least the time asked for */
  assert_true(wire_parse_timeout_ms(got) >= ms);
}

static void test_timeout_format(void **state) {
  (void)state;
  check_format(5000, "5000m");
  check_format(1, "1m");
  check_format(0, "0m");
  check_format(99999999, "99999999m");
  check_format(100000000, "100000S");
  check_format(100000001, "100001S"); /* rounds up */
  check_format(99999999LL * 1000 + 1, "1666667M");
  char got[WIRE_TIMEOUT_LEN];
  wire_format_timeout(INT64_MAX / 2, got); /* beyond what the header can say */
  assert_string_equal(got, "99999999H");
}

static void check_decode(const char *in, const char *want) {
  char *got = wire_percent_decode(in);
  assert_string_equal(got, want);
  free(got);
}

static void test_percent_decode(void **state) {
  (void)state;
  check_decode("plain", "plain");
  check_decode("100%25", "100%");
  check_decode("caf%C3%A9 %e2%9c%93", "caf\xc3\xa9 \xe2\x9c\x93");
  check_decode("a%0Ab", "a\nb");
  /* malformed escapes pass through */
  check_decode("100%", "100%");
  check_decode("%4", "%4");
  check_decode("%zz%4g", "%zz%4g");
  check_decode("", "");
  /* what the server encodes decodes back */
  const char *text = "status: 100% s\xc3\xbbr\n\x01\x7f end";
  char *enc = wire_percent_encode(text);
  check_decode(enc, text);
  free(enc);
}

static void test_http_status_mapping(void **state) {
  (void)state;
  assert_int_equal(wire_grpc_from_http(400), GRPC_INTERNAL);
  assert_int_equal(wire_grpc_from_http(401), GRPC_UNAUTHENTICATED);
  assert_int_equal(wire_grpc_from_http(403), GRPC_PERMISSION_DENIED);
  assert_int_equal(wire_grpc_from_http(404), GRPC_UNIMPLEMENTED);
  assert_int_equal(wire_grpc_from_http(429), GRPC_UNAVAILABLE);
  assert_int_equal(wire_grpc_from_http(502), GRPC_UNAVAILABLE);
  assert_int_equal(wire_grpc_from_http(503), GRPC_UNAVAILABLE);
  assert_int_equal(wire_grpc_from_http(504), GRPC_UNAVAILABLE);
  assert_int_equal(wire_grpc_from_http(500), GRPC_UNKNOWN);
  assert_int_equal(wire_grpc_from_http(302), GRPC_UNKNOWN);
  assert_int_equal(wire_grpc_from_http(0), GRPC_UNKNOWN);
  assert_int_equal(wire_grpc_from_h2_error(NGHTTP2_REFUSED_STREAM), GRPC_UNAVAILABLE);
  assert_int_equal(wire_grpc_from_h2_error(NGHTTP2_CANCEL), GRPC_CANCELLED);
  assert_int_equal(wire_grpc_from_h2_error(NGHTTP2_ENHANCE_YOUR_CALM), GRPC_RESOURCE_EXHAUSTED);
  assert_int_equal(wire_grpc_from_h2_error(NGHTTP2_INADEQUATE_SECURITY),
                   GRPC_PERMISSION_DENIED);
  assert_int_equal(wire_grpc_from_h2_error(NGHTTP2_PROTOCOL_ERROR), GRPC_INTERNAL);
  assert_int_equal(wire_grpc_from_h2_error(NGHTTP2_NO_ERROR), GRPC_INTERNAL);
}

static void check_target(const char *target, const char *host, const char *port) {
  char *h = NULL, *p = NULL;
  assert_int_equal(client_parse_target(target, &h, &p), 0);
  assert_string_equal(h, host);
  assert_string_equal(p, port);
  free(h);
  free(p);
}

static void test_client_targets(void **state) {
  (void)state;
  check_target("127.0.0.1:8999", "127.0.0.1", "8999");
  check_target("[::1]:50051", "::1", "50051");
  check_target("[fe80::1:2]:1", "fe80::1:2", "1");
  check_target("localhost:65535", "localhost", "65535");
  check_target("guid-service.cluster_1.local:9000", "guid-service.cluster_1.local", "9000");
  const char *bad[] = {"", "nonsense", "host:", ":80", "[::1", "[::1]80", "[::1]:",
                       "[nothost]:80", "1.2.3.4:99999", "1.2.3.4:0", "a b:80", "::1:80",
                       "host:8x", "host:-1", "host:+80", "host:123456", "h\x01:80"};
  for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
    char *h = NULL, *p = NULL;
    assert_int_equal(client_parse_target(bad[i], &h, &p), STRATUS_EINVAL);
    assert_null(h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timeout_units),
      cmocka_unit_test(test_timeout_malformed),
      cmocka_unit_test(test_percent_encode),
      cmocka_unit_test(test_percent_encode_cuts_at_char_boundary),
      cmocka_unit_test(test_content_type),
      cmocka_unit_test(test_prefix),
      cmocka_unit_test(test_timeout_format),
      cmocka_unit_test(test_percent_decode),
      cmocka_unit_test(test_http_status_mapping),
      cmocka_unit_test(test_client_targets),
  };
  return cmocka_run_group_tests_name("grpc_wire", tests, NULL, NULL);
}
