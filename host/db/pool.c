/* Pools, loop side: submission, completion, timeouts, resize and close.
 * Worker threads are in worker.c. */
#include "pool_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "log.h"
#include "util.h"

static db_conf *conf_new(const db_section *cfg, uint64_t gen, char *err,
                         size_t errlen) {
  db_conf *c = xcalloc(1, sizeof(*c));
  if (db_settings_load(&c->s, cfg, err, errlen) != 0) {
    free(c);
    return NULL;
  }
  c->gen = gen;
  c->refs = 1;
  return c;
}

/* The MySQL error of the job completing now (loop thread only). */
static unsigned completing_errno;

unsigned db_completing_errno(void) { return completing_errno; }

static void complete_job(db_pool *p, db_job *j, uint64_t now) {
  db_metrics_job(p, j, now);
  completing_errno = j->db_errno;
  j->complete(j->ud, j->result, j->error);
  completing_errno = 0;
  free(j);
}

/* Join workers that have exited; [mu] held. They only have an unlock and
 * an async send left, so the join does not block the loop. */
static void reap_workers(db_pool *p, list_node *out) {
  list_each(it, &p->workers) {
    db_worker *w = list_entry(it, db_worker, node);
    if (!w->exited) continue;
    list_remove(&w->node);
    list_push_back(out, &w->node);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  db_pool *p = h->data;
  if (--p->handles > 0) return;
  void (*closed)(void *) = p->closed;
  void *arg = p->closed_arg;
  db_conf_unref(p->conf);
  uv_cond_destroy(&p->cv);
  uv_mutex_destroy(&p->mu);
  free(p->name);
  free(p);
  if (closed) closed(arg);
}

static void maybe_finish_close(db_pool *p) {
  if (!p->closing || p->handles != 2) return;
  uv_mutex_lock(&p->mu);
  bool idle = list_empty(&p->workers) && list_empty(&p->done);
  uv_mutex_unlock(&p->mu);
  if (!idle) return;
  db_metrics_zero(p);
  db_metrics_release(&p->m);
  uv_close((uv_handle_t *)&p->async, on_handle_closed);
  uv_close((uv_handle_t *)&p->tick, on_handle_closed);
}

static void on_async(uv_async_t *a) {
  db_pool *p = a->data;
  list_node done, gone;
  list_init(&done);
  list_init(&gone);
  uv_mutex_lock(&p->mu);
  while (!list_empty(&p->done)) {
    list_node *n = p->done.next;
    list_remove(n);
    list_push_back(&done, n);
  }
  reap_workers(p, &gone);
  uv_mutex_unlock(&p->mu);
  uint64_t now = clock_mono_ns();
  list_each(it, &done) complete_job(p, list_entry(it, db_job, node), now);
  list_each(it, &gone) {
    db_worker *w = list_entry(it, db_worker, node);
    uv_thread_join(&w->thread);
    free(w);
  }
  db_metrics_gauges(p);
  maybe_finish_close(p);
}

/* Queued jobs whose timeout passed fail without running. */
static void on_tick(uv_timer_t *t) {
  db_pool *p = t->data;
  uint64_t now = clock_mono_ns();
  list_node expired;
  list_init(&expired);
  uv_mutex_lock(&p->mu);
  list_each(it, &p->queue) {
    db_job *j = list_entry(it, db_job, node);
    if (!j->deadline_ns || now <= j->deadline_ns) continue;
    list_remove(&j->node);
    p->queued--;
    list_push_back(&expired, &j->node);
  }
  uv_mutex_unlock(&p->mu);
  list_each(it, &expired) {
    db_job *j = list_entry(it, db_job, node);
    j->result = STRATUS_ETIMEDOUT;
    snprintf(j->error, sizeof(j->error),
             "db.%s: the job's timeout passed before it started", p->name);
    complete_job(p, j, now);
  }
  db_metrics_gauges(p);
}

static void apply_limits(db_pool *p, const db_section *cfg) {
  p->job_timeout_ms = cfg->job_timeout_ms;
  p->max_queue = cfg->max_queue;
}

/* [mu] held */
static void resize(db_pool *p, size_t n) {
  while (p->nworkers < n) db_worker_start(p);
  list_each_reverse(it, &p->workers) {
    if (p->nworkers <= n) break;
    db_worker *w = list_entry(it, db_worker, node);
    if (w->retire) continue;
    w->retire = true;
    p->nworkers--;
  }
  uv_cond_broadcast(&p->cv);
}

db_pool *db_pool_create(uv_loop_t *loop, const char *name,
                        const db_section *cfg, char *err, size_t errlen) {
  db_conf *conf = conf_new(cfg, 1, err, errlen);
  if (!conf) return NULL;
  db_library_init();
  db_pool *p = xcalloc(1, sizeof(*p));
  p->loop = loop;
  p->name = xstrdup(name);
  p->conf = conf;
  apply_limits(p, cfg);
  list_init(&p->queue);
  list_init(&p->done);
  list_init(&p->workers);
  uv_mutex_init(&p->mu);
  uv_cond_init(&p->cv);
  uv_async_init(loop, &p->async, on_async);
  uv_timer_init(loop, &p->tick);
  p->async.data = p->tick.data = p;
  p->handles = 2;
  uv_timer_start(&p->tick, on_tick, DB_TICK_MS, DB_TICK_MS);
  uv_unref((uv_handle_t *)&p->tick);
  db_metrics_acquire(&p->m);
  uv_mutex_lock(&p->mu);
  resize(p, (size_t)cfg->pool_size);
  uv_mutex_unlock(&p->mu);
  db_metrics_gauges(p);
  return p;
}

int db_pool_reconfigure(db_pool *p, const db_section *cfg, char *err,
                        size_t errlen) {
  if (p->closing) return 0;
  db_conf *next = conf_new(cfg, 0, err, errlen);
  if (!next) return -1;
  bool changed = p->job_timeout_ms != cfg->job_timeout_ms ||
                 p->max_queue != cfg->max_queue;
  apply_limits(p, cfg);
  uv_mutex_lock(&p->mu);
  bool repoint = !db_settings_same_target(&p->conf->s, &next->s);
  changed |= repoint || p->nworkers != (size_t)cfg->pool_size ||
             p->conf->s.txn_retries != next->s.txn_retries;
  if (repoint || p->conf->s.txn_retries != next->s.txn_retries) {
    next->gen = p->conf->gen + (repoint ? 1 : 0);
    db_conf_unref(p->conf);
    p->conf = next;
    next = NULL;
  }
  resize(p, (size_t)cfg->pool_size);
  uv_mutex_unlock(&p->mu);
  if (next) {
    db_settings_free(&next->s);
    free(next);
  }
  if (repoint) log_info("db.%s: new connection settings; workers reconnect", p->name);
  db_metrics_gauges(p);
  return changed ? 1 : 0;
}

int db_pool_submit(db_pool *p, stratus_db_work work, void *job,
                   db_complete_fn complete, void *ud, int64_t timeout_ms) {
  if (!p || !work || !complete) return STRATUS_EINVAL;
  if (p->closing) return STRATUS_ECANCELED;
  if (timeout_ms == 0) timeout_ms = p->job_timeout_ms;
  db_job *j = xcalloc(1, sizeof(*j));
  *j = (db_job){.work = work, .job = job, .complete = complete, .ud = ud,
                .submitted_ns = clock_mono_ns()};
  if (timeout_ms > 0) j->deadline_ns = j->submitted_ns + (uint64_t)timeout_ms * 1000000u;
  uv_mutex_lock(&p->mu);
  if ((int64_t)p->queued >= p->max_queue) {
    uv_mutex_unlock(&p->mu);
    free(j);
    db_metrics_refused(p);
    return STRATUS_EAGAIN;
  }
  list_push_back(&p->queue, &j->node);
  p->queued++;
  /* A disconnected worker may be the one woken and leave the job to the
   * connected ones: wake them all then. */
  if ((size_t)atomic_load(&p->open) < p->nworkers)
    uv_cond_broadcast(&p->cv);
  else
    uv_cond_signal(&p->cv);
  uv_mutex_unlock(&p->mu);
  return 0;
}

void db_pool_close(db_pool *p, void (*closed)(void *arg), void *arg) {
  if (p->closing) return;
  p->closing = true;
  p->closed = closed;
  p->closed_arg = arg;
  uv_timer_stop(&p->tick);
  uv_mutex_lock(&p->mu);
  while (!list_empty(&p->queue)) {
    db_job *j = list_entry(p->queue.next, db_job, node);
    list_remove(&j->node);
    j->result = STRATUS_ECANCELED;
    snprintf(j->error, sizeof(j->error), "db.%s: the pool was closed", p->name);
    list_push_back(&p->done, &j->node);
  }
  p->queued = 0;
  resize(p, 0);
  uv_mutex_unlock(&p->mu);
  uv_async_send(&p->async);
}

const char *db_pool_name(const db_pool *p) { return p->name; }

void db_pool_get_stats(db_pool *p, db_pool_stats *out) {
  uv_mutex_lock(&p->mu);
  out->workers = p->nworkers;
  out->queued = p->queued;
  uv_mutex_unlock(&p->mu);
  out->open = (size_t)atomic_load(&p->open);
  out->busy = (size_t)atomic_load(&p->busy);
  out->reconnects = atomic_load(&p->reconnects);
  out->txn_retries = atomic_load(&p->txn_retries);
}
