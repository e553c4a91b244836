/*
 * Invite, AcceptInvite and DeclineInvite. An invite is one row in the
 * invitee's realm (stratus_group_invite). Accepting claims the invitee's
 * pointer row there first (the one place that keeps a character in one
 * group), then joins or creates the group in its home realm; if that fails,
 * the claim is undone before the answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/proto/servers-registry/registry.pb-c.h>

#include "group.h"
#include "rpc.h"

#define FAIL(...) HOST->req_fail(req, __VA_ARGS__)
#define U(x) STRATUS_SQL_UINT_V(x)

static void pool_of(char *out, size_t cap, uint32_t realm) {
  snprintf(out, cap, "characters.%u", realm);
}

static int later(int rc) { return rc ? rc : STRATUS_LATER; }

/* ---- Invite -------------------------------------------------------------------------------- */

static int invite_group_check(stratus_db *db, stratus_req *req, gjob *j) {
  (void)db;
  if (!group_is_leader_or_assistant(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the leader or an assistant invites");
  if (j->g.n >= group_capacity(&j->g))
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "group %u is full (%zu of %u)", j->g.id,
                j->g.n, group_capacity(&j->g));
  return 0;
}

static int invite_write_work(stratus_db *db, stratus_req *req, void *job) {
  gjob *j = job;
  uint32_t gr, gid;
  int rc = gsql_name(db, j->target.low, j->target_name);
  if (rc < 0) return rc;
  if (rc == 0)
    return FAIL(STRATUS_GRPC_NOT_FOUND, "unknown character %u of realm %u", j->target.low,
                j->target.realm);
  if ((rc = gsql_pointer(db, j->target.realm, j->target.low, &gr, &gid)) != 0) return rc;
  if (gid)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "%s is already in a group", j->target_name);
  return HOST->sql_exec(
      db,
      "REPLACE INTO stratus_group_invite (invited, invitedName, inviterRealm, inviter, "
      "inviterName, groupRealm, groupId, inviterMapId, inviterGameServerId) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      STRATUS_SQL_PARAMS(U(j->target.low), stratus_sql_text(j->target_name), U(j->actor.realm),
                         U(j->actor.low), stratus_sql_text(j->actor_name),
                         U(j->group_id ? j->group_realm : j->actor.realm), U(j->group_id),
                         U(j->inviter_map), stratus_sql_text(j->inviter_server)),
      NULL);
}

static int invite_reply(stratus_req *req, void *job) {
  gjob *j = job;
  json_t *o = group_event_head(j->p, j->target.realm, j->group_id);
  json_object_set_new(o, "InviterGUID", group_u64(group_wire_guid_of(j->target.realm,
                                                                     j->actor.realm, j->actor.low)));
  json_object_set_new(o, "InviterName", json_string(j->actor_name));
  json_object_set_new(o, "InviteeGUID", group_u64(j->target.low));
  json_object_set_new(o, "InviteeName", json_string(j->target_name));
  group_publish(j->p, "group.invite.created", 1, o);
  V1__InviteResponse r = V1__INVITE_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static int invite_done(stratus_req *req, gjob *j) {
  char pool[32];
  pool_of(pool, sizeof(pool), j->target.realm);
  return later(HOST->req_submit(req, pool, invite_write_work, invite_reply,
                                     STRATUS_METHOD_TXN));
}

static const gop invite_op = {.mutate = invite_group_check, .done = invite_done,
                              .readonly = true};

static int invite_check(stratus_req *req, const void *request, void *job) {
  const V1__InviteParams *in = request;
  gjob *j = job;
  int rc = group_check_common(req, j, &invite_op, in->inviter);
  if (rc == 0) rc = group_resolve(req, j->caller, in->invited, &j->target, "invited");
  if (rc != 0) return rc;
  if (gplayer_eq(j->actor, j->target))
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "a character cannot invite itself");
  j->inviter_map = in->invitermapid;
  group_copy_name(j->inviter_server, in->invitergameserverid,
                  in->invitergameserverid ? strnlen(in->invitergameserverid, 63) : 0);
  return 0;
}

