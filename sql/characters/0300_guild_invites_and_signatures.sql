-- guild plugin: what AzerothCore's guild and charter tables do not hold.

-- Pending guild invites (the core keeps them in memory only). One per
-- invitee: the primary key makes a second concurrent invite fail.
CREATE TABLE IF NOT EXISTS stratus_guild_invite (
  invitee INT UNSIGNED NOT NULL COMMENT 'characters.guid of the invited player',
  guildid INT UNSIGNED NOT NULL,
  inviter INT UNSIGNED NOT NULL COMMENT 'characters.guid',
  created_at BIGINT NOT NULL COMMENT 'unix seconds; older than invite_ttl = expired',
  PRIMARY KEY (invitee),
  KEY idx_guildid (guildid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus guild plugin: pending guild invites';

-- One row per charter signature made through SignGuildPetition, beside
-- AzerothCore's petition_sign: the keys refuse a second signature by the same
-- account or the same character in the database itself. Rows of charters
-- that no longer exist are removed when a guild is created.
CREATE TABLE IF NOT EXISTS stratus_guild_petition_sign (
  petition_id INT UNSIGNED NOT NULL COMMENT 'petition.petition_id',
  player_account INT UNSIGNED NOT NULL,
  playerguid INT UNSIGNED NOT NULL,
  PRIMARY KEY (petition_id, player_account),
  UNIQUE KEY uk_petition_player (petition_id, playerguid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus guild plugin: one charter signature per account and character';
