/*
 * Guild bank items:
 *   DepositGuildBankItem           the item the worldserver took from the
 *                                  player goes into a slot (merged into a
 *                                  stack of the same item when it fits)
 *   WithdrawGuildBankItem          a whole stack, or part of one under a new
 *                                  item GUID; returns the log GUID
 *   RollbackGuildBankItemWithdraw  puts a withdrawn item back, at most once
 *   MoveGuildBankItem              move, swap, split or merge inside the bank
 * Each is one transaction under the guild row lock. The item GUID is the
 * deposit's key (unique in guild_bank_item); x-idempotency-key makes a
 * retried withdraw or move return the first answer.
 */
#include <stdio.h>
#include <string.h>

#include "guildbank.h"

typedef struct item_job {
  bank_job_head head; /* first: the continuation steps read it */
  bank_who who;
  uint32_t tab, slot, dst_tab, dst_slot, count, log_ref;
  bank_item in;       /* the request's item (deposit, rollback) */
  /* the answer */
  uint32_t status, log_guid, out_slot;
  bank_item out;
  uint32_t changed[2];
  size_t nchanged;
} item_job;

static int item_reply(stratus_req *req, void *job) {
  item_job *j = job;
  int rc = bank_fetch_needs(req, &j->head);
  if (rc) return rc;
  V1__GuildBankItemMutationResponse *r = HOST->req_alloc(req, sizeof(*r));
  v1__guild_bank_item_mutation_response__init(r);
  r->status = (V1__GuildBankStatus__Status)j->status;
  r->logguid = j->log_guid;
  if (j->status == BANK_OK && j->out.guid) {
    r->item = HOST->req_alloc(req, sizeof(*r->item));
    bank_item_to_proto(req, &j->out, j->out_slot, r->item);
  }
  r->n_changedslots = j->nchanged;
  r->changedslots = j->changed;
  return HOST->req_reply(req, &r->base);
}

static void answer(item_job *j, uint32_t status) { j->status = status; }

/* A transaction body may run again after a deadlock: start its answer over. */
static void start_over(item_job *j) {
  j->status = BANK_FAILED;
  j->log_guid = j->out_slot = 0;
  j->nchanged = 0;
  memset(&j->out, 0, sizeof(j->out));
}

static void changed(item_job *j, uint32_t slot) {
  if (j->nchanged < 2) j->changed[j->nchanged++] = slot;
}

/* A replay of a recorded operation: the first answer. */
static int replay(stratus_db *db, item_job *j) {
  bank_op op;
  int rc = bank_op_find(db, j->who.guild, j->who.key, &op);
  if (rc != 1) return rc;
  answer(j, op.status);
  j->log_guid = op.log_guid;
  j->out = (bank_item){.guid = op.item_guid, .entry = op.item_entry, .count = op.item_count};
  j->out_slot = op.slot;
  if (op.status == BANK_OK) changed(j, op.slot);
  return 1;
}

static int record(stratus_db *db, item_job *j) {
  bank_op op = {.status = j->status, .log_guid = j->log_guid, .item_guid = j->out.guid,
                .item_entry = j->out.entry, .item_count = j->out.count, .tab = j->tab,
                .slot = j->out_slot};
  return bank_op_record(db, j->who.guild, j->who.key, &op);
}

/* A refusal is an answer too: recorded under the key, so a retry cannot
 * turn a "no" the gateway already compensated into a "yes". */
static int refuse(stratus_db *db, item_job *j, uint32_t status) {
  answer(j, status);
  return record(db, j);
}

static int log_op(stratus_db *db, item_job *j, uint32_t tab, int type, uint32_t entry,
                  uint32_t count, uint32_t dest) {
  int rc = bank_next_log(db, j->who.guild, &j->log_guid);
  return rc ? rc : bank_log(db, j->who.guild, j->log_guid, tab, type, j->who.member, entry,
                            count, dest);
}

/* Locks the guild row first, so that two attempts of one operation run one
 * after the other and the second finds what the first recorded. 1 when the
 * call is answered (a replay or a refusal), 0 to go on, <0 an error. */
