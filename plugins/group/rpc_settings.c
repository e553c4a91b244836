/*
 * Group settings and chat: SetLootMethod, SetGroupTargetIcon,
 * SetDungeonDifficulty, SetRaidDifficulty, SendMessage.
 */
#include <string.h>

#include <stratus/text.h>

#include "group.h"
#include "rpc.h"

#define FAIL(...) HOST->req_fail(req, __VA_ARGS__)

static const gplayer nobody = {0, 0};

static int need_leader(stratus_req *req, gjob *j, const char *what) {
  if (group_is_leader(&j->g, j->actor)) return 0;
  return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "only the group leader %s", what);
}

/* ---- loot ---------------------------------------------------------------------------------- */

#define LOOT_MASTER 2u

static int loot_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  int rc = need_leader(req, j, "sets the loot method");
  if (rc != 0) return rc;
  if (j->a == LOOT_MASTER && !group_member(&j->g, j->target))
    return FAIL(STRATUS_GRPC_FAILED_PRECONDITION, "the master looter must be in the group");
  j->g.loot_method = j->a;
  j->g.loot_threshold = j->b;
  j->g.master_looter = j->a == LOOT_MASTER ? j->target : nobody;
  j->g.looter = j->a == LOOT_MASTER ? j->target : j->g.leader;
  return gsql_save(db, &j->g);
}

static int loot_done(stratus_req *req, gjob *j) {
  json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
  json_object_set_new(o, "NewLootType", json_integer(j->g.loot_method));
  json_object_set_new(o, "NewLooterGUID", group_u64(group_wire_guid(&j->g, j->g.looter)));
  json_object_set_new(o, "NewLooterThreshold", json_integer(j->g.loot_threshold));
  json_object_set_new(o, "OnlineMembers", group_receivers(j->p, &j->g, nobody));
  group_publish(j->p, "group.loot.changed", 8, o);
  V1__SetLootMethodResponse r = V1__SET_LOOT_METHOD_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop loot_op = {.mutate = loot_mutate, .done = loot_done, .need_group = true};

static int loot_check(stratus_req *req, const void *request, void *job) {
  const V1__SetLootMethodRequest *in = request;
  gjob *j = job;
  if (in->method > 4)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "loot method %u: 0 free for all, 1 round robin, "
                "2 master, 3 group, 4 need before greed", in->method);
  if (in->lootthreshold > 7)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "loot threshold %u is not an item quality (0-7)",
                in->lootthreshold);
  j->a = in->method;
  j->b = in->lootthreshold;
  int rc = group_check_common(req, j, &loot_op, in->playerguid);
  if (rc == 0 && in->method == LOOT_MASTER)
    rc = group_resolve(req, j->caller, in->lootmaster, &j->target, "lootMaster");
  return rc;
}

/* ---- target icons -------------------------------------------------------------------------- */

static int icon_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  if ((j->g.group_type & GROUP_TYPE_RAID) && !group_is_leader_or_assistant(&j->g, j->actor))
    return FAIL(STRATUS_GRPC_PERMISSION_DENIED, "in a raid only the leader or an assistant "
                "marks targets");
  /* A target carries one icon: it leaves the one it had. */
  for (unsigned i = 0; j->a64 && i < 8; i++)
    if (j->g.icons[i] == j->a64) j->g.icons[i] = 0;
  j->g.icons[j->a] = j->a64;
  return gsql_save(db, &j->g);
}

static int icon_done(stratus_req *req, gjob *j) {
  json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
  json_object_set_new(o, "Updater", group_u64(group_wire_guid(&j->g, j->actor)));
  json_object_set_new(o, "Target", group_u64(j->a64));
  json_object_set_new(o, "IconID", json_integer(j->a));
  json_object_set_new(o, "Receivers", group_receivers(j->p, &j->g, nobody));
  group_publish(j->p, "group.targeticons.new", 11, o);
  V1__SetGroupTargetIconResponse r = V1__SET_GROUP_TARGET_ICON_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop icon_op = {.mutate = icon_mutate, .done = icon_done, .need_group = true};

static int icon_check(stratus_req *req, const void *request, void *job) {
  const V1__SetGroupTargetIconRequest *in = request;
  gjob *j = job;
  if (in->iconid >= 8)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "icon %u: target icons are 0-7", in->iconid);
  j->a = in->iconid;
  j->a64 = in->targetguid;
  return group_check_common(req, j, &icon_op, in->setterguid);
}

/* ---- difficulty ------------------------------------------------------------------------------
 * Refused (status 1) while a member is known to be inside an instance: the
 * placement of member-state snapshots, copied into the job in prepare. */

static int difficulty_prepare(stratus_req *req, gjob *j) {
  (void)req;
  j->c = 0;
  for (size_t i = 0; i < j->p->states.cap; i++) {
    gstate *s = j->p->states.slots[i].val;
    if (!s || !s->instance_known || !s->instance || !s->online) continue;
    if (j->n_online < GROUP_MAX_RAID) j->online[j->n_online++] = (gplayer){
        (uint32_t)(s->key >> 32), (uint32_t)s->key};
  }
  return 0;
}

