/* HTTP GETs on the loop with libcurl's multi interface (no thread per
 * request): the health checker's transport. */
#ifndef STRATUS_REGISTRY_HTTP_PROBE_H
#define STRATUS_REGISTRY_HTTP_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* How a GET ended. */
typedef enum probe_outcome {
  PROBE_ANSWERED, /* an HTTP status came back (any status) */
  PROBE_REFUSED,  /* connection refused: nothing listens */
  PROBE_RESET,    /* the connection broke before an answer */
  PROBE_TIMEOUT,
  PROBE_ERROR,    /* anything else (name resolution, protocol, shutdown) */
} probe_outcome;

typedef struct probe_result {
  probe_outcome outcome;
  long status;         /* the HTTP status, or 0 when no answer came */
  const char *body;    /* valid only during the callback */
  size_t len;
  const char *error;   /* why no answer came, or NULL */
  double seconds;      /* from the start of the request to its end */
} probe_result;

typedef void (*probe_done)(const probe_result *r, void *ud);

int probe_init(uv_loop_t *loop);
/* GET url with a timeout; done runs exactly once, later, on the loop. */
int probe_get(const char *url, int64_t timeout_ms, probe_done done, void *ud);
/* Finish every request with status 0 ("shutting down") and free
 * everything. */
void probe_shutdown(void);

#endif
