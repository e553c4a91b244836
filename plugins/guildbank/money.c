/*
 * Guild bank money:
 *   DepositGuildBankMoney           add to guild.BankMoney and log it
 *   WithdrawGuildBankMoney          rights, daily limit and balance checked
 *                                   under the guild row lock; returns the
 *                                   log GUID that identifies the withdraw
 *   RollbackGuildBankMoneyWithdraw  undoes exactly one withdraw, at most once
 * A client's x-idempotency-key makes a retried deposit or withdraw return
 * the first answer (stratus_guild_bank_op, written in the same transaction).
 */
#include <stdio.h>

#include "guildbank.h"

#define MONEY_MAX UINT64_C(0x7FFFFFFFFFFFFFFF)

typedef struct money_job {
  bank_who who;
  uint32_t amount;
  bool repair;
  uint32_t rollback_log; /* RollbackGuildBankMoneyWithdraw */
  uint32_t status, log_guid;
} money_job;

static int money_check(stratus_req *req, const char *op, uint64_t guild, uint64_t member,
                       uint32_t amount, money_job *j) {
  int rc = bank_who_from(req, op, guild, member, &j->who);
  if (rc) return rc;
  if (amount == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "amount must be > 0");
  j->amount = amount;
  return 0;
}

/* A replayed operation: the first answer. 1 when it was one. Runs after the
 * guild row is locked, so two attempts of one operation never both apply. */
static int replayed(stratus_db *db, money_job *j, const char *key) {
  bank_op op;
  int rc = bank_op_find(db, j->who.guild, key, &op);
  if (rc == 1) {
    j->status = op.status;
    j->log_guid = op.log_guid;
  }
  return rc;
}

/* A refusal is recorded under the key too: a retry returns the same "no". */
static int refuse(stratus_db *db, money_job *j, uint32_t status) {
  bank_op op = {.status = status};
  j->status = status;
  return bank_op_record(db, j->who.guild, j->who.key, &op);
}

static int log_and_record(stratus_db *db, money_job *j, int type, const char *key) {
  int rc = bank_next_log(db, j->who.guild, &j->log_guid);
  if (!rc) rc = bank_log(db, j->who.guild, j->log_guid, BANK_MONEY_LOG_TAB, type, j->who.member,
                         j->amount, 0, 0);
  bank_op op = {.status = BANK_OK, .log_guid = j->log_guid};
  if (!rc) rc = bank_op_record(db, j->who.guild, key, &op);
  j->status = rc ? BANK_FAILED : BANK_OK;
  return rc;
}

static int money_reply(stratus_req *req, void *job) {
  money_job *j = job;
  return bank_reply_action(req, j->status, j->log_guid);
}

/* ---- deposit ----------------------------------------------------------------------- */

static int deposit_check(stratus_req *req, const void *request, void *job) {
  const V1__DepositGuildBankMoneyParams *p = request;
  return money_check(req, "deposit-money", p->guildid, p->memberguid, p->amount, job);
}

static int deposit_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  money_job *j = job;
  uint64_t money = 0;
  int member = bank_member_lock(db, &j->who, &money), rc;
  if (member < 0) return member;
  if ((rc = replayed(db, j, j->who.key))) return rc < 0 ? rc : 0;
  if (member != BANK_OK) return refuse(db, j, (uint32_t)member);
  if (money > MONEY_MAX - j->amount) return refuse(db, j, BANK_FAILED); /* it would overflow */
  rc = HOST->sql_exec(db, "UPDATE guild SET BankMoney = BankMoney + ? WHERE guildid = ?",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->amount),
                                         STRATUS_SQL_UINT_V(j->who.guild)),
                      NULL);
  return rc ? rc : log_and_record(db, j, LOG_DEPOSIT_MONEY, j->who.key);
}

/* ---- withdraw ----------------------------------------------------------------------- */

static int withdraw_check(stratus_req *req, const void *request, void *job) {
  const V1__WithdrawGuildBankMoneyParams *p = request;
  money_job *j = job;
  j->repair = p->repair;
  return money_check(req, p->repair ? "repair-money" : "withdraw-money", p->guildid,
                     p->memberguid, p->amount, j);
}

/* BANK_OK when the member may take amount today. */
static int money_rights(stratus_db *db, money_job *j) {
  if (j->who.rank == RANK_GUILD_MASTER) return BANK_OK;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT rights, BankMoneyPerDay FROM guild_rank "
                              "WHERE guildid = ? AND rid = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.guild),
                                             STRATUS_SQL_UINT_V(j->who.rank)),
                          &rows);
  if (rc) return rc;
  uint32_t rights = 0, per_day = 0, taken = 0;
  if ((rc = HOST->rows_next(rows)) == 1) {
    rights = (uint32_t)HOST->rows_uint(rows, 0);
    per_day = (uint32_t)HOST->rows_uint(rows, 1);
  }
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  uint32_t needed = j->repair ? RIGHT_WITHDRAW_REPAIR : RIGHT_WITHDRAW_GOLD;
  if (!(rights & needed)) return BANK_NO_RIGHTS;
  if (per_day == UNLIMITED) return BANK_OK;
  if ((rc = bank_withdrawn(db, j->who.member, "money", &taken))) return rc;
  return (uint64_t)taken + j->amount > per_day ? BANK_LIMIT : BANK_OK;
}

