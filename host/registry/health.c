/*
 * Health checks of registered processes: GET /healthcheck every interval and
 * GET /metrics every metrics interval, with libcurl on the loop. A check
 * still running when the next is due (timeouts are validated shorter than
 * the interval) is followed by that next one as soon as it ends.
 *  - 200: healthy. A game server degraded by 503/504 is restored.
 *  - 503/504 from a game server: its world loop is stalled (PR #37). After
 *    degraded_after answers in a row it is degraded: it keeps its maps and
 *    its players but gets no new ones.
 *  - anything else (refused or reset at once, timeout, other status), and
 *    503/504 from a gateway or matchmaking server: a failure. After
 *    `failures` in a row a game server or gateway is evicted and becomes a
 *    suspect (suspects.c); a matchmaking server is announced unhealthy
 *    until it answers again.
 *  - /metrics of a game server failing degraded_after_scrapes times in a
 *    row degrades it too, until a scrape works.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_probe.h"
#include "log.h"
#include "registry.h"
#include "stratusd.h"
#include "util.h"

typedef enum target_kind { GAME_SERVER, GATEWAY, MATCHMAKING } target_kind;

typedef struct probe_ctx {
  target_kind kind;
  bool metrics;
  char id[16];
  uint32_t seq;
} probe_ctx;

static health_section cfg;
static uv_timer_t check_timer, scrape_timer;
static bool running;

static health_state *state_of(target_kind kind, const char *id, const char **address) {
  registry_store *st = registry_state();
  if (kind == GAME_SERVER) {
    game_server *gs = st->gs_find(st, id);
    if (address && gs) *address = gs->health_address;
    return gs ? &gs->health : NULL;
  }
  if (kind == GATEWAY) {
    gateway *gw = st->gw_find(st, id);
    if (address && gw) *address = gw->health_address;
    return gw ? &gw->health : NULL;
  }
  mm_server *mm = st->mm_find(st, id);
  if (address && mm) *address = mm->health_address;
  return mm ? &mm->health : NULL;
}

/* ---- outcomes ------------------------------------------------------------- */

const char *health_result_name(const probe_result *r, bool stalled) {
  switch (r->outcome) {
  case PROBE_ANSWERED: return r->status == 200 ? "ok" : stalled ? "unhealthy" : "http_error";
  case PROBE_REFUSED: return "refused";
  case PROBE_RESET: return "reset";
  case PROBE_TIMEOUT: return "timeout";
  default: return "error";
  }
}

/* Degraded while its world loop answers 503/504 or its /metrics fails. */
static void set_degraded(const char *id, health_state *h, bool *cause, bool on,
                         const char *reason, const char *why) {
  if (*cause == on) return;
  *cause = on;
  bool was = h->degraded;
  h->degraded = h->stalled || h->unscrapable;
  if (on) registry_metric_degradation(reason);
  if (!was && h->degraded)
    log_warn("game server %s degraded (%s): it keeps its maps and players but gets no new "
             "ones", id, why);
  else if (was && !h->degraded)
    log_info("game server %s recovered: accepting new player placement", id);
}

static void healthy(target_kind kind, const char *id, health_state *h) {
  h->failures = h->unhealthy_answers = 0;
  h->last_ok_ms = registry_now_ms();
  registry_store *st = registry_state();
  if (kind == GAME_SERVER) set_degraded(id, h, &h->stalled, false, "world_loop", NULL);
  mm_server *mm = kind == MATCHMAKING ? st->mm_find(st, id) : NULL;
  if (mm && mm->removed) {
    mm->removed = false;
    registry_event_mm("sr.matchmaking.recovered", 7, mm, NULL);
  }
}

static void stalled(const char *id, health_state *h, long status) {
  char why[64];
  h->failures = 0;
  if (++h->unhealthy_answers < cfg.degraded_after) return;
  snprintf(why, sizeof(why), "its health check answers %ld: world loop stalled", status);
  set_degraded(id, h, &h->stalled, true, "world_loop", why);
}

