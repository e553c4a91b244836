/* The gRPC client's contract with its callers, in process: when done runs,
 * what an invalid call does, shutdown, and that the loop can close after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <stratus/errors.h>

#include "client.h"
#include "net.h"

typedef struct outcome {
  int calls, status;
  char message[256];
  bool had_msg;
  const char *reenter_target; /* done makes this call once, if set */
} outcome;

static bool in_call;
static uv_loop_t *cur_loop;

static void on_done(int status, const char *message, const uint8_t *msg, size_t len,
                    void *ud) {
  outcome *o = ud;
  assert_false(in_call);
  o->calls++;
  o->status = status;
  snprintf(o->message, sizeof(o->message), "%s", message);
  o->had_msg = msg != NULL;
  if (status != GRPC_OK) assert_int_equal(len, 0);
  if (o->reenter_target) {
    const char *t = o->reenter_target;
    o->reenter_target = NULL;
    assert_int_equal(grpc_client_call(cur_loop, t, "/a.B/C", NULL, 0, 1000, on_done, o),
                     0);
  }
}

static int call(uv_loop_t *loop, const char *target, int64_t timeout_ms, outcome *o) {
  in_call = true;
  int rc = grpc_client_call(loop, target, "/a.B/C", (const uint8_t *)"x", 1, timeout_ms,
                            on_done, o);
  in_call = false;
  return rc;
}

static void close_loop(uv_loop_t *loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(loop), 0);
}

/* A port nothing listens on. */
static int refused_port(uv_loop_t *loop) {
  uv_tcp_t t;
  struct sockaddr_storage ss;
  char err[64];
  int len = sizeof(ss);
  net_parse_addr("127.0.0.1:0", &ss, err, sizeof(err));
  uv_tcp_init(loop, &t);
  uv_tcp_bind(&t, (struct sockaddr *)&ss, 0);
  uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &len);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void test_fail_later_runs_on_the_next_turn(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  outcome o = {0};
  grpc_client_fail_later(&loop, GRPC_UNIMPLEMENTED, "no route", on_done, &o);
  assert_int_equal(o.calls, 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.status, GRPC_UNIMPLEMENTED);
  assert_string_equal(o.message, "no route");
  assert_false(o.had_msg);
  grpc_client_shutdown();
  close_loop(&loop);
  assert_int_equal(o.calls, 1);
}

static void test_invalid_calls_return_einval_without_done(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  outcome o = {0};
  grpc_client_stats before, after;
  grpc_client_get_stats(&before);
  assert_int_equal(call(&loop, "no-port", 1000, &o), STRATUS_EINVAL);
  assert_int_equal(call(&loop, "[::1]:", 1000, &o), STRATUS_EINVAL);
  assert_int_equal(
      grpc_client_call(&loop, "127.0.0.1:1", "nopath", NULL, 0, 0, on_done, &o),
      STRATUS_EINVAL);
  assert_int_equal(grpc_client_call(&loop, "127.0.0.1:1", "/a.B/C", NULL, 0, 0, NULL, &o),
                   STRATUS_EINVAL);
  uv_run(&loop, UV_RUN_NOWAIT);
  grpc_client_shutdown();
  close_loop(&loop);
  assert_int_equal(o.calls, 0);
  grpc_client_get_stats(&after);
  assert_int_equal(after.calls_total, before.calls_total);
}

static void test_refused_is_unavailable_and_never_synchronous(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  char target[32];
  snprintf(target, sizeof(target), "127.0.0.1:%d", refused_port(&loop));
  outcome o = {0};
  assert_int_equal(call(&loop, target, 2000, &o), 0);
  assert_int_equal(o.calls, 0);
  while (!o.calls) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(o.status, GRPC_UNAVAILABLE);
  char want[64];
  snprintf(want, sizeof(want), "connect to %s refused", target);
  assert_string_equal(o.message, want);
  grpc_client_shutdown();
  close_loop(&loop);
  assert_int_equal(o.calls, 1);
}

static void on_accept(uv_stream_t *server, int status) {
  uv_tcp_t *peer = malloc(sizeof(*peer));
  (void)status;
  uv_tcp_init(server->loop, peer);
  uv_accept(server, (uv_stream_t *)peer); /* and never say anything */
  server->data = peer;
}

static void free_handle(uv_handle_t *h) { free(h); }

/* A call waiting on a server that never answers, and one its done callback
 * makes: shutdown fails both before it returns; the loop closes after. */
static void test_shutdown_fails_pending_calls(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  cur_loop = &loop;
  uv_tcp_t server;
  struct sockaddr_storage ss;
  char err[64], target[32];
  int len = sizeof(ss);
  net_parse_addr("127.0.0.1:0", &ss, err, sizeof(err));
  uv_tcp_init(&loop, &server);
  server.data = NULL;
  uv_tcp_bind(&server, (struct sockaddr *)&ss, 0);
  uv_listen((uv_stream_t *)&server, 8, on_accept);
  uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len);
  net_format_addr((struct sockaddr *)&ss, target, sizeof(target));

  outcome o = {.reenter_target = target};
  assert_int_equal(call(&loop, target, 0, &o), 0); /* no deadline */
  while (!server.data) uv_run(&loop, UV_RUN_ONCE);
  for (int i = 0; i < 10; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(o.calls, 0);
  grpc_client_stats s;
  grpc_client_get_stats(&s);
  assert_int_equal(s.connections_open, 1);

  grpc_client_shutdown();
  assert_int_equal(o.calls, 2); /* the call and the one its done made */
  assert_int_equal(o.status, GRPC_UNAVAILABLE);
  assert_string_equal(o.message, "shutting down");
  grpc_client_get_stats(&s);
  assert_int_equal(s.connections_open, 0);

  uv_close((uv_handle_t *)server.data, free_handle);
  uv_close((uv_handle_t *)&server, NULL);
  close_loop(&loop);
  assert_int_equal(o.calls, 2);
}

static void test_usable_again_after_shutdown(void **state) {
  (void)state;
  for (int round = 0; round < 2; round++) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    outcome o = {0};
    grpc_client_fail_later(&loop, GRPC_INTERNAL, "round", on_done, &o);
    grpc_client_shutdown(); /* delivers it */
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, GRPC_INTERNAL);
    grpc_client_shutdown(); /* twice is harmless */
    close_loop(&loop);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fail_later_runs_on_the_next_turn),
      cmocka_unit_test(test_invalid_calls_return_einval_without_done),
      cmocka_unit_test(test_refused_is_unavailable_and_never_synchronous),
      cmocka_unit_test(test_shutdown_fails_pending_calls),
      cmocka_unit_test(test_usable_again_after_shutdown),
  };
  return cmocka_run_group_tests_name("grpc_client", tests, NULL, NULL);
}
