/* Unit tests of the event bus: subjects, envelopes, and the in-process bus
 * on a real libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "metrics.h"

/* ---- subjects ------------------------------------------------------------- */

static void test_subject_valid(void **state) {
  (void)state;
  assert_true(bus_subject_valid("gw.char.logged-in", false));
  assert_true(bus_subject_valid("a", false));
  assert_false(bus_subject_valid("", false));
  assert_false(bus_subject_valid("a..b", false));
  assert_false(bus_subject_valid(".a", false));
  assert_false(bus_subject_valid("a.", false));
  assert_false(bus_subject_valid("a b", false));
  assert_false(bus_subject_valid("a.*", false)); /* no wildcards to publish */
  assert_false(bus_subject_valid("a.>", false));
  assert_true(bus_subject_valid("a.*", true));
  assert_true(bus_subject_valid("a.>", true));
  assert_true(bus_subject_valid("*.b.>", true));
  assert_true(bus_subject_valid(">", true));
  assert_false(bus_subject_valid("a.>.b", true)); /* '>' only last */
  assert_true(bus_subject_valid("a.b*", true));   /* a plain token */
  assert_false(bus_subject_valid(NULL, true));
}

static void test_subject_match(void **state) {
  (void)state;
  static const struct { const char *p, *s; bool m; } cases[] = {
      {"a.b", "a.b", true},       {"a.b", "a.c", false},
      {"a.b", "a.b.c", false},    {"a.b.c", "a.b", false},
      {"a.*", "a.b", true},       {"a.*", "a", false},
      {"a.*", "a.b.c", false},    {"*.b", "a.b", true},
      {"a.>", "a.b", true},       {"a.>", "a.b.c.d", true},
      {"a.>", "a", false},        {">", "a", true},
      {">", "a.b.c", true},       {"*", "a", true},
      {"*", "a.b", false},        {"a.*.c", "a.x.c", true},
      {"a.*.c", "a.x.d", false},  {"a.*.>", "a.x.y.z", true},
      {"a.*.>", "a.x", false},    {"ab", "a", false},
      {"a", "ab", false},         {"group.*", "group.created", true},
  };
  for (size_t i = 0; i < ARRAY_LEN(cases); i++)
    if (bus_subject_match(cases[i].p, cases[i].s) != cases[i].m)
      fail_msg("%s vs %s: expected %d", cases[i].p, cases[i].s, cases[i].m);
}

/* ---- envelopes ------------------------------------------------------------ */

static bus_envelope parse(const char *text, strbuf *scratch) {
  bus_envelope env;
  bus_envelope_parse(text, strlen(text), &env, scratch);
  assert_int_equal(env.payload[env.payload_len], '\0');
  return env;
}

static void test_parse_envelope(void **state) {
  (void)state;
  strbuf sb = {0};
  bus_envelope e = parse("{\"v\":\"0.0.1\",\"t\":2,\"p\":{\"A\":1,\"B\":null}}", &sb);
  assert_int_equal(e.type, 2);
  assert_string_equal(e.version, "0.0.1");
  assert_string_equal(e.payload, "{\"A\":1,\"B\":null}");
  assert_int_equal(e.payload_len, strlen(e.payload));

  /* whitespace, nesting, a nested "p", braces and quotes inside strings */
  e = parse(" { \"p\" : { \"x\" : [1, {\"p\":2}] , \"s\":\"}\\\"{\" } ,\n"
            " \"t\" : 5 , \"v\":\"v\" } ", &sb);
  assert_int_equal(e.type, 5);
  assert_string_equal(e.payload, "{ \"x\" : [1, {\"p\":2}] , \"s\":\"}\\\"{\" }");

  /* bytes kept: Go's escapes, floats, big numbers */
  e = parse("{\"v\":\"0.0.1\",\"t\":1,\"p\":{\"M\":\"\\u003c\\u0026\",\"X\":1.1,"
            "\"G\":281474976710655}}", &sb);
  assert_string_equal(e.payload,
                      "{\"M\":\"\\u003c\\u0026\",\"X\":1.1,\"G\":281474976710655}");

  e = parse("{\"t\":3,\"p\":{}}", &sb); /* no v */
  assert_int_equal(e.type, 3);
  assert_string_equal(e.version, "");
  assert_string_equal(e.payload, "{}");

  e = parse("{\"\\u0070\":{\"a\":1},\"t\":1,\"v\":\"x\"}", &sb); /* escaped key */
  assert_int_equal(e.type, 1);
  assert_string_equal(e.payload, "{\"a\":1}");

  e = parse("{\"v\":\"0.0.1\",\"t\":-4,\"p\":{\"Receivers\":null}}", &sb);
  assert_int_equal(e.type, -4); /* negative t is still an envelope */
  sb_free(&sb);
}

