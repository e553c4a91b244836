/* The pools of the config in force, by [db.<name>] section name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_db.h"
#include "connect.h"
#include "log.h"
#include "util.h"

typedef struct pool_entry {
  char *name;
  db_pool *pool;
} pool_entry;

static pool_entry *pools;
static size_t npools, cap;
static size_t closing;
static void (*all_closed)(void *arg);
static void *all_closed_arg;
static bool closing_all;

db_pool *db_pools_find(const char *name) {
  for (size_t i = 0; name && i < npools; i++)
    if (strcmp(pools[i].name, name) == 0) return pools[i].pool;
  return NULL;
}

size_t db_pools_count(void) { return npools; }

static void on_pool_closed(void *arg) {
  UNUSED(arg);
  if (--closing > 0 || !closing_all || npools) return;
  closing_all = false;
  free(pools);
  pools = NULL;
  cap = 0;
  db_library_end();
  void (*done)(void *) = all_closed;
  all_closed = NULL;
  if (done) done(all_closed_arg);
}

static void close_entry(size_t i) {
  db_pool *p = pools[i].pool;
  free(pools[i].name);
  pools[i] = pools[--npools];
  closing++;
  db_pool_close(p, on_pool_closed, NULL);
}

static void note(strbuf *errs, const char *msg) {
  sb_printf(errs, "%s%s", errs->len ? "; " : "", msg);
}

/* 1 when the pool was created or changed. */
static int apply_section(uv_loop_t *loop, const char *name,
                         const db_section *cfg, strbuf *errs) {
  char err[512], msg[700];
  db_pool *p = db_pools_find(name);
  if (p) {
    int rc = db_pool_reconfigure(p, cfg, err, sizeof(err));
    if (rc < 0) {
      snprintf(msg, sizeof(msg), "[db.%s]: %s; keeping its running settings",
               name, err);
      note(errs, msg);
    }
    return rc > 0;
  }
  p = db_pool_create(loop, name, cfg, err, sizeof(err));
  if (!p) {
    snprintf(msg, sizeof(msg), "[db.%s]: %s", name, err);
    note(errs, msg);
    return 0;
  }
  grow_array((void **)&pools, &cap, npools + 1, sizeof(pool_entry));
  pools[npools++] = (pool_entry){xstrdup(name), p};
  log_info("db.%s: pool of %lld connection(s) started", name,
           (long long)cfg->pool_size);
  return 1;
}

int db_pools_apply(uv_loop_t *loop, const host_config *hc, char *err,
                   size_t errlen) {
  strbuf errs;
  sb_init(&errs);
  int changes = 0;
  for (size_t i = npools; i-- > 0;) {
    if (host_config_db_find(hc, pools[i].name)) continue;
    log_info("db.%s: section removed; closing its pool", pools[i].name);
    close_entry(i);
    changes++;
  }
  for (size_t i = 0; i < host_config_db_count(hc); i++)
    changes += apply_section(loop, host_config_db_name(hc, i),
                             host_config_db(hc, i), &errs);
  int rc = errs.len ? -1 : changes;
  if (rc) snprintf(err, errlen, "%s", errs.data);
  sb_free(&errs);
  return rc;
}

void db_pools_close_all(void (*done)(void *arg), void *arg) {
  all_closed = done;
  all_closed_arg = arg;
  closing_all = true;
  closing++; /* so that no pool's close completes the whole before we end */
  while (npools) close_entry(npools - 1);
  on_pool_closed(NULL);
}
