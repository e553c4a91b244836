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

static void publish(const char *subject, int type, json_t *payload) {
  char *text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(payload);
  if (!text) return;
  int rc = bus_publish(subject, type, text);
  if (rc != 0) log_warn("publishing %s failed: %s", subject, stratus_strerror(rc));
  free(text);
}

void registry_event_gs(const char *subject, int type, const game_server *gs,
                       const mapset *old_maps, const mapset *new_maps) {
  publish(subject, type, json_pack("{s:o}", "GameServer", server_json(gs, old_maps, new_maps)));
}

void registry_event_reassigned(game_server **servers, const mapset *old_maps, size_t n) {
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, server_json(servers[i], &old_maps[i], &servers[i]->assigned));
  publish("sr.gs.maps.reassigned", 3, json_pack("{s:o}", "Servers", list));
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
  publish(subject, type, p);
}

void registry_event_mm(const char *subject, int type, const mm_server *mm,
                       const char *error) {
  json_t *svc = json_pack("{s:s, s:s, s:I}", "Address", mm->address, "HealthCheckAddr",
                          mm->health_address, "ObservedAtUnixMs",
                          (json_int_t)(unix_nanos() / 1000000));
  json_t *p = json_pack("{s:o}", "MatchmakingService", svc);
  if (error) json_object_set_new(p, "Error", json_string(error));
  publish(subject, type, p);
}
