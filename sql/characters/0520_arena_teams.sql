-- arenateam plugin (the arena-team methods of CharactersService), on each
-- realm's characters database. Nothing of AzerothCore's is changed; it gains
-- one unique key and two Stratus tables.

-- Team names are unique by the schema (no named lock): a second team with a
-- name already taken fails its INSERT with a duplicate key, which the plugin
-- answers as "name exists". A database holding two teams of one name stops
-- here: rename one, then run `stratusctl migrate` again.
ALTER TABLE arena_team ADD UNIQUE KEY IF NOT EXISTS stratus_uq_arena_team_name (name);

-- "Which team of this type is the player in" is asked by every creation,
-- invite, accept and rated queue; AzerothCore keys the roster by team only.
ALTER TABLE arena_team_member ADD KEY IF NOT EXISTS stratus_idx_member_guid (guid);

-- Team IDs: each creation inserts a row and takes its AUTO_INCREMENT value
-- (never MAX()+1), so concurrent creations on several stratusd instances get
-- distinct IDs. Seeded above the teams already in the database; a team the
-- worldserver inserts later with a taken ID makes the plugin draw again.
CREATE TABLE IF NOT EXISTS stratus_arena_team_id (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'arena_team.arenaTeamId handed out',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus arenateam plugin: arena team IDs handed out';

INSERT IGNORE INTO stratus_arena_team_id (id)
  SELECT MAX(arenaTeamId) FROM arena_team HAVING MAX(arenaTeamId) > 0;

-- Pending invites, one per invited character (AzerothCore keeps one invite
-- per player), kept in the database so that a restart or another stratusd
-- instance still knows them. Removed on accept, decline, disband, and with
-- the character (RemovePlayerFromArenaTeams).
CREATE TABLE IF NOT EXISTS stratus_arena_team_invite (
  target_guid INT UNSIGNED NOT NULL COMMENT 'characters.guid invited',
  arenaTeamId INT UNSIGNED NOT NULL,
  inviter_guid INT UNSIGNED NOT NULL,
  inviter_name VARCHAR(12) NOT NULL DEFAULT '',
  target_name VARCHAR(12) NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (target_guid),
  KEY stratus_idx_team (arenaTeamId)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus arenateam plugin: pending arena team invites';

-- Charters turned in: a retried CreateArenaTeamFromPetition (the gateway
-- lost the answer) finds its team here and gets the first answer again,
-- instead of "not found" for a charter that is gone. Petition GUIDs are item
-- GUIDs, never handed out twice in a realm.
CREATE TABLE IF NOT EXISTS stratus_arena_team_charter (
  petitionguid INT UNSIGNED NOT NULL COMMENT 'petition.petitionguid turned in',
  captain_guid INT UNSIGNED NOT NULL,
  arenaTeamId INT UNSIGNED NOT NULL COMMENT 'the team it became',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (petitionguid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus arenateam plugin: charters turned into teams';
