-- guid plugin (GuidService.GetGUIDPool): the GUID high-water marks of this
-- realm's characters database, one row per v1.GuidType. Every range is
-- reserved by locking the type's row, moving next_guid past the range and
-- committing before the range is handed out, so stratusd instances sharing
-- this database never hand out a GUID twice.
CREATE TABLE IF NOT EXISTS stratus_guid_range (
  guid_type TINYINT UNSIGNED NOT NULL COMMENT 'v1.GuidType: 0 Character, 1 Item, 2 Instance',
  next_guid BIGINT UNSIGNED NOT NULL DEFAULT 1 COMMENT 'lowest GUID never handed out',
  ranges_reserved BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'ranges handed out so far',
  guids_reserved BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'GUIDs in those ranges',
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ON UPDATE CURRENT_TIMESTAMP(3) COMMENT 'last reservation',
  PRIMARY KEY (guid_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus guid plugin: reserved GUID ranges';

-- The plugin never creates a missing row (its lost high-water mark could
-- hand out GUIDs again), so the three rows are seeded here. Each range is
-- raised above MAX() of characters.guid, item_instance.guid and instance.id
-- anyway, so 1 is a safe start for a database already in use.
INSERT IGNORE INTO stratus_guid_range (guid_type, next_guid) VALUES (0, 1), (1, 1), (2, 1);
