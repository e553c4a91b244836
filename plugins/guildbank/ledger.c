/* The operations ledger (replays, at-most-once rollbacks) and the bank log
 * (worker threads, inside the mutation's transaction). */
#include <time.h>

#include "guildbank.h"

static const stratus_col op_cols[] = {
    STRATUS_COL(bank_op, status, "status"),         STRATUS_COL(bank_op, log_guid, "log_guid"),
    STRATUS_COL(bank_op, item_guid, "item_guid"),   STRATUS_COL(bank_op, item_entry, "item_entry"),
    STRATUS_COL(bank_op, item_count, "item_count"), STRATUS_COL(bank_op, tab, "tab_id"),
    STRATUS_COL(bank_op, slot, "slot_id"),
};

int bank_op_find(stratus_db *db, uint32_t guild, const char *key, bank_op *op) {
  if (!key || !*key) return 0;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT status, log_guid, item_guid, item_entry, item_count, tab_id, "
                          "slot_id FROM stratus_guild_bank_op WHERE guildid = ? AND op_key = ? "
                          "FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), stratus_sql_text(key)),
                          &rows);
  if (rc) return rc;
  rc = HOST->rows_read(rows, NULL, STRATUS_COLS(op_cols), op);
  HOST->rows_free(rows);
  return rc;
}

int bank_op_record(stratus_db *db, uint32_t guild, const char *key, const bank_op *op) {
  if (!key || !*key) return 0;
  return HOST->sql_exec(
      db,
      "INSERT INTO stratus_guild_bank_op (guildid, op_key, status, log_guid, item_guid, "
      "item_entry, item_count, tab_id, slot_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), stratus_sql_text(key),
                         STRATUS_SQL_UINT_V(op->status), STRATUS_SQL_UINT_V(op->log_guid),
                         STRATUS_SQL_UINT_V(op->item_guid), STRATUS_SQL_UINT_V(op->item_entry),
                         STRATUS_SQL_UINT_V(op->item_count), STRATUS_SQL_UINT_V(op->tab),
                         STRATUS_SQL_UINT_V(op->slot), STRATUS_SQL_UINT_V(time(NULL))),
      NULL);
}

int bank_next_log(stratus_db *db, uint32_t guild, uint32_t *log_guid) {
  stratus_rows *rows;
  /* The first number of a guild continues after what the core logged. */
  int rc = HOST->sql_exec(db,
                          "INSERT INTO stratus_guild_bank_seq (guildid, next_log) "
                          "SELECT ?, COALESCE(MAX(LogGuid), 0) FROM guild_bank_eventlog "
                          "WHERE guildid = ? ON DUPLICATE KEY UPDATE next_log = next_log",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(guild)),
                          NULL);
  if (rc) return rc;
  rc = HOST->sql_exec(db,
                      "UPDATE stratus_guild_bank_seq SET next_log = LAST_INSERT_ID(next_log + 1) "
                      "WHERE guildid = ?",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild)), &rows);
  if (rc) return rc;
  *log_guid = (uint32_t)HOST->rows_insert_id(rows);
  HOST->rows_free(rows);
  return *log_guid ? 0 : STRATUS_EDB;
}

int bank_log(stratus_db *db, uint32_t guild, uint32_t log_guid, uint32_t tab, int type,
             uint32_t player, uint32_t item_or_money, uint32_t count, uint32_t dest_tab) {
  return HOST->sql_exec(
      db,
      "INSERT INTO guild_bank_eventlog (guildid, LogGuid, TabId, EventType, PlayerGuid, "
      "ItemOrMoney, ItemStackCount, DestTabId, TimeStamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(log_guid),
                         STRATUS_SQL_UINT_V(tab), STRATUS_SQL_UINT_V(type),
                         STRATUS_SQL_UINT_V(player), STRATUS_SQL_UINT_V(item_or_money),
                         STRATUS_SQL_UINT_V(count > 0xFFFF ? 0xFFFF : count),
                         STRATUS_SQL_UINT_V(dest_tab), STRATUS_SQL_UINT_V(time(NULL))),
      NULL);
}
