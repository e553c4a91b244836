/*
 * Dungeon-finder groups as the matchmaking and group services announce them,
 * for the crossrealm whisper policy: two players in the same dungeon-finder
 * group share a crossrealm context. Fed by
 *   matchmaking.lfg.proposal.accepted  every member of an accepted proposal,
 *                                      in the group it was registered as;
 *   group.created                      an LFG group (type flag 0x08 or a
 *                                      dungeon entry) with its roster;
 *   group.member.added / member.left   roster changes;
 *   group.disband                      the end of the group.
 * A group is keyed by its home realm (the event's RealmID; the leader's
 * realm for a proposal) and its GroupID. Member GUIDs in group events are
 * realm-local for home-realm members and realm-scoped (realm << 32 | low)
 * for foreign ones (PR #37). A player is in one group at most: joining any
 * group, LFG or not, takes them out of the one they were in.
 */
#define _GNU_SOURCE
#include <search.h>
#include <stdlib.h>

#include "guid.h"
#include "whisper.h"

#define host whisper_host

#define LFG_GROUP_FLAG 0x08
#define LFG_MAX_MEMBERS 40

typedef struct lfg_group lfg_group;

typedef struct lfg_member {
  uint32_t realm;
  uint64_t guid; /* realm-local */
  lfg_group *group;
} lfg_member;

struct lfg_group {
  uint32_t realm; /* home realm */
  uint64_t id;
  size_t n;
  lfg_member *members[LFG_MAX_MEMBERS];
};

static int pair_cmp(uint32_t realm_a, uint64_t id_a, uint32_t realm_b, uint64_t id_b) {
  if (realm_a != realm_b) return realm_a < realm_b ? -1 : 1;
  return id_a < id_b ? -1 : id_a > id_b;
}

static int member_cmp(const void *a, const void *b) {
  const lfg_member *x = a, *y = b;
  return pair_cmp(x->realm, x->guid, y->realm, y->guid);
}

static int group_cmp(const void *a, const void *b) {
  const lfg_group *x = a, *y = b;
  return pair_cmp(x->realm, x->id, y->realm, y->id);
}

static lfg_member *find_member(whisper_plugin *p, uint32_t realm, uint64_t guid) {
  lfg_member probe = {.realm = realm, .guid = guid};
  void **node = tfind(&probe, &p->lfg_members, member_cmp);
  return node ? *node : NULL;
}

static lfg_group *find_group(whisper_plugin *p, uint32_t realm, uint64_t id) {
  lfg_group probe = {.realm = realm, .id = id};
  void **node = tfind(&probe, &p->lfg_groups, group_cmp);
  return node ? *node : NULL;
}

bool whisper_same_lfg_group(whisper_plugin *p, const whisper_char *a, const whisper_char *b) {
  lfg_member *x = find_member(p, a->realm, a->guid), *y = find_member(p, b->realm, b->guid);
  return x && y && x->group == y->group;
}

static void gauge(whisper_plugin *p) {
  if (!p->stopped) host->metric_set(p->m_lfg_groups, NULL, (double)p->lfg_group_count);
}

static void drop_group(whisper_plugin *p, lfg_group *g) {
  for (size_t i = 0; i < g->n; i++) {
    tdelete(g->members[i], &p->lfg_members, member_cmp);
    free(g->members[i]);
  }
  tdelete(g, &p->lfg_groups, group_cmp);
  free(g);
  p->lfg_group_count--;
}

static void leave(whisper_plugin *p, lfg_member *m) {
  lfg_group *g = m->group;
  for (size_t i = 0; i < g->n; i++)
    if (g->members[i] == m) {
      g->members[i] = g->members[--g->n];
      break;
    }
  tdelete(m, &p->lfg_members, member_cmp);
  free(m);
  if (g->n == 0) drop_group(p, g);
}

/* Takes the player out of whatever dungeon-finder group they were in. */
static void forget_player(whisper_plugin *p, uint32_t realm, uint64_t guid) {
  lfg_member *m = find_member(p, realm, guid);
  if (m) leave(p, m);
}

static lfg_group *add_group(whisper_plugin *p, uint32_t realm, uint64_t id) {
  lfg_group *g = find_group(p, realm, id);
  if (g) return g;
  if (!(g = calloc(1, sizeof(*g)))) return NULL;
  *g = (lfg_group){.realm = realm, .id = id};
  void **node = tsearch(g, &p->lfg_groups, group_cmp);
  if (!node) {
    free(g);
    return NULL;
  }
  p->lfg_group_count++;
  return g;
}

static void join(whisper_plugin *p, lfg_group *g, uint32_t realm, uint64_t guid) {
  lfg_member *m = find_member(p, realm, guid);
  if (m && m->group == g) return;
  if (m) leave(p, m);
  if (g->n == LFG_MAX_MEMBERS || !(m = calloc(1, sizeof(*m)))) return;
  *m = (lfg_member){.realm = realm, .guid = guid, .group = g};
  void **node = tsearch(m, &p->lfg_members, member_cmp);
  if (!node) {
    free(m);
    return;
  }
  g->members[g->n++] = m;
}

