/*
 * bus_bench: event throughput through the host's publish path (the
 * envelope is built around a ~200-byte payload that jansson validates, then
 * handed to cnats or to the in-process queue) on one libuv loop, as
 * stratusd runs it.
 *
 *   publish     N events nobody subscribes to, then a marker the bench does
 *               subscribe to: when the marker is back, the server has taken
 *               all N (one connection keeps order; in process: the queue
 *               has been through dispatch)
 *   round trip  N events the bench subscribes to itself: publish, server,
 *               cnats thread, hand-off queue, envelope parsing, callback
 *
 * Usage: bus_bench [--url nats://127.0.0.1:4222 | --url ""] [--count N]
 *                  [--batch B] [--payload BYTES]
 * --url "" runs the in-process bus. Figures go to stdout.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventbus.h"
#include "internal.h"
#include "metrics.h"

static struct {
  const char *url;
  long count, batch, payload;
} opt = {"nats://127.0.0.1:4222", 200000, 500, 200};

typedef struct phase {
  const char *name, *subject;
  long published, refused, received, want;
  uint64_t t0, t_published, t_done;
  bool done;
} phase;

static uv_loop_t loop;
static uv_idle_t pump;
static phase *cur;
static char *payload;

static void build_payload(void) {
  const char *head = "{\"RealmID\":1,\"GatewayID\":\"gw-1\",\"CharGUID\":4242,"
                     "\"CharName\":\"Benchmarker\",\"Receivers\":null,\"Pad\":\"";
  long pad = opt.payload - (long)strlen(head) - 2;
  payload = xmalloc(strlen(head) + (size_t)(pad > 0 ? pad : 0) + 3);
  strcpy(payload, head);
  size_t n = strlen(payload);
  for (long i = 0; i < pad; i++) payload[n++] = 'x';
  strcpy(payload + n, "\"}");
}

static void on_event(const stratus_event *ev, void *ud) {
  phase *p = ud;
  if (ev->type < 0) abort(); /* every event must parse as an envelope */
  if (++p->received >= p->want && !p->done) {
    p->done = true;
    p->t_done = uv_hrtime();
  }
}

static void on_pump(uv_idle_t *h) {
  phase *p = cur;
  for (long i = 0; i < opt.batch && p->published + p->refused < opt.count; i++) {
    if (bus_publish(p->subject, 3, payload) == 0) p->published++;
    else p->refused++;
  }
  if (p->published + p->refused < opt.count) return;
  p->t_published = uv_hrtime();
  if (strcmp(p->name, "publish") == 0) bus_publish("bench.marker", 1, "{}");
  else p->want = p->published; /* refused ones never come back */
  if (p->received >= p->want && !p->done) {
    p->done = true;
    p->t_done = uv_hrtime();
  }
  uv_idle_stop(h);
}

static void wait_for(phase *p) {
  while (!p->done) uv_run(&loop, UV_RUN_ONCE);
}

static void report(const phase *p) {
  double pub_s = (double)(p->t_published - p->t0) / 1e9;
  double all_s = (double)(p->t_done - p->t0) / 1e9;
  printf("%-10s %8ld events  publish calls %9.0f/s  end to end %9.0f events/s"
         "  (%.3f s)  refused %ld\n", p->name, p->published,
         (double)p->published / pub_s, (double)p->published / all_s, all_s,
         p->refused);
}

static void run_phase(phase *p, const char *listen) {
  bus_sub *s = bus_subscribe(listen, on_event, p);
  cur = p;
  /* let the SUB reach the server before timing starts */
  for (int i = 0; i < 20; i++) uv_run(&loop, UV_RUN_NOWAIT);
  p->t0 = uv_hrtime();
  uv_idle_start(&pump, on_pump);
  wait_for(p);
  report(p);
  bus_unsubscribe(s);
}

static void stopped(void *ud) { *(bool *)ud = true; }

static int usage(void) {
  fprintf(stderr, "usage: bus_bench [--url URL|\"\"] [--count N] [--batch B] "
                  "[--payload BYTES]\n");
  return 2;
}

static int parse_args(int argc, char **argv) {
  static const struct option longs[] = {{"url", required_argument, NULL, 'u'},
                                        {"count", required_argument, NULL, 'n'},
                                        {"batch", required_argument, NULL, 'b'},
                                        {"payload", required_argument, NULL, 'p'},
                                        {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "u:n:b:p:", longs, NULL)) != -1) {
    switch (c) {
    case 'u': opt.url = optarg; break;
    case 'n': opt.count = atol(optarg); break;
    case 'b': opt.batch = atol(optarg); break;
    case 'p': opt.payload = atol(optarg); break;
    default: return -1;
    }
  }
  return opt.count > 0 && opt.batch > 0 && opt.payload > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (parse_args(argc, argv) != 0) return usage();
  log_set_level(STRATUS_LOG_WARN);
  bus_section cfg = {.nats_url = opt.url, .name = "bus_bench",
                     .max_pending = 64u << 20, .reconnect_wait_ms = 1000,
                     .ping_interval_ms = 20000, .max_pings_out = 5,
                     .connect_timeout_ms = 5000};
  char err[512];
  uv_loop_init(&loop);
  uv_idle_init(&loop, &pump);
  build_payload();
  if (bus_start(&loop, &cfg, err, sizeof(err)) != 0) {
    fprintf(stderr, "bus_bench: %s\n", err);
    return 1;
  }
  if (*opt.url && !nconn_connected(bus_g.cur)) {
    fprintf(stderr, "bus_bench: no NATS server at %s\n", opt.url);
    return 1;
  }
  printf("bus_bench: %s, payload %zu bytes (envelope %zu), batch %ld per loop turn\n",
         *opt.url ? opt.url : "in process", strlen(payload),
         strlen(payload) + strlen("{\"v\":\"0.0.1\",\"t\":3,\"p\":}"), opt.batch);
  phase pub = {.name = "publish", .subject = "bench.sink", .want = 1};
  phase rt = {.name = "round trip", .subject = "bench.back", .want = LONG_MAX};
  run_phase(&pub, "bench.marker");
  run_phase(&rt, "bench.back");
  const char *r[] = {"buffer_full"}, *q[] = {"queue_full"};
  printf("dropped: buffer_full %.0f, queue_full %.0f\n",
         metrics_value(bus_g.dropped, r), metrics_value(bus_g.dropped, q));
  bool done = false;
  bus_stop(stopped, &done);
  uv_close((uv_handle_t *)&pump, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  bus_shutdown();
  metrics_shutdown();
  free(payload);
  return done ? 0 : 1;
}
