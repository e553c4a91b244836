#include "metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "hashmap.h"
#include "list.h"
#include "log.h"

#define MAX_LABELS 8

typedef struct series {
  char **values;
  double value;         /* counter, gauge */
  uint64_t *buckets;    /* histogram: cumulative at render time only */
  double sum;
  uint64_t count;
} series;

struct stratus_metric {
  char *name, *help, *owner;
  int kind;
  char **labels;
  size_t nlabels;
  double *bounds;
  size_t nbounds;
  int refs;
  hashmap by_key;   /* joined label values -> series */
  series **order;   /* insertion order, for stable output */
  size_t nseries, cap;
  list_node node;
};

static list_node families = LIST_INIT(families);
static hashmap by_name;

static const double default_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,  0.1,    0.25,  0.5,
                                        1,      2.5,   5,      10};

static bool valid_ident(const char *s, bool colon) {
  if (!s || !*s || isdigit((unsigned char)*s)) return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_' || (colon && *s == ':')))
      return false;
  return true;
}

static bool valid_desc(const stratus_metric_desc *d, size_t *nlabels) {
  if (d->kind < STRATUS_METRIC_COUNTER || d->kind > STRATUS_METRIC_HISTOGRAM)
    return false;
  if (!valid_ident(d->name, true)) return false;
  size_t n = 0;
  for (; d->labels && d->labels[n]; n++)
    if (!valid_ident(d->labels[n], false) || str_has_prefix(d->labels[n], "__") ||
        n >= MAX_LABELS)
      return false;
  for (size_t i = 1; i < d->nbuckets; i++)
    if (!(d->buckets[i] > d->buckets[i - 1])) return false;
  *nlabels = n;
  return true;
}

static stratus_metric *family_new(const char *owner,
                                  const stratus_metric_desc *d, size_t n) {
  stratus_metric *m = xcalloc(1, sizeof(*m));
  m->name = xstrdup(d->name);
  m->help = xstrdup(d->help ? d->help : "");
  m->owner = owner ? xstrdup(owner) : NULL;
  m->kind = (int)d->kind;
  m->nlabels = n;
  m->labels = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) m->labels[i] = xstrdup(d->labels[i]);
  const double *b = d->nbuckets ? d->buckets : default_bounds;
  m->nbounds = d->nbuckets ? d->nbuckets : ARRAY_LEN(default_bounds);
  m->bounds = xmalloc(m->nbounds * sizeof(double));
  memcpy(m->bounds, b, m->nbounds * sizeof(double));
  hm_init(&m->by_key);
  m->refs = 1;
  list_push_back(&families, &m->node);
  hm_put(&by_name, m->name, m);
  return m;
}

