/*
 * group: v1.GroupService (ToCloud9's groupserver with PR #37's additions).
 * State lives in the home realm's characters database; see README.md.
 */
#ifndef STRATUS_GROUP_H
#define STRATUS_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <stratus/stratus.h>
#include <stratus/proto/group/group.pb-c.h>

#include "hmap.h"

extern const stratus_host_api *group_host;
#define HOST group_host

#define GROUP_MAX_PARTY 5
#define GROUP_MAX_RAID 40
#define GROUP_SUBGROUPS 8
#define GROUP_SWAP_PENDING 0x80u

/* AzerothCore's flags (PR #37 §2.5). */
#define GROUP_TYPE_BG 0x01u
#define GROUP_TYPE_RAID 0x02u
#define GROUP_TYPE_LFG_RESTRICTED 0x04u
#define GROUP_TYPE_LFG 0x08u
#define MEMBER_ASSISTANT 0x01u
#define MEMBER_MAIN_TANK 0x02u
#define MEMBER_MAIN_ASSIST 0x04u

typedef struct group_config {
  int64_t leader_offline_ms;   /* offline leader promoted after this */
  int64_t ready_check_ms;      /* default ready-check duration */
  int64_t swap_window_ms;      /* a parked 0x80 move waits this long */
  int64_t placement_fresh_ms;  /* a placement counts as fresh this long */
  bool bind_layer;             /* BindGroupToGameServer on creation */
} group_config;

/* A player across realms: (realm, low GUID). */
typedef struct gplayer {
  uint32_t realm, low;
} gplayer;

#define GROUP_NAME_BYTES 64 /* 12 characters of UTF-8, NUL */

typedef struct gmember {
  uint32_t realm, low;
  char name[GROUP_NAME_BYTES];
  uint32_t flags, subgroup, roles;
} gmember;

/* One group as its home realm stores it. */
typedef struct ggroup {
  uint32_t realm, id;
  gplayer leader, looter, master_looter;
  uint32_t loot_method, loot_threshold, group_type, difficulty, raid_difficulty;
  uint64_t icons[8];
  uint32_t lfg_dungeon;
  size_t n;
  gmember members[GROUP_MAX_RAID];
} ggroup;

/* Volatile per-group state of this instance: the ready check in progress,
 * a parked subgroup swap and the offline-leader timer, each guarded by a
 * sequence number so that a stale timer does nothing. */
typedef struct group_plugin group_plugin;

typedef struct gvolatile {
  uint64_t key; /* realm << 32 | group */
  group_plugin *owner;
  uint32_t rc_seq, leader_seq;
  stratus_timer *rc_timer, *leader_timer;
  json_t *rc_receivers; /* of the check in progress */
  gplayer swap_updater, swap_member;
  uint32_t swap_from, swap_to;
  uint64_t swap_until_ms;
} gvolatile;

/* The last known state and placement of one member (BulkUpdateMemberStates). */
#define GROUP_AURAS_MAX 64

typedef struct gaura {
  uint32_t slot, spell, flags;
} gaura;

typedef struct gstate {
  uint64_t key;        /* realm << 32 | low */
  uint64_t ts_ms;      /* the snapshot's time (monotonic per member) */
  uint64_t updated_ms; /* when it arrived, wall clock */
  uint64_t seen_ms;    /* when it arrived, loop clock (freshness) */
  uint64_t batch;      /* the last call that carried it (duplicates in one call) */
  char gateway[64], worldserver[64];
  bool online, auras_known, instance_known, dead_known, dead, ghost_known, ghost;
  uint32_t level, class_id, zone, map, instance, health, max_health, power_type, power,
      max_power;
  uint32_t nauras;
  gaura auras[GROUP_AURAS_MAX];
} gstate;

struct group_plugin {
  stratus_ctx *ctx;
  const group_config *config;
  char service_id[32];
  hmap vol;    /* gvolatile by key */
  hmap states; /* gstate by key */
  uint64_t batches; /* BulkUpdateMemberStates calls so far */
  bool stopped;
};

