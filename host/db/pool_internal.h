/* Pool internals shared by pool.c (loop thread), worker.c (worker threads)
 * and pool_metrics.c. Fields marked [mu] are guarded by the pool mutex,
 * [loop] are touched only on the loop thread, [w] only by that worker. */
#ifndef STRATUS_HOST_DB_POOL_INTERNAL_H
#define STRATUS_HOST_DB_POOL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include <stratus/metrics.h>

#include "connect.h"
#include "list.h"
#include "pool.h"
#include "sql.h"

#define DB_BACKOFF_MIN_MS 100u
#define DB_BACKOFF_MAX_MS 5000u
#define DB_IDLE_PING_NS 1000000000ull /* ping a connection idle this long */
#define DB_TICK_MS 100                /* timeout sweep and gauges */

typedef struct db_job {
  list_node node;
  stratus_db_work work;
  void *job;
  db_complete_fn complete;
  void *ud;
  uint64_t submitted_ns, deadline_ns; /* deadline 0: none */
  uint64_t finished_ns;  /* set by the worker that took it, else 0 */
  int result;
  unsigned db_errno; /* MySQL error of a failed job's last statement */
  char error[768];
} db_job;

/* Connection settings shared by the workers; replaced on reconfigure. */
typedef struct db_conf {
  db_settings s;
  uint64_t gen;
  int refs; /* [mu] */
} db_conf;

typedef struct db_worker {
  list_node node;           /* [mu] in pool->workers */
  struct db_pool *pool;
  uv_thread_t thread;
  stratus_db *db;           /* [w] */
  db_conf *conf;            /* [mu] settings of db's connection */
  uint64_t gen;             /* [mu] settings generation last tried */
  uint64_t next_attempt_ns; /* [w] reconnect not before */
  unsigned backoff_ms;      /* [w] */
  uint64_t last_used_ns;    /* [w] */
  bool ever_connected;      /* [w] */
  bool retire, exited;      /* [mu] */
  uint64_t txn_retried_seen; /* [w] */
  char conn_error[700];     /* [w] why the last connect failed */
} db_worker;

typedef struct db_metrics {
  stratus_metric *open, *busy, *queue, *workers, *latency, *errors,
      *reconnects, *connect_failures, *jobs, *txn_retries;
} db_metrics;

struct db_pool {
  uv_loop_t *loop;
  char *name;               /* the section name without "db." */
  uv_mutex_t mu;
  uv_cond_t cv;
  list_node queue;          /* [mu] db_job */
  size_t queued;            /* [mu] */
  list_node done;           /* [mu] db_job, to complete on the loop */
  list_node workers;        /* [mu] db_worker, retired ones until joined */
  size_t nworkers;          /* [mu] not retiring */
  db_conf *conf;            /* [mu] */
  int64_t job_timeout_ms, max_queue; /* [loop] */
  uv_async_t async;
  uv_timer_t tick;
  atomic_int open, busy;
  atomic_uint_fast64_t reconnects, connect_failures, txn_retries;
  atomic_bool down_logged;
  uint64_t reported_reconnects, reported_connect_failures, reported_txn_retries; /* [loop] */
  db_metrics m;             /* [loop] */
  bool closing;             /* [loop] */
  int handles;              /* [loop] open uv handles */
  void (*closed)(void *arg);
  void *closed_arg;
};

/* worker.c */
db_worker *db_worker_start(db_pool *p); /* [mu] held */
void db_conf_unref(db_conf *c);         /* [mu] held */

/* pool_metrics.c (loop thread) */
void db_metrics_acquire(db_metrics *m);
void db_metrics_release(db_metrics *m);
void db_metrics_job(db_pool *p, const db_job *j, uint64_t now_ns);
void db_metrics_refused(db_pool *p);
void db_metrics_gauges(db_pool *p);
void db_metrics_zero(db_pool *p);

#endif
