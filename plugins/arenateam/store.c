/* SQL on the arena tables shared by the methods (worker thread). */
#include "arenateam.h"

#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V

static const stratus_col team_cols[] = {
    STRATUS_COL(V1__ArenaTeamData, arenateamid, "arenaTeamId"),
    STRATUS_COL(V1__ArenaTeamData, name, "name"),
    STRATUS_COL(V1__ArenaTeamData, captainguid, "captainGuid"),
    STRATUS_COL(V1__ArenaTeamData, type, "type"),
    STRATUS_COL(V1__ArenaTeamData, rating, "rating"),
    STRATUS_COL(V1__ArenaTeamData, weekgames, "weekGames"),
    STRATUS_COL(V1__ArenaTeamData, weekwins, "weekWins"),
    STRATUS_COL(V1__ArenaTeamData, seasongames, "seasonGames"),
    STRATUS_COL(V1__ArenaTeamData, seasonwins, "seasonWins"),
    STRATUS_COL(V1__ArenaTeamData, rank, "rank"),
    STRATUS_COL(V1__ArenaTeamData, backgroundcolor, "backgroundColor"),
    STRATUS_COL(V1__ArenaTeamData, emblemstyle, "emblemStyle"),
    STRATUS_COL(V1__ArenaTeamData, emblemcolor, "emblemColor"),
    STRATUS_COL(V1__ArenaTeamData, borderstyle, "borderStyle"),
    STRATUS_COL(V1__ArenaTeamData, bordercolor, "borderColor")};

static const stratus_col member_cols[] = {
    STRATUS_COL(V1__ArenaTeamMemberData, playerguid, "guid"),
    STRATUS_COL(V1__ArenaTeamMemberData, name, "name"),
    STRATUS_COL(V1__ArenaTeamMemberData, level, "level"),
    STRATUS_COL(V1__ArenaTeamMemberData, class_, "class"),
    STRATUS_COL(V1__ArenaTeamMemberData, weekgames, "weekGames"),
    STRATUS_COL(V1__ArenaTeamMemberData, weekwins, "weekWins"),
    STRATUS_COL(V1__ArenaTeamMemberData, seasongames, "seasonGames"),
    STRATUS_COL(V1__ArenaTeamMemberData, seasonwins, "seasonWins"),
    STRATUS_COL(V1__ArenaTeamMemberData, personalrating, "personalRating"),
    STRATUS_COL(V1__ArenaTeamMemberData, matchmakerrating, "mmr"),
    STRATUS_COL(V1__ArenaTeamMemberData, maxmmr, "maxMMR")};

int at_team_read(stratus_db *db, stratus_req *req, uint32_t id, bool lock,
                 V1__ArenaTeamData *t) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          lock ? "SELECT * FROM arena_team WHERE arenaTeamId = ? FOR UPDATE"
                               : "SELECT * FROM arena_team WHERE arenaTeamId = ?",
                          P(U(id)), &rows);
  if (rc) return rc;
  v1__arena_team_data__init(t);
  rc = HOST->rows_read(rows, req, STRATUS_COLS(team_cols), t);
  HOST->rows_free(rows);
  return rc;
}

int at_members_read(stratus_db *db, stratus_req *req, V1__ArenaTeamData *t) {
  static const V1__ArenaTeamMemberData init = V1__ARENA_TEAM_MEMBER_DATA__INIT;
  stratus_rows *rows;
  int rc = HOST->sql_exec(
      db,
      "SELECT m.guid, COALESCE(c.name, '') AS name, COALESCE(c.level, 0) AS level, "
      "COALESCE(c.class, 0) AS class, m.weekGames, m.weekWins, m.seasonGames, m.seasonWins, "
      "GREATEST(m.personalRating, 0) AS personalRating, "
      "COALESCE(s.matchMakerRating, 0) AS mmr, GREATEST(COALESCE(s.maxMMR, 0), 0) AS maxMMR "
      "FROM arena_team_member m LEFT JOIN characters c ON c.guid = m.guid "
      "LEFT JOIN character_arena_stats s ON s.guid = m.guid AND s.slot = ? "
      "WHERE m.arenaTeamId = ? ORDER BY m.guid",
      P(U(at_slot_of(t->type)), U(t->arenateamid)), &rows);
  if (rc) return rc;
  V1__ArenaTeamMemberData *arr;
  size_t n;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(member_cols), sizeof(*arr), &init,
                          (void **)&arr, &n);
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  t->members = HOST->req_alloc(req, (n ? n : 1) * sizeof(*t->members));
  for (size_t i = 0; i < n; i++) t->members[i] = &arr[i];
  t->n_members = n;
  return 0;
}

