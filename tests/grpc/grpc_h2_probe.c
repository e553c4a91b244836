/* A raw HTTP/2 client for transport tests: sends requests whose DATA frames
 * are given one by one (bad prefixes, split prefixes, two messages...),
 * can reset streams or drop the connection, and prints what comes back:
 *   <n> header NAME VALUE | <n> data LEN [HEX if small] | <n> trailer NAME VALUE |
 *   <n> closed ERROR_CODE MS | goaway CODE LAST_STREAM | pingack OPAQUE |
 *   eof | timeout
 * Requests run one after the other on one connection (--parallel: at once). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "net.h"
#include "util.h"

#define MAX_REQ 2048
#define MAX_FRAMES 16
#define MAX_HDRS 64

typedef struct request {
  const char *path, *method, *ctype;
  const char *hdr_name[MAX_HDRS], *hdr_value[MAX_HDRS];
  int nhdrs;
  strbuf frames[MAX_FRAMES];
  int nframes, frame, open;
  size_t off;
  long rst_ms;
  int32_t stream_id;
  int started, sent, closed, shared;
  double t0;
} request;

static request reqs[MAX_REQ];
static int nreqs, parallel, ping, big_window, fd = -1;
static long timeout_ms = 5000, close_ms = -1, stall_ms = 0;

static double now_ms(void) { return (double)clock_mono_ns() / 1e6; }

static request *find(int32_t id) {
  for (int i = 0; i < nreqs; i++)
    if (reqs[i].stream_id == id) return &reqs[i];
  return NULL;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_prefix(strbuf *sb, unsigned flag, unsigned long len) {
  uint8_t p[5] = {(uint8_t)flag, (uint8_t)(len >> 24), (uint8_t)(len >> 16),
                  (uint8_t)(len >> 8), (uint8_t)len};
  sb_append(sb, p, 5);
}

/* hex:00ff.. | msg:TEXT | pfx:FLAG:LEN | zeros:N | raw:TEXT */
static int parse_frame(strbuf *sb, const char *spec) {
  sb_init(sb);
  if (str_has_prefix(spec, "hex:")) {
    for (const char *p = spec + 4; p[0] && p[1]; p += 2) {
      uint8_t b = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
      sb_append(sb, &b, 1);
    }
  } else if (str_has_prefix(spec, "msg:")) {
    put_prefix(sb, 0, strlen(spec + 4));
    sb_puts(sb, spec + 4);
  } else if (str_has_prefix(spec, "pfx:")) {
    char *end;
    unsigned long flag = strtoul(spec + 4, &end, 10);
    put_prefix(sb, (unsigned)flag, strtoul(end + 1, NULL, 10));
  } else if (str_has_prefix(spec, "zeros:")) {
    size_t n = strtoul(spec + 6, NULL, 10);
    sb_reserve(sb, n);
    memset(sb->data, 0, n);
    sb->len = n;
  } else if (str_has_prefix(spec, "raw:")) {
    sb_puts(sb, spec + 4);
  } else {
    return -1;
  }
  return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud) {
  (void)s; (void)id; (void)ud;
  request *r = src->ptr;
  if (r->frame == r->nframes) {
    if (r->open) return NGHTTP2_ERR_DEFERRED;
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  strbuf *f = &r->frames[r->frame];
  size_t n = f->len - r->off < len ? f->len - r->off : len;
  memcpy(buf, f->data + r->off, n);
  r->off += n;
  if (r->off == f->len) {
    r->frame++;
    r->off = 0;
    if (r->frame == r->nframes && !r->open) *flags |= NGHTTP2_DATA_FLAG_EOF;
  }
  return (ssize_t)n;
}

static nghttp2_nv mknv(const char *n, const char *v) {
  return (nghttp2_nv){(uint8_t *)n, (uint8_t *)v, strlen(n), strlen(v), 0};
}

static void start(nghttp2_session *s, request *r) {
  nghttp2_nv nv[MAX_HDRS + 6];
  size_t n = 0;
  nv[n++] = mknv(":method", r->method);
  nv[n++] = mknv(":scheme", "http");
  nv[n++] = mknv(":path", r->path);
  nv[n++] = mknv(":authority", "probe");
  if (*r->ctype) nv[n++] = mknv("content-type", r->ctype);
  nv[n++] = mknv("te", "trailers");
  for (int i = 0; i < r->nhdrs; i++) nv[n++] = mknv(r->hdr_name[i], r->hdr_value[i]);
  nghttp2_data_provider prd = {.source.ptr = r, .read_callback = read_body};
  bool body = r->nframes > 0 || r->open;
  r->stream_id = nghttp2_submit_request(s, NULL, nv, n, body ? &prd : NULL, r);
  r->started = 1;
  r->t0 = now_ms();
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags,
                     void *ud) {
  (void)s; (void)flags; (void)ud;
  request *r = find(f->hd.stream_id);
  if (!r) return 0;
  const char *kind = f->headers.cat == NGHTTP2_HCAT_HEADERS ? "trailer" : "header";
  printf("%d %s %.*s %.*s\n", (int)(r - reqs), kind, (int)nlen, name, (int)vlen, value);
  return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud) {
  (void)s; (void)flags; (void)data; (void)ud;
  request *r = find(id);
  if (!r) return 0;
  printf("%d data %zu", (int)(r - reqs), len);
  for (size_t i = 0; len <= 4096 && i < len; i++) printf("%s%02x", i ? "" : " ", data[i]);
  printf("\n");
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s; (void)ud;
  if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK))
    printf("pingack %.8s\n", (const char *)f->ping.opaque_data);
  if (f->hd.type == NGHTTP2_GOAWAY)
    printf("goaway %u %d\n", f->goaway.error_code, f->goaway.last_stream_id);
  if (f->hd.type == NGHTTP2_RST_STREAM) {
    request *r = find(f->hd.stream_id);
    if (r) printf("%d rst %u\n", (int)(r - reqs), f->rst_stream.error_code);
  }
  return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *ud) {
  (void)s; (void)ud;
  request *r = f->hd.type == NGHTTP2_HEADERS ? find(f->hd.stream_id) : NULL;
  if (r) r->sent = 1;
  return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud) {
  (void)s; (void)ud;
  request *r = find(id);
  if (!r) return 0;
  r->closed = 1;
  printf("%d closed %u %.0f\n", (int)(r - reqs), code, now_ms() - r->t0);
  return 0;
}

