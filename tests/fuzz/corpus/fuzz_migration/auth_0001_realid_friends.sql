-- realid plugin: Real ID (account-level) friendships, one row per unordered pair of
-- accounts. The pair is stored ordered: account_low is the smaller account.id,
-- account_high the larger, and that ordered pair is the primary key, so whichever side
-- asks first, the pair exists once. A request is state 1 (requester is the account that
-- asked); when the other account asks too, the same row becomes state 2 (accepted).
-- Each side keeps its own note about the other and the character it last used toward the
-- pair (shown to the friend while the account is offline).
CREATE TABLE IF NOT EXISTS `stratus_realid_friends` (
  `account_low` INT UNSIGNED NOT NULL COMMENT 'the smaller account.id of the pair',
  `account_high` INT UNSIGNED NOT NULL COMMENT 'the larger account.id of the pair',
  `state` TINYINT UNSIGNED NOT NULL DEFAULT 1 COMMENT '1 requested, 2 accepted',
  `requester` INT UNSIGNED NOT NULL COMMENT 'the account that asked first',
  `note_low` VARCHAR(48) NOT NULL DEFAULT '' COMMENT 'account_low''s note about account_high',
  `note_high` VARCHAR(48) NOT NULL DEFAULT '' COMMENT 'account_high''s note about account_low',
  `char_low_realm` INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'realm of account_low''s character',
  `char_low_guid` INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'characters.guid on that realm',
  `char_high_realm` INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'realm of account_high''s character',
  `char_high_guid` INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'characters.guid on that realm',
  `created_at` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `updated_at` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`account_low`, `account_high`),
  KEY `stratus_realid_high` (`account_high`, `state`),
  CONSTRAINT `stratus_realid_ordered` CHECK (`account_low` < `account_high`),
  CONSTRAINT `stratus_realid_requester` CHECK (`requester` IN (`account_low`, `account_high`)),
  CONSTRAINT `stratus_realid_state` CHECK (`state` IN (1, 2))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus realid: Real ID friendships between accounts';

-- AddRealIDFriendByEmail looks an account up by e-mail; AzerothCore has no index there.
ALTER TABLE `account` ADD INDEX IF NOT EXISTS `stratus_email` (`email`),
  ADD INDEX IF NOT EXISTS `stratus_reg_mail` (`reg_mail`);
