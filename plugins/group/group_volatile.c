/*
 * Volatile per-group state of this instance, keyed by (realm, group): the
 * ready check in progress, a parked subgroup swap, the offline-leader
 * timer. Every timer carries the sequence number it was armed with and does
 * nothing when the group's number moved on. Losing all of it (a restart) is
 * harmless: a ready check is not finished by this instance (the clients'
 * own timeout ends it), a parked swap is made again, and the leader timer
 * is armed again by the next logout (README "What a restart loses").
 */
#include <stdlib.h>

#include "group.h"

static uint64_t vol_key(uint32_t realm, uint32_t group) { return (uint64_t)realm << 32 | group; }

gvolatile *group_vol(group_plugin *p, uint32_t realm, uint32_t group, bool create) {
  uint64_t key = vol_key(realm, group);
  gvolatile *v = hmap_get(&p->vol, hmap_mix64(key), NULL, NULL);
  if (v || !create) return v;
  v = calloc(1, sizeof(*v));
  if (!v) return NULL;
  v->key = key;
  if (hmap_put(&p->vol, hmap_mix64(key), v) != 0) {
    free(v);
    return NULL;
  }
  return v;
}

static void vol_free(group_plugin *p, gvolatile *v) {
  if (v->rc_timer) HOST->timer_stop(p->ctx, v->rc_timer);
  if (v->leader_timer) HOST->timer_stop(p->ctx, v->leader_timer);
  json_decref(v->rc_receivers);
  free(v);
}

void group_vol_drop(group_plugin *p, uint32_t realm, uint32_t group) {
  uint64_t key = vol_key(realm, group);
  gvolatile *v = hmap_del(&p->vol, hmap_mix64(key), NULL, NULL);
  if (v) vol_free(p, v);
}

void group_vol_free_all(group_plugin *p) {
  for (size_t i = 0; i < p->vol.cap; i++)
    if (p->vol.slots[i].val) vol_free(p, p->vol.slots[i].val);
  hmap_free(&p->vol);
}

/* ---- ready checks ---------------------------------------------------------------------- */

static void ready_check_finished(group_plugin *p, gvolatile *v) {
  json_t *o = group_event_head(p, (uint32_t)(v->key >> 32), (uint32_t)v->key);
  json_object_set(o, "Receivers", v->rc_receivers ? v->rc_receivers : json_null());
  group_publish(p, "group.readycheck.finished", 15, o);
}

static void ready_check_timer(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  (void)ctx;
  gvolatile *v = ud;
  group_plugin *p = v->owner;
  HOST->timer_stop(p->ctx, t);
  v->rc_timer = NULL;
  ready_check_finished(p, v);
  v->rc_seq++;
}

/* Starts (or restarts) the group's ready check; `receivers` is stolen. */
void group_ready_check_start(group_plugin *p, const ggroup *g, uint64_t duration_ms,
                             json_t *receivers) {
  gvolatile *v = group_vol(p, g->realm, g->id, true);
  if (!v) {
    json_decref(receivers);
    return;
  }
  v->owner = p;
  v->rc_seq++;
  if (v->rc_timer) HOST->timer_stop(p->ctx, v->rc_timer);
  json_decref(v->rc_receivers);
  v->rc_receivers = receivers;
  v->rc_timer = HOST->timer_start(p->ctx, duration_ms, 0, ready_check_timer, v);
}

/* Ends it early (leader or assistant, or another instance said so). */
void group_ready_check_stop(group_plugin *p, uint32_t realm, uint32_t group) {
  gvolatile *v = group_vol(p, realm, group, false);
  if (!v || !v->rc_timer) return;
  HOST->timer_stop(p->ctx, v->rc_timer);
  v->rc_timer = NULL;
  v->rc_seq++;
}
