/* A test server for the gRPC transport: Echo, Fail, Slow, Hold, Big, Info,
 * Stats, Die (hard close inside a dispatch), Drain; prints "READY <addr>..." when listening, drains on SIGTERM, stops
 * hard on SIGUSR1, prints its counters on exit. */
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "list.h"
#include "log.h"
#include "server.h"
#include "util.h"

typedef struct pending {
  uv_timer_t timer;
  grpc_call *call;
  char *msg;
  list_node node;
} pending;

static uv_loop_t *loop;
static uv_signal_t sig_term, sig_int, sig_usr1;
static list_node slow = LIST_INIT(slow); /* Slow calls waiting for their timer */
static list_node held = LIST_INIT(held); /* Hold calls */

static void on_pending_closed(uv_handle_t *h) {
  pending *p = h->data;
  free(p->msg);
  free(p);
}

static void on_slow_timer(uv_timer_t *t) {
  pending *p = t->data;
  list_remove(&p->node);
  /* on a cancelled call this is dropped by the transport (and frees it) */
  grpc_call_reply(p->call, (const uint8_t *)p->msg, strlen(p->msg));
  uv_close((uv_handle_t *)&p->timer, on_pending_closed);
}

static pending *pending_new(grpc_call *call, const uint8_t *msg, size_t len) {
  pending *p = xcalloc(1, sizeof(*p));
  p->call = call;
  p->msg = xstrndup((const char *)msg, len);
  p->timer.data = p;
  uv_timer_init(loop, &p->timer);
  return p;
}

static void do_slow(grpc_call *call, const uint8_t *msg, size_t len) {
  pending *p = pending_new(call, msg, len);
  list_push_back(&slow, &p->node);
  uv_timer_start(&p->timer, on_slow_timer, strtoull(p->msg, NULL, 10), 0);
}

static void do_fail(grpc_call *call, const uint8_t *msg, size_t len) {
  char *text = xstrndup(len ? (const char *)msg + 1 : "", len ? len - 1 : 0);
  grpc_call_fail(call, len ? msg[0] : GRPC_UNKNOWN, text);
  free(text);
}

static void do_big(grpc_call *call, const uint8_t *msg, size_t len) {
  char *text = xstrndup((const char *)msg, len);
  size_t n = strtoull(text, NULL, 10);
  uint8_t *body = xmalloc(n ? n : 1);
  memset(body, 'x', n);
  grpc_call_reply(call, body, n);
  free(body);
  free(text);
}

static void do_stats(grpc_call *call) {
  grpc_server_stats s;
  grpc_server_get_stats(&s);
  char *text = xasprintf(
      "connections_open=%" PRIu64 " connections_total=%" PRIu64
      " streams_active=%" PRIu64 " calls_total=%" PRIu64 " calls_rejected=%" PRIu64
      " deadline_exceeded=%" PRIu64 " resets_received=%" PRIu64
      " finished_after_cancel=%" PRIu64 " slow_pending=%zu held=%zu",
      s.connections_open, s.connections_total, s.streams_active, s.calls_total,
      s.calls_rejected, s.deadline_exceeded, s.resets_received,
      s.finished_after_cancel, list_length(&slow), list_length(&held));
  grpc_call_reply(call, (const uint8_t *)text, strlen(text));
  free(text);
}

static void do_info(grpc_call *call) {
  const char *x = grpc_call_header(call, "x-test");
  const char *auth = grpc_call_header(call, ":authority");
  char *text = xasprintf("peer=%s remaining_ms=%" PRId64 " cancelled=%d x-test=%s authority=%s",
                         grpc_call_peer(call), grpc_call_remaining_ms(call),
                         grpc_call_cancelled(call), x ? x : "-", auth ? auth : "-");
  grpc_call_reply(call, (const uint8_t *)text, strlen(text));
  free(text);
}

static void on_signal(uv_signal_t *h, int signum);

static void dispatch(grpc_call *call, const char *path, const uint8_t *msg,
                     size_t len, void *ud) {
  (void)ud;
  if (strcmp(path, "/test.Echo/Echo") == 0) {
    grpc_call_reply(call, msg, len);
  } else if (strcmp(path, "/test.Echo/Fail") == 0) {
    do_fail(call, msg, len);
  } else if (strcmp(path, "/test.Echo/Slow") == 0) {
    do_slow(call, msg, len);
  } else if (strcmp(path, "/test.Echo/Hold") == 0) {
    pending *p = pending_new(call, msg, len);
    list_push_back(&held, &p->node);
  } else if (strcmp(path, "/test.Echo/Big") == 0) {
    do_big(call, msg, len);
  } else if (strcmp(path, "/test.Echo/Stats") == 0) {
    do_stats(call);
  } else if (strcmp(path, "/test.Echo/Info") == 0) {
    do_info(call);
  } else if (strcmp(path, "/test.Echo/Die") == 0) {
    on_signal(NULL, SIGUSR1); /* a hard close from inside a dispatch */
    grpc_call_reply(call, msg, len);
  } else if (strcmp(path, "/test.Echo/Drain") == 0) {
    on_signal(NULL, SIGTERM); /* a drain from inside a dispatch */
    grpc_call_reply(call, msg, len);
  } else {
    char *text = xasprintf("unknown method %s", path);
    grpc_call_fail(call, GRPC_UNIMPLEMENTED, text);
    free(text);
  }
}

