/*
 * The reload cycle (DESIGN §4): read the whole config into a new snapshot,
 * validate the host sections and every plugin section, and only if all of
 * it is valid apply it: host settings first, then the plugin plan. The same
 * path starts the daemon (startup mode) and checks a file offline.
 */
#ifndef STRATUS_HOST_RELOAD_H
#define STRATUS_HOST_RELOAD_H

#include <stdio.h>

typedef enum reload_mode {
  RELOAD_STARTUP, /* first apply; any failure is fatal */
  RELOAD_RUNTIME, /* SIGHUP or stratusctl reload */
} reload_mode;

/* 0 when the config was accepted (applied fully or partly), else <0. The
 * outcome is in stratusd.last_reload. */
int reload_run(reload_mode mode);

/* Run a reload from the loop soon; calls made before it runs coalesce. */
void reload_schedule(void);
void reload_loop_init(void);
void reload_loop_close(void);

/* Validate `path` offline; messages go to `out`. 0 when valid. */
int check_config(const char *path, FILE *out);

void reload_metrics_init(void);

#endif