/* ---- AcceptInvite ---------------------------------------------------------------------------- */

/* The invite row, locked, into the job. 1 found, 0 none. */
static int take_invite(stratus_db *db, gjob *j) {
  stratus_rows *r;
  int rc = HOST->sql_exec(db,
                          "SELECT inviterRealm, inviter, inviterName, groupRealm, groupId, "
                          "inviterMapId, inviterGameServerId FROM stratus_group_invite "
                          "WHERE invited = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(U(j->actor.low)), &r);
  if (rc != 0) return rc;
  int found = HOST->rows_next(r) == 1;
  if (found) {
    size_t len;
    const char *s;
    j->inviter = (gplayer){(uint32_t)HOST->rows_uint(r, 0), (uint32_t)HOST->rows_uint(r, 1)};
    s = HOST->rows_text(r, 2, &len);
    group_copy_name(j->inviter_name, s, len);
    j->inv_group_realm = (uint32_t)HOST->rows_uint(r, 3);
    j->inv_group_id = (uint32_t)HOST->rows_uint(r, 4);
    j->inviter_map = (uint32_t)HOST->rows_uint(r, 5);
    s = HOST->rows_text(r, 6, &len);
    if (len >= sizeof(j->inviter_server)) len = sizeof(j->inviter_server) - 1;
    memcpy(j->inviter_server, s ? s : "", len);
    j->inviter_server[len] = 0;
  }
  HOST->rows_free(r);
  if (!found) return 0;
  rc = HOST->sql_exec(db, "DELETE FROM stratus_group_invite WHERE invited = ?",
                      STRATUS_SQL_PARAMS(U(j->actor.low)), NULL);
  return rc ? rc : 1;
}

static int accept_claim_work(stratus_db *db, stratus_req *req, void *job) {
  gjob *j = job;
  j->status = V1__ACCEPT_INVITE_RESPONSE__STATUS__Ok;
  int rc = gsql_name(db, j->actor.low, j->actor_name);
  if (rc <= 0)
    return rc < 0 ? rc : FAIL(STRATUS_GRPC_NOT_FOUND, "unknown character %u of realm %u",
                              j->actor.low, j->actor.realm);
  if ((rc = take_invite(db, j)) <= 0) {
    j->status = V1__ACCEPT_INVITE_RESPONSE__STATUS__InviteNotFound;
    return rc;
  }
  rc = gsql_claim(db, j->actor.realm, j->actor.low, j->inv_group_realm, j->inv_group_id);
  if (rc == 0)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "%s is already in a group", j->actor_name);
  return rc < 0 ? rc : 0;
}

/* A failure found in the home realm: answered after the claim is undone. */
STRATUS_PRINTF(2, 3) static int defer_fail(gjob *j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  j->later_status = STRATUS_GRPC_FAILED_PRECONDITION;
  vsnprintf(j->later_msg, sizeof(j->later_msg), fmt, ap);
  va_end(ap);
  return 0;
}

static int create_group(stratus_db *db, gjob *j) {
  uint32_t home = j->inv_group_realm;
  int rc = gsql_claim(db, home, j->inviter.low, home, 0);
  if (rc <= 0)
    return rc < 0 ? rc : defer_fail(j, "the inviter (%u of realm %u) joined another group",
                                    j->inviter.low, j->inviter.realm);
  ggroup *g = &j->g;
  memset(g, 0, sizeof(*g));
  *g = (ggroup){.realm = home, .leader = j->inviter, .looter = j->inviter,
                .loot_method = 3 /* GROUP_LOOT */, .loot_threshold = 2 /* uncommon */};
  if ((rc = gsql_create_group(db, g)) != 0) return rc;
  gmember leader = {.realm = j->inviter.realm, .low = j->inviter.low};
  memcpy(leader.name, j->inviter_name, sizeof(leader.name));
  if ((rc = gsql_add_member(db, g, &leader)) != 0) return rc;
  j->created = true;
  return gsql_set_pointer(db, home, j->inviter.low, home, g->id);
}

