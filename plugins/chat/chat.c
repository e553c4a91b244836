/*
 * chat: v1.ChatService channel RPCs (all but SendWhisperMessage, which is
 * the whisper plugin's). Channels follow AzerothCore's rules, are keyed by
 * realm + lower-case name + team, live in memory on the loop thread and are
 * stored in the realm's characters database; players leave their channels
 * when the presence owner (the characters plugin) takes them offline.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "chat.h"

const stratus_host_api *chat_host;
#define host chat_host

static const stratus_config_key chat_keys[] = {
    {.name = "max_message_length", .type = STRATUS_CFG_INT,
     .offset = offsetof(chat_config, max_message), .default_value = "255", .min = 1,
     .max = 65535, .help = "longest channel message in bytes (the client sends at most 255)"},
    {.name = "ban_duration", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(chat_config, ban_duration_ms), .default_value = "1440h", .min = 1000,
     .max = INT64_C(315360000000), .help = "how long a channel ban lasts (the core: 60 days)"},
    {.name = "two_side_channels", .type = STRATUS_CFG_BOOL,
     .offset = offsetof(chat_config, two_side), .default_value = "no",
     .help = "gateways put both factions in one channel (AllowTwoSide.Interaction.Channel): "
             "invites skip the faction check"},
    {.name = "lookup_timeout", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(chat_config, lookup_timeout_ms), .default_value = "2s", .min = 10,
     .max = 60000, .help = "deadline of CharactersService.CharacterOnlineByName for invites"},
    {0},
};

/* ---- logouts ------------------------------------------------------------------- */

static void queue_logout(chat_plugin *p, uint32_t realm, uint8_t team, const char *name,
                         uint64_t guid) {
  chat_op *op = calloc(1, sizeof(*op));
  if (!op) return; /* internal: no call to answer */
  op->kind = CHAT_OP_LOGOUT;
  snprintf(op->channel_buf, sizeof(op->channel_buf), "%s", name);
  op->req = (chat_req){.realm = realm, .team = team, .actor = guid, .channel = op->channel_buf,
                       .password = ""};
  if (chat_submit(p, op) != 0) free(op);
}

static bool joining(const chat_channel *ch, uint64_t guid) {
  for (const chat_op *op = ch->head; op; op = op->next)
    if (op->kind == CHAT_OP_JOIN && op->req.actor == guid) return true;
  return false;
}

/* Loaded channels the player is in (or about to be): collected first, as
 * queueing may drop a channel from the tree being walked. */
typedef struct logout_scan {
  uint32_t realm;
  uint64_t guid;
  chat_channel **hits;
  size_t n, cap;
} logout_scan;

static void scan_node(const void *node, VISIT which, void *arg) {
  logout_scan *s = arg;
  chat_channel *ch = *(chat_channel *const *)node;
  if (which != postorder && which != leaf) return;
  if (ch->realm != s->realm || (!chat_member_find(ch, s->guid) && !joining(ch, s->guid))) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    chat_channel **h = realloc(s->hits, cap * sizeof(*h));
    if (!h) return;
    s->hits = h;
    s->cap = cap;
  }
  s->hits[s->n++] = ch;
}

static void logout_db_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  chat_logout_job *j = arg;
  if (result != 0)
    STRATUS_WARN(host, j->plugin->ctx, "realm %" PRIu32 " logout of %" PRIu64
                 ": channel lookup failed: %s", j->realm, j->guid, error);
  for (size_t i = 0; result == 0 && i < j->n; i++) {
    if (chat_channel_find(j->plugin, j->realm, j->found[i].team, j->found[i].key))
      continue; /* loaded: the memory scan queued it */
    queue_logout(j->plugin, j->realm, j->found[i].team, j->found[i].name, j->guid);
  }
  free(j->found);
  free(j);
}