/* ---- the job every group method runs ----------------------------------------
 * find: the actor's group from the pointer row in the actor's realm; then
 * the op runs inside a transaction on the group's home realm with the group
 * row locked (SELECT ... FOR UPDATE) and its roster loaded. */
typedef struct gjob gjob;
typedef int (*gjob_fn)(stratus_db *db, stratus_req *req, gjob *j);
typedef int (*gjob_reply)(stratus_req *req, gjob *j);

typedef struct gop {
  gjob_fn mutate;      /* worker, in the home realm's transaction; may be NULL */
  gjob_reply done;     /* loop: events and the answer */
  void (*events)(gjob *j); /* loop, right after the commit, before done; may be NULL */
  gjob_reply prepare;  /* loop, once the group is known; may be NULL */
  bool need_group;     /* no group is an error (else done runs with group_id 0) */
  bool readonly;       /* no transaction, no row lock */
  bool online_set;     /* mutate needs who is online (a read before the transaction) */
} gop;

struct gjob {
  const gop *op;
  group_plugin *p;
  uint32_t caller;               /* the request's realmID */
  gplayer actor, target;
  char actor_name[GROUP_NAME_BYTES], target_name[GROUP_NAME_BYTES];
  uint32_t group_realm, group_id;
  uint32_t a, b, c;              /* op arguments */
  uint64_t a64;
  const char *text;
  group_config cfg;              /* copied in check: workers never read plugin state */
  ggroup g;                      /* after the op */
  ggroup before;                 /* before the op */
  gplayer online[GROUP_MAX_RAID];/* online members, for mutate (online_set) */
  size_t n_online;
  int status;                    /* a response status enum */
  gplayer removed;
  char removed_name[GROUP_NAME_BYTES];
  bool disbanded, created, joined;
  gplayer unlink[GROUP_MAX_RAID];/* pointers to drop in other realms afterwards */
  size_t n_unlink, i_unlink;
  gplayer ev[GROUP_MAX_RAID];    /* members an op changed (events) */
  size_t n_ev;
  gplayer inviter;
  char inviter_name[GROUP_NAME_BYTES];
  uint32_t inviter_map;
  char inviter_server[64];
  gplayer parked;                /* a parked subgroup move of this updater */
  uint32_t parked_from, parked_to;
  uint32_t inv_group_realm, inv_group_id;
  int later_status;              /* a failure to answer after an undo step */
  char later_msg[160];
};

/* group.c */
int group_find_work(stratus_db *db, stratus_req *req, void *job);
int group_find_next(stratus_req *req, void *job);
bool group_job_online(const gjob *j, gplayer who);
void group_unlink_add(gjob *j, gplayer who);
int group_resolve(stratus_req *req, uint32_t caller, uint64_t guid, gplayer *out,
                  const char *what);
int group_check_common(stratus_req *req, gjob *j, const gop *op, uint64_t actor);

/* group_sql.c (worker) */
int gsql_pointer(stratus_db *db, uint32_t db_realm, uint32_t low,
                 uint32_t *group_realm, uint32_t *group_id);
int gsql_claim(stratus_db *db, uint32_t db_realm, uint32_t low, uint32_t group_realm,
               uint32_t group_id);
int gsql_set_pointer(stratus_db *db, uint32_t db_realm, uint32_t low, uint32_t group_realm,
                     uint32_t group_id);
int gsql_unclaim(stratus_db *db, uint32_t low, uint32_t group_realm_stored, uint32_t group_id);
int gsql_load(stratus_db *db, uint32_t realm, uint32_t id, bool lock, ggroup *g);
int gsql_save(stratus_db *db, const ggroup *g);
int gsql_add_member(stratus_db *db, const ggroup *g, const gmember *m);
int gsql_update_member(stratus_db *db, const ggroup *g, const gmember *m);
int gsql_remove_member(stratus_db *db, const ggroup *g, gplayer who);
int gsql_delete_group(stratus_db *db, const ggroup *g);
int gsql_create_group(stratus_db *db, ggroup *g);
int gsql_name(stratus_db *db, uint32_t low, char *name);
void group_copy_name(char *dst, const char *src, size_t len);
int gsql_lfg_sync(stratus_db *db, const ggroup *g);