static void test_parse_not_envelope(void **state) {
  (void)state;
  strbuf sb = {0};
  static const char *const cases[] = {
      "{\"realm_id\":1,\"auction_id\":5}", /* auction house: no envelope */
      "{\"t\":\"2\",\"p\":{}}",            /* t not an integer */
      "{\"t\":2.5,\"p\":{}}",
      "{\"v\":\"0.0.1\",\"t\":2}",         /* no p: the whole is the payload */
      "{\"v\":1,\"t\":2,\"p\":{}}",        /* v not a string */
      "[1,2]",
  };
  for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
    bus_envelope e = parse(cases[i], &sb);
    assert_int_equal(e.type, -1);
    assert_string_equal(e.version, "");
    assert_ptr_equal(e.payload, cases[i]);
    assert_false(e.malformed);
  }
  static const char *const bad[] = {"{\"v\":\"0.0.1\",\"t\":", "hello", "",
                                    "{\"a\":1} trailing"};
  for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
    bus_envelope e = parse(bad[i], &sb);
    assert_int_equal(e.type, -1);
    assert_true(e.malformed);
    assert_ptr_equal(e.payload, bad[i]);
  }
  sb_free(&sb);
}

static void test_value_span(void **state) {
  (void)state;
  const char *s = "{\"p\":1,\"q\":[\"p\",{\"p\":3}],\"p\":\"last\"}";
  size_t off = 0, len = 0;
  assert_true(bus_json_value_span(s, strlen(s), "p", &off, &len));
  assert_int_equal(len, 6);
  assert_memory_equal(s + off, "\"last\"", 6); /* the last one, as jansson */
  assert_true(bus_json_value_span(s, strlen(s), "q", &off, &len));
  assert_memory_equal(s + off, "[\"p\",{\"p\":3}]", len);
  assert_false(bus_json_value_span(s, strlen(s), "x", &off, &len));
  assert_false(bus_json_value_span("[1]", 3, "p", &off, &len));
}

static void test_build(void **state) {
  (void)state;
  strbuf sb = {0};
  const char *p = "{\"RealmID\":1,\"Receivers\":null,\"X\":1.1}";
  assert_int_equal(bus_envelope_build(&sb, "0.0.1", 12, p, strlen(p)), 0);
  assert_string_equal(sb.data, "{\"v\":\"0.0.1\",\"t\":12,\"p\":{\"RealmID\":1,"
                               "\"Receivers\":null,\"X\":1.1}}");
  static const char *const bad[] = {"[1]", "null", "1", "{", "", "{} {}"};
  for (size_t i = 0; i < ARRAY_LEN(bad); i++)
    assert_int_equal(bus_envelope_build(&sb, "0.0.1", 1, bad[i], strlen(bad[i])),
                     STRATUS_EINVAL);
  sb_free(&sb);
}

static void test_array_or_null(void **state) {
  (void)state;
  json_t *v = bus_array_or_null(json_array());
  assert_true(json_is_null(v));
  json_decref(v);
  v = bus_array_or_null(NULL);
  assert_true(json_is_null(v));
  json_t *a = json_pack("[i]", 1);
  assert_ptr_equal(bus_array_or_null(a), a);
  json_t *o = json_pack("{s:o,s:o}", "Servers", bus_array_or_null(json_array()),
                        "Maps", a);
  char *text = json_dumps(o, JSON_COMPACT);
  assert_string_equal(text, "{\"Servers\":null,\"Maps\":[1]}");
  free(text);
  json_decref(o);
}

/* ---- the in-process bus on a loop ----------------------------------------- */

typedef struct seen {
  int n;
  char subject[64];
  int64_t type;
  char payload[256];
  bus_sub *self; /* unsubscribes itself on the first event when set */
} seen;

static void on_event(const stratus_event *ev, void *ud) {
  seen *s = ud;
  s->n++;
  snprintf(s->subject, sizeof(s->subject), "%s", ev->subject);
  snprintf(s->payload, sizeof(s->payload), "%s", ev->payload);
  s->type = ev->type;
  assert_int_equal(ev->struct_size, sizeof(stratus_event));
  if (s->self) {
    bus_unsubscribe(s->self);
    s->self = NULL;
  }
}

static uv_loop_t loop;

static void run_turns(int n) {
  for (int i = 0; i < n; i++) uv_run(&loop, UV_RUN_NOWAIT);
}

