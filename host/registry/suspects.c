/*
 * Evicted game servers and gateways, kept as suspects for [health]
 * suspect_time. Each is probed on /healthcheck with a backoff from the
 * check interval up to suspect_backoff_max; a 200 restores it with its
 * registration data (registry_readmit_*). The stock sidecar never registers
 * again, so this is how a worldserver that froze or lost its network for a
 * while gets back in. A registration with the same ID ends the suspicion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_probe.h"
#include "list.h"
#include "log.h"
#include "registry.h"
#include "stratusd.h"
#include "util.h"

typedef struct suspect {
  list_node node;
  game_server *gs; /* exactly one of gs and gw: a detached copy */
  gateway *gw;
  uint32_t seq;
  uint64_t next_ms, expires_ms;
  int64_t backoff_ms;
  bool probing;
} suspect;

typedef struct suspect_probe {
  char id[16];
  uint32_t seq;
} suspect_probe;

static list_node suspects = LIST_INIT(suspects);
static health_section cfg;
static uv_timer_t tick;
static bool running;
static uint32_t next_seq;

static const char *id_of(const suspect *s) { return s->gs ? s->gs->id : s->gw->id; }
static const char *health_of(const suspect *s) {
  return s->gs ? s->gs->health_address : s->gw->health_address;
}
static const char *role_of(const suspect *s) { return s->gs ? "game server" : "gateway"; }

static void drop(suspect *s) {
  list_remove(&s->node);
  game_server_free(s->gs);
  gateway_free(s->gw);
  free(s);
  if (running && list_empty(&suspects)) uv_timer_stop(&tick);
}

static suspect *find(const char *id) {
  list_each(it, &suspects) {
    suspect *s = list_entry(it, suspect, node);
    if (strcmp(id_of(s), id) == 0) return s;
  }
  return NULL;
}

static void readmit(suspect *s) {
  bool back = s->gs ? registry_readmit_game_server(s->gs) : registry_readmit_gateway(s->gw);
  if (back) {
    registry_metric_readmission(s->gs ? "game_server" : "gateway");
    s->gs = NULL; /* the store owns it now */
    s->gw = NULL;
  }
  drop(s);
}

static void on_probe(const probe_result *r, void *ud) {
  suspect_probe *p = ud;
  suspect *s = running ? find(p->id) : NULL;
  if (s && s->seq == p->seq) {
    s->probing = false;
    bool ok = r->outcome == PROBE_ANSWERED && r->status == 200;
    registry_metric_probe("suspect", health_result_name(r, false), r->seconds);
    if (ok) {
      readmit(s);
    } else {
      s->next_ms = registry_now_ms() + (uint64_t)s->backoff_ms;
      s->backoff_ms = s->backoff_ms * 2 > cfg.suspect_backoff_max_ms
                          ? cfg.suspect_backoff_max_ms : s->backoff_ms * 2;
    }
  }
  free(p);
}

static void probe(suspect *s) {
  suspect_probe *p = xcalloc(1, sizeof(*p));
  snprintf(p->id, sizeof(p->id), "%s", id_of(s));
  p->seq = s->seq;
  char url[512];
  snprintf(url, sizeof(url), "http://%s/healthcheck", health_of(s));
  s->probing = true;
  probe_get(url, cfg.timeout_ms, on_probe, p);
}

static void on_tick(uv_timer_t *t) {
  (void)t;
  uint64_t now = registry_now_ms();
  list_each(it, &suspects) {
    suspect *s = list_entry(it, suspect, node);
    if (s->probing) continue;
    if (now >= s->expires_ms) {
      log_info("%s %s (%s) did not answer within suspect_time: forgotten", role_of(s),
               id_of(s), health_of(s));
      drop(s);
    } else if (now >= s->next_ms) {
      probe(s);
    }
  }
}

static void add(game_server *gs, gateway *gw) {
  if (!running || cfg.suspect_time_ms <= 0) {
    game_server_free(gs);
    gateway_free(gw);
    return;
  }
  suspect *s = xcalloc(1, sizeof(*s));
  *s = (suspect){.gs = gs, .gw = gw, .seq = ++next_seq, .backoff_ms = cfg.interval_ms};
  suspect *old = find(id_of(s));
  if (old) drop(old);
  uint64_t now = registry_now_ms();
  s->next_ms = now + (uint64_t)cfg.interval_ms;
  s->expires_ms = now + (uint64_t)cfg.suspect_time_ms;
  list_push_back(&suspects, &s->node);
  uint64_t step = cfg.interval_ms < 100 ? (uint64_t)cfg.interval_ms : 100;
  if (!uv_is_active((uv_handle_t *)&tick)) uv_timer_start(&tick, on_tick, step, step);
  log_info("%s %s (%s) is a suspect: probed for %lld ms, re-admitted if it answers",
           role_of(s), id_of(s), health_of(s), (long long)cfg.suspect_time_ms);
}

void suspect_game_server(const game_server *gs) { add(game_server_clone(gs), NULL); }
void suspect_gateway(const gateway *gw) { add(NULL, gateway_clone(gw)); }

void suspects_forget(const char *id) {
  suspect *s = find(id);
  if (s) drop(s);
}

void suspects_each(void (*fn)(bool is_gs, uint32_t realm, bool crossrealm)) {
  list_each(it, &suspects) {
    suspect *s = list_entry(it, suspect, node);
    if (s->gs) fn(true, s->gs->realm_id, s->gs->crossrealm);
    else fn(false, s->gw->realm_id, s->gw->crossrealm);
  }
}

void suspects_apply(const health_section *c) { cfg = *c; }

void suspects_start(const health_section *c) {
  cfg = *c;
  uv_timer_init(stratusd.loop, &tick);
  running = true;
}

void suspects_stop(void) {
  if (!running) return;
  running = false;
  list_each(it, &suspects) drop(list_entry(it, suspect, node));
  uv_close((uv_handle_t *)&tick, NULL);
}
