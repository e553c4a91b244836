/* The gRPC client when the server goes away while a request is queued on
 * its connection but not yet written, the way grpcio's server.stop(0) does
 * it: GOAWAY NO_ERROR (last stream 2^31-1), GOAWAY INTERNAL_ERROR (last
 * stream 1), close. nghttp2 then reports the request twice: not sent
 * (on_frame_not_send) and its stream closed with REFUSED_STREAM. The call
 * must be retried once, not queued twice (which looped the client forever).
 * A scripted server (fake_h2.c) and a prepare handle put the frames in the
 * client's socket exactly in the loop turn that submits the request. Last,
 * the guard that keeps a call from being queued twice. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client_internal.h"
#include "fake_h2.h"

#define H2_INTERNAL_ERROR 2

typedef struct outcome {
  int calls, status;
  char message[256], reply[64];
} outcome;

static uv_loop_t loop; /* static: a failed test must not leave the client a dead stack */
static uv_prepare_t prepare;
static fake_h2 server;
static outcome queued; /* the call made in the prepare handle */

static void on_done(int status, const char *message, const uint8_t *msg, size_t len,
                    void *ud) {
  outcome *o = ud;
  o->calls++;
  o->status = status;
  snprintf(o->message, sizeof(o->message), "%s", message);
  snprintf(o->reply, sizeof(o->reply), "%.*s", (int)len, msg ? (const char *)msg : "");
}

static void call(const char *msg, outcome *o) {
  assert_int_equal(grpc_client_call(&loop, server.target, "/a.B/C", (const uint8_t *)msg,
                                    strlen(msg), 5000, on_done, o),
                   0);
}

static void run_until_done(outcome *o) {
  while (!o->calls) uv_run(&loop, UV_RUN_ONCE);
}

static int client_fd(void) {
  assert_false(list_empty(&cli.conns));
  gc_conn *c = list_entry(cli.conns.next, gc_conn, node);
  uv_os_fd_t fd;
  assert_int_equal(uv_fileno((uv_handle_t *)&c->io.tcp, &fd), 0);
  return fd;
}

/* Runs after the idle handle that flushes requests and before the poll that
 * reads the socket: the request stays queued in nghttp2 while the GOAWAYs,
 * already in the socket, are read. */
static void call_before_the_read(uv_prepare_t *p) {
  struct pollfd pfd = {.fd = client_fd(), .events = POLLIN};
  assert_int_equal(poll(&pfd, 1, -1), 1);
  call("queued", &queued);
  uv_prepare_stop(p);
}

/* A connection with one call answered, then the server's goodbye written,
 * then a call submitted in the same loop turn that reads the goodbye.
 * Returns the client's retry count before that turn. */
static uint64_t goaway_with_a_request_queued(bool keep_listening) {
  uv_loop_init(&loop);
  uv_prepare_init(&loop, &prepare);
  memset(&queued, 0, sizeof(queued));
  fake_h2_listen(&server);
  outcome first = {0};
  call("first", &first);
  fake_h2_accept(&server, &loop);
  int32_t stream = fake_h2_read_request(&server, &loop);
  fake_h2_reply(&server, stream, "one");
  run_until_done(&first);
  assert_int_equal(first.status, GRPC_OK);
  assert_string_equal(first.reply, "one");

  fake_h2_goaway(&server, 0x7fffffff, 0);
  fake_h2_goaway(&server, stream, H2_INTERNAL_ERROR);
  fake_h2_close_conn(&server);
  if (!keep_listening) fake_h2_stop_listening(&server);
  uint64_t retries = cli.retries;
  uv_prepare_start(&prepare, call_before_the_read);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(queued.calls, 0);
  return retries;
}

static void finish(void) {
  grpc_client_shutdown();
  fake_h2_stop_listening(&server);
  uv_close((uv_handle_t *)&prepare, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* The server is gone for good: one retry, then the refusal of the new
 * connection (not a deadline, not a hang). */
static void test_request_queued_at_goaway_fails_unavailable(void **state) {
  (void)state;
  uint64_t retries = goaway_with_a_request_queued(false);
  assert_int_equal(cli.retries, retries + 1);
  run_until_done(&queued);
  assert_int_equal(queued.status, GRPC_UNAVAILABLE);
  char want[64];
  snprintf(want, sizeof(want), "connect to %s refused", server.target);
  assert_string_equal(queued.message, want);
  finish();
  assert_int_equal(queued.calls, 1);
}

/* The server is back: the request goes out once on the new connection (its
 * stream 1; a call after it gets stream 3, not 5). */
static void test_request_queued_at_goaway_is_sent_once_on_a_new_connection(void **state) {
  (void)state;
  uint64_t retries = goaway_with_a_request_queued(true);
  assert_int_equal(cli.retries, retries + 1);
  fake_h2_accept(&server, &loop);
  assert_int_equal(fake_h2_read_request(&server, &loop), 1);
  fake_h2_reply(&server, 1, "two");
  run_until_done(&queued);
  assert_int_equal(queued.status, GRPC_OK);
  assert_string_equal(queued.reply, "two");

  outcome after = {0};
  call("after", &after);
  assert_int_equal(fake_h2_read_request(&server, &loop), 3);
  fake_h2_reply(&server, 3, "three");
  run_until_done(&after);
  assert_int_equal(after.status, GRPC_OK);
  assert_int_equal(server.requests, 2);
  fake_h2_close_conn(&server);
  finish();
  assert_int_equal(queued.calls, 1);
}

static gc_target *target_named(const char *name) {
  list_each(it, &cli.targets) {
    gc_target *t = list_entry(it, gc_target, node);
    if (strcmp(t->name, name) == 0) return t;
  }
  fail_msg("no target %s", name);
  return NULL;
}

/* The guard behind the fix: queueing a call that is already queued is
 * refused, and the call still ends once. */
static void test_a_call_queued_twice_stays_queued_once(void **state) {
  (void)state;
  uv_loop_init(&loop);
  uv_prepare_init(&loop, &prepare);
  fake_h2_listen(&server); /* never accepts: the call waits for a stream */
  outcome o = {0};
  call("waiting", &o);
  gc_target *t = target_named(server.target);
  assert_int_equal(list_length(&t->waiting), 1);
  gc_call *waiting = list_entry(t->waiting.next, gc_call, node);
  target_enqueue(t, waiting);
  assert_int_equal(list_length(&t->waiting), 1);
  assert_false(ccall_link(&t->waiting, waiting));
  assert_int_equal(list_length(&t->waiting), 1);
  finish();
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.status, GRPC_UNAVAILABLE);
  assert_string_equal(o.message, "shutting down");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_queued_at_goaway_fails_unavailable),
      cmocka_unit_test(test_request_queued_at_goaway_is_sent_once_on_a_new_connection),
      cmocka_unit_test(test_a_call_queued_twice_stays_queued_once),
  };
  return cmocka_run_group_tests_name("grpc_client_goaway", tests, NULL, NULL);
}