static void start_inproc(void) {
  bus_section cfg = {.nats_url = "", .name = "test", .max_pending = 1 << 20,
                     .reconnect_wait_ms = 100, .ping_interval_ms = 1000,
                     .max_pings_out = 2, .connect_timeout_ms = 1000};
  char err[256];
  uv_loop_init(&loop);
  assert_int_equal(bus_start(&loop, &cfg, err, sizeof(err)), 0);
}

static void stopped(void *ud) { *(bool *)ud = true; }

static void stop_inproc(void) {
  bool done = false;
  bus_stop(stopped, &done);
  assert_true(done);
  uv_run(&loop, UV_RUN_DEFAULT); /* let the queue's handle close */
  assert_int_equal(uv_loop_close(&loop), 0);
  bus_shutdown();
  metrics_shutdown();
}

static double metric(stratus_metric *m, const char *label) {
  const char *values[] = {label};
  return metrics_value(m, label ? values : NULL);
}

static void test_inproc_delivery(void **state) {
  (void)state;
  seen star = {0}, rest = {0}, exact = {0}, raw = {0};
  start_inproc();
  bus_sub *a = bus_subscribe("a.*", on_event, &star);
  assert_non_null(a);
  assert_non_null(bus_subscribe("a.>", on_event, &rest));
  assert_non_null(bus_subscribe("b", on_event, &exact));
  assert_null(bus_subscribe("a..b", on_event, &exact));
  assert_int_equal(bus_publish("a.x", 5, "{\"Seq\":1,\"L\":null}"), 0);
  assert_int_equal(star.n, 0); /* never inside publish */
  run_turns(3);
  assert_int_equal(star.n, 1);
  assert_int_equal(rest.n, 1);
  assert_int_equal(exact.n, 0);
  assert_string_equal(star.subject, "a.x");
  assert_int_equal(star.type, 5);
  assert_string_equal(star.payload, "{\"Seq\":1,\"L\":null}");

  assert_int_equal(bus_publish("a.x.y", 1, "{}"), 0);
  assert_int_equal(bus_publish_raw("b", "{\"realm_id\":1}", 14), 0);
  assert_int_equal(bus_publish("a.*", 1, "{}"), STRATUS_EINVAL);
  assert_int_equal(bus_publish("a.x", 1, "[]"), STRATUS_EINVAL);
  run_turns(3);
  assert_int_equal(star.n, 1);
  assert_int_equal(rest.n, 2);
  assert_int_equal(exact.n, 1);
  assert_int_equal(exact.type, -1);
  assert_string_equal(exact.payload, "{\"realm_id\":1}");

  /* a listener removing itself in its callback; the pattern goes with it */
  raw.self = bus_subscribe("c.>", on_event, &raw);
  assert_int_equal(subs_count(), 4);
  bus_publish("c.1", 1, "{}");
  bus_publish("c.2", 1, "{}");
  run_turns(3);
  assert_int_equal(raw.n, 1);
  assert_int_equal(subs_count(), 3);
  bus_unsubscribe(a);
  assert_int_equal(subs_count(), 2);
  assert_int_equal(metric(bus_g.published, NULL), 5);
  assert_int_equal(metric(bus_g.received, NULL), 5);
  assert_int_equal(metric(bus_g.connected, NULL), 1);
  stop_inproc();
}

static void test_inproc_queue_full(void **state) {
  (void)state;
  seen s = {0};
  start_inproc();
  bus_subscribe("q", on_event, &s);
  for (int i = 0; i < BUS_QUEUE_MAX_MSGS; i++)
    assert_int_equal(bus_publish_raw("q", "x", 1), 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(bus_publish_raw("q", "x", 1), STRATUS_EAGAIN);
  assert_int_equal(metric(bus_g.dropped, "queue_full"), 5);
  run_turns(BUS_QUEUE_MAX_MSGS / 4096 + 2);
  assert_int_equal(s.n, BUS_QUEUE_MAX_MSGS);
  stop_inproc();
  assert_int_equal(bus_publish_raw("q", "x", 1), STRATUS_EUNAVAILABLE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_subject_valid),
      cmocka_unit_test(test_subject_match),
      cmocka_unit_test(test_parse_envelope),
      cmocka_unit_test(test_parse_not_envelope),
      cmocka_unit_test(test_value_span),
      cmocka_unit_test(test_build),
      cmocka_unit_test(test_array_or_null),
      cmocka_unit_test(test_inproc_delivery),
      cmocka_unit_test(test_inproc_queue_full),
  };
  return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
