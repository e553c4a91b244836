/*
 * Ranks: UpdateRank, AddRank and DeleteLastRank (the guild master's), and
 * PromoteMember / DemoteMember with the core's rules: one may only move
 * members below one's own rank, never above the rank just under one's own.
 */
#include "guild.h"

typedef struct rank_job {
  uint32_t actor_low, target_low;
  uint32_t rank, rights, money_per_day;
  const char *name; /* the request's */
  size_t ntabs;
  const V1__RankUpdateParams__BankTabRight *const *tabs;
  bool demote;
  gmember actor, target;
  gguild g;
  char *rank_name; /* after the change */
} rank_job;

typedef struct rank_row {
  char *name;
  uint32_t members;
} rank_row;

static int read_rank(stratus_db *db, stratus_req *req, uint32_t guild, uint32_t rid,
                     rank_row *out) {
  static const stratus_col cols[] = {STRATUS_COL(rank_row, name, "rname"),
                                     STRATUS_COL(rank_row, members, "members")};
  return gsql_one(db, req,
                  "SELECT rname, (SELECT COUNT(*) FROM guild_member m WHERE m.guildid = r.guildid "
                  "AND m.`rank` = r.rid) AS members FROM guild_rank r WHERE guildid = ? AND rid = ?",
                  STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(rid)),
                  STRATUS_COLS(cols), out);
}

static int leader_only(stratus_db *db, stratus_req *req, rank_job *j) {
  int rc = gsql_lock_actor(db, req, j->actor_low, GUILD_COMMAND_CHANGE_RANK, &j->actor, &j->g);
  if (rc == 0 && j->g.leader != j->actor_low)
    rc = guild_refuse(req, GUILD_COMMAND_CHANGE_RANK, ERR_GUILD_PERMISSIONS,
                      "only the guild master changes ranks");
  return rc;
}

static json_t *rank_event(stratus_req *req, rank_job *j) {
  json_t *o = guild_event_base(HOST->req_ud(req), HOST->req_realm(req), &j->g, 0);
  json_object_set_new(o, "RankID", json_integer(j->rank));
  json_object_set_new(o, "RankName", json_string(j->rank_name));
  return o;
}

/* ---- UpdateRank ------------------------------------------------------------------- */

static int update_check(stratus_req *req, const void *request, void *job) {
  const V1__RankUpdateParams *in = request;
  rank_job *j = job;
  *j = (rank_job){.rank = in->rank, .rights = in->rights, .money_per_day = in->moneyperday,
                  .name = in->rankname, .ntabs = in->n_banktabrights,
                  .tabs = (const V1__RankUpdateParams__BankTabRight *const *)in->banktabrights};
  if (in->rank >= GUILD_RANKS_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "rank %u is out of range (0..%d)",
                          in->rank, GUILD_RANKS_MAX - 1);
  for (size_t i = 0; i < j->ntabs; i++)
    if (j->tabs[i]->tabid >= GUILD_BANK_TABS)
      return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                            "bank tab %u is out of range (0..%d)", j->tabs[i]->tabid,
                            GUILD_BANK_TABS - 1);
  int rc = guild_text_ok(req, j->name, GUILD_RANK_NAME_CHARS, true, "rankName");
  return rc != 0 ? rc : guild_use_player(req, in->realmid, in->changerguid, "changerGUID",
                                         &j->actor_low);
}

static int update_tabs(stratus_db *db, rank_job *j) {
  for (size_t i = 0; i < j->ntabs; i++) {
    const V1__RankUpdateParams__BankTabRight *t = j->tabs[i];
    bool master = j->rank == 0; /* the guild master's tabs stay fully open */
    int rc = gsql_exec(db,
                       "INSERT INTO guild_bank_right (guildid, TabId, rid, gbright, SlotPerDay) "
                       "SELECT guildid, TabId, ?, ?, ? FROM guild_bank_tab WHERE guildid = ? AND "
                       "TabId = ? ON DUPLICATE KEY UPDATE gbright = VALUES(gbright), "
                       "SlotPerDay = VALUES(SlotPerDay)",
                       STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->rank),
                                          STRATUS_SQL_UINT_V(master ? GUILD_BANK_RIGHT_FULL : t->flags),
                                          STRATUS_SQL_UINT_V(master ? GUILD_UNLIMITED
                                                                    : t->withdrawitemlimit),
                                          STRATUS_SQL_UINT_V(j->g.id), STRATUS_SQL_UINT_V(t->tabid)));
    if (rc < 0) return rc;
  }
  return 0;
}

