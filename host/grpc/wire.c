/* Pure pieces of the gRPC wire format: timeouts, grpc-message escaping,
 * content types, the 5-byte message prefix and the status mappings of a
 * client. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* grpc-timeout: 1 to 8 digits and a unit H M S m u n. Sub-millisecond
 * values round up so that a tiny timeout is not mistaken for none. */
int64_t wire_parse_timeout_ms(const char *s) {
  size_t n = strlen(s);
  if (n < 2 || n > 9) return -1;
  int64_t v = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  switch (s[n - 1]) {
  case 'H': return v * 3600000;
  case 'M': return v * 60000;
  case 'S': return v * 1000;
  case 'm': return v;
  case 'u': return (v + 999) / 1000;
  case 'n': return (v + 999999) / 1000000;
  default: return -1;
  }
}

/* Everything outside printable ASCII, and '%' itself, becomes %XX. Longer
 * messages are cut at a UTF-8 character boundary: clients cap header size. */
char *wire_percent_encode(const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  if (n > WIRE_MESSAGE_MAX) {
    n = WIRE_MESSAGE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
  }
  char *out = xmalloc(n * 3 + 1), *p = out;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      *p++ = (char)c;
    } else {
      *p++ = '%';
      *p++ = hex[c >> 4];
      *p++ = hex[c & 15];
    }
  }
  *p = '\0';
  return out;
}

/* "application/grpc", optionally "+proto" / "+json" / ";params". */
bool wire_content_type_ok(const char *ct) {
  static const char base[] = "application/grpc";
  if (!ct || strncasecmp(ct, base, sizeof(base) - 1) != 0) return false;
  char next = ct[sizeof(base) - 1];
  return next == '\0' || next == '+' || next == ';';
}

void wire_put_prefix(uint8_t out[GRPC_PREFIX], uint32_t len) {
  out[0] = 0;
  out[1] = (uint8_t)(len >> 24);
  out[2] = (uint8_t)(len >> 16);
  out[3] = (uint8_t)(len >> 8);
  out[4] = (uint8_t)len;
}

uint32_t wire_prefix_len(const uint8_t prefix[GRPC_PREFIX]) {
  return (uint32_t)prefix[1] << 24 | (uint32_t)prefix[2] << 16 |
         (uint32_t)prefix[3] << 8 | prefix[4];
}

/* grpc-timeout for a client: at most 8 digits, in the finest unit that fits
 * (coarser units round up: a deadline is never shortened). */
void wire_format_timeout(int64_t ms, char out[WIRE_TIMEOUT_LEN]) {
  static const struct { char unit; int64_t ms; } units[] = {
      {'m', 1}, {'S', 1000}, {'M', 60000}, {'H', 3600000}};
  if (ms < 0) ms = 0;
  for (size_t i = 0; i < ARRAY_LEN(units); i++) {
    int64_t v = (ms + units[i].ms - 1) / units[i].ms;
    if (v <= 99999999) {
      snprintf(out, WIRE_TIMEOUT_LEN, "%d%c", (int)v, units[i].unit);
      return;
    }
  }
  snprintf(out, WIRE_TIMEOUT_LEN, "99999999H");
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* grpc-message: %XX becomes the byte; a malformed escape is kept as it is,
 * since the spec asks decoders never to fail on one. */
char *wire_percent_decode(const char *s) {
  char *out = xmalloc(strlen(s) + 1), *p = out;
  while (*s) {
    int hi = s[0] == '%' ? hex_digit(s[1]) : -1;
    int lo = hi >= 0 ? hex_digit(s[2]) : -1;
    if (lo >= 0) {
      *p++ = (char)(hi << 4 | lo);
      s += 3;
    } else {
      *p++ = *s++;
    }
  }
  *p = '\0';
  return out;
}

/* A response without a usable grpc-status, by HTTP status (gRPC's
 * "HTTP to gRPC Status Code Mapping"). */
int wire_grpc_from_http(int http_status) {
  switch (http_status) {
  case 400: return GRPC_INTERNAL;
  case 401: return GRPC_UNAUTHENTICATED;
  case 403: return GRPC_PERMISSION_DENIED;
  case 404: return GRPC_UNIMPLEMENTED;
  case 429: case 502: case 503: case 504: return GRPC_UNAVAILABLE;
  default: return GRPC_UNKNOWN;
  }
}

/* A stream reset before its response was complete, by HTTP/2 error code
 * (gRPC's PROTOCOL-HTTP2 "Errors"). */
int wire_grpc_from_h2_error(uint32_t code) {
  switch (code) {
  case NGHTTP2_REFUSED_STREAM: return GRPC_UNAVAILABLE;
  case NGHTTP2_CANCEL: return GRPC_CANCELLED;
  case NGHTTP2_ENHANCE_YOUR_CALM: return GRPC_RESOURCE_EXHAUSTED;
  case NGHTTP2_INADEQUATE_SECURITY: return GRPC_PERMISSION_DENIED;
  default: return GRPC_INTERNAL;
  }
}
