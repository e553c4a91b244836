/*
 * char.arena-team.native-event and char.arena-team.invite-created (PR #37
 * §1.9), built with jansson in the Go structs' field order and published
 * after the commit. Receivers and GUIDs are the realm's low GUIDs.
 */
#include <stdlib.h>

#include <jansson.h>

#include "arenateam.h"

/* The one place that chooses how an event leaves. */
static void publish(stratus_req *req, const char *subject, int64_t type, json_t *payload) {
  stratus_ctx *ctx = HOST->req_ctx(req);
  int rc;
  if (STRATUS_HOST_HAS(HOST, event_publish_json)) {
    rc = HOST->event_publish_json(ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
  } else {
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    rc = text ? HOST->event_publish(ctx, subject, type, text) : STRATUS_ENOMEM;
    free(text);
  }
  if (rc) STRATUS_WARN(HOST, ctx, "%s not published: %s", subject, stratus_strerror(rc));
}

void at_event_set(at_event *ev, const V1__ArenaTeamData *t, uint8_t event, uint32_t guid,
                  uint32_t extra) {
  ev->team = t->arenateamid;
  ev->event = event;
  ev->event_guid = guid;
  ev->nreceivers = 0;
  for (size_t i = 0; i < t->n_members && ev->nreceivers < AT_RECEIVERS_MAX - 1; i++)
    ev->receivers[ev->nreceivers++] = (uint32_t)t->members[i]->playerguid;
  if (extra && !at_is_member(t, extra)) ev->receivers[ev->nreceivers++] = extra;
}

void at_event_publish(stratus_req *req, const at_event *ev) {
  if (!ev->event) return;
  json_t *receivers = json_array(), *args = json_array();
  for (unsigned i = 0; i < ev->nreceivers; i++)
    json_array_append_new(receivers, json_integer(ev->receivers[i]));
  for (unsigned i = 0; i < ev->nargs; i++) json_array_append_new(args, json_string(ev->args[i]));
  json_t *p = json_pack("{s:I, s:o, s:I, s:I, s:I, s:o}", "RealmID",
                        (json_int_t)HOST->req_realm(req), "ReceiverGUIDs", receivers,
                        "ArenaTeamID", (json_int_t)ev->team, "Event", (json_int_t)ev->event,
                        "EventGUID", (json_int_t)ev->event_guid, "Args", args);
  publish(req, "char.arena-team.native-event", 3, p);
}

void at_invite_publish(stratus_req *req, const at_invite *inv) {
  if (!inv->target) return;
  json_t *p = json_pack("{s:I, s:I, s:s, s:I, s:s, s:I, s:s}", "RealmID",
                        (json_int_t)HOST->req_realm(req), "TargetGUID", (json_int_t)inv->target,
                        "TargetName", inv->target_name, "InviterGUID", (json_int_t)inv->inviter,
                        "InviterName", inv->inviter_name, "ArenaTeamID", (json_int_t)inv->team,
                        "TeamName", inv->team_name);
  publish(req, "char.arena-team.invite-created", 2, p);
}

static int mark_online(const stratus_presence *p, void *ud) {
  (void)p;
  *(bool *)ud = true;
  return 1;
}

void at_team_presence(stratus_req *req, V1__ArenaTeamData *t) {
  if (!STRATUS_HOST_HAS(HOST, presence_by_guid)) return;
  for (size_t i = 0; i < t->n_members; i++) {
    V1__ArenaTeamMemberData *m = t->members[i];
    bool online = false;
    if (HOST->presence_by_guid(HOST->req_ctx(req), HOST->req_realm(req),
                               (uint32_t)m->playerguid, mark_online, &online) > 0)
      m->online = online;
  }
}
