/*
 * Metric families for GET /metrics (Prometheus text format 0.0.4). The host
 * registers its own families (owner NULL); plugins register theirs through
 * the API. A family is found by name and reference-counted, so a new
 * generation of a plugin continues the series of the old one.
 */
#ifndef STRATUS_HOST_METRICS_H
#define STRATUS_HOST_METRICS_H

#include <stratus/metrics.h>

#include "util.h"

/* NULL with *err set (STRATUS_EEXIST: taken by another owner or another
 * kind; STRATUS_EINVAL: bad name, labels or buckets). */
stratus_metric *metrics_register(const char *owner,
                                 const stratus_metric_desc *desc, int *err);
void metrics_unref(stratus_metric *m);

void metrics_add(stratus_metric *m, const char *const *values, double v);
void metrics_set(stratus_metric *m, const char *const *values, double v);
void metrics_observe(stratus_metric *m, const char *const *values, double v);
/* A series resolved once, for hot paths that must not build a key per
 * update: the family's, valid until the family is freed (host families:
 * until metrics_shutdown). */
typedef struct series metric_series;
metric_series *metrics_series(stratus_metric *m, const char *const *values);
void metrics_series_add(stratus_metric *m, metric_series *s, double v);
void metrics_series_observe(stratus_metric *m, metric_series *s, double v);

/* Current value of a counter or gauge series (0 if absent); for tests. */
double metrics_value(stratus_metric *m, const char *const *values);

/* Host shorthand: a family with up to 4 labels, aborting on misuse. */
stratus_metric *metrics_host(stratus_metric_kind kind, const char *name,
                             const char *help, const char *const *labels);

void metrics_render(strbuf *out);
void metrics_shutdown(void);

#endif
