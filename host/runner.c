/*
 * The runner of declared methods (method.h): one code path from a decoded
 * request to the answer for every method a plugin declares as data. The
 * request object and everything the plugin allocates for the call live in
 * one arena, freed when the call is answered.
 */
#include "runner.h"

#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_db.h"
#include "arena.h"
#include "pool.h"
#include "sql.h"
#include "instance.h"
#include "log.h"
#include "rpc.h"
#include "rpc_internal.h"
#include "util.h"

#define REQ_INLINE_BYTES 2048u
#define POOL_NAME_MAX 64u

/* One declared method as the host keeps it. */
typedef struct declared {
  stratus_method m;
  const ProtobufCFieldDescriptor *realm_field;
  void *ud;
} declared;

typedef struct declared_set {
  inst_reg reg;
  size_t n;
  declared methods[];
} declared_set;

struct stratus_req {
  const declared *d;
  stratus_call *call;
  stratus_ctx *ctx;
  void *job;
  uint32_t realm;
  char pool[POOL_NAME_MAX];
  /* The job in flight. */
  stratus_method_work work;
  stratus_method_reply next;
  uint32_t flags;
  /* A failure a step recorded with req_fail. */
  int fail_status;
  char *fail_message;
  bool in_step;  /* a plugin step is running */
  bool answered; /* answered during that step */
  arena arena;
  _Alignas(16) char inline_mem[REQ_INLINE_BYTES];
};

/* ---- the arena ------------------------------------------------------------- */

void *req_alloc(stratus_req *req, size_t size) { return arena_alloc(&req->arena, size); }

char *req_strdup(stratus_req *req, const char *s, size_t len) {
  return arena_strndup(&req->arena, s ? s : "", s ? len : 0);
}

static void *api_req_ud(stratus_req *req) { return req->d->ud; }
static stratus_ctx *api_req_ctx(stratus_req *req) { return req->ctx; }
static stratus_call *api_req_call(stratus_req *req) { return req->call; }
static const ProtobufCMessage *api_req_request(stratus_req *req) { return req->call->request; }
static uint32_t api_req_realm(stratus_req *req) { return req->realm; }

static int api_req_fail(stratus_req *req, int status, const char *fmt, ...) {
  va_list ap, copy;
  va_start(ap, fmt);
  va_copy(copy, ap);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  char *msg = arena_alloc(&req->arena, (size_t)(n > 0 ? n : 0) + 1);
  if (n > 0) vsnprintf(msg, (size_t)n + 1, fmt, ap);
  va_end(ap);
  req->fail_status = status > 0 && status <= STRATUS_GRPC_UNAUTHENTICATED ? status
                                                                          : STRATUS_GRPC_UNKNOWN;
  req->fail_message = msg;
  return STRATUS_EFAILED;
}

/* ---- answering ------------------------------------------------------------- */

/* A call answered inside a step is freed when the step returns. */
static void req_answered(stratus_req *req) {
  if (req->in_step) {
    req->answered = true;
    return;
  }
  arena_free(&req->arena);
  free(req);
}

static int api_req_reply(stratus_req *req, const ProtobufCMessage *response) {
  int rc = api_call_reply(req->call, response);
  req_answered(req);
  return rc;
}

static const stratus_method_error *known_error(const declared *d, int code) {
  for (const stratus_method_error *e = d->m.errors; e && e->code; e++)
    if (e->code == code) return e;
  return NULL;
}

static void fail_unmapped(stratus_req *req, int code, unsigned db_errno, const char *detail) {
  const char *method = req->d->m.name;
  int status = stratus_status_of(code, db_errno);
  const char *hint = stratus_status_hint(code, db_errno);
  bool db = req->pool[0] && (code == STRATUS_EDB || status == STRATUS_GRPC_UNAVAILABLE);
  if (status == STRATUS_GRPC_INTERNAL)
    log_write(STRATUS_LOG_WARN, req->ctx->tag, "%s: %s (%s)", method,
              detail && *detail ? detail : hint, stratus_err_name(code));
  if (db && detail && *detail)
    api_call_fail(req->call, status, "%s: database %s: %s: %s", method, req->pool, hint,
                  detail);
  else if (db)
    api_call_fail(req->call, status, "%s: database %s: %s", method, req->pool, hint);
  else
    api_call_fail(req->call, status, "%s: %s", method, hint);
}

/* Answers with the failure for `code`: what a step recorded, else the
 * method's own table, else the SDK's. `detail` is the database's message
 * for a failed job (may be NULL). */
