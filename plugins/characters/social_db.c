/*
 * character_social as the core keeps it (SocialMgr): one row per (player,
 * other) whose `flags` combine 0x01 friend and 0x02 ignored; adding a flag
 * to an existing row updates it, removing the last flag deletes the row.
 *
 * Every change is a transaction that first locks the player's own
 * characters row (SELECT ... FOR UPDATE on the primary key): changes to one
 * player's list serialize there, so the list limits hold and a retried
 * call finds its own earlier effect (already a friend, nothing to remove).
 * The list itself is then read without locking: the transaction's snapshot
 * is taken at that first plain read, after the lock was granted, so it sees
 * every earlier change. (A locking read of the whole list would also work,
 * but a lock error arriving after some of its rows leaves the connection's
 * cached statement unusable; a single-row lock reports errors up front.)
 */
#include <string.h>

#include "characters.h"
#include "req.h"
#include "social.h"

#define SQL_UINT(v) STRATUS_SQL_UINT_V(v)

/* Locks the player's characters row; false (and no error) if there is none. */
static int lock_player(stratus_db *db, stratus_req *req, social_job *j, bool *found) {
  static const stratus_col cols[] = {STRATUS_COL(social_job, player_race, "race"),
                                     STRATUS_COL(social_job, account, "account")};
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT race, account FROM characters WHERE guid = ? AND "
                          "deleteInfos_Name IS NULL FOR UPDATE",
                          STRATUS_SQL_PARAMS(SQL_UINT(j->player)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_read(rows, req, STRATUS_COLS(cols), j);
  HOST->rows_free(rows);
  *found = rc == 1;
  return rc < 0 ? rc : 0;
}

static int player_not_found(stratus_req *req, const social_job *j) {
  return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "character %u not found on realm %u",
                        j->player, j->realm);
}

/* The other character's race and name; *found false if it does not exist. */
static int load_other(stratus_db *db, stratus_req *req, social_job *j, bool *found) {
  static const stratus_col cols[] = {STRATUS_COL(social_job, other_race, "race"),
                                     STRATUS_COL(social_job, other_name, "name"),
                                     STRATUS_COL(social_job, other_account, "account")};
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT race, name, account FROM characters WHERE guid = ? "
                          "AND deleteInfos_Name IS NULL",
                          STRATUS_SQL_PARAMS(SQL_UINT(j->other)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_read(rows, req, STRATUS_COLS(cols), j);
  HOST->rows_free(rows);
  *found = rc == 1;
  return rc < 0 ? rc : 0;
}

/* The flags the player has on `other` and how many entries carry `flag`
 * (a plain read: the player's row lock already serializes changes). */
static int read_list(stratus_db *db, social_job *j, uint8_t flag, uint8_t *flags,
                     uint32_t *count) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT friend, flags FROM character_social WHERE guid = ?",
                          STRATUS_SQL_PARAMS(SQL_UINT(j->player)), &rows);
  if (rc != 0) return rc;
  *flags = 0;
  *count = 0;
  while ((rc = HOST->rows_next(rows)) == 1) {
    uint8_t f = (uint8_t)HOST->rows_uint(rows, 1);
    if ((uint32_t)HOST->rows_uint(rows, 0) == j->other) *flags |= f;
    if (f & flag) (*count)++;
  }
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

static int add_flag(stratus_db *db, const social_job *j, uint8_t flag, uint8_t flags) {
  if (flags && j->friend)
    return HOST->sql_exec(db, "UPDATE character_social SET flags = flags | ?, note = ? "
                              "WHERE guid = ? AND friend = ?",
                          STRATUS_SQL_PARAMS(SQL_UINT(flag), stratus_sql_text(j->note),
                                             SQL_UINT(j->player), SQL_UINT(j->other)),
                          NULL);
  if (flags)
    return HOST->sql_exec(db, "UPDATE character_social SET flags = flags | ? "
                              "WHERE guid = ? AND friend = ?",
                          STRATUS_SQL_PARAMS(SQL_UINT(flag), SQL_UINT(j->player),
                                             SQL_UINT(j->other)),
                          NULL);
  return HOST->sql_exec(db, "INSERT INTO character_social (guid, friend, flags, note) "
                            "VALUES (?, ?, ?, ?)",
                        STRATUS_SQL_PARAMS(SQL_UINT(j->player), SQL_UINT(j->other),
                                           SQL_UINT(flag),
                                           stratus_sql_text(j->friend ? j->note : "")),
                        NULL);
}

/* The game-rule outcome of an add, or 0 when the flag may be added. */
static int add_refusal(stratus_db *db, social_job *j, uint8_t flag, uint8_t *flags) {
  uint32_t count;
  if (j->friend && !j->two_side_add_friend &&
      online_team(j->player_race) != online_team(j->other_race))
    return FRIEND_ENEMY;
  int rc = read_list(db, j, flag, flags, &count);
  if (rc != 0) return rc;
  if (*flags & flag) return j->friend ? FRIEND_ALREADY : FRIEND_IGNORE_ALREADY;
  if (count >= (j->friend ? SOCIAL_FRIEND_LIMIT : SOCIAL_IGNORE_LIMIT))
    return j->friend ? FRIEND_LIST_FULL : FRIEND_IGNORE_FULL;
  return 0;
}