/* ---- events ------------------------------------------------------------------- */

typedef struct player_key {
  uint32_t realm;
  uint64_t guid;
} player_key;

/* A member GUID: realm-scoped names its realm, a plain one is of `realm`
 * (plugins/common/guid.h); not a player GUID: a key nobody has. */
static player_key player_of(uint32_t realm, uint64_t guid) {
  uint32_t r, low;
  if (!guid_resolve(realm, guid, &r, &low)) return (player_key){0, 0};
  return (player_key){r, low};
}

typedef struct group_event {
  json_t *payload;
  uint32_t realm;
  uint64_t id;
} group_event;

static bool group_event_of(const stratus_event *ev, group_event *out) {
  out->payload = jsonf_payload(ev);
  if (!out->payload) return false;
  out->realm = (uint32_t)jsonf_uint(out->payload, "RealmID", UINT32_MAX);
  out->id = jsonf_uint(out->payload, "GroupID", UINT64_MAX);
  if (out->realm && out->id) return true;
  json_decref(out->payload);
  return false;
}

/* Replaces the group's roster with `members` (objects with `guid_key`, and
 * `realm_key` when the array names each member's realm). */
static void set_roster(whisper_plugin *p, uint32_t realm, uint64_t id, json_t *members,
                       const char *guid_key, const char *realm_key) {
  lfg_group *g = find_group(p, realm, id);
  if (g) drop_group(p, g);
  if (json_array_size(members) == 0 || !(g = add_group(p, realm, id))) return;
  for (size_t i = 0; i < json_array_size(members); i++) {
    json_t *m = json_array_get(members, i);
    uint32_t member_realm = realm;
    if (realm_key && jsonf_uint(m, realm_key, UINT32_MAX))
      member_realm = (uint32_t)jsonf_uint(m, realm_key, UINT32_MAX);
    player_key k = player_of(member_realm, jsonf_uint(m, guid_key, UINT64_MAX));
    if (k.guid) join(p, g, k.realm, k.guid);
  }
  if (g->n == 0) drop_group(p, g);
}

static void on_proposal_accepted(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  group_event e;
  if (!group_event_of(ev, &e)) return;
  uint32_t home = (uint32_t)jsonf_uint(e.payload, "LeaderRealmID", UINT32_MAX);
  set_roster(p, home ? home : e.realm, e.id, json_object_get(e.payload, "Members"),
             "PlayerGUID", "RealmID");
  gauge(p);
  json_decref(e.payload);
}

static void on_group_created(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  group_event e;
  if (!group_event_of(ev, &e)) return;
  json_t *members = json_object_get(e.payload, "Members");
  bool lfg = (jsonf_uint(e.payload, "GroupType", 255) & LFG_GROUP_FLAG) ||
             jsonf_uint(e.payload, "LfgDungeonEntry", UINT32_MAX);
  if (lfg) {
    set_roster(p, e.realm, e.id, members, "MemberGUID", NULL);
  } else {
    for (size_t i = 0; i < json_array_size(members); i++) {
      player_key k = player_of(e.realm, jsonf_uint(json_array_get(members, i), "MemberGUID",
                                                     UINT64_MAX));
      forget_player(p, k.realm, k.guid);
    }
  }
  gauge(p);
  json_decref(e.payload);
}

static void on_member_added(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  group_event e;
  if (!group_event_of(ev, &e)) return;
  player_key k = player_of(e.realm, jsonf_uint(e.payload, "MemberGUID", UINT64_MAX));
  lfg_group *g = find_group(p, e.realm, e.id);
  if (k.guid && g) join(p, g, k.realm, k.guid);
  else if (k.guid) forget_player(p, k.realm, k.guid);
  gauge(p);
  json_decref(e.payload);
}

static void on_member_left(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  group_event e;
  if (!group_event_of(ev, &e)) return;
  player_key k = player_of(e.realm, jsonf_uint(e.payload, "MemberGUID", UINT64_MAX));
  lfg_member *m = find_member(p, k.realm, k.guid);
  if (m && m->group->realm == e.realm && m->group->id == e.id) leave(p, m);
  gauge(p);
  json_decref(e.payload);
}

static void on_disband(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  whisper_plugin *p = ud;
  group_event e;
  if (!group_event_of(ev, &e)) return;
  lfg_group *g = find_group(p, e.realm, e.id);
  if (g) drop_group(p, g);
  gauge(p);
  json_decref(e.payload);
}

int whisper_groups_subscribe(stratus_ctx *ctx, whisper_plugin *p) {
  static const whisper_subscription subs[] = {
      {"matchmaking.lfg.proposal.accepted", on_proposal_accepted},
      {"group.created", on_group_created},
      {"group.member.added", on_member_added},
      {"group.member.left", on_member_left},
      {"group.disband", on_disband}};
  return whisper_subscribe_all(ctx, p, subs, sizeof(subs) / sizeof(subs[0]));
}

void whisper_groups_free(whisper_plugin *p) {
  tdestroy(p->lfg_members, free);
  tdestroy(p->lfg_groups, free);
  p->lfg_members = p->lfg_groups = NULL;
  p->lfg_group_count = 0;
}
