/*
 * Member state for party and raid frames (PR #37 §2.5): UpdateMemberState,
 * BulkUpdateMemberStates and GetMemberPlacements, over the state store of
 * group_state.c. A state
 * older than the one held for that member is stale and skipped; a request
 * of only stale states is refused. The group of each member comes from the
 * pointer rows of the request's realm, the rosters from each group's home
 * realm; then one event per group goes to its online members, leaving out
 * states every receiver already gets from its own worldserver (all freshly
 * placed with the source on one worldserver, map and instance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "guid.h"
#include "rpc.h"

#define FAIL(...) HOST->req_fail(req, __VA_ARGS__)
#define U(x) STRATUS_SQL_UINT_V(x)
#define BULK_MAX 5000
#define Q8 "?,?,?,?,?,?,?,?"
#define Q32 Q8 "," Q8 "," Q8 "," Q8
#define Q128 Q32 "," Q32 "," Q32 "," Q32
#define CHUNK 128 /* members or groups per statement (the padding repeats one) */

/* ---- the job ----------------------------------------------------------------------------- */

typedef struct groster {
  uint32_t realm, id;
  size_t n;
  gplayer m[GROUP_MAX_RAID];
} groster;

typedef struct sjob {
  group_plugin *p;
  uint32_t realm;
  bool single;                /* UpdateMemberState: event 18 */
  uint64_t batch;             /* this call's number (a member once per call) */
  const char *gateway, *worldserver;
  size_t n;                   /* members with a fresh state */
  uint32_t *low, *grealm, *gid;
  size_t ngroups;
  groster *groups;
  uint32_t realms[16];        /* home realms of the groups, in order of work */
  size_t nrealms, irealm;
} sjob;

static groster *roster_of(sjob *j, uint32_t realm, uint32_t id) {
  for (size_t i = 0; i < j->ngroups; i++)
    if (j->groups[i].realm == realm && j->groups[i].id == id) return &j->groups[i];
  return NULL;
}

static int pointers_chunk(stratus_db *db, sjob *j, size_t from) {
  stratus_sql_value v[CHUNK];
  for (size_t k = 0; k < CHUNK; k++) v[k] = U(j->low[from + k < j->n ? from + k : from]);
  stratus_rows *r;
  int rc = HOST->sql_exec(db, "SELECT memberGuid, groupRealm, groupId FROM stratus_group_player "
                              "WHERE memberGuid IN (" Q128 ")", v, CHUNK, &r);
  if (rc != 0) return rc;
  while (HOST->rows_next(r) == 1) {
    uint32_t low = (uint32_t)HOST->rows_uint(r, 0), gr = (uint32_t)HOST->rows_uint(r, 1);
    for (size_t k = from; k < j->n && k < from + CHUNK; k++)
      if (j->low[k] == low) {
        j->grealm[k] = gr ? gr : j->realm;
        j->gid[k] = (uint32_t)HOST->rows_uint(r, 2);
      }
  }
  HOST->rows_free(r);
  return 0;
}

static void collect_groups(sjob *j) {
  j->ngroups = j->nrealms = 0;
  for (size_t k = 0; k < j->n; k++) {
    if (!j->gid[k] || roster_of(j, j->grealm[k], j->gid[k])) continue;
    j->groups[j->ngroups++] = (groster){.realm = j->grealm[k], .id = j->gid[k]};
    bool known = false;
    for (size_t i = 0; i < j->nrealms; i++) known |= j->realms[i] == j->grealm[k];
    if (!known && j->nrealms < 16) j->realms[j->nrealms++] = j->grealm[k];
  }
}

static int rosters_chunk(stratus_db *db, sjob *j, uint32_t realm, const uint32_t *ids) {
  stratus_sql_value v[2 * CHUNK];
  for (size_t k = 0; k < CHUNK; k++) v[k] = v[CHUNK + k] = U(ids[k]);
  stratus_rows *r;
  int rc = HOST->sql_exec(db, "SELECT guid, memberGuid, 0 FROM group_member WHERE guid IN (" Q128
                              ") UNION ALL SELECT guid, memberGuid, memberRealm FROM "
                              "stratus_group_member_foreign WHERE guid IN (" Q128 ")",
                          v, 2 * CHUNK, &r);
  if (rc != 0) return rc;
  while (HOST->rows_next(r) == 1) {
    groster *g = roster_of(j, realm, (uint32_t)HOST->rows_uint(r, 0));
    uint32_t mr = (uint32_t)HOST->rows_uint(r, 2);
    if (g && g->n < GROUP_MAX_RAID)
      g->m[g->n++] = (gplayer){mr ? mr : realm, (uint32_t)HOST->rows_uint(r, 1)};
  }
  HOST->rows_free(r);
  return 0;
}

