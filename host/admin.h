/* The HTTP routes of the host: /healthcheck, /ready, /metrics, /status and
 * (admin socket only) POST /reload. */
#ifndef STRATUS_HOST_ADMIN_H
#define STRATUS_HOST_ADMIN_H

#include "http.h"

void admin_route(const http_request *req, http_response *resp);
/* The JSON document of GET /status (caller frees). */
char *admin_status_json(void);
void admin_metrics_init(void);
/* listener_metrics.c: stratus_connections_* and HTTP timeout counters. */
void listener_metrics_init(void);
void listener_metrics_refresh(void);

#endif
