/*
 * A small HTTP/1.1 server on the loop (http-parser): health, readiness,
 * metrics and status for monitoring, and the admin channel stratusctl uses.
 * Requests that arrive on the admin unix socket are marked `admin`; only
 * those may change anything (POST /reload).
 */
#ifndef STRATUS_HOST_HTTP_H
#define STRATUS_HOST_HTTP_H

#include <stdbool.h>
#include <stdint.h>

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

/* Bounds on every connection ([http] keys; zero values: no bound). */
typedef struct http_limits {
  uint32_t max_connections;       /* TCP listeners together */
  uint32_t admin_max_connections; /* the admin socket */
  size_t max_pending_output;      /* unsent bytes before reading pauses */
  uint32_t handshake_timeout_ms;  /* accept to the first byte */
  uint32_t header_timeout_ms;     /* first byte of a request to its end */
  uint32_t idle_timeout_ms;       /* between requests, or with output stuck */
} http_limits;

typedef struct http_stats {
  uint64_t handshake_timeouts, header_timeouts, idle_timeouts;
  uint64_t paused_reads; /* times reading paused for unsent output */
} http_stats;

/* Bind every TCP address and the admin socket (may be "" = none). On error
 * nothing stays bound and err says which address failed. */
int http_start(const char *const *listen, const char *admin_socket,
               const http_limits *limits, http_handler handler, char *err, size_t errlen);
const http_stats *http_get_stats(void);
/* Close listeners and connections. */
void http_stop(void);

#endif
