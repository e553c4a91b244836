/*
 * ServersRegistryService, in the host core: game servers, gateways and
 * matchmaking servers register; maps are assigned to game servers; lookups
 * place players and groups; health checks evict dead processes and mark game
 * servers with a stalled world loop as degraded. State lives in a
 * registry_store (in memory for now); changes are announced on the bus
 * (sr.* subjects) with ToCloud9's payloads.
 */
#ifndef STRATUS_REGISTRY_REGISTRY_H
#define STRATUS_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/host.h>

#include "host_config.h"
#include "store.h"

/* Create the registry, serve its RPCs and start health checks. */
int registry_start(const host_config *hc, char *err, size_t errlen);
/* New [discovery]/[health] settings on reload. */
void registry_apply(const host_config *hc);
void registry_stop(void);

/* ---- operations (registry.c) -------------------------------------------- */

/* Longest map list accepted (availableMaps, a layer configuration): 3.3.5a
 * has about 150 maps; longer lists are refused before any work is done. */
#define REGISTRY_MAX_MAPS 1024

typedef struct gs_registration {
  uint32_t realm_id;
  bool crossrealm;
  const char *host;        /* preferred host name, else the peer's IP */
  const char *dial_host;   /* health checks and calls ([registry] policy) */
  uint32_t game_port, health_port, grpc_port;
  const char *available_maps;
} gs_registration;

/* Returns a gRPC status; on success *out is the registered server. */
int registry_register_game_server(const gs_registration *r, game_server **out,
                                  char *err, size_t errlen);
void registry_remove_game_server(game_server *gs, const char *why);
int registry_maps_loaded(const char *id, const uint32_t *maps, size_t n,
                         char *err, size_t errlen);

/* Where a player of (realm, map, group) goes: at most one server, or NULL. */
game_server *registry_place(uint32_t realm, uint32_t map, uint32_t group,
                            const char *preferred);
/* Crossrealm servers able to take `map` now, into out (at most cap). */
size_t registry_crossrealm_for_map(uint32_t map, game_server **out, size_t cap);
bool registry_can_handle(const game_server *gs, uint32_t map);
int registry_bind_group(uint32_t realm, uint32_t group, uint32_t map,
                        const char *gs_id, char *err, size_t errlen);
int registry_set_layers(uint32_t realm, const map_layers *l, size_t n,
                        char *err, size_t errlen);
const map_layers *registry_layers(uint32_t realm, size_t *n);

typedef struct gw_registration {
  uint32_t realm_id;
  bool crossrealm;
  const char *public_host; /* preferred host name, else the peer's IP */
  const char *peer_host;   /* health checks go here ([registry] policy) */
  uint32_t game_port, health_port;
} gw_registration;

int registry_register_gateway(const gw_registration *r, gateway **out,
                              char *err, size_t errlen);
void registry_remove_gateway(gateway *gw, const char *why);

int registry_register_matchmaking(const char *host, const char *dial_host,
                                  uint32_t service_port,
                                  uint32_t health_port, int64_t started_at_ms,
                                  mm_server **out, char *err, size_t errlen);

bool registry_realm_known(uint32_t realm);
/* STRATUS_GRPC_OK if host is a plausible host name or IP address (it goes
 * into addresses handed to clients and into health check URLs). */
int registry_check_host(const char *host, char *err, size_t errlen);
/* (Re)bind a group's layer for the binding TTL. */
void registry_touch_binding(uint32_t realm, uint32_t group, uint32_t map,
                            const char *gs_id);
void registry_redistribute(uint32_t realm, bool crossrealm);
void registry_settings(const discovery_section *d);
registry_store *registry_state(void);
void registry_store_open(void);
void registry_store_close(void);
uint64_t registry_now_ms(void);

/* ---- events (registry_events.c) ---------------------------------------- */
void registry_event_gs(const char *subject, int type, const game_server *gs,
                       const mapset *old_maps, const mapset *new_maps);
void registry_event_reassigned(game_server **servers, const mapset *old_maps,
                               size_t n);
void registry_event_gw(const char *subject, int type, const gateway *gw);
void registry_event_mm(const char *subject, int type, const mm_server *mm,
                       const char *error);

/* ---- health (health.c) ---------------------------------------------------- */
struct probe_result;
int health_start(const health_section *cfg);
void health_apply(const health_section *cfg);
void health_stop(void);
/* A fresh sequence number for a (re)registered process's health_state. */
uint32_t health_next_seq(void);
/* The result label of a probe: ok, unhealthy (503/504 of a stalled world
 * loop), http_error, refused, reset, timeout, error. */
const char *health_result_name(const struct probe_result *r, bool stalled);

/* ---- evicted processes kept as suspects (suspects.c) ---------------------- */
void suspects_start(const health_section *cfg);
void suspects_apply(const health_section *cfg);
void suspects_stop(void);
/* Keep a copy of a process about to be evicted and probe it. */
void suspect_game_server(const game_server *gs);
void suspect_gateway(const gateway *gw);
/* A process with this ID registered: it is not a suspect any more. */
void suspects_forget(const char *id);
void suspects_each(void (*fn)(bool is_gs, uint32_t realm, bool crossrealm));
/* Put a suspect back (takes ownership on true): same ID, registration data,
 * its maps through the pending flow, sr.gs.added / sr.gw.added. False if its
 * realm is no longer served or its ID was taken meanwhile. */
bool registry_readmit_game_server(game_server *gs);
bool registry_readmit_gateway(gateway *gw);

/* ---- registration policy (policy.c) --------------------------------------- */
void registry_policy_apply(const registry_section *r);
void registry_policy_close(void);
/* STRATUS_GRPC_OK, or PERMISSION_DENIED with a message ("local" passes). */
int registry_policy_caller(const char *peer_ip, const char *what, char *err, size_t errlen);
int registry_policy_preferred(const char *host, char *err, size_t errlen);
/* Dial the preferred host (yes) or the caller's IP (no, the default). */
bool registry_policy_dial_preferred(void);

/* ---- metrics (registry_metrics.c) ------------------------------------------ */
void registry_metrics_init(void);
void registry_metrics_close(void);
/* Counted as they happen; gauges are counted by registry_refresh_metrics. */
void registry_metric_probe(const char *kind, const char *result, double seconds);
void registry_metric_eviction(const char *role);
void registry_metric_degradation(const char *reason);
void registry_metric_readmission(const char *role);
/* Servers and gateways per realm and state, before /metrics is rendered. */
void registry_refresh_metrics(void);

/* ---- RPC handlers (registry_rpc.c) --------------------------------------- */
int registry_rpc_register(stratus_ctx *ctx);

/* ---- discovery API for plugins (discovery_api.c) ------------------------- */
void api_discovery_install(stratus_host_api *api);

#endif
