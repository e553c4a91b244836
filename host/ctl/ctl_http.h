/* stratusctl's HTTP client for the daemon's admin socket. */
#ifndef STRATUS_CTL_HTTP_H
#define STRATUS_CTL_HTTP_H

#include "util.h"

/* Performs METHOD path over the unix socket. Returns the HTTP status, or -1
 * with a message in err when the daemon could not be reached. */
long ctl_request(const char *socket_path, const char *method, const char *path,
                 strbuf *body, char *err, size_t errlen);

#endif
