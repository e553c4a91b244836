/*
 * The rules of a group that need no database: membership, roles, capacity,
 * subgroups, who is online (asked of the presence owner) and who leads next.
 */
#include "group.h"
#include "guid.h"

bool gplayer_eq(gplayer a, gplayer b) { return a.realm == b.realm && a.low == b.low; }

gmember *group_member(ggroup *g, gplayer who) {
  for (size_t i = 0; i < g->n; i++)
    if (g->members[i].realm == who.realm && g->members[i].low == who.low) return &g->members[i];
  return NULL;
}

uint64_t group_wire_guid_of(uint32_t home, uint32_t realm, uint32_t low) {
  return low ? guid_for_viewer(home, realm, low) : 0;
}

/* A GUID as the group's home realm writes it on the wire. */
uint64_t group_wire_guid(const ggroup *g, gplayer who) {
  return group_wire_guid_of(g->realm, who.realm, who.low);
}

uint32_t group_capacity(const ggroup *g) {
  return g->group_type & GROUP_TYPE_RAID ? GROUP_MAX_RAID : GROUP_MAX_PARTY;
}

bool group_is_leader(const ggroup *g, gplayer who) { return gplayer_eq(g->leader, who); }

bool group_is_leader_or_assistant(const ggroup *g, gplayer who) {
  if (group_is_leader(g, who)) return true;
  gmember *m = group_member((ggroup *)g, who);
  return m && (m->flags & MEMBER_ASSISTANT);
}

uint32_t group_subgroup_count(const ggroup *g, uint32_t subgroup) {
  uint32_t n = 0;
  for (size_t i = 0; i < g->n; i++) n += g->members[i].subgroup == subgroup;
  return n;
}

/* The first subgroup with room (a raid fills them in order). */
uint32_t group_free_subgroup(const ggroup *g) {
  if (!(g->group_type & GROUP_TYPE_RAID)) return 0;
  for (uint32_t s = 0; s < GROUP_SUBGROUPS; s++)
    if (group_subgroup_count(g, s) < GROUP_MAX_PARTY) return s;
  return 0;
}

static int found(const stratus_presence *pr, void *ud) {
  (void)pr;
  *(bool *)ud = true;
  return 1;
}

/* 1 online, 0 offline, STRATUS_ENOTSUP without a presence owner. */
static int presence_of(group_plugin *p, uint32_t realm, uint32_t low) {
  bool on = false;
  if (!STRATUS_HOST_HAS(HOST, presence_by_guid)) return STRATUS_ENOTSUP;
  int rc = HOST->presence_by_guid(p->ctx, realm, low, found, &on);
  return rc == STRATUS_ENOTSUP ? rc : on;
}

/* Online by the presence owner; without one (characters disabled) nobody is. */
bool group_online(group_plugin *p, uint32_t realm, uint32_t low) {
  return presence_of(p, realm, low) == 1;
}

/* Whom an event is for: the online members; every member when no presence
 * owner runs (the gateways deliver only to the sessions they hold). */
bool group_receiver(group_plugin *p, uint32_t realm, uint32_t low) {
  return presence_of(p, realm, low) != 0;
}

/* Online as the loop found it before a transaction (j->online). */
bool group_job_online(const gjob *j, gplayer who) {
  for (size_t i = 0; i < j->n_online; i++)
    if (gplayer_eq(j->online[i], who)) return true;
  return false;
}

/* The next leader: an online assistant (raids, when asked), else the first
 * online member, else the first member; never `except`. {0,0} if none.
 * Online is what the loop found before the transaction (j->online). */
gplayer group_next_leader(const gjob *j, const ggroup *g, gplayer except, bool prefer_assist) {
  gplayer first = {0, 0}, online = {0, 0};
  for (size_t i = 0; i < g->n; i++) {
    const gmember *m = &g->members[i];
    gplayer who = {m->realm, m->low};
    if (gplayer_eq(who, except)) continue;
    if (!first.low) first = who;
    if (!group_job_online(j, who)) continue;
    if (prefer_assist && (m->flags & MEMBER_ASSISTANT)) return who;
    if (!online.low) online = who;
  }
  return online.low ? online : first;
}
