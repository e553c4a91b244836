/*
 * The last known state and placement of each member (PR #37 §2.5), this
 * instance's volatile memory: lost on a restart, the gateways send full
 * snapshots again within seconds. Merging snapshots, the fields the events
 * carry, freshness and the same-worldserver test, and the catch-up a member
 * gets on login.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group.h"

/* ---- the volatile table ---------------------------------------------------------------- */

gstate *group_state(group_plugin *p, uint32_t realm, uint32_t low) {
  uint64_t key = (uint64_t)realm << 32 | low;
  return hmap_get(&p->states, hmap_mix64(key), NULL, NULL);
}

gstate *group_state_put(group_plugin *p, uint32_t realm, uint32_t low) {
  gstate *s = group_state(p, realm, low);
  if (s) return s;
  s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->key = (uint64_t)realm << 32 | low;
  if (hmap_put(&p->states, hmap_mix64(s->key), s) != 0) {
    free(s);
    return NULL;
  }
  return s;
}

void group_state_forget(group_plugin *p, uint32_t realm, uint32_t low) {
  uint64_t key = (uint64_t)realm << 32 | low;
  free(hmap_del(&p->states, hmap_mix64(key), NULL, NULL));
}

void group_states_free(group_plugin *p) {
  for (size_t i = 0; i < p->states.cap; i++) free(p->states.slots[i].val);
  hmap_free(&p->states);
}

uint64_t group_wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Merges a snapshot; the vitals of a partial one (maxHealth 0) stay. */
void group_state_apply(group_plugin *p, gstate *s, const V1__PlayerStateSnapshot *in,
                        const char *gateway, const char *worldserver, uint64_t ts) {
  s->ts_ms = ts;
  s->updated_ms = group_wall_ms();
  s->seen_ms = HOST->now_ms(p->ctx);
  snprintf(s->gateway, sizeof(s->gateway), "%s", gateway ? gateway : "");
  snprintf(s->worldserver, sizeof(s->worldserver), "%s", worldserver ? worldserver : "");
  s->online = in->online;
  if (in->level) s->level = in->level;
  if (in->classid) s->class_id = in->classid;
  s->zone = in->zoneid;
  s->map = in->mapid;
  if (in->maxhealth) {
    s->health = in->health;
    s->max_health = in->maxhealth;
    s->power_type = in->powertype;
    s->power = in->power;
    s->max_power = in->maxpower;
  }
  if (in->_instance_id_case == V1__PLAYER_STATE_SNAPSHOT___INSTANCE_ID_INSTANCE_ID) {
    s->instance_known = true;
    s->instance = in->instanceid;
  }
  if (in->_dead_case == V1__PLAYER_STATE_SNAPSHOT___DEAD_DEAD) s->dead_known = true, s->dead = in->dead;
  if (in->_ghost_case == V1__PLAYER_STATE_SNAPSHOT___GHOST_GHOST)
    s->ghost_known = true, s->ghost = in->ghost;
  if (in->aurasknown) {
    s->auras_known = true;
    s->nauras = 0;
    for (size_t i = 0; i < in->n_auras && s->nauras < GROUP_AURAS_MAX; i++)
      s->auras[s->nauras++] = (gaura){in->auras[i]->slot, in->auras[i]->spellid,
                                      in->auras[i]->flags};
  }
}

/* ---- events ---------------------------------------------------------------------------- */

