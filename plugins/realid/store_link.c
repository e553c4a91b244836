/*
 * The auth database work of the link with the characters plugin: an
 * account's accepted pairs (FriendsOf), and the pair or block changes that
 * RemoveFriend, SetFriendNote, AddIgnore and RemoveIgnore make
 * (PairChanged, in the runner's transaction).
 */
#include <string.h>

#include "realid.h"
#include "realid/link.pb-c.h"

#define U(v) STRATUS_SQL_UINT_V(v)

int store_friends_of_work(stratus_db *db, stratus_req *req, void *job) {
  static const stratus_col cols[] = {
      STRATUS_COL(rid_linked, other, "other"), STRATUS_COL(rid_linked, note, "note"),
      STRATUS_COL(rid_linked, char_realm, "char_realm"),
      STRATUS_COL(rid_linked, char_low, "char_low")};
  rid_link_job *j = job;
  stratus_rows *rows;
  int rc = HOST->sql_exec(
      db,
      "SELECT account_high AS other, note_low AS note, char_high_realm AS char_realm, "
      "char_high_guid AS char_low FROM stratus_realid_friends WHERE account_low = ? AND "
      "state = 2 UNION ALL SELECT account_low, note_high, char_low_realm, char_low_guid "
      "FROM stratus_realid_friends WHERE account_high = ? AND state = 2 ORDER BY other",
      STRATUS_SQL_PARAMS(U(j->account), U(j->account)), &rows);
  if (rc != 0) return rc;
  rc = HOST->rows_collect(rows, req, STRATUS_COLS(cols), sizeof(rid_linked), NULL,
                          (void **)&j->rows, &j->n);
  HOST->rows_free(rows);
  return rc;
}

/* The friend's account from the pair whose other side last used (realm, low). */
static int other_by_character(stratus_db *db, rid_link_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(
      db,
      "SELECT account_high FROM stratus_realid_friends WHERE account_low = ? AND "
      "char_high_realm = ? AND char_high_guid = ? UNION ALL SELECT account_low FROM "
      "stratus_realid_friends WHERE account_high = ? AND char_low_realm = ? AND "
      "char_low_guid = ? LIMIT 1",
      STRATUS_SQL_PARAMS(U(j->account), U(j->other_realm), U(j->other_low), U(j->account),
                         U(j->other_realm), U(j->other_low)),
      &rows);
  if (rc != 0) return rc;
  if (HOST->rows_next(rows) == 1) j->other = (uint32_t)HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  return 0;
}

/* Locks the pair; j->was_accepted and *exists say what it was. */
static int lock_pair_state(stratus_db *db, rid_link_job *j, uint32_t lo, uint32_t hi,
                           bool *exists) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT state FROM stratus_realid_friends WHERE account_low = ? "
                              "AND account_high = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(U(lo), U(hi)), &rows);
  if (rc != 0) return rc;
  *exists = HOST->rows_next(rows) == 1;
  j->was_accepted = *exists && HOST->rows_uint(rows, 0) == 2;
  HOST->rows_free(rows);
  return 0;
}

static int delete_pair(stratus_db *db, uint32_t lo, uint32_t hi) {
  return HOST->sql_exec(db, "DELETE FROM stratus_realid_friends WHERE account_low = ? AND "
                            "account_high = ?",
                        STRATUS_SQL_PARAMS(U(lo), U(hi)), NULL);
}

static int set_note(stratus_db *db, const rid_link_job *j, uint32_t lo, uint32_t hi) {
  return HOST->sql_exec(db,
                        j->account == lo ? "UPDATE stratus_realid_friends SET note_low = ? "
                                           "WHERE account_low = ? AND account_high = ?"
                                         : "UPDATE stratus_realid_friends SET note_high = ? "
                                           "WHERE account_low = ? AND account_high = ?",
                        STRATUS_SQL_PARAMS(stratus_sql_text(j->note), U(lo), U(hi)), NULL);
}

static int block(stratus_db *db, const rid_link_job *j, bool on) {
  return HOST->sql_exec(db,
                        on ? "INSERT IGNORE INTO stratus_realid_blocks (account, blocked) "
                             "VALUES (?, ?)"
                           : "DELETE FROM stratus_realid_blocks WHERE account = ? AND "
                             "blocked = ?",
                        STRATUS_SQL_PARAMS(U(j->account), U(j->other)), NULL);
}

int store_pair_changed_work(stratus_db *db, stratus_req *req, void *job) {
  rid_link_job *j = job;
  bool exists = false;
  int rc = 0;
  j->changed = j->was_accepted = false;
  if (!j->other && (rc = other_by_character(db, j)) != 0) return rc;
  if (!j->other || j->other == j->account) return 0; /* no Real ID relation */
  uint32_t lo = j->account < j->other ? j->account : j->other, hi = j->account ^ j->other ^ lo;
  if (j->change == STRATUS__REALID__PAIR_CHANGE__UNBLOCK) {
    j->changed = true;
    return block(db, j, false);
  }
  if ((rc = lock_pair_state(db, j, lo, hi, &exists)) != 0) return rc;
  if (j->change == STRATUS__REALID__PAIR_CHANGE__BLOCK && (rc = block(db, j, true)) != 0)
    return rc;
  if (j->change == STRATUS__REALID__PAIR_CHANGE__NOTE) {
    j->changed = j->was_accepted;
    return j->was_accepted ? set_note(db, j, lo, hi) : 0;
  }
  /* "changed": an accepted friendship ended (a declined request publishes nothing). */
  j->changed = j->was_accepted || j->change == STRATUS__REALID__PAIR_CHANGE__BLOCK;
  return exists ? delete_pair(db, lo, hi) : 0;
}
