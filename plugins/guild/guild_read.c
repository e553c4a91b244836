/*
 * Reads: GetGuildInfo, GetGuildNamesByIDs and GetRosterInfo (with PR #37's
 * bank rights, withdraw counters and purchased tabs), straight from the
 * realm's database; the roster's online status comes from the presence
 * owner when there is one, else from characters.online.
 */
#include <string.h>

#include "guild.h"

static int guild_id_ok(stratus_req *req, uint64_t id, uint32_t *out) {
  if (id == 0 || id > UINT32_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "guildID %llu is not a guild id",
                          (unsigned long long)id);
  *out = (uint32_t)id;
  return 0;
}

static int no_guild(stratus_req *req, uint32_t id) {
  return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "guild %u does not exist on realm %u", id,
                        HOST->req_realm(req));
}

/* ---- GetGuildInfo ------------------------------------------------------------ */

typedef struct info_job {
  uint32_t guild;
  V1__GetInfoResponse resp;
} info_job;

typedef struct rank_name {
  char *name;
} rank_name;

static int info_check(stratus_req *req, const void *request, void *job) {
  const V1__GetInfoParams *in = request;
  return guild_id_ok(req, in->guildid, &((info_job *)job)->guild);
}

static int info_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {
      STRATUS_COL(V1__GetInfoResponse, guildid, "guildid"),
      STRATUS_COL(V1__GetInfoResponse, guildname, "name"),
      STRATUS_COL(V1__GetInfoResponse, emblemstyle, "EmblemStyle"),
      STRATUS_COL(V1__GetInfoResponse, emblemcolor, "EmblemColor"),
      STRATUS_COL(V1__GetInfoResponse, borderstyle, "BorderStyle"),
      STRATUS_COL(V1__GetInfoResponse, bordercolor, "BorderColor"),
      STRATUS_COL(V1__GetInfoResponse, backgroundcolor, "BackgroundColor")};
  static const stratus_col rank_cols[] = {STRATUS_COL(rank_name, name, "rname")};
  info_job *j = job;
  j->resp = (V1__GetInfoResponse)V1__GET_INFO_RESPONSE__INIT;
  int rc = gsql_one(db, req, "SELECT * FROM guild WHERE guildid = ?",
                    STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->guild)), STRATUS_COLS(cols),
                    &j->resp);
  if (rc <= 0) return rc < 0 ? rc : no_guild(req, j->guild);
  stratus_rows *rows = NULL;
  rc = HOST->sql_exec(db, "SELECT rname FROM guild_rank WHERE guildid = ? ORDER BY rid",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->guild)), &rows);
  if (rc < 0) return rc;
  rank_name *names;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(rank_cols), sizeof(*names), NULL,
                          (void **)&names, &j->resp.n_ranknames);
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  j->resp.ranknames = HOST->req_alloc(req, (j->resp.n_ranknames + 1) * sizeof(char *));
  for (size_t i = 0; i < j->resp.n_ranknames; i++) j->resp.ranknames[i] = names[i].name;
  return 0;
}

static int info_reply(stratus_req *req, void *job) {
  return HOST->req_reply(req, &((info_job *)job)->resp.base);
}

/* ---- GetGuildNamesByIDs --------------------------------------------------------- */

#define NAMES_BATCH 64
#define Q8 "?,?,?,?,?,?,?,?"
#define NAMES_SQL "SELECT guildid, name FROM guild WHERE guildid IN (" \
  Q8 "," Q8 "," Q8 "," Q8 "," Q8 "," Q8 "," Q8 "," Q8 ")"

typedef struct names_job {
  uint32_t *ids;
  size_t n;
  V1__GetGuildNamesByIDsResponse__GuildNamesEntry *found;
  size_t nfound;
} names_job;

static int names_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGuildNamesByIDsParams *in = request;
  names_job *j = job;
  if (in->n_guildids > GUILD_NAMES_MAX)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%zu guildIDs; at most %d per call", in->n_guildids, GUILD_NAMES_MAX);
  j->ids = HOST->req_alloc(req, (in->n_guildids + 1) * sizeof(uint32_t));
  for (size_t i = 0; i < in->n_guildids; i++)
    if (in->guildids[i] && in->guildids[i] <= UINT32_MAX) j->ids[j->n++] = (uint32_t)in->guildids[i];
  return 0;
}

static int names_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {
      STRATUS_COL(V1__GetGuildNamesByIDsResponse__GuildNamesEntry, key, "guildid"),
      STRATUS_COL(V1__GetGuildNamesByIDsResponse__GuildNamesEntry, value, "name")};
  static const V1__GetGuildNamesByIDsResponse__GuildNamesEntry tmpl =
      V1__GET_GUILD_NAMES_BY_IDS_RESPONSE__GUILD_NAMES_ENTRY__INIT;
  names_job *j = job;
  j->found = HOST->req_alloc(req, (j->n + 1) * sizeof(*j->found));
  j->nfound = 0;
  for (size_t at = 0; at < j->n; at += NAMES_BATCH) {
    stratus_sql_value params[NAMES_BATCH];
    for (size_t i = 0; i < NAMES_BATCH; i++) /* padded with 0, which no guild has */
      params[i] = STRATUS_SQL_UINT_V(at + i < j->n ? j->ids[at + i] : 0);
    stratus_rows *rows = NULL;
    int rc = HOST->sql_exec(db, NAMES_SQL, params, NAMES_BATCH, &rows);
    if (rc < 0) return rc;
    V1__GetGuildNamesByIDsResponse__GuildNamesEntry *batch;
    size_t n;
    rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(*batch), &tmpl,
                            (void **)&batch, &n);
    HOST->rows_free(rows);
    if (rc < 0) return rc;
    memcpy(j->found + j->nfound, batch, n * sizeof(*batch));
    j->nfound += n;
  }
  return 0;
}

