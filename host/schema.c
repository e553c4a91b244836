#include "schema.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#define FIELD(data, k, type) ((type *)((char *)(data) + (k)->offset))
#define CFIELD(data, k, type) ((type const *)((const char *)(data) + (k)->offset))

static size_t field_size(uint32_t type) {
  switch (type) {
  case STRATUS_CFG_BOOL: return sizeof(bool);
  case STRATUS_CFG_INT:
  case STRATUS_CFG_DURATION: return sizeof(int64_t);
  case STRATUS_CFG_SIZE: return sizeof(uint64_t);
  case STRATUS_CFG_DOUBLE: return sizeof(double);
  case STRATUS_CFG_STRING: return sizeof(char *);
  case STRATUS_CFG_ENUM: return sizeof(int);
  case STRATUS_CFG_LIST: return sizeof(char **);
  default: return 0;
  }
}

const stratus_config_key *schema_find(const schema *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->keys[i].name, name) == 0) return &s->keys[i];
  return NULL;
}

static bool bounded(const stratus_config_key *k) { return k->min || k->max; }

static char *check_range(const stratus_config_key *k, int64_t v,
                         const char *unit) {
  if (!bounded(k) || (v >= k->min && v <= k->max)) return NULL;
  return xasprintf("value out of range (%lld..%lld%s)", (long long)k->min,
                   (long long)k->max, unit);
}

static char *parse_int(const char *text, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end || errno)
    return xasprintf("'%s' is not an integer", text);
  *out = v;
  return NULL;
}

/* "<digits><unit>" split; returns false if there are no digits. */
static bool split_number(const char *text, uint64_t *num, const char **unit) {
  char *end;
  if (!isdigit((unsigned char)text[0])) return false;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno) return false;
  while (*end == ' ') end++;
  *num = v;
  *unit = end;
  return true;
}

static char *parse_duration(const char *text, int64_t *out) {
  static const struct { const char *unit; uint64_t ms; } units[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  uint64_t n;
  const char *unit;
  if (split_number(text, &n, &unit)) {
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
      if (strcmp(unit, units[i].unit) != 0) continue;
      if (n > (uint64_t)INT64_MAX / units[i].ms) break;
      *out = (int64_t)(n * units[i].ms);
      return NULL;
    }
  }
  return xasprintf("'%s' is not a duration (a whole number with ms, s, m or h)",
                   text);
}

static char *parse_size(const char *text, uint64_t *out) {
  static const struct { const char *unit; uint64_t mult; } units[] = {
      {"", 1},           {"B", 1},          {"K", 1024},
      {"KiB", 1024},     {"M", 1 << 20},    {"MiB", 1 << 20},
      {"G", 1ull << 30}, {"GiB", 1ull << 30}};
  uint64_t n;
  const char *unit;
  if (split_number(text, &n, &unit)) {
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
      if (strcmp(unit, units[i].unit) != 0) continue;
      if (n > UINT64_MAX / units[i].mult) break;
      *out = n * units[i].mult;
      return NULL;
    }
  }
  return xasprintf("'%s' is not a size (bytes, or a number with KiB, MiB, GiB)",
                   text);
}

static char *parse_bool(const char *text, bool *out) {
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};
  for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
    if (str_ieq(text, yes[i])) { *out = true; return NULL; }
    if (str_ieq(text, no[i])) { *out = false; return NULL; }
  }
  return xasprintf("'%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
                   text);
}

static char *parse_enum(const stratus_config_key *k, const char *text,
                        int *out) {
  strbuf sb;
  for (int i = 0; k->choices && k->choices[i]; i++) {
    if (str_ieq(text, k->choices[i])) { *out = i; return NULL; }
  }
  sb_init(&sb);
  sb_printf(&sb, "'%s' is not one of:", text);
  for (int i = 0; k->choices && k->choices[i]; i++)
    sb_printf(&sb, " %s", k->choices[i]);
  return sb_steal(&sb);
}

static void free_list(char **list) {
  for (size_t i = 0; list && list[i]; i++) free(list[i]);
  free(list);
}

