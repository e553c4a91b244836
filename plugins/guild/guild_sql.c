/*
 * The statements every guild mutation shares: the acting member, the guild
 * row lock that serializes Stratus's writers of one guild, and the member
 * list the events are sent to. Worker thread only.
 */
#include "guild.h"

static const stratus_col member_cols[] = {
    STRATUS_COL(gmember, guid, "guid"),       STRATUS_COL(gmember, guild, "guildid"),
    STRATUS_COL(gmember, rank, "rank"),       STRATUS_COL(gmember, rights, "rights"),
    STRATUS_COL(gmember, race, "race"),       STRATUS_COL(gmember, account, "account"),
    STRATUS_COL(gmember, name, "name"),
};

#define CHARACTER_SQL                                                              \
  "SELECT c.guid, COALESCE(m.guildid, 0) AS guildid, COALESCE(m.`rank`, 0) AS `rank`, " \
  "COALESCE(r.rights, 0) AS rights, c.race, c.account, c.name FROM characters c "  \
  "LEFT JOIN guild_member m ON m.guid = c.guid "                                   \
  "LEFT JOIN guild_rank r ON r.guildid = m.guildid AND r.rid = m.`rank` "

int gsql_exec(stratus_db *db, const char *sql, const stratus_sql_value *p, size_t n) {
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db, sql, p, n, &rows);
  if (rc < 0) return rc;
  int changed = rows ? (int)HOST->rows_affected(rows) : 0;
  if (rows) HOST->rows_free(rows);
  return changed;
}

int gsql_one(stratus_db *db, stratus_req *req, const char *sql, const stratus_sql_value *p,
             size_t n, const stratus_col *cols, size_t ncols, void *out) {
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db, sql, p, n, &rows);
  if (rc < 0) return rc;
  rc = HOST->rows_read(rows, req, cols, ncols, out);
  HOST->rows_free(rows);
  return rc;
}

int gsql_character(stratus_db *db, stratus_req *req, uint32_t guid, gmember *out) {
  return gsql_one(db, req, CHARACTER_SQL "WHERE c.guid = ?",
                  STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(guid)), STRATUS_COLS(member_cols), out);
}

int gsql_member(stratus_db *db, stratus_req *req, uint32_t guid, uint32_t guild, gmember *out) {
  int rc = gsql_character(db, req, guid, out);
  return rc == 1 && out->guild != guild ? 0 : rc;
}

static int read_guild(stratus_db *db, stratus_req *req, uint32_t id, bool lock, gguild *g) {
  static const stratus_col cols[] = {
      STRATUS_COL(gguild, id, "guildid"), STRATUS_COL(gguild, leader, "leaderguid"),
      STRATUS_COL(gguild, name, "name"), STRATUS_COL(gguild, ranks, "ranks")};
  const char *sql =
      lock ? "SELECT guildid, leaderguid, name, (SELECT COUNT(*) FROM guild_rank r WHERE "
             "r.guildid = g.guildid) AS ranks FROM guild g WHERE guildid = ? FOR UPDATE"
           : "SELECT guildid, leaderguid, name, (SELECT COUNT(*) FROM guild_rank r WHERE "
             "r.guildid = g.guildid) AS ranks FROM guild g WHERE guildid = ?";
  return gsql_one(db, req, sql, STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(id)), STRATUS_COLS(cols),
                  g);
}

static int actor(stratus_db *db, stratus_req *req, uint32_t guid, int command, bool lock,
                 gmember *a, gguild *g) {
  int rc = gsql_character(db, req, guid, a);
  if (rc < 0) return rc;
  if (rc == 0)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "character %u does not exist", guid);
  if (a->guild == 0)
    return guild_refuse(req, command, ERR_GUILD_PLAYER_NOT_IN_GUILD,
                        "character %u is not in a guild", guid);
  rc = read_guild(db, req, a->guild, lock, g);
  if (rc < 0) return rc;
  if (rc == 0) /* a member row of a guild disbanded natively */
    return guild_refuse(req, command, ERR_GUILD_PLAYER_NOT_IN_GUILD,
                        "guild %u of character %u no longer exists", a->guild, guid);
  if (!lock) return 0;
  /* Re-read under the lock: the member may have moved since. */
  rc = gsql_member(db, req, guid, g->id, a);
  if (rc < 0) return rc;
  if (rc == 0)
    return guild_refuse(req, command, ERR_GUILD_PLAYER_NOT_IN_GUILD,
                        "character %u is not in a guild", guid);
  return 0;
}

int gsql_lock_actor(stratus_db *db, stratus_req *req, uint32_t guid, int command,
                    gmember *a, gguild *g) {
  return actor(db, req, guid, command, true, a, g);
}

int gsql_actor(stratus_db *db, stratus_req *req, uint32_t guid, int command, gmember *a,
               gguild *g) {
  return actor(db, req, guid, command, false, a, g);
}

typedef struct member_right {
  uint32_t guid, rights;
} member_right;

int gsql_members(stratus_db *db, stratus_req *req, gguild *g) {
  static const stratus_col cols[] = {STRATUS_COL(member_right, guid, "guid"),
                                     STRATUS_COL(member_right, rights, "rights")};
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db,
                          "SELECT m.guid, COALESCE(r.rights, 0) AS rights FROM guild_member m "
                          "LEFT JOIN guild_rank r ON r.guildid = m.guildid AND r.rid = m.`rank` "
                          "WHERE m.guildid = ? ORDER BY m.guid",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(g->id)), &rows);
  if (rc < 0) return rc;
  member_right *all;
  size_t n;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(*all), NULL, (void **)&all, &n);
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  g->member_guids = HOST->req_alloc(req, (n ? n : 1) * sizeof(uint32_t));
  g->member_rights = HOST->req_alloc(req, (n ? n : 1) * sizeof(uint32_t));
  for (size_t i = 0; i < n; i++) {
    g->member_guids[i] = all[i].guid;
    g->member_rights[i] = all[i].rights;
  }
  g->nmembers = n;
  return 0;
}
