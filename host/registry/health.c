/*
 * Health checks of registered processes: GET /healthcheck every interval and
 * GET /metrics every metrics interval, with libcurl on the loop.
 *  - 200: healthy. A degraded game server is restored.
 *  - 503/504 from a game server: its world loop is stalled (PR #37). After
 *    degraded_after answers in a row it is degraded: it keeps its maps and
 *    its players but gets no new ones.
 *  - anything else (refused, timeout, other status), and 503/504 from a
 *    gateway or matchmaking server: a failure. After `failures` in a row a
 *    game server or gateway is evicted (it may register again); a
 *    matchmaking server is announced unhealthy until it answers again.
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

static void healthy(target_kind kind, const char *id, health_state *h) {
  h->failures = h->unhealthy_answers = 0;
  h->last_ok_ms = registry_now_ms();
  registry_store *st = registry_state();
  if (kind == GAME_SERVER && h->degraded) {
    h->degraded = false;
    log_info("game server %s recovered: accepting new player placement", id);
  }
  mm_server *mm = kind == MATCHMAKING ? st->mm_find(st, id) : NULL;
  if (mm && mm->removed) {
    mm->removed = false;
    registry_event_mm("sr.matchmaking.recovered", 7, mm, NULL);
  }
}

static void stalled(const char *id, health_state *h, long status) {
  h->failures = 0;
  if (++h->unhealthy_answers < cfg.degraded_after || h->degraded) return;
  h->degraded = true;
  log_warn("game server %s answers %ld: world loop degraded; it keeps its maps and "
           "players but gets no new ones", id, status);
}

static void failed(target_kind kind, const char *id, health_state *h, const char *why) {
  h->unhealthy_answers = 0;
  if (++h->failures < cfg.failures) {
    log_debug("health check of %s failed (%d/%lld): %s", id, h->failures,
              (long long)cfg.failures, why);
    return;
  }
  registry_store *st = registry_state();
  char reason[300];
  snprintf(reason, sizeof(reason), "%d health checks failed in a row, last: %s",
           h->failures, why);
  if (kind == GAME_SERVER) registry_remove_game_server(st->gs_find(st, id), reason);
  if (kind == GATEWAY) registry_remove_gateway(st->gw_find(st, id), reason);
  if (kind == MATCHMAKING) {
    mm_server *mm = st->mm_find(st, id);
    h->failures = 0;
    if (!mm->removed) {
      mm->removed = true;
      log_warn("matchmaking server %s unhealthy: %s", id, reason);
      registry_event_mm("sr.matchmaking.removed.unhealthy", 6, mm, why);
    }
  }
}

static void on_health(long status, const char *body, size_t len, const char *error,
                      void *ud) {
  probe_ctx *p = ud;
  (void)body, (void)len;
  health_state *h = running ? state_of(p->kind, p->id, NULL) : NULL;
  if (h && h->seq == p->seq) {
    h->checking = false;
    char why[200];
    if (status == 200)
      healthy(p->kind, p->id, h);
    else if (p->kind == GAME_SERVER && (status == 503 || status == 504))
      stalled(p->id, h, status);
    else {
      if (status)
        snprintf(why, sizeof(why), "HTTP %ld", status);
      else
        snprintf(why, sizeof(why), "%s", error ? error : "no answer");
      failed(p->kind, p->id, h, why);
    }
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

static void on_metrics(long status, const char *body, size_t len, const char *error,
                       void *ud) {
  probe_ctx *p = ud;
  (void)len, (void)error;
  health_state *h = running ? state_of(p->kind, p->id, NULL) : NULL;
  if (h && h->seq == p->seq) {
    h->scraping = false;
    registry_store *st = registry_state();
    if (status == 200 && p->kind == GAME_SERVER) {
      game_server *gs = st->gs_find(st, p->id);
      gs->active_connections = as_u32(sample(body, "active_connections"));
      gs->diff = (server_diff){as_u32(sample(body, "delay_mean")),
                               as_u32(sample(body, "delay_median")),
                               as_u32(sample(body, "delay_95_percentile")),
                               as_u32(sample(body, "delay_99_percentile")),
                               as_u32(sample(body, "delay_max"))};
    } else if (status == 200 && p->kind == GATEWAY) {
      st->gw_find(st, p->id)->active_connections = as_u32(sample(body, "active_connections"));
    }
  }
  free(p);
}

/* ---- scheduling ----------------------------------------------------------- */

static void launch(target_kind kind, const char *id, health_state *h, const char *address,
                   bool metrics) {
  bool *busy = metrics ? &h->scraping : &h->checking;
  if (*busy) return;
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
  health_apply(c);
  return 0;
}

void health_stop(void) {
  if (!running) return;
  running = false;
  uv_close((uv_handle_t *)&check_timer, NULL);
  uv_close((uv_handle_t *)&scrape_timer, NULL);
  probe_shutdown();
}

uint32_t health_next_seq(void) {
  static uint32_t seq;
  return ++seq;
}
