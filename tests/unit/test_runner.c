/*
 * The runner of declared methods (host/runner.c) against a fake host
 * layer: how each failure class becomes a gRPC status and message, the
 * pool chosen from the request's realm, the deadline, and steps that take
 * a call over. Database jobs are run by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stratus/proto/mail/mail.pb-c.h>

#include "api.h"
#include "api_db.h"
#include "pool.h"
#include "instance.h"
#include "rpc.h"
#include "rpc_internal.h"
#include "runner.h"

/* ---- the fake host layer ----------------------------------------------------- */

static struct {
  stratus_rpc_handler handler;
  void *handler_ud;
  int status;          /* -1: not answered */
  char message[512];
  int64_t remaining_ms;
  /* the submitted job */
  char pool[64];
  stratus_db_work work;
  stratus_db_done done;
  void *job;
  int submit_rc;
  unsigned errno_now;
  int txn_runs;
} fake;

void log_write(int level, const char *tag, const char *fmt, ...) {
  (void)level, (void)tag, (void)fmt;
}

static inst_reg *registered; /* the method set, released after each test */

void inst_reg_add(stratus_ctx *ctx, inst_reg *r, const inst_reg_ops *ops) {
  r->ctx = ctx;
  r->ops = ops;
  registered = r;
}

int api_rpc_register(stratus_ctx *ctx, const ProtobufCServiceDescriptor *service,
                     const char *method, stratus_rpc_handler handler, void *ud) {
  (void)ctx, (void)service, (void)method;
  fake.handler = handler;
  fake.handler_ud = ud;
  return 0;
}

int api_call_reply(stratus_call *call, const ProtobufCMessage *response) {
  (void)call, (void)response;
  fake.status = 0;
  return 0;
}

int api_call_fail(stratus_call *call, int status, const char *fmt, ...) {
  (void)call;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fake.message, sizeof(fake.message), fmt, ap);
  va_end(ap);
  fake.status = status;
  return 0;
}

int64_t api_call_remaining_ms(stratus_call *call) {
  (void)call;
  return fake.remaining_ms;
}

db_pool *db_pools_find(const char *name) {
  static int any;
  return strcmp(name, "characters.1") == 0 || strcmp(name, "auth") == 0 ? (db_pool *)&any
                                                                         : NULL;
}

int api_db_submit_job(stratus_ctx *ctx, const char *pool, stratus_db_work work,
                      stratus_db_done done, void *job, const stratus_db_opts *opts) {
  (void)ctx, (void)opts;
  if (fake.submit_rc) return fake.submit_rc;
  snprintf(fake.pool, sizeof(fake.pool), "%s", pool);
  fake.work = work;
  fake.done = done;
  fake.job = job;
  return 0;
}

int db_txn_run(stratus_db *db, stratus_db_txn_body body, void *arg) {
  fake.txn_runs++;
  return body(db, arg);
}

unsigned db_completing_errno(void) { return fake.errno_now; }

/* Rows are not read here (the integration tests read real ones). */
int rows_map_read(stratus_rows *rows, stratus_req *req, const stratus_col *cols, size_t ncols,
                  void *out) {
  (void)rows, (void)req, (void)cols, (void)ncols, (void)out;
  return STRATUS_ENOTSUP;
}

int rows_map_collect(stratus_rows *rows, stratus_req *req, const stratus_col *cols,
                     size_t ncols, size_t elem_size, const void *tmpl, void **out, size_t *n) {
  (void)rows, (void)req, (void)cols, (void)ncols, (void)elem_size, (void)tmpl, (void)out;
  *n = 0;
  return STRATUS_ENOTSUP;
}

/* Runs the submitted job's work, then completes it with `result` (the
 * work's own result when result is 1). */
static void run_job(int result, unsigned db_errno, const char *error) {
  assert_non_null(fake.work);
  int rc = fake.work(NULL, fake.job);
  fake.errno_now = db_errno;
  fake.done(NULL, fake.job, result == 1 ? rc : result, error);
  fake.errno_now = 0;
}

/* ---- a plugin's methods --------------------------------------------------------- */

enum { E_NOT_YOURS = STRATUS_EUSER(1) };
static const stratus_method_error mail_errors[] = {
    {E_NOT_YOURS, STRATUS_GRPC_PERMISSION_DENIED, "that mail belongs to another player"},
    {0, 0, NULL}};

typedef struct mail_job {
  int32_t id;
  int work_rc;
  int reply_rc;
} mail_job;

static const stratus_host_api *host;

