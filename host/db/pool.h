/*
 * A database pool: worker threads that each own one connection, a FIFO of
 * jobs, and completion on the loop thread.
 *
 * Job semantics (every submitted job completes exactly once, on the loop
 * thread, through `complete`):
 *   - the work's return code when it ran (0 or a STRATUS_E* code; a
 *     non-zero code of a job whose connection was lost while it ran becomes
 *     STRATUS_EUNAVAILABLE);
 *   - STRATUS_EUNAVAILABLE without running when the pool has no connection
 *     to the server (every worker is disconnected and waiting to retry);
 *   - STRATUS_ETIMEDOUT without running when the job had not started when
 *     its timeout passed. A job that started runs to its end: the timeout
 *     bounds the wait in the queue, not the work (the server's own
 *     read/write timeouts bound a statement);
 *   - STRATUS_ECANCELED without running when the pool closed first.
 * Submission itself fails with STRATUS_EAGAIN when max_queue jobs wait, and
 * STRATUS_ECANCELED when the pool is closing; `complete` is then not called.
 *
 * Everything here except the work function is called on the loop thread.
 */
#ifndef STRATUS_HOST_DB_POOL_H
#define STRATUS_HOST_DB_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <stratus/db.h>
#include <uv.h>

#include "host_config.h"

typedef struct db_pool db_pool;
typedef void (*db_complete_fn)(void *ud, int result, const char *error);

/* Starts pool_size workers, which connect in the background: a server that
 * is down is not an error here. NULL with err on bad settings (an
 * unreadable password_file). */
db_pool *db_pool_create(uv_loop_t *loop, const char *name,
                        const db_section *cfg, char *err, size_t errlen);
/* Apply a changed section: resize (new workers start, surplus ones exit
 * after their current job), and when the server, credentials, database or
 * timeouts changed, every worker reconnects with them after its current job.
 * Queued jobs are kept. 1 when something changed, 0 when nothing did, -1
 * with err (the old settings stay). */
int db_pool_reconfigure(db_pool *p, const db_section *cfg, char *err,
                        size_t errlen);
/* timeout_ms: 0 = the section's job_timeout, < 0 = none. */
int db_pool_submit(db_pool *p, stratus_db_work work, void *job,
                   db_complete_fn complete, void *ud, int64_t timeout_ms);
/* Queued jobs complete with STRATUS_ECANCELED, running ones finish, the
 * threads are joined, the handles closed, then closed(arg) runs and the
 * pool is freed. */
void db_pool_close(db_pool *p, void (*closed)(void *arg), void *arg);

const char *db_pool_name(const db_pool *p);
/* Inside a `complete` callback: the MySQL error number of the job's failed
 * statement (1062, 1146...), 0 if none. */
unsigned db_completing_errno(void);
/* Snapshot for tests and status. */
typedef struct db_pool_stats {
  size_t workers, open, busy, queued;
  uint64_t reconnects, txn_retries;
} db_pool_stats;
void db_pool_get_stats(db_pool *p, db_pool_stats *out);

#endif
