-- mail plugin (and the auctionhouse's settlement mails): what makes a send
-- and a claim happen once. AzerothCore's `mail`, `mail_items` and
-- `item_instance` are not altered; `mail_items`'s primary key (item_guid)
-- already attaches an item to at most one mail.

-- One row per mail Stratus sent. mail_id is the mail's ID (AUTO_INCREMENT:
-- unique across every stratusd sharing the database); send_key, when the
-- sender gave one (x-idempotency-key, or the sender and the attached item
-- GUIDs, or an auction settlement), makes a retried send find its first mail.
CREATE TABLE IF NOT EXISTS stratus_mail_send (
  mail_id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  send_key VARBINARY(255) NULL DEFAULT NULL COMMENT 'idempotency key, NULL: none',
  created INT UNSIGNED NOT NULL COMMENT 'unix seconds; keys are forgotten after the retention',
  PRIMARY KEY (mail_id),
  UNIQUE KEY uk_send_key (send_key),
  KEY idx_created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus mail plugin: mail IDs and send idempotency keys';

-- Start the IDs above the mails that exist already (worldserver or
-- ToCloud9 mails): a seed row holding the highest one.
INSERT IGNORE INTO stratus_mail_send (mail_id, send_key, created)
  SELECT MAX(id), NULL, 0 FROM mail HAVING MAX(id) IS NOT NULL;

-- What RemoveMailItem and RemoveMailMoney took: one row per item and one
-- (item_guid 0) for the money, written in the transaction of the claim, so
-- a retry (same x-idempotency-key) answers what the first call did and any
-- other second call is refused instead of paying twice.
CREATE TABLE IF NOT EXISTS stratus_mail_claim (
  mail_id INT UNSIGNED NOT NULL,
  item_guid INT UNSIGNED NOT NULL COMMENT '0: the money of the mail',
  receiver INT UNSIGNED NOT NULL,
  amount INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'copper taken (item_guid 0)',
  claim_key VARBINARY(255) NULL DEFAULT NULL COMMENT 'x-idempotency-key of the claiming call',
  cod_mail_id INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'the cash-on-delivery payback mail',
  claimed INT UNSIGNED NOT NULL COMMENT 'unix seconds',
  PRIMARY KEY (mail_id, item_guid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus mail plugin: items and money taken from mails';
