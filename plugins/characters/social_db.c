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
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "social.h"

/* Locks the player's characters row; STRATUS_ENOTFOUND if there is none. */
static int lock_player(stratus_db *db, social_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT race FROM characters WHERE guid = ? AND deleteInfos_Name IS NULL "
                          "FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player)), &rows);
  if (rc != 0) return rc;
  bool found = HOST->rows_next(rows) == 1;
  if (found) j->player_race = (uint8_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return found ? 0 : STRATUS_ENOTFOUND;
}

static int load_other(stratus_db *db, social_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT race, name FROM characters WHERE guid = ? "
                          "AND deleteInfos_Name IS NULL",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->other)), &rows);
  if (rc != 0) return rc;
  j->other_found = HOST->rows_next(rows) == 1;
  if (j->other_found) {
    size_t len;
    const char *name = HOST->rows_text(rows, 1, &len);
    j->other_race = (uint8_t)HOST->rows_uint(rows, 0);
    memcpy(j->other_name, name ? name : "", len > OC_NAME_BYTES ? OC_NAME_BYTES : len);
  }
  HOST->rows_free(rows);
  return 0;
}

/* The flags the player has on `other` and how many entries carry `flag`
 * (a plain read: the player's row lock already serializes changes). */
static int read_list(stratus_db *db, social_job *j, uint8_t flag, uint8_t *flags,
                     uint32_t *count) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT friend, flags FROM character_social WHERE guid = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player)), &rows);
  if (rc != 0) return rc;
  *flags = 0;
  *count = 0;
  while (HOST->rows_next(rows) == 1) {
    uint8_t f = (uint8_t)HOST->rows_uint(rows, 1);
    if ((uint32_t)HOST->rows_uint(rows, 0) == j->other) *flags |= f;
    if (f & flag) (*count)++;
  }
  HOST->rows_free(rows);
  return 0;
}

static int add_body(stratus_db *db, void *arg) {
  social_job *j = arg;
  bool friend = j->op == SOCIAL_ADD_FRIEND;
  uint8_t flag = friend ? SOCIAL_FRIEND : SOCIAL_IGNORED, flags;
  uint32_t count;
  j->other_found = false; /* the body runs again after a deadlock */
  j->changed = false;
  int rc = lock_player(db, j);
  if (rc == 0) rc = load_other(db, j);
  if (rc != 0) return rc;
  if (!j->other_found) {
    j->result = friend ? FRIEND_NOT_FOUND : FRIEND_IGNORE_NOT_FOUND;
    return 0;
  }
  if (friend && !j->two_side_add_friend &&
      online_team(j->player_race) != online_team(j->other_race)) {
    j->result = FRIEND_ENEMY;
    return 0;
  }
  if ((rc = read_list(db, j, flag, &flags, &count)) != 0) return rc;
  if (flags & flag) {
    j->result = friend ? FRIEND_ALREADY : FRIEND_IGNORE_ALREADY;
    return 0;
  }
  if (count >= (friend ? SOCIAL_FRIEND_LIMIT : SOCIAL_IGNORE_LIMIT)) {
    j->result = friend ? FRIEND_LIST_FULL : FRIEND_IGNORE_FULL;
    return 0;
  }
  const char *note = friend ? j->note : "";
  if (flags && friend)
    rc = HOST->sql_exec(db, "UPDATE character_social SET flags = flags | ?, note = ? "
                            "WHERE guid = ? AND friend = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(flag), stratus_sql_text(note),
                                           STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->other)),
                        NULL);
  else if (flags)
    rc = HOST->sql_exec(db, "UPDATE character_social SET flags = flags | ? "
                            "WHERE guid = ? AND friend = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(flag), STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->other)),
                        NULL);
  else
    rc = HOST->sql_exec(db, "INSERT INTO character_social (guid, friend, flags, note) "
                            "VALUES (?, ?, ?, ?)",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->other),
                                           STRATUS_SQL_UINT_V(flag), stratus_sql_text(note)),
                        NULL);
  if (rc == 0) {
    j->result = friend ? FRIEND_ADDED_OFFLINE : FRIEND_IGNORE_ADDED;
    j->changed = true;
  }
  return rc;
}

