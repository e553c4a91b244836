-- matchmaking plugin: rated arena results applied exactly once.
-- One row per finished match, on the realm database of its teams, written
-- in the same transaction as both teams' and every participant's stats. A
-- repeated FinishRatedArenaMatch finds the row and answers with the stored
-- response instead of applying the result again.
CREATE TABLE IF NOT EXISTS stratus_arena_match_result (
  match_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
    COMMENT 'ownerRealm:crossrealm:instance:allianceTeam:hordeTeam as the worldserver sent them',
  alliance_team INT UNSIGNED NOT NULL,
  horde_team INT UNSIGNED NOT NULL,
  status TINYINT UNSIGNED NOT NULL COMMENT 'v1.MatchmakingArenaTeamMutationStatus',
  response BLOB NOT NULL COMMENT 'the packed v1.FinishRatedArenaMatchResponse of the first call',
  created INT UNSIGNED NOT NULL,
  PRIMARY KEY (match_key),
  KEY idx_alliance_team (alliance_team),
  KEY idx_horde_team (horde_team)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Stratus matchmaking: finished rated arena matches';