static int check(stratus_req *req, const void *request, void *arg) {
  const V1__MailByIDRequest *r = request;
  mail_job *j = arg;
  j->id = r->mailid;
  if (r->mailid == -1) return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "mail id %d", -1);
  if (r->mailid == -2) return STRATUS_EINVAL;
  if (r->mailid == -3) return E_NOT_YOURS;
  if (r->mailid == -4) return host->req_use_realm(req, 9);
  return 0;
}

static int work(stratus_db *db, stratus_req *req, void *arg) {
  (void)db;
  mail_job *j = arg;
  host->req_alloc(req, 100000); /* beyond the inline arena */
  if (j->id == 10) return STRATUS_EDB;
  if (j->id == 11) return E_NOT_YOURS;
  if (j->id == 12) return host->req_fail(req, STRATUS_GRPC_FAILED_PRECONDITION, "not %s", "now");
  return 0;
}

static int reply(stratus_req *req, void *arg) {
  mail_job *j = arg;
  if (j->id == 20) return STRATUS_LATER;
  if (j->id == 21) return 0; /* a bug: no answer */
  V1__MailByIDResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__mail_by_idresponse__init(resp);
  return host->req_reply(req, &resp->base);
}

static const stratus_method methods[] = {
    {.name = "MailByID", .job_size = sizeof(mail_job), .pool = "characters",
     .realm_field = "realmID", .check = check, .work = work, .reply = reply,
     .errors = mail_errors, .flags = STRATUS_METHOD_TXN},
};

static stratus_host_api api;
static stratus_ctx ctx = {.tag = "mail#1", .state = INST_INIT};
static stratus_req *held;

