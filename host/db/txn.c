/* db_transaction: START TRANSACTION, body, COMMIT, retried as a whole after a
 * deadlock (1213) or lock wait timeout (1205) anywhere in it. After either,
 * the rest of the body's statements fail at once: InnoDB has already rolled
 * back the transaction (deadlock) and anything run later would run outside
 * it, in autocommit mode. */
#include <string.h>
#include <time.h>

#include <stratus/errors.h>

#include "sql.h"

static void backoff(stratus_db *db, int attempt) {
  /* xorshift32: only jitter, no need for quality */
  db->rng ^= db->rng << 13;
  db->rng ^= db->rng >> 17;
  db->rng ^= db->rng << 5;
  long base_ms = 5L << (attempt < 4 ? attempt : 4);
  long ms = base_ms / 2 + (long)(db->rng % (uint32_t)base_ms);
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int txn_once(stratus_db *db, stratus_db_txn_body body, void *arg,
                    bool *retry) {
  *retry = false;
  int rc = db_conn_simple(db, "START TRANSACTION");
  if (rc != 0) return rc;
  db->in_txn = true;
  db->txn_aborted = false;
  rc = body(db, arg);
  if (rc == 0 && !db->txn_aborted) rc = db_conn_simple(db, "COMMIT");
  bool aborted = db->txn_aborted;
  db->in_txn = false;
  if ((rc != 0 || aborted) && !db->dead) {
    unsigned keep_errno = db->last_errno;
    char keep[sizeof(db->last_error)];
    memcpy(keep, db->last_error, sizeof(keep));
    int rb = db_conn_simple(db, "ROLLBACK");
    if (rb == 0 || !db->dead) {
      db->last_errno = keep_errno;
      memcpy(db->last_error, keep, sizeof(keep));
    } else {
      rc = rb;
    }
  }
  if (aborted && !db->dead) {
    *retry = true;
    if (rc == 0) rc = STRATUS_EDB;
  }
  return rc;
}

int db_txn_run(stratus_db *db, stratus_db_txn_body body, void *arg) {
  if (!db || !body) return STRATUS_EINVAL;
  if (db->in_txn) {
    db_conn_fail(db, 0, "db_transaction inside a transaction");
    return STRATUS_EINVAL;
  }
  for (int attempt = 0;; attempt++) {
    bool retry;
    int rc = txn_once(db, body, arg, &retry);
    if (!retry || attempt >= db->txn_retries) return rc;
    db->txn_retried++;
    backoff(db, attempt);
  }
}
