/*
 * Guild bank tabs:
 *   BuyGuildBankTab       the guild master buys the next tab; its price is
 *                         answered for the gateway to charge (the gateway
 *                         debits the player first and refunds on a refusal)
 *   UpdateGuildBankTab    name and icon (guild master)
 *   SetGuildBankTabText   the tab's text (the rank's update-text right)
 */
#include <stdio.h>
#include <string.h>

#include "guildbank.h"

/* AzerothCore's tab prices in gold, by tab. */
static const uint32_t tab_price_gold[BANK_MAX_TABS] = {100, 250, 500, 1000, 2500, 5000};

#define TAB_NAME_CHARS 16
#define TAB_ICON_CHARS 100
#define TAB_TEXT_CHARS 500

typedef struct tab_job {
  bank_who who;
  uint32_t tab;
  const char *name, *icon, *text; /* the request's, valid until the answer */
  uint32_t status;
} tab_job;

static int text_ok(stratus_req *req, const char *s, int max_chars, const char *what) {
  size_t chars;
  if (!stratus_utf8_valid(s, strlen(s), &chars))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is not UTF-8", what);
  if (chars > (size_t)max_chars)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is longer than %d characters",
                          what, max_chars);
  return 0;
}

static int tab_check(stratus_req *req, const char *op, uint64_t guild, uint64_t member,
                     uint32_t tab, tab_job *j) {
  int rc = bank_who_from(req, op, guild, member, &j->who);
  if (!rc) rc = bank_tab_ok(req, tab);
  j->tab = tab;
  return rc;
}

static int tab_reply(stratus_req *req, void *job) {
  tab_job *j = job;
  return bank_reply_action(req, j->status, 0);
}

/* The member's status for a tab change; `need` 0 = guild master only. */
static int may_change(stratus_db *db, tab_job *j, uint32_t need) {
  int rc = bank_member_lock(db, &j->who, NULL);
  if (rc != BANK_OK) return rc;
  if ((rc = bank_tab_exists(db, j->who.guild, j->tab)) != 1) return rc < 0 ? rc : BANK_BAD_TAB;
  if (j->who.rank == RANK_GUILD_MASTER) return BANK_OK;
  if (!need) return BANK_NO_RIGHTS;
  uint32_t rights, slots;
  if ((rc = bank_tab_rights(db, &j->who, j->tab, &rights, &slots))) return rc;
  return (rights & need) == need ? BANK_OK : BANK_NO_RIGHTS;
}

/* ---- buy ------------------------------------------------------------------------------ */

typedef struct buy_job {
  tab_job t;
  uint32_t cost; /* copper */
} buy_job;

static int buy_check(stratus_req *req, const void *request, void *job) {
  const V1__BuyGuildBankTabParams *p = request;
  return tab_check(req, "buy-tab", p->guildid, p->memberguid, p->tabid, job);
}

static int tabs_owned(stratus_db *db, uint32_t guild, uint32_t *n) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT COUNT(*) FROM guild_bank_tab WHERE guildid = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild)), &rows);
  if (rc) return rc;
  rc = HOST->rows_next(rows);
  *n = rc == 1 ? (uint32_t)HOST->rows_uint(rows, 0) : 0;
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

/* Every rank gets the tab with no rights but the guild master's. */
static int add_tab(stratus_db *db, uint32_t guild, uint32_t tab) {
  int rc = HOST->sql_exec(db, "INSERT INTO guild_bank_tab (guildid, TabId) VALUES (?, ?)",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab)),
                          NULL);
  if (rc) return rc;
  return HOST->sql_exec(db,
                        "INSERT IGNORE INTO guild_bank_right (guildid, TabId, rid, gbright, "
                        "SlotPerDay) SELECT guildid, ?, rid, IF(rid = 0, 255, 0), "
                        "IF(rid = 0, 4294967295, 0) FROM guild_rank WHERE guildid = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(tab), STRATUS_SQL_UINT_V(guild)),
                        NULL);
}