static int names_reply(stratus_req *req, void *job) {
  names_job *j = job;
  V1__GetGuildNamesByIDsResponse *resp = HOST->req_alloc(req, sizeof(*resp));
  *resp = (V1__GetGuildNamesByIDsResponse)V1__GET_GUILD_NAMES_BY_IDS_RESPONSE__INIT;
  resp->guildnames = HOST->req_alloc(req, (j->nfound + 1) * sizeof(void *));
  for (size_t i = 0; i < j->nfound; i++) resp->guildnames[i] = &j->found[i];
  resp->n_guildnames = j->nfound;
  return HOST->req_reply(req, &resp->base);
}

/* ---- GetRosterInfo ------------------------------------------------------------- */

typedef V1__GetRosterInfoResponse__Member roster_member;
typedef V1__GetRosterInfoResponse__Rank roster_rank;
typedef V1__GetRosterInfoResponse__Rank__BankTabRight tab_right;

typedef struct member_row {
  roster_member m;
  uint32_t withdraw[GUILD_BANK_TABS + 1];
} member_row;

typedef struct right_row {
  uint32_t rid;
  tab_right r;
} right_row;

typedef struct roster_job {
  uint32_t guild;
  V1__GetRosterInfoResponse__Guild g;
  member_row *members;
  size_t nmembers;
  roster_rank *ranks;
  size_t nranks;
  right_row *rights;
  size_t nrights;
} roster_job;

static int roster_check(stratus_req *req, const void *request, void *job) {
  const V1__GetRosterInfoParams *in = request;
  return guild_id_ok(req, in->guildid, &((roster_job *)job)->guild);
}

static int collect(stratus_db *db, stratus_req *req, const char *sql, uint32_t guild,
                   const stratus_col *cols, size_t ncols, size_t size, const void *tmpl,
                   void **out, size_t *n) {
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db, sql, STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild)), &rows);
  if (rc < 0) return rc;
  rc = HOST->rows_collect(rows, req, cols, ncols, size, tmpl, out, n);
  HOST->rows_free(rows);
  return rc;
}

#define W(i) STRATUS_COL(member_row, withdraw[i], "tab" #i)
static const stratus_col member_cols[] = {
    STRATUS_COL(member_row, m.guid, "guid"),      STRATUS_COL(member_row, m.name, "name"),
    STRATUS_COL(member_row, m.status, "online"),  STRATUS_COL(member_row, m.rankid, "rank"),
    STRATUS_COL(member_row, m.lvl, "level"),      STRATUS_COL(member_row, m.classid, "class"),
    STRATUS_COL(member_row, m.gender, "gender"),  STRATUS_COL(member_row, m.areaid, "zone"),
    STRATUS_COL(member_row, m.logouttime, "logout_time"),
    STRATUS_COL(member_row, m.note, "pnote"),     STRATUS_COL(member_row, m.officernote, "offnote"),
    W(0), W(1), W(2), W(3), W(4), W(5),
    STRATUS_COL(member_row, withdraw[GUILD_BANK_TABS], "money"),
};

static int roster_members(stratus_db *db, stratus_req *req, roster_job *j) {
  static member_row tmpl = {.m = V1__GET_ROSTER_INFO_RESPONSE__MEMBER__INIT};
  return collect(db, req,
                 "SELECT m.guid, c.name, c.online, m.`rank`, c.level, c.class, c.gender, c.zone, "
                 "c.logout_time, m.pnote, m.offnote, COALESCE(w.tab0, 0) AS tab0, "
                 "COALESCE(w.tab1, 0) AS tab1, COALESCE(w.tab2, 0) AS tab2, "
                 "COALESCE(w.tab3, 0) AS tab3, COALESCE(w.tab4, 0) AS tab4, "
                 "COALESCE(w.tab5, 0) AS tab5, COALESCE(w.money, 0) AS money "
                 "FROM guild_member m JOIN characters c ON c.guid = m.guid "
                 "LEFT JOIN guild_member_withdraw w ON w.guid = m.guid "
                 "WHERE m.guildid = ? ORDER BY m.`rank`, m.guid",
                 j->guild, STRATUS_COLS(member_cols), sizeof(member_row), &tmpl,
                 (void **)&j->members, &j->nmembers);
}

