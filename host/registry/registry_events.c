/*
 * sr.* events with ToCloud9's payloads: Go field names (PascalCase), nil
 * slices as null (AvailableMaps null = all maps), map lists as JSON arrays.
 */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "bus/eventbus.h"
#include "log.h"
#include "registry.h"
#include "util.h"

static json_t *maps_json(const mapset *s) {
  json_t *a = json_array();
  for (size_t i = 0; s && i < s->n; i++) json_array_append_new(a, json_integer(s->ids[i]));
  return a;
}

static json_t *server_json(const game_server *gs, const mapset *old_maps,
                           const mapset *new_maps) {
  return json_pack("{s:s, s:s, s:I, s:b, s:o, s:o, s:o}", "ID", gs->id, "Address",
                   gs->address, "RealmID", (json_int_t)gs->realm_id, "IsCrossRealm",
                   gs->crossrealm, "AvailableMaps",
                   gs->available.n ? maps_json(&gs->available) : json_null(),
                   "OldAssignedMapsToHandle", maps_json(old_maps),
                   "NewAssignedMapsToHandle", maps_json(new_maps));
}

/* The type, key order and value types come from the event catalogue. */
static void publish(const char *subject, json_t *payload) {
  int rc = bus_publish_go(subject, STRATUS_EVENT_CATALOGUE, payload);
  if (rc != 0) log_warn("publishing %s failed: %s", subject, stratus_strerror(rc));
}

void registry_event_gs(const char *subject, int type, const game_server *gs,
                       const mapset *old_maps, const mapset *new_maps) {
  UNUSED(type); /* the catalogue's, as for every sr.* event */
  publish(subject, json_pack("{s:o}", "GameServer", server_json(gs, old_maps, new_maps)));
}

void registry_event_reassigned(game_server **servers, const mapset *old_maps, size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, server_json(servers[i], &old_maps[i], &servers[i]->assigned));
  publish("sr.gs.maps.reassigned", json_pack("{s:o}", "Servers", list));
}

static json_int_t unix_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void registry_event_gw(const char *subject, int type, const gateway *gw) {
  json_t *p = json_pack("{s:s, s:s, s:s, s:I}", "ID", gw->id, "Address", gw->address,
                        "HealthCheckAddr", gw->health_address, "RealmID",
                        (json_int_t)gw->realm_id);
  if (type == 2) json_object_set_new(p, "EventTimeUnixNano", json_integer(unix_nanos()));
  publish(subject, p);
}

void registry_event_mm(const char *subject, int type, const mm_server *mm,
                       const char *error) {
  UNUSED(type);
  json_t *svc = json_pack("{s:s, s:s, s:I}", "Address", mm->address, "HealthCheckAddr",
                          mm->health_address, "ObservedAtUnixMs",
                          (json_int_t)(unix_nanos() / 1000000));
  json_t *p = json_pack("{s:o}", "MatchmakingService", svc);
  if (error) json_object_set_new(p, "Error", json_string(error));
  publish(subject, p);
}
