/*
 * Dungeon-finder groups (PR #37 §2.9).
 * RegisterAcceptedLfgGroup: matchmaking registers an accepted proposal. The
 *   group lives in the leader's realm: the leader's group when the leader
 *   queued with a party, else a new one. Every member's pointer row is
 *   claimed in the member's realm first (a member grouped elsewhere refuses
 *   the whole proposal and the claims made so far are undone), then the
 *   group is written with the LFG flags (0x08 LFG, 0x04 restricted) and
 *   lfg_data(dungeon). Registering the same proposal again answers the same
 *   group.
 * RegisterMaterializedLfgGroup: the worldserver built its native group; the
 *   leader's (canonical) group takes its type, difficulties and the members'
 *   flags, roles and subgroups; a different native group row is superseded
 *   and deleted. Everyone then gets the others' member states.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "guid.h"
#include "rpc.h"

#define FAIL(...) HOST->req_fail(req, __VA_ARGS__)
#define MAX_REALMS 16

typedef struct lmember {
  gplayer who;
  uint32_t roles, flags, subgroup;
  bool claimed, added;
  char name[GROUP_NAME_BYTES];
} lmember;

typedef struct ljob {
  group_plugin *p;
  uint32_t home, dungeon, group_type, difficulty, raid_difficulty, native_id;
  gplayer leader;
  size_t n;
  lmember m[GROUP_MAX_RAID];
  uint32_t realms[MAX_REALMS];
  size_t nrealms, irealm;
  uint32_t leader_gid;
  bool created;
  int later_status;
  char later_msg[160];
  ggroup g;
} ljob;

static int later(int rc) { return rc ? rc : STRATUS_LATER; }

static void pool_of(char *out, size_t cap, uint32_t realm) {
  snprintf(out, cap, "characters.%u", realm);
}

STRATUS_PRINTF(2, 3) static void defer_fail(ljob *j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  j->later_status = STRATUS_GRPC_FAILED_PRECONDITION;
  vsnprintf(j->later_msg, sizeof(j->later_msg), fmt, ap);
  va_end(ap);
}

static uint32_t stored(uint32_t db_realm, uint32_t realm) { return realm == db_realm ? 0 : realm; }

/* ---- claims, one realm at a time ------------------------------------------------------
 * Checked first (names, pointers), then claimed; a failure leaves this realm
 * as it was and is answered after the realms before it are undone. */

static int check_realm(stratus_db *db, ljob *j, uint32_t realm) {
  for (size_t i = 0; i < j->n; i++) {
    lmember *m = &j->m[i];
    if (m->who.realm != realm) continue;
    m->claimed = false;
    uint32_t gr, gid;
    int rc = gsql_name(db, m->who.low, m->name);
    if (rc <= 0) {
      if (rc == 0) defer_fail(j, "unknown character %u of realm %u", m->who.low, realm);
      return rc;
    }
    if ((rc = gsql_pointer(db, realm, m->who.low, &gr, &gid)) != 0) return rc;
    if (gid && !(j->leader_gid && gr == j->home && gid == j->leader_gid)) {
      defer_fail(j, "%s (%u of realm %u) is in another group", m->name, m->who.low, realm);
      return 0;
    }
    m->claimed = gid == 0; /* to claim */
  }
  return 0;
}

static int claim_realm_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  ljob *j = job;
  uint32_t realm = j->realms[j->irealm];
  j->later_status = 0;
  int rc = check_realm(db, j, realm);
  if (rc != 0 || j->later_status) return rc;
  for (size_t i = 0; i < j->n; i++) {
    lmember *m = &j->m[i];
    if (m->who.realm != realm || !m->claimed) continue;
    if ((rc = gsql_claim(db, realm, m->who.low, j->home, j->leader_gid)) < 0) return rc;
    if (rc == 0) {
      /* raced into a group meanwhile: this realm's claims go back */
      defer_fail(j, "%s joined another group meanwhile", m->name);
      for (size_t k = 0; k < i; k++)
        if (j->m[k].who.realm == realm && j->m[k].claimed &&
            (rc = gsql_unclaim(db, j->m[k].who.low, stored(realm, j->home), j->leader_gid)))
          return rc;
      for (size_t k = 0; k < j->n; k++)
        if (j->m[k].who.realm == realm) j->m[k].claimed = false;
      return 0;
    }
  }
  return 0;
}

static int undo_realm_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  ljob *j = job;
  uint32_t realm = j->realms[j->irealm];
  for (size_t i = 0; i < j->n; i++) {
    if (j->m[i].who.realm != realm || !j->m[i].claimed) continue;
    int rc = gsql_unclaim(db, j->m[i].who.low, stored(realm, j->home), j->leader_gid);
    if (rc != 0) return rc;
  }
  return 0;
}

