/* What a mutation may need before it can run: the max stack size of an
 * item (item_template on [db.world], cached here) and a new item GUID for a
 * split stack (GuidService, in process). The work asks by setting `need`
 * and writing nothing; the reply step fetches and runs the work again. */
#include <stdio.h>

#include <stratus/proto/guid/guid.pb-c.h>

#include "guildbank.h"

#define MAX_ROUNDS 3
#define STACK_CACHE_MAX 65536

uint32_t bank_stack_of(bank_needs *n, uint32_t entry) {
  for (size_t i = 0; i < sizeof(n->entries) / sizeof(n->entries[0]); i++)
    if (n->entries[i] == entry) return n->stacks[i];
  n->stack_entry = entry;
  return 0;
}

static void know(bank_needs *n, uint32_t entry, uint32_t stack) {
  size_t size = sizeof(n->entries) / sizeof(n->entries[0]);
  for (size_t i = 0; i < size; i++)
    if (n->entries[i] == 0 || n->entries[i] == entry || i == size - 1) {
      n->entries[i] = entry;
      n->stacks[i] = stack ? stack : 1;
      return;
    }
}

void bank_job_start(stratus_req *req, bank_job_head *h, uint32_t entry,
                    stratus_method_work work, stratus_method_reply reply) {
  bank *b = HOST->req_ud(req);
  h->req = req;
  h->work = work;
  h->reply = reply;
  void *v = entry ? hmap_get(&b->stacks, hmap_mix64(entry), NULL, NULL) : NULL;
  if (v) know(&h->needs, entry, (uint32_t)(uintptr_t)v);
}

static void remember(bank *b, uint32_t entry, uint32_t stack) {
  uint64_t h = hmap_mix64(entry);
  if (hmap_get(&b->stacks, h, NULL, NULL)) return;
  if (b->stacks.len >= STACK_CACHE_MAX) hmap_free(&b->stacks);
  hmap_put(&b->stacks, h, (void *)(uintptr_t)(stack ? stack : 1));
}

/* ---- the world job: one item_template row ------------------------------------- */

static int stack_work(stratus_db *db, stratus_req *req, void *job) {
  (void)req;
  bank_job_head *h = job;
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, "SELECT stackable FROM item_template WHERE entry = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(h->needs.stack_entry)), &rows);
  if (rc) return rc;
  h->fetched = 1; /* an unknown entry does not stack */
  if ((rc = HOST->rows_next(rows)) == 1) {
    int64_t v = HOST->rows_int(rows, 0);
    h->fetched = v > 1 ? (uint32_t)(v > 1000 ? 1000 : v) : 1;
  }
  HOST->rows_free(rows);
  return rc < 0 ? rc : 0;
}

static int run_again(stratus_req *req, bank_job_head *h) {
  char pool[32];
  bank_realm_pool(req, pool);
  h->needs.stack_entry = 0;
  h->needs.guid = false;
  return HOST->req_submit(req, pool, h->work, h->reply, STRATUS_METHOD_TXN);
}

static int stack_done(stratus_req *req, void *job) {
  bank_job_head *h = job;
  remember(HOST->req_ud(req), h->needs.stack_entry, h->fetched);
  know(&h->needs, h->needs.stack_entry, h->fetched);
  int rc = run_again(req, h);
  return rc ? rc : STRATUS_LATER;
}

/* ---- a new item GUID from GuidService (in process) ------------------------------ */

static void guid_done(stratus_ctx *ctx, int status, const char *message,
                      const ProtobufCMessage *response, void *ud) {
  (void)ctx;
  bank_job_head *h = ud;
  stratus_req *req = h->req;
  const V1__GetGUIDPoolRequestResponse *r = (const void *)response;
  if (status != STRATUS_GRPC_OK || r->n_receiverguid == 0 || r->receiverguid[0]->start == 0 ||
      r->receiverguid[0]->start > UINT32_MAX) {
    HOST->req_fail(req, STRATUS_GRPC_UNAVAILABLE, "cannot take a new item GUID for the split "
                   "stack from GuidService: %s", message ? message : "empty answer");
    HOST->req_error(req, STRATUS_EFAILED);
    return;
  }
  h->needs.new_guid = (uint32_t)r->receiverguid[0]->start;
  int rc = run_again(req, h);
  if (rc) HOST->req_error(req, rc);
}

static int ask_guid(stratus_req *req, bank_job_head *h) {
  /* The request must live until guid_done: the call's arena keeps it. */
  V1__GetGUIDPoolRequest *q = HOST->req_alloc(req, sizeof(*q));
  v1__get_guidpool_request__init(q);
  q->realmid = HOST->req_realm(req);
  q->guidtype = V1__GUID_TYPE__Item;
  q->desiredpoolsize = 1;
  int rc = HOST->rpc_call(HOST->req_ctx(req), &v1__guid_service__descriptor, "GetGUIDPool",
                          &q->base, NULL, guid_done, h);
  return rc ? rc : STRATUS_LATER;
}

int bank_fetch_needs(stratus_req *req, bank_job_head *h) {
  if (!h->needs.stack_entry && !h->needs.guid) return 0;
  if (++h->needs.rounds > MAX_ROUNDS)
    return HOST->req_fail(req, STRATUS_GRPC_ABORTED, "the bank changed under the operation "
                          "%d times; retry", MAX_ROUNDS);
  if (h->needs.stack_entry) {
    bank *b = HOST->req_ud(req);
    if (!HOST->db_pool_exists(b->ctx, b->cfg->world_pool)) { /* no [db.world]: no stacking */
      know(&h->needs, h->needs.stack_entry, 1);
      int rc = run_again(req, h);
      return rc ? rc : STRATUS_LATER;
    }
    int rc = HOST->req_submit(req, b->cfg->world_pool, stack_work, stack_done, 0);
    return rc ? rc : STRATUS_LATER;
  }
  return ask_guid(req, h);
}
