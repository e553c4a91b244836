/*
 * group.* events (ToCloud9 tocloud9.md §3.2, PR #37 §1.9): payloads built
 * with jansson in the Go structs' field order, published after the
 * transaction committed. GUIDs are written as the group's home realm sees
 * them (realm-scoped for members of other realms); Receivers and
 * OnlineMembers list the online members, `null` when none (a nil Go slice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

/* jansson's integers are signed: a uint64 above INT64_MAX (a creature's
 * GUID as a raid target) travels as this marked string until the text is
 * written, then becomes the plain number Go writes. */
#define U64_MARK_TEXT "\"\\u0001u64:"

json_t *group_u64(uint64_t v) {
  if (v <= (uint64_t)INT64_MAX) return json_integer((json_int_t)v);
  char buf[40];
  snprintf(buf, sizeof(buf), "\001u64:%llu", (unsigned long long)v);
  return json_string(buf);
}

/* Replaces every "\u0001u64:N" with N, in place. */
static void unmark_u64(char *text) {
  char *at;
  while ((at = strstr(text, U64_MARK_TEXT))) {
    char *digits = at + strlen(U64_MARK_TEXT), *end = strchr(digits, '"');
    if (!end) return;
    size_t n = (size_t)(end - digits);
    memmove(at, digits, n);
    memmove(at + n, end + 1, strlen(end + 1) + 1);
  }
}