static char **parse_list(const char *text) {
  char *copy = xstrdup(text), *save = NULL;
  char **list = xcalloc(1, sizeof(char *));
  size_t n = 0, cap = 1;
  for (char *tok = strtok_r(copy, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char *item = str_trim(tok);
    if (!*item) continue;
    grow_array((void **)&list, &cap, n + 2, sizeof(char *));
    list[n++] = xstrdup(item);
    list[n] = NULL;
  }
  free(copy);
  return list;
}

static void clear_value(const stratus_config_key *k, void *data) {
  if (k->type == STRATUS_CFG_STRING) {
    free(*FIELD(data, k, char *));
    *FIELD(data, k, char *) = NULL;
  } else if (k->type == STRATUS_CFG_LIST) {
    free_list(*FIELD(data, k, char **));
    *FIELD(data, k, char **) = NULL;
  }
}

static char *parse_number(const stratus_config_key *k, const char *text,
                          void *data) {
  char *err = NULL;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  double d = 0;
  switch (k->type) {
  case STRATUS_CFG_INT:
    if (!(err = parse_int(text, &i64)) && !(err = check_range(k, i64, "")))
      *FIELD(data, k, int64_t) = i64;
    return err;
  case STRATUS_CFG_DURATION:
    if (!(err = parse_duration(text, &i64)) &&
        !(err = check_range(k, i64, " ms")))
      *FIELD(data, k, int64_t) = i64;
    return err;
  case STRATUS_CFG_SIZE:
    if ((err = parse_size(text, &u64))) return err;
    if (u64 > (uint64_t)INT64_MAX || (err = check_range(k, (int64_t)u64, " bytes")))
      return err ? err : xasprintf("size too large");
    *FIELD(data, k, uint64_t) = u64;
    return NULL;
  default: {
    char *end;
    errno = 0;
    d = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(d))
      return xasprintf("'%s' is not a number", text);
    if (bounded(k) && (d < (double)k->min || d > (double)k->max))
      return xasprintf("value out of range (%lld..%lld)", (long long)k->min,
                       (long long)k->max);
    *FIELD(data, k, double) = d;
    return NULL;
  }
  }
}

char *schema_parse_value(const stratus_config_key *k, const char *text,
                         void *data) {
  switch (k->type) {
  case STRATUS_CFG_BOOL: return parse_bool(text, FIELD(data, k, bool));
  case STRATUS_CFG_ENUM: return parse_enum(k, text, FIELD(data, k, int));
  case STRATUS_CFG_STRING:
    if (k->max > 0 && strlen(text) > (size_t)k->max)
      return xasprintf("value longer than %lld characters", (long long)k->max);
    clear_value(k, data);
    *FIELD(data, k, char *) = xstrdup(text);
    return NULL;
  case STRATUS_CFG_LIST:
    clear_value(k, data);
    *FIELD(data, k, char **) = parse_list(text);
    return NULL;
  case STRATUS_CFG_INT:
  case STRATUS_CFG_DURATION:
  case STRATUS_CFG_SIZE:
  case STRATUS_CFG_DOUBLE: return parse_number(k, text, data);
  default: return xasprintf("key has an unknown type %u", k->type);
  }
}

static bool name_reserved(const char *name, const char *const *reserved) {
  for (size_t i = 0; reserved && reserved[i]; i++)
    if (strcmp(name, reserved[i]) == 0) return true;
  return false;
}

static int check_key(const schema *s, size_t i, const char *const *reserved,
                     char *err, size_t errlen) {
  const stratus_config_key *k = &s->keys[i];
  size_t size = field_size(k->type);
  if (!size) {
    snprintf(err, errlen, "key '%s' has an unknown type %u", k->name, k->type);
    return STRATUS_EINVAL;
  }
  if (k->offset + size > s->struct_size || k->offset % size != 0) {
    snprintf(err, errlen, "key '%s' lies outside the config struct or is misaligned",
             k->name);
    return STRATUS_EINVAL;
  }
  if (name_reserved(k->name, reserved)) {
    snprintf(err, errlen, "key '%s' is reserved for the host", k->name);
    return STRATUS_EINVAL;
  }
  for (size_t j = 0; j < i; j++) {
    if (strcmp(s->keys[j].name, k->name) == 0) {
      snprintf(err, errlen, "key '%s' is declared twice", k->name);
      return STRATUS_EINVAL;
    }
  }
  if (k->type == STRATUS_CFG_ENUM && (!k->choices || !k->choices[0])) {
    snprintf(err, errlen, "enum key '%s' has no choices", k->name);
    return STRATUS_EINVAL;
  }
  return 0;
}

