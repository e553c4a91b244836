/*
 * Reading the bank: GetGuildBank (money, tabs, a tab's items, remaining
 * withdrawals), GetGuildBankLog (a tab's log, or the money log as tab 100)
 * and GetGuildBankTabText. A member sees a tab's items with its view right.
 */
#include <time.h>

#include "guildbank.h"

#define LOG_ENTRIES 25 /* GUILD_BANK_MAX_LOGS */

typedef struct read_job {
  bank_who who;
  uint32_t tab;
  bool full;
  uint32_t status;
  uint64_t money;
  int32_t remaining;
  V1__GuildBankTab *tabs;
  size_t ntabs;
  V1__GuildBankItem *items;
  size_t nitems;
  V1__GuildBankLogEntry *log;
  size_t nlog;
  char *text;
} read_job;

static int read_check(stratus_req *req, uint64_t guild, uint64_t member, uint32_t tab,
                      bool money_tab_ok, read_job *j) {
  int rc = bank_who_from(req, "", guild, member, &j->who);
  if (!rc && !(money_tab_ok && tab == BANK_MONEY_LOG_TAB)) rc = bank_tab_ok(req, tab);
  j->tab = tab;
  return rc;
}

/* The member's view right on the tab, and withdrawals left today. */
static int viewer(stratus_db *db, read_job *j) {
  uint32_t rights, per_day, taken;
  int rc = bank_member_read(db, &j->who);
  if (rc != BANK_OK) return rc;
  if (j->tab == BANK_MONEY_LOG_TAB) return BANK_OK;
  if ((rc = bank_tab_rights(db, &j->who, j->tab, &rights, &per_day))) return rc;
  if ((rc = bank_withdrawn(db, j->who.member, bank_tab_column(j->tab), &taken))) return rc;
  j->remaining = per_day == UNLIMITED ? -1 : per_day > taken ? (int32_t)(per_day - taken) : 0;
  return rights & TAB_VIEW ? BANK_OK : BANK_NO_RIGHTS;
}

static const stratus_col tab_cols[] = {
    STRATUS_COL(V1__GuildBankTab, tabid, "TabId"), STRATUS_COL(V1__GuildBankTab, name, "TabName"),
    STRATUS_COL(V1__GuildBankTab, icon, "TabIcon"), STRATUS_COL(V1__GuildBankTab, text, "TabText")};

static const stratus_col item_cols[] = {
    STRATUS_COL(V1__GuildBankItem, itemguid, "guid"),
    STRATUS_COL(V1__GuildBankItem, entry, "itemEntry"),
    STRATUS_COL(V1__GuildBankItem, slot, "SlotId"),
    STRATUS_COL(V1__GuildBankItem, count, "count"),
    STRATUS_COL(V1__GuildBankItem, flags, "flags"),
    STRATUS_COL(V1__GuildBankItem, randompropertyid, "randomPropertyId"),
    STRATUS_COL(V1__GuildBankItem, durability, "durability"),
    STRATUS_COL(V1__GuildBankItem, text, "text")};

static int collect(stratus_db *db, stratus_req *req, const char *sql, uint32_t guild,
                   uint32_t tab, const stratus_col *cols, size_t ncols, size_t size,
                   const void *tmpl, void **out, size_t *n) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, sql,
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab)),
                          &rows);
  if (rc) return rc;
  rc = HOST->rows_collect(rows, req, cols, ncols, size, tmpl, out, n);
  HOST->rows_free(rows);
  return rc;
}

static int bank_work(stratus_db *db, stratus_req *req, void *job) {
  static const V1__GuildBankTab tab_init = V1__GUILD_BANK_TAB__INIT;
  static const V1__GuildBankItem item_init = V1__GUILD_BANK_ITEM__INIT;
  read_job *j = job;
  stratus_rows *rows;
  int rc = viewer(db, j);
  j->status = rc < 0 ? BANK_FAILED : (uint32_t)rc;
  if (rc != BANK_OK && rc != BANK_NO_RIGHTS) return rc < 0 ? rc : 0;
  if ((rc = HOST->sql_exec(db, "SELECT BankMoney FROM guild WHERE guildid = ?",
                           STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.guild)), &rows)))
    return rc;
  if (HOST->rows_next(rows) == 1) j->money = HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  if (j->full &&
      (rc = collect(db, req, "SELECT TabId, TabName, TabIcon, COALESCE(TabText, '') AS TabText "
                             "FROM guild_bank_tab WHERE guildid = ? AND TabId < ? ORDER BY TabId",
                    j->who.guild, BANK_MAX_TABS, STRATUS_COLS(tab_cols), sizeof(V1__GuildBankTab),
                    &tab_init, (void **)&j->tabs, &j->ntabs)))
    return rc;
  if (j->status != BANK_OK) return 0; /* no view right: money and tabs only */
  return collect(db, req,
                 "SELECT i.guid, i.itemEntry, b.SlotId, i.count, i.flags, i.randomPropertyId, "
                 "i.durability, COALESCE(i.text, '') AS text FROM guild_bank_item b "
                 "JOIN item_instance i ON i.guid = b.item_guid "
                 "WHERE b.guildid = ? AND b.TabId = ? ORDER BY b.SlotId",
                 j->who.guild, j->tab, STRATUS_COLS(item_cols), sizeof(V1__GuildBankItem),
                 &item_init, (void **)&j->items, &j->nitems);
}

/* An arena array of pointers to n elements of size bytes. */
static void *pointers(stratus_req *req, void *base, size_t n, size_t size) {
  void **p = HOST->req_alloc(req, (n ? n : 1) * sizeof(void *));
  for (size_t i = 0; i < n; i++) p[i] = (char *)base + i * size;
  return p;
}

