/* Bank slots and the item_instance rows behind them (worker threads,
 * inside the mutation's transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guildbank.h"

static const stratus_col item_cols[] = {
    STRATUS_COL(bank_item, guid, "guid"),
    STRATUS_COL(bank_item, entry, "itemEntry"),
    STRATUS_COL(bank_item, count, "count"),
    STRATUS_COL(bank_item, flags, "flags"),
    STRATUS_COL(bank_item, durability, "durability"),
    STRATUS_COL(bank_item, random_property, "randomPropertyId"),
    STRATUS_COL(bank_item, charges, "charges"),
    STRATUS_COL(bank_item, text, "text"),
};

/* Locks the slot row and reads its item: 1 found, 0 empty, <0 error. */
int bank_item_in_slot(stratus_db *db, stratus_req *req, uint32_t guild, uint32_t tab,
                      uint32_t slot, bank_item *out) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(
      db,
      "SELECT b.item_guid AS guid, COALESCE(i.itemEntry, 0) AS itemEntry, "
      "COALESCE(i.count, 0) AS count, COALESCE(i.flags, 0) AS flags, "
      "COALESCE(i.durability, 0) AS durability, COALESCE(i.randomPropertyId, 0) AS "
      "randomPropertyId, CAST(COALESCE(i.charges, '0') AS UNSIGNED) AS charges, "
      "COALESCE(i.text, '') AS text "
      /* A slot whose item_instance row is missing still counts as taken. */
      "FROM guild_bank_item b LEFT JOIN item_instance i ON i.guid = b.item_guid "
      "WHERE b.guildid = ? AND b.TabId = ? AND b.SlotId = ? FOR UPDATE",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab),
                         STRATUS_SQL_UINT_V(slot)),
      &rows);
  if (rc) return rc;
  memset(out, 0, sizeof(*out));
  rc = HOST->rows_read(rows, req, STRATUS_COLS(item_cols), out);
  HOST->rows_free(rows);
  return rc;
}

int bank_item_where(stratus_db *db, uint32_t item_guid, uint32_t *guild, uint32_t *tab,
                    uint32_t *slot) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT guildid, TabId, SlotId FROM guild_bank_item "
                              "WHERE item_guid = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(item_guid)), &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) {
    *guild = (uint32_t)HOST->rows_uint(rows, 0);
    *tab = (uint32_t)HOST->rows_uint(rows, 1);
    *slot = (uint32_t)HOST->rows_uint(rows, 2);
  }
  HOST->rows_free(rows);
  return rc;
}

/* Writes the item_instance row (the bank owns it: owner 0) and the slot. */
int bank_item_put(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t slot,
                  const bank_item *it) {
  /* AzerothCore's text forms: five spell charges, and 12 enchantment
   * slots of (id duration charges), the permanent one first. */
  char charges[48], enchantments[128];
  snprintf(charges, sizeof(charges), "%u 0 0 0 0 ", it->charges);
  snprintf(enchantments, sizeof(enchantments), "%u 0 0 %s", it->enchant,
           "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ");
  int rc = HOST->sql_exec(
      db,
      "INSERT INTO item_instance (guid, itemEntry, owner_guid, count, charges, flags, "
      "enchantments, randomPropertyId, durability, text) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE itemEntry = VALUES(itemEntry), owner_guid = 0, "
      "count = VALUES(count), charges = VALUES(charges), flags = VALUES(flags), "
      "randomPropertyId = VALUES(randomPropertyId), durability = VALUES(durability), "
      "text = VALUES(text)",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(it->guid), STRATUS_SQL_UINT_V(it->entry),
                         STRATUS_SQL_UINT_V(it->count), stratus_sql_text(charges),
                         STRATUS_SQL_UINT_V(it->flags), stratus_sql_text(enchantments),
                         STRATUS_SQL_INT_V(it->random_property),
                         STRATUS_SQL_UINT_V(it->durability),
                         stratus_sql_text(it->text ? it->text : "")),
      NULL);
  return rc ? rc : bank_slot_put(db, guild, tab, slot, it->guid);
}

int bank_slot_put(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t slot,
                  uint32_t item_guid) {
  return HOST->sql_exec(db, "INSERT INTO guild_bank_item (guildid, TabId, SlotId, item_guid) "
                            "VALUES (?, ?, ?, ?)",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab),
                                           STRATUS_SQL_UINT_V(slot),
                                           STRATUS_SQL_UINT_V(item_guid)),
                        NULL);
}

int bank_item_set_count(stratus_db *db, uint32_t item_guid, uint32_t count) {
  return HOST->sql_exec(db, "UPDATE item_instance SET count = ? WHERE guid = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(count),
                                           STRATUS_SQL_UINT_V(item_guid)),
                        NULL);
}

int bank_item_remove(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t slot) {
  return HOST->sql_exec(db, "DELETE FROM guild_bank_item WHERE guildid = ? AND TabId = ? "
                            "AND SlotId = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab),
                                           STRATUS_SQL_UINT_V(slot)),
                        NULL);
}

int bank_item_delete_instance(stratus_db *db, uint32_t item_guid) {
  return HOST->sql_exec(db, "DELETE FROM item_instance WHERE guid = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(item_guid)), NULL);
}

int bank_free_slot(stratus_db *db, uint32_t guild, uint32_t tab, uint32_t *slot) {
  stratus_rows *rows;
  bool used[BANK_MAX_SLOTS] = {false};
  int rc = HOST->sql_exec(db, "SELECT SlotId FROM guild_bank_item WHERE guildid = ? "
                              "AND TabId = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guild), STRATUS_SQL_UINT_V(tab)),
                          &rows);
  if (rc) return rc;
  while ((rc = HOST->rows_next(rows)) == 1) {
    uint64_t s = HOST->rows_uint(rows, 0);
    if (s < BANK_MAX_SLOTS) used[s] = true;
  }
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  for (*slot = 0; *slot < BANK_MAX_SLOTS && used[*slot]; (*slot)++) continue;
  return 0;
}

void bank_item_to_proto(stratus_req *req, const bank_item *it, uint32_t slot,
                        V1__GuildBankItem *out) {
  v1__guild_bank_item__init(out);
  out->itemguid = it->guid;
  out->entry = it->entry;
  out->slot = slot;
  out->count = it->count;
  out->flags = it->flags;
  out->randompropertyid = it->random_property;
  out->randompropertyseed = it->random_seed;
  out->durability = it->durability;
  out->enchantmentid = it->enchant;
  out->charges = it->charges;
  out->text = HOST->req_strdup(req, it->text ? it->text : "", it->text ? strlen(it->text) : 0);
}

void bank_item_from_proto(const V1__GuildBankItem *in, bank_item *out) {
  *out = (bank_item){.guid = (uint32_t)in->itemguid, .entry = in->entry, .count = in->count,
                     .flags = in->flags, .durability = in->durability,
                     .enchant = in->enchantmentid, .random_property = in->randompropertyid,
                     .random_seed = in->randompropertyseed, .charges = in->charges,
                     .text = in->text};
}
