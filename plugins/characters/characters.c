/*
 * characters: the plugin descriptor, its configuration and lifecycle, and
 * the checks every declared method shares (realm, GUID, names).
 */
#include "characters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guid.h"
#include "pool.h"

const stratus_host_api *chars_host;

#define KEY(field, key, kind, def, lo, hi, text) \
  {.name = key, .type = kind, .offset = offsetof(chars_config, field), \
   .default_value = def, .min = lo, .max = hi, .help = text}

static const stratus_config_key chars_keys[] = {
    KEY(world_pool, "world_pool", STRATUS_CFG_STRING, "world", 0, 64,
        "[db.<name>] holding item_template (equipment on the character list); empty: none"),
    KEY(two_side_who, "allow_two_side_who_list", STRATUS_CFG_BOOL, "no", 0, 0,
        "who lists and friend status show the other faction (the core's AllowTwoSide.WhoList)"),
    KEY(two_side_add_friend, "allow_two_side_add_friend", STRATUS_CFG_BOOL, "no", 0, 0,
        "friends may be of the other faction (the core's AllowTwoSide.AddFriend)"),
    KEY(who_max_results, "who_max_results", STRATUS_CFG_INT, "50", 1, 1000,
        "characters listed by a who query (all matches are counted)"),
    KEY(tombstone_ttl_ms, "tombstone_ttl", STRATUS_CFG_DURATION, "60s", 1000, 3600000,
        "how long a logout is remembered to reject an older login event"),
    KEY(notify_friends, "notify_friends", STRATUS_CFG_BOOL, "yes", 0, 0,
        "publish friends.status.changed when a character logs in or out"),
    KEY(service_id, "service_id", STRATUS_CFG_STRING, "", 0, 63,
        "ServiceID in friends.* events; empty: generated at start"),
    {0},
};

/* ---- shared checks ------------------------------------------------------- */

int chars_realm_known(stratus_req *req, uint32_t realm) {
  char pool[REALM_POOL_MAX];
  realm_pool(pool, "characters", realm);
  if (realm == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "realmID is 0");
  if (!HOST->db_pool_exists(HOST->req_ctx(req), pool))
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "realm %u has no [db.%s]", realm, pool);
  return 0;
}

int chars_submit(chars *st, uint32_t realm, stratus_db_work work, stratus_db_done done,
                 void *job) {
  char pool[REALM_POOL_MAX];
  realm_pool(pool, "characters", realm);
  return HOST->db_submit(st->ctx, pool, work, done, job, NULL);
}

int chars_use_realm(stratus_req *req, uint32_t realm) {
  if (realm == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "realmID is 0");
  if (HOST->req_use_realm(req, realm) != 0)
    return HOST->req_fail(req, STRATUS_GRPC_NOT_FOUND, "realm %u has no [db.characters.%u]",
                          realm, realm);
  return 0;
}

int chars_guid(stratus_req *req, uint32_t caller, uint64_t guid, const char *what,
               uint32_t *realm, uint32_t *low) {
  if (guid_resolve(caller, guid, realm, low)) return 0;
  if (guid == 0) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is 0", what);
  return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s %llu is not a player GUID", what,
                        (unsigned long long)guid);
}

int chars_text(stratus_req *req, const char *s, int max_chars, const char *what) {
  size_t n;
  if (!stratus_utf8_valid(s, strlen(s), &n))
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is not valid UTF-8", what);
  if (n > (size_t)max_chars)
    return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%s has %zu characters; at most %d are allowed", what, n, max_chars);
  return 0;
}

int chars_name(stratus_req *req, const char *s, const char *what) {
  if (!s[0]) return HOST->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT, "%s is empty", what);
  return chars_text(req, s, CHAR_NAME_CHARS, what);
}

/* ---- metrics --------------------------------------------------------------- */

void chars_count_event(chars *st, const char *subject, const char *outcome) {
  const char *labels[] = {subject, outcome};
  if (!st->stopped) HOST->metric_add(st->m_events, labels, 1);
}

void chars_update_online_gauge(chars *st, uint32_t realm) {
  char r[16];
  const oc_realm *or = online_realm(&st->oc, realm);
  const char *labels[] = {r};
  if (st->stopped) return;
  snprintf(r, sizeof(r), "%u", realm);
  HOST->metric_set(st->m_online, labels, or ? (double)or->n : 0);
}

