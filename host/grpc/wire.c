/* Pure pieces of the gRPC wire format: timeouts, grpc-message escaping,
 * content types and the 5-byte message prefix. */
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