static int begin(stratus_db *db, item_job *j) {
  int member = bank_member_lock(db, &j->who, NULL);
  if (member < 0) return member;
  int rc = replay(db, j);
  if (rc) return rc;
  if (member != BANK_OK) return (rc = refuse(db, j, (uint32_t)member)) < 0 ? rc : 1;
  return 0;
}

/* The tab exists and the member's rank has `need` on it. */
static int member_with_right(stratus_db *db, item_job *j, uint32_t tab, uint32_t need,
                             uint32_t *per_day) {
  uint32_t rights, slots = 0;
  int rc = bank_tab_exists(db, j->who.guild, tab);
  if (rc != 1) return rc < 0 ? rc : BANK_BAD_TAB;
  if ((rc = bank_tab_rights(db, &j->who, tab, &rights, &slots))) return rc;
  if (per_day) *per_day = slots;
  return (rights & need) == need ? BANK_OK : BANK_NO_RIGHTS;
}

/* BANK_OK when the member may take one more stack from `tab` today. */
static int withdraw_allowed(stratus_db *db, item_job *j, uint32_t tab, uint32_t per_day) {
  uint32_t taken;
  if (per_day == UNLIMITED) return BANK_OK;
  int rc = bank_withdrawn(db, j->who.member, bank_tab_column(tab), &taken);
  return rc ? rc : taken < per_day ? BANK_OK : BANK_LIMIT;
}

/* Puts `it` at `slot` if free, else merged into the same item there when
 * it fits, else into the first free slot: the slot used, BANK_MAX_SLOTS if
 * the tab is full, or 0xFFFFFFFF when a max stack must be fetched first. */
static int place(stratus_db *db, stratus_req *req, item_job *j, uint32_t tab, uint32_t slot,
                 const bank_item *it, uint32_t *used, bank_item *result) {
  bank_item there;
  int rc = bank_item_in_slot(db, req, j->who.guild, tab, slot, &there);
  if (rc < 0) return rc;
  if (rc == 1 && there.entry == it->entry) {
    uint32_t max = bank_stack_of(&j->head.needs, it->entry);
    if (max == 0) return *used = UINT32_MAX, 0;
    if ((uint64_t)there.count + it->count <= max) {
      if ((rc = bank_item_set_count(db, there.guid, there.count + it->count))) return rc;
      if (there.guid != it->guid && (rc = bank_item_delete_instance(db, it->guid))) return rc;
      *result = there;
      result->count += it->count;
      return *used = slot, 0;
    }
  }
  if (rc == 1 && (rc = bank_free_slot(db, j->who.guild, tab, &slot))) return rc;
  *used = slot;
  if (slot >= BANK_MAX_SLOTS) return 0;
  *result = *it;
  return bank_item_put(db, j->who.guild, tab, slot, it);
}

/* ---- deposit ------------------------------------------------------------------------- */

static int deposit_work(stratus_db *db, stratus_req *req, void *job);

static int deposit_check(stratus_req *req, const void *request, void *job) {
  const V1__DepositGuildBankItemParams *p = request;
  item_job *j = job;
  int rc = bank_who_from(req, "deposit-item", p->guildid, p->memberguid, &j->who);
  if (!rc) rc = bank_tab_ok(req, p->tabid);
  if (!rc) rc = bank_slot_ok(req, p->slotid);
  if (rc) return rc;
  if (!p->item || p->item->itemguid == 0 || p->item->itemguid > UINT32_MAX ||
      p->item->entry == 0 || p->item->count == 0)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "item needs an itemGUID (1..2^32-1), an entry and a count");
  j->tab = p->tabid;
  j->slot = p->slotid;
  bank_item_from_proto(p->item, &j->in);
  bank_job_start(req, &j->head, j->in.entry, deposit_work, item_reply);
  return 0;
}

/* The item is in the bank already: a replayed deposit (OK) or another
 * guild's item (refused). 1 when handled. */
