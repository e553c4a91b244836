#include "http_probe.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "list.h"
#include "util.h"

typedef struct request {
  CURL *easy;
  uint64_t start_ns;
  probe_done done;
  void *ud;
  strbuf body;
  char error[CURL_ERROR_SIZE];
  list_node node;
} request;

typedef struct socket_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
} socket_ctx;

static CURLM *multi;
static uv_loop_t *loop;
static uv_timer_t timer;
static list_node requests = LIST_INIT(requests);

static probe_outcome outcome_of(CURLcode code) {
  switch (code) {
  case CURLE_OK: return PROBE_ANSWERED;
  case CURLE_COULDNT_CONNECT: return PROBE_REFUSED;
  case CURLE_OPERATION_TIMEDOUT: return PROBE_TIMEOUT;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING: return PROBE_RESET;
  default: return PROBE_ERROR;
  }
}

static void release(request *r) {
  curl_easy_cleanup(r->easy);
  sb_free(&r->body);
  free(r);
}

static void finish(request *r, CURLcode code) {
  probe_result res = {outcome_of(code), 0, r->body.data, r->body.len, NULL,
                      (double)(clock_mono_ns() - r->start_ns) / 1e9};
  if (code == CURLE_OK) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
  else res.error = *r->error ? r->error : curl_easy_strerror(code);
  curl_multi_remove_handle(multi, r->easy);
  list_remove(&r->node);
  r->done(&res, r->ud);
  release(r);
}

static void check_done(void) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    request *r;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    finish(r, msg->data.result);
  }
}

static void on_poll(uv_poll_t *p, int status, int events) {
  socket_ctx *s = p->data;
  int flags = status < 0 ? CURL_CSELECT_ERR : 0;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(multi, s->fd, flags, &running);
  check_done();
}

static void on_poll_closed(uv_handle_t *h) { free(h->data); }

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp, void *sockp) {
  socket_ctx *s = sockp;
  (void)easy, (void)userp;
  if (action == CURL_POLL_REMOVE) {
    if (s) {
      curl_multi_assign(multi, fd, NULL);
      uv_poll_stop(&s->poll);
      uv_close((uv_handle_t *)&s->poll, on_poll_closed);
    }
    return 0;
  }
  if (!s) {
    s = xcalloc(1, sizeof(*s));
    s->fd = fd;
    uv_poll_init_socket(loop, &s->poll, fd);
    s->poll.data = s;
    curl_multi_assign(multi, fd, s);
  }
  int events = 0;
  if (action != CURL_POLL_OUT) events |= UV_READABLE;
  if (action != CURL_POLL_IN) events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

static void on_timeout(uv_timer_t *t) {
  (void)t;
  int running;
  curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done();
}

static int on_timer(CURLM *m, long timeout_ms, void *userp) {
  (void)m, (void)userp;
  if (timeout_ms < 0) uv_timer_stop(&timer);
  else uv_timer_start(&timer, on_timeout, (uint64_t)timeout_ms, 0);
  return 0;
}

int probe_init(uv_loop_t *l) {
  loop = l;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  multi = curl_multi_init();
  if (!multi) return STRATUS_ENOMEM;
  uv_timer_init(loop, &timer);
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
  return 0;
}

static size_t collect(char *data, size_t size, size_t n, void *ud) {
  request *r = ud;
  if (r->body.len + size * n > 1 << 20) return 0; /* refuse bodies over 1 MiB */
  sb_append(&r->body, data, size * n);
  return size * n;
}

int probe_get(const char *url, int64_t timeout_ms, probe_done done, void *ud) {
  request *r = xcalloc(1, sizeof(*r));
  r->easy = curl_easy_init();
  r->done = done;
  r->ud = ud;
  r->start_ns = clock_mono_ns();
  sb_init(&r->body);
  curl_easy_setopt(r->easy, CURLOPT_URL, url);
  curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->error);
  curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
  list_push_back(&requests, &r->node);
  curl_multi_add_handle(multi, r->easy);
  return 0;
}

void probe_shutdown(void) {
  if (!multi) return;
  list_each(it, &requests) {
    request *r = list_entry(it, request, node);
    curl_multi_remove_handle(multi, r->easy);
    list_remove(&r->node);
    probe_result res = {PROBE_ERROR, 0, NULL, 0, "shutting down", 0};
    r->done(&res, r->ud);
    release(r);
  }
  curl_multi_cleanup(multi);
  multi = NULL;
  uv_close((uv_handle_t *)&timer, NULL);
  curl_global_cleanup();
}
