/*
 * guildbank: the 13 guild bank methods of GuildService (money, tabs, items,
 * moves, logs) on AzerothCore's guild bank tables, each mutation one
 * transaction on the guild's realm database, idempotent under retries.
 * Internal header shared by the plugin's files.
 */
#ifndef STRATUS_GUILDBANK_H
#define STRATUS_GUILDBANK_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/proto/guilds/guilds.pb-c.h>
#include <stratus/stratus.h>

#include "hmap.h"

/* AzerothCore's limits and flags (Guild.h). */
#define BANK_MAX_TABS 6u
#define BANK_MAX_SLOTS 98u
#define BANK_MONEY_LOG_TAB 100u
#define UNLIMITED 0xFFFFFFFFu
#define RANK_GUILD_MASTER 0u
#define RIGHT_WITHDRAW_REPAIR 0x00040000u /* GR_RIGHT_WITHDRAW_REPAIR */
#define RIGHT_WITHDRAW_GOLD 0x00080000u   /* GR_RIGHT_WITHDRAW_GOLD */
#define TAB_VIEW 0x01u                    /* GUILD_BANK_RIGHT_VIEW_TAB */
#define TAB_PUT_ITEM 0x02u                /* GUILD_BANK_RIGHT_PUT_ITEM */
#define TAB_UPDATE_TEXT 0x04u             /* GUILD_BANK_RIGHT_UPDATE_TEXT */

/* GuildBankEventLogTypes */
enum {
  LOG_DEPOSIT_ITEM = 1,
  LOG_WITHDRAW_ITEM = 2,
  LOG_MOVE_ITEM = 3,
  LOG_DEPOSIT_MONEY = 4,
  LOG_WITHDRAW_MONEY = 5,
  LOG_REPAIR_MONEY = 6,
  LOG_BUY_SLOT = 9,
};

/* v1.GuildBankStatus.Status, shorter. */
enum {
  BANK_OK = V1__GUILD_BANK_STATUS__STATUS__Ok,
  BANK_FAILED = V1__GUILD_BANK_STATUS__STATUS__Failed,
  BANK_NO_GUILD = V1__GUILD_BANK_STATUS__STATUS__GuildNotFound,
  BANK_NOT_IN_GUILD = V1__GUILD_BANK_STATUS__STATUS__NotInGuild,
  BANK_NO_RIGHTS = V1__GUILD_BANK_STATUS__STATUS__NotEnoughRights,
  BANK_BAD_TAB = V1__GUILD_BANK_STATUS__STATUS__InvalidTab,
  BANK_BAD_SLOT = V1__GUILD_BANK_STATUS__STATUS__InvalidSlot,
  BANK_NO_MONEY = V1__GUILD_BANK_STATUS__STATUS__NotEnoughMoney,
  BANK_FULL = V1__GUILD_BANK_STATUS__STATUS__BankFull,
  BANK_LIMIT = V1__GUILD_BANK_STATUS__STATUS__WithdrawLimit,
  BANK_NO_ITEM = V1__GUILD_BANK_STATUS__STATUS__ItemNotFound,
};

typedef struct bank_config {
  const char *world_pool;
  int64_t log_keep; /* bank log rows kept per guild and tab */
} bank_config;

typedef struct bank {
  const bank_config *cfg;
  stratus_ctx *ctx;
  hmap stacks; /* item entry -> max stack (loop thread) */
} bank;

extern const stratus_host_api *bank_host;
#define HOST bank_host

/* Who asks, and about which guild: the common head of every request. */
typedef struct bank_who {
  uint32_t guild;
  uint32_t member; /* low GUID */
  uint8_t rank;    /* filled by bank_member_lock */
  char key[101];   /* op key: "<op>:<x-idempotency-key>", "" if none */
} bank_who;

/* ---- checks.c (loop thread) ---------------------------------------------------- */

/* Fills `who` from the request's guild and member and the call's
 * x-idempotency-key; records INVALID_ARGUMENT and returns its code when bad. */
int bank_who_from(stratus_req *req, const char *op, uint64_t guild, uint64_t member,
                  bank_who *who);
int bank_tab_ok(stratus_req *req, uint32_t tab);
int bank_slot_ok(stratus_req *req, uint32_t slot);

/* ---- rights.c (worker, inside the transaction) ----------------------------------- */

/* Locks the guild row (FOR UPDATE) and reads the member's rank. */
int bank_member_lock(stratus_db *db, bank_who *who, uint64_t *money);
/* Reads the member's rank without locking (reads). */
int bank_member_read(stratus_db *db, bank_who *who);
/* The rank's rights on a tab (the guild master has all), and its daily
 * item withdraw limit. */
int bank_tab_rights(stratus_db *db, const bank_who *who, uint32_t tab, uint32_t *rights,
                    uint32_t *slots_per_day);