static int difficulty_mutate(stratus_db *db, stratus_req *req, gjob *j) {
  int rc = need_leader(req, j, "sets the difficulty");
  if (rc != 0) return rc;
  for (size_t i = 0; i < j->g.n; i++)
    if (group_job_online(j, (gplayer){j->g.members[i].realm, j->g.members[i].low})) {
      j->status = 1; /* MemberIsInDungeon / MemberIsInRaid */
      return 0;
    }
  if (j->b) j->g.raid_difficulty = j->a;
  else j->g.difficulty = j->a;
  return gsql_save(db, &j->g);
}

static int difficulty_done(stratus_req *req, gjob *j) {
  if (j->status == 0) {
    json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
    json_object_set_new(o, "Updater", group_u64(group_wire_guid(&j->g, j->actor)));
    json_object_set_new(o, j->b ? "RaidDifficulty" : "DungeonDifficulty", json_integer(j->a));
    json_object_set_new(o, "Receivers", group_receivers(j->p, &j->g, nobody));
    group_publish(j->p, "group.difficulty.changed", 12, o);
  }
  if (j->b) {
    V1__SetRaidDifficultyResponse r = V1__SET_RAID_DIFFICULTY_RESPONSE__INIT;
    r.status = (V1__SetRaidDifficultyResponse__Status)j->status;
    return HOST->req_reply(req, &r.base);
  }
  V1__SetDungeonDifficultyResponse r = V1__SET_DUNGEON_DIFFICULTY_RESPONSE__INIT;
  r.status = (V1__SetDungeonDifficultyResponse__Status)j->status;
  return HOST->req_reply(req, &r.base);
}

static const gop difficulty_op = {.mutate = difficulty_mutate, .done = difficulty_done,
                                  .prepare = difficulty_prepare, .need_group = true};

static int dungeon_check(stratus_req *req, const void *request, void *job) {
  const V1__SetDungeonDifficultyRequest *in = request;
  gjob *j = job;
  if (in->difficulty > 2)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "dungeon difficulty %u: 0 normal, 1 heroic, 2 epic",
                in->difficulty);
  j->a = in->difficulty;
  return group_check_common(req, j, &difficulty_op, in->playerguid);
}

static int raid_difficulty_check(stratus_req *req, const void *request, void *job) {
  const V1__SetRaidDifficultyRequest *in = request;
  gjob *j = job;
  if (in->difficulty > 3)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "raid difficulty %u: 0 10-man, 1 25-man, "
                "2 10-man heroic, 3 25-man heroic", in->difficulty);
  j->a = in->difficulty;
  j->b = 1;
  return group_check_common(req, j, &difficulty_op, in->playerguid);
}

/* ---- chat ---------------------------------------------------------------------------------- */

#define GROUP_MESSAGE_MAX 255

static int message_done(stratus_req *req, gjob *j) {
  json_t *o = group_event_head(j->p, j->g.realm, j->g.id);
  json_object_set_new(o, "SenderGUID", group_u64(group_wire_guid(&j->g, j->actor)));
  json_object_set_new(o, "SenderName", json_string(j->actor_name));
  json_object_set_new(o, "SenderChatTag", json_integer(j->c));
  json_object_set_new(o, "Language", json_integer(j->b));
  json_object_set_new(o, "Msg", json_string(j->text));
  json_object_set_new(o, "MessageType", json_integer(j->a));
  json_object_set_new(o, "Receivers", group_receivers(j->p, &j->g, nobody));
  group_publish(j->p, "group.message.new", 10, o);
  V1__SendGroupMessageResponse r = V1__SEND_GROUP_MESSAGE_RESPONSE__INIT;
  return HOST->req_reply(req, &r.base);
}

static const gop message_op = {.done = message_done, .need_group = true, .readonly = true};

static int message_check(stratus_req *req, const void *request, void *job) {
  const V1__SendGroupMessageParams *in = request;
  gjob *j = job;
  size_t len = in->message ? strlen(in->message) : 0;
  if (len == 0 || len > GROUP_MESSAGE_MAX)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "message of %zu bytes: 1 to %d", len,
                GROUP_MESSAGE_MAX);
  if (!stratus_utf8_valid(in->message, len, NULL))
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "message is not valid UTF-8");
  if (in->messagetype > 0xFF || in->senderchattag > 0xFF)
    return FAIL(STRATUS_GRPC_INVALID_ARGUMENT, "messageType and senderChatTag are bytes");
  j->a = in->messagetype;
  j->b = in->language;
  j->c = in->senderchattag;
  j->text = HOST->req_strdup(req, in->message, len);
  return group_check_common(req, j, &message_op, in->senderguid);
}

const stratus_method group_settings_methods[] = {
    GROUP_FLOW_METHOD("SetLootMethod", loot_check),
    GROUP_FLOW_METHOD("SetGroupTargetIcon", icon_check),
    GROUP_FLOW_METHOD("SetDungeonDifficulty", dungeon_check),
    GROUP_FLOW_METHOD("SetRaidDifficulty", raid_difficulty_check),
    GROUP_FLOW_METHOD("SendMessage", message_check),
};
const size_t group_settings_methods_n =
    sizeof(group_settings_methods) / sizeof(group_settings_methods[0]);
