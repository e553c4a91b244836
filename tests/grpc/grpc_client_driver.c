/* A command-line driver of the gRPC client transport (host/grpc/client.h)
 * for the Python tests: makes N unary calls to one target, C at a time (call i
 * sends the (i % n)-th --message), and prints one line per call as it ends:
 *   RESULT <index> <status> <ms> <reply len> <fnv1a64> <reply hex|-> <message hex|->
 * (RC <index> <rc> when grpc_client_call refuses), then, once the client is
 * shut down and the loop closed, STATS and "EXIT clean". A done callback run
 * twice or from inside grpc_client_call prints DUPLICATE / REENTRANT. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "client.h"
#include "client_internal.h"
#include "log.h"
#include "util.h"

#define MAX_MESSAGES 16

typedef struct options {
  const char *target, *path;
  const char *messages[MAX_MESSAGES]; /* call i sends messages[i % n] */
  int nmessages;
  long calls, concurrency, timeout_ms, interval_ms, shutdown_ms, hex_limit;
  bool stats;
} options;

static options opt = {.calls = 1, .timeout_ms = 5000, .hex_limit = 256};
static uv_loop_t *loop;
static uv_timer_t interval_timer, shutdown_timer;
static long next_call, outstanding, ended;
static int *dones;
static uint64_t *started;
static bool in_call, bad, finished;

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* text:STR | hex:HEX | size:N (bytes i%251) | id:STR (STR-<index>) */
static void build_message(long i, strbuf *sb) {
  const char *m = opt.nmessages ? opt.messages[i % opt.nmessages] : "text:";
  sb_init(sb);
  if (str_has_prefix(m, "text:")) {
    sb_puts(sb, m + 5);
  } else if (str_has_prefix(m, "hex:")) {
    for (const char *p = m + 4; p[0] && p[1]; p += 2) {
      uint8_t b = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
      sb_append(sb, &b, 1);
    }
  } else if (str_has_prefix(m, "size:")) {
    size_t n = strtoull(m + 5, NULL, 10);
    for (size_t k = 0; k < n; k++) {
      uint8_t b = (uint8_t)(k % 251);
      sb_append(sb, &b, 1);
    }
  } else if (str_has_prefix(m, "id:")) {
    sb_printf(sb, "%s-%ld", m + 3, i);
  }
}