int social_add_work(stratus_db *db, stratus_req *req, void *job) {
  social_job *j = job;
  uint8_t flag = j->friend ? SOCIAL_FRIEND : SOCIAL_IGNORED, flags = 0;
  bool found;
  j->changed = false;
  int rc = lock_player(db, req, j, &found);
  if (rc == 0 && !found) return player_not_found(req, j);
  if (rc == 0) rc = load_other(db, req, j, &found);
  if (rc != 0) return rc;
  if (!found) {
    j->result = j->friend ? FRIEND_NOT_FOUND : FRIEND_IGNORE_NOT_FOUND;
    return 0;
  }
  rc = add_refusal(db, j, flag, &flags);
  if (rc != 0) {
    j->result = rc > 0 ? (uint32_t)rc : 0;
    return rc > 0 ? 0 : rc;
  }
  if ((rc = add_flag(db, j, flag, flags)) != 0) return rc;
  j->result = j->friend ? FRIEND_ADDED_OFFLINE : FRIEND_IGNORE_ADDED;
  j->changed = true;
  return 0;
}

int social_remove_work(stratus_db *db, stratus_req *req, void *job) {
  social_job *j = job;
  uint8_t flag = j->friend ? SOCIAL_FRIEND : SOCIAL_IGNORED, flags = 0;
  uint32_t count;
  bool found;
  j->changed = false;
  int rc = lock_player(db, req, j, &found);
  if (rc != 0 || !found || j->other_realm != j->realm) return rc; /* Real ID only */
  if ((rc = load_other(db, req, j, &found)) != 0) return rc;
  if ((rc = read_list(db, j, flag, &flags, &count)) != 0 || !(flags & flag))
    return rc; /* nothing to remove: done already */
  j->changed = true;
  if (!(flags & ~flag))
    return HOST->sql_exec(db, "DELETE FROM character_social WHERE guid = ? AND friend = ?",
                          STRATUS_SQL_PARAMS(SQL_UINT(j->player), SQL_UINT(j->other)), NULL);
  return HOST->sql_exec(db, "UPDATE character_social SET flags = flags & ~? "
                            "WHERE guid = ? AND friend = ?",
                        STRATUS_SQL_PARAMS(SQL_UINT(flag), SQL_UINT(j->player),
                                           SQL_UINT(j->other)),
                        NULL);
}

int social_note_work(stratus_db *db, stratus_req *req, void *job) {
  social_job *j = job;
  uint8_t flags = 0;
  uint32_t count;
  bool found;
  j->changed = false;
  int rc = lock_player(db, req, j, &found);
  if (rc != 0 || !found || j->other_realm != j->realm) return rc; /* Real ID only */
  if ((rc = load_other(db, req, j, &found)) != 0) return rc;
  if ((rc = read_list(db, j, SOCIAL_FRIEND, &flags, &count)) != 0) return rc;
  if (!(flags & SOCIAL_FRIEND)) return 0; /* NOT_FOUND unless a Real ID pair has the note */
  j->changed = true;
  return HOST->sql_exec(db, "UPDATE character_social SET note = ? WHERE guid = ? AND friend = ?",
                        STRATUS_SQL_PARAMS(stratus_sql_text(j->note), SQL_UINT(j->player),
                                           SQL_UINT(j->other)),
                        NULL);
}

/* Rows of one (player, other) pair merged: the key includes the flags. */
static size_t merge_rows(social_row *rows, size_t n) {
  size_t out = 0;
  for (size_t i = 0; i < n; i++) {
    if (out && rows[out - 1].other == rows[i].other) {
      rows[out - 1].flags |= rows[i].flags;
      if (rows[i].flags & SOCIAL_FRIEND) rows[out - 1].note = rows[i].note;
    } else {
      rows[out++] = rows[i];
    }
  }
  return out;
}

int social_list_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {STRATUS_COL(social_row, other, "friend"),
                                     STRATUS_COL(social_row, flags, "flags"),
                                     STRATUS_COL(social_row, note, "note"),
                                     STRATUS_COL(social_row, account, "account")};
  social_job *j = job;
  stratus_rows *rows;
  bool found;
  int rc = lock_player(db, req, j, &found);
  if (rc == 0 && !found) return player_not_found(req, j);
  if (rc == 0)
    rc = HOST->sql_exec(db, "SELECT s.friend, s.flags, s.note, COALESCE(c.account, 0) AS "
                            "account FROM character_social s LEFT JOIN characters c ON "
                            "c.guid = s.friend WHERE s.guid = ? ORDER BY s.friend",
                        STRATUS_SQL_PARAMS(SQL_UINT(j->player)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(social_row), NULL,
                          (void **)&j->rows, &j->n);
  HOST->rows_free(rows);
  if (rc == 0) j->n = merge_rows(j->rows, j->n);
  return rc;
}

int social_listeners_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {{.column = "guid", .type = STRATUS_COL_U32, .offset = 0}};
  social_job *j = job;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT guid FROM character_social WHERE friend = ? AND "
                              "(flags & 1) <> 0",
                          STRATUS_SQL_PARAMS(SQL_UINT(j->player)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(uint32_t), NULL,
                          (void **)&j->listeners, &j->nlisteners);
  HOST->rows_free(rows);
  return rc;
}