static int update_work(stratus_db *db, stratus_req *req, void *job) {
  rank_job *j = job;
  int rc = leader_only(db, req, j);
  if (rc != 0) return rc;
  if (j->rank >= j->g.ranks)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "guild %u has no rank %u (%u ranks)",
                          j->g.id, j->rank, j->g.ranks);
  if (j->rank == 0) { /* the guild master keeps every right, as in the core */
    j->rights = GR_RIGHT_ALL;
    j->money_per_day = GUILD_UNLIMITED;
  }
  j->rights |= GR_RIGHT_EMPTY;
  rc = gsql_exec(db, "UPDATE guild_rank SET rname = ?, rights = ?, BankMoneyPerDay = ? "
                     "WHERE guildid = ? AND rid = ?",
                 STRATUS_SQL_PARAMS(stratus_sql_text(j->name), STRATUS_SQL_UINT_V(j->rights),
                                    STRATUS_SQL_UINT_V(j->money_per_day), STRATUS_SQL_UINT_V(j->g.id),
                                    STRATUS_SQL_UINT_V(j->rank)));
  if (rc >= 0) rc = update_tabs(db, j);
  j->rank_name = (char *)j->name;
  return rc < 0 ? rc : gsql_members(db, req, &j->g);
}

static int update_reply(stratus_req *req, void *job) {
  rank_job *j = job;
  json_t *o = rank_event(req, j);
  json_object_set_new(o, "RankRights", json_integer(j->rights));
  json_object_set_new(o, "RankMoneyPerDay", json_integer(j->money_per_day));
  json_object_set_new(o, "RanksCount", json_integer(j->g.ranks));
  guild_publish(HOST->req_ud(req), "guild.rank.updated", EV_RANK_UPDATED, o);
  V1__RankUpdateResponse resp = V1__RANK_UPDATE_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

/* ---- AddRank and DeleteLastRank ---------------------------------------------------------- */

static int add_check(stratus_req *req, const void *request, void *job) {
  const V1__AddRankParams *in = request;
  rank_job *j = job;
  j->name = in->rankname;
  int rc = guild_text_ok(req, j->name, GUILD_RANK_NAME_CHARS, true, "rankName");
  return rc != 0 ? rc : guild_use_player(req, in->realmid, in->changerguid, "changerGUID",
                                         &j->actor_low);
}

static int add_work(stratus_db *db, stratus_req *req, void *job) {
  rank_job *j = job;
  int rc = leader_only(db, req, j);
  if (rc != 0) return rc;
  if (j->g.ranks >= GUILD_RANKS_MAX)
    return guild_refuse(req, GUILD_COMMAND_CHANGE_RANK, ERR_GUILD_INTERNAL,
                        "guild %u already has %d ranks, the most there can be", j->g.id,
                        GUILD_RANKS_MAX);
  j->rank = j->g.ranks;
  j->rank_name = (char *)j->name;
  rc = gsql_exec(db, "INSERT INTO guild_rank (guildid, rid, rname, rights, BankMoneyPerDay) "
                     "VALUES (?, ?, ?, ?, 0)",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->g.id), STRATUS_SQL_UINT_V(j->rank),
                                    stratus_sql_text(j->name),
                                    STRATUS_SQL_UINT_V(GR_RIGHT_GCHATLISTEN | GR_RIGHT_GCHATSPEAK)));
  if (rc < 0) return rc;
  j->g.ranks++;
  return gsql_members(db, req, &j->g);
}

static int add_reply(stratus_req *req, void *job) {
  rank_job *j = job;
  json_t *o = rank_event(req, j);
  json_object_set_new(o, "RanksCount", json_integer(j->g.ranks));
  guild_publish(HOST->req_ud(req), "guild.rank.created", EV_RANK_CREATED, o);
  V1__AddRankResponse resp = V1__ADD_RANK_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

static int delete_check(stratus_req *req, const void *request, void *job) {
  const V1__DeleteLastRankParams *in = request;
  return guild_use_player(req, in->realmid, in->changerguid, "changerGUID",
                          &((rank_job *)job)->actor_low);
}

static int delete_work(stratus_db *db, stratus_req *req, void *job) {
  rank_job *j = job;
  int rc = leader_only(db, req, j);
  if (rc != 0) return rc;
  if (j->g.ranks <= GUILD_RANKS_MIN)
    return guild_refuse(req, GUILD_COMMAND_CHANGE_RANK, ERR_GUILD_INTERNAL,
                        "guild %u has %u ranks; at least %d must remain", j->g.id, j->g.ranks,
                        GUILD_RANKS_MIN);
  j->rank = j->g.ranks - 1;
  rank_row r = {0};
  rc = read_rank(db, req, j->g.id, j->rank, &r);
  if (rc <= 0) return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                                                   "guild %u: rank ids are not contiguous",
                                                   j->g.id);
  if (r.members)
    return guild_refuse(req, GUILD_COMMAND_CHANGE_RANK, ERR_GUILD_RANK_IN_USE,
                        "rank %u '%s' still has %u members", j->rank, r.name, r.members);
  j->rank_name = r.name;
  stratus_sql_value key[] = {STRATUS_SQL_UINT_V(j->g.id), STRATUS_SQL_UINT_V(j->rank)};
  rc = gsql_exec(db, "DELETE FROM guild_rank WHERE guildid = ? AND rid = ?", key, 2);
  if (rc >= 0) rc = gsql_exec(db, "DELETE FROM guild_bank_right WHERE guildid = ? AND rid = ?",
                              key, 2);
  if (rc < 0) return rc;
  j->g.ranks--;
  return gsql_members(db, req, &j->g);
}

