/* Checking a payload against its catalogue entry, and putting its keys in
 * the Go struct's order. The path of a value ("Servers[0].ID") is a chain
 * on the stack, rendered only when a difference is reported. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "catalogue.h"

typedef struct path {
  const struct path *up;
  const char *key; /* NULL: an array index */
  size_t index;
} path;

typedef struct checker {
  char *err;
  size_t errlen;
} checker;

static size_t render(const path *p, char *buf, size_t len) {
  if (!p) return 0;
  size_t n = render(p->up, buf, len);
  if (n >= len) return n;
  int w = p->key ? snprintf(buf + n, len - n, "%s%s", p->up ? "." : "", p->key)
                 : snprintf(buf + n, len - n, "[%zu]", p->index);
  return n + (w > 0 ? (size_t)w : 0);
}

/* "missing key 'A.B'" (key) or "A.B: want u8" (not key); NULL. */
static json_t *fail(checker *k, const path *at, bool key, const char *what) {
  char where[200] = "";
  render(at, where, sizeof(where));
  if (!at) snprintf(k->err, k->errlen, "%s", what);
  else if (key) snprintf(k->err, k->errlen, "%s '%s'", what, where);
  else snprintf(k->err, k->errlen, "%s: want %s", where, what);
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
                              const path *at);
static json_t *conform_value(checker *k, const ev_type *t, json_t *v,
                             const path *at);

static json_t *conform_array(checker *k, const ev_type *t, json_t *v,
                             const path *at) {
  json_t *out = json_array(), *item;
  size_t i;
  json_array_foreach(v, i, item) {
    path sub = {at, NULL, i};
    json_t *c = conform_value(k, t->elem, item, &sub);
    if (!c) {
      json_decref(out);
      return NULL;
    }
    json_array_append_new(out, c);
  }
  return out;
}

static json_t *conform_map(checker *k, const ev_type *t, json_t *v,
                           const path *at) {
  json_t *out = json_object(), *item;
  const char *key;
  json_object_foreach(v, key, item) {
    path sub = {at, key, 0};
    json_t *c = conform_value(k, t->elem, item, &sub);
    if (!c) {
      json_decref(out);
      return NULL;
    }
    json_object_set_new(out, key, c);
  }
  return out;
}

static json_t *conform_value(checker *k, const ev_type *t, json_t *v,
                             const path *at) {
  switch (t->kind) {
  case EV_OBJ:
    return json_is_object(v) ? conform_struct(k, t->obj, v, at)
                             : fail(k, at, false, "an object");
  case EV_ARRAY:
    if (json_is_null(v)) return json_null();
    return json_is_array(v) ? conform_array(k, t, v, at)
                            : fail(k, at, false, "an array or null");
  case EV_MAP:
    if (json_is_null(v)) return json_null();
    return json_is_object(v) ? conform_map(k, t, v, at)
                             : fail(k, at, false, "an object or null");
  default:
    if (!scalar_ok(t->kind, v))
      return fail(k, at, false, kind_name(t->kind));
    return json_incref(v);
  }
}

static json_t *conform_struct(checker *k, const ev_struct *s, json_t *obj,
                              const path *at) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    path sub = {at, key, 0};
    if (!ev_struct_field(s, key)) return fail(k, &sub, true, "unknown key");
  }
  json_t *out = json_object();
  for (size_t i = 0; i < s->nfields; i++) {
    const ev_field *f = &s->fields[i];
    path sub = {at, f->name, 0};
    json_t *c = NULL;
    if (!(v = json_object_get(obj, f->name))) {
      if (f->omitempty) continue;
      fail(k, &sub, true, "missing key");
    } else {
      c = conform_value(k, &f->type, v, &sub);
    }
    if (!c) {
      json_decref(out);
      return NULL;
    }
    json_object_set_new(out, f->name, c);
  }
  return out;
}

json_t *ev_conform(const ev_struct *s, json_t *payload, char *err,
                   size_t errlen) {
  checker k = {err, errlen};
  if (!json_is_object(payload)) return fail(&k, NULL, false, "the payload is not an object");
  return conform_struct(&k, s, payload, NULL);
}