static int check_default(const stratus_config_key *k, size_t struct_size,
                         char *err, size_t errlen) {
  if (!k->default_value) return 0;
  void *scratch = xcalloc(1, struct_size);
  char *msg = schema_parse_value(k, k->default_value, scratch);
  clear_value(k, scratch);
  free(scratch);
  if (!msg) return 0;
  snprintf(err, errlen, "default of key '%s': %s", k->name, msg);
  free(msg);
  return STRATUS_EINVAL;
}

int schema_check(const schema *s, const char *const *reserved, char *err,
                 size_t errlen) {
  for (size_t i = 0; i < s->n; i++) {
    int rc = check_key(s, i, reserved, err, errlen);
    if (!rc) rc = check_default(&s->keys[i], s->struct_size, err, errlen);
    if (rc) return rc;
  }
  return 0;
}

static void apply_defaults(const schema *s, void *data) {
  for (size_t i = 0; i < s->n; i++) {
    const stratus_config_key *k = &s->keys[i];
    if (k->default_value) {
      free(schema_parse_value(k, k->default_value, data));
    } else if (k->type == STRATUS_CFG_STRING) {
      *FIELD(data, k, char *) = xstrdup("");
    } else if (k->type == STRATUS_CFG_LIST) {
      *FIELD(data, k, char **) = xcalloc(1, sizeof(char *));
    }
  }
}

static void report_unknown(const schema *s, const cfg_entry *e,
                           const char *label, cfg_errors *errs) {
  for (size_t i = 0; i < s->n; i++) {
    if (str_ieq(s->keys[i].name, e->key)) {
      cfg_error(errs, e->file, e->line, "unknown key '%s' in %s (did you mean '%s'?)",
                e->key, label, s->keys[i].name);
      return;
    }
  }
  cfg_error(errs, e->file, e->line, "unknown key '%s' in %s", e->key, label);
}

void *schema_build(const schema *s, const cfg_section *sec,
                   const char *const *skip, const char *label,
                   cfg_errors *errs) {
  void *data = xcalloc(1, s->struct_size ? s->struct_size : 1);
  apply_defaults(s, data);
  for (size_t i = 0; sec && i < sec->n; i++) {
    const cfg_entry *e = &sec->entries[i];
    if (name_reserved(e->key, skip)) continue;
    const stratus_config_key *k = schema_find(s, e->key);
    if (!k) {
      report_unknown(s, e, label, errs);
      continue;
    }
    char *msg = schema_parse_value(k, e->value, data);
    if (msg) {
      cfg_error(errs, e->file, e->line, "%s: %s: %s", label, e->key, msg);
      free(msg);
    }
  }
  for (size_t i = 0; i < s->n; i++) {
    const stratus_config_key *k = &s->keys[i];
    if ((k->flags & STRATUS_CFG_REQUIRED) && !cfg_section_get(sec, k->name)) {
      if (sec)
        cfg_error(errs, sec->file, sec->line, "%s: required key '%s' is missing",
                  label, k->name);
      else
        cfg_error(errs, "config", 0, "%s: section is missing (it needs '%s')",
                  label, k->name);
    }
  }
  return data;
}

void schema_free(const schema *s, void *data) {
  if (!data) return;
  for (size_t i = 0; i < s->n; i++) clear_value(&s->keys[i], data);
  free(data);
}

static bool lists_equal(char **a, char **b) {
  size_t i = 0;
  for (; a && b && a[i] && b[i]; i++)
    if (strcmp(a[i], b[i]) != 0) return false;
  return (!a || !a[i]) && (!b || !b[i]);
}

/* Keys of one type, possibly of two schemas (old and new code of a plugin):
 * enums compare by choice name, since the index may differ. */
static bool values_equal(const stratus_config_key *ka, const void *a,
                         const stratus_config_key *kb, const void *b) {
  switch (ka->type) {
  case STRATUS_CFG_STRING: {
    const char *x = *CFIELD(a, ka, char *), *y = *CFIELD(b, kb, char *);
    return strcmp(x ? x : "", y ? y : "") == 0;
  }
  case STRATUS_CFG_LIST:
    return lists_equal(*CFIELD(a, ka, char **), *CFIELD(b, kb, char **));
  case STRATUS_CFG_ENUM:
    return strcmp(ka->choices[*CFIELD(a, ka, int)],
                  kb->choices[*CFIELD(b, kb, int)]) == 0;
  default:
    return memcmp((const char *)a + ka->offset, (const char *)b + kb->offset,
                  field_size(ka->type)) == 0;
  }
}

