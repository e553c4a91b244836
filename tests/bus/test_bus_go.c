/* bus_publish_go, the host's way to publish payloads as Go writes them, on
 * the in-process bus: what a subscriber receives byte for byte, what is
 * refused and counted, and that the payload is taken on every path (the
 * ASan build's leak check fails otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "eventbus.h"
#include "metrics.h"

typedef struct seen {
  int n;
  int64_t type;
  char payload[512];
} seen;

static uv_loop_t loop;

static void on_event(const stratus_event *ev, void *ud) {
  seen *s = ud;
  s->n++;
  s->type = ev->type;
  snprintf(s->payload, sizeof(s->payload), "%s", ev->payload);
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
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  bus_shutdown();
  metrics_shutdown();
}

static void run_turns(void) {
  for (int i = 0; i < 3; i++) uv_run(&loop, UV_RUN_NOWAIT);
}

static bool metrics_have(const char *line) {
  strbuf sb;
  sb_init(&sb);
  metrics_render(&sb);
  bool found = strstr(sb.data, line) != NULL;
  sb_free(&sb);
  return found;
}

static json_t *game_server(void) {
  return json_pack("{s:s,s:s,s:i,s:b,s:n,s:[i,i],s:[i]}", "ID", "3632450545", "Address",
                   "10.0.0.5:8085", "RealmID", 1, "IsCrossRealm", 0, "AvailableMaps",
                   "OldAssignedMapsToHandle", 0, 1, "NewAssignedMapsToHandle", 1);
}

static void registry_event_as_go_writes_it(void **state) {
  (void)state;
  seen s = {0};
  start_inproc();
  assert_non_null(bus_subscribe("sr.>", on_event, &s));
  json_t *p = json_pack("{s:[o]}", "Servers", game_server());
  assert_int_equal(bus_publish_go("sr.gs.maps.reassigned", STRATUS_EVENT_CATALOGUE, p), 0);
  run_turns();
  assert_int_equal(s.n, 1);
  assert_int_equal(s.type, 3);
  /* tocloud9.md §3.1's example */
  assert_string_equal(s.payload,
      "{\"Servers\":[{\"ID\":\"3632450545\",\"Address\":\"10.0.0.5:8085\",\"RealmID\":1,"
      "\"IsCrossRealm\":false,\"AvailableMaps\":null,\"OldAssignedMapsToHandle\":[0,1],"
      "\"NewAssignedMapsToHandle\":[1]}]}");
  stop_inproc();
}

static void refusals_take_the_payload(void **state) {
  (void)state;
  seen s = {0};
  start_inproc();
  assert_non_null(bus_subscribe(">", on_event, &s));
  json_t *gs = game_server();
  json_object_del(gs, "Address");
  assert_int_equal(bus_publish_go("sr.gs.added", 4, json_pack("{s:o}", "GameServer", gs)),
                   STRATUS_EINVAL);
  assert_int_equal(bus_publish_go("sr.gs.added", 5, json_pack("{s:o}", "GameServer",
                                                              game_server())),
                   STRATUS_EINVAL); /* sr.gs.added is t=4 */
  assert_int_equal(bus_publish_go("acme.thing", STRATUS_EVENT_CATALOGUE, json_object()),
                   STRATUS_EINVAL);
  assert_int_equal(bus_publish_go("sr.*", 1, json_object()), STRATUS_EINVAL);
  assert_int_equal(bus_publish_go("acme.thing", 1, json_array()), STRATUS_EINVAL);
  assert_int_equal(bus_publish_go("acme.thing", 1, NULL), STRATUS_EINVAL);
  run_turns();
  assert_int_equal(s.n, 0);
  assert_true(metrics_have("stratus_bus_events_refused_total{subject=\"sr.gs.added\"} 2"));
  assert_true(metrics_have("stratus_bus_events_refused_total{subject=\"uncatalogued\"} 1"));
  stop_inproc();
  assert_int_equal(bus_publish_go("acme.thing", 1, json_object()), STRATUS_EUNAVAILABLE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(registry_event_as_go_writes_it),
      cmocka_unit_test(refusals_take_the_payload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