V1__ArenaTeamData *at_team_load(stratus_db *db, stratus_req *req, uint32_t id, bool lock,
                                int *rc) {
  V1__ArenaTeamData *t = HOST->req_alloc(req, sizeof(*t));
  *rc = at_team_read(db, req, id, lock, t);
  if (*rc <= 0) return NULL;
  *rc = at_members_read(db, req, t);
  return *rc ? NULL : t;
}

bool at_is_member(const V1__ArenaTeamData *t, uint32_t low) {
  for (size_t i = 0; i < t->n_members; i++)
    if (t->members[i]->playerguid == low) return true;
  return false;
}

static int one_uint(stratus_db *db, const char *sql, const stratus_sql_value *params, size_t n,
                    uint32_t *out) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, sql, params, n, &rows);
  if (rc) return rc;
  rc = HOST->rows_next(rows);
  if (rc == 1) *out = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return rc;
}

int at_team_of_type(stratus_db *db, uint32_t low, uint32_t type, uint32_t *team) {
  return one_uint(db,
                  "SELECT m.arenaTeamId FROM arena_team_member m JOIN arena_team t "
                  "ON t.arenaTeamId = m.arenaTeamId WHERE m.guid = ? AND t.type = ? LIMIT 1",
                  P(U(low), U(type)), team);
}

int at_lock_player(stratus_db *db, uint32_t low) {
  uint32_t found;
  int rc = one_uint(db, "SELECT guid FROM characters WHERE guid = ? FOR UPDATE", P(U(low)),
                    &found);
  return rc < 0 ? rc : 0;
}

int at_char_name(stratus_db *db, stratus_req *req, uint32_t low, const char **name) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT name FROM characters WHERE guid = ?", P(U(low)), &rows);
  if (rc) return rc;
  *name = "";
  if ((rc = HOST->rows_next(rows)) == 1) {
    size_t len;
    const char *s = HOST->rows_text(rows, 0, &len);
    if (s) *name = HOST->req_strdup(req, s, len);
  }
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

int at_exec(stratus_db *db, const char *sql, const stratus_sql_value *params, size_t n,
            uint64_t *affected) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, sql, params, n, affected ? &rows : NULL);
  if (rc || !affected) return rc;
  *affected = HOST->rows_affected(rows);
  HOST->rows_free(rows);
  return 0;
}

/* The member's stored MMR of the slot stays; a first team gets the start MMR. */
int at_member_add(stratus_db *db, uint32_t team, uint32_t low, uint32_t rating, uint32_t slot,
                  uint32_t mmr) {
  int rc = at_exec(db, "INSERT INTO arena_team_member (arenaTeamId, guid, personalRating) "
                       "VALUES (?, ?, ?)",
                   P(U(team), U(low), U(rating)), NULL);
  if (rc) return rc;
  return at_exec(db, "INSERT IGNORE INTO character_arena_stats (guid, slot, matchMakerRating, "
                     "maxMMR) VALUES (?, ?, ?, ?)",
                 P(U(low), U(slot), U(mmr), U(mmr)), NULL);
}

int at_team_delete(stratus_db *db, uint32_t team) {
  int rc = at_exec(db, "DELETE FROM arena_team_member WHERE arenaTeamId = ?", P(U(team)), NULL);
  if (!rc)
    rc = at_exec(db, "DELETE FROM stratus_arena_team_invite WHERE arenaTeamId = ?", P(U(team)),
                 NULL);
  if (!rc) rc = at_exec(db, "DELETE FROM arena_team WHERE arenaTeamId = ?", P(U(team)), NULL);
  return rc;
}

int at_drop_charters(stratus_db *db, uint32_t low, uint32_t type) {
  int rc = at_exec(db, "DELETE FROM petition_sign WHERE playerguid = ? AND type = ?",
                   P(U(low), U(type)), NULL);
  if (!rc)
    rc = at_exec(db, "DELETE FROM petition_sign WHERE ownerguid = ? AND type = ?",
                 P(U(low), U(type)), NULL);
  if (!rc)
    rc = at_exec(db, "DELETE FROM petition WHERE ownerguid = ? AND type = ?", P(U(low), U(type)),
                 NULL);
  return rc;
}

int at_count(stratus_db *db, const char *sql, const stratus_sql_value *params, size_t n,
             uint64_t *count) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, sql, params, n, &rows);
  if (rc) return rc;
  *count = HOST->rows_count(rows);
  HOST->rows_free(rows);
  return 0;
}

bool at_duplicate(stratus_db *db, int rc) {
  return rc == STRATUS_ECONFLICT ||
         (rc == STRATUS_EDB && HOST->db_errno(db) == STRATUS_ER_DUP_ENTRY);
}
