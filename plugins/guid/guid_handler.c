/*
 * GuidService.GetGUIDPool, declared for the host's runner: check the
 * request on the loop, reserve the range in a transaction on the realm's
 * [db.characters.<realm>] pool, answer with one inclusive diapason.
 */
#include <inttypes.h>
#include <stdio.h>

#include <stratus/proto/guid/guid.pb-c.h>

#include "guid.h"

#define host guid_host

static void count_range(guid_plugin *g, const guid_job *j) {
  char realm[16];
  snprintf(realm, sizeof(realm), "%" PRIu32, j->realm);
  const char *labels[] = {realm, guid_type_name(j->type)};
  host->metric_add(g->ranges, labels, 1);
  host->metric_add(g->guids, labels, (double)j->size);
  host->metric_set(g->remaining, labels, (double)(GUID_LAST - j->range.end));
}

static int get_pool_check(stratus_req *req, const void *request, void *job) {
  const V1__GetGUIDPoolRequest *in = request;
  const guid_plugin *g = host->req_ud(req);
  guid_job *j = job;
  char msg[128];
  bool has_pool = host->req_use_realm(req, in->realmid) == 0;
  int status = guid_check_request(in->realmid, has_pool, (int)in->guidtype,
                                  in->desiredpoolsize, (uint64_t)g->config->max_pool_size,
                                  msg, sizeof(msg));
  if (status != STRATUS_GRPC_OK) return host->req_fail(req, status, "%s", msg);
  *j = (guid_job){.realm = in->realmid, .type = (int)in->guidtype,
                  .size = in->desiredpoolsize};
  return 0;
}

static int get_pool_reply(stratus_req *req, void *job) {
  guid_job *j = job;
  V1__GetGUIDPoolRequestResponse__GuidDiapason *range = host->req_alloc(req, sizeof(*range));
  V1__GetGUIDPoolRequestResponse *resp = host->req_alloc(req, sizeof(*resp));
  v1__get_guidpool_request_response__guid_diapason__init(range);
  v1__get_guidpool_request_response__init(resp);
  range->start = j->range.start;
  range->end = j->range.end;
  resp->n_receiverguid = 1;
  resp->receiverguid = host->req_alloc(req, sizeof(*resp->receiverguid));
  resp->receiverguid[0] = range;
  count_range(host->req_ud(req), j);
  return host->req_reply(req, &resp->base);
}

const stratus_method guid_methods[GUID_METHODS] = {
    {.name = "GetGUIDPool", .flags = STRATUS_METHOD_TXN, .job_size = sizeof(guid_job),
     .pool = "characters", .check = get_pool_check, .work = guid_sql_reserve,
     .reply = get_pool_reply},
};
