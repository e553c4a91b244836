/*
 * SQL of the group plugin (worker thread). A group's rows live in its home
 * realm's characters database: `groups`, `group_member` (home-realm members),
 * stratus_group_member_foreign (members of other realms) and `lfg_data`.
 * Each character's realm holds stratus_group_player, the pointer to its
 * group, and stratus_group_invite, its pending invite.
 */
#include <string.h>

#include "group.h"

#define U(x) STRATUS_SQL_UINT_V(x)

/* A realm as stored: 0 for the group's home realm. */
static uint32_t stored_realm(uint32_t home, uint32_t realm) { return realm == home ? 0 : realm; }
static uint32_t loaded_realm(uint32_t home, uint64_t v) { return v ? (uint32_t)v : home; }

static int exec(stratus_db *db, const char *sql, const stratus_sql_value *v, size_t n) {
  return HOST->sql_exec(db, sql, v, n, NULL);
}

static int exec_affected(stratus_db *db, const char *sql, const stratus_sql_value *v, size_t n,
                         uint64_t *affected) {
  stratus_rows *r = NULL;
  int rc = HOST->sql_exec(db, sql, v, n, &r);
  *affected = rc == 0 && r ? HOST->rows_affected(r) : 0;
  if (r) HOST->rows_free(r);
  return rc;
}

/* ---- pointers and names (the character's realm) ------------------------------------ */

int gsql_pointer(stratus_db *db, uint32_t db_realm, uint32_t low, uint32_t *group_realm,
                 uint32_t *group_id) {
  stratus_rows *r;
  int rc = HOST->sql_exec(db,
                          "SELECT groupRealm, groupId FROM stratus_group_player WHERE memberGuid = ? "
                          "UNION ALL SELECT 0, guid FROM group_member WHERE memberGuid = ? LIMIT 1",
                          STRATUS_SQL_PARAMS(U(low), U(low)), &r);
  if (rc != 0) return rc;
  *group_realm = 0;
  *group_id = 0;
  if (HOST->rows_next(r) == 1) {
    *group_realm = loaded_realm(db_realm, HOST->rows_uint(r, 0));
    *group_id = (uint32_t)HOST->rows_uint(r, 1);
  }
  HOST->rows_free(r);
  return 0;
}

