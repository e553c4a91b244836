/* See fake_h2.h. Header blocks are HPACK literals without indexing or
 * Huffman, so the server keeps no HPACK state. */
#include "fake_h2.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { F_DATA = 0, F_HEADERS = 1, F_SETTINGS = 4, F_GOAWAY = 7 };
enum { END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4 };
#define PREFACE_LEN 24

static void die(const char *what) {
  perror(what);
  abort();
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void send_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) die("fake_h2 send");
    p += w;
    n -= (size_t)w;
  }
}

static void send_frame(fake_h2 *s, uint8_t type, uint8_t flags, int32_t stream,
                       const uint8_t *payload, size_t len) {
  uint8_t head[9];
  head[0] = (uint8_t)(len >> 16);
  head[1] = (uint8_t)(len >> 8);
  head[2] = (uint8_t)len;
  head[3] = type;
  head[4] = flags;
  put32(head + 5, (uint32_t)stream);
  send_all(s->fd, head, sizeof(head));
  if (len) send_all(s->fd, payload, len);
}

/* One literal field; names and values here are shorter than 127 bytes. */
static size_t hpack_literal(uint8_t *out, const char *name, const char *value) {
  size_t nl = strlen(name), vl = strlen(value), n = 0;
  out[n++] = 0x00;
  out[n++] = (uint8_t)nl;
  memcpy(out + n, name, nl);
  n += nl;
  out[n++] = (uint8_t)vl;
  memcpy(out + n, value, vl);
  return n + vl;
}

/* Turns the loop until fd is readable. */
static void wait_readable(int fd, uv_loop_t *loop) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  for (;;) {
    uv_run(loop, UV_RUN_NOWAIT);
    if (poll(&p, 1, 10) > 0) return;
  }
}

void fake_h2_listen(fake_h2 *s) {
  memset(s, 0, sizeof(*s));
  s->fd = -1;
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      listen(s->listen_fd, 8) != 0 ||
      getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0)
    die("fake_h2 listen");
  snprintf(s->target, sizeof(s->target), "127.0.0.1:%d", ntohs(a.sin_port));
}

void fake_h2_accept(fake_h2 *s, uv_loop_t *loop) {
  wait_readable(s->listen_fd, loop);
  s->fd = accept(s->listen_fd, NULL, NULL);
  if (s->fd < 0) die("fake_h2 accept");
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  s->in_len = 0;
  s->preface_left = PREFACE_LEN;
  s->requests = 0;
  send_frame(s, F_SETTINGS, 0, 0, NULL, 0);
}

/* Handles the first complete frame in s->in; returns the stream id of a
 * request it ends, 0 otherwise, -1 when no whole frame is there yet. */
static int32_t take_frame(fake_h2 *s) {
  if (s->preface_left) {
    size_t n = s->in_len < s->preface_left ? s->in_len : s->preface_left;
    memmove(s->in, s->in + n, s->in_len - n);
    s->in_len -= n;
    s->preface_left -= n;
    if (s->preface_left) return -1;
  }
  if (s->in_len < 9) return -1;
  size_t len = (size_t)s->in[0] << 16 | (size_t)s->in[1] << 8 | s->in[2];
  if (s->in_len < 9 + len) return -1;
  uint8_t type = s->in[3], flags = s->in[4];
  int32_t stream = (int32_t)((uint32_t)s->in[5] << 24 | (uint32_t)s->in[6] << 16 |
                             (uint32_t)s->in[7] << 8 | s->in[8]) & 0x7fffffff;
  memmove(s->in, s->in + 9 + len, s->in_len - 9 - len);
  s->in_len -= 9 + len;
  if (type == F_SETTINGS && !(flags & ACK)) send_frame(s, F_SETTINGS, ACK, 0, NULL, 0);
  bool ends = (type == F_HEADERS || type == F_DATA) && (flags & END_STREAM);
  return ends ? stream : 0;
}

int32_t fake_h2_read_request(fake_h2 *s, uv_loop_t *loop) {
  for (;;) {
    int32_t stream;
    while ((stream = take_frame(s)) >= 0)
      if (stream > 0) {
        s->requests++;
        return stream;
      }
    if (s->in_len == sizeof(s->in)) abort(); /* a frame larger than tests send */
    wait_readable(s->fd, loop);
    ssize_t n = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
    if (n <= 0) die("fake_h2 recv: the client closed");
    s->in_len += (size_t)n;
  }
}

void fake_h2_reply(fake_h2 *s, int32_t stream, const char *msg) {
  uint8_t block[128], data[5 + 64];
  size_t n = hpack_literal(block, ":status", "200");
  n += hpack_literal(block + n, "content-type", "application/grpc");
  send_frame(s, F_HEADERS, END_HEADERS, stream, block, n);
  size_t len = strlen(msg);
  if (len > 64) abort();
  data[0] = 0;
  put32(data + 1, (uint32_t)len);
  memcpy(data + 5, msg, len);
  send_frame(s, F_DATA, 0, stream, data, 5 + len);
  n = hpack_literal(block, "grpc-status", "0");
  send_frame(s, F_HEADERS, END_HEADERS | END_STREAM, stream, block, n);
}

void fake_h2_goaway(fake_h2 *s, int32_t last_stream, uint32_t error_code) {
  uint8_t p[8];
  put32(p, (uint32_t)last_stream);
  put32(p + 4, error_code);
  send_frame(s, F_GOAWAY, 0, 0, p, sizeof(p));
}

/* FIN after what was written, and what the client sent read first: closing
 * with unread input would send a RST, which may discard our last frames. */
void fake_h2_close_conn(fake_h2 *s) {
  if (s->fd < 0) return;
  shutdown(s->fd, SHUT_WR);
  uint8_t sink[4096];
  while (recv(s->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0) {
  }
  close(s->fd);
  s->fd = -1;
}

void fake_h2_stop_listening(fake_h2 *s) {
  if (s->listen_fd >= 0) close(s->listen_fd);
  s->listen_fd = -1;
}
