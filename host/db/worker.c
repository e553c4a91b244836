/* Pool worker threads: each owns one connection, takes jobs from the queue,
 * runs them, and hands them back to the loop thread for completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <stratus/errors.h>

#include "log.h"
#include "pool_internal.h"
#include "util.h"

void db_conf_unref(db_conf *c) {
  if (c && --c->refs == 0) {
    db_settings_free(&c->s);
    free(c);
  }
}

static bool connected(const db_worker *w) {
  return w->db->mysql && !w->db->dead;
}

static bool needs_connect(const db_worker *w) {
  return !connected(w) || w->gen != w->pool->conf->gen;
}

static void drop_connection(db_worker *w) {
  if (!w->db->mysql) return;
  db_conn_close(w->db);
  atomic_fetch_sub(&w->pool->open, 1);
}

static void connect_failed(db_worker *w, const char *err) {
  db_pool *p = w->pool;
  atomic_fetch_add(&p->connect_failures, 1);
  snprintf(w->conn_error, sizeof(w->conn_error), "db.%s: %s", p->name, err);
  w->next_attempt_ns = clock_mono_ns() + (uint64_t)w->backoff_ms * 1000000u;
  w->backoff_ms = w->backoff_ms * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS
                                                        : w->backoff_ms * 2;
  if (!atomic_exchange(&p->down_logged, true))
    log_warn("%s; retrying with backoff up to %us", w->conn_error,
             DB_BACKOFF_MAX_MS / 1000);
}

static void connect_ok(db_worker *w, MYSQL *m, const db_conf *c) {
  db_pool *p = w->pool;
  db_conn_attach(w->db, m);
  w->db->txn_retries = c->s.txn_retries;
  atomic_fetch_add(&p->open, 1);
  if (w->ever_connected) atomic_fetch_add(&p->reconnects, 1);
  w->ever_connected = true;
  w->next_attempt_ns = 0;
  w->backoff_ms = DB_BACKOFF_MIN_MS;
  w->last_used_ns = clock_mono_ns();
  if (atomic_exchange(&p->down_logged, false))
    log_info("db.%s: connected again", p->name);
}

/* Called and returns with the mutex held; connects without it. */
static void worker_connect(db_worker *w) {
  db_pool *p = w->pool;
  db_conf *c = p->conf;
  c->refs++;
  uv_mutex_unlock(&p->mu);
  drop_connection(w);
  char err[512];
  unsigned errnum = 0;
  MYSQL *m = db_connect(&c->s, err, sizeof(err), &errnum);
  if (m)
    connect_ok(w, m, c);
  else
    connect_failed(w, err);
  uv_mutex_lock(&p->mu);
  db_conf_unref(w->conf);
  w->conf = c;
  w->gen = c->gen;
}

static void finish(db_job *j, int result, const char *error) {
  j->result = result;
  snprintf(j->error, sizeof(j->error), "%s", result ? error : "");
  j->finished_ns = clock_mono_ns();
}

/* A connection idle for a while may have been closed by the server (a
 * restart, wait_timeout): check it before lending it, so the job does not
 * fail on a connection that was dead before it started. */
static void check_idle(db_worker *w, uint64_t now) {
  if (!connected(w) || now - w->last_used_ns < DB_IDLE_PING_NS) return;
  if (mysql_ping(w->db->mysql) == 0) return;
  w->db->dead = true;
  drop_connection(w);
  uv_mutex_lock(&w->pool->mu);
  worker_connect(w);
  uv_mutex_unlock(&w->pool->mu);
}

