/*
 * The path every "a player does something to their group" method takes:
 *   check (loop)   resolve the actor, copy arguments, pick the actor's realm
 *   find (worker)  the actor's name and group pointer, in the actor's realm
 *   [online]       a read of the roster, then who is online (loop), when the
 *                  op chooses leaders
 *   group (worker) in the home realm, one transaction: the group row locked
 *                  with SELECT ... FOR UPDATE, the roster read, the op applied
 *   unlink         pointers of members from other realms dropped, one job
 *                  per member, in their realms
 *   done (loop)    events after commit, then the answer
 */
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "guid.h"

static void pool_of(char *out, size_t cap, uint32_t realm) {
  snprintf(out, cap, "characters.%u", realm);
}

int group_resolve(stratus_req *req, uint32_t caller, uint64_t guid, gplayer *out,
                  const char *what) {
  char pool[32];
  if (!guid_resolve(caller, guid, &out->realm, &out->low))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %llu is not a player GUID",
                          what, (unsigned long long)guid);
  pool_of(pool, sizeof(pool), out->realm);
  if (!HOST->db_pool_exists(HOST->req_ctx(req), pool))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %llu: unknown realm %u (no "
                          "[db.%s] section)", what, (unsigned long long)guid, out->realm, pool);
  return 0;
}

int group_check_common(stratus_req *req, gjob *j, const gop *op, uint64_t actor) {
  group_plugin *p = HOST->req_ud(req);
  j->op = op;
  j->p = p;
  j->caller = HOST->req_realm(req);
  j->cfg = *p->config;
  int rc = group_resolve(req, j->caller, actor, &j->actor, "player");
  return rc ? rc : HOST->req_use_realm(req, j->actor.realm);
}

void group_unlink_add(gjob *j, gplayer who) {
  if (who.realm != j->g.realm && j->n_unlink < GROUP_MAX_RAID) j->unlink[j->n_unlink++] = who;
}

/* ---- find ------------------------------------------------------------------------- */

int group_find_work(stratus_db *db, stratus_req *req, void *job) {
  gjob *j = job;
  int rc = gsql_name(db, j->actor.low, j->actor_name);
  if (rc < 0) return rc;
  if (rc == 0)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "unknown character %u of realm %u",
                          j->actor.low, j->actor.realm);
  return gsql_pointer(db, j->actor.realm, j->actor.low, &j->group_realm, &j->group_id);
}

static int group_work(stratus_db *db, stratus_req *req, void *job);
static int group_next(stratus_req *req, void *job);

static int submit_group(stratus_req *req, gjob *j) {
  char pool[32];
  pool_of(pool, sizeof(pool), j->group_realm);
  int rc = HOST->req_submit(req, pool, group_work, group_next,
                            j->op->readonly ? 0 : STRATUS_METHOD_TXN);
  return rc ? rc : STRATUS_LATER;
}

/* ---- who is online, for ops that choose a leader ------------------------------------------ */

static int online_work(stratus_db *db, stratus_req *req, void *job) {
  gjob *j = job;
  int rc = gsql_load(db, j->group_realm, j->group_id, false, &j->g);
  if (rc == STRATUS_ENOTFOUND) /* the pointer was read before the group ended */
    return HOST->req_fail(req, STRATUS_GRPC_ABORTED, "group %u of realm %u ended meanwhile; "
                          "retry", j->group_id, j->group_realm);
  return rc;
}

static int online_next(stratus_req *req, void *job) {
  gjob *j = job;
  j->n_online = 0;
  for (size_t i = 0; i < j->g.n; i++)
    if (group_online(j->p, j->g.members[i].realm, j->g.members[i].low))
      j->online[j->n_online++] = (gplayer){j->g.members[i].realm, j->g.members[i].low};
  return submit_group(req, j);
}

int group_find_next(stratus_req *req, void *job) {
  gjob *j = job;
  if (!j->group_id) {
    if (j->op->need_group)
      return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                            "character %u of realm %u is not in a group", j->actor.low,
                            j->actor.realm);
    return j->op->done(req, j);
  }
  if (j->op->prepare) {
    int rc = j->op->prepare(req, j);
    if (rc != 0) return rc;
  }
  if (!j->op->online_set) return submit_group(req, j);
  char pool[32];
  pool_of(pool, sizeof(pool), j->group_realm);
  int rc = HOST->req_submit(req, pool, online_work, online_next, 0);
  return rc ? rc : STRATUS_LATER;
}

/* ---- the group ---------------------------------------------------------------------- */

static int group_work(stratus_db *db, stratus_req *req, void *job) {
  gjob *j = job;
  int rc = gsql_load(db, j->group_realm, j->group_id, !j->op->readonly, &j->g);
  if (rc == STRATUS_ENOTFOUND) /* the pointer was read before the group ended */
    return HOST->req_fail(req, STRATUS_GRPC_ABORTED, "group %u of realm %u ended meanwhile; "
                          "retry", j->group_id, j->group_realm);
  if (rc != 0) return rc;
  if (!group_member(&j->g, j->actor))
    return HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                          "character %u of realm %u is not a member of group %u",
                          j->actor.low, j->actor.realm, j->group_id);
  j->before = j->g;
  j->disbanded = false;
  j->n_unlink = j->n_ev = 0;
  j->status = 0;
  return j->op->mutate ? j->op->mutate(db, req, j) : 0;
}

static int unlink_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  gjob *j = job;
  gplayer who = j->unlink[j->i_unlink];
  return gsql_unclaim(db, who.low, j->g.realm, j->g.id);
}

static int unlink_next(stratus_req *req, void *job) {
  gjob *j = job;
  if (++j->i_unlink < j->n_unlink) {
    char pool[32];
    pool_of(pool, sizeof(pool), j->unlink[j->i_unlink].realm);
    int rc = HOST->req_submit(req, pool, unlink_work, unlink_next, 0);
    return rc ? rc : STRATUS_LATER;
  }
  return j->op->done(req, j);
}

static int group_next(stratus_req *req, void *job) {
  gjob *j = job;
  if (j->op->events) j->op->events(j);
  if (j->n_unlink == 0) return j->op->done(req, j);
  j->i_unlink = (size_t)-1;
  return unlink_next(req, j);
}