static int already_banked(stratus_db *db, stratus_req *req, item_job *j) {
  uint32_t guild, tab, slot;
  int rc = bank_item_where(db, j->in.guid, &guild, &tab, &slot);
  if (rc != 1) return rc;
  if (guild != j->who.guild) return (rc = refuse(db, j, BANK_FAILED)) < 0 ? rc : 1;
  if ((rc = bank_item_in_slot(db, req, guild, tab, slot, &j->out)) < 0) return rc;
  answer(j, BANK_OK);
  j->out_slot = slot;
  changed(j, slot);
  return 1;
}

/* An item_instance row of that GUID must be the member's (or unowned). */
static int owned_by_member(stratus_db *db, const item_job *j) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT owner_guid FROM item_instance WHERE guid = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->in.guid)), &rows);
  if (rc) return rc;
  uint64_t owner = 0;
  if ((rc = HOST->rows_next(rows)) == 1) owner = HOST->rows_uint(rows, 0);
  HOST->rows_free(rows);
  if (rc < 0) return rc;
  return owner == 0 || owner == j->who.member ? BANK_OK : BANK_FAILED;
}

static int deposit_work(stratus_db *db, stratus_req *req, void *job) {
  item_job *j = job;
  start_over(j);
  uint32_t used;
  int rc = begin(db, j);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = member_with_right(db, j, j->tab, TAB_VIEW | TAB_PUT_ITEM, NULL)) != BANK_OK)
    return rc < 0 ? rc : refuse(db, j, (uint32_t)rc);
  if ((rc = already_banked(db, req, j))) return rc < 0 ? rc : 0;
  if ((rc = owned_by_member(db, j)) != BANK_OK) return rc < 0 ? rc : refuse(db, j, BANK_FAILED);
  if ((rc = place(db, req, j, j->tab, j->slot, &j->in, &used, &j->out))) return rc;
  if (used == UINT32_MAX) return 0; /* the reply step fetches the max stack */
  if (used >= BANK_MAX_SLOTS) return refuse(db, j, BANK_FULL);
  j->out_slot = used;
  changed(j, used);
  if ((rc = log_op(db, j, j->tab, LOG_DEPOSIT_ITEM, j->in.entry, j->in.count, 0))) return rc;
  answer(j, BANK_OK);
  return record(db, j);
}

/* ---- withdraw ------------------------------------------------------------------------- */

static int withdraw_work(stratus_db *db, stratus_req *req, void *job);

static int withdraw_check(stratus_req *req, const void *request, void *job) {
  const V1__WithdrawGuildBankItemParams *p = request;
  item_job *j = job;
  int rc = bank_who_from(req, "withdraw-item", p->guildid, p->memberguid, &j->who);
  if (!rc) rc = bank_tab_ok(req, p->tabid);
  if (!rc) rc = bank_slot_ok(req, p->slotid);
  j->tab = p->tabid;
  j->slot = p->slotid;
  j->count = p->count;
  bank_job_start(req, &j->head, 0, withdraw_work, item_reply);
  return rc;
}

/* Part of a stack leaves under a new GUID; the rest stays. */
static int split_off(stratus_db *db, item_job *j, const bank_item *src, uint32_t n,
                     uint32_t owner, bank_item *out) {
  int rc = HOST->sql_exec(
      db,
      "INSERT INTO item_instance (guid, itemEntry, owner_guid, creatorGuid, giftCreatorGuid, "
      "count, duration, charges, flags, enchantments, randomPropertyId, durability, playedTime, "
      "text) SELECT ?, itemEntry, ?, creatorGuid, giftCreatorGuid, ?, duration, charges, flags, "
      "enchantments, randomPropertyId, durability, playedTime, text FROM item_instance "
      "WHERE guid = ?",
      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->head.needs.new_guid), STRATUS_SQL_UINT_V(owner),
                         STRATUS_SQL_UINT_V(n), STRATUS_SQL_UINT_V(src->guid)),
      NULL);
  if (!rc) rc = bank_item_set_count(db, src->guid, src->count - n);
  *out = *src;
  out->guid = j->head.needs.new_guid;
  out->count = n;
  return rc;
}

