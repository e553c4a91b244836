/*
 * The event bus inside stratusd: ToCloud9 events {"v","t","p"} on NATS
 * subjects through cnats, or in process when [bus] nats_url is empty.
 * (The SDK's side of it is <stratus/bus.h>; this is the host's.)
 *
 * Threads: every function here runs on the loop thread. Callbacks run on
 * the loop thread too, never inside bus_publish*. Design notes, what is
 * dropped when and how it is counted: host/bus/README.md.
 */
#ifndef STRATUS_HOST_BUS_EVENTBUS_H
#define STRATUS_HOST_BUS_EVENTBUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <stratus/bus.h>
#include <stratus/host.h>
#include <uv.h>

#include "host_config.h"

/* The "v" of every envelope the host builds. ToCloud9's Go services all
 * send "0.0.1" and no consumer checks it, so the bus says the same rather
 * than STRATUS_CONTRACT_VERSION (which is for the gRPC `api` field). */
#ifndef BUS_ENVELOPE_VERSION
#define BUS_ENVELOPE_VERSION "0.0.1"
#endif

/* Messages waiting for the loop (from cnats threads or in-process
 * publishes); beyond either bound they are dropped (reason queue_full). */
#define BUS_QUEUE_MAX_MSGS 65536
#define BUS_QUEUE_MAX_BYTES (64u << 20)
/* bus_stop and a connection switch wait this long for publishes to flush. */
#define BUS_DRAIN_TIMEOUT_MS 2000

/* Connect (or set up the in-process bus) before any plugin starts. With
 * NATS the first connect attempt runs here (up to connect_timeout per
 * server); if the server is not up yet that is not an error: the bus keeps
 * retrying and buffers publishes meanwhile. -1 with `err` on bad options. */
int bus_start(uv_loop_t *loop, const bus_section *cfg, char *err,
              size_t errlen);

/* On reload. A changed [bus]: a new connection is made in the background;
 * once it is up every subscription moves to it, then the old one is
 * drained (what it already received is still delivered). Until then the
 * old connection serves. Returns 1 when a change started, 0 when nothing
 * changed, -1 (with `err`) when the new settings are unusable (the running
 * bus stays). */
int bus_apply(const bus_section *cfg, char *err, size_t errlen);

/* After the plugins stopped: flush (bounded by BUS_DRAIN_TIMEOUT_MS),
 * unsubscribe, close. `done` runs once everything is closed, possibly
 * before bus_stop returns. Publishes are refused from now on. */
void bus_stop(void (*done)(void *ud), void *ud);

/* After the loop ended: free what is left and tear cnats down (so that
 * LeakSanitizer sees nothing). */
void bus_shutdown(void);

/* ---- host-side publish and subscribe (no plugin context) ---------------- */

/* {"v":BUS_ENVELOPE_VERSION,"t":type,"p":<payload_json>}. The payload must
 * be a JSON object; its bytes are sent as given. 0, or STRATUS_EINVAL (bad
 * subject or payload), STRATUS_EAGAIN (buffer or queue full: dropped and
 * counted), STRATUS_EUNAVAILABLE (no connection: dropped and counted),
 * STRATUS_ERANGE (larger than the server's max payload). */
int bus_publish(const char *subject, int64_t type, const char *payload_json);
/* The same with a jansson object (borrowed), rendered compactly. */
int bus_publish_json(const char *subject, int64_t type, json_t *payload);
/* A jansson object written exactly as Go's encoding/json writes it
 * (gojson.h) and checked against the event catalogue (catalogue.h):
 * `type` STRATUS_EVENT_CATALOGUE takes the type and form (envelope or raw)
 * from the catalogue; a catalogued subject whose payload differs from it is
 * STRATUS_EINVAL (logged once per subject, counted in
 * stratus_bus_events_refused_total); an uncatalogued subject needs a type.
 * Steals `payload` on every path. */
int bus_publish_go(const char *subject, int64_t type, json_t *payload);
/* The same, logged under `tag` (the plugin's for event_publish_json). */
int bus_publish_go_from(const char *tag, const char *subject, int64_t type,
                        json_t *payload);
/* The bytes as they are, no envelope (e.g. the auction-house subjects). */
int bus_publish_raw(const char *subject, const void *data, size_t len);

typedef struct bus_sub bus_sub;
typedef void (*bus_event_cb)(const stratus_event *ev, void *ud);

/* NATS wildcards: `*` one token, `>` the rest (last token only). NULL when
 * the pattern is invalid or the bus is stopping. */
bus_sub *bus_subscribe(const char *pattern, bus_event_cb cb, void *ud);
/* Allowed inside any callback, including this subscription's own. */
void bus_unsubscribe(bus_sub *sub);

/* ToCloud9 writes an empty list as null (Go's nil slice). For payloads the
 * host builds: `arr` itself when it is a non-empty array, else json_null().
 * Steals the reference, so it fits json_pack's "o". */
json_t *bus_array_or_null(json_t *arr);

/* The SDK members event_publish, event_publish_raw, event_subscribe and
 * event_unsubscribe (host/bus/api_bus.c). */
void api_bus_install(stratus_host_api *api);

#endif
