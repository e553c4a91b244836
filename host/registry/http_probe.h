/* HTTP GETs on the loop with libcurl's multi interface (no thread per
 * request): the health checker's transport. */
#ifndef STRATUS_REGISTRY_HTTP_PROBE_H
#define STRATUS_REGISTRY_HTTP_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* status: the HTTP status, or 0 when no answer came (error says why). The
 * body is valid only during the callback. */
typedef void (*probe_done)(long status, const char *body, size_t len,
                           const char *error, void *ud);

int probe_init(uv_loop_t *loop);
/* GET url with a timeout; done runs exactly once, later, on the loop. */
int probe_get(const char *url, int64_t timeout_ms, probe_done done, void *ud);
/* Finish every request with status 0 ("shutting down") and free
 * everything. */
void probe_shutdown(void);

#endif
