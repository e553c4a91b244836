/*
 * Logins, logouts and lost gateways, and the offline-leader promotion.
 *   presence_watch       the presence owner (characters) reports who comes
 *                        and goes; nothing here keeps an online index
 *   char.chars.unhealthy.gw  and gw.char.logged-out: used only while no
 *                        presence owner runs (the owner reports those too)
 * A logout drops the character's pending invite, tells the group
 * (group.member.online.changed) and arms the leader timer when the leader
 * left. The timer, keyed by (realm, group) with a sequence number, promotes
 * an online member (an assistant first in a raid) with a conditional UPDATE
 * on the group row: with two instances both may fire, one UPDATE wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "guid.h"

#define U(x) STRATUS_SQL_UINT_V(x)

typedef struct gbg {
  group_plugin *p;
  gplayer who;
  bool online, promote;
  uint32_t group_realm, group_id, seq;
  gplayer new_leader;
  uint64_t won;
  ggroup g;
} gbg;

static int submit(gbg *b, uint32_t realm, stratus_db_work work, stratus_db_done done) {
  char pool[32];
  snprintf(pool, sizeof(pool), "characters.%u", realm);
  int rc = HOST->db_submit(b->p->ctx, pool, work, done, b, NULL);
  if (rc != 0) {
    STRATUS_WARN(HOST, b->p->ctx, "%s: %s", pool, stratus_strerror(rc));
    free(b);
  }
  return rc;
}

static bool failed(gbg *b, int result, const char *error) {
  if (result == 0) return false;
  if (result != STRATUS_ENOTFOUND)
    STRATUS_WARN(HOST, b->p->ctx, "group %u of realm %u: %s", b->group_id, b->group_realm,
                 error && *error ? error : stratus_strerror(result));
  free(b);
  return true;
}

/* ---- the leader timer ------------------------------------------------------------------
 * The timer's ud is the group's volatile entry (freed only after its timers
 * are stopped); the promotion it starts carries the sequence number and
 * gives up if the group's number moved on meanwhile (re-armed or ended). */

static void promote_start(group_plugin *p, uint32_t realm, uint32_t group, uint32_t seq);

static void leader_timer(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  gvolatile *v = ud;
  HOST->timer_stop(ctx, t);
  v->leader_timer = NULL;
  promote_start(v->owner, (uint32_t)(v->key >> 32), (uint32_t)v->key, v->leader_seq);
}

static bool current(group_plugin *p, uint32_t realm, uint32_t group, uint32_t seq) {
  gvolatile *v = group_vol(p, realm, group, false);
  return v && v->leader_seq == seq;
}

/* Arms the timer when the leader is offline and someone else is online. */
void group_arm_leader_timer(group_plugin *p, const ggroup *g) {
  if (group_online(p, g->leader.realm, g->leader.low)) return;
  bool someone = false;
  for (size_t i = 0; i < g->n && !someone; i++)
    someone = group_online(p, g->members[i].realm, g->members[i].low);
  if (!someone) return;
  gvolatile *v = group_vol(p, g->realm, g->id, true);
  if (!v) return;
  v->owner = p;
  if (v->leader_timer) HOST->timer_stop(p->ctx, v->leader_timer);
  v->leader_seq++;
  v->leader_timer = HOST->timer_start(p->ctx, (uint64_t)p->config->leader_offline_ms, 0,
                                      leader_timer, v);
}

static int load_work(stratus_db *db, void *job) {
  gbg *b = job;
  return gsql_load(db, b->group_realm, b->group_id, false, &b->g);
}

/* The claim: only the instance whose UPDATE still sees the old leader wins. */
static int promote_work(stratus_db *db, void *job) {
  gbg *b = job;
  stratus_rows *r = NULL;
  uint32_t home = b->g.realm;
  int rc = HOST->sql_exec(
      db,
      "UPDATE groups SET leaderGuid = ?, stratus_leaderRealm = ? WHERE guid = ? AND "
      "leaderGuid = ? AND stratus_leaderRealm = ?",
      STRATUS_SQL_PARAMS(U(b->new_leader.low), U(b->new_leader.realm == home ? 0 : b->new_leader.realm),
                         U(b->g.id), U(b->g.leader.low),
                         U(b->g.leader.realm == home ? 0 : b->g.leader.realm)),
      &r);
  b->won = rc == 0 && r ? HOST->rows_affected(r) : 0;
  if (r) HOST->rows_free(r);
  return rc;
}

static void promote_done(stratus_ctx *ctx, void *job, int result, const char *error) {
  (void)ctx;
  gbg *b = job;
  if (failed(b, result, error)) return;
  if (b->won) {
    gplayer previous = b->g.leader;
    b->g.leader = b->new_leader;
    STRATUS_INFO(HOST, b->p->ctx, "group %u of realm %u: leader %u offline, %u of realm %u leads",
                 b->g.id, b->g.realm, previous.low, b->new_leader.low, b->new_leader.realm);
    group_ev_leader(b->p, &b->g, previous);
  }
  free(b);
}

