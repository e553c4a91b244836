/*
 * item_template display data for the character list: the client draws each
 * character's visible gear from (display id, inventory type) of the item
 * entries in characters.equipmentCache. Loaded once from the world database
 * ([db.<world_pool>]) when the plugin starts, like ToCloud9's charserver;
 * requests that arrive before the load finished wait for it.
 */
#include <stdlib.h>
#include <string.h>

#include "characters.h"

typedef struct item_info {
  uint32_t entry, display;
  uint8_t inv_type;
} item_info;

typedef struct waiter {
  items_ready_cb cb;
  void *ud;
  struct waiter *next;
} waiter;

struct item_cache {
  item_info *items;
  size_t n;
  bool ready;
  uint64_t generation; /* loads of an older generation are dropped */
  waiter *waiters, **tail;
};

typedef struct load_job {
  chars *st;
  uint64_t generation;
  item_info *items;
  size_t n, cap;
} load_job;

#define RETRY_MS 30000

int items_create(chars *st) {
  st->items = calloc(1, sizeof(*st->items));
  if (!st->items) return -1;
  st->items->tail = &st->items->waiters;
  return 0;
}

static void run_waiters(chars *st) {
  item_cache *ic = st->items;
  waiter *w = ic->waiters;
  ic->waiters = NULL;
  ic->tail = &ic->waiters;
  while (w) {
    waiter *next = w->next;
    w->cb(st, w->ud);
    free(w);
    w = next;
  }
}

void items_destroy(chars *st) {
  if (!st->items) return;
  run_waiters(st); /* nothing is left waiting at destroy; be safe anyway */
  free(st->items->items);
  free(st->items);
  st->items = NULL;
}

static int load_work(stratus_db *db, void *arg) {
  load_job *j = arg;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT entry, displayid, InventoryType FROM item_template "
                          "WHERE InventoryType <> 0 ORDER BY entry",
                          NULL, 0, &rows);
  if (rc != 0) return rc;
  size_t count = HOST->rows_count(rows);
  j->items = calloc(count ? count : 1, sizeof(*j->items));
  if (!j->items) {
    HOST->rows_free(rows);
    return STRATUS_ENOMEM;
  }
  while (HOST->rows_next(rows) == 1 && j->n < count) {
    j->items[j->n++] = (item_info){(uint32_t)HOST->rows_uint(rows, 0),
                                   (uint32_t)HOST->rows_uint(rows, 1),
                                   (uint8_t)HOST->rows_uint(rows, 2)};
  }
  HOST->rows_free(rows);
  return 0;
}

static void retry(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  items_start(ud);
}

static void mark_ready(chars *st) {
  st->items->ready = true;
  run_waiters(st);
}

static void load_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  load_job *j = arg;
  chars *st = j->st;
  item_cache *ic = st->items;
  if (j->generation != ic->generation) {
    free(j->items);
    free(j);
    return;
  }
  if (result == 0) {
    free(ic->items);
    ic->items = j->items;
    ic->n = j->n;
    STRATUS_INFO(HOST, ctx, "loaded %zu item templates from [db.%s]", j->n,
                 st->cfg->world_pool);
  } else {
    free(j->items);
    STRATUS_WARN(HOST, ctx, "cannot load item_template from [db.%s] (%s); character "
                 "lists show no equipment until it loads (retry in %d s)",
                 st->cfg->world_pool, error && *error ? error : stratus_strerror(result),
                 RETRY_MS / 1000);
    if (!st->stopped) HOST->timer_start(ctx, RETRY_MS, 0, retry, st);
  }
  free(j);
  mark_ready(st);
}

void items_start(chars *st) {
  item_cache *ic = st->items;
  const char *pool = st->cfg->world_pool;
  ic->generation++;
  if (!pool[0] || !HOST->db_pool_exists(st->ctx, pool)) {
    if (pool[0])
      STRATUS_WARN(HOST, st->ctx, "no [db.%s]: character lists show no equipment", pool);
    free(ic->items);
    ic->items = NULL;
    ic->n = 0;
    mark_ready(st);
    return;
  }
  load_job *j = calloc(1, sizeof(*j));
  if (!j) {
    mark_ready(st);
    return;
  }
  j->st = st;
  j->generation = ic->generation;
  int rc = HOST->db_submit(st->ctx, pool, load_work, load_done, j, NULL);
  if (rc != 0) {
    STRATUS_WARN(HOST, st->ctx, "cannot queue the item_template load: %s",
                 stratus_strerror(rc));
    free(j);
    mark_ready(st);
  }
}

void items_when_ready(chars *st, items_ready_cb cb, void *ud) {
  item_cache *ic = st->items;
  if (ic->ready) {
    cb(st, ud);
    return;
  }
  waiter *w = malloc(sizeof(*w));
  if (!w) {
    cb(st, ud);
    return;
  }
  *w = (waiter){cb, ud, NULL};
  *ic->tail = w;
  ic->tail = &w->next;
}

static int by_entry(const void *key, const void *elem) {
  uint32_t k = *(const uint32_t *)key, e = ((const item_info *)elem)->entry;
  return k < e ? -1 : k > e;
}

void items_display(const chars *st, uint32_t entry, uint32_t *display, uint32_t *inv_type) {
  const item_cache *ic = st->items;
  const item_info *it =
      entry && ic->n ? bsearch(&entry, ic->items, ic->n, sizeof(*ic->items), by_entry) : NULL;
  *display = it ? it->display : 0;
  *inv_type = it ? it->inv_type : 0;
}