static int buy_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  buy_job *b = job;
  tab_job *j = &b->t;
  bank_op op;
  uint32_t owned = 0, log_guid;
  int rc = bank_member_lock(db, &j->who, NULL), replay;
  if (rc < 0) return rc;
  if ((replay = bank_op_find(db, j->who.guild, j->who.key, &op))) {
    j->status = op.status;
    b->cost = tab_price_gold[j->tab] * 10000u;
    return replay < 0 ? replay : 0;
  }
  if (rc == BANK_OK && j->who.rank != RANK_GUILD_MASTER) rc = BANK_NO_RIGHTS;
  if (rc == BANK_OK) rc = tabs_owned(db, j->who.guild, &owned);
  if (rc == BANK_OK && owned != j->tab) rc = BANK_BAD_TAB; /* tabs are bought in order */
  if (rc != BANK_OK) { /* recorded: a retry answers the same refusal */
    op = (bank_op){.status = j->status = (uint32_t)rc, .tab = j->tab};
    return rc < 0 ? rc : bank_op_record(db, j->who.guild, j->who.key, &op);
  }
  b->cost = tab_price_gold[j->tab] * 10000u;
  if ((rc = add_tab(db, j->who.guild, j->tab))) return rc;
  if ((rc = bank_next_log(db, j->who.guild, &log_guid))) return rc;
  rc = bank_log(db, j->who.guild, log_guid, BANK_MONEY_LOG_TAB, LOG_BUY_SLOT, j->who.member,
                b->cost, 0, 0);
  op = (bank_op){.status = BANK_OK, .log_guid = log_guid, .tab = j->tab};
  if (!rc) rc = bank_op_record(db, j->who.guild, j->who.key, &op);
  j->status = BANK_OK;
  return rc;
}

static int buy_reply(stratus_req *req, void *job) {
  buy_job *b = job;
  V1__BuyGuildBankTabResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__buy_guild_bank_tab_response__init(r);
  r->status = (V1__GuildBankStatus__Status)b->t.status;
  r->tabcost = b->t.status == BANK_OK ? b->cost : 0;
  return HOST->req_reply(req, &r->base);
}

/* ---- name, icon, text --------------------------------------------------------------------- */

static int update_check(stratus_req *req, const void *request, void *job) {
  const V1__UpdateGuildBankTabParams *p = request;
  tab_job *j = job;
  int rc = tab_check(req, "", p->guildid, p->memberguid, p->tabid, j);
  if (!rc) rc = text_ok(req, p->name, TAB_NAME_CHARS, "name");
  if (!rc) rc = text_ok(req, p->icon, TAB_ICON_CHARS, "icon");
  j->name = p->name;
  j->icon = p->icon;
  return rc;
}

static int update_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  tab_job *j = job;
  int rc = may_change(db, j, 0);
  j->status = rc < 0 ? BANK_FAILED : (uint32_t)rc;
  if (rc != BANK_OK) return rc < 0 ? rc : 0;
  return HOST->sql_exec(db, "UPDATE guild_bank_tab SET TabName = ?, TabIcon = ? "
                            "WHERE guildid = ? AND TabId = ?",
                        STRATUS_SQL_PARAMS(stratus_sql_text(j->name), stratus_sql_text(j->icon),
                                           STRATUS_SQL_UINT_V(j->who.guild),
                                           STRATUS_SQL_UINT_V(j->tab)),
                        NULL);
}

static int text_check(stratus_req *req, const void *request, void *job) {
  const V1__SetGuildBankTabTextParams *p = request;
  tab_job *j = job;
  int rc = tab_check(req, "", p->guildid, p->memberguid, p->tabid, j);
  if (!rc) rc = text_ok(req, p->text, TAB_TEXT_CHARS, "text");
  j->text = p->text;
  return rc;
}

static int text_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  tab_job *j = job;
  int rc = may_change(db, j, TAB_UPDATE_TEXT);
  j->status = rc < 0 ? BANK_FAILED : (uint32_t)rc;
  if (rc != BANK_OK) return rc < 0 ? rc : 0;
  return HOST->sql_exec(db, "UPDATE guild_bank_tab SET TabText = ? WHERE guildid = ? AND TabId = ?",
                        STRATUS_SQL_PARAMS(stratus_sql_text(j->text),
                                           STRATUS_SQL_UINT_V(j->who.guild),
                                           STRATUS_SQL_UINT_V(j->tab)),
                        NULL);
}

#define TAB_METHOD(method, prefix, job, reply_fn)                                        \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(job),                  \
   .pool = "characters", .realm_field = "realmID", .check = prefix##_check,               \
   .work = prefix##_work, .reply = reply_fn}

const stratus_method bank_tab_methods[] = {
    TAB_METHOD("BuyGuildBankTab", buy, buy_job, buy_reply),
    TAB_METHOD("UpdateGuildBankTab", update, tab_job, tab_reply),
    TAB_METHOD("SetGuildBankTabText", text, tab_job, tab_reply),
};
const size_t bank_tab_methods_n = sizeof(bank_tab_methods) / sizeof(bank_tab_methods[0]);
