/* ToCloud9 envelopes {"v":<string>,"t":<int>,"p":<object>}: built around
 * the publisher's payload bytes, parsed with jansson. The payload handed to
 * subscribers is the original text of "p" (cut out of the message), so
 * numbers and escapes arrive exactly as the publisher wrote them. */
#include <stdio.h>
#include <string.h>

#include <stratus/errors.h>

#include "internal.h"
#include "log.h"

int bus_envelope_build(strbuf *out, const char *version, int64_t type,
                       const char *payload, size_t len) {
  json_error_t jerr;
  /* Only the shape is checked: a uint64 above INT64_MAX (Go writes them) is
   * valid JSON that jansson's integers cannot hold. */
  json_t *p = json_loadb(payload, len, JSON_DECODE_INT_AS_REAL, &jerr);
  bool ok = json_is_object(p);
  json_decref(p);
  if (!ok) return STRATUS_EINVAL;
  out->len = 0;
  sb_printf(out, "{\"v\":\"%s\",\"t\":%lld,\"p\":", version, (long long)type);
  sb_append(out, payload, len);
  sb_append(out, "}", 1);
  return 0;
}

/* ---- finding a top-level value's bytes in a (valid) JSON object text ---- */

static size_t skip_ws(const char *s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
    i++;
  return i;
}

/* i is at the opening quote; returns the index after the closing one. */
static size_t skip_string(const char *s, size_t n, size_t i) {
  for (i++; i < n && s[i] != '"'; i++)
    if (s[i] == '\\') i++;
  return i + 1;
}

/* Index just after the value starting at i. */
static size_t skip_value(const char *s, size_t n, size_t i) {
  if (i < n && s[i] == '"') return skip_string(s, n, i);
  int depth = 0;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, n, i) - 1;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (depth == 0) break;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
                              c == '\n' || c == '\r')) {
      break;
    }
  }
  return i;
}

bool bus_json_value_span(const char *s, size_t n, const char *key,
                         size_t *off, size_t *len) {
  size_t klen = strlen(key), i = skip_ws(s, n, 0);
  bool found = false;
  if (i >= n || s[i] != '{') return false;
  for (i = skip_ws(s, n, i + 1); i < n && s[i] == '"';) {
    size_t kend = skip_string(s, n, i);
    bool match = kend - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;
    i = skip_ws(s, n, kend);
    if (i >= n || s[i] != ':') return false;
    i = skip_ws(s, n, i + 1);
    size_t end = skip_value(s, n, i);
    if (end > n || end == i) return false;
    if (match) { /* the last one wins, as in jansson */
      *off = i;
      *len = end - i;
      found = true;
    }
    i = skip_ws(s, n, end);
    if (i < n && s[i] == ',') i = skip_ws(s, n, i + 1);
  }
  return found;
}

/* ---- parsing ------------------------------------------------------------ */

static void not_enveloped(const void *data, size_t len, bus_envelope *env) {
  env->type = -1;
  env->version = "";
  env->payload = data;
  env->payload_len = len;
}

/* Version and payload go to `scratch` as "version\0payload\0". */
static void fill(const char *data, size_t len, json_t *v, json_t *p,
                 bus_envelope *env, strbuf *scratch) {
  const char *ver = v ? json_string_value(v) : "";
  size_t off = 0, plen = 0;
  scratch->len = 0;
  sb_append(scratch, ver, strlen(ver) + 1);
  size_t pstart = scratch->len;
  if (bus_json_value_span(data, len, "p", &off, &plen)) {
    sb_append(scratch, data + off, plen);
  } else { /* an escaped key such as "\u0070": render it again */
    char *text = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
    plen = text ? strlen(text) : 0;
    sb_append(scratch, text ? text : "", plen);
    free(text);
  }
  env->version = scratch->data;
  env->payload = scratch->data + pstart;
  env->payload_len = plen;
}

void bus_envelope_parse(const void *data, size_t len, bus_envelope *env,
                        strbuf *scratch) {
  json_error_t jerr;
  json_t *root = json_loadb(data, len, 0, &jerr);
  not_enveloped(data, len, env);
  env->malformed = root == NULL;
  if (!root) {
    if (log_would_write(STRATUS_LOG_DEBUG, -1))
      log_write(STRATUS_LOG_DEBUG, "bus", "message is not JSON (%s at %d): "
                "delivered without envelope", jerr.text, jerr.position);
    return;
  }
  json_t *v = json_object_get(root, "v"), *t = json_object_get(root, "t");
  json_t *p = json_object_get(root, "p");
  if (json_is_integer(t) && p && (!v || json_is_string(v))) {
    env->type = json_integer_value(t);
    fill(data, len, v, p, env, scratch);
  }
  json_decref(root);
}

json_t *bus_array_or_null(json_t *arr) {
  if (json_is_array(arr) && json_array_size(arr) > 0) return arr;
  json_decref(arr);
  return json_null();
}
