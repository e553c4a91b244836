/*
 * Roster changes: Leave, Uninvite, ChangeLeader, ConvertToRaid,
 * SetMemberFlags and ChangeMemberSubGroup (with the 0x80 swap protocol).
 */
#include <string.h>

#include "group.h"
#include "rpc.h"

#define FAIL(...) HOST->req_fail(req, __VA_ARGS__)

/* ---- removing a member (Leave, Uninvite) --------------------------------------------------- */

static void drop_index(ggroup *g, gmember *m) {
  size_t i = (size_t)(m - g->members);
  memmove(&g->members[i], &g->members[i + 1], (g->n - i - 1) * sizeof(*m));
  g->n--;
}

/* A group left with fewer than two members is disbanded (as AzerothCore). */
int group_remove_work(stratus_db *db, gjob *j, gplayer who) {
  gmember *m = group_member(&j->g, who);
  j->removed = who;
  memcpy(j->removed_name, m->name, sizeof(j->removed_name));
  if (j->g.n <= 2) {
    for (size_t i = 0; i < j->g.n; i++)
      group_unlink_add(j, (gplayer){j->g.members[i].realm, j->g.members[i].low});
    j->disbanded = true;
    return gsql_delete_group(db, &j->g);
  }
  int rc = gsql_remove_member(db, &j->g, who);
  if (rc != 0) return rc;
  group_unlink_add(j, who);
  drop_index(&j->g, m);
  bool raid = j->g.group_type & GROUP_TYPE_RAID;
  if (gplayer_eq(j->g.leader, who)) j->g.leader = group_next_leader(j, &j->g, who, raid);
  if (gplayer_eq(j->g.looter, who)) j->g.looter = j->g.leader;
  if (gplayer_eq(j->g.master_looter, who)) j->g.master_looter = j->g.leader;
  return gsql_save(db, &j->g);
}

/* Events of a removal. */
void group_remove_events(gjob *j) {
  if (j->disbanded) {
    group_vol_drop(j->p, j->before.realm, j->before.id);
    group_ev_disband(j->p, &j->before);
    return;
  }
  group_ev_member_left(j->p, &j->before, &j->g, j->removed, j->removed_name);
  if (!gplayer_eq(j->before.leader, j->g.leader)) group_arm_leader_timer(j->p, &j->g);
}

static int leave_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  (void)req;
  return group_remove_work(db, j, j->actor);
}

static int leave_done(stratus_req *req, gjob *j) {
  (void)j;
  V1__GroupLeaveResponse r = V1__GROUP_LEAVE_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop leave_op = {.mutate = leave_mutate, .done = leave_done,
                             .events = group_remove_events, .need_group = true,
                             .online_set = true};

static int leave_check(stratus_req *req, const void *request, void *job) {
  const V1__GroupLeaveParams *in = request;
  return group_check_common(req, job, &leave_op, in->player);
}

static int uninvite_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  if (!group_member(&j->g, j->target))
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "character %u of realm %u is not in group %u",
                j->target.low, j->target.realm, j->g.id);
  if (!gplayer_eq(j->actor, j->target)) {
    if (!group_is_leader_or_assistant(&j->g, j->actor))
      return FAIL(STRATUS_GRPC_PERMISSION_DENIED,
                  "only the leader or an assistant removes members");
    if (group_is_leader(&j->g, j->target))
      return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "the group leader cannot be removed");
    if (!group_is_leader(&j->g, j->actor) &&
        (group_member(&j->g, j->target)->flags & MEMBER_ASSISTANT))
      return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the leader removes an assistant");
  }
  return group_remove_work(db, j, j->target);
}

