-- realid plugin: accounts a player blocked by ignoring one of their characters
-- (AddIgnore in the characters plugin). A blocked account's AddRealIDFriendByEmail
-- toward the blocker is answered as any pending request and writes nothing; the
-- block ends any pair between the two. RemoveIgnore lifts it.
CREATE TABLE IF NOT EXISTS `stratus_realid_blocks` (
  `account` INT UNSIGNED NOT NULL COMMENT 'the account that blocks',
  `blocked` INT UNSIGNED NOT NULL COMMENT 'the account it blocks',
  `created_at` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (`account`, `blocked`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus realid: Real ID requests refused by ignore';
