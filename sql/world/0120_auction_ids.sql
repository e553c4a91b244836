-- auctionhouse plugin: auction IDs for every realm and every stratusd from
-- one AUTO_INCREMENT in the world database the cluster shares, so no two
-- auctions anywhere share an ID (ToCloud9 counted per process and collided
-- across realms and replicas). A row is inserted per ID and may be pruned.
CREATE TABLE IF NOT EXISTS stratus_auction_id (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  realm INT UNSIGNED NOT NULL,
  created INT UNSIGNED NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus auctionhouse plugin: auction ID counter';