static int roster_ranks(stratus_db *db, stratus_req *req, roster_job *j) {
  static const stratus_col rank_cols[] = {
      STRATUS_COL(roster_rank, id, "rid"), STRATUS_COL(roster_rank, flags, "rights"),
      STRATUS_COL(roster_rank, goldlimit, "BankMoneyPerDay")};
  static const stratus_col right_cols[] = {
      STRATUS_COL(right_row, rid, "rid"), STRATUS_COL(right_row, r.tabid, "TabId"),
      STRATUS_COL(right_row, r.flags, "gbright"),
      STRATUS_COL(right_row, r.withdrawitemlimit, "SlotPerDay")};
  static const roster_rank rank_tmpl = V1__GET_ROSTER_INFO_RESPONSE__RANK__INIT;
  static const right_row right_tmpl = {.r = V1__GET_ROSTER_INFO_RESPONSE__RANK__BANK_TAB_RIGHT__INIT};
  int rc = collect(db, req,
                   "SELECT rid, COALESCE(rights, 0) AS rights, BankMoneyPerDay FROM guild_rank "
                   "WHERE guildid = ? ORDER BY rid",
                   j->guild, STRATUS_COLS(rank_cols), sizeof(roster_rank), &rank_tmpl,
                   (void **)&j->ranks, &j->nranks);
  if (rc < 0) return rc;
  return collect(db, req,
                 "SELECT rid, TabId, gbright, SlotPerDay FROM guild_bank_right WHERE guildid = ? "
                 "ORDER BY rid, TabId",
                 j->guild, STRATUS_COLS(right_cols), sizeof(right_row), &right_tmpl,
                 (void **)&j->rights, &j->nrights);
}

static int roster_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {
      STRATUS_COL(V1__GetRosterInfoResponse__Guild, id, "guildid"),
      STRATUS_COL(V1__GetRosterInfoResponse__Guild, welcometext, "motd"),
      STRATUS_COL(V1__GetRosterInfoResponse__Guild, infotext, "info"),
      STRATUS_COL(V1__GetRosterInfoResponse__Guild, purchasedbanktabs, "tabs")};
  roster_job *j = job;
  j->g = (V1__GetRosterInfoResponse__Guild)V1__GET_ROSTER_INFO_RESPONSE__GUILD__INIT;
  int rc = gsql_one(db, req,
                    "SELECT guildid, motd, info, (SELECT COUNT(*) FROM guild_bank_tab t WHERE "
                    "t.guildid = g.guildid) AS tabs FROM guild g WHERE guildid = ?",
                    STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->guild)), STRATUS_COLS(cols), &j->g);
  if (rc <= 0) return rc < 0 ? rc : no_guild(req, j->guild);
  rc = roster_members(db, req, j);
  return rc < 0 ? rc : roster_ranks(db, req, j);
}

static void roster_rank_rights(stratus_req *req, roster_job *j) {
  j->g.ranks = HOST->req_alloc(req, (j->nranks + 1) * sizeof(void *));
  for (size_t i = 0; i < j->nranks; i++) {
    roster_rank *r = &j->ranks[i];
    j->g.ranks[i] = r;
    r->banktabrights = HOST->req_alloc(req, (j->nrights + 1) * sizeof(void *));
    for (size_t k = 0; k < j->nrights; k++)
      if (j->rights[k].rid == r->id) r->banktabrights[r->n_banktabrights++] = &j->rights[k].r;
  }
  j->g.n_ranks = j->nranks;
}

static int roster_reply(stratus_req *req, void *job) {
  roster_job *j = job;
  guild_plugin *p = HOST->req_ud(req);
  uint32_t realm = HOST->req_realm(req);
  j->g.members = HOST->req_alloc(req, (j->nmembers + 1) * sizeof(void *));
  bool presence = true; /* else characters.online, as the worldserver wrote it */
  for (size_t i = 0; i < j->nmembers; i++) {
    member_row *row = &j->members[i];
    if (presence) {
      int rc = guild_is_online(p, realm, (uint32_t)row->m.guid, NULL);
      if (rc >= 0) row->m.status = (uint32_t)rc;
      presence = rc != STRATUS_ENOTSUP;
    }
    row->m.bankwithdraw = row->withdraw;
    row->m.n_bankwithdraw = GUILD_BANK_TABS + 1;
    j->g.members[i] = &row->m;
  }
  j->g.n_members = j->nmembers;
  roster_rank_rights(req, j);
  V1__GetRosterInfoResponse *resp = HOST->req_alloc(req, sizeof(*resp));
  *resp = (V1__GetRosterInfoResponse)V1__GET_ROSTER_INFO_RESPONSE__INIT;
  resp->guild = &j->g;
  return HOST->req_reply(req, &resp->base);
}

#define READ(method, prefix, type)                                                  \
  {.name = method, .job_size = sizeof(type), .pool = "characters",                  \
   .realm_field = "realmID", .check = prefix##_check, .work = prefix##_work,        \
   .reply = prefix##_reply}

const stratus_method guild_read_methods[] = {
    READ("GetGuildInfo", info, info_job),
    READ("GetGuildNamesByIDs", names, names_job),
    READ("GetRosterInfo", roster, roster_job),
};
const size_t guild_read_count = sizeof(guild_read_methods) / sizeof(guild_read_methods[0]);
