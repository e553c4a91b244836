/*
 * A small HTTP/1.1 server on the loop (http-parser): health, readiness,
 * metrics and status for monitoring, and the admin channel stratusctl uses.
 * Requests that arrive on the admin unix socket are marked `admin`; only
 * those may change anything (POST /reload).
 */
#ifndef STRATUS_HOST_HTTP_H
#define STRATUS_HOST_HTTP_H

#include <stdbool.h>

#include "util.h"

typedef struct http_request {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* without the query string */
  const char *query;  /* "" when absent */
  bool admin;
  const char *body;
  size_t body_len;
} http_request;

typedef struct http_response {
  int status;
  const char *content_type;
  strbuf body;
} http_response;

typedef void (*http_handler)(const http_request *req, http_response *resp);

/* Bind every TCP address and the admin socket (may be "" = none). On error
 * nothing stays bound and err says which address failed. */
int http_start(const char *const *listen, const char *admin_socket,
               http_handler handler, char *err, size_t errlen);
/* Close listeners and connections. */
void http_stop(void);

#endif