static int withdraw_work(stratus_db *db, stratus_req *req, void *job) {
  item_job *j = job;
  start_over(j);
  bank_item src;
  uint32_t per_day;
  int rc = begin(db, j);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = member_with_right(db, j, j->tab, TAB_VIEW, &per_day)) != BANK_OK ||
      (rc = withdraw_allowed(db, j, j->tab, per_day)) != BANK_OK)
    return rc < 0 ? rc : refuse(db, j, (uint32_t)rc);
  if ((rc = bank_item_in_slot(db, req, j->who.guild, j->tab, j->slot, &src)) != 1)
    return rc < 0 ? rc : refuse(db, j, BANK_NO_ITEM);
  uint32_t n = j->count == 0 || j->count >= src.count ? src.count : j->count;
  if (n < src.count && !j->head.needs.new_guid) return j->head.needs.guid = true, 0;
  if (n < src.count) {
    rc = split_off(db, j, &src, n, j->who.member, &j->out);
  } else {
    j->out = src;
    rc = bank_item_remove(db, j->who.guild, j->tab, j->slot);
    if (!rc) rc = HOST->sql_exec(db, "UPDATE item_instance SET owner_guid = ? WHERE guid = ?",
                                 STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.member),
                                                    STRATUS_SQL_UINT_V(src.guid)),
                                 NULL);
  }
  if (!rc) rc = bank_count_withdraw(db, j->who.member, bank_tab_column(j->tab), 1);
  if (!rc) rc = log_op(db, j, j->tab, LOG_WITHDRAW_ITEM, src.entry, n, 0);
  if (rc) return rc;
  j->out_slot = j->slot;
  changed(j, j->slot);
  answer(j, BANK_OK);
  return record(db, j);
}

/* ---- rollback of a withdraw ---------------------------------------------------------------- */

static int rollback_work(stratus_db *db, stratus_req *req, void *job);

static int rollback_check(stratus_req *req, const void *request, void *job) {
  const V1__RollbackGuildBankItemWithdrawParams *p = request;
  item_job *j = job;
  int rc = bank_who_from(req, "", p->guildid, p->memberguid, &j->who);
  if (!rc) rc = bank_tab_ok(req, p->tabid);
  if (!rc) rc = bank_slot_ok(req, p->slotid);
  if (rc) return rc;
  if (!p->item || p->item->itemguid == 0 || p->item->itemguid > UINT32_MAX || p->logguid == 0)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "a rollback needs the withdrawn item and its logGUID");
  j->tab = p->tabid;
  j->slot = p->slotid;
  j->log_ref = p->logguid;
  bank_item_from_proto(p->item, &j->in);
  snprintf(j->who.key, sizeof(j->who.key), "rollback:%u", p->logguid);
  bank_job_start(req, &j->head, j->in.entry, rollback_work, item_reply);
  return 0;
}

/* The withdraw's log row, locked: 1 and its entry and count when found. */
static int withdraw_log(stratus_db *db, item_job *j, uint32_t *entry, uint32_t *count) {
  stratus_rows *rows;
  int rc = HOST->sql_exec(db,
                          "SELECT ItemOrMoney, ItemStackCount FROM guild_bank_eventlog "
                          "WHERE guildid = ? AND LogGuid = ? AND TabId = ? AND EventType = ? "
                          "AND PlayerGuid = ? FOR UPDATE",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.guild),
                                             STRATUS_SQL_UINT_V(j->log_ref),
                                             STRATUS_SQL_UINT_V(j->tab),
                                             STRATUS_SQL_UINT_V(LOG_WITHDRAW_ITEM),
                                             STRATUS_SQL_UINT_V(j->who.member)),
                          &rows);
  if (rc) return rc;
  if ((rc = HOST->rows_next(rows)) == 1) {
    *entry = (uint32_t)HOST->rows_uint(rows, 0);
    *count = (uint32_t)HOST->rows_uint(rows, 1);
  }
  HOST->rows_free(rows);
  return rc;
}

