/*
 * PR #37's crossrealm whisper policy, without taking the sender gateway's
 * word for what the host can check. A whisper to another realm is allowed
 * when both players share a crossrealm context, or when their accounts are
 * Real ID friends (asked of the realid plugin).
 *
 * Checked: both players are on the same crossrealm map according to the
 * online directory (a map counts as crossrealm when a registered crossrealm
 * game server serves it, or when it is listed in crossrealm_maps; this is
 * how a shared battleground or arena shows, the gateway events carry no
 * instance), or both are in the same dungeon-finder group as the group and
 * matchmaking services announced it (whisper_groups.c). The gateway's
 * gatewayValidatedGameplayCrossrealmWhisper claims the same and is not
 * trusted.
 */
#include <stdlib.h>
#include <string.h>

#include <stratus/proto/characters/characters.pb-c.h>

#include "whisper.h"

#define host whisper_host

/* Stops the walk at the first crossrealm server of the map. */
static int note_crossrealm(const stratus_game_server *gs, void *ud) {
  *(bool *)ud = gs->crossrealm;
  return gs->crossrealm;
}

bool whisper_crossrealm_map(whisper_plugin *p, uint32_t realm, uint32_t map) {
  for (const char *const *m = p->config->crossrealm_maps; m && *m; m++) {
    char *end;
    unsigned long v = strtoul(*m, &end, 10);
    if (end != *m && *end == '\0' && v == map) return true;
  }
  bool found = false;
  if (STRATUS_HOST_HAS(host, discovery_game_servers))
    host->discovery_game_servers(p->ctx, realm, map, note_crossrealm, &found);
  return found;
}

bool whisper_shared_context(whisper_plugin *p, const whisper_char *sender,
                            const whisper_char *receiver) {
  if (!sender || !receiver) return false;
  if (sender->map == receiver->map && whisper_crossrealm_map(p, sender->realm, sender->map))
    return true;
  return whisper_same_lfg_group(p, sender, receiver);
}

/* ---- Real ID ------------------------------------------------------------------- */

typedef struct realid_call {
  whisper_plugin *plugin;
  whisper_realid_done done;
  void *ud;
  V1__AreRealIDFriendsRequest req;
} realid_call;

static void realid_answered(stratus_ctx *ctx, int status, const char *message,
                            const ProtobufCMessage *response, void *ud) {
  realid_call *rc = ud;
  const V1__AreRealIDFriendsResponse *r = (const void *)response;
  int verdict;
  if (status == STRATUS_GRPC_OK) verdict = r->accepted ? 1 : 0;
  else if (status == STRATUS_GRPC_UNIMPLEMENTED) verdict = 0; /* realid is not enabled */
  else verdict = -status;
  rc->done(rc->plugin, verdict, message, rc->ud);
  free(rc);
}

int whisper_ask_realid(whisper_plugin *p, uint32_t account, uint32_t friend_account,
                       whisper_realid_done done, void *ud) {
  realid_call *rc = calloc(1, sizeof(*rc));
  if (!rc) return STRATUS_ENOMEM;
  *rc = (realid_call){.plugin = p, .done = done, .ud = ud};
  v1__are_real_idfriends_request__init(&rc->req);
  rc->req.accountid = account;
  rc->req.friendaccountid = friend_account;
  stratus_call_opts opts = {sizeof(opts), 0, p->config->realid_timeout_ms, NULL};
  int err = host->rpc_call(p->ctx, &v1__characters_service__descriptor, "AreRealIDFriends",
                           &rc->req.base, &opts, realid_answered, rc);
  if (err != 0) free(rc);
  return err;
}