/* Items (per tab) or money ("money") the member withdrew today. */
int bank_withdrawn(stratus_db *db, uint32_t member, const char *column, uint32_t *out);
int bank_count_withdraw(stratus_db *db, uint32_t member, const char *column, int64_t delta);
/* guild_member_withdraw column of a tab: "tab0".."tab5". */
const char *bank_tab_column(uint32_t tab);
int bank_tab_exists(stratus_db *db, uint32_t guild, uint32_t tab);

/* ---- ledger.c (worker) --------------------------------------------------------------- */

typedef struct bank_op {
  uint32_t status, log_guid, item_guid, item_entry, item_count, tab, slot;
} bank_op;

/* 1 and *op when `key` was done before, 0 when not (or no key). */
int bank_op_find(stratus_db *db, uint32_t guild, const char *key, bank_op *op);
/* Records `key` as done with `op` (no-op without a key). */
int bank_op_record(stratus_db *db, uint32_t guild, const char *key, const bank_op *op);
/* The next bank log number of a guild. */
int bank_next_log(stratus_db *db, uint32_t guild, uint32_t *log_guid);
int bank_log(stratus_db *db, uint32_t guild, uint32_t log_guid, uint32_t tab, int type,
             uint32_t player, uint32_t item_or_money, uint32_t count, uint32_t dest_tab);

/* ---- items.c (worker) ------------------------------------------------------------------ */

typedef struct bank_item {
  uint32_t guid, entry, count, flags, durability, enchant;
  int32_t random_property, random_seed;
  uint32_t charges;
  char *text;
} bank_item;

int bank_item_in_slot(stratus_db *db, stratus_req *req, uint32_t guild, uint32_t tab,
                      uint32_t slot, bank_item *out);
/* Where an item GUID is in the bank: 1 with tab/slot/guild, 0 if nowhere. */
int bank_item_where(stratus_db *db, uint32_t item_guid, uint32_t *guild, uint32_t *tab,
                    uint32_t *slot);
int bank_item_put(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t slot,
                  const bank_item *it);
/* Only the slot row (the item_instance row exists). */
int bank_slot_put(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t slot,
                  uint32_t item_guid);
int bank_item_set_count(stratus_db *db, uint32_t item_guid, uint32_t count);
int bank_item_remove(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t slot);
int bank_item_delete_instance(stratus_db *db, uint32_t item_guid);
/* A free slot of a tab (the lowest), or BANK_MAX_SLOTS when full. */
int bank_free_slot(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t *slot);
void bank_item_to_proto(stratus_req *req, const bank_item *it, uint32_t slot,
                        V1__GuildBankItem *out);
void bank_item_from_proto(const V1__GuildBankItem *in, bank_item *out);

/* ---- more.c: what a mutation may need before it can run -----------------------------
 * A work that needs a max stack size it was not given, or a new item GUID
 * for a split stack, sets `need` and returns 0 without writing anything;
 * the reply step fetches it (item_template on [db.world], or GuidService in
 * process) and runs the work again. */

typedef struct bank_needs {
  uint32_t stack_entry;  /* entry whose max stack the work lacks, 0 = none */
  bool guid;             /* a new item GUID is needed */
  uint32_t entries[4];   /* max stacks known to the work */
  uint32_t stacks[4];
  uint32_t new_guid;     /* 0 = none yet */
  uint8_t rounds;
} bank_needs;

/* The first member of every item job: what the continuation steps find. */
typedef struct bank_job_head {
  bank_needs needs;
  stratus_method_work work;   /* the mutation, run again after a fetch */
  stratus_method_reply reply;
  stratus_req *req;
  uint32_t fetched;           /* the max stack the world job read */
} bank_job_head;

/* The max stack of entry, 0 when the work must ask for it (sets need). */
uint32_t bank_stack_of(bank_needs *n, uint32_t entry);
/* Check step: remembers the call and its steps, and fills a known stack
 * from the plugin's cache (entry 0: none). */
void bank_job_start(stratus_req *req, bank_job_head *h, uint32_t entry,
                    stratus_method_work work, stratus_method_reply reply);
/* Reply step: if the work asked for something, fetch it and run the work
 * again (STRATUS_LATER, or a failure code); 0 when nothing was needed. */
int bank_fetch_needs(stratus_req *req, bank_job_head *h);

/* ---- per-method files: their method tables ----------------------------------------------- */

extern const stratus_method bank_money_methods[];
extern const size_t bank_money_methods_n;
extern const stratus_method bank_tab_methods[];
extern const size_t bank_tab_methods_n;
extern const stratus_method bank_item_methods[];
extern const size_t bank_item_methods_n;
extern const stratus_method bank_read_methods[];
extern const size_t bank_read_methods_n;

/* Answers a GuildBankActionResponse. */
int bank_reply_action(stratus_req *req, uint32_t status, uint32_t log_guid);
/* "characters.<realm>" of the request. */
void bank_realm_pool(stratus_req *req, char out[32]);

#endif
