/* Publishing jansson payloads written as Go writes them, checked against the
 * event catalogue: the SDK's event_publish_json and the host's
 * bus_publish_go. */
#include <stratus/host.h>

#include "catalogue.h"
#include "gojson.h"
#include "internal.h"
#include "metrics.h"

static stratus_metric *refused;
static strbuf text;
static bool warned_uncatalogued;

void bus_go_init(void) {
  static const char *const labels[] = {"subject", NULL};
  ev_catalogue_builtin();
  refused = metrics_host(STRATUS_METRIC_COUNTER, "stratus_bus_events_refused_total",
      "Payloads refused because they differ from the event catalogue, by "
      "catalogue subject (\"uncatalogued\": a subject without a type)", labels);
}

void bus_go_shutdown(void) {
  ev_catalogue_builtin_free();
  sb_free(&text);
  refused = NULL;
  warned_uncatalogued = false;
}

static int refuse(const char *tag, ev_subject *e, const char *subject,
                  const char *why) {
  const char *label[] = {e ? e->subject : "uncatalogued"};
  bool *warned = e ? &e->warned : &warned_uncatalogued;
  if (refused) metrics_add(refused, label, 1);
  if (!*warned)
    log_write(STRATUS_LOG_WARN, tag, "event on %s refused: %s (logged once%s)",
              subject, why, e ? " per catalogue subject" : "");
  *warned = true;
  return STRATUS_EINVAL;
}

/* The type check, then the payload in the Go struct's key order. */
static json_t *conform(const char *tag, ev_subject *e, const char *subject,
                       int64_t type, json_t *payload, int *rc) {
  char why[320];
  json_t *out = NULL;
  if (!e && type == STRATUS_EVENT_CATALOGUE) {
    *rc = refuse(tag, NULL, subject, "not in the catalogue: give its type");
  } else if (!e) {
    out = json_incref(payload);
  } else if (type != STRATUS_EVENT_CATALOGUE && (e->raw || type != e->type)) {
    snprintf(why, sizeof(why), "type %lld, the catalogue says %s%lld",
             (long long)type, e->raw ? "raw, " : "", (long long)e->type);
    *rc = refuse(tag, e, subject, why);
  } else if (!(out = ev_conform(&e->payload, payload, why, sizeof(why)))) {
    *rc = refuse(tag, e, subject, why);
  }
  return out;
}

static int write_and_route(const char *subject, ev_subject *e, int64_t type,
                           json_t *payload) {
  ev_type t = {.kind = EV_OBJ, .obj = e ? &e->payload : NULL};
  bool raw = e && e->raw;
  text.len = 0;
  if (!raw)
    sb_printf(&text, "{\"v\":\"%s\",\"t\":%lld,\"p\":", BUS_ENVELOPE_VERSION,
              (long long)(e ? e->type : type));
  int rc = gojson_write(&text, payload, e ? &t : NULL);
  if (!raw) sb_append(&text, "}", 1);
  return rc ? rc : bus_publish_raw(subject, text.data, text.len);
}

int bus_publish_go_from(const char *tag, const char *subject, int64_t type,
                        json_t *payload) {
  int rc = STRATUS_EINVAL;
  if (bus_subject_valid(subject, false) && json_is_object(payload)) {
    ev_subject *e = ev_catalogue_find(ev_catalogue_builtin(), subject);
    json_t *ordered = conform(tag, e, subject, type, payload, &rc);
    if (ordered) rc = write_and_route(subject, e, type, ordered);
    json_decref(ordered);
  }
  json_decref(payload);
  return rc;
}

int bus_publish_go(const char *subject, int64_t type, json_t *payload) {
  return bus_publish_go_from("bus", subject, type, payload);
}
