-- auctionhouse plugin: what AzerothCore's `auctionhouse` row does not hold.
-- `auctionhouse` itself is not altered (its UNIQUE itemguid already lists
-- an item at most once).

-- The item_template attributes the search filters and sorts on, copied from
-- [db.world] when the auction is created (the world database may be on
-- another server, so ListItems cannot join it), and the sale's fields the
-- contract carries that `auctionhouse` lacks.
CREATE TABLE IF NOT EXISTS stratus_auction_info (
  auction_id INT UNSIGNED NOT NULL,
  item_entry INT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL DEFAULT '',
  item_class TINYINT UNSIGNED NOT NULL DEFAULT 0,
  item_subclass TINYINT UNSIGNED NOT NULL DEFAULT 0,
  quality TINYINT UNSIGNED NOT NULL DEFAULT 0,
  inventory_type TINYINT UNSIGNED NOT NULL DEFAULT 0,
  item_level SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  required_level TINYINT UNSIGNED NOT NULL DEFAULT 0,
  suffix_factor INT UNSIGNED NOT NULL DEFAULT 0,
  flags INT UNSIGNED NOT NULL DEFAULT 0,
  enchantments VARCHAR(512) NOT NULL DEFAULT '' COMMENT 'id:duration:charges separated by spaces',
  PRIMARY KEY (auction_id),
  KEY idx_class (item_class, item_subclass, quality),
  KEY idx_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus auctionhouse plugin: searchable item attributes of an auction';

-- The answer of a PlaceBid or CancelAuction call that carried an
-- x-idempotency-key, written in the call's transaction: a retry with the key
-- gets the same answer instead of bidding or cancelling again.
CREATE TABLE IF NOT EXISTS stratus_auction_op (
  op_key VARBINARY(255) NOT NULL,
  auction_id INT UNSIGNED NOT NULL,
  player INT UNSIGNED NOT NULL,
  is_buyout TINYINT UNSIGNED NOT NULL DEFAULT 0,
  money INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'moneyToDeduct or auctionCut',
  created INT UNSIGNED NOT NULL,
  PRIMARY KEY (op_key),
  KEY idx_created (created)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus auctionhouse plugin: answers of keyed bids and cancels';