static int drop_log(stratus_db *db, item_job *j) {
  return HOST->sql_exec(db, "DELETE FROM guild_bank_eventlog WHERE guildid = ? AND LogGuid = ? "
                            "AND TabId = ?",
                        STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->who.guild),
                                           STRATUS_SQL_UINT_V(j->log_ref),
                                           STRATUS_SQL_UINT_V(j->tab)),
                        NULL);
}

static int rollback_work(stratus_db *db, stratus_req *req, void *job) {
  item_job *j = job;
  start_over(j);
  uint32_t entry = 0, count = 0, used, g, t, s;
  int rc = begin(db, j);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = withdraw_log(db, j, &entry, &count)) != 1 || entry != j->in.entry ||
      count != j->in.count)
    return rc < 0 ? rc : HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND,
                                        "guild %u has no withdraw log %u of %u x item %u by "
                                        "member %u on tab %u", j->who.guild, j->log_ref,
                                        j->in.count, j->in.entry, j->who.member, j->tab);
  if ((rc = bank_item_where(db, j->in.guid, &g, &t, &s)) < 0) return rc;
  if (rc == 0) {
    if ((rc = place(db, req, j, j->tab, j->slot, &j->in, &used, &j->out))) return rc;
    if (used == UINT32_MAX) return 0;
    if (used >= BANK_MAX_SLOTS) return refuse(db, j, BANK_FULL);
    j->out_slot = used;
    changed(j, used);
  }
  if ((rc = drop_log(db, j))) return rc;
  if ((rc = bank_count_withdraw(db, j->who.member, bank_tab_column(j->tab), -1))) return rc;
  answer(j, BANK_OK);
  j->log_guid = j->log_ref;
  return record(db, j);
}

/* ---- moves inside the bank -------------------------------------------------------------------- */

static int move_work(stratus_db *db, stratus_req *req, void *job);

static int move_check(stratus_req *req, const void *request, void *job) {
  const V1__MoveGuildBankItemParams *p = request;
  item_job *j = job;
  int rc = bank_who_from(req, "move-item", p->guildid, p->memberguid, &j->who);
  if (!rc) rc = bank_tab_ok(req, p->sourcetabid);
  if (!rc) rc = bank_tab_ok(req, p->destinationtabid);
  if (!rc) rc = bank_slot_ok(req, p->sourceslotid);
  if (!rc) rc = bank_slot_ok(req, p->destinationslotid);
  if (rc) return rc;
  if (p->sourcetabid == p->destinationtabid && p->sourceslotid == p->destinationslotid)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "source and destination are one slot");
  j->tab = p->sourcetabid;
  j->slot = p->sourceslotid;
  j->dst_tab = p->destinationtabid;
  j->dst_slot = p->destinationslotid;
  j->count = p->count;
  bank_job_start(req, &j->head, 0, move_work, item_reply);
  return 0;
}

/* Both slots' rows go, then come back swapped (the primary key is the slot). */
static int swap(stratus_db *db, item_job *j, const bank_item *a, const bank_item *b) {
  int rc = bank_item_remove(db, j->who.guild, j->tab, j->slot);
  if (!rc) rc = bank_item_remove(db, j->who.guild, j->dst_tab, j->dst_slot);
  if (!rc) rc = bank_slot_put(db, j->who.guild, j->dst_tab, j->dst_slot, a->guid);
  if (!rc && b->guid) rc = bank_slot_put(db, j->who.guild, j->tab, j->slot, b->guid);
  j->out = *a;
  return rc;
}

/* Merges n of src into dst (same item): 1 done, 0 does not fit, <0 error. */
static int merge(stratus_db *db, item_job *j, const bank_item *src, const bank_item *dst,
                 uint32_t n, uint32_t max) {
  if ((uint64_t)dst->count + n > max) return 0;
  int rc = bank_item_set_count(db, dst->guid, dst->count + n);
  if (!rc && n == src->count) {
    rc = bank_item_remove(db, j->who.guild, j->tab, j->slot);
    if (!rc) rc = bank_item_delete_instance(db, src->guid);
  } else if (!rc) {
    rc = bank_item_set_count(db, src->guid, src->count - n);
  }
  j->out = *dst;
  j->out.count += n;
  return rc ? rc : 1;
}