static int bank_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGuildBankParams *p = request;
  read_job *j = job;
  j->full = p->fullupdate;
  return read_check(req, p->guildid, p->memberguid, p->tabid, false, j);
}

static int bank_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__GetGuildBankResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__get_guild_bank_response__init(r);
  r->status = (V1__GuildBankStatus__Status)j->status;
  r->money = j->money;
  r->tabid = j->tab;
  r->withdrawalsremaining = j->remaining;
  r->fullupdate = j->full;
  r->n_tabs = j->ntabs;
  r->tabs = pointers(req, j->tabs, j->ntabs, sizeof(*j->tabs));
  r->n_items = j->nitems;
  r->items = pointers(req, j->items, j->nitems, sizeof(*j->items));
  return HOST->req_reply(req, &r->base);
}

/* ---- the log ------------------------------------------------------------------------------ */

typedef struct log_row {
  uint32_t player, time, type, item_or_money, count, dest;
} log_row;

static const stratus_col log_cols[] = {
    STRATUS_COL(log_row, player, "PlayerGuid"), STRATUS_COL(log_row, time, "TimeStamp"),
    STRATUS_COL(log_row, type, "EventType"),    STRATUS_COL(log_row, item_or_money, "ItemOrMoney"),
    STRATUS_COL(log_row, count, "ItemStackCount"), STRATUS_COL(log_row, dest, "DestTabId")};

static int log_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGuildBankLogParams *p = request;
  return read_check(req, p->guildid, p->memberguid, p->tabid, true, job);
}

static void fill_entry(const log_row *row, uint32_t now, bool money, V1__GuildBankLogEntry *e) {
  v1__guild_bank_log_entry__init(e);
  e->playerguid = row->player;
  e->timeoffset = now > row->time ? now - row->time : 0;
  e->entrytype = (int32_t)row->type;
  if (money) {
    e->money = row->item_or_money;
  } else {
    e->itemid = (int32_t)row->item_or_money;
    e->count = (int32_t)row->count;
    e->othertab = (int32_t)row->dest;
  }
}

static int log_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  log_row *rows_out = NULL;
  size_t n = 0;
  int rc = viewer(db, j);
  j->status = rc < 0 ? BANK_FAILED : (uint32_t)rc;
  if (rc != BANK_OK) return rc < 0 ? rc : 0;
  rc = collect(db, req,
               "SELECT PlayerGuid, TimeStamp, EventType, ItemOrMoney, ItemStackCount, DestTabId "
               "FROM guild_bank_eventlog WHERE guildid = ? AND TabId = ? "
               "ORDER BY LogGuid DESC LIMIT 25",
               j->who.guild, j->tab, STRATUS_COLS(log_cols), sizeof(log_row), NULL,
               (void **)&rows_out, &n);
  if (rc) return rc;
  j->log = HOST->req_alloc(req, (n ? n : 1) * sizeof(*j->log));
  uint32_t now = (uint32_t)time(NULL);
  for (size_t i = 0; i < n; i++)
    fill_entry(&rows_out[i], now, j->tab == BANK_MONEY_LOG_TAB, &j->log[i]);
  j->nlog = n;
  return 0;
}

static int log_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__GetGuildBankLogResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__get_guild_bank_log_response__init(r);
  r->status = (V1__GuildBankStatus__Status)j->status;
  r->tabid = j->tab;
  r->n_entries = j->nlog;
  r->entries = pointers(req, j->log, j->nlog, sizeof(*j->log));
  return HOST->req_reply(req, &r->base);
}

/* ---- tab text ------------------------------------------------------------------------------ */

static int text_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGuildBankTabTextParams *p = request;
  return read_check(req, p->guildid, p->memberguid, p->tabid, false, job);
}

static int text_work(stratus_db *db, stratus_req *req, void *job) {
  read_job *j = job;
  stratus_rows *rows;
  int rc = viewer(db, j);
  j->status = rc < 0 ? BANK_FAILED : (uint32_t)rc;
  if (rc != BANK_OK) return rc < 0 ? rc : 0;
  rc = HOST->sql_exec(db, "SELECT COALESCE(TabText, '') FROM guild_bank_tab "
                          "WHERE guildid = ? AND TabId = ?",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.guild),
                                         STRATUS_SQL_UINT_V(j->tab)),
                      &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) {
    size_t len;
    const char *t = HOST->rows_text(rows, 0, &len);
    j->text = HOST->req_strdup(req, t, len);
  } else if (rc == 0) {
    j->status = BANK_BAD_TAB;
  }
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

static int text_reply(stratus_req *req, void *job) {
  read_job *j = job;
  V1__GetGuildBankTabTextResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__get_guild_bank_tab_text_response__init(r);
  r->status = (V1__GuildBankStatus__Status)j->status;
  r->tabid = j->tab;
  r->text = j->text ? j->text : (char *)"";
  return HOST->req_reply(req, &r->base);
}

#define READ_METHOD(method, prefix)                                                       \
  {.name = method, .job_size = sizeof(read_job), .pool = "characters",                      \
   .realm_field = "realmID", .check = prefix##_check, .work = prefix##_work,                \
   .reply = prefix##_reply}

const stratus_method bank_read_methods[] = {
    READ_METHOD("GetGuildBank", bank),
    READ_METHOD("GetGuildBankLog", log),
    READ_METHOD("GetGuildBankTabText", text),
};
const size_t bank_read_methods_n = sizeof(bank_read_methods) / sizeof(bank_read_methods[0]);