static void after_work(db_worker *w, db_job *j, int rc) {
  stratus_db *db = w->db;
  size_t leaked = db_conn_free_rows(db);
  if (leaked)
    log_warn("db.%s: a job left %zu result(s) unfreed", w->pool->name, leaked);
  if (rc != 0 && db->dead) rc = STRATUS_EUNAVAILABLE;
  j->db_errno = rc != 0 ? db_last_errno(db) : 0;
  finish(j, rc, db->last_error[0] ? db->last_error : stratus_strerror(rc));
  atomic_fetch_add(&w->pool->txn_retries, db->txn_retried - w->txn_retried_seen);
  w->txn_retried_seen = db->txn_retried;
  w->last_used_ns = j->finished_ns;
  if (db->dead) {
    drop_connection(w);
    snprintf(w->conn_error, sizeof(w->conn_error), "db.%s: connection lost: %s",
             w->pool->name, db->last_error);
    w->next_attempt_ns = 0; /* first retry at once, then with backoff */
  }
}

static void run_job(db_worker *w, db_job *j) {
  uint64_t now = clock_mono_ns();
  if (j->deadline_ns && now > j->deadline_ns) {
    finish(j, STRATUS_ETIMEDOUT, "the job's timeout passed before it started");
    return;
  }
  check_idle(w, now);
  if (!connected(w)) {
    finish(j, STRATUS_EUNAVAILABLE, w->conn_error);
    return;
  }
  atomic_fetch_add(&w->pool->busy, 1);
  db_conn_clear_error(w->db);
  int rc = j->work(w->db, j->job);
  atomic_fetch_sub(&w->pool->busy, 1);
  after_work(w, j, rc);
}

/* Take a job when connected, or when no worker of the pool is: then the
 * server is down and jobs fail fast instead of waiting for it. */
static db_job *take_job(db_worker *w) {
  db_pool *p = w->pool;
  if (list_empty(&p->queue)) return NULL;
  if (!connected(w) && atomic_load(&p->open) > 0) return NULL;
  db_job *j = list_entry(p->queue.next, db_job, node);
  list_remove(&j->node);
  p->queued--;
  return j;
}

static void wait_for_work(db_worker *w) {
  db_pool *p = w->pool;
  if (connected(w)) {
    uv_cond_wait(&p->cv, &p->mu);
    return;
  }
  uint64_t now = clock_mono_ns();
  uint64_t wait = w->next_attempt_ns > now ? w->next_attempt_ns - now : 1000000u;
  uv_cond_timedwait(&p->cv, &p->mu, wait);
}

static void worker_loop(db_worker *w) {
  db_pool *p = w->pool;
  while (!w->retire) {
    /* New settings are tried at once; the same ones after the backoff. */
    if (needs_connect(w) && (w->gen != p->conf->gen ||
                             clock_mono_ns() >= w->next_attempt_ns)) {
      worker_connect(w);
      continue;
    }
    db_job *j = take_job(w);
    if (!j) {
      wait_for_work(w);
      continue;
    }
    w->db->txn_retries = p->conf->s.txn_retries;
    uv_mutex_unlock(&p->mu);
    run_job(w, j);
    uv_mutex_lock(&p->mu);
    list_push_back(&p->done, &j->node);
    uv_async_send(&p->async);
  }
}

static void worker_main(void *arg) {
  db_worker *w = arg;
  db_pool *p = w->pool;
  mysql_thread_init();
  uv_mutex_lock(&p->mu);
  worker_loop(w);
  uv_mutex_unlock(&p->mu);
  drop_connection(w);
  db_conn_free(w->db);
  w->db = NULL;
  mysql_thread_end();
  uv_mutex_lock(&p->mu);
  db_conf_unref(w->conf);
  w->conf = NULL;
  w->exited = true;
  uv_mutex_unlock(&p->mu);
  uv_async_send(&p->async);
}

db_worker *db_worker_start(db_pool *p) {
  db_worker *w = xcalloc(1, sizeof(*w));
  w->pool = p;
  w->db = db_conn_new(p->conf->s.txn_retries);
  w->backoff_ms = DB_BACKOFF_MIN_MS;
  w->gen = 0; /* != any conf gen: connect first */
  list_push_back(&p->workers, &w->node);
  p->nworkers++;
  if (uv_thread_create(&w->thread, worker_main, w) != 0) {
    log_error("db.%s: cannot start a worker thread", p->name);
    abort();
  }
  return w;
}