static int undo_next(stratus_req *req, void *job) {
  ljob *j = job;
  if (j->irealm == 0) return FAIL(j->later_status, "%s", j->later_msg);
  j->irealm--;
  char pool[32];
  pool_of(pool, sizeof(pool), j->realms[j->irealm]);
  return later(HOST->req_submit(req, pool, undo_realm_work, undo_next, STRATUS_METHOD_TXN));
}

/* Undo the claims of every realm before irealm, then answer the failure. */
static int undo_claims(stratus_req *req, ljob *j) {
  return undo_next(req, j);
}

/* ---- the group, in the leader's realm -------------------------------------------------- */

static int write_group_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  ljob *j = job;
  int rc;
  j->created = false;
  j->later_status = 0;
  if (j->leader_gid) {
    rc = gsql_load(db, j->home, j->leader_gid, true, &j->g);
    if (rc == STRATUS_ENOTFOUND) {
      defer_fail(j, "the leader's group %u no longer exists", j->leader_gid);
      return 0;
    }
    if (rc != 0) return rc;
  } else {
    memset(&j->g, 0, sizeof(j->g));
    j->g = (ggroup){.realm = j->home, .leader = j->leader, .looter = j->leader,
                    .loot_method = 4 /* need before greed */, .loot_threshold = 2};
    if ((rc = gsql_create_group(db, &j->g)) != 0) return rc;
    j->created = true;
  }
  size_t have = j->g.n;
  for (size_t i = 0; i < j->n; i++) have += group_member(&j->g, j->m[i].who) ? 0 : 1;
  if (have > group_capacity(&j->g) && !(j->g.group_type & GROUP_TYPE_RAID)) {
    if (have > GROUP_MAX_RAID) {
      defer_fail(j, "%zu members do not fit a raid", have);
      return 0;
    }
    j->g.group_type |= GROUP_TYPE_RAID;
  }
  j->g.group_type |= GROUP_TYPE_LFG | GROUP_TYPE_LFG_RESTRICTED;
  j->g.lfg_dungeon = j->dungeon;
  if ((rc = gsql_save(db, &j->g)) != 0 || (rc = gsql_lfg_sync(db, &j->g)) != 0) return rc;
  for (size_t i = 0; i < j->n; i++) {
    lmember *m = &j->m[i];
    m->added = false;
    if (group_member(&j->g, m->who)) continue;
    gmember row = {.realm = m->who.realm, .low = m->who.low, .roles = m->roles & 0xFF,
                   .subgroup = group_free_subgroup(&j->g)};
    memcpy(row.name, m->name, sizeof(row.name));
    if ((rc = gsql_add_member(db, &j->g, &row)) != 0) return rc;
    if (m->who.realm == j->home &&
        (rc = gsql_set_pointer(db, j->home, m->who.low, j->home, j->g.id)) != 0)
      return rc;
    m->added = true;
    j->g.members[j->g.n++] = row;
  }
  return gsql_load(db, j->home, j->g.id, false, &j->g);
}

/* Right after the home realm's commit (events in the order of commits). */
static void accepted_events(ljob *j) {
  if (j->created) {
    group_ev_created(j->p, &j->g);
    return;
  }
  for (size_t i = 0; i < j->n; i++)
    if (j->m[i].added) group_ev_member_added(j->p, &j->g, j->m[i].who);
}

static int accepted_reply(stratus_req *req, void *job) {
  ljob *j = job;
  V1__RegisterAcceptedLfgGroupResponse r = V1__REGISTER_ACCEPTED_LFG_GROUP_RESPONSE__INIT;
  r.groupid = j->g.id;
  return HOST->req_reply(req, &r.base);
}

static int fix_realm_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  ljob *j = job;
  uint32_t realm = j->realms[j->irealm];
  for (size_t i = 0; i < j->n; i++) {
    lmember *m = &j->m[i];
    if (m->who.realm != realm || !m->claimed) continue;
    int rc = gsql_set_pointer(db, realm, m->who.low, j->home, j->g.id);
    if (rc != 0) return rc;
  }
  return 0;
}

static int fix_after(stratus_req *req, void *job);

/* The claims of other realms point at the group once it has its id. */
static int fix_next(stratus_req *req, void *job) {
  ljob *j = job;
  while (j->irealm < j->nrealms && j->realms[j->irealm] == j->home) j->irealm++;
  if (j->irealm >= j->nrealms) return accepted_reply(req, j);
  char pool[32];
  pool_of(pool, sizeof(pool), j->realms[j->irealm]);
  return later(HOST->req_submit(req, pool, fix_realm_work, fix_after, 0));
}