static int setup(void **state) {
  (void)state;
  memset(&fake, 0, sizeof(fake));
  fake.status = -1;
  fake.remaining_ms = INT64_MAX;
  api_method_install(&api);
  host = &api;
  assert_int_equal(api.methods_register(&ctx, &v1__mail_service__descriptor, methods, 1,
                                        sizeof(stratus_method), NULL),
                   0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  if (registered) registered->ops->release(registered);
  registered = NULL;
  return 0;
}

/* Serves MailByID{realm, id}. */
static void call(uint32_t realm, int32_t id) {
  static V1__MailByIDRequest req;
  static stratus_call c;
  v1__mail_by_idrequest__init(&req);
  req.realmid = realm;
  req.mailid = id;
  c = (stratus_call){.ctx = &ctx, .request = &req.base};
  fake.status = -1;
  fake.handler(&ctx, &c, &req.base, fake.handler_ud);
}

static void expect(int status, const char *fragment) {
  assert_int_equal(fake.status, status);
  if (fragment && !strstr(fake.message, fragment)) fail_msg("'%s' lacks '%s'", fake.message, fragment);
}

static void test_success_uses_the_realm_pool(void **state) {
  (void)state;
  call(1, 5);
  assert_int_equal(fake.status, -1);
  assert_string_equal(fake.pool, "characters.1");
  run_job(1, 0, "");
  expect(0, NULL);
  assert_int_equal(fake.txn_runs, 1);
}

static void test_unknown_realm(void **state) {
  (void)state;
  call(7, 5);
  expect(STRATUS_GRPC_INVALID_ARGUMENT, "unknown realm 7");
  call(0, 5);
  expect(STRATUS_GRPC_INVALID_ARGUMENT, "unknown realm 0");
  call(1, -4); /* check chose realm 9 */
  expect(STRATUS_GRPC_INVALID_ARGUMENT, "[db.characters.9]");
}

static void test_check_failures(void **state) {
  (void)state;
  call(1, -1);
  expect(STRATUS_GRPC_INVALID_ARGUMENT, "mail id -1");
  call(1, -2);
  expect(STRATUS_GRPC_INVALID_ARGUMENT, "MailByID: invalid argument");
  call(1, -3);
  expect(STRATUS_GRPC_PERMISSION_DENIED, "another player");
}

static void test_work_failures(void **state) {
  (void)state;
  call(1, 11);
  run_job(1, 0, "");
  expect(STRATUS_GRPC_PERMISSION_DENIED, "another player");
  call(1, 12);
  run_job(1, 0, "");
  expect(STRATUS_GRPC_FAILED_PRECONDITION, "not now");
}

static void test_mysql_errors(void **state) {
  (void)state;
  static const struct {
    unsigned no;
    int status;
    const char *text;
  } cases[] = {
      {1146, STRATUS_GRPC_FAILED_PRECONDITION, "stratusctl migrate"},
      {1054, STRATUS_GRPC_FAILED_PRECONDITION, "stratusctl migrate"},
      {1062, STRATUS_GRPC_ALREADY_EXISTS, "already exists"},
      {1213, STRATUS_GRPC_ABORTED, "retry"},
      {1205, STRATUS_GRPC_ABORTED, "retry"},
      {1064, STRATUS_GRPC_INTERNAL, "database error"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    call(1, 10);
    run_job(1, cases[i].no, "the server's words");
    expect(cases[i].status, cases[i].text);
    expect(cases[i].status, "the server's words");
    expect(cases[i].status, "characters.1");
  }
}

static void test_job_outcomes(void **state) {
  (void)state;
  call(1, 5);
  run_job(STRATUS_EUNAVAILABLE, 0, "connection lost");
  expect(STRATUS_GRPC_UNAVAILABLE, "connection lost");
  call(1, 5);
  run_job(STRATUS_ECANCELED, 0, "");
  expect(STRATUS_GRPC_UNAVAILABLE, "database characters.1");
  call(1, 5);
  run_job(STRATUS_ETIMEDOUT, 0, "");
  expect(STRATUS_GRPC_UNAVAILABLE, "did not take the job");
  call(1, 5);
  fake.remaining_ms = 0; /* the deadline passed while it waited */
  run_job(STRATUS_ETIMEDOUT, 0, "");
  expect(STRATUS_GRPC_DEADLINE_EXCEEDED, "deadline");
}

static void test_submit_refused(void **state) {
  (void)state;
  fake.submit_rc = STRATUS_EDRAINING;
  call(1, 5);
  expect(STRATUS_GRPC_UNAVAILABLE, "stopping");
  fake.submit_rc = STRATUS_EAGAIN;
  call(1, 5);
  expect(STRATUS_GRPC_UNAVAILABLE, "max_queue");
  fake.submit_rc = 0;
  fake.remaining_ms = 0;
  call(1, 5);
  expect(STRATUS_GRPC_DEADLINE_EXCEEDED, "before the database work started");
}

static void test_every_code_has_a_status(void **state) {
  (void)state;
  static const struct {
    int code;
    int status;
  } map[] = {
      {STRATUS_EINVAL, STRATUS_GRPC_INVALID_ARGUMENT},
      {STRATUS_ENOTFOUND, STRATUS_GRPC_NOT_FOUND},
      {STRATUS_ENOENT, STRATUS_GRPC_NOT_FOUND},
      {STRATUS_EEXIST, STRATUS_GRPC_ALREADY_EXISTS},
      {STRATUS_ECONFLICT, STRATUS_GRPC_ABORTED},
      {STRATUS_ERANGE, STRATUS_GRPC_OUT_OF_RANGE},
      {STRATUS_ENOMEM, STRATUS_GRPC_RESOURCE_EXHAUSTED},
      {STRATUS_EBUSY, STRATUS_GRPC_RESOURCE_EXHAUSTED},
      {STRATUS_ENOTSUP, STRATUS_GRPC_UNIMPLEMENTED},
      {STRATUS_EAGAIN, STRATUS_GRPC_UNAVAILABLE},
      {STRATUS_ETIMEDOUT, STRATUS_GRPC_UNAVAILABLE},
      {STRATUS_ECANCELED, STRATUS_GRPC_UNAVAILABLE},
      {STRATUS_EDRAINING, STRATUS_GRPC_UNAVAILABLE},
      {STRATUS_EUNAVAILABLE, STRATUS_GRPC_UNAVAILABLE},
      {STRATUS_EIO, STRATUS_GRPC_INTERNAL},
      {STRATUS_EPLUGIN, STRATUS_GRPC_INTERNAL},
      {STRATUS_EUSER(3), STRATUS_GRPC_INTERNAL},
  };
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    assert_int_equal(stratus_status_of(map[i].code, 0), map[i].status);
    assert_non_null(stratus_status_hint(map[i].code, 0));
  }
}

static void test_reply_steps(void **state) {
  (void)state;
  call(1, 21); /* returns 0 without answering: INTERNAL, not a hang */
  run_job(1, 0, "");
  expect(STRATUS_GRPC_INTERNAL, "MailByID");
}

static void test_later_answer(void **state) {
  (void)state;
  call(1, 20);
  held = fake.job; /* the runner submits the request itself as the job */
  run_job(1, 0, "");
  assert_int_equal(fake.status, -1);
  assert_int_equal(api.req_error(held, STRATUS_ENOTFOUND), 0);
  expect(STRATUS_GRPC_NOT_FOUND, "MailByID: not found");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_success_uses_the_realm_pool, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_realm, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_work_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mysql_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_job_outcomes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_submit_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_code_has_a_status, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reply_steps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_later_answer, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
