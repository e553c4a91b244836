/*
 * The daemon's side of the databases: the pools of the config in force
 * (one per [db.<name>] section) and the db_* / sql_* / rows_* members of the
 * host API table. Loop thread only.
 *
 *   startup and every reload, after the new host config is in force and
 *   before plugins start:        db_pools_apply(loop, config, err, len)
 *   api_build:                   api_db_install(api)
 *   shutdown, once every plugin instance has drained:
 *                                db_pools_close_all(NULL, NULL)
 *   when instances are destroyed by force (shutdown timeout passed with
 *   jobs in flight):             api_db_forget_all() first
 */
#ifndef STRATUS_HOST_DB_API_DB_H
#define STRATUS_HOST_DB_API_DB_H

#include <stddef.h>

#include <stratus/host.h>
#include <uv.h>

#include "host_config.h"
#include "pool.h"

void api_db_install(stratus_host_api *api);
/* The db_submit member: the job holds the instance until done has run. */
int api_db_submit_job(stratus_ctx *ctx, const char *pool, stratus_db_work work,
                      stratus_db_done done, void *job, const stratus_db_opts *opts);
/* The done callbacks of jobs still in flight will not be called (their
 * instances are being destroyed without draining). */
void api_db_forget_all(void);

/* Create pools for new sections, reconfigure changed ones, close removed
 * ones (their queued jobs complete with STRATUS_ECANCELED). A section that
 * fails (unreadable password_file) keeps its running pool, or gets none;
 * the others are applied. The number of pools created, changed or closed,
 * or -1 with every failure in err. */
int db_pools_apply(uv_loop_t *loop, const host_config *hc, char *err,
                   size_t errlen);
/* The pool of [db.<name>], NULL if none. */
db_pool *db_pools_find(const char *name);
size_t db_pools_count(void);
/* Close every pool; done(arg) runs once all are closed (threads joined,
 * handles closed), possibly before this returns. */
void db_pools_close_all(void (*done)(void *arg), void *arg);

#endif
