/* Go encoding/json's writer for jansson values (rules in gojson.h). */
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "gojson.h"

static const char hexdigits[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is
 * invalid, with Go's utf8.DecodeRune rules: no overlongs, no surrogates,
 * nothing above U+10FFFF. */
static size_t utf8_valid_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t len;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) len = 3;
  else if (c >= 0xF0 && c <= 0xF4) len = 4;
  else return 0;
  if (c == 0xE0) lo = 0xA0;
  else if (c == 0xED) hi = 0x9F;
  else if (c == 0xF0) lo = 0x90;
  else if (c == 0xF4) hi = 0x8F;
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

static void put_ascii(strbuf *out, unsigned char c) {
  char esc[6] = {'\\', 'u', '0', '0', hexdigits[c >> 4], hexdigits[c & 15]};
  switch (c) {
  case '"': sb_append(out, "\\\"", 2); return;
  case '\\': sb_append(out, "\\\\", 2); return;
  case '\n': sb_append(out, "\\n", 2); return;
  case '\r': sb_append(out, "\\r", 2); return;
  case '\t': sb_append(out, "\\t", 2); return;
  case '\b': sb_append(out, "\\b", 2); return;
  case '\f': sb_append(out, "\\f", 2); return;
  default: break;
  }
  if (c < 0x20 || c == '<' || c == '>' || c == '&') sb_append(out, esc, 6);
  else sb_append(out, &c, 1);
}

void gojson_string(strbuf *out, const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  sb_append(out, "\"", 1);
  for (size_t i = 0; i < len;) {
    if (s[i] < 0x80) {
      put_ascii(out, s[i++]);
      continue;
    }
    size_t n = utf8_valid_len(s + i, len - i);
    if (n == 0) {
      sb_append(out, "\\ufffd", 6);
      i++;
    } else if (n == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
               (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      sb_append(out, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
      i += 3;
    } else {
      sb_append(out, s + i, n);
      i += n;
    }
  }
  sb_append(out, "\"", 1);
}

static int write_value(strbuf *out, const json_t *v, const ev_type *t, int depth);

static const ev_type *field_type(const ev_type *t, const char *key) {
  if (!t) return NULL;
  if (t->kind == EV_MAP) return t->elem;
  if (t->kind != EV_OBJ || !t->obj) return NULL;
  const ev_field *f = ev_struct_field(t->obj, key);
  return f ? &f->type : NULL;
}

static int write_member(strbuf *out, const char *key, const json_t *v,
                        const ev_type *t, int depth, bool first) {
  if (!first) sb_append(out, ",", 1);
  gojson_string(out, key, strlen(key));
  sb_append(out, ":", 1);
  return write_value(out, v, field_type(t, key), depth);
}

static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Go writes a map's keys sorted (byte order of the key strings). */
static int write_map(strbuf *out, const json_t *obj, const ev_type *t, int depth) {
  size_t n = json_object_size(obj), i = 0;
  const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) keys[i++] = key;
  qsort(keys, n, sizeof(*keys), cmp_keys);
  int rc = 0;
  sb_append(out, "{", 1);
  for (i = 0; i < n && rc == 0; i++)
    rc = write_member(out, keys[i], json_object_get(obj, keys[i]), t, depth, i == 0);
  sb_append(out, "}", 1);
  free(keys);
  return rc;
}

static int write_object(strbuf *out, const json_t *obj, const ev_type *t, int depth) {
  if (t && t->kind == EV_MAP) return write_map(out, obj, t, depth);
  const char *key;
  json_t *v;
  bool first = true;
  int rc = 0;
  sb_append(out, "{", 1);
  json_object_foreach((json_t *)obj, key, v) {
    if ((rc = write_member(out, key, v, t, depth, first)) != 0) break;
    first = false;
  }
  sb_append(out, "}", 1);
  return rc;
}

static int write_array(strbuf *out, const json_t *arr, const ev_type *t, int depth) {
  const ev_type *elem = t && t->kind == EV_ARRAY ? t->elem : NULL;
  int rc = 0;
  sb_append(out, "[", 1);
  for (size_t i = 0; i < json_array_size(arr) && rc == 0; i++) {
    if (i) sb_append(out, ",", 1);
    rc = write_value(out, json_array_get(arr, i), elem, depth);
  }
  sb_append(out, "]", 1);
  return rc;
}

static void write_integer(strbuf *out, json_int_t i, const ev_type *t) {
  if (t && (t->kind == EV_F32 || t->kind == EV_F64))
    gojson_float(out, (double)i, t->kind == EV_F32 ? 32 : 64);
  else if (t && t->kind == EV_U64)
    sb_printf(out, "%llu", (unsigned long long)(uint64_t)(int64_t)i);
  else
    sb_printf(out, "%lld", (long long)i);
}

static int write_value(strbuf *out, const json_t *v, const ev_type *t, int depth) {
  if (depth >= GOJSON_MAX_DEPTH) return STRATUS_EINVAL;
  switch (json_typeof(v)) {
  case JSON_OBJECT: return write_object(out, v, t, depth + 1);
  case JSON_ARRAY: return write_array(out, v, t, depth + 1);
  case JSON_STRING:
    gojson_string(out, json_string_value(v), json_string_length(v));
    return 0;
  case JSON_INTEGER: write_integer(out, json_integer_value(v), t); return 0;
  case JSON_REAL:
    gojson_float(out, json_real_value(v), t && t->kind == EV_F32 ? 32 : 64);
    return 0;
  case JSON_TRUE: sb_append(out, "true", 4); return 0;
  case JSON_FALSE: sb_append(out, "false", 5); return 0;
  case JSON_NULL: sb_append(out, "null", 4); return 0;
  }
  return STRATUS_EINVAL;
}

int gojson_write(strbuf *out, const json_t *v, const ev_type *t) {
  return v ? write_value(out, v, t, 0) : STRATUS_EINVAL;
}
