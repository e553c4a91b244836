/* Address ranges ("10.0.0.0/8", "::1/128", a bare IP = one address) and
 * the check of an IP string against a list of them. IPv4-mapped IPv6
 * addresses ("::ffff:10.1.2.3") match IPv4 ranges. */
#ifndef STRATUS_HOST_CIDR_H
#define STRATUS_HOST_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cidr {
  int family;        /* AF_INET or AF_INET6 */
  uint8_t addr[16];  /* network order; IPv4 in the first 4 bytes */
  unsigned prefix;
} cidr;

/* 0, or -EINVAL with a reason in err. Host bits past the prefix must be 0. */
int cidr_parse(const char *text, cidr *out, char *err, size_t errlen);
/* Is `ip` (a literal IPv4 or IPv6 address, without port or brackets) inside
 * one of the NULL-terminated `ranges` texts? Unparsable entries never match. */
bool cidr_list_match(const char *const *ranges, const char *ip);
/* Is text a literal IP address? */
bool cidr_is_ip(const char *text);

#endif