/* The one place that picks how a payload goes out. */
int group_publish(group_plugin *p, const char *subject, int64_t type, json_t *payload) {
  if (!payload) return STRATUS_ENOMEM;
  char *text = json_dumps(payload, JSON_COMPACT);
  bool marked = text && strstr(text, U64_MARK_TEXT);
  if (STRATUS_HOST_HAS(HOST, event_publish_json) && !marked) {
    free(text);
    return HOST->event_publish_json(p->ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
  }
  json_decref(payload);
  if (marked) unmark_u64(text);
  int rc = text ? HOST->event_publish(p->ctx, subject, type, text) : STRATUS_ENOMEM;
  free(text);
  if (rc != 0) STRATUS_WARN(HOST, p->ctx, "%s: not published (%s)", subject, stratus_strerror(rc));
  return rc;
}

json_t *group_event_head(group_plugin *p, uint32_t realm, uint32_t group_id) {
  json_t *o = json_object();
  json_object_set_new(o, "ServiceID", json_string(p->service_id));
  json_object_set_new(o, "RealmID", json_integer(realm));
  json_object_set_new(o, "GroupID", json_integer(group_id));
  return o;
}


/* The receivers of a group's event, `except` left out; null when none. */
json_t *group_receivers(group_plugin *p, const ggroup *g, gplayer except) {
  json_t *a = NULL;
  for (size_t i = 0; i < g->n; i++) {
    const gmember *m = &g->members[i];
    if ((m->realm == except.realm && m->low == except.low) ||
        !group_receiver(p, m->realm, m->low))
      continue;
    if (!a) a = json_array();
    json_array_append_new(a, group_u64(group_wire_guid_of(g->realm, m->realm, m->low)));
  }
  return a ? a : json_null();
}

static const gplayer nobody = {0, 0};

static void set_guid(json_t *o, const char *key, const ggroup *g, gplayer who) {
  json_object_set_new(o, key, group_u64(group_wire_guid(g, who)));
}

void group_ev_created(group_plugin *p, const ggroup *g) {
  json_t *o = group_event_head(p, g->realm, g->id);
  set_guid(o, "LeaderGUID", g, g->leader);
  json_object_set_new(o, "LootMethod", json_integer(g->loot_method));
  set_guid(o, "LooterGUID", g, g->looter);
  json_object_set_new(o, "LootThreshold", json_integer(g->loot_threshold));
  json_object_set_new(o, "GroupType", json_integer(g->group_type));
  json_object_set_new(o, "Difficulty", json_integer(g->difficulty));
  json_object_set_new(o, "RaidDifficulty", json_integer(g->raid_difficulty));
  set_guid(o, "MasterLooterGuid", g, g->master_looter);
  json_object_set_new(o, "LfgDungeonEntry", json_integer(g->lfg_dungeon));
  json_t *members = g->n ? json_array() : json_null();
  for (size_t i = 0; i < g->n; i++) {
    const gmember *m = &g->members[i];
    json_t *e = json_object();
    json_object_set_new(e, "MemberGUID", group_u64(group_wire_guid_of(g->realm, m->realm, m->low)));
    json_object_set_new(e, "MemberFlags", json_integer(m->flags));
    json_object_set_new(e, "MemberName", json_string(m->name));
    json_object_set_new(e, "IsOnline", json_boolean(group_online(p, m->realm, m->low)));
    json_object_set_new(e, "SubGroup", json_integer(m->subgroup));
    json_object_set_new(e, "Roles", json_integer(m->roles));
    json_array_append_new(members, e);
  }
  json_object_set_new(o, "Members", members);
  group_publish(p, "group.created", 2, o);
}

void group_ev_member_added(group_plugin *p, const ggroup *g, gplayer who) {
  const gmember *m = group_member((ggroup *)g, who);
  json_t *o = group_event_head(p, g->realm, g->id);
  set_guid(o, "MemberGUID", g, who);
  json_object_set_new(o, "MemberName", json_string(m ? m->name : ""));
  json_object_set_new(o, "OnlineMembers", group_receivers(p, g, nobody));
  group_publish(p, "group.member.added", 6, o);
}

/* OnlineMembers: who is left, and the one who left (their client must hear it). */
void group_ev_member_left(group_plugin *p, const ggroup *before, const ggroup *after,
                          gplayer who, const char *name) {
  json_t *o = group_event_head(p, after->realm, after->id);
  set_guid(o, "MemberGUID", after, who);
  json_object_set_new(o, "MemberName", json_string(name ? name : ""));
  gplayer leader = gplayer_eq(before->leader, after->leader) ? nobody : after->leader;
  set_guid(o, "NewLeaderID", after, leader);
  json_object_set_new(o, "OnlineMembers", group_receivers(p, before, nobody));
  group_publish(p, "group.member.left", 4, o);
}

void group_ev_disband(group_plugin *p, const ggroup *before) {
  json_t *o = group_event_head(p, before->realm, before->id);
  json_object_set_new(o, "OnlineMembers", group_receivers(p, before, nobody));
  group_publish(p, "group.disband", 5, o);
}

void group_ev_leader(group_plugin *p, const ggroup *g, gplayer previous) {
  json_t *o = group_event_head(p, g->realm, g->id);
  set_guid(o, "PreviousLeader", g, previous);
  set_guid(o, "NewLeader", g, g->leader);
  json_object_set_new(o, "OnlineMembers", group_receivers(p, g, nobody));
  group_publish(p, "group.leader.changed", 7, o);
}

void group_ev_online(group_plugin *p, const ggroup *g, gplayer who, bool online) {
  json_t *o = group_event_head(p, g->realm, g->id);
  set_guid(o, "MemberGUID", g, who);
  json_object_set_new(o, "IsOnline", json_boolean(online));
  json_object_set_new(o, "OnlineMembers", group_receivers(p, g, who));
  group_publish(p, "group.member.online.changed", 3, o);
}

/* The PR #37 events that name one member: ready-check answers, subgroup and
 * flag changes. `fields` pairs keys with values after MemberGUID. */
void group_ev_member_value(group_plugin *p, const ggroup *g, const char *subject, int64_t type,
                           gplayer who, const char *k1, uint32_t v1, const char *k2,
                           uint32_t v2) {
  json_t *o = group_event_head(p, g->realm, g->id);
  set_guid(o, "MemberGUID", g, who);
  json_object_set_new(o, k1, json_integer(v1));
  if (k2) json_object_set_new(o, k2, json_integer(v2));
  json_object_set_new(o, "Receivers", group_receivers(p, g, nobody));
  group_publish(p, subject, type, o);
}
