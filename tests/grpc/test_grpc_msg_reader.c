/* The reassembly of one length-prefixed gRPC message that the server (the
 * request) and the client (the reply) share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

#define LIMIT 16

/* The message with its prefix, as a peer sends it. */
static size_t framed(uint8_t flags, const char *msg, uint8_t *out) {
  size_t len = strlen(msg);
  wire_put_prefix(out, (uint32_t)len);
  out[0] = flags;
  memcpy(out + GRPC_PREFIX, msg, len);
  return GRPC_PREFIX + len;
}

static void test_one_chunk(void **state) {
  (void)state;
  grpc_msg_reader r = {0};
  uint8_t wire[64];
  size_t n = framed(0, "hello", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_COMPLETE);
  assert_int_equal(r.msg_len, 5);
  assert_memory_equal(r.msg, "hello", 5);
  grpc_msg_reader_reset(&r);
}

static void test_byte_by_byte(void **state) {
  (void)state;
  grpc_msg_reader r = {0};
  uint8_t wire[64];
  size_t n = framed(0, "split up", wire);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(grpc_msg_reader_feed(&r, wire + i, 1, LIMIT), GRPC_MSG_MORE);
    if (i + 1 < n) assert_int_not_equal(grpc_msg_reader_end(&r), GRPC_MSG_COMPLETE);
  }
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_COMPLETE);
  assert_memory_equal(r.msg, "split up", 8);
  grpc_msg_reader_reset(&r);
}

static void test_empty_message(void **state) {
  (void)state;
  grpc_msg_reader r = {0};
  uint8_t wire[GRPC_PREFIX];
  framed(0, "", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, sizeof(wire), LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_COMPLETE);
  assert_int_equal(r.msg_len, 0);
  assert_non_null(r.msg);
  grpc_msg_reader_reset(&r);
}

static void test_flags(void **state) {
  (void)state;
  uint8_t wire[64];
  grpc_msg_reader r = {0};
  size_t n = framed(1, "zipped", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_COMPRESSED);
  grpc_msg_reader_reset(&r);
  n = framed(0x80, "odd", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_BAD_FLAGS);
  assert_int_equal(r.prefix[0], 0x80);
  grpc_msg_reader_reset(&r);
}

static void test_size_limit(void **state) {
  (void)state;
  uint8_t wire[64];
  grpc_msg_reader r = {0};
  size_t n = framed(0, "0123456789abcdef", wire); /* LIMIT bytes: allowed */
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_COMPLETE);
  grpc_msg_reader_reset(&r);
  /* one more: refused at the prefix, before anything is allocated */
  n = framed(0, "0123456789abcdefg", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_TOO_BIG);
  assert_int_equal(wire_prefix_len(r.prefix), LIMIT + 1);
  assert_null(r.msg);
  grpc_msg_reader_reset(&r);
}

static void test_second_message(void **state) {
  (void)state;
  uint8_t wire[64];
  grpc_msg_reader r = {0};
  size_t n = framed(0, "one", wire);
  n += framed(0, "two", wire + n);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_SECOND);
  grpc_msg_reader_reset(&r);
  /* after an empty message too, and in a later chunk */
  n = framed(0, "", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_feed(&r, (const uint8_t *)"x", 1, LIMIT),
                   GRPC_MSG_SECOND);
  grpc_msg_reader_reset(&r);
}

static void test_cut_short(void **state) {
  (void)state;
  uint8_t wire[64];
  grpc_msg_reader r = {0};
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_NONE);
  size_t n = framed(0, "0123456789", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, 3, LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_IN_PREFIX);
  assert_int_equal(grpc_msg_reader_feed(&r, wire + 3, n - 3 - 4, LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_TRUNCATED);
  assert_int_equal(r.msg_have, 6);
  assert_int_equal(r.msg_len, 10);
  grpc_msg_reader_reset(&r);
}

static void test_reset_starts_over(void **state) {
  (void)state;
  uint8_t wire[64];
  grpc_msg_reader r = {0};
  size_t n = framed(0, "first", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_MORE);
  grpc_msg_reader_reset(&r);
  assert_null(r.msg);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_NONE);
  n = framed(0, "again", wire);
  assert_int_equal(grpc_msg_reader_feed(&r, wire, n, LIMIT), GRPC_MSG_MORE);
  assert_int_equal(grpc_msg_reader_end(&r), GRPC_MSG_COMPLETE);
  assert_memory_equal(r.msg, "again", 5);
  grpc_msg_reader_reset(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_chunk),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_empty_message),
      cmocka_unit_test(test_flags),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_second_message),
      cmocka_unit_test(test_cut_short),
      cmocka_unit_test(test_reset_starts_over),
  };
  return cmocka_run_group_tests_name("grpc_msg_reader", tests, NULL, NULL);
}
