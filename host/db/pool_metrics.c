/* Pool metrics, updated on the loop thread only (the registry is not
 * thread-safe): workers record timings in the job and count in atomics;
 * completions and the pool's tick publish them. */
#include <stratus/errors.h>

#include "metrics.h"
#include "pool_internal.h"

void db_metrics_acquire(db_metrics *m) {
  static const char *const pool[] = {"pool", NULL};
  static const char *const kind[] = {"pool", "kind", NULL};
  m->open = metrics_host(STRATUS_METRIC_GAUGE, "stratus_db_connections_open",
                         "Open connections of a database pool", pool);
  m->busy = metrics_host(STRATUS_METRIC_GAUGE, "stratus_db_busy_workers",
                         "Workers running a job", pool);
  m->queue = metrics_host(STRATUS_METRIC_GAUGE, "stratus_db_queue_length",
                          "Jobs waiting for a worker", pool);
  m->workers = metrics_host(STRATUS_METRIC_GAUGE, "stratus_db_pool_size",
                            "Worker threads (configured pool_size)", pool);
  m->latency = metrics_host(STRATUS_METRIC_HISTOGRAM,
                            "stratus_db_job_duration_seconds",
                            "Job latency: queue wait plus run", pool);
  m->errors = metrics_host(STRATUS_METRIC_COUNTER, "stratus_db_errors_total",
                           "Failed jobs by kind: sql, unavailable, timeout, "
                           "cancelled, refused", kind);
  m->reconnects = metrics_host(STRATUS_METRIC_COUNTER,
                               "stratus_db_reconnects_total",
                               "Connections re-established by workers", pool);
  m->connect_failures = metrics_host(STRATUS_METRIC_COUNTER,
                                     "stratus_db_connect_failures_total",
                                     "Connection attempts that failed (server down, "
                                     "access denied, TLS refused)", pool);
  m->jobs = metrics_host(STRATUS_METRIC_COUNTER, "stratus_db_jobs_total",
                         "Jobs completed (any result)", pool);
  m->txn_retries = metrics_host(STRATUS_METRIC_COUNTER,
                                "stratus_db_transaction_retries_total",
                                "Transactions retried after a deadlock or "
                                "lock wait timeout", pool);
}

void db_metrics_release(db_metrics *m) {
  stratus_metric *all[] = {m->open,   m->busy,       m->queue,
                           m->workers, m->latency,   m->errors,
                           m->reconnects, m->connect_failures, m->jobs,
                           m->txn_retries};
  for (size_t i = 0; i < ARRAY_LEN(all); i++) metrics_unref(all[i]);
  *m = (db_metrics){0};
}

static const char *error_kind(int result) {
  switch (result) {
  case 0: return NULL;
  case STRATUS_EUNAVAILABLE: return "unavailable";
  case STRATUS_ETIMEDOUT: return "timeout";
  case STRATUS_ECANCELED: return "cancelled";
  default: return "sql";
  }
}

void db_metrics_job(db_pool *p, const db_job *j, uint64_t now_ns) {
  const char *pool[] = {p->name};
  uint64_t end = j->finished_ns ? j->finished_ns : now_ns;
  metrics_add(p->m.jobs, pool, 1);
  if (j->result != STRATUS_ECANCELED)
    metrics_observe(p->m.latency, pool, (double)(end - j->submitted_ns) / 1e9);
  const char *kind = error_kind(j->result);
  if (kind) {
    const char *labels[] = {p->name, kind};
    metrics_add(p->m.errors, labels, 1);
  }
}

void db_metrics_refused(db_pool *p) {
  const char *labels[] = {p->name, "refused"};
  metrics_add(p->m.errors, labels, 1);
}

/* Adds what the workers counted since the last report. */
static void publish_count(stratus_metric *m, const char *const *labels,
                          atomic_uint_fast64_t *count, uint64_t *reported) {
  uint64_t now = atomic_load(count);
  metrics_add(m, labels, (double)(now - *reported));
  *reported = now;
}

void db_metrics_gauges(db_pool *p) {
  const char *pool[] = {p->name};
  uv_mutex_lock(&p->mu);
  size_t queued = p->queued, workers = p->nworkers;
  uv_mutex_unlock(&p->mu);
  metrics_set(p->m.open, pool, atomic_load(&p->open));
  metrics_set(p->m.busy, pool, atomic_load(&p->busy));
  metrics_set(p->m.queue, pool, (double)queued);
  metrics_set(p->m.workers, pool, (double)workers);
  publish_count(p->m.reconnects, pool, &p->reconnects, &p->reported_reconnects);
  publish_count(p->m.connect_failures, pool, &p->connect_failures,
                &p->reported_connect_failures);
  publish_count(p->m.txn_retries, pool, &p->txn_retries, &p->reported_txn_retries);
}

void db_metrics_zero(db_pool *p) {
  db_metrics_gauges(p);
  const char *pool[] = {p->name};
  metrics_set(p->m.open, pool, 0);
  metrics_set(p->m.busy, pool, 0);
  metrics_set(p->m.queue, pool, 0);
  metrics_set(p->m.workers, pool, 0);
}