/* The rosters of the groups whose home is `realm`. */
static int rosters_for(stratus_db *db, sjob *j, uint32_t realm) {
  uint32_t ids[CHUNK];
  size_t n = 0;
  for (size_t i = 0; i < j->ngroups; i++) {
    groster *g = &j->groups[i];
    if (g->realm != realm) continue;
    g->n = 0;
    ids[n++] = g->id;
    if (n < CHUNK) continue;
    int rc = rosters_chunk(db, j, realm, ids);
    if (rc != 0) return rc;
    n = 0;
  }
  if (n == 0) return 0;
  for (size_t k = n; k < CHUNK; k++) ids[k] = ids[0];
  return rosters_chunk(db, j, realm, ids);
}

static int pointers_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  sjob *j = job;
  memset(j->gid, 0, j->n * sizeof(*j->gid));
  for (size_t k = 0; k < j->n; k += CHUNK) {
    int rc = pointers_chunk(db, j, k);
    if (rc != 0) return rc;
  }
  collect_groups(j);
  j->irealm = 0;
  return rosters_for(db, j, j->realm);
}

static void fan_out(sjob *j, const groster *g) {
  json_t *states = NULL, *one = NULL;
  for (size_t k = 0; k < j->n; k++) {
    gplayer src = {j->realm, j->low[k]};
    if (j->gid[k] != g->id || j->grealm[k] != g->realm || group_state_suppressed(j->p, g->m, g->n, src))
      continue;
    const gstate *s = group_state(j->p, src.realm, src.low);
    if (!s) continue;
    one = json_object();
    group_state_fields(one, s, group_wire_guid_of(g->realm, src.realm, src.low));
    if (!states) states = json_array();
    json_array_append_new(states, one);
  }
  json_t *receivers = group_receivers_of(j->p, g->realm, g->m, g->n);
  if (!states || json_is_null(receivers)) {
    json_decref(states);
    json_decref(receivers);
    return;
  }
  json_t *o = group_states_head(j->p, g->realm, g->id, j->gateway, j->worldserver);
  if (j->single) json_object_update(o, one);
  else json_object_set(o, "States", states);
  json_decref(states);
  json_object_set_new(o, "Receivers", receivers);
  if (j->single) group_publish(j->p, "group.member.state.changed", 18, o);
  else group_publish(j->p, "group.member.states.changed", 22, o);
}

static int states_reply(stratus_req *req, sjob *j) {
  for (size_t i = 0; i < j->ngroups; i++) fan_out(j, &j->groups[i]);
  if (j->single) {
    V1__UpdateMemberStateResponse r = V1__UPDATE_MEMBER_STATE_RESPONSE__INIT;
    return HOST->req_reply(req, &r.base);
  }
  V1__BulkUpdateMemberStatesResponse r = V1__BULK_UPDATE_MEMBER_STATES_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static int other_rosters_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  sjob *j = job;
  return rosters_for(db, j, j->realms[j->irealm]);
}

static int states_after_other(stratus_req *req, void *job);

/* After the request realm: the rosters of groups that live in other realms. */
static int states_next(stratus_req *req, void *job) {
  sjob *j = job;
  while (j->irealm < j->nrealms && j->realms[j->irealm] == j->realm) j->irealm++;
  if (j->irealm >= j->nrealms) return states_reply(req, j);
  char pool[32];
  snprintf(pool, sizeof(pool), "characters.%u", j->realms[j->irealm]);
  int rc = HOST->req_submit(req, pool, other_rosters_work, states_after_other, 0);
  return rc ? rc : STRATUS_LATER;
}

static int states_after_other(stratus_req *req, void *job) {
  ((sjob *)job)->irealm++;
  return states_next(req, job);
}

