/*
 * Presence for Real ID, from the host's one owner (the characters plugin):
 * lookups by GUID and account, and a watcher. When a character of an
 * account with Real ID friends comes online as the account's first, or goes
 * offline as its last, every online character of those friends, on any
 * realm, gets friends.status.changed. One event per listener realm:
 * RealmID is the listeners' realm, NotifyPlayers their low GUIDs, and
 * PlayerGUID the character as that realm sees it (realm-scoped when it is
 * from another realm, PR #37 §2.12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "realid.h"

/* ---- publishing -------------------------------------------------------------------- */

/* The type, key order and value types come from the host's event catalogue. */
void realid_publish(realid *st, const char *subject, json_t *payload) {
  int rc = HOST->event_publish_json(st->ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
  if (rc != 0) STRATUS_WARN(HOST, st->ctx, "publishing %s: %s", subject, stratus_strerror(rc));
  if (!st->stopped) {
    const char *labels[] = {subject, rc == 0 ? "ok" : stratus_err_name(rc)};
    HOST->metric_add(st->m_published, labels, 1);
  }
}

/* ---- lookups ------------------------------------------------------------------------ */

static void copy_char(const stratus_presence *p, rid_char *out) {
  *out = (rid_char){p->realm, p->low, p->account, p->zone, p->level, p->class_id, p->race, ""};
  snprintf(out->name, sizeof(out->name), "%s", p->name);
}

static int copy_one(const stratus_presence *p, void *ud) {
  copy_char(p, ud);
  return 1;
}

bool realid_online(realid *st, uint32_t realm, uint32_t low, rid_char *out) {
  return HOST->presence_by_guid(st->ctx, realm, low, copy_one, out) > 0;
}

typedef struct pick {
  uint32_t viewer;
  bool found;
  rid_char best;
} pick;

static bool better(const stratus_presence *p, const rid_char *b, uint32_t viewer) {
  if ((p->realm == viewer) != (b->realm == viewer)) return p->realm == viewer;
  if (p->realm != b->realm) return p->realm < b->realm;
  return p->low < b->low;
}

static int pick_one(const stratus_presence *p, void *ud) {
  pick *k = ud;
  if (!k->found || better(p, &k->best, k->viewer)) copy_char(p, &k->best);
  k->found = true;
  return 0;
}

bool realid_representative(realid *st, uint32_t account, uint32_t viewer, rid_char *out) {
  pick k = {.viewer = viewer};
  HOST->presence_by_account(st->ctx, account, pick_one, &k);
  *out = k.best;
  return k.found;
}

typedef struct listener {
  uint32_t realm, low;
} listener;

static int by_realm(const void *a, const void *b) {
  const listener *x = a, *y = b;
  return x->realm != y->realm ? (x->realm < y->realm ? -1 : 1) : (x->low > y->low) - (x->low < y->low);
}

static void publish_group(realid *st, const listener *ls, size_t n, uint32_t realm, uint32_t low,
                          uint8_t status, uint32_t zone, uint32_t level, uint32_t cls) {
  uint32_t viewer = ls[0].realm;
  json_t *p = json_object(), *guids = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(guids, json_integer(ls[i].low));
  json_object_set_new(p, "ServiceID", json_string(st->service_id));
  json_object_set_new(p, "RealmID", json_integer(viewer));
  json_object_set_new(p, "PlayerGUID", json_integer((json_int_t)guid_for_viewer(viewer, realm, low)));
  json_object_set_new(p, "Status", json_integer(status));
  json_object_set_new(p, "Area", json_integer(zone));
  json_object_set_new(p, "Level", json_integer(level));
  json_object_set_new(p, "ClassID", json_integer(cls));
  json_object_set_new(p, "NotifyPlayers", guids);
  realid_publish(st, "friends.status.changed", p);
}

typedef struct listeners {
  struct listener *v;
  size_t n, cap;
} listeners;

static int add_listener(const stratus_presence *p, void *ud) {
  listeners *ls = ud;
  if (ls->n == ls->cap) {
    size_t ncap = ls->cap ? ls->cap * 2 : 16;
    struct listener *v = realloc(ls->v, ncap * sizeof(*v));
    if (!v) return 1;
    ls->v = v, ls->cap = ncap;
  }
  ls->v[ls->n++] = (struct listener){p->realm, p->low};
  return 0;
}

void realid_broadcast(realid *st, uint32_t account, uint32_t only, uint32_t realm, uint32_t low,
                      uint8_t status, uint32_t zone, uint32_t level, uint32_t cls) {
  const friend_list *fl = friendmap_of(&st->friends, account);
  listeners ls = {0};
  if (only) HOST->presence_by_account(st->ctx, only, add_listener, &ls);
  for (uint32_t i = 0; !only && fl && i < fl->n; i++)
    HOST->presence_by_account(st->ctx, fl->friends[i], add_listener, &ls);
  if (ls.n > 1) qsort(ls.v, ls.n, sizeof(*ls.v), by_realm);
  for (size_t start = 0, i = 1; start < ls.n; i++) {
    if (i == ls.n || ls.v[i].realm != ls.v[start].realm) {
      publish_group(st, ls.v + start, i - start, realm, low, status, zone, level, cls);
      start = i;
    }
  }
  free(ls.v);
}

/* ---- the watcher ------------------------------------------------------------------------ */

static int count(const stratus_presence *p, void *ud) { return 0; }

/* Runs after the owner applied the change: an account that now has exactly
 * this character online just came online; one with none just went offline. */
static void on_presence(stratus_ctx *ctx, int change, const stratus_presence *p, void *ud) {
  realid *st = ud;
  if (!p->account || change == STRATUS_PRESENCE_UPDATED) return;
  int online = HOST->presence_by_account(ctx, p->account, count, NULL);
  if (change == STRATUS_PRESENCE_ONLINE && online == 1)
    realid_broadcast(st, p->account, 0, p->realm, p->low, 1, p->zone, p->level, p->class_id);
  else if (change == STRATUS_PRESENCE_OFFLINE && online == 0)
    realid_broadcast(st, p->account, 0, p->realm, p->low, 0, 0, 0, 0);
}

int realid_watch_presence(realid *st) { return HOST->presence_watch(st->ctx, on_presence, st); }
