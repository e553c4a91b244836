#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int parse_port(const char *s, uint16_t *port) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 0 || v > 65535) return -EINVAL;
  *port = (uint16_t)v;
  return 0;
}

int net_parse_addr(const char *text, struct sockaddr_storage *out, char *err,
                   size_t errlen) {
  memset(out, 0, sizeof(*out));
  const char *colon = strrchr(text, ':');
  uint16_t port;
  if (!colon || parse_port(colon + 1, &port) != 0) {
    snprintf(err, errlen, "'%s' is not an address (expected ip:port)", text);
    return -EINVAL;
  }
  char *host = xstrndup(text, (size_t)(colon - text));
  int rc = 0;
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  size_t hl = strlen(host);
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    host[hl - 1] = '\0';
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1) rc = -EINVAL;
  } else {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &v4->sin_addr) != 1)
      rc = -EINVAL;
  }
  if (rc)
    snprintf(err, errlen, "'%s': '%s' is not a numeric IPv4 or [IPv6] address",
             text, host);
  free(host);
  return rc;
}

void net_format_addr(const struct sockaddr *sa, char *buf, size_t len) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
    snprintf(buf, len, "%s:%u", ip, ntohs(v4->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
    snprintf(buf, len, "[%s]:%u", ip, ntohs(v6->sin6_port));
  } else {
    snprintf(buf, len, "unix");
  }
}