static int join_group(stratus_db *db, gjob *j, uint32_t id) {
  int rc = gsql_load(db, j->inv_group_realm, id, true, &j->g);
  if (rc == STRATUS_ENOTFOUND)
    return defer_fail(j, "group %u of realm %u no longer exists", id, j->inv_group_realm);
  if (rc != 0) return rc;
  if (j->g.n >= group_capacity(&j->g))
    return defer_fail(j, "group %u is full (%u members)", id, (uint32_t)j->g.n);
  return 0;
}

static int accept_group_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  gjob *j = job;
  uint32_t home = j->inv_group_realm, id = j->inv_group_id, gr;
  int rc;
  j->later_status = 0;
  j->created = false;
  if (id == 0) {
    /* The inviter had no group: they may have one by now (an earlier invitee
     * accepted). */
    if ((rc = gsql_pointer(db, home, j->inviter.low, &gr, &id)) != 0) return rc;
    if (id && gr != home)
      return defer_fail(j, "the inviter (%u of realm %u) joined a group of another realm",
                        j->inviter.low, j->inviter.realm);
  }
  rc = id ? join_group(db, j, id) : create_group(db, j);
  if (rc != 0 || j->later_status) return rc;
  gmember m = {.realm = j->actor.realm, .low = j->actor.low,
               .subgroup = group_free_subgroup(&j->g)};
  memcpy(m.name, j->actor_name, sizeof(m.name));
  if ((rc = gsql_add_member(db, &j->g, &m)) != 0) return rc;
  if (j->actor.realm == home &&
      (rc = gsql_set_pointer(db, home, j->actor.low, home, j->g.id)) != 0)
    return rc;
  return gsql_load(db, home, j->g.id, false, &j->g);
}

static int accept_reply_ok(stratus_req *req, gjob *j) {
  V1__AcceptInviteResponse r = V1__ACCEPT_INVITE_RESPONSE__INIT;
  r.status = (V1__AcceptInviteResponse__Status)j->status;
  return HOST->req_reply(req, &r.base);
}

/* The request of an in-process call must live until its answer. */
typedef struct bind_call {
  V1__BindGroupToGameServerRequest req;
  char server[64];
} bind_call;

static void bind_done(stratus_ctx *ctx, int status, const char *message,
                      const ProtobufCMessage *response, void *ud) {
  (void)response;
  bind_call *b = ud;
  if (status != STRATUS_GRPC_OK)
    STRATUS_WARN(HOST, ctx, "BindGroupToGameServer of group %u of realm %u: %s", b->req.groupid,
                 b->req.realmid, message ? message : "failed");
  free(b);
}

/* Layers: a new group sticks to the inviter's game server (ToCloud9). */
static void bind_layer(gjob *j) {
  if (!j->cfg.bind_layer || !j->inviter_server[0]) return;
  bind_call *b = malloc(sizeof(*b));
  if (!b) return;
  v1__bind_group_to_game_server_request__init(&b->req);
  memcpy(b->server, j->inviter_server, sizeof(b->server));
  b->req.realmid = j->g.realm;
  b->req.groupid = j->g.id;
  b->req.mapid = j->inviter_map;
  b->req.gameserverid = b->server;
  stratus_call_opts opts = {.struct_size = sizeof(opts), .timeout_ms = 5000};
  if (HOST->rpc_call(j->p->ctx, &v1__servers_registry_service__descriptor,
                     "BindGroupToGameServer", &b->req.base, &opts, bind_done, b) != 0)
    free(b);
}

/* Right after the home realm's commit, before any other step: events of one
 * group go out in the order of its commits. */
static void accept_events(gjob *j) {
  if (j->created) {
    bind_layer(j);
    group_ev_created(j->p, &j->g);
  } else {
    group_ev_member_added(j->p, &j->g, j->actor);
  }
}

static int accept_done(stratus_req *req, void *job) { return accept_reply_ok(req, job); }

