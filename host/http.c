#include "http.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "list.h"
#include "log.h"
#include "net.h"
#include "stratusd.h"

#define MAX_URL 2048
#define MAX_BODY (64 * 1024)

typedef union stream_handle {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} stream_handle;

typedef struct listener {
  stream_handle h;
  bool admin;
  list_node node;
} listener;

typedef struct http_conn {
  stream_handle h;
  http_parser parser;
  bool admin, closing;
  strbuf url, body;
  list_node node;
} http_conn;

typedef struct write_req {
  uv_write_t req;
  char *data;
  bool close_after;
} write_req;

static list_node listeners = LIST_INIT(listeners);
static list_node conns = LIST_INIT(conns);
static http_handler route;
static char *admin_path;
static http_parser_settings settings;

static void on_conn_closed(uv_handle_t *h) {
  http_conn *c = h->data;
  sb_free(&c->url);
  sb_free(&c->body);
  free(c);
}

static void conn_close(http_conn *c) {
  if (c->closing) return;
  c->closing = true;
  list_remove(&c->node);
  uv_close(&c->h.handle, on_conn_closed);
}

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  http_conn *c = req->handle->data;
  if ((status < 0 || w->close_after) && c) conn_close(c);
  free(w->data);
  free(w);
}

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Payload Too Large";
  case 503: return "Service Unavailable";
  default: return "Error";
  }
}

static void send_response(http_conn *c, http_response *r, bool keep_alive,
                          bool head) {
  strbuf out;
  sb_init(&out);
  sb_printf(&out,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Connection: %s\r\n\r\n",
            r->status, reason(r->status),
            r->content_type ? r->content_type : "text/plain; charset=utf-8",
            r->body.len, keep_alive ? "keep-alive" : "close");
  if (!head) sb_append(&out, r->body.data, r->body.len);
  write_req *w = xcalloc(1, sizeof(*w));
  w->close_after = !keep_alive;
  w->data = out.data;
  uv_buf_t buf = uv_buf_init(out.data, (unsigned)out.len);
  if (uv_write(&w->req, &c->h.stream, &buf, 1, on_written) != 0) {
    free(w->data);
    free(w);
    conn_close(c);
  }
}

static void reply_error(http_conn *c, int status, const char *msg) {
  http_response r = {.status = status};
  sb_init(&r.body);
  sb_printf(&r.body, "%s\n", msg);
  send_response(c, &r, false, false);
  sb_free(&r.body);
}

static int on_url(http_parser *p, const char *at, size_t len) {
  http_conn *c = p->data;
  if (c->url.len + len > MAX_URL) return 1;
  sb_append(&c->url, at, len);
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  http_conn *c = p->data;
  if (c->body.len + len > MAX_BODY) return 1;
  sb_append(&c->body, at, len);
  return 0;
}

static int on_message_begin(http_parser *p) {
  http_conn *c = p->data;
  c->url.len = c->body.len = 0;
  if (c->url.data) c->url.data[0] = '\0';
  return 0;
}

static int on_message_complete(http_parser *p) {
  http_conn *c = p->data;
  char *query = strchr(c->url.data, '?');
  if (query) *query++ = '\0';
  http_request req = {.method = http_method_str(p->method),
                      .path = c->url.data, .query = query ? query : "",
                      .admin = c->admin, .body = c->body.data,
                      .body_len = c->body.len};
  http_response resp = {.status = 200};
  sb_init(&resp.body);
  route(&req, &resp);
  send_response(c, &resp, http_should_keep_alive(p) != 0,
                p->method == HTTP_HEAD);
  sb_free(&resp.body);
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = xmalloc(suggested);
  buf->len = suggested;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  http_conn *c = s->data;
  if (n < 0) {
    conn_close(c);
  } else if (n > 0 && !c->closing) {
    size_t done = http_parser_execute(&c->parser, &settings, buf->base, (size_t)n);
    if (c->parser.http_errno != HPE_OK || done != (size_t)n) {
      bool too_big = c->url.len > MAX_URL - 1 || c->body.len >= MAX_BODY;
      uv_read_stop(s);
      reply_error(c, too_big ? 413 : 400,
                  too_big ? "request too large"
                          : http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
    }
  }
  free(buf->base);
}

static void on_connection(uv_stream_t *server, int status) {
  listener *l = server->data;
  if (status < 0) return;
  http_conn *c = xcalloc(1, sizeof(*c));
  c->admin = l->admin;
  sb_init(&c->url);
  sb_init(&c->body);
  if (l->admin)
    uv_pipe_init(stratusd.loop, &c->h.pipe, 0);
  else
    uv_tcp_init(stratusd.loop, &c->h.tcp);
  c->h.handle.data = c;
  list_push_back(&conns, &c->node);
  if (uv_accept(server, &c->h.stream) != 0) {
    conn_close(c);
    return;
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  uv_read_start(&c->h.stream, on_alloc, on_read);
}

static void on_listener_closed(uv_handle_t *h) { free(h->data); }

static listener *listener_new(bool admin) {
  listener *l = xcalloc(1, sizeof(*l));
  l->admin = admin;
  if (admin)
    uv_pipe_init(stratusd.loop, &l->h.pipe, 0);
  else
    uv_tcp_init(stratusd.loop, &l->h.tcp);
  l->h.handle.data = l;
  list_push_back(&listeners, &l->node);
  return l;
}

static int listen_tcp(const char *addr, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  if (net_parse_addr(addr, &ss, err, errlen) != 0) return -EINVAL;
  listener *l = listener_new(false);
  int rc = uv_tcp_bind(&l->h.tcp, (struct sockaddr *)&ss, 0);
  if (!rc) rc = uv_listen(&l->h.stream, 128, on_connection);
  if (rc) snprintf(err, errlen, "[http] listen %s: %s", addr, uv_strerror(rc));
  return rc;
}

static int listen_admin(const char *path, char *err, size_t errlen) {
  listener *l = listener_new(true);
  unlink(path); /* a stale socket from an earlier run */
  int rc = uv_pipe_bind(&l->h.pipe, path);
  if (!rc) rc = uv_listen(&l->h.stream, 16, on_connection);
  if (rc) {
    snprintf(err, errlen, "[http] admin_socket %s: %s", path, uv_strerror(rc));
    return rc;
  }
  chmod(path, 0660);
  admin_path = xstrdup(path);
  return 0;
}

int http_start(const char *const *listen, const char *admin_socket,
               http_handler handler, char *err, size_t errlen) {
  route = handler;
  settings = (http_parser_settings){.on_message_begin = on_message_begin,
                                    .on_url = on_url, .on_body = on_body,
                                    .on_message_complete = on_message_complete};
  int rc = 0;
  for (size_t i = 0; !rc && listen && listen[i]; i++)
    rc = listen_tcp(listen[i], err, errlen);
  if (!rc && admin_socket && *admin_socket)
    rc = listen_admin(admin_socket, err, errlen);
  if (rc) http_stop();
  return rc;
}

void http_stop(void) {
  list_each(it, &listeners) {
    listener *l = list_entry(it, listener, node);
    list_remove(&l->node);
    uv_close(&l->h.handle, on_listener_closed);
  }
  list_each(it, &conns) conn_close(list_entry(it, http_conn, node));
  if (admin_path) {
    unlink(admin_path);
    free(admin_path);
    admin_path = NULL;
  }
}