static bool same_owner(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

stratus_metric *metrics_register(const char *owner,
                                 const stratus_metric_desc *d, int *err) {
  size_t n = 0;
  if (!valid_desc(d, &n)) {
    *err = STRATUS_EINVAL;
    return NULL;
  }
  stratus_metric *m = hm_get(&by_name, d->name);
  if (!m) return family_new(owner, d, n);
  if (!same_owner(m->owner, owner) || m->kind != (int)d->kind ||
      m->nlabels != n) {
    *err = STRATUS_EEXIST;
    return NULL;
  }
  m->refs++;
  return m;
}

static void series_free(series *s, size_t nlabels) {
  for (size_t i = 0; i < nlabels; i++) free(s->values[i]);
  free(s->values);
  free(s->buckets);
  free(s);
}

static void family_free(stratus_metric *m) {
  list_remove(&m->node);
  hm_remove(&by_name, m->name);
  for (size_t i = 0; i < m->nseries; i++) series_free(m->order[i], m->nlabels);
  free(m->order);
  hm_free(&m->by_key);
  for (size_t i = 0; i < m->nlabels; i++) free(m->labels[i]);
  free(m->labels);
  free(m->bounds);
  free(m->name);
  free(m->help);
  free(m->owner);
  free(m);
}

void metrics_unref(stratus_metric *m) {
  if (--m->refs == 0) family_free(m);
}

static series *get_series(stratus_metric *m, const char *const *values) {
  strbuf key;
  sb_init(&key);
  for (size_t i = 0; i < m->nlabels; i++) {
    sb_puts(&key, values && values[i] ? values[i] : "");
    sb_append(&key, "\x1f", 1);
  }
  series *s = hm_get(&m->by_key, key.data);
  if (!s) {
    s = xcalloc(1, sizeof(*s));
    s->values = xcalloc(m->nlabels + 1, sizeof(char *));
    for (size_t i = 0; i < m->nlabels; i++)
      s->values[i] = xstrdup(values && values[i] ? values[i] : "");
    if (m->kind == STRATUS_METRIC_HISTOGRAM)
      s->buckets = xcalloc(m->nbounds, sizeof(uint64_t));
    hm_put(&m->by_key, key.data, s);
    grow_array((void **)&m->order, &m->cap, m->nseries + 1, sizeof(series *));
    m->order[m->nseries++] = s;
  }
  sb_free(&key);
  return s;
}

metric_series *metrics_series(stratus_metric *m, const char *const *values) {
  return m ? get_series(m, values) : NULL;
}

void metrics_series_add(stratus_metric *m, metric_series *s, double v) {
  if (!m || !s || m->kind == STRATUS_METRIC_HISTOGRAM) return;
  if (m->kind == STRATUS_METRIC_COUNTER && !(v >= 0)) return;
  s->value += v;
}

void metrics_add(stratus_metric *m, const char *const *values, double v) {
  if (m && m->kind != STRATUS_METRIC_HISTOGRAM) metrics_series_add(m, get_series(m, values), v);
}

void metrics_set(stratus_metric *m, const char *const *values, double v) {
  if (!m || m->kind != STRATUS_METRIC_GAUGE) return;
  get_series(m, values)->value = v;
}

void metrics_observe(stratus_metric *m, const char *const *values, double v) {
  if (m && m->kind == STRATUS_METRIC_HISTOGRAM && !isnan(v))
    metrics_series_observe(m, get_series(m, values), v);
}

void metrics_series_observe(stratus_metric *m, metric_series *s, double v) {
  if (!m || !s || m->kind != STRATUS_METRIC_HISTOGRAM || isnan(v)) return;
  for (size_t i = 0; i < m->nbounds; i++)
    if (v <= m->bounds[i]) {
      s->buckets[i]++;
      break;
    }
  s->sum += v;
  s->count++;
}

double metrics_value(stratus_metric *m, const char *const *values) {
  return m ? get_series(m, values)->value : 0;
}

stratus_metric *metrics_host(stratus_metric_kind kind, const char *name,
                             const char *help, const char *const *labels) {
  stratus_metric_desc d = {sizeof(d), kind, name, help, labels, NULL, 0};
  int err = 0;
  stratus_metric *m = metrics_register(NULL, &d, &err);
  if (!m) {
    log_error("host metric %s: %s", name, stratus_strerror(err));
    abort();
  }
  return m;
}

static void put_escaped(strbuf *out, const char *s, bool quote) {
  for (; *s; s++) {
    if (*s == '\\') sb_puts(out, "\\\\");
    else if (*s == '\n') sb_puts(out, "\\n");
    else if (quote && *s == '"') sb_puts(out, "\\\"");
    else sb_append(out, s, 1);
  }
}

static void put_labels(strbuf *out, const stratus_metric *m, const series *s,
                       const char *le) {
  if (!m->nlabels && !le) return;
  sb_puts(out, "{");
  for (size_t i = 0; i < m->nlabels; i++) {
    sb_printf(out, "%s%s=\"", i ? "," : "", m->labels[i]);
    put_escaped(out, s->values[i], true);
    sb_puts(out, "\"");
  }
  if (le) sb_printf(out, "%sle=\"%s\"", m->nlabels ? "," : "", le);
  sb_puts(out, "}");
}

static void put_number(strbuf *out, double v) {
  if (isinf(v)) sb_puts(out, v > 0 ? "+Inf" : "-Inf");
  else if (v == (double)(int64_t)v && fabs(v) < 1e15) sb_printf(out, "%lld", (long long)v);
  else sb_printf(out, "%.17g", v);
}

static void render_histogram(strbuf *out, const stratus_metric *m,
                             const series *s) {
  uint64_t cumulative = 0;
  char le[64];
  for (size_t i = 0; i < m->nbounds; i++) {
    cumulative += s->buckets[i];
    snprintf(le, sizeof(le), "%.17g", m->bounds[i]);
    sb_printf(out, "%s_bucket", m->name);
    put_labels(out, m, s, le);
    sb_printf(out, " %llu\n", (unsigned long long)cumulative);
  }
  sb_printf(out, "%s_bucket", m->name);
  put_labels(out, m, s, "+Inf");
  sb_printf(out, " %llu\n%s_sum", (unsigned long long)s->count, m->name);
  put_labels(out, m, s, NULL);
  sb_puts(out, " ");
  put_number(out, s->sum);
  sb_printf(out, "\n%s_count", m->name);
  put_labels(out, m, s, NULL);
  sb_printf(out, " %llu\n", (unsigned long long)s->count);
}

void metrics_render(strbuf *out) {
  static const char *const kinds[] = {"", "counter", "gauge", "histogram"};
  list_each(it, &families) {
    const stratus_metric *m = list_entry(it, stratus_metric, node);
    sb_printf(out, "# HELP %s ", m->name);
    put_escaped(out, m->help, false);
    sb_printf(out, "\n# TYPE %s %s\n", m->name, kinds[m->kind]);
    for (size_t i = 0; i < m->nseries; i++) {
      const series *s = m->order[i];
      if (m->kind == STRATUS_METRIC_HISTOGRAM) {
        render_histogram(out, m, s);
        continue;
      }
      sb_puts(out, m->name);
      put_labels(out, m, s, NULL);
      sb_puts(out, " ");
      put_number(out, s->value);
      sb_puts(out, "\n");
    }
  }
}

void metrics_shutdown(void) {
  list_each(it, &families) family_free(list_entry(it, stratus_metric, node));
  hm_free(&by_name);
}
