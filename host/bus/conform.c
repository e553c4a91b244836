/* Checking a payload against its catalogue entry, and putting its keys in
 * the Go struct's order. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "catalogue.h"

typedef struct checker {
  char *err;
  size_t errlen;
} checker;

static json_t *fail(checker *k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k->err, k->errlen, fmt, ap);
  va_end(ap);
  return NULL;
}

static const char *kind_name(ev_kind k) {
  static const char *const names[] = {"u8", "u32", "u64", "i32", "i64", "f32",
                                      "f64", "str", "bool", "array", "map", "obj"};
  return names[k];
}

static bool int_fits(ev_kind k, json_int_t v) {
  switch (k) {
  case EV_U8: return v >= 0 && v <= UINT8_MAX;
  case EV_U32: return v >= 0 && v <= (json_int_t)UINT32_MAX;
  case EV_I32: return v >= INT32_MIN && v <= INT32_MAX;
  default: return true; /* i64; u64 (negative = above INT64_MAX, gojson.h) */
  }
}

static bool scalar_ok(ev_kind k, const json_t *v) {
  switch (k) {
  case EV_STR: return json_is_string(v);
  case EV_BOOL: return json_is_boolean(v);
  case EV_F32: case EV_F64: return json_is_number(v);
  default: return json_is_integer(v) && int_fits(k, json_integer_value(v));
  }
}

static json_t *conform_struct(checker *k, const ev_struct *s, json_t *obj,
                              const char *path);

static json_t *conform_value(checker *k, const ev_type *t, json_t *v,
                             const char *path) {
  char sub[256];
  if (t->kind == EV_OBJ)
    return json_is_object(v) ? conform_struct(k, t->obj, v, path)
                             : fail(k, "%s: want an object", path);
  if (t->kind == EV_ARRAY || t->kind == EV_MAP) {
    if (json_is_null(v)) return json_null();
    bool array = t->kind == EV_ARRAY;
    if (array ? !json_is_array(v) : !json_is_object(v))
      return fail(k, "%s: want %s or null", path, array ? "an array" : "an object");
    json_t *out = array ? json_array() : json_object(), *item, *c;
    size_t i;
    const char *key;
    bool ok = true;
    if (array) {
      json_array_foreach(v, i, item) {
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if (!(ok = (c = conform_value(k, t->elem, item, sub)) != NULL)) break;
        json_array_append_new(out, c);
      }
    } else {
      json_object_foreach(v, key, item) {
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        if (!(ok = (c = conform_value(k, t->elem, item, sub)) != NULL)) break;
        json_object_set_new(out, key, c);
      }
    }
    if (!ok) {
      json_decref(out);
      return NULL;
    }
    return out;
  }
  if (!scalar_ok(t->kind, v)) return fail(k, "%s: want %s", path, kind_name(t->kind));
  return json_incref(v);
}

static json_t *conform_struct(checker *k, const ev_struct *s, json_t *obj,
                              const char *path) {
  const char *key;
  json_t *v;
  char sub[256];
  json_object_foreach(obj, key, v)
    if (!ev_struct_field(s, key))
      return fail(k, "unknown key '%s%s%s'", path, *path ? "." : "", key);
  json_t *out = json_object();
  for (size_t i = 0; i < s->nfields; i++) {
    const ev_field *f = &s->fields[i];
    snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->name);
    json_t *c = NULL;
    if (!(v = json_object_get(obj, f->name))) {
      if (f->omitempty) continue;
      fail(k, "missing key '%s'", sub);
    } else {
      c = conform_value(k, &f->type, v, sub);
    }
    if (!c) { json_decref(out); return NULL; }
    json_object_set_new(out, f->name, c);
  }
  return out;
}

json_t *ev_conform(const ev_struct *s, json_t *payload, char *err,
                   size_t errlen) {
  checker k = {err, errlen};
  if (!json_is_object(payload)) return fail(&k, "the payload is not an object");
  return conform_struct(&k, s, payload, "");
}
