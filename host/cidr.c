#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool parse_ip(const char *text, int *family, uint8_t addr[16]) {
  memset(addr, 0, 16);
  if (inet_pton(AF_INET, text, addr) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text, addr) != 1) return false;
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(addr, mapped, 12) == 0) { /* ::ffff:a.b.c.d is an IPv4 peer */
    memmove(addr, addr + 12, 4);
    memset(addr + 4, 0, 12);
    *family = AF_INET;
  } else {
    *family = AF_INET6;
  }
  return true;
}

bool cidr_is_ip(const char *text) {
  int family;
  uint8_t addr[16];
  return parse_ip(text, &family, addr);
}

static bool host_bits_zero(const cidr *c) {
  unsigned bits = c->family == AF_INET ? 32 : 128;
  for (unsigned b = c->prefix; b < bits; b++)
    if (c->addr[b / 8] & (0x80 >> (b % 8))) return false;
  return true;
}

int cidr_parse(const char *text, cidr *out, char *err, size_t errlen) {
  const char *slash = strchr(text, '/');
  char *ip = xstrndup(text, slash ? (size_t)(slash - text) : strlen(text));
  bool ok = parse_ip(ip, &out->family, out->addr);
  free(ip);
  unsigned bits = out->family == AF_INET ? 32 : 128;
  out->prefix = bits;
  if (ok && slash) {
    char *end;
    long p = strtol(slash + 1, &end, 10);
    ok = slash[1] && !*end && p >= 0 && p <= (long)bits;
    out->prefix = (unsigned)p;
  }
  if (ok && !host_bits_zero(out)) {
    snprintf(err, errlen, "'%s' has address bits set past its /%u prefix", text, out->prefix);
    return -EINVAL;
  }
  if (ok) return 0;
  snprintf(err, errlen, "'%s' is not an address range (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)",
           text);
  return -EINVAL;
}

static bool inside(const cidr *c, int family, const uint8_t addr[16]) {
  if (c->family != family) return false;
  unsigned full = c->prefix / 8, rest = c->prefix % 8;
  if (memcmp(c->addr, addr, full) != 0) return false;
  if (!rest) return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (c->addr[full] & mask) == (addr[full] & mask);
}

bool cidr_list_match(const char *const *ranges, const char *ip) {
  int family;
  uint8_t addr[16];
  if (!ip || !parse_ip(ip, &family, addr)) return false;
  for (size_t i = 0; ranges && ranges[i]; i++) {
    cidr c;
    char err[160];
    if (cidr_parse(ranges[i], &c, err, sizeof(err)) == 0 && inside(&c, family, addr))
      return true;
  }
  return false;
}