/* group_model.c: pure rules */
gmember *group_member(ggroup *g, gplayer who);
bool gplayer_eq(gplayer a, gplayer b);
uint64_t group_wire_guid(const ggroup *g, gplayer who);
uint64_t group_wire_guid_of(uint32_t home, uint32_t realm, uint32_t low);
uint32_t group_capacity(const ggroup *g);
bool group_is_leader(const ggroup *g, gplayer who);
bool group_is_leader_or_assistant(const ggroup *g, gplayer who);
uint32_t group_subgroup_count(const ggroup *g, uint32_t subgroup);
uint32_t group_free_subgroup(const ggroup *g);
bool group_online(group_plugin *p, uint32_t realm, uint32_t low);
bool group_receiver(group_plugin *p, uint32_t realm, uint32_t low);
gplayer group_next_leader(const gjob *j, const ggroup *g, gplayer except, bool prefer_assist);

/* group_events.c */
int group_publish(group_plugin *p, const char *subject, int64_t type, json_t *payload);
json_t *group_receivers(group_plugin *p, const ggroup *g, gplayer except);
json_t *group_event_head(group_plugin *p, uint32_t realm, uint32_t group_id);
void group_ev_created(group_plugin *p, const ggroup *g);
void group_ev_member_added(group_plugin *p, const ggroup *g, gplayer who);
void group_ev_member_left(group_plugin *p, const ggroup *before, const ggroup *after,
                          gplayer who, const char *name);
void group_ev_disband(group_plugin *p, const ggroup *before);
void group_ev_leader(group_plugin *p, const ggroup *g, gplayer previous);
void group_ev_online(group_plugin *p, const ggroup *g, gplayer who, bool online);
void group_ev_member_value(group_plugin *p, const ggroup *g, const char *subject, int64_t type,
                           gplayer who, const char *k1, uint32_t v1, const char *k2,
                           uint32_t v2);
json_t *group_u64(uint64_t v);

/* group_volatile.c */
gvolatile *group_vol(group_plugin *p, uint32_t realm, uint32_t group, bool create);
void group_vol_drop(group_plugin *p, uint32_t realm, uint32_t group);
void group_vol_free_all(group_plugin *p);
void group_ready_check_start(group_plugin *p, const ggroup *g, uint64_t duration_ms,
                             json_t *receivers);
void group_ready_check_stop(group_plugin *p, uint32_t realm, uint32_t group);
void group_arm_leader_timer(group_plugin *p, const ggroup *g);
void group_watch(group_plugin *p);
int group_subscribe(group_plugin *p);
void group_player_changed(group_plugin *p, uint32_t realm, uint32_t low, bool online);

/* group_state.c: member states and placements (volatile) */
void group_catch_up(group_plugin *p, const ggroup *g, gplayer who);
void group_state_forget(group_plugin *p, uint32_t realm, uint32_t low);
void group_states_free(group_plugin *p);
gstate *group_state(group_plugin *p, uint32_t realm, uint32_t low);
gstate *group_state_put(group_plugin *p, uint32_t realm, uint32_t low);
void group_state_apply(group_plugin *p, gstate *s, const V1__PlayerStateSnapshot *in,
                       const char *gateway, const char *worldserver, uint64_t ts);
void group_state_fields(json_t *o, const gstate *s, uint64_t guid);
json_t *group_states_head(group_plugin *p, uint32_t realm, uint32_t group, const char *gw,
                          const char *ws);
bool group_state_suppressed(group_plugin *p, const gplayer *members, size_t n, gplayer src);
json_t *group_receivers_of(group_plugin *p, uint32_t home, const gplayer *m, size_t n);
uint64_t group_wall_ms(void);

/* the methods */
extern const stratus_method group_methods[];
extern const size_t group_methods_n;

#endif
