/*
 * friends.status.changed: when a character logs in or out, the players who
 * have it on their friend list and are online get told (NotifyPlayers).
 * "Who has X as a friend" is character_social's `friend` index; status
 * changes are queued and looked up once per loop turn in batches of BATCH
 * characters per statement, so a gateway's login storm costs a few hundred
 * queries, not one per login. A listener sees the change when the core
 * would show it (same faction, or allow_two_side_who_list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

#define BATCH 64

typedef struct notify_item {
  uint32_t low, area, level, cls;
  uint8_t race, status;
} notify_item;

typedef struct realm_queue {
  uint32_t realm;
  notify_item *items;
  size_t n, cap;
} realm_queue;

struct notifier {
  realm_queue *queues;
  size_t nqueues;
  bool armed;
  char sql[160 + BATCH * 2];
};

typedef struct pair {
  uint32_t subject, listener;
} pair;

typedef struct lookup_job {
  chars *st;       /* for the done callback (loop) only */
  const char *sql; /* the worker's copy of notifier.sql */
  uint32_t realm;
  size_t n;
  notify_item items[BATCH];
  pair *pairs;
  size_t npairs;
} lookup_job;

int notify_create(chars *st) {
  notifier *nt = calloc(1, sizeof(*nt));
  if (!nt) return -1;
  int len = snprintf(nt->sql, sizeof(nt->sql),
                     "SELECT friend, guid FROM character_social WHERE (flags & 1) <> 0 "
                     "AND friend IN (");
  for (int i = 0; i < BATCH; i++)
    len += snprintf(nt->sql + len, sizeof(nt->sql) - (size_t)len, i ? ",?" : "?");
  snprintf(nt->sql + len, sizeof(nt->sql) - (size_t)len, ") ORDER BY friend, guid");
  st->notify = nt;
  return 0;
}

void notify_destroy(chars *st) {
  notifier *nt = st->notify;
  if (!nt) return;
  for (size_t i = 0; i < nt->nqueues; i++) free(nt->queues[i].items);
  free(nt->queues);
  free(nt);
  st->notify = NULL;
}

bool chars_visible(const chars *st, uint8_t viewer, uint8_t subject) {
  if (st->cfg->two_side_who || !viewer || !subject) return true;
  return online_team(viewer) == online_team(subject);
}

size_t notify_publish(chars *st, uint32_t realm, uint32_t low, uint8_t race, uint8_t status,
                      uint32_t area, uint32_t level, uint32_t cls, const uint32_t *listeners,
                      size_t n) {
  uint64_t *guids = n ? malloc(n * sizeof(*guids)) : NULL;
  size_t count = 0;
  for (size_t i = 0; i < n && guids; i++) {
    const oc_char *l = online_find(&st->oc, realm, listeners[i]);
    if (l && chars_visible(st, l->race, race)) guids[count++] = listeners[i];
  }
  if (count) {
    json_t *p = json_object();
    json_object_set_new(p, "ServiceID", json_string(st->service_id));
    json_object_set_new(p, "RealmID", json_integer(realm));
    json_object_set_new(p, "PlayerGUID", json_integer(low));
    json_object_set_new(p, "Status", json_integer(status));
    json_object_set_new(p, "Area", json_integer(area));
    json_object_set_new(p, "Level", json_integer(level));
    json_object_set_new(p, "ClassID", json_integer(cls));
    json_object_set_new(p, "NotifyPlayers", chars_guid_array(guids, count));
    chars_publish(st, "friends.status.changed", p);
  }
  free(guids);
  return count;
}

/* ---- the batched lookup ------------------------------------------------------ */

static int lookup_work(stratus_db *db, void *arg) {
  lookup_job *j = arg;
  stratus_sql_value params[BATCH];
  for (size_t i = 0; i < BATCH; i++)
    params[i] = STRATUS_SQL_UINT_V(i < j->n ? j->items[i].low : 0);
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, j->sql, params, BATCH, &rows);
  if (rc != 0) return rc;
  size_t count = HOST->rows_count(rows);
  j->pairs = calloc(count ? count : 1, sizeof(*j->pairs));
  if (!j->pairs) {
    HOST->rows_free(rows);
    return STRATUS_ENOMEM;
  }
  while (HOST->rows_next(rows) == 1 && j->npairs < count)
    j->pairs[j->npairs++] =
        (pair){(uint32_t)HOST->rows_uint(rows, 0), (uint32_t)HOST->rows_uint(rows, 1)};
  HOST->rows_free(rows);
  return 0;
}

static void lookup_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  lookup_job *j = arg;
  if (result != 0) {
    STRATUS_WARN(HOST, ctx, "friend status of %zu characters of realm %u not sent: %s", j->n,
                 j->realm, error && *error ? error : stratus_strerror(result));
  } else {
    uint32_t *listeners = malloc((j->npairs ? j->npairs : 1) * sizeof(*listeners));
    for (size_t i = 0; i < j->n && listeners; i++) {
      const notify_item *it = &j->items[i];
      size_t n = 0;
      for (size_t k = 0; k < j->npairs; k++) /* sorted by friend: a short run */
        if (j->pairs[k].subject == it->low) listeners[n++] = j->pairs[k].listener;
      notify_publish(j->st, j->realm, it->low, it->race, it->status, it->area, it->level,
                     it->cls, listeners, n);
    }
    free(listeners);
  }
  free(j->pairs);
  free(j);
}

static void submit(chars *st, uint32_t realm, const notify_item *items, size_t n) {
  lookup_job *j = calloc(1, sizeof(*j));
  if (!j) return;
  j->st = st;
  j->sql = st->notify->sql;
  j->realm = realm;
  j->n = n;
  memcpy(j->items, items, n * sizeof(*items));
  if (chars_submit(st, realm, lookup_work, lookup_done, j) != 0) {
    STRATUS_DEBUG(HOST, st->ctx, "no friend status lookup for realm %u", realm);
    free(j);
  }
}

static void flush(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  chars *st = ud;
  notifier *nt = st->notify;
  nt->armed = false;
  for (size_t q = 0; q < nt->nqueues; q++) {
    realm_queue *rq = &nt->queues[q];
    for (size_t i = 0; i < rq->n; i += BATCH)
      submit(st, rq->realm, rq->items + i, rq->n - i < BATCH ? rq->n - i : BATCH);
    rq->n = 0;
  }
}

static realm_queue *queue_for(notifier *nt, uint32_t realm) {
  for (size_t i = 0; i < nt->nqueues; i++)
    if (nt->queues[i].realm == realm) return &nt->queues[i];
  realm_queue *v = realloc(nt->queues, (nt->nqueues + 1) * sizeof(*v));
  if (!v) return NULL;
  nt->queues = v;
  v[nt->nqueues] = (realm_queue){.realm = realm};
  return &v[nt->nqueues++];
}

void notify_queue(chars *st, uint32_t realm, uint32_t low, uint8_t race, uint8_t status,
                  uint32_t area, uint32_t level, uint32_t cls) {
  notifier *nt = st->notify;
  if (!st->cfg->notify_friends || st->stopped) return;
  realm_queue *q = queue_for(nt, realm);
  if (!q) return;
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    notify_item *items = realloc(q->items, cap * sizeof(*items));
    if (!items) return;
    q->items = items;
    q->cap = cap;
  }
  q->items[q->n++] = (notify_item){low, area, level, cls, race, status};
  if (!nt->armed && HOST->timer_start(st->ctx, 0, 0, flush, st)) nt->armed = true;
}