static int withdraw_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  money_job *j = job;
  uint64_t money = 0;
  int rc = bank_member_lock(db, &j->who, &money), replay;
  if (rc < 0) return rc;
  if ((replay = replayed(db, j, j->who.key))) return replay < 0 ? replay : 0;
  if (rc != BANK_OK || (rc = money_rights(db, j)) != BANK_OK)
    return rc < 0 ? rc : refuse(db, j, (uint32_t)rc);
  if (money < j->amount) return refuse(db, j, BANK_NO_MONEY);
  rc = HOST->sql_exec(db, "UPDATE guild SET BankMoney = BankMoney - ? WHERE guildid = ?",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->amount),
                                         STRATUS_SQL_UINT_V(j->who.guild)),
                      NULL);
  if (!rc) rc = bank_count_withdraw(db, j->who.member, "money", j->amount);
  return rc ? rc : log_and_record(db, j, j->repair ? LOG_REPAIR_MONEY : LOG_WITHDRAW_MONEY,
                                  j->who.key);
}

/* ---- rollback ------------------------------------------------------------------------- */

static int rollback_check(stratus_req *req, const void *request, void *job) {
  const V1__RollbackGuildBankMoneyWithdrawParams *p = request;
  money_job *j = job;
  int rc = money_check(req, "unused", p->guildid, p->memberguid, p->amount, j);
  if (rc) return rc;
  if (p->logguid == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "logGUID must be > 0");
  j->repair = p->repair;
  j->rollback_log = p->logguid;
  snprintf(j->who.key, sizeof(j->who.key), "rollback:%u", p->logguid);
  return 0;
}

/* Deletes the withdraw's log row: 1 when it was there (this rollback runs). */
static int take_withdraw_log(stratus_db *db, const money_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "DELETE FROM guild_bank_eventlog WHERE guildid = ? AND LogGuid = ? "
                          "AND TabId = ? AND EventType = ? AND PlayerGuid = ? AND ItemOrMoney = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.guild),
                                             STRATUS_SQL_UINT_V(j->rollback_log),
                                             STRATUS_SQL_UINT_V(BANK_MONEY_LOG_TAB),
                                             STRATUS_SQL_UINT_V(j->repair ? LOG_REPAIR_MONEY
                                                                          : LOG_WITHDRAW_MONEY),
                                             STRATUS_SQL_UINT_V(j->who.member),
                                             STRATUS_SQL_UINT_V(j->amount)),
                          &rows);
  if (rc) return rc;
  rc = HOST->rows_affected(rows) == 1;
  HOST->rows_free(rows);
  return rc;
}

static int rollback_work(stratus_db *db, stratus_req *req, void *job) {
  money_job *j = job;
  int rc = bank_member_lock(db, &j->who, NULL), replay;
  if (rc < 0) return rc;
  if ((replay = replayed(db, j, j->who.key))) return replay < 0 ? replay : 0; /* done before */
  if (rc == BANK_NO_GUILD) return refuse(db, j, BANK_NO_GUILD);
  if ((rc = take_withdraw_log(db, j)) <= 0)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                                        "guild %u has no withdraw log %u of %u copper by "
                                        "member %u", j->who.guild, j->rollback_log, j->amount,
                                        j->who.member);
  rc = HOST->sql_exec(db, "UPDATE guild SET BankMoney = BankMoney + ? WHERE guildid = ?",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->amount),
                                         STRATUS_SQL_UINT_V(j->who.guild)),
                      NULL);
  if (!rc) rc = bank_count_withdraw(db, j->who.member, "money", -(int64_t)j->amount);
  bank_op op = {.status = BANK_OK, .log_guid = j->rollback_log};
  if (!rc) rc = bank_op_record(db, j->who.guild, j->who.key, &op);
  j->status = BANK_OK;
  j->log_guid = j->rollback_log;
  return rc;
}

#define MONEY_METHOD(method, prefix)                                                   \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(money_job),         \
   .pool = "characters", .realm_field = "realmID", .check = prefix##_check,            \
   .work = prefix##_work, .reply = money_reply}

const stratus_method bank_money_methods[] = {
    MONEY_METHOD("DepositGuildBankMoney", deposit),
    MONEY_METHOD("WithdrawGuildBankMoney", withdraw),
    MONEY_METHOD("RollbackGuildBankMoneyWithdraw", rollback),
};
const size_t bank_money_methods_n = sizeof(bank_money_methods) / sizeof(bank_money_methods[0]);
