/* Gateways and matchmaking servers: registration and removal. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "registry.h"
#include "util.h"

static int check_ports(uint32_t a, const char *an, uint32_t b, const char *bn,
                       char *err, size_t errlen) {
  if (a < 1 || a > 65535 || b < 1 || b > 65535) {
    snprintf(err, errlen, "%s %u / %s %u: ports must be 1..65535", an, a, bn, b);
    return STRATUS_GRPC_INVALID_ARGUMENT;
  }
  return STRATUS_GRPC_OK;
}

static int check_gateway(const gw_registration *r, char *err, size_t errlen) {
  int st = check_ports(r->game_port, "gamePort", r->health_port, "healthPort", err, errlen);
  if (!st && !r->crossrealm && !registry_realm_known(r->realm_id)) {
    snprintf(err, errlen, "realm %u is not served here (see [discovery] realms)", r->realm_id);
    st = STRATUS_GRPC_NOT_FOUND;
  }
  if (!st && (!r->peer_host || !*r->peer_host)) {
    snprintf(err, errlen, "the gateway's address is unknown");
    st = STRATUS_GRPC_INVALID_ARGUMENT;
  }
  if (!st && r->public_host && *r->public_host)
    st = registry_check_host(r->public_host, err, errlen);
  return st;
}

int registry_register_gateway(const gw_registration *r, gateway **out, char *err,
                              size_t errlen) {
  int st = check_gateway(r, err, errlen);
  if (st) return st;
  char *health = registry_host_port(r->peer_host, r->health_port);
  char id[16];
  registry_id(health, id, sizeof(id));
  registry_store *store = registry_state();
  gateway *gw = store->gw_find(store, id);
  if (gw && gw->realm_id != r->realm_id) {
    snprintf(err, errlen, "%s is already registered as gateway %s of realm %u", health, id,
             gw->realm_id);
    free(health);
    return STRATUS_GRPC_ALREADY_EXISTS;
  }
  if (!gw) {
    gw = xcalloc(1, sizeof(*gw));
    snprintf(gw->id, sizeof(gw->id), "%s", id);
  }
  free(gw->address);
  free(gw->health_address);
  const char *public_host = r->public_host && *r->public_host ? r->public_host : r->peer_host;
  gw->address = registry_host_port(public_host, r->game_port);
  gw->health_address = health;
  gw->realm_id = r->realm_id;
  gw->crossrealm = r->crossrealm;
  memset(&gw->health, 0, sizeof(gw->health));
  gw->health.seq = health_next_seq();
  store->gw_put(store, gw);
  suspects_forget(gw->id);
  log_info("gateway %s (%s, health %s) registered for realm %u", gw->id, gw->address,
           gw->health_address, gw->realm_id);
  registry_event_gw("sr.gw.added", 1, gw);
  *out = gw;
  return STRATUS_GRPC_OK;
}

void registry_remove_gateway(gateway *gw, const char *why) {
  registry_store *store = registry_state();
  log_warn("gateway %s (%s) removed: %s", gw->id, gw->address, why);
  registry_event_gw("sr.gw.removed.unhealthy", 2, gw);
  store->gw_remove(store, gw->id);
}

bool registry_readmit_gateway(gateway *gw) {
  registry_store *store = registry_state();
  if (store->gw_find(store, gw->id) || (!gw->crossrealm && !registry_realm_known(gw->realm_id))) {
    log_info("gateway %s answers again but its ID or realm is taken or gone: not re-admitted",
             gw->id);
    return false;
  }
  gw->health = (health_state){.seq = health_next_seq()};
  store->gw_put(store, gw);
  log_info("gateway %s (%s) answers again: re-admitted", gw->id, gw->address);
  registry_event_gw("sr.gw.added", 1, gw);
  return true;
}

int registry_register_matchmaking(const char *host, const char *dial_host,
                                  uint32_t service_port,
                                  uint32_t health_port, int64_t started_at_ms,
                                  mm_server **out, char *err, size_t errlen) {
  int st = check_ports(service_port, "servicePort", health_port, "healthPort", err, errlen);
  if (!st) st = registry_check_host(host, err, errlen);
  if (st) return st;
  char *health = registry_host_port(dial_host, health_port);
  char id[16];
  registry_id(health, id, sizeof(id));
  registry_store *store = registry_state();
  mm_server *mm = store->mm_find(store, id);
  if (mm && mm->started_at_ms != started_at_ms && !mm->removed)
    registry_event_mm("sr.matchmaking.removed.unhealthy", 6, mm,
                      "matchmaking restarted: its queues were lost");
  else if (mm && mm->removed)
    registry_event_mm("sr.matchmaking.recovered", 7, mm, NULL);
  if (!mm) {
    mm = xcalloc(1, sizeof(*mm));
    snprintf(mm->id, sizeof(mm->id), "%s", id);
  }
  free(mm->address);
  free(mm->health_address);
  mm->address = registry_host_port(host, service_port);
  mm->health_address = health;
  mm->started_at_ms = started_at_ms;
  mm->removed = false;
  memset(&mm->health, 0, sizeof(mm->health));
  mm->health.seq = health_next_seq();
  store->mm_put(store, mm);
  log_info("matchmaking server %s (%s) registered", mm->id, mm->address);
  *out = mm;
  return STRATUS_GRPC_OK;
}
