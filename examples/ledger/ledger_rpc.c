/* The Ledger service, declared as data: Record and Balance run SQL on the
 * configured pool (Record in a transaction), Stats answers from memory. The
 * host's runner does the rest: the job in the call's arena, the pool, the
 * deadline, one mapping of failures to gRPC statuses. */
#include <string.h>

#include <jansson.h>

#include "ledger.h"
#include "ledger/v1/ledger.pb-c.h"

#define NOTE_BYTES 255
#define EVENT_ENTRY_RECORDED 1 /* "t" of the event, numbered per subject family */

/* What a call's steps share; it lives in the call's arena. Workers read only
 * this: never the config, which a reload may replace meanwhile. */
typedef struct ledger_job {
  const char *account, *note; /* the request's, valid until the answer */
  int64_t amount;
  uint64_t entry_id, entries;
  int64_t balance;
} ledger_job;

/* NULL when the account is 1-64 of A-Z a-z 0-9 _ -, else why not. */
static const char *account_problem(const char *account) {
  size_t n = strlen(account);
  if (n == 0 || n > 64) return "must be 1 to 64 characters";
  for (const char *p = account; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return "may hold only A-Z, a-z, 0-9, '_' and '-'";
  return NULL;
}

/* Both SQL methods: the account is valid and the pool is the configured one. */
static int account_check(stratus_req *req, const char *account, ledger_job *j) {
  const ledger *lg = ledger_host->req_ud(req);
  const char *why = account_problem(account);
  if (why) return ledger_host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "account %s", why);
  j->account = account;
  return ledger_host->req_use_pool(req, lg->config->pool);
}

/* ---- Record ---------------------------------------------------------------- */

static int record_check(stratus_req *req, const void *msg, void *job) {
  const Ledger__V1__RecordRequest *in = msg;
  ledger_job *j = job;
  if (in->amount == 0)
    return ledger_host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "amount must not be 0");
  if (strlen(in->note) > NOTE_BYTES)
    return ledger_host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                                 "note is longer than 255 bytes");
  j->amount = in->amount;
  j->note = in->note;
  return account_check(req, in->account, j);
}

static int record_work(stratus_db *db, stratus_req *req, void *job) { /* worker, in a txn */
  (void)req;
  ledger_job *j = job;
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

/* After the commit: the host writes the payload as Go's encoding/json would. */
static void announce(stratus_ctx *ctx, const ledger *lg, const ledger_job *j) {
  json_t *payload = json_pack("{s:I, s:s, s:I, s:I}", "EntryID", (json_int_t)j->entry_id,
                              "Account", j->account, "Amount", (json_int_t)j->amount,
                              "Balance", (json_int_t)j->balance);
  int rc = payload ? ledger_host->event_publish_json(ctx, lg->config->subject,
                                                     EVENT_ENTRY_RECORDED, payload)
                   : STRATUS_ENOMEM;
  if (rc) STRATUS_WARN(ledger_host, ctx, "event not sent: %s", stratus_strerror(rc));
}

static int record_reply(stratus_req *req, void *job) {
  ledger_job *j = job;
  ledger *lg = ledger_host->req_ud(req);
  Ledger__V1__RecordResponse *resp = ledger_host->req_alloc(req, sizeof(*resp));
  ledger__v1__record_response__init(resp);
  resp->entry_id = j->entry_id;
  resp->balance = j->balance;
  lg->recorded++;
  ledger_host->metric_add(lg->entries, NULL, 1);
  announce(ledger_host->req_ctx(req), lg, j);
  return ledger_host->req_reply(req, &resp->base);
}

/* ---- Balance --------------------------------------------------------------- */

static int balance_check(stratus_req *req, const void *msg, void *job) {
  const Ledger__V1__BalanceRequest *in = msg;
  return account_check(req, in->account, job);
}

static int balance_work(stratus_db *db, stratus_req *req, void *job) { /* worker */
  (void)req;
  ledger_job *j = job;
  stratus_rows *rows;
  int rc = ledger_host->sql_exec(
      db, "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM stratus_ledger_entries "
          "WHERE account = ?", STRATUS_SQL_PARAMS(stratus_sql_text(j->account)), &rows);
  if (rc) return rc;
  if (ledger_host->rows_next(rows) == 1) {
    j->balance = ledger_host->rows_int(rows, 0);
    j->entries = ledger_host->rows_uint(rows, 1);
  }
  ledger_host->rows_free(rows);
  return 0;
}

static int balance_reply(stratus_req *req, void *job) {
  ledger_job *j = job;
  Ledger__V1__BalanceResponse *resp = ledger_host->req_alloc(req, sizeof(*resp));
  ledger__v1__balance_response__init(resp);
  resp->balance = j->balance;
  resp->entries = j->entries;
  return ledger_host->req_reply(req, &resp->base);
}

/* ---- Stats: from memory, no database --------------------------------------- */

static int stats_reply(stratus_req *req, void *job) {
  (void)job;
  const ledger *lg = ledger_host->req_ud(req);
  Ledger__V1__StatsResponse *resp = ledger_host->req_alloc(req, sizeof(*resp));
  ledger__v1__stats_response__init(resp);
  resp->recorded = lg->recorded;
  resp->generation = ledger_host->generation(ledger_host->req_ctx(req));
  resp->label = (char *)lg->config->label;
  return ledger_host->req_reply(req, &resp->base);
}

/* A missing table (MySQL 1146) answers FAILED_PRECONDITION "run `stratusctl
 * migrate`", a database that is down UNAVAILABLE: the host's one mapping. */
static const stratus_method methods[] = {
    {.name = "Record", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(ledger_job),
     .check = record_check, .work = record_work, .reply = record_reply},
    {.name = "Balance", .job_size = sizeof(ledger_job), .check = balance_check,
     .work = balance_work, .reply = balance_reply},
    {.name = "Stats", .reply = stats_reply},
};

int ledger_register(stratus_ctx *ctx, ledger *lg) {
  return ledger_host->methods_register(ctx, &ledger__v1__ledger__descriptor, methods,
                                       sizeof(methods) / sizeof(methods[0]),
                                       sizeof(stratus_method), lg);
}
