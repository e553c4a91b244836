/* Listen and connect addresses: "127.0.0.1:8999", "[::1]:8999". */
#ifndef STRATUS_HOST_NET_H
#define STRATUS_HOST_NET_H

#include <stddef.h>
#include <sys/socket.h>

/* 0, or -EINVAL with a reason in err. Host names are not resolved: listen
 * addresses are numeric. */
int net_parse_addr(const char *text, struct sockaddr_storage *out, char *err,
                   size_t errlen);
/* "ip:port" / "[ip6]:port" of a socket address. */
void net_format_addr(const struct sockaddr *sa, char *buf, size_t len);

#endif