static void evict(target_kind kind, const char *id, const char *reason) {
  registry_store *st = registry_state();
  if (kind == GAME_SERVER) {
    game_server *gs = st->gs_find(st, id);
    suspect_game_server(gs);
    registry_remove_game_server(gs, reason);
    registry_metric_eviction("game_server");
  } else {
    gateway *gw = st->gw_find(st, id);
    suspect_gateway(gw);
    registry_remove_gateway(gw, reason);
    registry_metric_eviction("gateway");
  }
}

static void failed(target_kind kind, const char *id, health_state *h, const char *why) {
  h->unhealthy_answers = 0;
  if (++h->failures < cfg.failures) {
    log_debug("health check of %s failed (%d/%lld): %s", id, h->failures,
              (long long)cfg.failures, why);
    return;
  }
  char reason[300];
  snprintf(reason, sizeof(reason), "%d health checks failed in a row, last: %s",
           h->failures, why);
  if (kind != MATCHMAKING) return evict(kind, id, reason);
  registry_store *st = registry_state();
  mm_server *mm = st->mm_find(st, id);
  h->failures = 0;
  if (!mm->removed) {
    mm->removed = true;
    log_warn("matchmaking server %s unhealthy: %s", id, reason);
    registry_event_mm("sr.matchmaking.removed.unhealthy", 6, mm, why);
  }
}

static void launch(target_kind kind, const char *id, health_state *h, const char *address,
                   bool metrics);

/* A check that was due while this one ran goes out now: none is skipped. */
static void relaunch_if_due(probe_ctx *p, health_state *h) {
  bool *due = p->metrics ? &h->scrape_due : &h->check_due;
  const char *address = NULL;
  if (!*due) return;
  *due = false;
  if (state_of(p->kind, p->id, &address) == h)
    launch(p->kind, p->id, h, address, p->metrics);
}

static void on_health(const probe_result *r, void *ud) {
  probe_ctx *p = ud;
  health_state *h = running ? state_of(p->kind, p->id, NULL) : NULL;
  if (h && h->seq == p->seq) {
    h->checking = false;
    bool is_stall = p->kind == GAME_SERVER && (r->status == 503 || r->status == 504);
    registry_metric_probe("health", health_result_name(r, is_stall), r->seconds);
    char why[200];
    if (r->outcome == PROBE_ANSWERED && r->status == 200) {
      healthy(p->kind, p->id, h);
    } else if (r->outcome == PROBE_ANSWERED && is_stall) {
      stalled(p->id, h, r->status);
    } else {
      if (r->outcome == PROBE_ANSWERED) snprintf(why, sizeof(why), "HTTP %ld", r->status);
      else snprintf(why, sizeof(why), "%s", r->error ? r->error : "no answer");
      failed(p->kind, p->id, h, why);
    }
    h = state_of(p->kind, p->id, NULL); /* gone if evicted */
    if (h && h->seq == p->seq) relaunch_if_due(p, h);
  }
  free(p);
}

/* ---- metrics -------------------------------------------------------------- */

/* First sample of gauge `name` in Prometheus text, or -1. */
static double sample(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *line = text; line && *line;) {
    const char *p = line + n;
    if (*line != '#' && strncmp(line, name, n) == 0) {
      if (*p == '{') p = strchr(p, '}');
      if (p && *p == '}') p++;
      if (p && *p == ' ') return strtod(p, NULL);
    }
    line = strchr(line, '\n');
    if (line) line++;
  }
  return -1;
}

/* Gauges as counts: NaN and negatives are 0, +Inf and huge values clamp. */
static uint32_t as_u32(double v) { return !(v > 0) ? 0 : v > 4e9 ? 4000000000u : (uint32_t)v; }

static void read_gauges(target_kind kind, const char *id, const char *body) {
  registry_store *st = registry_state();
  if (kind == GAME_SERVER) {
    game_server *gs = st->gs_find(st, id);
    gs->active_connections = as_u32(sample(body, "active_connections"));
    gs->diff = (server_diff){as_u32(sample(body, "delay_mean")),
                             as_u32(sample(body, "delay_median")),
                             as_u32(sample(body, "delay_95_percentile")),
                             as_u32(sample(body, "delay_99_percentile")),
                             as_u32(sample(body, "delay_max"))};
  } else if (kind == GATEWAY) {
    st->gw_find(st, id)->active_connections = as_u32(sample(body, "active_connections"));
  }
}

