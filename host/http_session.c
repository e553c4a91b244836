#include "http_session.h"

#include <stdlib.h>
#include <string.h>

static http_parser_settings settings;

static const char *reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Payload Too Large";
  case 414: return "URI Too Long";
  case 431: return "Request Header Fields Too Large";
  case 503: return "Service Unavailable";
  default: return "Error";
  }
}

static void send_response(http_session *s, http_response *r, bool keep_alive, bool head) {
  strbuf out;
  sb_init(&out);
  sb_printf(&out,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Connection: %s\r\n\r\n",
            r->status, reason(r->status),
            r->content_type ? r->content_type : "text/plain; charset=utf-8", r->body.len,
            keep_alive ? "keep-alive" : "close");
  if (!head) sb_append(&out, r->body.data, r->body.len);
  size_t len = out.len;
  s->emit(s, sb_steal(&out), len, !keep_alive);
}

static void reply_error(http_session *s, int status, const char *msg) {
  http_response r = {.status = status};
  sb_init(&r.body);
  sb_printf(&r.body, "%s\n", msg);
  send_response(s, &r, false, false);
  sb_free(&r.body);
}

static http_session *of(http_parser *p) { return p->data; }

static int on_url(http_parser *p, const char *at, size_t len) {
  http_session *s = of(p);
  if (s->url.len + len > HTTP_MAX_URL) return s->refuse = 414;
  sb_append(&s->url, at, len);
  return 0;
}

/* Header names and values count against one budget, with the URL. */
static int on_header_bytes(http_parser *p, const char *at, size_t len) {
  (void)at;
  http_session *s = of(p);
  s->header_bytes += len;
  if (s->header_bytes > HTTP_MAX_HEADER_BYTES) return s->refuse = 431;
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  http_session *s = of(p);
  if (s->body.len + len > HTTP_MAX_BODY) return s->refuse = 413;
  sb_append(&s->body, at, len);
  return 0;
}

static int on_message_begin(http_parser *p) {
  http_session *s = of(p);
  s->url.len = s->body.len = s->header_bytes = 0;
  if (s->url.data) s->url.data[0] = '\0';
  s->in_request = true;
  s->begun++;
  return 0;
}

static int on_message_complete(http_parser *p) {
  http_session *s = of(p);
  s->in_request = false;
  sb_append(&s->url, "", 0); /* a terminated string even when empty */
  char *query = strchr(s->url.data, '?');
  if (query) *query++ = '\0';
  http_request req = {.method = http_method_str(p->method), .path = s->url.data,
                      .query = query ? query : "", .admin = s->admin,
                      .body = s->body.data, .body_len = s->body.len};
  http_response resp = {.status = 200};
  sb_init(&resp.body);
  s->route(&req, &resp);
  send_response(s, &resp, http_should_keep_alive(p) != 0, p->method == HTTP_HEAD);
  sb_free(&resp.body);
  return 0;
}

void http_session_init(http_session *s, bool admin, http_handler route, http_emit_fn emit,
                       void *owner) {
  settings = (http_parser_settings){.on_message_begin = on_message_begin, .on_url = on_url,
                                    .on_header_field = on_header_bytes,
                                    .on_header_value = on_header_bytes, .on_body = on_body,
                                    .on_message_complete = on_message_complete};
  memset(s, 0, sizeof(*s));
  http_parser_init(&s->parser, HTTP_REQUEST);
  s->parser.data = s;
  sb_init(&s->url);
  sb_init(&s->body);
  s->admin = admin;
  s->route = route;
  s->emit = emit;
  s->owner = owner;
}

void http_session_free(http_session *s) {
  sb_free(&s->url);
  sb_free(&s->body);
}

void http_session_pause(http_session *s, bool pause) {
  if (s->failed || s->paused == pause) return;
  s->paused = pause;
  http_parser_pause(&s->parser, pause);
}

static void fail(http_session *s) {
  s->failed = true;
  s->in_request = false;
  if (s->refuse == 414)
    reply_error(s, 414, "request URI too long");
  else if (s->refuse == 431)
    reply_error(s, 431, "request headers too large");
  else if (s->refuse == 413)
    reply_error(s, 413, "request body too large");
  else
    reply_error(s, 400, http_errno_description(HTTP_PARSER_ERRNO(&s->parser)));
}

size_t http_session_feed(http_session *s, const char *data, size_t len) {
  if (s->failed || s->paused || len == 0) return 0;
  size_t done = http_parser_execute(&s->parser, &settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&s->parser);
  if (e == HPE_PAUSED) return done;
  if (e != HPE_OK || done != len) fail(s);
  return done;
}
