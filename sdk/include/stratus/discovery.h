/*
 * Discovery queries: what the registry knows about game servers and
 * gateways, answered from memory on the loop thread.
 */
#ifndef STRATUS_DISCOVERY_H
#define STRATUS_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

typedef struct stratus_game_server {
  uint32_t struct_size;     /* sizeof(stratus_game_server) as the host filled it */
  uint32_t realm_id;
  const char *id;           /* registry ID (decimal FNV-1a of host:gamePort) */
  const char *game_address; /* host:gamePort, for players */
  const char *grpc_address; /* host:grpcPort, WorldServerService */
  bool crossrealm;
  bool healthy;             /* not failing health checks */
  bool degraded;            /* world loop degraded: keeps maps, no new players */
  bool maps_loaded;         /* GameServerMapsLoaded received */
  uint32_t active_connections;
} stratus_game_server;

typedef struct stratus_gateway {
  uint32_t struct_size;
  uint32_t realm_id;
  const char *id;
  const char *address;      /* host:port players connect to */
  bool healthy;
} stratus_gateway;

/* Iteration callbacks: return 0 to continue, non-zero to stop. The struct
 * and its strings are valid only during the call. */
typedef int (*stratus_game_server_each)(const stratus_game_server *gs, void *ud);
typedef int (*stratus_gateway_each)(const stratus_gateway *gw, void *ud);

#endif