/* A game server whose /metrics stops answering has a stalled world loop (the
 * sidecar's health thread still says 200): after degraded_after_scrapes
 * failures in a row it takes no new players until a scrape works again. */
static void scraped(probe_ctx *p, health_state *h, const probe_result *r) {
  bool ok = r->outcome == PROBE_ANSWERED && r->status == 200;
  if (ok) read_gauges(p->kind, p->id, r->body ? r->body : "");
  if (p->kind != GAME_SERVER) return;
  if (ok) {
    h->scrape_failures = 0;
    return set_degraded(p->id, h, &h->unscrapable, false, "metrics", NULL);
  }
  if (++h->scrape_failures < cfg.degraded_after_scrapes) return;
  char why[200];
  snprintf(why, sizeof(why), "%d /metrics scrapes failed in a row, last: %s",
           h->scrape_failures, r->error ? r->error : "an HTTP error status");
  set_degraded(p->id, h, &h->unscrapable, true, "metrics", why);
}

static void on_metrics(const probe_result *r, void *ud) {
  probe_ctx *p = ud;
  health_state *h = running ? state_of(p->kind, p->id, NULL) : NULL;
  if (h && h->seq == p->seq) {
    h->scraping = false;
    registry_metric_probe("metrics", health_result_name(r, false), r->seconds);
    scraped(p, h, r);
    relaunch_if_due(p, h);
  }
  free(p);
}

/* ---- scheduling ----------------------------------------------------------- */

static void launch(target_kind kind, const char *id, health_state *h, const char *address,
                   bool metrics) {
  bool *busy = metrics ? &h->scraping : &h->checking;
  if (*busy) {
    *(metrics ? &h->scrape_due : &h->check_due) = true;
    return;
  }
  probe_ctx *p = xcalloc(1, sizeof(*p));
  *p = (probe_ctx){kind, metrics, "", h->seq};
  snprintf(p->id, sizeof(p->id), "%s", id);
  char url[512];
  snprintf(url, sizeof(url), "http://%s/%s", address, metrics ? "metrics" : "healthcheck");
  *busy = true;
  probe_get(url, metrics ? cfg.metrics_timeout_ms : cfg.timeout_ms,
            metrics ? on_metrics : on_health, p);
}

static int check_gs(game_server *gs, void *ud) {
  launch(GAME_SERVER, gs->id, &gs->health, gs->health_address, ud != NULL);
  return 0;
}

static int check_gw(gateway *gw, void *ud) {
  launch(GATEWAY, gw->id, &gw->health, gw->health_address, ud != NULL);
  return 0;
}

static int check_mm(mm_server *mm, void *ud) {
  (void)ud;
  launch(MATCHMAKING, mm->id, &mm->health, mm->health_address, false);
  return 0;
}

static void on_check(uv_timer_t *t) {
  (void)t;
  registry_store *st = registry_state();
  st->gs_each(st, check_gs, NULL);
  st->gw_each(st, check_gw, NULL);
  st->mm_each(st, check_mm, NULL);
}

static void on_scrape(uv_timer_t *t) {
  (void)t;
  registry_store *st = registry_state();
  st->gs_each(st, check_gs, st);
  st->gw_each(st, check_gw, st);
}

void health_apply(const health_section *c) {
  cfg = *c;
  suspects_apply(c);
  if (!running) return;
  uv_timer_start(&check_timer, on_check, (uint64_t)cfg.interval_ms, (uint64_t)cfg.interval_ms);
  uv_timer_start(&scrape_timer, on_scrape, (uint64_t)cfg.metrics_interval_ms,
                 (uint64_t)cfg.metrics_interval_ms);
}

int health_start(const health_section *c) {
  int rc = probe_init(stratusd.loop);
  if (rc) return rc;
  uv_timer_init(stratusd.loop, &check_timer);
  uv_timer_init(stratusd.loop, &scrape_timer);
  running = true;
  suspects_start(c);
  health_apply(c);
  return 0;
}

void health_stop(void) {
  if (!running) return;
  running = false;
  suspects_stop();
  uv_close((uv_handle_t *)&check_timer, NULL);
  uv_close((uv_handle_t *)&scrape_timer, NULL);
  probe_shutdown();
}

uint32_t health_next_seq(void) {
  static uint32_t seq;
  return ++seq;
}