static long choice_index(const stratus_config_key *k, const char *name) {
  for (long i = 0; k->choices[i]; i++)
    if (strcmp(k->choices[i], name) == 0) return i;
  return -1;
}

/* Copies src's value of ks into dst's value of kd; false when an enum
 * choice is gone from kd. */
static bool copy_value(const stratus_config_key *kd, void *dst,
                       const stratus_config_key *ks, const void *src) {
  if (kd->type == STRATUS_CFG_ENUM) {
    long i = choice_index(kd, ks->choices[*CFIELD(src, ks, int)]);
    if (i < 0) return false;
    *FIELD(dst, kd, int) = (int)i;
    return true;
  }
  clear_value(kd, dst);
  if (kd->type == STRATUS_CFG_STRING) {
    const char *v = *CFIELD(src, ks, char *);
    *FIELD(dst, kd, char *) = xstrdup(v ? v : "");
  } else if (kd->type == STRATUS_CFG_LIST) {
    char **v = *CFIELD(src, ks, char **);
    size_t n = 0;
    while (v && v[n]) n++;
    char **copy = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) copy[i] = xstrdup(v[i]);
    *FIELD(dst, kd, char **) = copy;
  } else {
    memcpy((char *)dst + kd->offset, (const char *)src + ks->offset,
           field_size(kd->type));
  }
  return true;
}

bool schema_value_equal(const stratus_config_key *k, const void *a,
                        const void *b) {
  return values_equal(k, a, k, b);
}

void schema_copy_value(const stratus_config_key *k, void *dst,
                       const void *src) {
  copy_value(k, dst, k, src);
}

void schema_format_value(const stratus_config_key *k, const void *data,
                         strbuf *out) {
  if (k->flags & STRATUS_CFG_SECRET) {
    sb_puts(out, "***");
    return;
  }
  switch (k->type) {
  case STRATUS_CFG_BOOL: sb_puts(out, *CFIELD(data, k, bool) ? "yes" : "no"); break;
  case STRATUS_CFG_INT: sb_printf(out, "%lld", (long long)*CFIELD(data, k, int64_t)); break;
  case STRATUS_CFG_DURATION: sb_printf(out, "%lldms", (long long)*CFIELD(data, k, int64_t)); break;
  case STRATUS_CFG_SIZE: sb_printf(out, "%llu", (unsigned long long)*CFIELD(data, k, uint64_t)); break;
  case STRATUS_CFG_DOUBLE: sb_printf(out, "%g", *CFIELD(data, k, double)); break;
  case STRATUS_CFG_ENUM: sb_puts(out, k->choices[*CFIELD(data, k, int)]); break;
  case STRATUS_CFG_STRING: {
    const char *v = *CFIELD(data, k, char *);
    sb_puts(out, v ? v : "");
    break;
  }
  case STRATUS_CFG_LIST: {
    char **v = *CFIELD(data, k, char **);
    for (size_t i = 0; v && v[i]; i++) sb_printf(out, "%s%s", i ? ", " : "", v[i]);
    break;
  }
  default: break;
  }
}

int schema_keep_restart_keys_from(const schema *from, const void *running,
                                  const schema *to, void *next, strbuf *notes) {
  int kept = 0;
  for (size_t i = 0; i < to->n; i++) {
    const stratus_config_key *k = &to->keys[i];
    const stratus_config_key *was = schema_find(from, k->name);
    if (!(k->flags & STRATUS_CFG_RESTART) || !was || was->type != k->type ||
        values_equal(was, running, k, next) || !copy_value(k, next, was, running))
      continue;
    if (notes) sb_printf(notes, "%s%s", notes->len ? ", " : "", k->name);
    kept++;
  }
  return kept;
}

int schema_keep_restart_keys(const schema *s, const void *running, void *next,
                             strbuf *notes) {
  return schema_keep_restart_keys_from(s, running, s, next, notes);
}

bool schema_equal(const schema *s, const void *a, const void *b) {
  for (size_t i = 0; i < s->n; i++)
    if (!schema_value_equal(&s->keys[i], a, b)) return false;
  return true;
}