/* ---- checks: validate everything, then apply the fresh states -------------------------- */

static int prepare_members(stratus_req *req, sjob *j, size_t n) {
  j->p = HOST->req_ud(req);
  j->realm = HOST->req_realm(req);
  j->low = HOST->req_alloc(req, (n + 1) * sizeof(uint32_t));
  j->grealm = HOST->req_alloc(req, (n + 1) * sizeof(uint32_t));
  j->gid = HOST->req_alloc(req, (n + 1) * sizeof(uint32_t));
  j->groups = HOST->req_alloc(req, (n + 1) * sizeof(groster));
  return 0;
}

static int member_of(stratus_req *req, sjob *j, uint64_t guid, uint32_t *low) {
  uint32_t realm;
  if (!guid_resolve(j->realm, guid, &realm, low))
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "memberGUID %llu is not a player GUID",
                (unsigned long long)guid);
  if (realm != j->realm)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "memberGUID %llu is a character of realm %u; a "
                "gateway reports the characters of its own realm (%u)",
                (unsigned long long)guid, realm, j->realm);
  return 0;
}

/* The events carry level, class, power type, aura slot and flags as bytes. */
static int snapshot_fits(stratus_req *req, const V1__PlayerStateSnapshot *s) {
  bool bytes = s->level <= 0xFF && s->classid <= 0xFF && s->powertype <= 0xFF;
  for (size_t i = 0; bytes && i < s->n_auras; i++)
    bytes = s->auras[i]->slot <= 0xFF && s->auras[i]->flags <= 0xFF;
  if (bytes) return 0;
  return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "member %llu: level, classID, powerType and the "
              "auras' slot and flags are bytes", (unsigned long long)s->memberguid);
}

static int bulk_check(stratus_req *req, const void *request, void *job) {
  const V1__BulkUpdateMemberStatesRequest *in = request;
  sjob *j = job;
  if (in->n_snapshots == 0 || in->n_snapshots > BULK_MAX)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "%zu snapshots: 1 to %d per call",
                in->n_snapshots, BULK_MAX);
  prepare_members(req, j, in->n_snapshots);
  j->batch = ++j->p->batches;
  uint32_t low;
  for (size_t i = 0; i < in->n_snapshots; i++) {
    int rc = member_of(req, j, in->snapshots[i]->memberguid, &low);
    if (rc == 0) rc = snapshot_fits(req, in->snapshots[i]);
    if (rc != 0) return rc;
  }
  j->gateway = HOST->req_strdup(req, in->sourcegatewayid, in->sourcegatewayid ? strlen(in->sourcegatewayid) : 0);
  j->worldserver = HOST->req_strdup(req, in->sourceworldserverid,
                                    in->sourceworldserverid ? strlen(in->sourceworldserverid) : 0);
  size_t stale = 0;
  for (size_t i = 0; i < in->n_snapshots; i++) {
    const V1__PlayerStateSnapshot *s = in->snapshots[i];
    member_of(req, j, s->memberguid, &low);
    gstate *st = group_state(j->p, j->realm, low);
    uint64_t ts = s->timestampms ? s->timestampms : group_wall_ms();
    if (st && ts < st->ts_ms) {
      stale++;
      continue;
    }
    if (!st && !(st = group_state_put(j->p, j->realm, low))) return STRATUS_ENOMEM;
    group_state_apply(j->p, st, s, j->gateway, j->worldserver, ts);
    if (st->batch != j->batch) j->low[j->n++] = low; /* once per call */
    st->batch = j->batch;
  }
  if (stale == in->n_snapshots)
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "every snapshot is older than the state held "
                "for its member (stale timestamps)");
  return 0;
}