static void answer_error(stratus_req *req, int code, unsigned db_errno, const char *detail) {
  const stratus_method_error *e;
  if (req->fail_message)
    api_call_fail(req->call, req->fail_status, "%s", req->fail_message);
  else if ((e = known_error(req->d, code)))
    api_call_fail(req->call, e->grpc_status, "%s", e->message);
  else if (code == STRATUS_ETIMEDOUT && api_call_remaining_ms(req->call) <= 0)
    api_call_fail(req->call, STRATUS_GRPC_DEADLINE_EXCEEDED,
                  "%s: the deadline passed before the database answered", req->d->m.name);
  else
    fail_unmapped(req, code, db_errno, detail);
  req_answered(req);
}

static int api_req_error(stratus_req *req, int code) {
  answer_error(req, code < 0 ? code : STRATUS_EPLUGIN, 0, NULL);
  return 0;
}

/* Runs a reply-like step and settles the call by what it returned. */
static void run_step(stratus_req *req, stratus_method_reply step) {
  req->in_step = true;
  int rc = step(req, req->job);
  req->in_step = false;
  if (req->answered) {
    req_answered(req);
  } else if (rc < 0) {
    answer_error(req, rc, 0, NULL);
  } else if (rc != STRATUS_LATER) {
    log_write(STRATUS_LOG_ERROR, req->ctx->tag, "%s: a step returned %d without answering",
              req->d->m.name, rc);
    answer_error(req, STRATUS_EPLUGIN, 0, NULL);
  }
}

/* ---- database jobs ----------------------------------------------------------- */

static int txn_body(stratus_db *db, void *arg) {
  stratus_req *req = arg;
  return req->work(db, req, req->job);
}

static int run_work(stratus_db *db, void *arg) {
  stratus_req *req = arg;
  if (req->flags & STRATUS_METHOD_TXN) return db_txn_run(db, txn_body, req);
  return req->work(db, req, req->job);
}

static void work_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  UNUSED(ctx);
  stratus_req *req = arg;
  if (result != 0)
    answer_error(req, result, db_completing_errno(), error);
  else
    run_step(req, req->next);
}

static int submit(stratus_req *req, stratus_method_work work, stratus_method_reply next,
                  uint32_t flags) {
  int64_t left = api_call_remaining_ms(req->call);
  if (left <= 0) {
    return api_req_fail(req, STRATUS_GRPC_DEADLINE_EXCEEDED,
                        "%s: the deadline passed before the database work started",
                        req->d->m.name);
  }
  req->work = work;
  req->next = next;
  req->flags = flags;
  stratus_db_opts opts = {.struct_size = sizeof(opts),
                          .timeout_ms = left == INT64_MAX ? 0 : left};
  int rc = api_db_submit_job(req->ctx, req->pool, run_work, work_done, req, &opts);
  if (rc == STRATUS_ENOENT)
    return api_req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION,
                        "%s: no database pool [db.%s] is configured", req->d->m.name,
                        req->pool);
  if (rc == STRATUS_EAGAIN)
    return api_req_fail(req, STRATUS_GRPC_UNAVAILABLE,
                        "%s: database %s has too many queued jobs (max_queue)",
                        req->d->m.name, req->pool);
  return rc;
}

static int api_req_submit(stratus_req *req, const char *pool, stratus_method_work work,
                          stratus_method_reply next, uint32_t flags) {
  if (!pool || !work || !next || strlen(pool) >= sizeof(req->pool)) return STRATUS_EINVAL;
  snprintf(req->pool, sizeof(req->pool), "%s", pool);
  return submit(req, work, next, flags);
}

/* ---- choosing the pool --------------------------------------------------------- */

static int api_req_use_realm(stratus_req *req, uint32_t realm) {
  const char *family = req->d->m.pool;
  char pool[POOL_NAME_MAX];
  if (!family) return STRATUS_EINVAL;
  snprintf(pool, sizeof(pool), "%s.%u", family, realm);
  if (realm == 0 || !db_pools_find(pool))
    return api_req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                        "%s: unknown realm %u (no [db.%s] section)", req->d->m.name, realm,
                        pool);
  req->realm = realm;
  memcpy(req->pool, pool, sizeof(pool));
  return 0;
}

static int realm_from_request(stratus_req *req) {
  const ProtobufCFieldDescriptor *f = req->d->realm_field;
  const char *msg = (const char *)req->call->request;
  uint32_t realm;
  if (f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_INT64) {
    uint64_t v;
    memcpy(&v, msg + f->offset, sizeof(v));
    realm = v > UINT32_MAX ? 0 : (uint32_t)v;
  } else {
    memcpy(&realm, msg + f->offset, sizeof(realm));
  }
  return api_req_use_realm(req, realm);
}

/* ---- serving ----------------------------------------------------------------- */

static int api_req_use_pool(stratus_req *req, const char *pool) {
  if (!pool || !*pool || strlen(pool) >= sizeof(req->pool)) return STRATUS_EINVAL;
  snprintf(req->pool, sizeof(req->pool), "%s", pool);
  return 0;
}

