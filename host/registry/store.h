/*
 * Where the registry keeps its state. Everything goes through this small
 * interface so that several stratusd instances can later share one store
 * (NATS JetStream KV or Redis) instead of the in-memory one.
 *
 * Records returned by find/each are the store's; they stay valid until the
 * record is removed. A caller that changes a record commits the change with
 * the matching put (a no-op for the in-memory store, a write for a shared
 * one).
 */
#ifndef STRATUS_REGISTRY_STORE_H
#define STRATUS_REGISTRY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mapassign.h"
#include "mapset.h"

typedef struct server_diff {
  uint32_t mean, median, p95, p99, max;
} server_diff;

/* Health bookkeeping shared by every kind of registered process. */
typedef struct health_state {
  int failures;            /* consecutive failed checks */
  int unhealthy_answers;   /* consecutive 503/504 answers (game servers) */
  int scrape_failures;     /* consecutive failed /metrics scrapes */
  bool stalled;            /* degraded by 503/504 answers */
  bool unscrapable;        /* degraded by failed /metrics scrapes */
  bool degraded;           /* stalled || unscrapable: no new players */
  bool checking, scraping; /* a check / metrics scrape is in flight */
  bool check_due, scrape_due; /* the next one is due when it ends */
  uint64_t last_ok_ms;
  uint32_t seq;            /* new per registration: late results are ignored */
} health_state;

typedef struct game_server {
  char id[16];
  char *address;        /* host:gamePort, lowercased */
  char *health_address; /* host:healthPort */
  char *grpc_address;   /* host:grpcPort */
  char alias[48];
  uint32_t realm_id;
  bool crossrealm;
  mapset available;     /* explicit maps; empty = all maps */
  mapset assigned, pending;
  bool ever_assigned;
  uint32_t active_connections;
  server_diff diff;
  health_state health;
} game_server;

typedef struct gateway {
  char id[16];
  char *address;        /* what clients connect to */
  char *health_address;
  uint32_t realm_id;
  bool crossrealm;
  uint32_t active_connections;
  health_state health;
} gateway;

typedef struct mm_server {
  char id[16];
  char *address, *health_address;
  int64_t started_at_ms;
  bool removed;          /* announced unhealthy, waiting to recover */
  health_state health;
} mm_server;

typedef struct registry_store registry_store;
struct registry_store {
  void (*destroy)(registry_store *st);

  game_server *(*gs_find)(registry_store *st, const char *id);
  void (*gs_put)(registry_store *st, game_server *gs); /* takes ownership */
  void (*gs_remove)(registry_store *st, const char *id);
  /* Visit servers; fn returns non-zero to stop. */
  void (*gs_each)(registry_store *st, int (*fn)(game_server *gs, void *ud), void *ud);
  /* Servers that take map now (assigned, not pending) of a realm, or the
   * crossrealm ones (realm ignored), in ID order: the store's array, valid
   * until the next put or remove of a game server. */
  game_server *const *(*gs_for_map)(registry_store *st, uint32_t realm, bool crossrealm,
                                    uint32_t map, size_t *n);

  gateway *(*gw_find)(registry_store *st, const char *id);
  void (*gw_put)(registry_store *st, gateway *gw);
  void (*gw_remove)(registry_store *st, const char *id);
  void (*gw_each)(registry_store *st, int (*fn)(gateway *gw, void *ud), void *ud);

  mm_server *(*mm_find)(registry_store *st, const char *id);
  void (*mm_put)(registry_store *st, mm_server *mm);
  void (*mm_remove)(registry_store *st, const char *id);
  void (*mm_each)(registry_store *st, int (*fn)(mm_server *mm, void *ud), void *ud);

  /* Layer counts of a realm, sorted by map. */
  const map_layers *(*layers_get)(registry_store *st, uint32_t realm, size_t *n);
  void (*layers_set)(registry_store *st, uint32_t realm, const map_layers *l, size_t n);

  /* Group stickiness: (realm, group, map) -> game server ID until expiry. */
  const char *(*binding_get)(registry_store *st, uint32_t realm, uint32_t group,
                             uint32_t map, uint64_t now_ms);
  void (*binding_set)(registry_store *st, uint32_t realm, uint32_t group,
                      uint32_t map, const char *gs_id, uint64_t expires_ms);
};

registry_store *registry_store_memory(void);

void game_server_free(game_server *gs);
void gateway_free(gateway *gw);
/* Deep copies (health state zeroed), for evicted processes kept as suspects. */
game_server *game_server_clone(const game_server *gs);
gateway *gateway_clone(const gateway *gw);
void mm_server_free(mm_server *mm);

#endif
