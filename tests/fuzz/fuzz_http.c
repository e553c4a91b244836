/* The HTTP/1.1 request parser of the health/admin port (http_session.c):
 * arbitrary bytes, fed in pieces, with pauses and resumes in between as the
 * connection does under backpressure. Responses must be well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_session.h"

static void route(const http_request *req, http_response *resp) {
  if (strlen(req->method) == 0 || req->path == NULL || req->query == NULL) abort();
  if (req->body_len > HTTP_MAX_BODY) abort();
  resp->status = req->admin ? 403 : 200;
  sb_printf(&resp->body, "%s %s %zu", req->method, req->path, req->body_len);
}

static bool closed, pause_each;

static void emit(http_session *s, char *data, size_t len, bool close_after) {
  if (len < 12 || memcmp(data, "HTTP/1.1 ", 9) != 0) abort();
  free(data);
  closed |= close_after;
  if (close_after || pause_each) http_session_pause(s, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  http_session s;
  http_session_init(&s, data[0] & 1, route, emit, NULL);
  pause_each = data[0] & 2;
  closed = false;
  size_t step = (data[0] >> 2) + 1; /* read size, 1..64 */
  const char *p = (const char *)data + 1;
  size_t left = size - 1;
  while (left && !s.failed && !closed) {
    size_t n = left < step ? left : step;
    size_t used = http_session_feed(&s, p, n);
    if (used > n) abort();
    p += used;
    left -= used;
    if (s.paused)
      http_session_pause(&s, false); /* the output was written */
    else if (used < n)
      break;
  }
  http_session_free(&s);
  return 0;
}
