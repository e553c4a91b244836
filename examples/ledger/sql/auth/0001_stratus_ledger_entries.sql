-- The ledger example's one table. Applied by `stratusctl migrate` to every
-- auth database and recorded as plugin "ledger", version 1.
CREATE TABLE IF NOT EXISTS stratus_ledger_entries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account VARCHAR(64) NOT NULL,
  amount BIGINT NOT NULL,
  note VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL,
  KEY stratus_ledger_account (account, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
