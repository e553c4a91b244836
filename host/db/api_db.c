/* The database members of the host API table. db_submit holds the plugin
 * instance until the job's done callback has run, so an instance is never
 * destroyed with a job in flight and done never runs for a dead one. */
#include "api_db.h"

#include <stdlib.h>

#include "instance.h"
#include "sql.h"
#include "util.h"

typedef struct submission {
  list_node node;
  stratus_ctx *ctx; /* NULL once forgotten */
  stratus_db_done done;
  void *job;
} submission;

static list_node inflight = LIST_INIT(inflight);

static void on_complete(void *ud, int result, const char *error) {
  submission *s = ud;
  list_remove(&s->node);
  if (s->ctx) {
    s->done(s->ctx, s->job, result, error ? error : "");
    inst_release(s->ctx);
  }
  free(s);
}

void api_db_forget_all(void) {
  list_each(it, &inflight) list_entry(it, submission, node)->ctx = NULL;
}

static int64_t opts_timeout(const stratus_db_opts *opts) {
  if (!opts || opts->struct_size < offsetof(stratus_db_opts, timeout_ms) +
                                       sizeof(opts->timeout_ms))
    return 0;
  return opts->timeout_ms;
}

int api_db_submit_job(stratus_ctx *ctx, const char *pool,
                         stratus_db_work work, stratus_db_done done, void *job,
                         const stratus_db_opts *opts) {
  if (!ctx || !pool || !work || !done) return STRATUS_EINVAL;
  /* Allowed while the instance drains: finishing an accepted call may take
   * more than one job. */
  if (ctx->state == INST_DEAD) return STRATUS_EDRAINING;
  db_pool *p = db_pools_find(pool);
  if (!p) return STRATUS_ENOENT;
  submission *s = xcalloc(1, sizeof(*s));
  *s = (submission){.ctx = ctx, .done = done, .job = job};
  int rc = db_pool_submit(p, work, job, on_complete, s, opts_timeout(opts));
  if (rc != 0) {
    free(s);
    return rc;
  }
  list_push_back(&inflight, &s->node);
  inst_hold(ctx);
  return 0;
}

static unsigned api_db_done_errno(stratus_ctx *ctx) {
  UNUSED(ctx);
  return db_completing_errno();
}

static bool api_db_pool_exists(stratus_ctx *ctx, const char *pool) {
  UNUSED(ctx);
  return db_pools_find(pool) != NULL;
}

void api_db_install(stratus_host_api *api) {
  api->db_submit = api_db_submit_job;
  api->db_pool_exists = api_db_pool_exists;
  api->sql_exec = db_sql_exec;
  api->rows_next = db_rows_next;
  api->rows_is_null = db_rows_is_null;
  api->rows_int = db_rows_int;
  api->rows_uint = db_rows_uint;
  api->rows_double = db_rows_double;
  api->rows_text = db_rows_text;
  api->rows_affected = db_rows_affected;
  api->rows_insert_id = db_rows_insert_id;
  api->rows_count = db_rows_count;
  api->rows_free = db_rows_free;
  api->db_transaction = db_txn_run;
  api->db_error = db_last_error;
  api->db_errno = db_last_errno;
  api->rows_col = db_rows_col;
  api->db_done_errno = api_db_done_errno;
}