static int uninvite_done(stratus_req *req, gjob *j) {
  (void)j;
  V1__UninviteResponse r = V1__UNINVITE_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop uninvite_op = {.mutate = uninvite_mutate, .done = uninvite_done,
                                .events = group_remove_events, .need_group = true,
                                .online_set = true};

static int uninvite_check(stratus_req *req, const void *request, void *job) {
  const V1__UninviteParams *in = request;
  gjob *j = job;
  int rc = group_check_common(req, j, &uninvite_op, in->initiator);
  return rc ? rc : group_resolve(req, j->caller, in->target, &j->target, "target");
}

/* ---- leader and raid ----------------------------------------------------------------------- */

static int leader_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  if (!group_is_leader(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the group leader hands over the lead");
  if (!group_member(&j->g, j->target))
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "character %u of realm %u is not in group %u",
                j->target.low, j->target.realm, j->g.id);
  j->g.leader = j->target;
  return gsql_save(db, &j->g);
}

static int leader_done(stratus_req *req, gjob *j) {
  if (!gplayer_eq(j->before.leader, j->g.leader)) {
    group_ev_leader(j->p, &j->g, j->before.leader);
    group_arm_leader_timer(j->p, &j->g);
  }
  V1__ChangeLeaderResponse r = V1__CHANGE_LEADER_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop leader_op = {.mutate = leader_mutate, .done = leader_done, .need_group = true};

static int leader_check(stratus_req *req, const void *request, void *job) {
  const V1__ChangeLeaderParams *in = request;
  gjob *j = job;
  int rc = group_check_common(req, j, &leader_op, in->player);
  return rc ? rc : group_resolve(req, j->caller, in->newleader, &j->target, "newLeader");
}

static int raid_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  if (!group_is_leader(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the group leader converts to a raid");
  if (j->g.group_type & GROUP_TYPE_RAID) return 0;
  j->g.group_type |= GROUP_TYPE_RAID;
  return gsql_save(db, &j->g);
}

static int raid_done(stratus_req *req, gjob *j) {
  if (!(j->before.group_type & GROUP_TYPE_RAID)) {
    json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
    json_object_set_new(o, "Leader", group_u64(group_wire_guid(&j->g, j->g.leader)));
    json_object_set_new(o, "OnlineMembers", group_receivers(j->p, &j->g, (gplayer){0, 0}));
    group_publish(j->p, "group.converted.raid", 9, o);
  }
  V1__ConvertToRaidResponse r = V1__CONVERT_TO_RAID_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop raid_op = {.mutate = raid_mutate, .done = raid_done, .need_group = true};

static int raid_check(stratus_req *req, const void *request, void *job) {
  const V1__ConvertToRaidParams *in = request;
  return group_check_common(req, job, &raid_op, in->player);
}

/* ---- member flags -------------------------------------------------------------------------- */

static void note_changed(gjob *j, gmember *m) {
  j->ev[j->n_ev++] = (gplayer){m->realm, m->low};
}

static int flags_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  gmember *t = group_member(&j->g, j->target);
  if (!t)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "character %u of realm %u is not in group %u",
                j->target.low, j->target.realm, j->g.id);
  if (!group_is_leader_or_assistant(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the leader or an assistant sets flags");
  if (((t->flags ^ j->a) & MEMBER_ASSISTANT) && !group_is_leader(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the leader names assistants");
  /* Main tank and main assistant are unique in the group. */
  uint32_t unique = j->a & (MEMBER_MAIN_TANK | MEMBER_MAIN_ASSIST);
  for (size_t i = 0; unique && i < j->g.n; i++) {
    gmember *m = &j->g.members[i];
    if (m == t || !(m->flags & unique)) continue;
    m->flags &= ~unique;
    int rc = gsql_update_member(db, &j->g, m);
    if (rc != 0) return rc;
    note_changed(j, m);
  }
  t->flags = j->a;
  t->roles = j->b;
  note_changed(j, t);
  return gsql_update_member(db, &j->g, t);
}

static int flags_done(stratus_req *req, gjob *j) {
  for (size_t i = 0; i < j->n_ev; i++) {
    gmember *m = group_member(&j->g, j->ev[i]);
    group_ev_member_value(j->p, &j->g, "group.member.flags.changed", 17, j->ev[i], "Flags",
                          m->flags, "Roles", m->roles);
  }
  V1__SetMemberFlagsResponse r = V1__SET_MEMBER_FLAGS_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop flags_op = {.mutate = flags_mutate, .done = flags_done, .need_group = true};

static int flags_check(stratus_req *req, const void *request, void *job) {
  const V1__SetMemberFlagsRequest *in = request;
  gjob *j = job;
  if (in->flags & ~(uint32_t)(MEMBER_ASSISTANT | MEMBER_MAIN_TANK | MEMBER_MAIN_ASSIST))
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "flags 0x%x: only 0x01 assistant, 0x02 main "
                "tank and 0x04 main assistant exist", in->flags);
  if (in->roles > 0xFF) return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "roles %u is not a byte", in->roles);
  j->a = in->flags;
  j->b = in->roles;
  int rc = group_check_common(req, j, &flags_op, in->updaterguid);
  return rc ? rc : group_resolve(req, j->caller, in->memberguid, &j->target, "memberGUID");
}

/* ---- subgroups ----------------------------------------------------------------------------
 * A move into a full subgroup with the 0x80 bit is parked for swap_window;
 * the updater's reverse move (a member of that subgroup into the parked
 * member's old one) completes the swap. Parked moves are this instance's
 * volatile state: lost with it, the client simply moves again. */

enum { SUB_MOVED = 1, SUB_SWAPPED = 2, SUB_PARKED = 3 };

static int sub_prepare(stratus_req *req, gjob *j) {
  (void)req;
  gvolatile *v = group_vol(j->p, j->group_realm, j->group_id, false);
  uint64_t now = HOST->now_ms(j->p->ctx);
  if (v && v->swap_member.low && v->swap_until_ms > now &&
      gplayer_eq(v->swap_updater, j->actor)) {
    j->parked = v->swap_member;
    j->parked_from = v->swap_from;
    j->parked_to = v->swap_to;
  }
  return 0;
}

static int move(stratus_db *db, gjob *j, gmember *m, uint32_t sub) {
  m->subgroup = sub;
  note_changed(j, m);
  return gsql_update_member(db, &j->g, m);
}

static int sub_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  uint32_t sub = j->a & 0x7F;
  gmember *t = group_member(&j->g, j->target);
  if (!(j->g.group_type & GROUP_TYPE_RAID))
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "group %u is not a raid", j->g.id);
  if (!group_is_leader_or_assistant(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the leader or an assistant moves members");
  if (!t)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "character %u of realm %u is not in group %u",
                j->target.low, j->target.realm, j->g.id);
  gmember *parked = j->parked.low ? group_member(&j->g, j->parked) : NULL;
  uint32_t from = j->parked_from, to = j->parked_to;
  if (parked && parked != t && parked->subgroup == from && t->subgroup == to && sub == from) {
    j->status = SUB_SWAPPED;
    int rc = move(db, j, parked, to);
    return rc ? rc : move(db, j, t, from);
  }
  if (t->subgroup == sub) return 0;
  if (group_subgroup_count(&j->g, sub) < GROUP_MAX_PARTY) {
    j->status = SUB_MOVED;
    return move(db, j, t, sub);
  }
  if (!(j->a & GROUP_SWAP_PENDING))
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "subgroup %u of group %u is full", sub, j->g.id);
  j->status = SUB_PARKED;
  j->b = t->subgroup;
  return 0;
}

static int sub_done(stratus_req *req, gjob *j) {
  gvolatile *v = group_vol(j->p, j->g.realm, j->g.id, j->status == SUB_PARKED);
  if (v && j->status == SUB_PARKED) {
    v->swap_updater = j->actor;
    v->swap_member = j->target;
    v->swap_from = j->b;
    v->swap_to = j->a & 0x7F;
    v->swap_until_ms = HOST->now_ms(j->p->ctx) + (uint64_t)j->cfg.swap_window_ms;
  } else if (v && j->status == SUB_SWAPPED) {
    v->swap_member = (gplayer){0, 0};
  }
  for (size_t i = 0; i < j->n_ev; i++) {
    gmember *m = group_member(&j->g, j->ev[i]);
    group_ev_member_value(j->p, &j->g, "group.member.subgroup.changed", 16, j->ev[i],
                          "SubGroup", m->subgroup, NULL, 0);
  }
  V1__ChangeMemberSubGroupResponse r = V1__CHANGE_MEMBER_SUB_GROUP_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop sub_op = {.mutate = sub_mutate, .done = sub_done, .prepare = sub_prepare,
                           .need_group = true};

static int sub_check(stratus_req *req, const void *request, void *job) {
  const V1__ChangeMemberSubGroupRequest *in = request;
  gjob *j = job;
  if ((in->subgroup & ~GROUP_SWAP_PENDING) >= GROUP_SUBGROUPS || in->subgroup > 0xFF)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "subGroup %u: subgroups are 0-7 (0x80: swap)",
                in->subgroup);
  j->a = in->subgroup;
  int rc = group_check_common(req, j, &sub_op, in->updaterguid);
  return rc ? rc : group_resolve(req, j->caller, in->memberguid, &j->target, "memberGUID");
}

const stratus_method group_roster_methods[] = {
    GROUP_FLOW_METHOD("Leave", leave_check),
    GROUP_FLOW_METHOD("Uninvite", uninvite_check),
    GROUP_FLOW_METHOD("ChangeLeader", leader_check),
    GROUP_FLOW_METHOD("ConvertToRaid", raid_check),
    GROUP_FLOW_METHOD("SetMemberFlags", flags_check),
    GROUP_FLOW_METHOD("ChangeMemberSubGroup", sub_check),
};
const size_t group_roster_methods_n = sizeof(group_roster_methods) / sizeof(group_roster_methods[0]);