/* 1 = claimed, 0 = the character is in a group already. */
int gsql_claim(stratus_db *db, uint32_t db_realm, uint32_t low, uint32_t group_realm,
               uint32_t group_id) {
  stratus_rows *r;
  int rc = HOST->sql_exec(db, "SELECT 1 FROM group_member WHERE memberGuid = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(U(low)), &r);
  if (rc != 0) return rc;
  bool grouped = HOST->rows_count(r) > 0;
  HOST->rows_free(r);
  if (grouped) return 0;
  uint64_t n;
  rc = exec_affected(db, "INSERT IGNORE INTO stratus_group_player (memberGuid, groupRealm, groupId) "
                         "VALUES (?, ?, ?)",
                     STRATUS_SQL_PARAMS(U(low), U(stored_realm(db_realm, group_realm)),
                                        U(group_id)), &n);
  return rc != 0 ? rc : n == 1;
}

int gsql_set_pointer(stratus_db *db, uint32_t db_realm, uint32_t low, uint32_t group_realm,
                     uint32_t group_id) {
  return exec(db, "UPDATE stratus_group_player SET groupRealm = ?, groupId = ? WHERE memberGuid = ?",
              STRATUS_SQL_PARAMS(U(stored_realm(db_realm, group_realm)), U(group_id), U(low)));
}

int gsql_unclaim(stratus_db *db, uint32_t low, uint32_t group_realm_stored, uint32_t group_id) {
  return exec(db, "DELETE FROM stratus_group_player WHERE memberGuid = ? AND groupRealm = ? "
                  "AND groupId = ?",
              STRATUS_SQL_PARAMS(U(low), U(group_realm_stored), U(group_id)));
}

void group_copy_name(char *dst, const char *src, size_t len) {
  if (!src || len >= GROUP_NAME_BYTES) len = src ? GROUP_NAME_BYTES - 1 : 0;
  if (len) memcpy(dst, src, len);
  dst[len] = 0;
}

/* 1 and the name (GROUP_NAME_BYTES) when the character exists, 0 when not. */
int gsql_name(stratus_db *db, uint32_t low, char *name) {
  stratus_rows *r;
  int rc = HOST->sql_exec(db, "SELECT name FROM characters WHERE guid = ?",
                          STRATUS_SQL_PARAMS(U(low)), &r);
  if (rc != 0) return rc;
  int found = HOST->rows_next(r) == 1;
  if (found) {
    size_t len;
    const char *s = HOST->rows_text(r, 0, &len);
    group_copy_name(name, s, len);
  }
  HOST->rows_free(r);
  return found;
}

/* ---- the group (home realm) ------------------------------------------------------------ */

#define GROUP_COLS                                                                         \
  "leaderGuid, stratus_leaderRealm, lootMethod, looterGuid, stratus_looterRealm, "         \
  "lootThreshold, icon1, icon2, icon3, icon4, icon5, icon6, icon7, icon8, groupType, "    \
  "difficulty, raidDifficulty, masterLooterGuid, stratus_masterLooterRealm"

static void read_group_row(stratus_rows *r, ggroup *g) {
  uint32_t home = g->realm;
  g->leader = (gplayer){loaded_realm(home, HOST->rows_uint(r, 1)), (uint32_t)HOST->rows_uint(r, 0)};
  g->loot_method = (uint32_t)HOST->rows_uint(r, 2);
  g->looter = (gplayer){loaded_realm(home, HOST->rows_uint(r, 4)), (uint32_t)HOST->rows_uint(r, 3)};
  g->loot_threshold = (uint32_t)HOST->rows_uint(r, 5);
  for (unsigned i = 0; i < 8; i++) g->icons[i] = HOST->rows_uint(r, 6 + i);
  g->group_type = (uint32_t)HOST->rows_uint(r, 14);
  g->difficulty = (uint32_t)HOST->rows_uint(r, 15);
  g->raid_difficulty = (uint32_t)HOST->rows_uint(r, 16);
  g->master_looter = (gplayer){loaded_realm(home, HOST->rows_uint(r, 18)),
                               (uint32_t)HOST->rows_uint(r, 17)};
  g->lfg_dungeon = (uint32_t)HOST->rows_uint(r, 19);
}

static int load_roster(stratus_db *db, ggroup *g) {
  stratus_rows *r;
  int rc = HOST->sql_exec(
      db,
      "SELECT m.memberGuid, 0, COALESCE(c.name, ''), m.memberFlags, m.subgroup, m.roles "
      "FROM group_member m LEFT JOIN characters c ON c.guid = m.memberGuid WHERE m.guid = ? "
      "UNION ALL SELECT memberGuid, memberRealm, memberName, memberFlags, subgroup, roles "
      "FROM stratus_group_member_foreign WHERE guid = ? ORDER BY 2, 1",
      STRATUS_SQL_PARAMS(U(g->id), U(g->id)), &r);
  if (rc != 0) return rc;
  g->n = 0;
  while (HOST->rows_next(r) == 1 && g->n < GROUP_MAX_RAID) {
    gmember *m = &g->members[g->n++];
    size_t len;
    const char *name = HOST->rows_text(r, 2, &len);
    *m = (gmember){.realm = loaded_realm(g->realm, HOST->rows_uint(r, 1)),
                   .low = (uint32_t)HOST->rows_uint(r, 0),
                   .flags = (uint32_t)HOST->rows_uint(r, 3),
                   .subgroup = (uint32_t)HOST->rows_uint(r, 4),
                   .roles = (uint32_t)HOST->rows_uint(r, 5)};
    group_copy_name(m->name, name, len);
  }
  HOST->rows_free(r);
  return 0;
}

/* 0, or STRATUS_ENOTFOUND when the group does not exist. */
int gsql_load(stratus_db *db, uint32_t realm, uint32_t id, bool lock, ggroup *g) {
  static const char *const sql[2] = {
      "SELECT " GROUP_COLS ", COALESCE((SELECT dungeon FROM lfg_data l WHERE l.guid = groups.guid), 0) "
      "FROM groups WHERE guid = ?",
      "SELECT " GROUP_COLS ", COALESCE((SELECT dungeon FROM lfg_data l WHERE l.guid = groups.guid), 0) "
      "FROM groups WHERE guid = ? FOR UPDATE"};
  stratus_rows *r;
  memset(g, 0, sizeof(*g));
  g->realm = realm;
  g->id = id;
  int rc = HOST->sql_exec(db, sql[lock], STRATUS_SQL_PARAMS(U(id)), &r);
  if (rc != 0) return rc;
  bool found = HOST->rows_next(r) == 1;
  if (found) read_group_row(r, g);
  HOST->rows_free(r);
  return found ? load_roster(db, g) : STRATUS_ENOTFOUND;
}

int gsql_save(stratus_db *db, const ggroup *g) {
  uint32_t h = g->realm;
  return exec(db,
              "UPDATE groups SET leaderGuid = ?, stratus_leaderRealm = ?, lootMethod = ?, "
              "looterGuid = ?, stratus_looterRealm = ?, lootThreshold = ?, icon1 = ?, icon2 = ?, "
              "icon3 = ?, icon4 = ?, icon5 = ?, icon6 = ?, icon7 = ?, icon8 = ?, groupType = ?, "
              "difficulty = ?, raidDifficulty = ?, masterLooterGuid = ?, "
              "stratus_masterLooterRealm = ? WHERE guid = ?",
              STRATUS_SQL_PARAMS(U(g->leader.low), U(stored_realm(h, g->leader.realm)),
                                 U(g->loot_method), U(g->looter.low),
                                 U(g->looter.low ? stored_realm(h, g->looter.realm) : 0),
                                 U(g->loot_threshold), U(g->icons[0]), U(g->icons[1]),
                                 U(g->icons[2]), U(g->icons[3]), U(g->icons[4]), U(g->icons[5]),
                                 U(g->icons[6]), U(g->icons[7]), U(g->group_type),
                                 U(g->difficulty), U(g->raid_difficulty),
                                 U(g->master_looter.low),
                                 U(g->master_looter.low ? stored_realm(h, g->master_looter.realm) : 0),
                                 U(g->id)));
}

/* A new id and the row. Ids only grow (stratus_group_seq, its row locked
 * until commit) and stay above every group a worldserver saved. */
int gsql_create_group(stratus_db *db, ggroup *g) {
  stratus_rows *r;
  int rc = exec(db, "INSERT INTO stratus_group_seq (id, next) SELECT 1, COALESCE(MAX(guid), 0) + 1 "
                    "FROM groups ON DUPLICATE KEY UPDATE next = GREATEST(next + 1, VALUES(next))",
                NULL, 0);
  if (rc == 0)
    rc = HOST->sql_exec(db, "SELECT next FROM stratus_group_seq WHERE id = 1", NULL, 0, &r);
  if (rc != 0) return rc;
  g->id = HOST->rows_next(r) == 1 ? (uint32_t)HOST->rows_uint(r, 0) : 0;
  HOST->rows_free(r);
  if (g->id == 0) return STRATUS_EDB;
  rc = exec(db,
            "INSERT INTO groups (guid, leaderGuid, lootMethod, looterGuid, lootThreshold, icon1, "
            "icon2, icon3, icon4, icon5, icon6, icon7, icon8, groupType, difficulty, "
            "raidDifficulty, masterLooterGuid) VALUES (?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
            "0, 0, 0)",
            STRATUS_SQL_PARAMS(U(g->id)));
  return rc != 0 ? rc : gsql_save(db, g);
}

int gsql_add_member(stratus_db *db, const ggroup *g, const gmember *m) {
  if (m->realm == g->realm)
    return exec(db, "INSERT INTO group_member (guid, memberGuid, memberFlags, subgroup, roles) "
                    "VALUES (?, ?, ?, ?, ?)",
                STRATUS_SQL_PARAMS(U(g->id), U(m->low), U(m->flags), U(m->subgroup),
                                   U(m->roles)));
  return exec(db, "INSERT INTO stratus_group_member_foreign (guid, memberRealm, memberGuid, "
                  "memberName, memberFlags, subgroup, roles) VALUES (?, ?, ?, ?, ?, ?, ?)",
              STRATUS_SQL_PARAMS(U(g->id), U(m->realm), U(m->low),
                                 stratus_sql_text(m->name), U(m->flags),
                                 U(m->subgroup), U(m->roles)));
}

int gsql_update_member(stratus_db *db, const ggroup *g, const gmember *m) {
  if (m->realm == g->realm)
    return exec(db, "UPDATE group_member SET memberFlags = ?, subgroup = ?, roles = ? "
                    "WHERE memberGuid = ? AND guid = ?",
                STRATUS_SQL_PARAMS(U(m->flags), U(m->subgroup), U(m->roles), U(m->low),
                                   U(g->id)));
  return exec(db, "UPDATE stratus_group_member_foreign SET memberFlags = ?, subgroup = ?, "
                  "roles = ? WHERE memberRealm = ? AND memberGuid = ? AND guid = ?",
              STRATUS_SQL_PARAMS(U(m->flags), U(m->subgroup), U(m->roles), U(m->realm),
                                 U(m->low), U(g->id)));
}

/* Removes the member row; a home-realm member's pointer goes with it. */
int gsql_remove_member(stratus_db *db, const ggroup *g, gplayer who) {
  if (who.realm != g->realm)
    return exec(db, "DELETE FROM stratus_group_member_foreign WHERE memberRealm = ? AND "
                    "memberGuid = ? AND guid = ?",
                STRATUS_SQL_PARAMS(U(who.realm), U(who.low), U(g->id)));
  int rc = exec(db, "DELETE FROM group_member WHERE memberGuid = ? AND guid = ?",
                STRATUS_SQL_PARAMS(U(who.low), U(g->id)));
  return rc != 0 ? rc : gsql_unclaim(db, who.low, 0, g->id);
}

int gsql_delete_group(stratus_db *db, const ggroup *g) {
  static const char *const sql[] = {
      "DELETE FROM stratus_group_player WHERE groupRealm = 0 AND groupId = ?",
      "DELETE FROM group_member WHERE guid = ?",
      "DELETE FROM stratus_group_member_foreign WHERE guid = ?",
      "DELETE FROM lfg_data WHERE guid = ?",
      "DELETE FROM groups WHERE guid = ?"};
  for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
    int rc = exec(db, sql[i], STRATUS_SQL_PARAMS(U(g->id)));
    if (rc != 0) return rc;
  }
  return 0;
}

/* lfg_data follows the group: a row while it is an LFG group. */
int gsql_lfg_sync(stratus_db *db, const ggroup *g) {
  if (!(g->group_type & GROUP_TYPE_LFG))
    return exec(db, "DELETE FROM lfg_data WHERE guid = ?", STRATUS_SQL_PARAMS(U(g->id)));
  return exec(db, "INSERT INTO lfg_data (guid, dungeon, state) VALUES (?, ?, 5) "
                  "ON DUPLICATE KEY UPDATE dungeon = VALUES(dungeon)",
              STRATUS_SQL_PARAMS(U(g->id), U(g->lfg_dungeon)));
}