static int all_closed(void) {
  for (int i = 0; i < nreqs; i++)
    if (!reqs[i].closed) return 0;
  return 1;
}

static void start_next(nghttp2_session *s) {
  for (int i = 0; i < nreqs; i++) {
    if (reqs[i].started && !reqs[i].closed && !parallel) return;
    if (!reqs[i].started) {
      start(s, &reqs[i]);
      if (!parallel) return;
    }
  }
}

/* After a write error (the server hung up) keep reading what it sent. */
static int write_failed;

static int flush(nghttp2_session *s) {
  const uint8_t *data;
  ssize_t n;
  while (!write_failed && (n = nghttp2_session_mem_send(s, &data)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = send(fd, data + off, (size_t)(n - off), MSG_NOSIGNAL);
      if (w <= 0) {
        printf("write error\n");
        write_failed = 1;
        return 0;
      }
      off += w;
    }
  }
  return 0;
}

static void check_resets(nghttp2_session *s, double t) {
  for (int i = 0; i < nreqs; i++) {
    request *r = &reqs[i];
    if (r->sent && !r->closed && r->rst_ms >= 0 && t - r->t0 >= (double)r->rst_ms) {
      nghttp2_submit_rst_stream(s, 0, r->stream_id, NGHTTP2_CANCEL);
      r->rst_ms = -1;
    }
  }
}

/* Say goodbye and wait for the server to hang up: closing with unread
 * input would make the kernel reset the connection, and the server could
 * lose frames it had not read yet. */
static void finish(nghttp2_session *s) {
  nghttp2_session_terminate_session(s, NGHTTP2_NO_ERROR);
  flush(s);
  shutdown(fd, SHUT_WR);
  uint8_t buf[65536];
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (poll(&p, 1, 1000) > 0 && read(fd, buf, sizeof(buf)) > 0) {
  }
}