static int fix_after(stratus_req *req, void *job) {
  ((ljob *)job)->irealm++;
  return fix_next(req, job);
}

static int write_group_next(stratus_req *req, void *job) {
  ljob *j = job;
  if (j->later_status) {
    j->irealm = j->nrealms;
    return undo_claims(req, j);
  }
  accepted_events(j);
  j->irealm = 0;
  return fix_next(req, j);
}

static int claim_next(stratus_req *req, void *job);

static int submit_claim(stratus_req *req, ljob *j) {
  char pool[32];
  pool_of(pool, sizeof(pool), j->realms[j->irealm]);
  return later(HOST->req_submit(req, pool, claim_realm_work, claim_next, STRATUS_METHOD_TXN));
}

/* A realm claimed: the next one, then the group; a refusal undoes the realms
 * before it. */
static int claim_next(stratus_req *req, void *job) {
  ljob *j = job;
  if (j->later_status) return undo_claims(req, j);
  if (++j->irealm < j->nrealms) return submit_claim(req, j);
  char pool[32];
  pool_of(pool, sizeof(pool), j->home);
  return later(HOST->req_submit(req, pool, write_group_work, write_group_next,
                                STRATUS_METHOD_TXN));
}

static int leader_work(stratus_db *db, stratus_req *req, void *job) {
  ljob *j = job;
  uint32_t gr;
  int rc = gsql_pointer(db, j->home, j->leader.low, &gr, &j->leader_gid);
  if (rc != 0) return rc;
  if (j->leader_gid && gr != j->home)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "the leader's group lives in realm %u", gr);
  /* the same proposal again: the group it made */
  if (j->leader_gid) {
    ggroup *g = &j->g;
    rc = gsql_load(db, j->home, j->leader_gid, false, g);
    if (rc != 0) return rc == STRATUS_ENOTFOUND ? 0 : rc;
  }
  return 0;
}

static bool already_registered(ljob *j) {
  if (!j->leader_gid || j->g.lfg_dungeon != j->dungeon || !(j->g.group_type & GROUP_TYPE_LFG))
    return false;
  for (size_t i = 0; i < j->n; i++)
    if (!group_member(&j->g, j->m[i].who)) return false;
  return true;
}

static int leader_next(stratus_req *req, void *job) {
  ljob *j = job;
  if (already_registered(j)) {
    V1__RegisterAcceptedLfgGroupResponse r = V1__REGISTER_ACCEPTED_LFG_GROUP_RESPONSE__INIT;
    r.groupid = j->g.id;
    return HOST->req_reply(req, &r.base);
  }
  j->irealm = 0;
  return submit_claim(req, j);
}

static void add_realm(ljob *j, uint32_t realm) {
  for (size_t i = 0; i < j->nrealms; i++)
    if (j->realms[i] == realm) return;
  j->realms[j->nrealms++] = realm;
}

static int accepted_check(stratus_req *req, const void *request, void *job) {
  const V1__RegisterAcceptedLfgGroupRequest *in = request;
  ljob *j = job;
  j->p = HOST->req_ud(req);
  uint32_t caller = HOST->req_realm(req);
  j->home = in->leaderrealmid ? in->leaderrealmid : caller;
  j->dungeon = in->dungeonentry;
  if (in->n_members == 0 || in->n_members > GROUP_MAX_RAID)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "%zu members: 1 to %d", in->n_members,
                GROUP_MAX_RAID);
  if (!j->dungeon) return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "dungeonEntry is 0");
  int rc = group_resolve(req, j->home, in->leaderguid, &j->leader, "leaderGUID");
  if (rc != 0) return rc;
  bool leader_in = false;
  for (size_t i = 0; i < in->n_members; i++) {
    const V1__AcceptedLfgGroupMember *m = in->members[i];
    lmember *out = &j->m[j->n];
    rc = group_resolve(req, m->realmid ? m->realmid : caller, m->playerguid, &out->who,
                       "playerGUID");
    if (rc != 0) return rc;
    for (size_t k = 0; k < j->n; k++)
      if (gplayer_eq(j->m[k].who, out->who))
        return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "member %u of realm %u twice",
                    out->who.low, out->who.realm);
    if (j->nrealms == MAX_REALMS) return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "too many realms");
    out->roles = m->assignedrole ? m->assignedrole : m->selectedroles;
    leader_in |= gplayer_eq(out->who, j->leader);
    add_realm(j, out->who.realm);
    j->n++;
  }
  if (!leader_in) return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "the leader is not a member");
  return HOST->req_use_realm(req, j->home);
}

