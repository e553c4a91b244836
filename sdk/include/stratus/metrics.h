/*
 * Metrics a plugin exports on the host's GET /metrics (Prometheus text).
 */
#ifndef STRATUS_METRICS_H
#define STRATUS_METRICS_H

#include <stddef.h>

#include "plugin.h"

typedef struct stratus_metric stratus_metric; /* host-owned family */

typedef enum stratus_metric_kind {
  STRATUS_METRIC_COUNTER = 1,
  STRATUS_METRIC_GAUGE = 2,
  STRATUS_METRIC_HISTOGRAM = 3,
} stratus_metric_kind;

typedef struct stratus_metric_desc {
  uint32_t struct_size;         /* sizeof(stratus_metric_desc) */
  uint32_t kind;                /* stratus_metric_kind */
  const char *name;             /* [a-zA-Z_:][a-zA-Z0-9_:]* */
  const char *help;
  const char *const *labels;    /* NULL-terminated label names, or NULL */
  const double *buckets;        /* histogram upper bounds, ascending */
  size_t nbuckets;              /* 0 = the host's default latency buckets */
} stratus_metric_desc;

#endif
