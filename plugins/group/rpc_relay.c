/*
 * Relays: ready checks (StartReadyCheck, SetReadyCheckMemberState,
 * FinishReadyCheck) and instance requests for the owning worldserver
 * (ResetInstance, SetInstanceBindExtension). Nothing is stored: the group
 * gives the receivers, a timer of this instance finishes a ready check.
 */
#include "group.h"
#include "rpc.h"

#define FAIL(...) HOST->req_fail(req, __VA_ARGS__)
#define READY_CHECK_MAX_MS 120000u

static const gplayer nobody = {0, 0};

static int need_leader_or_assistant(stratus_db *db, stratus_req *req, gjob *j) {
  (void)db;
  if (group_is_leader_or_assistant(&j->g, j->actor)) return 0;
  return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the leader or an assistant runs ready checks");
}

/* ---- StartReadyCheck: offline members are reported as waiting (state 0) ---------------------- */

static int start_done(stratus_req *req, gjob *j) {
  json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
  json_object_set_new(o, "LeaderGUID", group_u64(group_wire_guid(&j->g, j->actor)));
  json_object_set_new(o, "DurationMs", json_integer(j->a));
  json_t *receivers = group_receivers(j->p, &j->g, nobody);
  json_object_set(o, "Receivers", receivers);
  group_publish(j->p, "group.readycheck.started", 13, o);
  for (size_t i = 0; i < j->g.n; i++) {
    gmember *m = &j->g.members[i];
    if (!group_online(j->p, m->realm, m->low))
      group_ev_member_value(j->p, &j->g, "group.readycheck.member.state", 14,
                            (gplayer){m->realm, m->low}, "State", 0, NULL, 0);
  }
  group_ready_check_start(j->p, &j->g, j->a, receivers);
  V1__StartReadyCheckResponse r = V1__START_READY_CHECK_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop start_op = {.mutate = need_leader_or_assistant, .done = start_done,
                             .need_group = true, .readonly = true};

static int start_check(stratus_req *req, const void *request, void *job) {
  const V1__StartReadyCheckRequest *in = request;
  gjob *j = job;
  int rc = group_check_common(req, j, &start_op, in->leaderguid);
  if (rc != 0) return rc;
  if (in->durationms > READY_CHECK_MAX_MS)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "durationMs %u: at most %u", in->durationms,
                READY_CHECK_MAX_MS);
  j->a = in->durationms ? in->durationms : (uint32_t)j->cfg.ready_check_ms;
  return 0;
}

/* ---- SetReadyCheckMemberState: 0 waiting, 1 ready, 2 not ready (clamped) ----------------- */

static int answer_done(stratus_req *req, gjob *j) {
  group_ev_member_value(j->p, &j->g, "group.readycheck.member.state", 14, j->actor, "State",
                        j->a, NULL, 0);
  V1__SetReadyCheckMemberStateResponse r = V1__SET_READY_CHECK_MEMBER_STATE_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop answer_op = {.done = answer_done, .need_group = true, .readonly = true};

static int answer_check(stratus_req *req, const void *request, void *job) {
  const V1__SetReadyCheckMemberStateRequest *in = request;
  gjob *j = job;
  j->a = in->state > 2 ? 2 : in->state;
  return group_check_common(req, j, &answer_op, in->memberguid);
}

/* ---- FinishReadyCheck ------------------------------------------------------------------------ */

static int finish_done(stratus_req *req, gjob *j) {
  group_ready_check_stop(j->p, j->g.realm, j->g.id);
  json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
  json_object_set_new(o, "Receivers", group_receivers(j->p, &j->g, nobody));
  group_publish(j->p, "group.readycheck.finished", 15, o);
  V1__FinishReadyCheckResponse r = V1__FINISH_READY_CHECK_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop finish_op = {.mutate = need_leader_or_assistant, .done = finish_done,
                              .need_group = true, .readonly = true};

static int finish_check(stratus_req *req, const void *request, void *job) {
  const V1__FinishReadyCheckRequest *in = request;
  return group_check_common(req, job, &finish_op, in->playerguid);
}

/* ---- instance relays: the group's leader, or a player on their own ------------------------ */

static int instance_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  (void)db;
  if (group_is_leader(&j->g, j->actor)) return 0;
  return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the group leader resets or extends "
              "the group's instances");
}

static int instance_done(stratus_req *req, gjob *j) {
  bool reset = j->c == 0;
  uint32_t realm = j->group_id ? j->g.realm : j->actor.realm;
  json_t *o = group_event_head(j->p, realm, j->group_id);
  json_object_set_new(o, "PlayerGUID", group_u64(group_wire_guid_of(realm, j->actor.realm,
                                                                     j->actor.low)));
  json_object_set_new(o, "MapID", json_integer(j->a));
  json_object_set_new(o, "Difficulty", json_integer(j->b));
  if (!reset) json_object_set_new(o, "Extended", json_boolean(j->c == 2));
  json_t *receivers = json_array();
  if (j->group_id) {
    json_decref(receivers);
    receivers = group_receivers(j->p, &j->g, nobody);
  } else {
    json_array_append_new(receivers, group_u64(j->actor.low));
  }
  json_object_set_new(o, "Receivers", receivers);
  if (reset) {
    group_publish(j->p, "group.instance.reset.request", 19, o);
    V1__ResetInstanceResponse r = V1__RESET_INSTANCE_RESPONSE__INIT;
    return HOST->req_reply(req, &r.base);
  }
  group_publish(j->p, "group.instance.bind.extension.request", 20, o);
  V1__SetInstanceBindExtensionResponse r = V1__SET_INSTANCE_BIND_EXTENSION_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop instance_op = {.mutate = instance_mutate, .done = instance_done,
                                .readonly = true};

static int reset_check(stratus_req *req, const void *request, void *job) {
  const V1__ResetInstanceRequest *in = request;
  gjob *j = job;
  if (in->difficulty > 3)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "difficulty %u: 0-3", in->difficulty);
  j->a = in->mapid;
  j->b = in->difficulty;
  return group_check_common(req, j, &instance_op, in->playerguid);
}

static int extension_check(stratus_req *req, const void *request, void *job) {
  const V1__SetInstanceBindExtensionRequest *in = request;
  gjob *j = job;
  if (in->difficulty > 3)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "difficulty %u: 0-3", in->difficulty);
  j->a = in->mapid;
  j->b = in->difficulty;
  j->c = in->extended ? 2 : 1;
  return group_check_common(req, j, &instance_op, in->playerguid);
}

const stratus_method group_relay_methods[] = {
    GROUP_FLOW_METHOD("StartReadyCheck", start_check),
    GROUP_FLOW_METHOD("SetReadyCheckMemberState", answer_check),
    GROUP_FLOW_METHOD("FinishReadyCheck", finish_check),
    GROUP_FLOW_METHOD("ResetInstance", reset_check),
    GROUP_FLOW_METHOD("SetInstanceBindExtension", extension_check),
};
const size_t group_relay_methods_n = sizeof(group_relay_methods) / sizeof(group_relay_methods[0]);
