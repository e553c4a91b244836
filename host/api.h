/* The host API table handed to plugins, and the host-side functions behind
 * its members (one file per area: timers.c, metrics_api in api.c...). */
#ifndef STRATUS_HOST_API_H
#define STRATUS_HOST_API_H

#include <stratus/host.h>

/* Fill the table with every member this build implements. */
void api_build(stratus_host_api *api, const char *host_version);

stratus_timer *api_timer_start(stratus_ctx *ctx, uint64_t timeout_ms,
                               uint64_t repeat_ms, stratus_timer_cb cb,
                               void *ud);
void api_timer_stop(stratus_ctx *ctx, stratus_timer *t);

/* ABI 1.1 areas: declared methods (runner.c), presence (presence.c). */
void api_method_install(stratus_host_api *api);
void api_presence_install(stratus_host_api *api);

#endif