static void release_held(int status, const char *message) {
  list_each(it, &held) {
    pending *p = list_entry(it, pending, node);
    list_remove(&p->node);
    if (status)
      grpc_call_fail(p->call, status, message);
    else
      grpc_call_reply(p->call, (const uint8_t *)p->msg, strlen(p->msg));
    uv_close((uv_handle_t *)&p->timer, on_pending_closed);
  }
}

static void print_stats(void) {
  grpc_server_stats s;
  grpc_server_get_stats(&s);
  printf("STATS connections_total=%" PRIu64 " calls_total=%" PRIu64
         " calls_rejected=%" PRIu64 " deadline_exceeded=%" PRIu64
         " resets_received=%" PRIu64 " finished_after_cancel=%" PRIu64
         " connections_open=%" PRIu64 " streams_active=%" PRIu64 "\n",
         s.connections_total, s.calls_total, s.calls_rejected,
         s.deadline_exceeded, s.resets_received, s.finished_after_cancel,
         s.connections_open, s.streams_active);
  fflush(stdout);
}

static void close_signals(void) {
  uv_close((uv_handle_t *)&sig_term, NULL);
  uv_close((uv_handle_t *)&sig_int, NULL);
  uv_close((uv_handle_t *)&sig_usr1, NULL);
}

static void on_drained(void *ud) {
  (void)ud;
  printf("DRAINED\n");
  fflush(stdout);
  close_signals();
}

static void on_signal(uv_signal_t *h, int signum) {
  static bool draining, closed;
  (void)h;
  if (closed || (draining && signum != SIGUSR1)) return;
  if (signum == SIGUSR1) {
    closed = true;
    grpc_server_close();
    release_held(0, NULL); /* finishing after close only frees */
    printf("CLOSED\n");
    fflush(stdout);
    close_signals();
    return;
  }
  draining = true;
  grpc_server_drain(on_drained, NULL);
  printf("DRAINING\n"); /* the listeners are closed by now */
  fflush(stdout);
  release_held(GRPC_UNAVAILABLE, "server draining");
}

typedef struct options {
  const char *listen[8];
  size_t nlisten;
  grpc_server_config cfg;
} options;

static int parse_args(int argc, char **argv, options *o) {
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, 'l'},
      {"tls-cert", required_argument, NULL, 'c'},
      {"tls-key", required_argument, NULL, 'k'},
      {"tls-client-ca", required_argument, NULL, 'a'},
      {"verify-client", no_argument, NULL, 'v'},
      {"max-message", required_argument, NULL, 'm'},
      {"max-streams", required_argument, NULL, 's'},
      {"debug", no_argument, NULL, 'd'},
      {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (ch) {
    case 'l':
      if (o->nlisten + 1 < ARRAY_LEN(o->listen)) o->listen[o->nlisten++] = optarg;
      break;
    case 'c': o->cfg.tls = true; o->cfg.tls_cert = optarg; break;
    case 'k': o->cfg.tls_key = optarg; break;
    case 'a': o->cfg.tls_client_ca = optarg; break;
    case 'v': o->cfg.tls_verify_client = true; break;
    case 'm': o->cfg.max_message_size = strtoull(optarg, NULL, 10); break;
    case 's': o->cfg.max_concurrent_streams = (uint32_t)strtoul(optarg, NULL, 10); break;
    case 'd': log_set_level(STRATUS_LOG_DEBUG); break;
    default: return -1;
    }
  }
  if (!o->nlisten) o->listen[o->nlisten++] = "127.0.0.1:0";
  o->cfg.listen = o->listen;
  return 0;
}

int main(int argc, char **argv) {
  options o = {0};
  log_init();
  if (parse_args(argc, argv, &o) != 0) {
    fprintf(stderr, "usage: grpc_echo_server [--listen ip:port]... [--tls-cert F "
                    "--tls-key F [--tls-client-ca F [--verify-client]]] "
                    "[--max-message N] [--max-streams N] [--debug]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* as stratusd does: peers hang up mid-write */
  loop = uv_default_loop();
  char err[256];
  if (grpc_server_start(loop, &o.cfg, dispatch, NULL, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s\n", err);
    uv_run(loop, UV_RUN_DEFAULT); /* let the listeners close */
    uv_loop_close(loop);
    return 1;
  }
  uv_signal_init(loop, &sig_term);
  uv_signal_init(loop, &sig_int);
  uv_signal_init(loop, &sig_usr1);
  uv_signal_start(&sig_term, on_signal, SIGTERM);
  uv_signal_start(&sig_int, on_signal, SIGINT);
  uv_signal_start(&sig_usr1, on_signal, SIGUSR1);
  printf("READY");
  for (size_t i = 0; grpc_server_address(i); i++) printf(" %s", grpc_server_address(i));
  printf("\n");
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(loop);
  print_stats();
  printf("EXIT %s\n", rc == 0 ? "clean" : uv_strerror(rc));
  return rc == 0 ? 0 : 3;
}