void chat_logout(chat_plugin *p, uint32_t realm, uint32_t guid) {
  if (guid == 0) return;
  logout_scan s = {realm, guid, NULL, 0, 0};
  twalk_r(p->channels, scan_node, &s);
  for (size_t i = 0; i < s.n; i++)
    queue_logout(p, realm, s.hits[i]->team, s.hits[i]->name, guid);
  free(s.hits);
  char pool[REALM_POOL_MAX];
  CHAT_POOL(pool, realm);
  if (realm == 0 || !host->db_pool_exists(p->ctx, pool)) return;
  chat_logout_job *j = calloc(1, sizeof(*j));
  if (!j) return;
  *j = (chat_logout_job){.plugin = p, .realm = realm, .guid = guid};
  if (host->db_submit(p->ctx, pool, chat_sql_member_channels, logout_db_done, j, NULL) != 0)
    free(j);
}

/* The presence owner (the characters plugin) took a character offline: a
logout, or its gateway died. */
static void on_presence(stratus_ctx *ctx, int change, const stratus_presence *pr, void *ud) {
  if (change == STRATUS_PRESENCE_OFFLINE) chat_logout(ud, pr->realm, pr->low);
}

/* ---- lifecycle ------------------------------------------------------------------ */

static stratus_metric *metric(stratus_ctx *ctx, int kind, const char *name, const char *help,
                              const char *const *labels) {
  const stratus_metric_desc d = {sizeof(d), (uint32_t)kind, name, help, labels, NULL, 0};
  return host->metric_register(ctx, &d);
}

static int register_metrics(stratus_ctx *ctx, chat_plugin *p) {
  static const char *const op_labels[] = {"op", "outcome", NULL};
  static const char *const msg_labels[] = {"outcome", NULL};
  p->m_ops = metric(ctx, STRATUS_METRIC_COUNTER, "stratus_chat_operations_total",
                    "Channel operations by outcome (ok, refused: a Status, error: gRPC)",
                    op_labels);
  p->m_messages = metric(ctx, STRATUS_METRIC_COUNTER, "stratus_chat_messages_total",
                         "Channel messages answered on the fast path", msg_labels);
  p->m_channels = metric(ctx, STRATUS_METRIC_GAUGE, "stratus_chat_channels_loaded",
                         "Channels in memory", NULL);
  p->m_members = metric(ctx, STRATUS_METRIC_GAUGE, "stratus_chat_members_loaded",
                        "Members of the channels in memory", NULL);
  return p->m_ops && p->m_messages && p->m_channels && p->m_members ? 0 : STRATUS_EEXIST;
}

static int chat_init(stratus_ctx *ctx, const void *config, void **state) {
  chat_plugin *p = calloc(1, sizeof(*p));
  if (!p) return STRATUS_ENOMEM;
  p->config = config;
  p->ctx = ctx;
  snprintf(p->service_id, sizeof(p->service_id), "stratus-chat-%" PRIx64 "-%x",
           host->now_ms(ctx) ^ ((uint64_t)time(NULL) << 20), (unsigned)getpid());
  int rc = register_metrics(ctx, p);
  if (rc == 0) rc = chat_handlers_register(ctx, p);
  if (rc == 0) rc = host->presence_watch(ctx, on_presence, p);
  if (rc != 0) {
    free(p);
    return rc;
  }
  *state = p;
  return 0;
}

/* Every key is read when used: a new value applies to the next call. */
static int chat_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  ((chat_plugin *)state)->config = config;
  return 0;
}

static void chat_stop(stratus_ctx *ctx, void *state) {
  ((chat_plugin *)state)->stopped = true;
}

static void chat_destroy(stratus_ctx *ctx, void *state) {
  chat_plugin *p = state;
  chat_channels_free(p);
  free(p);
}

static const stratus_plugin chat_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "chat",
    .version = "1.0.0",
    .description = "ChatService channels: join, leave, messages, moderation, bans, invites",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(chat_keys, chat_config),
    .init = chat_init,
    .reconfigure = chat_reconfigure,
    .stop = chat_stop,
    .destroy = chat_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, presence_watch)) return NULL; /* ABI 1.1; 1.0 is always there */
  host = api;
  return &chat_plugin_desc;
}