static int delete_reply(stratus_req *req, void *job) {
  rank_job *j = job;
  json_t *o = rank_event(req, j);
  json_object_set_new(o, "RanksCount", json_integer(j->g.ranks));
  guild_publish(HOST->req_ud(req), "guild.rank.deleted", EV_RANK_DELETED, o);
  V1__DeleteLastRankResponse resp = V1__DELETE_LAST_RANK_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

/* ---- PromoteMember and DemoteMember --------------------------------------------------------- */

static int move_check(stratus_req *req, const void *request, void *job, bool demote) {
  const V1__PromoteDemoteParams *in = request;
  rank_job *j = job;
  j->demote = demote;
  int rc = guild_use_player(req, in->realmid, in->changerguid, "changerGUID", &j->actor_low);
  return rc != 0 ? rc : guild_same_realm(req, in->realmid, in->targetguid, "targetGUID",
                                         &j->target_low);
}

static int promote_check(stratus_req *req, const void *request, void *job) {
  return move_check(req, request, job, false);
}

static int demote_check(stratus_req *req, const void *request, void *job) {
  return move_check(req, request, job, true);
}

static int move_rules(stratus_req *req, rank_job *j, int command) {
  if (j->target_low == j->actor_low)
    return guild_refuse(req, command, ERR_GUILD_NAME_INVALID, "a member cannot %s itself",
                        j->demote ? "demote" : "promote");
  if (j->demote && j->target.rank <= j->actor.rank)
    return guild_refuse(req, command, ERR_GUILD_RANK_TOO_HIGH_S,
                        "%s has rank %u, not below the demoter's %u", j->target.name,
                        j->target.rank, j->actor.rank);
  if (j->demote && j->target.rank + 1 >= j->g.ranks)
    return guild_refuse(req, command, ERR_GUILD_RANK_TOO_LOW_S,
                        "%s already has the lowest rank", j->target.name);
  if (!j->demote && j->target.rank <= j->actor.rank + 1)
    return guild_refuse(req, command, ERR_GUILD_RANK_TOO_HIGH_S,
                        "%s has rank %u; the promoter (rank %u) can promote only to rank %u",
                        j->target.name, j->target.rank, j->actor.rank, j->actor.rank + 1);
  return 0;
}

static int move_work(stratus_db *db, stratus_req *req, void *job) {
  rank_job *j = job;
  int command = j->demote ? GUILD_COMMAND_DEMOTE : GUILD_COMMAND_PROMOTE;
  int rc = gsql_lock_actor(db, req, j->actor_low, command, &j->actor, &j->g);
  if (rc == 0)
    rc = guild_need_right(req, &j->actor, j->demote ? GR_RIGHT_DEMOTE : GR_RIGHT_PROMOTE,
                          command, j->demote ? "demote" : "promote");
  if (rc == 0) rc = guild_load_target(db, req, j->target_low, command, &j->g, &j->target);
  if (rc == 0) rc = move_rules(req, j, command);
  if (rc != 0) return rc;
  j->rank = j->demote ? j->target.rank + 1 : j->target.rank - 1;
  rank_row r = {0};
  rc = read_rank(db, req, j->g.id, j->rank, &r);
  if (rc <= 0) return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                                                   "guild %u has no rank %u", j->g.id, j->rank);
  j->rank_name = r.name;
  rc = gsql_exec(db, "UPDATE guild_member SET `rank` = ? WHERE guid = ?",
                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->rank), STRATUS_SQL_UINT_V(j->target_low)));
  return rc < 0 ? rc : gsql_members(db, req, &j->g);
}

static int move_reply(stratus_req *req, void *job) {
  rank_job *j = job;
  json_t *o = rank_event(req, j);
  json_object_set_new(o, j->demote ? "DemoterGUID" : "PromoterGUID", json_integer(j->actor.guid));
  json_object_set_new(o, j->demote ? "DemoterName" : "PromoterName", json_string(j->actor.name));
  json_object_set_new(o, "MemberGUID", json_integer(j->target.guid));
  json_object_set_new(o, "MemberName", json_string(j->target.name));
  if (j->demote)
    guild_publish(HOST->req_ud(req), "guild.member.demoted", EV_MEMBER_DEMOTED, o);
  else
    guild_publish(HOST->req_ud(req), "guild.member.promoted", EV_MEMBER_PROMOTED, o);
  V1__PromoteDemoteResponse resp = V1__PROMOTE_DEMOTE_RESPONSE__INIT;
  return HOST->req_reply(req, &resp.base);
}

#define RANK(method, check_fn, work_fn, reply_fn)                                        \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(rank_job),             \
   .pool = "characters", .check = check_fn, .work = work_fn, .reply = reply_fn}

const stratus_method guild_rank_methods[] = {
    RANK("UpdateRank", update_check, update_work, update_reply),
    RANK("AddRank", add_check, add_work, add_reply),
    RANK("DeleteLastRank", delete_check, delete_work, delete_reply),
    RANK("PromoteMember", promote_check, move_work, move_reply),
    RANK("DemoteMember", demote_check, move_work, move_reply),
};
const size_t guild_rank_count = sizeof(guild_rank_methods) / sizeof(guild_rank_methods[0]);