static int choose_pool(stratus_req *req) {
  const stratus_method *m = &req->d->m;
  if (req->pool[0]) return 0;
  if (!m->pool)
    return m->work ? api_req_fail(req, STRATUS_GRPC_INTERNAL, "%s: the check chose no "
                                  "database pool", m->name) : 0;
  if (req->d->realm_field) return realm_from_request(req);
  snprintf(req->pool, sizeof(req->pool), "%s", m->pool);
  return 0;
}

static void serve(stratus_ctx *ctx, stratus_call *call, const ProtobufCMessage *request,
                  void *ud) {
  const declared *d = ud;
  stratus_req *req = xmalloc(sizeof(*req));
  memset(req, 0, offsetof(stratus_req, inline_mem));
  req->d = d;
  req->call = call;
  req->ctx = ctx;
  arena_init(&req->arena, req->inline_mem, sizeof(req->inline_mem));
  req->job = arena_alloc(&req->arena, d->m.job_size);
  int rc = d->realm_field ? realm_from_request(req) : 0;
  req->in_step = true;
  if (rc == 0 && d->m.check) rc = d->m.check(req, request, req->job);
  if (rc == 0) rc = choose_pool(req);
  if (rc == 0 && d->m.work && !req->answered) rc = submit(req, d->m.work, d->m.reply,
                                                          d->m.flags);
  req->in_step = false;
  if (req->answered) {
    req_answered(req);
  } else if (rc < 0) {
    answer_error(req, rc, 0, NULL);
  } else if (rc == 0 && !d->m.work) {
    run_step(req, d->m.reply);
  }
}

/* ---- registration ---------------------------------------------------------------- */

static void set_release(inst_reg *r) { free(r); }
static const inst_reg_ops set_ops = {"methods", NULL, NULL, set_release};

static int declare(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                   const stratus_method *m, declared *d, void *ud) {
  const ProtobufCMethodDescriptor *md =
      protobuf_c_service_descriptor_get_method_by_name(service, m->name ? m->name : "");
  if (!md || !m->reply || (m->pool && !m->work) || (!m->pool && m->work && !m->check)) {
    log_write(STRATUS_LOG_ERROR, ctx->tag, "%s.%s: %s", service->name,
              m->name ? m->name : "(null)",
              !md ? "no such method in the service"
                  : "needs reply, and work with a pool (or a check that picks one)");
    return STRATUS_EINVAL;
  }
  *d = (declared){.m = *m, .ud = ud};
  if (m->realm_field) {
    d->realm_field = protobuf_c_message_descriptor_get_field_by_name(md->input, m->realm_field);
    const ProtobufCFieldDescriptor *f = d->realm_field;
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED ||
        (f->type != PROTOBUF_C_TYPE_UINT32 && f->type != PROTOBUF_C_TYPE_UINT64 &&
         f->type != PROTOBUF_C_TYPE_INT32 && f->type != PROTOBUF_C_TYPE_INT64)) {
      log_write(STRATUS_LOG_ERROR, ctx->tag, "%s.%s: realm_field '%s' is not an integer "
                "field of %s", service->name, m->name, m->realm_field, md->input->name);
      return STRATUS_EINVAL;
    }
  }
  return api_rpc_register(ctx, service, m->name, serve, d);
}

static int api_methods_register(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                                const stratus_method *methods, size_t n, size_t method_size,
                                void *ud) {
  if (!ctx || !service || (!methods && n) || method_size == 0) return STRATUS_EINVAL;
  declared_set *set = xcalloc(1, sizeof(*set) + n * sizeof(declared));
  set->n = n;
  inst_reg_add(ctx, &set->reg, &set_ops);
  for (size_t i = 0; i < n; i++) {
    stratus_method m = {0};
    memcpy(&m, (const char *)methods + i * method_size,
           method_size < sizeof(m) ? method_size : sizeof(m));
    int rc = declare(ctx, service, &m, &set->methods[i], ud);
    if (rc != 0) return rc;
  }
  return 0;
}

void api_method_install(stratus_host_api *api) {
  api->methods_register = api_methods_register;
  api->req_ud = api_req_ud;
  api->req_ctx = api_req_ctx;
  api->req_call = api_req_call;
  api->req_request = api_req_request;
  api->req_realm = api_req_realm;
  api->req_use_realm = api_req_use_realm;
  api->req_use_pool = api_req_use_pool;
  api->req_alloc = req_alloc;
  api->req_strdup = req_strdup;
  api->req_fail = api_req_fail;
  api->req_reply = api_req_reply;
  api->req_error = api_req_error;
  api->req_submit = api_req_submit;
  api->rows_read = rows_map_read;
  api->rows_collect = rows_map_collect;
}