/* Moves n of src onto dst; BANK_OK, a refusal, or <0. Sets a need and
 * returns 1 when the work must run again with more. */
static int move_items(stratus_db *db, item_job *j, const bank_item *src, const bank_item *dst,
                      uint32_t n) {
  if (dst->guid && dst->entry == src->entry) {
    uint32_t max = bank_stack_of(&j->head.needs, src->entry);
    if (max == 0) return 1;
    int rc = merge(db, j, src, dst, n, max);
    if (rc != 0) return rc < 0 ? rc : BANK_OK;
    if (n < src->count) return BANK_FAILED; /* a split that does not fit */
  }
  if (n == src->count) return swap(db, j, src, dst);
  if (dst->guid) return BANK_FAILED; /* a split onto another item */
  if (!j->head.needs.new_guid) return j->head.needs.guid = true, 1;
  bank_item part;
  int rc = split_off(db, j, src, n, 0, &part);
  if (!rc) rc = bank_slot_put(db, j->who.guild, j->dst_tab, j->dst_slot, part.guid);
  j->out = part;
  return rc;
}

/* Rights: view the source, put on the destination; taking from another
 * tab counts as one of the day's withdrawals from the source tab. */
static int move_rights(stratus_db *db, item_job *j) {
  uint32_t per_day;
  int rc = member_with_right(db, j, j->tab, TAB_VIEW, &per_day);
  if (rc != BANK_OK) return rc;
  if (j->dst_tab != j->tab) {
    if ((rc = withdraw_allowed(db, j, j->tab, per_day)) != BANK_OK) return rc;
  }
  return member_with_right(db, j, j->dst_tab, TAB_VIEW | TAB_PUT_ITEM, NULL);
}

static int move_work(stratus_db *db, stratus_req *req, void *job) {
  item_job *j = job;
  start_over(j);
  bank_item src, dst = {0};
  int rc = begin(db, j);
  if (rc) return rc < 0 ? rc : 0;
  if ((rc = move_rights(db, j)) != BANK_OK) return rc < 0 ? rc : refuse(db, j, (uint32_t)rc);
  if ((rc = bank_item_in_slot(db, req, j->who.guild, j->tab, j->slot, &src)) != 1)
    return rc < 0 ? rc : refuse(db, j, BANK_NO_ITEM);
  if ((rc = bank_item_in_slot(db, req, j->who.guild, j->dst_tab, j->dst_slot, &dst)) < 0)
    return rc;
  uint32_t n = j->count == 0 || j->count >= src.count ? src.count : j->count;
  if ((rc = move_items(db, j, &src, &dst, n)) != BANK_OK) {
    if (rc == BANK_FAILED) return refuse(db, j, BANK_FAILED);
    return rc < 0 ? rc : 0; /* the reply step fetches a need */
  }
  if (j->dst_tab != j->tab &&
      (rc = bank_count_withdraw(db, j->who.member, bank_tab_column(j->tab), 1)))
    return rc;
  if ((rc = log_op(db, j, j->tab, LOG_MOVE_ITEM, src.entry, n, j->dst_tab))) return rc;
  j->out_slot = j->dst_slot;
  changed(j, j->slot);
  changed(j, j->dst_slot);
  answer(j, BANK_OK);
  return record(db, j);
}

#define ITEM_METHOD(method, prefix)                                                        \
  {.name = method, .flags = STRATUS_METHOD_TXN, .job_size = sizeof(item_job),               \
   .pool = "characters", .realm_field = "realmID", .check = prefix##_check,                 \
   .work = prefix##_work, .reply = item_reply}

const stratus_method bank_item_methods[] = {
    ITEM_METHOD("DepositGuildBankItem", deposit),
    ITEM_METHOD("WithdrawGuildBankItem", withdraw),
    ITEM_METHOD("RollbackGuildBankItemWithdraw", rollback),
    ITEM_METHOD("MoveGuildBankItem", move),
};
const size_t bank_item_methods_n = sizeof(bank_item_methods) / sizeof(bank_item_methods[0]);