static int update_check(stratus_req *req, const void *request, void *job) {
  const V1__UpdateMemberStateRequest *in = request;
  sjob *j = job;
  uint32_t low;
  prepare_members(req, j, 1);
  int rc = member_of(req, j, in->memberguid, &low);
  if (rc != 0) return rc;
  V1__PlayerStateSnapshot s = V1__PLAYER_STATE_SNAPSHOT__INIT;
  s.memberguid = in->memberguid;
  s.online = in->online;
  s.level = in->level;
  s.classid = in->classid;
  s.zoneid = in->zoneid;
  s.mapid = in->mapid;
  s.health = in->health;
  s.maxhealth = in->maxhealth;
  s.powertype = in->powertype;
  s.power = in->power;
  s.maxpower = in->maxpower;
  if ((rc = snapshot_fits(req, &s)) != 0) return rc;
  if (in->_instance_id_case == V1__UPDATE_MEMBER_STATE_REQUEST___INSTANCE_ID_INSTANCE_ID) {
    s._instance_id_case = V1__PLAYER_STATE_SNAPSHOT___INSTANCE_ID_INSTANCE_ID;
    s.instanceid = in->instanceid;
  }
  gstate *st = group_state_put(j->p, j->realm, low);
  if (!st) return STRATUS_ENOMEM;
  /* The sidecar's own report: placed where it was, newest by arrival. */
  char gw[64], ws[64];
  snprintf(gw, sizeof(gw), "%s", st->gateway);
  snprintf(ws, sizeof(ws), "%s", st->worldserver);
  uint64_t now = group_wall_ms();
  group_state_apply(j->p, st, &s, gw, ws, now > st->ts_ms ? now : st->ts_ms);
  j->single = true;
  j->gateway = HOST->req_strdup(req, gw, strlen(gw));
  j->worldserver = HOST->req_strdup(req, ws, strlen(ws));
  j->low[j->n++] = low;
  return 0;
}

/* ---- GetMemberPlacements: from this instance's memory, no database ------------------------ */

static int placements_reply(stratus_req *req, void *job) {
  sjob *j = job;
  const V1__GetMemberPlacementsRequest *in = (const void *)HOST->req_request(req);
  V1__GetMemberPlacementsResponse r = V1__GET_MEMBER_PLACEMENTS_RESPONSE__INIT;
  r.placements = HOST->req_alloc(req, (in->n_memberguids + 1) * sizeof(*r.placements));
  uint64_t now = HOST->now_ms(j->p->ctx);
  for (size_t i = 0; i < in->n_memberguids; i++) {
    uint32_t realm, low;
    if (!guid_resolve(j->realm, in->memberguids[i], &realm, &low))
      return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "memberGUID %llu is not a player GUID",
                  (unsigned long long)in->memberguids[i]);
    const gstate *s = group_state(j->p, realm, low);
    V1__MemberPlacement *m = HOST->req_alloc(req, sizeof(*m));
    v1__member_placement__init(m);
    m->memberguid = in->memberguids[i];
    m->online = group_online(j->p, realm, low) || (s && s->online);
    if (s) {
      m->fresh = s->online && now - s->seen_ms <= (uint64_t)j->p->config->placement_fresh_ms;
      m->gatewayid = HOST->req_strdup(req, s->gateway, strlen(s->gateway));
      m->worldserverid = HOST->req_strdup(req, s->worldserver, strlen(s->worldserver));
      m->mapid = s->map;
      m->instanceid = s->instance;
      m->instanceknown = s->instance_known;
      m->timestampms = s->ts_ms;
      m->updatedatms = s->updated_ms;
    }
    r.placements[r.n_placements++] = m;
  }
  return HOST->req_reply(req, &r.base);
}

static int placements_check(stratus_req *req, const void *request, void *job) {
  const V1__GetMemberPlacementsRequest *in = request;
  sjob *j = job;
  j->p = HOST->req_ud(req);
  j->realm = in->realmid;
  if (j->realm == 0) return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "realmID 0 is no realm");
  if (in->n_memberguids > BULK_MAX)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "%zu members: at most %d", in->n_memberguids,
                BULK_MAX);
  return 0;
}

#define STATE_METHOD(method, check_fn)                                                         {.name = (method), .job_size = sizeof(sjob), .pool = "characters", .realm_field = "realmID",    .check = (check_fn), .work = pointers_work, .reply = states_next}

const stratus_method group_state_methods[] = {
    STATE_METHOD("UpdateMemberState", update_check),
    STATE_METHOD("BulkUpdateMemberStates", bulk_check),
    {.name = "GetMemberPlacements", .job_size = sizeof(sjob), .check = placements_check,
     .reply = placements_reply},
};
const size_t group_state_methods_n = sizeof(group_state_methods) / sizeof(group_state_methods[0]);
