-- guildbank plugin: what makes AzerothCore's guild bank tables safe to
-- change from several stratusd instances and under client retries.

-- An item GUID is in at most one bank slot: a deposit replayed with the same
-- item can never put a second copy in the bank.
ALTER TABLE guild_bank_item ADD UNIQUE KEY stratus_uq_item_guid (item_guid);

-- Bank log numbers per guild, taken with UPDATE ... LAST_INSERT_ID(next + 1)
-- inside the mutation's transaction: two writers never get the same number
-- (no MAX(LogGuid) + 1 race).
CREATE TABLE IF NOT EXISTS stratus_guild_bank_seq (
  guildid INT UNSIGNED NOT NULL,
  next_log INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (guildid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus guildbank: the last bank log number of each guild';

-- One row per operation a client may retry or a rollback that must run at
-- most once. op_key is the client's x-idempotency-key (prefixed with the
-- operation) or "rollback:<logGUID>". The row is written in the same
-- transaction as the change, so the change happens exactly once and a
-- replay reads back the first answer.
CREATE TABLE IF NOT EXISTS stratus_guild_bank_op (
  guildid INT UNSIGNED NOT NULL,
  op_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status TINYINT UNSIGNED NOT NULL COMMENT 'v1.GuildBankStatus.Status of the first answer',
  log_guid INT UNSIGNED NOT NULL DEFAULT 0,
  item_guid INT UNSIGNED NOT NULL DEFAULT 0,
  item_entry INT UNSIGNED NOT NULL DEFAULT 0,
  item_count INT UNSIGNED NOT NULL DEFAULT 0,
  tab_id TINYINT UNSIGNED NOT NULL DEFAULT 0,
  slot_id TINYINT UNSIGNED NOT NULL DEFAULT 0,
  created INT UNSIGNED NOT NULL,
  PRIMARY KEY (guildid, op_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus guildbank: operations done, for replays and at-most-once rollbacks';