static void promote_loaded(stratus_ctx *ctx, void *job, int result, const char *error) {
  (void)ctx;
  gbg *b = job;
  if (failed(b, result, error)) return;
  group_plugin *p = b->p;
  gplayer next = {0, 0};
  if (current(p, b->group_realm, b->group_id, b->seq) &&
      !group_online(p, b->g.leader.realm, b->g.leader.low)) {
    bool raid = b->g.group_type & GROUP_TYPE_RAID;
    for (size_t i = 0; i < b->g.n; i++) {
      gmember *m = &b->g.members[i];
      if (!group_online(p, m->realm, m->low) || gplayer_eq(b->g.leader, (gplayer){m->realm, m->low}))
        continue;
      if (!next.low || (raid && (m->flags & MEMBER_ASSISTANT) &&
                        !(group_member(&b->g, next)->flags & MEMBER_ASSISTANT)))
        next = (gplayer){m->realm, m->low};
    }
  }
  if (!next.low) {
    free(b);
    return;
  }
  b->new_leader = next;
  submit(b, b->g.realm, promote_work, promote_done);
}

static void promote_start(group_plugin *p, uint32_t realm, uint32_t group, uint32_t seq) {
  gbg *b = calloc(1, sizeof(*b));
  if (!b) return;
  *b = (gbg){.p = p, .group_realm = realm, .group_id = group, .promote = true, .seq = seq};
  submit(b, realm, load_work, promote_loaded);
}

/* ---- logins and logouts ------------------------------------------------------------------ */

static void member_loaded(stratus_ctx *ctx, void *job, int result, const char *error) {
  (void)ctx;
  gbg *b = job;
  if (failed(b, result, error)) return;
  if (group_member(&b->g, b->who)) {
    group_ev_online(b->p, &b->g, b->who, b->online);
    if (b->online) group_catch_up(b->p, &b->g, b->who);
    group_arm_leader_timer(b->p, &b->g);
  }
  free(b);
}

static int find_work(stratus_db *db, void *job) {
  gbg *b = job;
  if (!b->online) {
    int rc = HOST->sql_exec(db, "DELETE FROM stratus_group_invite WHERE invited = ?",
                            STRATUS_SQL_PARAMS(U(b->who.low)), NULL);
    if (rc != 0) return rc;
  }
  return gsql_pointer(db, b->who.realm, b->who.low, &b->group_realm, &b->group_id);
}

static void found(stratus_ctx *ctx, void *job, int result, const char *error) {
  (void)ctx;
  gbg *b = job;
  if (failed(b, result, error)) return;
  if (!b->group_id) {
    free(b);
    return;
  }
  submit(b, b->group_realm, load_work, member_loaded);
}

void group_player_changed(group_plugin *p, uint32_t realm, uint32_t low, bool online) {
  if (p->stopped || !realm || !low) return;
  gbg *b = calloc(1, sizeof(*b));
  if (!b) return;
  *b = (gbg){.p = p, .who = {realm, low}, .online = online};
  if (!online) group_state_forget(p, realm, low);
  submit(b, realm, find_work, found);
}

static void presence_cb(stratus_ctx *ctx, int change, const stratus_presence *pr, void *ud) {
  (void)ctx;
  if (change == STRATUS_PRESENCE_ONLINE || change == STRATUS_PRESENCE_OFFLINE)
    group_player_changed(ud, pr->realm, pr->low, change == STRATUS_PRESENCE_ONLINE);
}

/* ---- the gateways' events, while no presence owner runs ----------------------------------- */

static int any(const stratus_presence *pr, void *ud) {
  (void)pr, (void)ud;
  return 1;
}

static bool presence_owned(group_plugin *p) {
  return STRATUS_HOST_HAS(HOST, presence_by_guid) &&
         HOST->presence_by_guid(p->ctx, 1, 1, any, NULL) != STRATUS_ENOTSUP;
}

static uint64_t u64_of(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static void gateway_event(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  (void)ctx;
  group_plugin *p = ud;
  if (presence_owned(p)) return;
  json_t *o = json_loadb(ev->payload, ev->payload_len, 0, NULL);
  uint32_t realm = (uint32_t)u64_of(o, "RealmID");
  json_t *list = json_object_get(o, "CharactersGUID");
  if (json_is_array(list)) {
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g) if (json_is_integer(g))
        group_player_changed(p, realm, (uint32_t)json_integer_value(g), false);
  } else if (u64_of(o, "CharGUID")) {
    group_player_changed(p, realm, (uint32_t)u64_of(o, "CharGUID"), false);
  }
  json_decref(o);
}

/* Another instance ended a ready check: stop ours. */
static void ready_check_event(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  (void)ctx;
  group_plugin *p = ud;
  json_t *o = json_loadb(ev->payload, ev->payload_len, 0, NULL);
  json_t *sid = json_object_get(o, "ServiceID");
  if (json_is_string(sid) && strcmp(json_string_value(sid), p->service_id) != 0)
    group_ready_check_stop(p, (uint32_t)u64_of(o, "RealmID"), (uint32_t)u64_of(o, "GroupID"));
  json_decref(o);
}

int group_subscribe(group_plugin *p) {
  if (STRATUS_HOST_HAS(HOST, presence_watch)) {
    int rc = HOST->presence_watch(p->ctx, presence_cb, p);
    if (rc != 0) return rc;
  }
  static const char *const subjects[] = {"char.chars.unhealthy.gw", "gw.char.logged-out"};
  for (size_t i = 0; i < 2; i++)
    if (!HOST->event_subscribe(p->ctx, subjects[i], gateway_event, p)) return STRATUS_EIO;
  if (!HOST->event_subscribe(p->ctx, "group.readycheck.finished", ready_check_event, p))
    return STRATUS_EIO;
  return 0;
}