static int remove_body(stratus_db *db, void *arg) {
  social_job *j = arg;
  uint8_t flag = j->op == SOCIAL_REMOVE_FRIEND ? SOCIAL_FRIEND : SOCIAL_IGNORED, flags;
  uint32_t count;
  j->changed = false;
  int rc = lock_player(db, j);
  if (rc == STRATUS_ENOTFOUND) rc = 0; /* no such player: nothing to remove */
  if (rc == 0) rc = read_list(db, j, flag, &flags, &count);
  if (rc != 0 || !(flags & flag)) return rc; /* nothing to remove: done already */
  j->changed = true;
  if (!(flags & ~flag))
    return HOST->sql_exec(db, "DELETE FROM character_social WHERE guid = ? AND friend = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player),
                                             STRATUS_SQL_UINT_V(j->other)),
                          NULL);
  return HOST->sql_exec(db, "UPDATE character_social SET flags = flags & ~? "
                            "WHERE guid = ? AND friend = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(flag), STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->other)),
                        NULL);
}

static int note_body(stratus_db *db, void *arg) {
  social_job *j = arg;
  uint8_t flags;
  uint32_t count;
  int rc = lock_player(db, j);
  if (rc == 0) rc = read_list(db, j, SOCIAL_FRIEND, &flags, &count);
  if (rc != 0) return rc;
  if (!(flags & SOCIAL_FRIEND)) return STRATUS_ENOTFOUND;
  return HOST->sql_exec(db, "UPDATE character_social SET note = ? WHERE guid = ? AND friend = ?",
                        STRATUS_SQL_PARAMS(stratus_sql_text(j->note),
                                           STRATUS_SQL_UINT_V(j->player),
                                           STRATUS_SQL_UINT_V(j->other)),
                        NULL);
}

static int list_work(stratus_db *db, social_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT guid FROM characters WHERE guid = ? AND "
                              "deleteInfos_Name IS NULL",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player)), &rows);
  if (rc != 0) return rc;
  bool found = HOST->rows_next(rows) == 1;
  HOST->rows_free(rows);
  if (!found) return STRATUS_ENOTFOUND;
  rc = HOST->sql_exec(db, "SELECT friend, flags, note FROM character_social WHERE guid = ? "
                          "ORDER BY friend",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player)), &rows);
  if (rc != 0) return rc;
  size_t count = HOST->rows_count(rows);
  j->rows = calloc(count ? count : 1, sizeof(*j->rows));
  while (j->rows && HOST->rows_next(rows) == 1) {
    uint32_t other = (uint32_t)HOST->rows_uint(rows, 0);
    uint8_t flags = (uint8_t)HOST->rows_uint(rows, 1);
    size_t len;
    const char *note = HOST->rows_text(rows, 2, &len);
    social_row *r = j->n && j->rows[j->n - 1].other == other ? &j->rows[j->n - 1]
                                                              : &j->rows[j->n++];
    r->other = other;
    r->flags |= flags;
    if ((flags & SOCIAL_FRIEND) && note && len <= SOCIAL_NOTE_BYTES) memcpy(r->note, note, len + 1);
  }
  HOST->rows_free(rows);
  return j->rows ? 0 : STRATUS_ENOMEM;
}

static int listeners_work(stratus_db *db, social_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT guid FROM character_social WHERE friend = ? AND "
                              "(flags & 1) <> 0",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->player)), &rows);
  if (rc != 0) return rc;
  size_t count = HOST->rows_count(rows);
  j->listeners = calloc(count ? count : 1, sizeof(*j->listeners));
  while (j->listeners && HOST->rows_next(rows) == 1 && j->nlisteners < count)
    j->listeners[j->nlisteners++] = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return j->listeners ? 0 : STRATUS_ENOMEM;
}

int social_work(stratus_db *db, void *arg) {
  social_job *j = arg;
  switch (j->op) {
  case SOCIAL_LIST: return list_work(db, j);
  case SOCIAL_LISTENERS: return listeners_work(db, j);
  case SOCIAL_ADD_FRIEND:
  case SOCIAL_ADD_IGNORE: return HOST->db_transaction(db, add_body, j);
  case SOCIAL_REMOVE_FRIEND:
  case SOCIAL_REMOVE_IGNORE: return HOST->db_transaction(db, remove_body, j);
  case SOCIAL_NOTE: return HOST->db_transaction(db, note_body, j);
  }
  return STRATUS_EINVAL;
}