/* ---- RegisterMaterializedLfgGroup -------------------------------------------------------- */

static int materialized_work(stratus_db *db, stratus_req *req, void *job) {
  ljob *j = job;
  uint32_t gr, gid;
  int rc = gsql_pointer(db, j->home, j->leader.low, &gr, &gid);
  if (rc != 0) return rc;
  if (!gid || gr != j->home)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "the leader (%u) has no accepted group in "
                "realm %u", j->leader.low, j->home);
  if ((rc = gsql_load(db, j->home, gid, true, &j->g)) != 0)
    return rc == STRATUS_ENOTFOUND ? FAIL(STRATUS_GRPC_NOT_FOUND, "group %u is gone", gid) : rc;
  if (j->native_id != gid) {
    ggroup native;
    rc = gsql_load(db, j->home, j->native_id, true, &native);
    if (rc == 0) rc = gsql_delete_group(db, &native);
    if (rc != 0 && rc != STRATUS_ENOTFOUND) return rc;
  }
  j->g.group_type = j->group_type | GROUP_TYPE_LFG;
  j->g.difficulty = j->difficulty;
  j->g.raid_difficulty = j->raid_difficulty;
  if ((rc = gsql_save(db, &j->g)) != 0 || (rc = gsql_lfg_sync(db, &j->g)) != 0) return rc;
  for (size_t i = 0; i < j->n; i++) {
    gmember *m = group_member(&j->g, j->m[i].who);
    if (!m) continue;
    m->flags = j->m[i].flags;
    m->roles = j->m[i].roles;
    m->subgroup = j->m[i].subgroup;
    if ((rc = gsql_update_member(db, &j->g, m)) != 0) return rc;
  }
  return 0;
}

/* Everyone gets the others' states (PR #37: catch-up after materialization). */
static int materialized_reply(stratus_req *req, void *job) {
  ljob *j = job;
  for (size_t i = 0; i < j->g.n; i++) {
    gmember *m = &j->g.members[i];
    if (group_online(j->p, m->realm, m->low))
      group_catch_up(j->p, &j->g, (gplayer){m->realm, m->low});
  }
  V1__RegisterMaterializedLfgGroupResponse r = V1__REGISTER_MATERIALIZED_LFG_GROUP_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static int materialized_check(stratus_req *req, const void *request, void *job) {
  const V1__RegisterMaterializedLfgGroupRequest *in = request;
  ljob *j = job;
  j->p = HOST->req_ud(req);
  j->home = HOST->req_realm(req);
  j->native_id = in->groupid;
  if (!in->groupid) return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "groupID is 0");
  if (in->grouptype > 0xFF || in->difficulty > 3 || in->raiddifficulty > 3)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "groupType is a byte, difficulties 0-3");
  if (in->n_members > GROUP_MAX_RAID)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "%zu members: at most %d", in->n_members,
                GROUP_MAX_RAID);
  j->group_type = in->grouptype;
  j->difficulty = in->difficulty;
  j->raid_difficulty = in->raiddifficulty;
  int rc = group_resolve(req, j->home, in->leaderguid, &j->leader, "leaderGUID");
  for (size_t i = 0; rc == 0 && i < in->n_members; i++) {
    const V1__MaterializedLfgGroupMember *m = in->members[i];
    lmember *out = &j->m[j->n++];
    rc = group_resolve(req, m->realmid ? m->realmid : j->home, m->playerguid, &out->who,
                       "playerGUID");
    if (rc == 0 && (m->subgroup >= GROUP_SUBGROUPS || m->flags > 7 || m->roles > 0xFF))
      rc = FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "member %llu: subGroup 0-7, flags 0-7, roles a byte",
                (unsigned long long)m->playerguid);
    out->flags = m->flags;
    out->roles = m->roles;
    out->subgroup = m->subgroup;
  }
  return rc;
}

#define LFG_METHOD(method, check_fn, work_fn, reply_fn)                                     \
  {.name = (method), .flags = STRATUS_METHOD_TXN, .job_size = sizeof(ljob),                \
   .pool = "characters", .realm_field = "realmID", .check = (check_fn), .work = (work_fn), \
   .reply = (reply_fn)}

const stratus_method group_lfg_methods[] = {
    LFG_METHOD("RegisterAcceptedLfgGroup", accepted_check, leader_work, leader_next),
    LFG_METHOD("RegisterMaterializedLfgGroup", materialized_check, materialized_work,
               materialized_reply),
};
const size_t group_lfg_methods_n = sizeof(group_lfg_methods) / sizeof(group_lfg_methods[0]);
