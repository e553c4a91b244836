/* Arena team stats SQL shared by plugins; see arena_sql.h. */
#include <string.h>

#include "arena_sql.h"

#define U(x) STRATUS_SQL_UINT_V(x)

int arena_team_lock(const stratus_host_api *host, stratus_db *db, uint32_t team_id,
                    arena_team_row *out) {
  stratus_rows *rows;
  int rc = host->sql_exec(db,
                          "SELECT arenaTeamId, type, captainGuid, rating, `rank`, weekGames, "
                          "weekWins, seasonGames, seasonWins, name FROM arena_team "
                          "WHERE arenaTeamId = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(U(team_id)), &rows);
  if (rc) return rc;
  rc = host->rows_next(rows);
  if (rc == 1) {
    uint32_t *f[] = {&out->id, &out->type, &out->captain, &out->rating, &out->rank,
                     &out->week_games, &out->week_wins, &out->season_games, &out->season_wins};
    for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) *f[i] = (uint32_t)host->rows_uint(rows, i);
    size_t len = 0;
    const char *name = host->rows_text(rows, 9, &len);
    if (len >= sizeof(out->name)) len = sizeof(out->name) - 1;
    memcpy(out->name, name ? name : "", name ? len : 0);
    out->name[name ? len : 0] = '\0';
  }
  host->rows_free(rows);
  return rc;
}

int arena_members_read(const stratus_host_api *host, stratus_db *db, uint32_t team_id, int slot,
                       uint32_t start_mmr, arena_member_row *out, size_t *n) {
  stratus_rows *rows;
  int rc = host->sql_exec(
      db,
      "SELECT m.guid, m.personalRating, m.weekGames, m.weekWins, m.seasonGames, m.seasonWins, "
      "COALESCE(s.matchMakerRating, ?), COALESCE(s.maxMMR, ?) FROM arena_team_member m "
      "LEFT JOIN character_arena_stats s ON s.guid = m.guid AND s.slot = ? "
      "WHERE m.arenaTeamId = ? ORDER BY m.guid",
      STRATUS_SQL_PARAMS(U(start_mmr), U(start_mmr), U(slot), U(team_id)), &rows);
  if (rc) return rc;
  *n = 0;
  while ((rc = host->rows_next(rows)) == 1 && *n < ARENA_ROSTER_MAX) {
    arena_member_row *m = &out[(*n)++];
    int64_t personal = host->rows_int(rows, 1), max_mmr = host->rows_int(rows, 7);
    m->guid = (uint32_t)host->rows_uint(rows, 0);
    m->personal_rating = personal < 0 ? 0 : (uint32_t)personal;
    m->week_games = (uint32_t)host->rows_uint(rows, 2);
    m->week_wins = (uint32_t)host->rows_uint(rows, 3);
    m->season_games = (uint32_t)host->rows_uint(rows, 4);
    m->season_wins = (uint32_t)host->rows_uint(rows, 5);
    m->mmr = (uint32_t)host->rows_uint(rows, 6);
    m->max_mmr = max_mmr < 0 ? 0 : (uint32_t)max_mmr;
  }
  host->rows_free(rows);
  return rc < 0 ? rc : 0;
}

/* 1 + the number of teams of the same type rated higher (AzerothCore's rank). */
static int team_rank(const stratus_host_api *host, stratus_db *db, arena_team_row *team) {
  stratus_rows *rows;
  int rc = host->sql_exec(db, "SELECT COUNT(*) FROM arena_team WHERE type = ? AND rating > ?",
                          STRATUS_SQL_PARAMS(U(team->type), U(team->rating)), &rows);
  if (rc) return rc;
  if ((rc = host->rows_next(rows)) == 1) team->rank = 1 + (uint32_t)host->rows_uint(rows, 0);
  host->rows_free(rows);
  return rc < 0 ? rc : 0;
}

static int member_save(const stratus_host_api *host, stratus_db *db, uint32_t team_id,
                       const arena_member_row *m, int slot) {
  int rc = host->sql_exec(
      db,
      "UPDATE arena_team_member SET personalRating = ?, weekGames = ?, weekWins = ?, "
      "seasonGames = ?, seasonWins = ? WHERE arenaTeamId = ? AND guid = ?",
      STRATUS_SQL_PARAMS(U(m->personal_rating), U(m->week_games), U(m->week_wins),
                         U(m->season_games), U(m->season_wins), U(team_id), U(m->guid)),
      NULL);
  if (rc) return rc;
  return host->sql_exec(db,
                        "INSERT INTO character_arena_stats (guid, slot, matchMakerRating, maxMMR) "
                        "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                        "matchMakerRating = VALUES(matchMakerRating), maxMMR = VALUES(maxMMR)",
                        STRATUS_SQL_PARAMS(U(m->guid), U(slot), U(m->mmr), U(m->max_mmr)), NULL);
}

int arena_team_stats_save(const stratus_host_api *host, stratus_db *db, arena_team_row *team,
                          const arena_member_row *members, size_t n, int slot) {
  int rc = team_rank(host, db, team);
  if (!rc)
    rc = host->sql_exec(db,
                        "UPDATE arena_team SET rating = ?, weekGames = ?, weekWins = ?, "
                        "seasonGames = ?, seasonWins = ?, `rank` = ? WHERE arenaTeamId = ?",
                        STRATUS_SQL_PARAMS(U(team->rating), U(team->week_games),
                                           U(team->week_wins), U(team->season_games),
                                           U(team->season_wins), U(team->rank), U(team->id)),
                        NULL);
  for (size_t i = 0; !rc && i < n; i++) rc = member_save(host, db, team->id, &members[i], slot);
  return rc;
}
