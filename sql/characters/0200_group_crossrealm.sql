-- group plugin (GroupService): what AzerothCore's `groups` and `group_member`
-- cannot hold for a cluster of realms (ToCloud9 PR #37 §2.5). AzerothCore's
-- columns stay as they are: home-realm members stay in `group_member` (so a
-- native worldserver reads them), members of other realms go to
-- stratus_group_member_foreign with their name; the realm of the leader,
-- looter and master looter is kept beside AzerothCore's INT columns.

-- The realm of groups.leaderGuid / looterGuid / masterLooterGuid; 0 = the
-- group's home realm (this database's).
ALTER TABLE `groups` ADD COLUMN IF NOT EXISTS stratus_leaderRealm INT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE `groups` ADD COLUMN IF NOT EXISTS stratus_looterRealm INT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE `groups` ADD COLUMN IF NOT EXISTS stratus_masterLooterRealm INT UNSIGNED NOT NULL DEFAULT 0;

-- AzerothCore reads group_member whole at startup and has no index on the
-- group; the plugin reads one group's roster per call.
ALTER TABLE `group_member` ADD INDEX IF NOT EXISTS stratus_group (guid);

-- Members of a home-realm group who are characters of another realm.
CREATE TABLE IF NOT EXISTS stratus_group_member_foreign (
  guid INT UNSIGNED NOT NULL COMMENT 'groups.guid',
  memberRealm INT UNSIGNED NOT NULL,
  memberGuid INT UNSIGNED NOT NULL COMMENT 'characters.guid in memberRealm',
  memberName VARCHAR(12) NOT NULL DEFAULT '',
  memberFlags TINYINT UNSIGNED NOT NULL DEFAULT 0,
  subgroup TINYINT UNSIGNED NOT NULL DEFAULT 0,
  roles TINYINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (memberRealm, memberGuid),
  KEY guid (guid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus group plugin: members from other realms';

-- Which group a character of this realm is in, wherever the group lives.
-- The primary key is what keeps a character in one group at most, across
-- realms: joining claims this row first.
CREATE TABLE IF NOT EXISTS stratus_group_player (
  memberGuid INT UNSIGNED NOT NULL COMMENT 'characters.guid',
  groupRealm INT UNSIGNED NOT NULL DEFAULT 0 COMMENT '0: this realm',
  groupId INT UNSIGNED NOT NULL COMMENT 'groups.guid in groupRealm; 0 while a new group is made',
  PRIMARY KEY (memberGuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus group plugin: the group of each grouped character';

-- Pending invites, in the invitee's realm; one per invitee (a new invite
-- replaces the old one, as in ToCloud9's group_invites).
CREATE TABLE IF NOT EXISTS stratus_group_invite (
  invited INT UNSIGNED NOT NULL COMMENT 'characters.guid of the invitee',
  invitedName VARCHAR(12) NOT NULL DEFAULT '',
  inviterRealm INT UNSIGNED NOT NULL,
  inviter INT UNSIGNED NOT NULL,
  inviterName VARCHAR(12) NOT NULL DEFAULT '',
  groupRealm INT UNSIGNED NOT NULL COMMENT 'the inviter group''s home realm',
  groupId INT UNSIGNED NOT NULL COMMENT '0: the invite makes a new group',
  inviterMapId INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'InviteParams.inviterMapID (layers)',
  inviterGameServerId VARCHAR(64) NOT NULL DEFAULT '' COMMENT 'InviteParams.inviterGameServerID',
  createdAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (invited)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus group plugin: pending invites';

-- The last group id handed out in this realm: ids are never reused, so an
-- event of an ended group cannot be taken for one of a new group with its id.
CREATE TABLE IF NOT EXISTS stratus_group_seq (
  id TINYINT UNSIGNED NOT NULL COMMENT 'always 1',
  next INT UNSIGNED NOT NULL COMMENT 'the last groups.guid handed out',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus group plugin: group ids';

-- Groups a worldserver saved before the plugin ran.
INSERT IGNORE INTO stratus_group_player (memberGuid, groupRealm, groupId)
  SELECT memberGuid, 0, guid FROM group_member;