static int run(nghttp2_session *s) {
  double t_start = now_ms();
  uint8_t buf[65536];
  for (;;) {
    start_next(s);
    check_resets(s, now_ms());
    flush(s);
    if (all_closed()) return finish(s), 0;
    double t = now_ms() - t_start;
    if (close_ms >= 0 && t >= (double)close_ms) return printf("dropped\n"), 0;
    if (t >= (double)timeout_ms) return printf("timeout\n"), 1;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (t < (double)stall_ms) { /* a client that does not read */
      poll(NULL, 0, 10);
      continue;
    }
    if (poll(&p, 1, 10) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return printf("eof\n"), 0;
    /* a GOAWAY that ends the session makes mem_recv refuse further input */
    if (nghttp2_session_mem_recv(s, buf, (size_t)n) < 0) return printf("h2 error\n"), 0;
  }
}

static int connect_to(const char *addr) {
  struct sockaddr_storage ss;
  char err[128];
  if (net_parse_addr(addr, &ss, err, sizeof(err)) != 0) return -1;
  fd = socket(ss.ss_family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  socklen_t len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                           : sizeof(struct sockaddr_in);
  return connect(fd, (struct sockaddr *)&ss, len);
}

static int parse_args(int argc, char **argv) {
  request *r = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--parallel")) { parallel = 1; continue; }
    if (!strcmp(a, "--ping")) { ping = 1; continue; }
    if (!strcmp(a, "--big-window")) { big_window = 1; continue; }
    if (!strcmp(a, "--open")) { if (!r) return -1; r->open = 1; continue; }
    if (!v) return -1;
    i++;
    if (!strcmp(a, "--timeout-ms")) timeout_ms = atol(v);
    else if (!strcmp(a, "--stall-ms")) stall_ms = atol(v);
    else if (!strcmp(a, "--repeat")) {
      for (long n = atol(v); r && n > 1 && nreqs < MAX_REQ; n--) {
        reqs[nreqs] = *r;
        reqs[nreqs++].shared = 1; /* frames belong to the original */
      }
    }
    else if (!strcmp(a, "--close-ms")) close_ms = atol(v);
    else if (!strcmp(a, "--req")) {
      if (nreqs == MAX_REQ) return -1;
      r = &reqs[nreqs++];
      *r = (request){.path = v, .method = "POST", .ctype = "application/grpc", .rst_ms = -1};
    } else if (!r) return -1;
    else if (!strcmp(a, "--method")) r->method = v;
    else if (!strcmp(a, "--ctype")) r->ctype = v;
    else if (!strcmp(a, "--rst-ms")) r->rst_ms = atol(v);
    else if (!strcmp(a, "--header") && r->nhdrs < MAX_HDRS && strchr(v, '=')) {
      char *eq = strchr(argv[i], '=');
      *eq = '\0';
      r->hdr_name[r->nhdrs] = argv[i];
      r->hdr_value[r->nhdrs++] = eq + 1;
    } else if (!strcmp(a, "--frame") && r->nframes < MAX_FRAMES) {
      if (parse_frame(&r->frames[r->nframes++], v) != 0) return -1;
    } else return -1;
  }
  return nreqs ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 3 || parse_args(argc, argv) != 0) {
    fprintf(stderr, "usage: grpc_h2_probe ip:port [--timeout-ms N] [--close-ms N] "
                    "[--parallel] [--ping] [--big-window] [--stall-ms N] --req PATH [--method M] [--ctype CT] [--header k=v] "
                    "[--frame hex:..|msg:..|pfx:F:N|zeros:N|raw:..] [--open] "
                    "[--rst-ms N] [--repeat N]...\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (connect_to(argv[1]) != 0) return printf("connect failed\n"), 1;
  nghttp2_session_callbacks *cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_option *opt;
  nghttp2_option_new(&opt);
  /* let oversized header blocks out, as CONTINUATION frames */
  nghttp2_option_set_max_send_header_block_length(opt, 1024 * 1024);
  nghttp2_session *s;
  nghttp2_session_client_new2(&s, cb, NULL, opt);
  nghttp2_session_callbacks_del(cb);
  nghttp2_option_del(opt);
  nghttp2_settings_entry window = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, INT32_MAX};
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, &window, big_window ? 1 : 0);
  if (big_window) nghttp2_session_set_local_window_size(s, NGHTTP2_FLAG_NONE, 0, INT32_MAX);
  if (ping) nghttp2_submit_ping(s, NGHTTP2_FLAG_NONE, (const uint8_t *)"probe123");
  int rc = run(s);
  nghttp2_session_del(s);
  close(fd);
  for (int i = 0; i < nreqs; i++)
    for (int j = 0; !reqs[i].shared && j < reqs[i].nframes; j++) sb_free(&reqs[i].frames[j]);
  return rc;
}
