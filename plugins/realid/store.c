/*
 * stratus_realid_friends in the auth database (sql/auth/0001): one row per
 * unordered pair of accounts, the lower id in account_low, the higher in
 * account_high (the primary key, so a pair exists once whoever asks first),
 * the account that asked first, the state (1 requested, 2 accepted), each
 * side's note about the other and the character each side last used toward
 * the pair (the friend shown while the account is offline).
 *
 * A request and an acceptance are one transaction: the pair's row is locked
 * (SELECT ... FOR UPDATE), then created, refreshed or accepted. Two accounts
 * asking for each other at the same moment both insert; one insert meets the
 * other's key and that side reads the row again and accepts it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realid.h"

typedef struct pair_row {
  bool exists;
  uint8_t state;
  uint32_t requester;
  uint32_t char_realm[2], char_low[2]; /* [0] low side, [1] high side */
} pair_row;

/* The account whose e-mail (else registration e-mail) is `email`, or 0 when
 * no account or several have it. Comparison follows the column collation
 * (case-insensitive). */
static int account_by_email(stratus_db *db, const char *email, uint32_t *out) {
  static const char *const sql[] = {"SELECT id FROM account WHERE email = ? LIMIT 2",
                                    "SELECT id FROM account WHERE reg_mail = ? LIMIT 2"};
  *out = 0;
  for (int i = 0; i < 2; i++) {
    stratus_rows *rows;
    int rc = HOST->sql_exec(db, sql[i], STRATUS_SQL_PARAMS(stratus_sql_text(email)), &rows);
    if (rc != 0) return rc;
    size_t n = HOST->rows_count(rows);
    if (n == 1 && HOST->rows_next(rows) == 1) *out = (uint32_t)HOST->rows_uint(rows, 0);
    HOST->rows_free(rows);
    if (n) return 0; /* one match, or an ambiguous address: no account */
  }
  return 0;
}

static int accepted_count(stratus_db *db, uint32_t account, uint32_t *count) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT (SELECT COUNT(*) FROM stratus_realid_friends WHERE "
                          "account_low = ? AND state = 2) + (SELECT COUNT(*) FROM "
                          "stratus_realid_friends WHERE account_high = ? AND state = 2)",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(account),
                                             STRATUS_SQL_UINT_V(account)),
                          &rows);
  if (rc != 0) return rc;
  *count = HOST->rows_next(rows) == 1 ? (uint32_t)HOST->rows_uint(rows, 0) : 0;
  HOST->rows_free(rows);
  return 0;
}

static int lock_pair(stratus_db *db, uint32_t lo, uint32_t hi, pair_row *p) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT state, requester, char_low_realm, char_low_guid, "
                          "char_high_realm, char_high_guid FROM stratus_realid_friends "
                          "WHERE account_low = ? AND account_high = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(lo), STRATUS_SQL_UINT_V(hi)),
                          &rows);
  if (rc != 0) return rc;
  memset(p, 0, sizeof(*p));
  if (HOST->rows_next(rows) == 1) {
    p->exists = true;
    p->state = (uint8_t)HOST->rows_uint(rows, 0);
    p->requester = (uint32_t)HOST->rows_uint(rows, 1);
    for (unsigned i = 0; i < 2; i++) {
      p->char_realm[i] = (uint32_t)HOST->rows_uint(rows, 2 + 2 * i);
      p->char_low[i] = (uint32_t)HOST->rows_uint(rows, 3 + 2 * i);
    }
  }
  HOST->rows_free(rows);
  return 0;
}

static int insert_request(stratus_db *db, const rid_job *j, uint32_t lo, uint32_t hi) {
  bool me_low = j->account == lo;
  return HOST->sql_exec(
      db,
      me_low ? "INSERT INTO stratus_realid_friends (account_low, account_high, state, "
               "requester, note_low, char_low_realm, char_low_guid) VALUES (?, ?, 1, ?, ?, ?, ?)"
             : "INSERT INTO stratus_realid_friends (account_low, account_high, state, "
               "requester, note_high, char_high_realm, char_high_guid) "
               "VALUES (?, ?, 1, ?, ?, ?, ?)",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(lo), STRATUS_SQL_UINT_V(hi),
                         STRATUS_SQL_UINT_V(j->account), stratus_sql_text(j->note),
                         STRATUS_SQL_UINT_V(j->realm), STRATUS_SQL_UINT_V(j->low)),
      NULL);
}

