/*
 * guild: the plugin descriptor, its configuration and lifecycle. The
 * methods are declared in tables (guild_read.c, guild_members.c,
 * guild_text.c, guild_ranks.c, guild_petition.c) that the host's runner
 * executes; the guild bank's 13 methods are not served here.
 */
#include "guild.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

const stratus_host_api *guild_host;

static const char *const cross_faction_choices[] = {"gateway", "yes", "no", NULL};

#define KEY(field, key, kind, def, lo, hi, text) \
  {.name = key, .type = kind, .offset = offsetof(guild_config, field), \
   .default_value = def, .min = lo, .max = hi, .help = text}

static const stratus_config_key guild_keys[] = {
    {.name = "allow_cross_faction", .type = STRATUS_CFG_ENUM,
     .offset = offsetof(guild_config, cross_faction), .default_value = "gateway",
     .choices = cross_faction_choices,
     .help = "invites across factions: gateway (the request's allowCrossFaction, from the "
             "gateway's allowTwoSideInteractionGuild), yes, or no"},
    KEY(min_petition_signs, "min_petition_signs", STRATUS_CFG_INT, "9", 1, 100,
        "RequiredSigns in charter events (the worldserver's MinPetitionSigns)"),
    KEY(invite_ttl_ms, "invite_ttl", STRATUS_CFG_DURATION, "5m", 1000, 86400000,
        "how long a guild invite stays pending without an answer"),
    KEY(service_id, "service_id", STRATUS_CFG_STRING, "", 0, 63,
        "ServiceID in guild.* events; empty: generated at start"),
    {0},
};

static void set_service_id(guild_plugin *p) {
  if (p->cfg->service_id[0])
    snprintf(p->service_id, sizeof(p->service_id), "%s", p->cfg->service_id);
  else
    snprintf(p->service_id, sizeof(p->service_id), "guild-%ld-%ld", (long)getpid(),
             (long)time(NULL));
}

static int register_methods(stratus_ctx *ctx, guild_plugin *p) {
  const struct {
    const stratus_method *m;
    size_t n;
  } tables[] = {{guild_read_methods, guild_read_count},
                {guild_member_methods, guild_member_count},
                {guild_text_methods, guild_text_count},
                {guild_rank_methods, guild_rank_count},
                {guild_petition_methods, guild_petition_count}};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    int rc = HOST->methods_register(ctx, &v1__guild_service__descriptor, tables[i].m,
                                    tables[i].n, sizeof(stratus_method), p);
    if (rc != 0) return rc;
  }
  return 0;
}

static int guild_init(stratus_ctx *ctx, const void *config, void **state) {
  guild_plugin *p = calloc(1, sizeof(*p));
  if (!p) return STRATUS_ENOMEM;
  p->ctx = ctx;
  p->cfg = config;
  set_service_id(p);
  static const char *const labels[] = {"subject", "result", NULL};
  const stratus_metric_desc desc = {sizeof(desc), STRATUS_METRIC_COUNTER,
                                    "stratus_guild_events_published_total",
                                    "guild.* events published, by subject and result", labels,
                                    NULL, 0};
  p->m_published = HOST->metric_register(ctx, &desc);
  int rc = p->m_published ? register_methods(ctx, p) : STRATUS_EEXIST;
  if (rc == 0) rc = guild_created_subscribe(p);
  if (rc != 0) {
    free(p);
    return rc;
  }
  *state = p;
  return 0;
}

/* Every key is read per call (checks copy them into the job). */
static int guild_reconfigure(stratus_ctx *ctx, void *state, const void *config) {
  (void)ctx;
  guild_plugin *p = state;
  p->cfg = config;
  set_service_id(p);
  return 0;
}

static void guild_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  free(state);
}

static const stratus_plugin guild_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "guild",
    .version = "1.0.0",
    .description = "GuildService: roster, ranks, MOTD, notes, invites, guild chat and charters",
    STRATUS_PLUGIN_CONFIG(guild_keys, guild_config),
    .init = guild_init,
    .reconfigure = guild_reconfigure,
    .destroy = guild_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, rows_collect) ||
      !STRATUS_HOST_HAS(api, event_subscribe) || !STRATUS_HOST_HAS(api, presence_by_guid))
    return NULL;
  guild_host = api;
  return &guild_plugin_desc;
}
