/*
 * realid: the plugin descriptor, configuration and lifecycle. Enabled, it
 * serves AddRealIDFriendByEmail, AcceptRealIDFriend and AreRealIDFriends
 * from [db.auth]; disabled, those paths have no route and the host answers
 * UNIMPLEMENTED, while the characters plugin runs without any auth database.
 */
#include "realid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


const stratus_host_api *realid_host;

#define KEY(field, key, kind, def, lo, hi, text) \
  {.name = key, .type = kind, .offset = offsetof(realid_config, field), \
   .default_value = def, .min = lo, .max = hi, .help = text}

static const stratus_config_key realid_keys[] = {
    KEY(auth_pool, "auth_pool", STRATUS_CFG_STRING, "auth", 1, 64,
        "[db.<name>] of the auth database (account, stratus_realid_friends)"),
    KEY(max_friends, "max_friends", STRATUS_CFG_INT, "50", 1, 1000,
        "accepted Real ID friends per account"),
    KEY(max_requests_per_hour, "max_requests_per_hour", STRATUS_CFG_INT, "20", 0, 100000,
        "AddRealIDFriendByEmail calls per account and hour; 0: no limit"),
    KEY(refresh_ms, "refresh_interval", STRATUS_CFG_DURATION, "5m", 1000, 86400000,
        "how often accepted friendships are re-read (other instances may add some)"),
    KEY(service_id, "service_id", STRATUS_CFG_STRING, "", 0, 63,
        "ServiceID in friends.* events; empty: generated at start"),
    KEY(cross_faction, "cross_faction", STRATUS_CFG_BOOL, "yes", 0, 0,
        "Real ID friends of the other faction appear in friend lists (PR #37's "
        "realIDCrossFaction)"),
    {0},
};

/* ---- friendships ------------------------------------------------------------------- */

static void load_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  rid_load_job *j = arg;
  realid *st = j->st;
  if (result == 0) {
    friendmap_free(&st->friends);
    st->friends = j->map;
    STRATUS_DEBUG(HOST, ctx, "%zu accepted Real ID friendships", st->friends.pairs);
  } else {
    friendmap_free(&j->map);
    if (HOST->db_done_errno(ctx) == STRATUS_ER_NO_SUCH_TABLE)
      STRATUS_ERROR(HOST, ctx, "[db.%s] has no stratus_realid_friends table: run stratusctl "
                               "migrate", st->cfg->auth_pool);
    else
      STRATUS_WARN(HOST, ctx, "cannot read Real ID friendships: %s",
                   error && *error ? error : stratus_strerror(result));
  }
  free(j);
}

void realid_reload_friends(realid *st) {
  rid_load_job *j = calloc(1, sizeof(*j));
  if (!j) return;
  j->st = st;
  if (HOST->db_submit(st->ctx, st->cfg->auth_pool, store_load_work, load_done, j, NULL) != 0)
    free(j);
}

static void refresh(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  realid *st = ud;
  realid_reload_friends(st);
  /* Forget request counters whose hour is over. */
  uint64_t now = HOST->now_ms(st->ctx);
  for (size_t i = 0; i < st->attempts.cap;) {
    rid_attempts *a = st->attempts.slots[i].val;
    if (a && now - a->window_ms >= 3600000) {
      hmap_del_val(&st->attempts, st->attempts.slots[i].hash, a);
      free(a);
      continue;
    }
    i++;
  }
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void set_service_id(realid *st) {
  struct timespec ts;
  if (st->cfg->service_id[0]) {
    snprintf(st->service_id, sizeof(st->service_id), "%s", st->cfg->service_id);
    return;
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(st->service_id, sizeof(st->service_id), "realid-%ld-%ld", (long)getpid(),
           (long)ts.tv_nsec);
}

static void register_metrics(realid *st) {
  static const char *const req_labels[] = {"method", "outcome", NULL};
  static const char *const pub_labels[] = {"subject", "result", NULL};
  static const stratus_metric_desc requests = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER, "stratus_realid_requests_total",
      "Real ID requests and acceptances, by outcome", req_labels, NULL, 0};
  static const stratus_metric_desc published = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER, "stratus_realid_published_total",
      "Events published, by result", pub_labels, NULL, 0};
  st->m_requests = HOST->metric_register(st->ctx, &requests);
  st->m_published = HOST->metric_register(st->ctx, &published);
}

static void realid_destroy(stratus_ctx *ctx, void *state);

static int realid_init(stratus_ctx *ctx, const void *config, void **state) {
  realid *st = calloc(1, sizeof(*st));
  if (!st) return STRATUS_ENOMEM;
  st->cfg = config;
  st->ctx = ctx;
  int rc = STRATUS_ECONFIG;
  if (!HOST->db_pool_exists(ctx, st->cfg->auth_pool)) {
    STRATUS_ERROR(HOST, ctx, "Real ID needs the auth database: add a [db.%s] section",
                  st->cfg->auth_pool);
    goto fail;
  }
  set_service_id(st);
  register_metrics(st);
  if ((rc = realid_register_methods(st)) != 0 || (rc = realid_register_link(st)) != 0 ||
      (rc = realid_watch_presence(st)) != 0)
    goto fail;
  uint64_t every = (uint64_t)st->cfg->refresh_ms;
  if (!HOST->timer_start(ctx, every, every, refresh, st)) {
    rc = STRATUS_ENOMEM;
    goto fail;
  }
  *state = st;
  return 0;
fail:
  realid_destroy(ctx, st);
  return rc;
}

static int realid_start(stratus_ctx *ctx, void *state) {
  realid *st = state;
  realid_reload_friends(st);
  STRATUS_INFO(HOST, ctx, "serving Real ID from [db.%s]", st->cfg->auth_pool);
  return 0;
}

static int realid_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  realid *st = state;
  const realid_config *old = st->cfg;
  const realid_config *next = config;
  if (!HOST->db_pool_exists(ctx, next->auth_pool)) {
    STRATUS_ERROR(HOST, ctx, "no [db.%s]: keeping [db.%s]", next->auth_pool, old->auth_pool);
    return STRATUS_ECONFIG;
  }
  st->cfg = next;
  set_service_id(st);
  return 0;
}

static void realid_stop(stratus_ctx *ctx, void *state) {
  ((realid *)state)->stopped = true;
}

static void realid_destroy(stratus_ctx *ctx, void *state) {
  realid *st = state;
  if (!st) return;
  friendmap_free(&st->friends);
  for (size_t i = 0; i < st->attempts.cap; i++) free(st->attempts.slots[i].val);
  hmap_free(&st->attempts);
  free(st);
}

static const stratus_plugin realid_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "realid",
    .version = "1.0.0",
    .description = "Real ID: account-level friends across realms (needs [db.auth])",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(realid_keys, realid_config),
    .init = realid_init,
    .start = realid_start,
    .reconfigure = realid_reconfigure,
    .stop = realid_stop,
    .destroy = realid_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, presence_watch))
    return NULL;
  realid_host = api;
  return &realid_plugin;
}