static void register_metrics(chars *st) {
  static const char *const realm_label[] = {"realm", NULL};
  static const char *const event_labels[] = {"subject", "outcome", NULL};
  static const char *const pub_labels[] = {"subject", "result", NULL};
  static const stratus_metric_desc online_desc = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_GAUGE, "stratus_characters_online",
      "Characters in the online cache", realm_label, NULL, 0};
  static const stratus_metric_desc events = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER, "stratus_characters_events_total",
      "Gateway and registry events handled, by outcome", event_labels, NULL, 0};
  static const stratus_metric_desc published = {
      sizeof(stratus_metric_desc), STRATUS_METRIC_COUNTER,
      "stratus_characters_published_total", "Events published, by result", pub_labels, NULL,
      0};
  st->m_online = HOST->metric_register(st->ctx, &online_desc);
  st->m_events = HOST->metric_register(st->ctx, &events);
  st->m_published = HOST->metric_register(st->ctx, &published);
}

/* ---- lifecycle -------------------------------------------------------------- */

static int register_methods(chars *st) {
  static const struct {
    const stratus_method *methods;
    size_t n;
  } tables[] = {{chars_online_methods, CHARS_ONLINE_METHODS},
                {chars_lookup_methods, CHARS_LOOKUP_METHODS},
                {chars_login_methods, CHARS_LOGIN_METHODS},
                {chars_account_methods, CHARS_ACCOUNT_METHODS},
                {chars_social_methods, CHARS_SOCIAL_METHODS}};
  for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
    int rc = HOST->methods_register(st->ctx, &v1__characters_service__descriptor,
                                    tables[t].methods, tables[t].n, sizeof(stratus_method), st);
    if (rc != 0) {
      STRATUS_ERROR(HOST, st->ctx, "cannot serve CharactersService: %s", stratus_strerror(rc));
      return rc;
    }
  }
  return 0;
}

static void set_service_id(chars *st) {
  if (st->cfg->service_id[0]) {
    snprintf(st->service_id, sizeof(st->service_id), "%s", st->cfg->service_id);
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(st->service_id, sizeof(st->service_id), "characters-%ld-%ld", (long)getpid(),
           (long)ts.tv_nsec);
}

static void prune(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  chars *st = ud;
  online_prune(&st->oc, HOST->now_ms(ctx), (uint64_t)st->cfg->tombstone_ttl_ms);
}

static void chars_destroy(stratus_ctx *ctx, void *state);

static int chars_init(stratus_ctx *ctx, const void *config, void **state) {
  chars *st = calloc(1, sizeof(*st));
  if (!st) return STRATUS_ENOMEM;
  st->cfg = config;
  st->ctx = ctx;
  online_init(&st->oc);
  set_service_id(st);
  register_metrics(st);
  int rc = STRATUS_ENOMEM;
  if (items_create(st) != 0 || notify_create(st) != 0 || guilds_create(st) != 0) goto fail;
  if ((rc = register_methods(st)) != 0 || (rc = chars_events_subscribe(st)) != 0 ||
      (rc = chars_presence_provide(st)) != 0)
    goto fail;
  st->prune_timer = HOST->timer_start(ctx, 10000, 10000, prune, st);
  if (!st->prune_timer) {
    rc = STRATUS_ENOMEM;
    goto fail;
  }
  *state = st;
  return 0;
fail:
  chars_destroy(ctx, st);
  return rc;
}

static int chars_start(stratus_ctx *ctx, void *state) {
  chars *st = state;
  items_start(st);
  STRATUS_INFO(HOST, ctx, "serving CharactersService; %zu characters online", st->oc.total);
  return 0;
}

static int chars_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  chars *st = state;
  const chars_config *next = config;
  bool reload_items = strcmp(next->world_pool, st->cfg->world_pool) != 0;
  st->cfg = next;
  if (next->service_id[0]) set_service_id(st);
  if (reload_items) items_start(st);
  STRATUS_INFO(HOST, ctx, "configuration applied in place");
  return 0;
}

static void chars_stop(stratus_ctx *ctx, void *state) {
  chars *st = state;
  st->stopped = true;
}

static void chars_destroy(stratus_ctx *ctx, void *state) {
  chars *st = state;
  if (!st) return;
  guilds_destroy(st);
  notify_destroy(st);
  items_destroy(st);
  online_free(&st->oc);
  free(st);
}

static const stratus_plugin chars_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "characters",
    .version = "1.0.0",
    .description = "CharactersService: login lists, who, online cache, friends and ignore lists",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(chars_keys, chars_config),
    .init = chars_init,
    .start = chars_start,
    .reconfigure = chars_reconfigure,
    .stop = chars_stop,
    .destroy = chars_destroy,
    .export_state = chars_export,
    .import_state = chars_import,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  /* ABI 1.0 members are always there; these came with 1.1. */
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, presence_provide))
    return NULL;
  chars_host = api;
  return &chars_plugin;
}