/* One state as the events carry it, GUID as the group's home realm writes it. */
void group_state_fields(json_t *o, const gstate *s, uint64_t guid) {
  json_object_set_new(o, "MemberGUID", group_u64(guid));
  json_object_set_new(o, "Online", json_boolean(s->online));
  json_object_set_new(o, "Level", json_integer(s->level));
  json_object_set_new(o, "Class", json_integer(s->class_id));
  json_object_set_new(o, "ZoneID", json_integer(s->zone));
  json_object_set_new(o, "MapID", json_integer(s->map));
  json_object_set_new(o, "Health", json_integer(s->health));
  json_object_set_new(o, "MaxHealth", json_integer(s->max_health));
  json_object_set_new(o, "PowerType", json_integer(s->power_type));
  json_object_set_new(o, "Power", json_integer(s->power));
  json_object_set_new(o, "MaxPower", json_integer(s->max_power));
  json_object_set_new(o, "AurasKnown", json_boolean(s->auras_known));
  json_t *auras = s->nauras ? json_array() : json_null();
  for (uint32_t i = 0; i < s->nauras; i++) {
    json_t *a = json_object();
    json_object_set_new(a, "Slot", json_integer(s->auras[i].slot));
    json_object_set_new(a, "SpellID", json_integer(s->auras[i].spell));
    json_object_set_new(a, "Flags", json_integer(s->auras[i].flags));
    json_array_append_new(auras, a);
  }
  json_object_set_new(o, "Auras", auras);
  json_object_set_new(o, "DeadKnown", json_boolean(s->dead_known));
  json_object_set_new(o, "Dead", json_boolean(s->dead));
  json_object_set_new(o, "GhostKnown", json_boolean(s->ghost_known));
  json_object_set_new(o, "Ghost", json_boolean(s->ghost));
}

json_t *group_states_head(group_plugin *p, uint32_t realm, uint32_t group, const char *gw,
                           const char *ws) {
  json_t *o = group_event_head(p, realm, group);
  json_object_set_new(o, "SourceGatewayID", json_string(gw ? gw : ""));
  json_object_set_new(o, "SourceWorldserverID", json_string(ws ? ws : ""));
  return o;
}

/* A placement this instance saw recently enough to trust. */
static const gstate *fresh(group_plugin *p, uint32_t realm, uint32_t low) {
  const gstate *s = group_state(p, realm, low);
  uint64_t now = HOST->now_ms(p->ctx);
  return s && s->online && now - s->seen_ms <= (uint64_t)p->config->placement_fresh_ms ? s
                                                                                         : NULL;
}

static bool same_place(const gstate *a, const gstate *b) {
  if (!a || !b || !a->worldserver[0] || strcmp(a->worldserver, b->worldserver) != 0 ||
      a->map != b->map)
    return false;
  return !(a->instance_known && b->instance_known && a->instance != b->instance);
}

/* The source's worldserver already shows this state to every receiver. */
bool group_state_suppressed(group_plugin *p, const gplayer *members, size_t n, gplayer src) {
  const gstate *s = fresh(p, src.realm, src.low);
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    if (gplayer_eq(members[i], src) || !group_receiver(p, members[i].realm, members[i].low))
      continue;
    any = true;
    if (!same_place(s, fresh(p, members[i].realm, members[i].low))) return false;
  }
  return any;
}

json_t *group_receivers_of(group_plugin *p, uint32_t home, const gplayer *m, size_t n) {
  json_t *a = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!group_receiver(p, m[i].realm, m[i].low)) continue;
    if (!a) a = json_array();
    json_array_append_new(a, group_u64(group_wire_guid_of(home, m[i].realm, m[i].low)));
  }
  return a ? a : json_null();
}

/* On login: the states of the others, to the one who came. */
void group_catch_up(group_plugin *p, const ggroup *g, gplayer who) {
  json_t *states = NULL;
  for (size_t i = 0; i < g->n; i++) {
    const gmember *m = &g->members[i];
    const gstate *s = group_state(p, m->realm, m->low);
    if (!s || gplayer_eq((gplayer){m->realm, m->low}, who)) continue;
    if (!states) states = json_array();
    json_t *o = json_object();
    group_state_fields(o, s, group_wire_guid_of(g->realm, m->realm, m->low));
    json_array_append_new(states, o);
  }
  if (!states) return;
  json_t *o = group_states_head(p, g->realm, g->id, "", "");
  json_object_set_new(o, "States", states);
  json_t *r = json_array();
  json_array_append_new(r, group_u64(group_wire_guid(g, who)));
  json_object_set_new(o, "Receivers", r);
  group_publish(p, "group.member.states.changed", 22, o);
}
