/* Membership, rank rights and daily withdraw counters, read inside the
 * mutation's transaction (worker threads). */
#include <stdio.h>
#include <string.h>

#include "guildbank.h"

static const char *const tab_columns[BANK_MAX_TABS] = {"tab0", "tab1", "tab2",
                                                       "tab3", "tab4", "tab5"};

const char *bank_tab_column(uint32_t tab) { return tab < BANK_MAX_TABS ? tab_columns[tab] : NULL; }

static int member_rank(stratus_db *db, bank_who *who) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT `rank` FROM guild_member WHERE guid = ? AND guildid = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(who->member),
                                             STRATUS_SQL_UINT_V(who->guild)),
                          &rows);
  if (rc) return rc;
  rc = HOST->rows_next(rows);
  if (rc == 1) who->rank = (uint8_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return rc < 0 ? rc : rc == 1 ? BANK_OK : BANK_NOT_IN_GUILD;
}

/* Returns a negative error, or a bank status (BANK_OK when a member). */
int bank_member_lock(stratus_db *db, bank_who *who, uint64_t *money) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT BankMoney FROM guild WHERE guildid = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(who->guild)), &rows);
  if (rc) return rc;
  rc = HOST->rows_next(rows);
  if (rc == 1 && money) *money = HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  if (rc != 1) return rc < 0 ? rc : BANK_NO_GUILD;
  return member_rank(db, who);
}

int bank_member_read(stratus_db *db, bank_who *who) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT 1 FROM guild WHERE guildid = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(who->guild)), &rows);
  if (rc) return rc;
  rc = HOST->rows_next(rows);
  HOST->rows_free(rows);
  if (rc != 1) return rc < 0 ? rc : BANK_NO_GUILD;
  return member_rank(db, who);
}

int bank_tab_rights(stratus_db *db, const bank_who *who, uint32_t tab, uint32_t *rights,
                    uint32_t *slots_per_day) {
  if (who->rank == RANK_GUILD_MASTER) {
    *rights = 0xFF;
    *slots_per_day = UNLIMITED;
    return 0;
  }
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT gbright, SlotPerDay FROM guild_bank_right "
                              "WHERE guildid = ? AND TabId = ? AND rid = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(who->guild),
                                             STRATUS_SQL_UINT_V(tab),
                                             STRATUS_SQL_UINT_V(who->rank)),
                          &rows);
  if (rc) return rc;
  *rights = *slots_per_day = 0;
  if ((rc = HOST->rows_next(rows)) == 1) {
    *rights = (uint32_t)HOST->rows_uint(rows, 0);
    *slots_per_day = (uint32_t)HOST->rows_uint(rows, 1);
  }
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

int bank_withdrawn(stratus_db *db, uint32_t member, const char *column, uint32_t *out) {
  char sql[96];
  stratus_rows *rows;
  snprintf(sql, sizeof(sql), "SELECT %s FROM guild_member_withdraw WHERE guid = ?", column);
  int rc = HOST->sql_exec(db, sql, STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(member)), &rows);
  if (rc) return rc;
  *out = 0;
  if ((rc = HOST->rows_next(rows)) == 1) *out = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

/* delta may be negative (a rollback); the counter never goes below 0. */
int bank_count_withdraw(stratus_db *db, uint32_t member, const char *column, int64_t delta) {
  char sql[256];
  snprintf(sql, sizeof(sql),
           "INSERT INTO guild_member_withdraw (guid, %s) VALUES (?, GREATEST(?, 0)) "
           "ON DUPLICATE KEY UPDATE %s = GREATEST(CAST(%s AS SIGNED) + ?, 0)",
           column, column, column);
  return HOST->sql_exec(db, sql,
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(member), STRATUS_SQL_INT_V(delta),
                                           STRATUS_SQL_INT_V(delta)),
                        NULL);
}

int bank_tab_exists(stratus_db *db, uint32_t guild, uint32_t tab) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT 1 FROM guild_bank_tab WHERE guildid = ? AND TabId = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab)),
                          &rows);
  if (rc) return rc;
  rc = HOST->rows_next(rows);
  HOST->rows_free(rows);
  return rc;
}
