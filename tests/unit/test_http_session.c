/* The HTTP request parser of the admin/health port (host/http_session.c):
 * pipelined requests answered in order, parsing paused and resumed in the
 * middle of a buffer, and limits answered with the right status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_session.h"

typedef struct sink {
  strbuf out;
  int responses, closes;
  int pause_after; /* pause once this many responses were emitted; 0: never */
} sink;

static void route(const http_request *req, http_response *resp) {
  sb_printf(&resp->body, "%s %s ?%s body=%zu", req->method, req->path, req->query,
            req->body_len);
}

static void emit(http_session *s, char *data, size_t len, bool close_after) {
  sink *k = s->owner;
  sb_append(&k->out, data, len);
  free(data);
  k->responses++;
  k->closes += close_after;
  if (k->pause_after && k->responses == k->pause_after) http_session_pause(s, true);
}

static const char pipeline[] = "GET /a?1 HTTP/1.1\r\nHost: x\r\n\r\n"
                               "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
                               "GET /c HTTP/1.1\r\nHost: x\r\n\r\n";

static void start(http_session *s, sink *k) {
  memset(k, 0, sizeof(*k));
  sb_init(&k->out);
  http_session_init(s, false, route, emit, k);
}

static void finish(http_session *s, sink *k) {
  http_session_free(s);
  sb_free(&k->out);
}

static void test_pipelined_in_order(void **state) {
  (void)state;
  http_session s;
  sink k;
  start(&s, &k);
  assert_int_equal(http_session_feed(&s, pipeline, strlen(pipeline)), strlen(pipeline));
  assert_int_equal(k.responses, 3);
  const char *a = strstr(k.out.data, "GET /a ?1 body=0");
  const char *b = strstr(k.out.data, "POST /b ? body=3");
  const char *c = strstr(k.out.data, "GET /c ? body=0");
  assert_non_null(a);
  assert_true(a < b && b < c);
  assert_false(s.in_request);
  finish(&s, &k);
}

/* Pausing after each response and feeding the rest gives the same answers. */
static void test_pause_and_resume(void **state) {
  (void)state;
  for (int at = 1; at <= 2; at++) {
    http_session s;
    sink k;
    start(&s, &k);
    k.pause_after = at;
    size_t len = strlen(pipeline);
    size_t used = http_session_feed(&s, pipeline, len);
    assert_true(used < len);
    assert_int_equal(k.responses, at);
    assert_int_equal(http_session_feed(&s, pipeline + used, len - used), 0); /* paused */
    http_session_pause(&s, false);
    assert_int_equal(http_session_feed(&s, pipeline + used, len - used), len - used);
    assert_int_equal(k.responses, 3);
    assert_non_null(strstr(k.out.data, "GET /c ? body=0"));
    finish(&s, &k);
  }
}

static void test_byte_by_byte(void **state) {
  (void)state;
  http_session s;
  sink k;
  start(&s, &k);
  for (size_t i = 0; i < strlen(pipeline); i++) {
    assert_int_equal(http_session_feed(&s, pipeline + i, 1), 1);
    if (i == 0) assert_true(s.in_request); /* header_timeout runs from here */
  }
  assert_false(s.in_request);
  assert_int_equal(k.responses, 3);
  assert_int_equal(s.begun, 3);
  finish(&s, &k);
}

static void expect_refusal(const char *req, size_t len, const char *status) {
  http_session s;
  sink k;
  start(&s, &k);
  http_session_feed(&s, req, len);
  assert_true(s.failed);
  assert_int_equal(k.responses, 1);
  assert_int_equal(k.closes, 1);
  assert_memory_equal(k.out.data, status, strlen(status));
  assert_int_equal(http_session_feed(&s, "GET / HTTP/1.1\r\n\r\n", 18), 0);
  finish(&s, &k);
}

static void test_limits(void **state) {
  (void)state;
  strbuf big;
  sb_init(&big);
  sb_puts(&big, "GET /");
  for (int i = 0; i < HTTP_MAX_URL; i++) sb_puts(&big, "a");
  sb_puts(&big, " HTTP/1.1\r\n\r\n");
  expect_refusal(big.data, big.len, "HTTP/1.1 414");
  big.len = 0;
  sb_puts(&big, "GET / HTTP/1.1\r\nX: ");
  for (int i = 0; i < HTTP_MAX_HEADER_BYTES; i++) sb_puts(&big, "a");
  sb_puts(&big, "\r\n\r\n");
  expect_refusal(big.data, big.len, "HTTP/1.1 431");
  big.len = 0;
  sb_printf(&big, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n", HTTP_MAX_BODY + 1);
  for (int i = 0; i <= HTTP_MAX_BODY; i++) sb_puts(&big, "a");
  expect_refusal(big.data, big.len, "HTTP/1.1 413");
  sb_free(&big);
  expect_refusal("BLAH\r\n\r\n", 8, "HTTP/1.1 400");
}

static void test_connection_close_stops_parsing(void **state) {
  (void)state;
  http_session s;
  sink k;
  start(&s, &k);
  const char req[] = "GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  /* the owner pauses after a closing response (http.c does); nothing more is answered */
  k.pause_after = 1;
  http_session_feed(&s, req, strlen(req));
  assert_int_equal(k.responses, 1);
  assert_int_equal(k.closes, 1);
  finish(&s, &k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipelined_in_order),
      cmocka_unit_test(test_pause_and_resume),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_connection_close_stops_parsing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
