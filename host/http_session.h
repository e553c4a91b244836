/* One HTTP/1.1 connection's requests, without the socket: bytes in, parsed
 * requests routed, responses out through emit. Pipelined requests are
 * answered in order; the owner pauses parsing (http_session_pause) while its
 * unsent output is too large and feeds the rest later. Used by http.c and by
 * the fuzz target. */
#ifndef STRATUS_HOST_HTTP_SESSION_H
#define STRATUS_HOST_HTTP_SESSION_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define HTTP_MAX_URL 2048
#define HTTP_MAX_HEADER_BYTES (16 * 1024) /* request line and headers */
#define HTTP_MAX_BODY (64 * 1024)

typedef struct http_session http_session;
/* A response, malloc'ed (the callee owns data). close_after: the
 * connection ends once it is written. */
typedef void (*http_emit_fn)(http_session *s, char *data, size_t len, bool close_after);

struct http_session {
  http_parser parser;
  strbuf url, body;
  size_t header_bytes;
  int refuse;      /* 413, 414, 431: the limit a callback hit */
  bool admin;
  bool in_request; /* a request has begun and is not complete */
  unsigned long begun; /* requests begun so far */
  bool failed;     /* an error was answered: nothing more is parsed */
  bool paused;
  http_handler route;
  http_emit_fn emit;
  void *owner;
};

void http_session_init(http_session *s, bool admin, http_handler route, http_emit_fn emit,
                       void *owner);
void http_session_free(http_session *s);
/* Parse and answer what data holds. Returns the bytes consumed: all of
 * them, unless the session was paused or failed on the way. */
size_t http_session_feed(http_session *s, const char *data, size_t len);
void http_session_pause(http_session *s, bool pause);

#endif
