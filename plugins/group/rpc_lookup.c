/*
 * Reads: GetGroup (by home realm and id), GetGroupByMember and
 * GetGroupIDByPlayer (by the player's pointer row, one primary-key read in
 * the player's realm).
 */
#include <string.h>

#include "group.h"
#include "rpc.h"

/* The response's group, in the call's arena. */
static V1__GetGroupResponse__Group *group_message(stratus_req *req, gjob *j) {
  const ggroup *g = &j->g;
  V1__GetGroupResponse__Group *out = HOST->req_alloc(req, sizeof(*out));
  v1__get_group_response__group__init(out);
  out->id = g->id;
  out->realmid = g->realm;
  out->leader = group_wire_guid(g, g->leader);
  out->lootmethod = g->loot_method;
  out->looter = group_wire_guid(g, g->looter);
  out->lootthreshold = g->loot_threshold;
  out->grouptype = g->group_type;
  out->difficulty = g->difficulty;
  out->raiddifficulty = g->raid_difficulty;
  out->masterlooter = group_wire_guid(g, g->master_looter);
  out->n_targeticonslist = 8;
  out->targeticonslist = HOST->req_alloc(req, 8 * sizeof(uint64_t));
  memcpy(out->targeticonslist, g->icons, 8 * sizeof(uint64_t));
  out->n_members = g->n;
  out->members = HOST->req_alloc(req, (g->n + 1) * sizeof(*out->members));
  for (size_t i = 0; i < g->n; i++) {
    const gmember *m = &g->members[i];
    V1__GetGroupResponse__GroupMember *e = HOST->req_alloc(req, sizeof(*e));
    v1__get_group_response__group_member__init(e);
    e->guid = group_wire_guid_of(g->realm, m->realm, m->low);
    e->realmid = m->realm;
    e->flags = m->flags;
    e->name = HOST->req_strdup(req, m->name, strlen(m->name));
    e->isonline = group_online(j->p, m->realm, m->low);
    e->subgroup = m->subgroup;
    e->roles = m->roles;
    out->members[i] = e;
  }
  return out;
}

static int group_reply(stratus_req *req, gjob *j) {
  V1__GetGroupResponse r = V1__GET_GROUP_RESPONSE__INIT;
  if (j->group_id) r.group = group_message(req, j);
  return HOST->req_reply(req, &r.base);
}

/* ---- GetGroup ------------------------------------------------------------------------------- */

static int get_group_work(stratus_db *db, stratus_req *req, void *job) {
  gjob *j = job;
  int rc = gsql_load(db, j->group_realm, j->group_id, false, &j->g);
  if (rc == STRATUS_ENOTFOUND)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "group %u of realm %u does not exist",
                          j->group_id, j->group_realm);
  return rc;
}

static int get_group_reply(stratus_req *req, void *job) { return group_reply(req, job); }

static int get_group_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGroupRequest *in = request;
  gjob *j = job;
  if (in->groupid == 0)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "groupID 0 is no group");
  j->p = HOST->req_ud(req);
  j->group_realm = HOST->req_realm(req);
  j->group_id = in->groupid;
  return 0;
}

/* ---- GetGroupByMember: no group is an empty answer --------------------------------------- */

static const gop by_member_op = {.done = group_reply, .readonly = true};

static int by_member_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGroupByMemberRequest *in = request;
  return group_check_common(req, job, &by_member_op, in->player);
}

/* ---- GetGroupIDByPlayer: 0 when not grouped ----------------------------------------------- */

static int id_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  gjob *j = job;
  return gsql_pointer(db, j->actor.realm, j->actor.low, &j->group_realm, &j->group_id);
}

static int id_reply(stratus_req *req, void *job) {
  gjob *j = job;
  V1__GetGroupIDByPlayerResponse r = V1__GET_GROUP_IDBY_PLAYER_RESPONSE__INIT;
  r.groupid = j->group_id;
  r.grouprealmid = j->group_id ? j->group_realm : 0;
  return HOST->req_reply(req, &r.base);
}

static int id_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGroupIDByPlayerRequest *in = request;
  return group_check_common(req, job, NULL, in->player);
}

#define READ_METHOD(method, check_fn, work_fn, reply_fn)                                   \
  {.name = (method), .job_size = sizeof(gjob), .pool = "characters",                      \
   .realm_field = "realmID", .check = (check_fn), .work = (work_fn), .reply = (reply_fn)}

const stratus_method group_lookup_methods[] = {
    READ_METHOD("GetGroup", get_group_check, get_group_work, get_group_reply),
    GROUP_FLOW_METHOD("GetGroupByMember", by_member_check),
    READ_METHOD("GetGroupIDByPlayer", id_check, id_work, id_reply),
};
const size_t group_lookup_methods_n = sizeof(group_lookup_methods) / sizeof(group_lookup_methods[0]);
