/*
 * Reading the fields of a consumed event's JSON payload (jansson), the one
 * copy the plugins share: unsigned integers bounded by the field's type
 * (absent, negative or too large: 0), the gateway's EventTimeUnixNano, and
 * the payload itself when it is an object.
 *
 * Part of stratus_plugin_common (header only).
 */
#ifndef STRATUS_PLUGIN_COMMON_JSONF_H
#define STRATUS_PLUGIN_COMMON_JSONF_H

#include <stdint.h>

#include <jansson.h>
#include <stratus/stratus.h>

/* The event's payload when it is a JSON object (the caller decrefs), else NULL. */
static inline json_t *jsonf_payload(const stratus_event *ev) {
  json_t *p = json_loadb(ev->payload, ev->payload_len, 0, NULL);
  if (json_is_object(p)) return p;
  json_decref(p);
  return NULL;
}

/* An integer field in 0..max, else 0. */
static inline uint64_t jsonf_uint(json_t *o, const char *key, uint64_t max) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0) return 0;
  uint64_t u = (uint64_t)json_integer_value(v);
  return u > max ? 0 : u;
}

static inline uint32_t jsonf_u32(json_t *o, const char *key) {
  return (uint32_t)jsonf_uint(o, key, UINT32_MAX);
}

static inline uint8_t jsonf_u8(json_t *o, const char *key) {
  return (uint8_t)jsonf_uint(o, key, UINT8_MAX);
}

/* EventTimeUnixNano (PR #37), 0 when absent. */
static inline int64_t jsonf_time(json_t *o) {
  json_t *v = json_object_get(o, "EventTimeUnixNano");
  return json_is_integer(v) ? json_integer_value(v) : 0;
}

static inline float jsonf_float(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_number(v) ? (float)json_number_value(v) : 0.0f;
}

#endif