static int pointer_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  gjob *j = job;
  return gsql_set_pointer(db, j->actor.realm, j->actor.low, j->g.realm, j->g.id);
}

static int undo_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  gjob *j = job;
  uint32_t stored = j->inv_group_realm == j->actor.realm ? 0 : j->inv_group_realm;
  return gsql_unclaim(db, j->actor.low, stored, j->inv_group_id);
}

static int undo_done(stratus_req *req, void *job) {
  gjob *j = job;
  return FAIL(j->later_status, "%s", j->later_msg);
}

static int accept_group_next(stratus_req *req, void *job) {
  gjob *j = job;
  char pool[32];
  pool_of(pool, sizeof(pool), j->actor.realm);
  if (j->later_status)
    return later(HOST->req_submit(req, pool, undo_work, undo_done, 0));
  accept_events(j);
  if (j->actor.realm != j->g.realm)
    return later(HOST->req_submit(req, pool, pointer_work, accept_done, 0));
  return accept_done(req, j);
}

static int accept_claim_next(stratus_req *req, void *job) {
  gjob *j = job;
  if (j->status != V1__ACCEPT_INVITE_RESPONSE__STATUS__Ok) return accept_reply_ok(req, j);
  char pool[32];
  pool_of(pool, sizeof(pool), j->inv_group_realm);
  return later(HOST->req_submit(req, pool, accept_group_work, accept_group_next,
                                     STRATUS_METHOD_TXN));
}

static int accept_check(stratus_req *req, const void *request, void *job) {
  const V1__AcceptInviteParams *in = request;
  return group_check_common(req, job, NULL, in->player);
}

/* ---- DeclineInvite -------------------------------------------------------------------------- */

static int decline_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  gjob *j = job;
  int rc = gsql_name(db, j->actor.low, j->actor_name);
  if (rc < 0) return rc;
  rc = take_invite(db, j);
  j->status = rc == 1 ? V1__DECLINE_INVITE_RESPONSE__STATUS__Ok
                      : V1__DECLINE_INVITE_RESPONSE__STATUS__InviteNotFound;
  return rc < 0 ? rc : 0;
}

static int decline_reply(stratus_req *req, void *job) {
  gjob *j = job;
  if (j->status == V1__DECLINE_INVITE_RESPONSE__STATUS__Ok) {
    json_t *o = json_object();
    json_object_set_new(o, "ServiceID", json_string(j->p->service_id));
    json_object_set_new(o, "RealmID", json_integer(j->inviter.realm));
    json_object_set_new(o, "InviterGUID", group_u64(j->inviter.low));
    json_object_set_new(o, "InviteeGUID", group_u64(group_wire_guid_of(
                                              j->inviter.realm, j->actor.realm, j->actor.low)));
    json_object_set_new(o, "InviteeName", json_string(j->actor_name));
    group_publish(j->p, "group.invite.declined", 21, o);
  }
  V1__DeclineInviteResponse r = V1__DECLINE_INVITE_RESPONSE__INIT;
  r.status = (V1__DeclineInviteResponse__Status)j->status;
  return HOST->req_reply(req, &r.base);
}

static int decline_check(stratus_req *req, const void *request, void *job) {
  const V1__DeclineInviteParams *in = request;
  return group_check_common(req, job, NULL, in->player);
}

#define PLAYER_METHOD(method, check_fn, work_fn, reply_fn)                                  \
  {.name = (method), .flags = STRATUS_METHOD_TXN, .job_size = sizeof(gjob),                \
   .pool = "characters", .realm_field = "realmID", .check = (check_fn), .work = (work_fn), \
   .reply = (reply_fn)}

const stratus_method group_invite_methods[] = {
    GROUP_FLOW_METHOD("Invite", invite_check),
    PLAYER_METHOD("AcceptInvite", accept_check, accept_claim_work, accept_claim_next),
    PLAYER_METHOD("DeclineInvite", decline_check, decline_work, decline_reply),
};
const size_t group_invite_methods_n = sizeof(group_invite_methods) / sizeof(group_invite_methods[0]);