/* Writes the caller's side (note, character) and the state. */
static int update_side(stratus_db *db, const rid_job *j, uint32_t lo, uint32_t hi, int state) {
  bool me_low = j->account == lo;
  return HOST->sql_exec(
      db,
      me_low ? "UPDATE stratus_realid_friends SET state = ?, note_low = ?, char_low_realm = ?, "
               "char_low_guid = ? WHERE account_low = ? AND account_high = ?"
             : "UPDATE stratus_realid_friends SET state = ?, note_high = ?, char_high_realm = ?, "
               "char_high_guid = ? WHERE account_low = ? AND account_high = ?",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(state), stratus_sql_text(j->note),
                         STRATUS_SQL_UINT_V(j->realm), STRATUS_SQL_UINT_V(j->low),
                         STRATUS_SQL_UINT_V(lo), STRATUS_SQL_UINT_V(hi)),
      NULL);
}

/* Decides on an existing row. */
static int on_row(stratus_db *db, rid_job *j, const pair_row *p, uint32_t lo, uint32_t hi) {
  int other_side = j->account == lo ? 1 : 0;
  j->other_realm = p->char_realm[other_side];
  j->other_low = p->char_low[other_side];
  if (p->state == 2) {
    j->outcome = RID_OUT_ALREADY;
    return 0;
  }
  if (p->requester == j->account) { /* asking again: refresh, still pending */
    j->outcome = j->accept ? RID_OUT_NO_REQUEST : RID_OUT_PENDING;
    return j->accept ? 0 : update_side(db, j, lo, hi, 1);
  }
  j->outcome = RID_OUT_ACCEPTED;
  return update_side(db, j, lo, hi, 2);
}

/* Does `account` block `other` (it ignored one of other's characters)? */
static int blocks(stratus_db *db, uint32_t account, uint32_t other, bool *yes) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT 1 FROM stratus_realid_blocks WHERE account = ? AND "
                              "blocked = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(account),
                                             STRATUS_SQL_UINT_V(other)),
                          &rows);
  if (rc != 0) return rc;
  *yes = HOST->rows_next(rows) == 1;
  HOST->rows_free(rows);
  return 0;
}

static int request(stratus_db *db, rid_job *j) {
  bool blocked = false;
  uint32_t count;
  int rc = accepted_count(db, j->account, &count);
  if (rc != 0) return rc;
  /* Before the address is looked up: a full list must not depend on it. */
  if (count >= j->max_friends) {
    j->outcome = RID_OUT_FULL;
    return 0;
  }
  if (!j->accept && (rc = account_by_email(db, j->email, &j->other)) != 0) return rc;
  j->outcome = RID_OUT_PENDING;
  if (!j->other) return 0; /* nobody has that address: answered like a request */
  if (j->other == j->account) {
    j->outcome = RID_OUT_SELF;
    return 0;
  }
  /* Refused by a block: answered as any pending request, nothing written. */
  if ((rc = blocks(db, j->other, j->account, &blocked)) != 0 || blocked) return rc;
  uint32_t lo = j->account < j->other ? j->account : j->other;
  uint32_t hi = j->account ^ j->other ^ lo;
  pair_row p;
  for (int attempt = 0; attempt < 2; attempt++) {
    if ((rc = lock_pair(db, lo, hi, &p)) != 0) return rc;
    if (p.exists) return on_row(db, j, &p, lo, hi);
    if (j->accept) {
      j->outcome = RID_OUT_NO_REQUEST;
      return 0;
    }
    rc = insert_request(db, j, lo, hi);
    if (rc != STRATUS_ECONFLICT) return rc; /* the other side inserted first: read it */
  }
  return rc;
}

/* Inside the runner's transaction (STRATUS_METHOD_TXN). */
int store_request_work(stratus_db *db, stratus_req *req, void *job) { return request(db, job); }

int store_check_work(stratus_db *db, stratus_req *req, void *job) {
  rid_job *j = job;
  uint32_t lo = j->account < j->other ? j->account : j->other, hi = j->account ^ j->other ^ lo;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT state FROM stratus_realid_friends WHERE account_low = ? "
                              "AND account_high = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(lo), STRATUS_SQL_UINT_V(hi)),
                          &rows);
  if (rc != 0) return rc;
  j->accepted = HOST->rows_next(rows) == 1 && HOST->rows_uint(rows, 0) == 2;
  HOST->rows_free(rows);
  return 0;
}

int store_load_work(stratus_db *db, void *arg) {
  rid_load_job *j = arg;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT account_low, account_high FROM stratus_realid_friends "
                              "WHERE state = 2",
                          NULL, 0, &rows);
  if (rc != 0) return rc;
  while (HOST->rows_next(rows) == 1) {
    if (!friendmap_add(&j->map, (uint32_t)HOST->rows_uint(rows, 0),
                       (uint32_t)HOST->rows_uint(rows, 1))) {
      rc = STRATUS_ENOMEM;
      break;
    }
  }
  HOST->rows_free(rows);
  return rc;
}
