/*
 * GuidService.GetGUIDPool: check the request, reserve the range in a
 * database job on the realm's [db.characters.<realm>] pool, answer from the
 * job's completion with one inclusive diapason.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <stratus/proto/guid/guid.pb-c.h>

#include "guid.h"

#define host guid_host

enum { ER_NO_SUCH_TABLE = 1146 };

static void count_range(guid_plugin *g, const guid_job *j) {
  char realm[16];
  snprintf(realm, sizeof(realm), "%" PRIu32, j->realm);
  const char *labels[] = {realm, guid_type_name(j->type)};
  host->metric_add(g->ranges, labels, 1);
  host->metric_add(g->guids, labels, (double)j->size);
  host->metric_set(g->remaining, labels, (double)(GUID_LAST - j->range.end));
}

static void reply_range(stratus_ctx *ctx, guid_job *j) {
  V1__GetGUIDPoolRequestResponse__GuidDiapason range =
      V1__GET_GUIDPOOL_REQUEST_RESPONSE__GUID_DIAPASON__INIT;
  V1__GetGUIDPoolRequestResponse__GuidDiapason *ranges[] = {&range};
  V1__GetGUIDPoolRequestResponse resp = V1__GET_GUIDPOOL_REQUEST_RESPONSE__INIT;
  range.start = j->range.start;
  range.end = j->range.end;
  resp.n_receiverguid = 1;
  resp.receiverguid = ranges;
  if (host->log_enabled(ctx, STRATUS_LOG_DEBUG)) /* the call is gone after the reply */
    STRATUS_DEBUG(host, ctx, "realm %" PRIu32 " %s GUIDs %" PRIu64 "..%" PRIu64 " to %s",
                  j->realm, guid_type_name(j->type), j->range.start, j->range.end,
                  host->call_peer(j->call));
  host->call_reply(j->call, &resp.base);
  count_range(j->plugin, j);
}

static void fail_job(guid_job *j, int result, const char *error) {
  const char *type = guid_type_name(j->type);
  switch (result) {
  case STRATUS_ERANGE:
    host->call_fail(j->call, STRATUS_GRPC_RESOURCE_EXHAUSTED,
                    "realm %" PRIu32 " has no room for %" PRIu64 " more %s GUIDs "
                    "(the last is %" PRIu64 ")", j->realm, j->size, type, GUID_LAST);
    break;
  case STRATUS_ENOTFOUND:
    host->call_fail(j->call, STRATUS_GRPC_FAILED_PRECONDITION,
                    "realm %" PRIu32 ": stratus_guid_range has no row for guid_type %d "
                    "(%s); restore it with next_guid above every %s GUID handed out",
                    j->realm, j->type, type, type);
    break;
  case STRATUS_EUNAVAILABLE:
  case STRATUS_ETIMEDOUT:
  case STRATUS_ECANCELED:
    host->call_fail(j->call, STRATUS_GRPC_UNAVAILABLE,
                    "realm %" PRIu32 " characters database unavailable: %s", j->realm,
                    *error ? error : stratus_strerror(result));
    break;
  default:
    if (j->db_errno == ER_NO_SUCH_TABLE)
      host->call_fail(j->call, STRATUS_GRPC_FAILED_PRECONDITION,
                      "realm %" PRIu32 ": %s (run `stratusctl migrate`)", j->realm, error);
    else
      host->call_fail(j->call, STRATUS_GRPC_INTERNAL,
                      "realm %" PRIu32 ": reserving %s GUIDs failed: %s", j->realm, type,
                      *error ? error : stratus_strerror(result));
  }
}

static void reserve_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  guid_job *j = arg;
  if (result == 0) {
    reply_range(ctx, j);
  } else {
    /* The host logs database outages itself, once per outage. */
    bool outage = result == STRATUS_EUNAVAILABLE || result == STRATUS_ETIMEDOUT ||
                  result == STRATUS_ECANCELED;
    if (result != STRATUS_ERANGE)
      STRATUS_LOG(host, ctx, outage ? STRATUS_LOG_DEBUG : STRATUS_LOG_WARN,
                  "realm %" PRIu32 " %s GUIDs: %s (%s)", j->realm,
                  guid_type_name(j->type), stratus_err_name(result), error);
    fail_job(j, result, error);
  }
  free(j);
}

void guid_handle_get_pool(stratus_ctx *ctx, stratus_call *call,
                          const ProtobufCMessage *request, void *ud) {
  const V1__GetGUIDPoolRequest *req = (const void *)request;
  guid_plugin *g = ud;
  char pool[32], msg[128];
  snprintf(pool, sizeof(pool), "characters.%" PRIu32, req->realmid);
  int status = guid_check_request(req->realmid, host->db_pool_exists(ctx, pool),
                                  (int)req->guidtype, req->desiredpoolsize,
                                  (uint64_t)g->config->max_pool_size, msg, sizeof(msg));
  if (status != STRATUS_GRPC_OK) {
    host->call_fail(call, status, "%s", msg);
    return;
  }
  guid_job *j = calloc(1, sizeof(*j));
  if (!j) {
    host->call_fail(call, STRATUS_GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *j = (guid_job){.plugin = g, .call = call, .realm = req->realmid,
                  .type = (int)req->guidtype, .size = req->desiredpoolsize};
  int rc = host->db_submit(ctx, pool, guid_sql_reserve, reserve_done, j, NULL);
  if (rc != 0) {
    host->call_fail(call, STRATUS_GRPC_UNAVAILABLE, "realm %" PRIu32 " characters database: %s",
                    req->realmid,
                    rc == STRATUS_EAGAIN       ? "too many queued jobs (max_queue)"
                    : rc == STRATUS_EDRAINING ? "the guid plugin is stopping"
                                              : stratus_strerror(rc));
    free(j);
  }
}
