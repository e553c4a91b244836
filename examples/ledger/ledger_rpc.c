/* The Ledger service: Record and Balance run SQL in database jobs, Stats
 * answers from memory. A job carries copies of everything its worker needs:
 * workers never read the config, which a reload may replace meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "ledger/v1/ledger.pb-c.h"

#define ER_NO_SUCH_TABLE 1146
#define NOTE_BYTES 255
#define EVENT_ENTRY_RECORDED 1 /* "t" of the event, numbered per subject family */

typedef struct ledger_job {
  ledger *lg;
  stratus_call *call;
  char account[65];
  char note[NOTE_BYTES + 1];
  int64_t amount;
  uint64_t entry_id, entries;
  int64_t balance;
  unsigned errnum; /* MySQL error of a failed job */
} ledger_job;

/* NULL when the account is 1-64 of A-Z a-z 0-9 _ -, else why not. The
 * rule also keeps the name safe to put in JSON as it is. */
static const char *account_problem(const char *account) {
  size_t n = strlen(account);
  if (n == 0 || n > 64) return "must be 1 to 64 characters";
  for (const char *p = account; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return "may hold only A-Z, a-z, 0-9, '_' and '-'";
  return NULL;
}

static void fail_job(ledger_job *j, int result, const char *error) {
  if (j->errnum == ER_NO_SUCH_TABLE)
    ledger_host->call_fail(j->call, STRATUS_GRPC_FAILED_PRECONDITION,
                           "table stratus_ledger_entries is missing: run "
                           "`stratusctl migrate`");
  else
    ledger_host->call_fail(j->call, STRATUS_GRPC_UNAVAILABLE, "database: %s (%s)",
                           error ? error : "failed", stratus_strerror(result));
}

/* ---- Record ---------------------------------------------------------------- */

static int record_txn(stratus_db *db, void *arg) { /* worker */
  ledger_job *j = arg;
  stratus_rows *rows;
  int rc = ledger_host->sql_exec(
      db, "INSERT INTO stratus_ledger_entries (account, amount, note, created_at) "
          "VALUES (?, ?, ?, UTC_TIMESTAMP())",
      STRATUS_SQL_PARAMS(stratus_sql_text(j->account), STRATUS_SQL_INT_V(j->amount),
                         stratus_sql_text(j->note)), &rows);
  if (rc) return rc;
  j->entry_id = ledger_host->rows_insert_id(rows);
  ledger_host->rows_free(rows);
  rc = ledger_host->sql_exec(
      db, "SELECT COALESCE(SUM(amount), 0) FROM stratus_ledger_entries WHERE account = ?",
      STRATUS_SQL_PARAMS(stratus_sql_text(j->account)), &rows);
  if (rc) return rc;
  if (ledger_host->rows_next(rows) == 1) j->balance = ledger_host->rows_int(rows, 0);
  ledger_host->rows_free(rows);
  return 0;
}

static int record_work(stratus_db *db, void *job) { /* worker */
  ledger_job *j = job;
  int rc = ledger_host->db_transaction(db, record_txn, j);
  if (rc) j->errnum = ledger_host->db_errno(db);
  return rc;
}

static void announce(stratus_ctx *ctx, const ledger_job *j) {
  char payload[256];
  snprintf(payload, sizeof(payload),
           "{\"EntryID\":%llu,\"Account\":\"%s\",\"Amount\":%lld,\"Balance\":%lld}",
           (unsigned long long)j->entry_id, j->account, (long long)j->amount,
           (long long)j->balance);
  int rc = ledger_host->event_publish(ctx, j->lg->config->subject,
                                      EVENT_ENTRY_RECORDED, payload);
  if (rc) STRATUS_WARN(ledger_host, ctx, "event not sent: %s", stratus_strerror(rc));
}

static void record_done(stratus_ctx *ctx, void *job, int result, const char *error) {
  ledger_job *j = job;
  if (result) {
    fail_job(j, result, error);
  } else {
    Ledger__V1__RecordResponse resp = LEDGER__V1__RECORD_RESPONSE__INIT;
    resp.entry_id = j->entry_id;
    resp.balance = j->balance;
    ledger_host->call_reply(j->call, &resp.base);
    j->lg->recorded++;
    ledger_host->metric_add(j->lg->entries, NULL, 1);
    announce(ctx, j);
  }
  free(j);
}

static void submit(stratus_ctx *ctx, ledger_job *j, stratus_db_work work,
                   stratus_db_done done) {
  int rc = ledger_host->db_submit(ctx, j->lg->config->pool, work, done, j, NULL);
  if (rc == 0) return;
  ledger_host->call_fail(j->call, STRATUS_GRPC_UNAVAILABLE, "pool [db.%s]: %s",
                         j->lg->config->pool, stratus_strerror(rc));
  free(j);
}

/* A job for `account`, or NULL with the call answered. */
static ledger_job *new_job(ledger *lg, stratus_call *call, const char *account) {
  const char *why = account_problem(account);
  if (why) {
    ledger_host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT, "account %s", why);
    return NULL;
  }
  ledger_job *j = calloc(1, sizeof(*j));
  if (!j) {
    ledger_host->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  j->lg = lg;
  j->call = call;
  snprintf(j->account, sizeof(j->account), "%s", account);
  return j;
}

static void on_record(stratus_ctx *ctx, stratus_call *call,
                      const ProtobufCMessage *msg, void *ud) {
  const Ledger__V1__RecordRequest *req = (const void *)msg;
  if (req->amount == 0 || strlen(req->note) > NOTE_BYTES) {
    ledger_host->call_fail(call, STRATUS_GRPC_INVALID_ARGUMENT,
                           req->amount == 0 ? "amount must not be 0"
                                            : "note is longer than 255 bytes");
    return;
  }
  ledger_job *j = new_job(ud, call, req->account);
  if (!j) return;
  j->amount = req->amount;
  snprintf(j->note, sizeof(j->note), "%s", req->note);
  submit(ctx, j, record_work, record_done);
}

/* ---- Balance --------------------------------------------------------------- */

static int balance_work(stratus_db *db, void *job) { /* worker */
  ledger_job *j = job;
  stratus_rows *rows;
  int rc = ledger_host->sql_exec(
      db, "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM stratus_ledger_entries "
          "WHERE account = ?", STRATUS_SQL_PARAMS(stratus_sql_text(j->account)), &rows);
  if (rc) {
    j->errnum = ledger_host->db_errno(db);
    return rc;
  }
  if (ledger_host->rows_next(rows) == 1) {
    j->balance = ledger_host->rows_int(rows, 0);
    j->entries = ledger_host->rows_uint(rows, 1);
  }
  ledger_host->rows_free(rows);
  return 0;
}

static void balance_done(stratus_ctx *ctx, void *job, int result, const char *error) {
  ledger_job *j = job;
  (void)ctx;
  if (result) {
    fail_job(j, result, error);
  } else {
    Ledger__V1__BalanceResponse resp = LEDGER__V1__BALANCE_RESPONSE__INIT;
    resp.balance = j->balance;
    resp.entries = j->entries;
    ledger_host->call_reply(j->call, &resp.base);
  }
  free(j);
}

static void on_balance(stratus_ctx *ctx, stratus_call *call,
                       const ProtobufCMessage *msg, void *ud) {
  const Ledger__V1__BalanceRequest *req = (const void *)msg;
  ledger_job *j = new_job(ud, call, req->account);
  if (j) submit(ctx, j, balance_work, balance_done);
}

/* ---- Stats ----------------------------------------------------------------- */

static void on_stats(stratus_ctx *ctx, stratus_call *call,
                     const ProtobufCMessage *msg, void *ud) {
  const ledger *lg = ud;
  (void)msg;
  Ledger__V1__StatsResponse resp = LEDGER__V1__STATS_RESPONSE__INIT;
  resp.recorded = lg->recorded;
  resp.generation = ledger_host->generation(ctx);
  resp.label = (char *)lg->config->label;
  ledger_host->call_reply(call, &resp.base);
}

int ledger_register(stratus_ctx *ctx, ledger *lg) {
  static const struct {
    const char *method;
    stratus_rpc_handler handler;
  } methods[] = {{"Record", on_record}, {"Balance", on_balance}, {"Stats", on_stats}};
  for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    int rc = ledger_host->rpc_register(ctx, &ledger__v1__ledger__descriptor,
                                       methods[i].method, methods[i].handler, lg);
    if (rc) return rc;
  }
  return 0;
}
