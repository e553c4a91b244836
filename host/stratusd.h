/* The daemon's global state, owned by the loop thread. */
#ifndef STRATUS_HOST_STRATUSD_H
#define STRATUS_HOST_STRATUSD_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include <stratus/host.h>

#include "host_config.h"

typedef struct reload_outcome {
  uint64_t seq;        /* 1 for the start, +1 for every reload attempt */
  const char *outcome; /* "ok", "partial", "rejected", "unchanged" */
  char *message;       /* one line */
  char **errors;       /* file:line messages or plugin failures */
  size_t nerrors;
  double at;           /* wall clock */
} reload_outcome;

typedef struct stratusd_state {
  uv_loop_t *loop;
  const char *config_path;
  host_config *config;          /* the config in force */
  stratus_host_api api;
  uint64_t config_generation;   /* accepted reloads, 1 after start */
  uint64_t started_ms;
  double started_wall;
  bool ready;                   /* every enabled plugin started */
  bool stopping;
  reload_outcome last_reload;
  uv_timer_t housekeeping;      /* drain warnings */
} stratusd_state;

extern stratusd_state stratusd;

#endif