static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static void print_hex(const uint8_t *p, size_t n) {
  if (!n) fputs("-", stdout);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void finish(void);
static void start_more(void);

static void on_done(int status, const char *message, const uint8_t *msg, size_t len,
                    void *ud) {
  long i = (long)(intptr_t)ud;
  if (in_call) {
    printf("REENTRANT %ld\n", i);
    bad = true;
  }
  if (++dones[i] > 1) {
    printf("DUPLICATE %ld\n", i);
    bad = true;
  }
  if (status == GRPC_OK && !msg) {
    printf("NULLMSG %ld\n", i);
    bad = true;
  }
  double ms = (double)(uv_hrtime() - started[i]) / 1e6;
  printf("RESULT %ld %d %.1f %zu %016" PRIx64 " ", i, status, ms, len, fnv1a(msg, len));
  print_hex(msg, len <= (size_t)opt.hex_limit ? len : 0);
  putchar(' ');
  print_hex((const uint8_t *)message, strlen(message));
  putchar('\n');
  fflush(stdout);
  outstanding--;
  if (++ended == opt.calls)
    finish();
  else
    start_more();
}

static void start_one(void) {
  long i = next_call++;
  strbuf sb;
  build_message(i, &sb);
  started[i] = uv_hrtime();
  outstanding++;
  in_call = true;
  int rc = grpc_client_call(loop, opt.target, opt.path, (const uint8_t *)sb.data, sb.len,
                            opt.timeout_ms, on_done, (void *)(intptr_t)i);
  in_call = false;
  sb_free(&sb);
  if (rc != 0) {
    dones[i] = 1;
    printf("RC %ld %d\n", i, rc);
    fflush(stdout);
    outstanding--;
    if (++ended == opt.calls) finish();
  }
}

static void start_more(void) {
  if (opt.interval_ms) return; /* the interval timer starts them */
  while (!finished && next_call < opt.calls &&
         (!opt.concurrency || outstanding < opt.concurrency))
    start_one();
}

static void on_interval(uv_timer_t *t) {
  (void)t;
  if (!finished && next_call < opt.calls &&
      (!opt.concurrency || outstanding < opt.concurrency))
    start_one();
}

static void on_shutdown_timer(uv_timer_t *t) {
  (void)t;
  printf("SHUTDOWN\n");
  fflush(stdout);
  grpc_client_shutdown();
}

static void finish(void) {
  if (finished) return;
  finished = true;
  uv_close((uv_handle_t *)&interval_timer, NULL);
  uv_close((uv_handle_t *)&shutdown_timer, NULL);
  grpc_client_shutdown();
}

static void print_stats(void) {
  grpc_client_stats s;
  grpc_client_get_stats(&s);
  printf("STATS connections_open=%" PRIu64 " connects_total=%" PRIu64
         " connect_failures=%" PRIu64 " calls_total=%" PRIu64 " calls_failed=%" PRIu64
         " retries=%" PRIu64 "\n",
         s.connections_open, s.connects_total, s.connect_failures, s.calls_total,
         s.calls_failed, cli.retries);
}

static int parse_args(int argc, char **argv) {
  static const struct option longopts[] = {
      {"message", required_argument, NULL, 'm'},
      {"calls", required_argument, NULL, 'n'},
      {"concurrency", required_argument, NULL, 'c'},
      {"timeout", required_argument, NULL, 't'},
      {"interval", required_argument, NULL, 'i'},
      {"idle-ms", required_argument, NULL, 'I'},
      {"ping-ms", required_argument, NULL, 'P'},
      {"shutdown-after", required_argument, NULL, 's'},
      {"hex-limit", required_argument, NULL, 'x'},
      {"stats", no_argument, NULL, 'S'},
      {"debug", no_argument, NULL, 'd'},
      {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (ch) {
    case 'm':
      if (opt.nmessages < MAX_MESSAGES) opt.messages[opt.nmessages++] = optarg;
      break;
    case 'n': opt.calls = strtol(optarg, NULL, 10); break;
    case 'c': opt.concurrency = strtol(optarg, NULL, 10); break;
    case 't': opt.timeout_ms = strtol(optarg, NULL, 10); break;
    case 'i': opt.interval_ms = strtol(optarg, NULL, 10); break;
    case 'I': cli.idle_ms = strtoull(optarg, NULL, 10); break;
    case 'P': cli.ping_ms = strtoull(optarg, NULL, 10); break;
    case 's': opt.shutdown_ms = strtol(optarg, NULL, 10); break;
    case 'x': opt.hex_limit = strtol(optarg, NULL, 10); break;
    case 'S': opt.stats = true; break;
    case 'd': log_set_level(STRATUS_LOG_DEBUG); break;
    default: return -1;
    }
  }
  if (argc - optind != 2 || opt.calls < 1) return -1;
  opt.target = argv[optind];
  opt.path = argv[optind + 1];
  return 0;
}

int main(int argc, char **argv) {
  log_init();
  if (parse_args(argc, argv) != 0) {
    fprintf(stderr, "usage: grpc_client_driver [--message text:S|hex:H|size:N|id:S] "
                    "[--calls N] [--concurrency C] [--timeout MS] [--interval MS] "
                    "[--idle-ms MS] [--ping-ms MS] [--shutdown-after MS] [--hex-limit N] "
                    "[--stats] [--debug] TARGET PATH\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  dones = xcalloc((size_t)opt.calls, sizeof(*dones));
  started = xcalloc((size_t)opt.calls, sizeof(*started));
  uv_timer_init(loop, &interval_timer);
  uv_timer_init(loop, &shutdown_timer);
  if (opt.interval_ms)
    uv_timer_start(&interval_timer, on_interval, 0, (uint64_t)opt.interval_ms);
  if (opt.shutdown_ms)
    uv_timer_start(&shutdown_timer, on_shutdown_timer, (uint64_t)opt.shutdown_ms, 0);
  start_more();
  uv_run(loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(loop);
  if (opt.stats) print_stats();
  for (long i = 0; i < opt.calls; i++)
    if (dones[i] == 0 && i < next_call) {
      printf("LOST %ld\n", i);
      bad = true;
    }
  printf("EXIT %s\n", rc ? uv_strerror(rc) : bad ? "bad" : "clean");
  free(dones);
  free(started);
  return rc || bad ? 3 : 0;
}
