/* A schema as text for operators: `stratusd --describe-config`. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

static const char *type_name(uint32_t type) {
  static const char *const names[] = {"?",      "bool",     "int",  "double",
                                      "string", "duration", "size", "enum",
                                      "list"};
  return type < ARRAY_LEN(names) ? names[type] : "?";
}

/* 1500 -> "1500ms", 60000 -> "1m": the largest unit that divides. */
static void put_duration(strbuf *sb, int64_t ms) {
  static const struct { const char *unit; int64_t ms; } units[] = {
      {"h", 3600000}, {"m", 60000}, {"s", 1000}};
  if (ms == 0) {
    sb_puts(sb, "0s");
    return;
  }
  for (size_t i = 0; i < ARRAY_LEN(units); i++)
    if (ms != 0 && ms % units[i].ms == 0) {
      sb_printf(sb, "%" PRId64 "%s", ms / units[i].ms, units[i].unit);
      return;
    }
  sb_printf(sb, "%" PRId64 "ms", ms);
}

static void put_size(strbuf *sb, int64_t bytes) {
  static const struct { const char *unit; int64_t n; } units[] = {
      {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}};
  for (size_t i = 0; i < ARRAY_LEN(units); i++)
    if (bytes != 0 && bytes % units[i].n == 0) {
      sb_printf(sb, "%" PRId64 "%s", bytes / units[i].n, units[i].unit);
      return;
    }
  sb_printf(sb, "%" PRId64, bytes);
}

static void put_bound(strbuf *sb, uint32_t type, int64_t v) {
  if (type == STRATUS_CFG_DURATION) put_duration(sb, v);
  else if (type == STRATUS_CFG_SIZE) put_size(sb, v);
  else sb_printf(sb, "%" PRId64, v);
}

/* ", 1..10", ", at most 8 characters", ", one of: a b" or nothing. */
static void put_range(strbuf *sb, const stratus_config_key *k) {
  if (k->type == STRATUS_CFG_ENUM) {
    sb_puts(sb, ", one of:");
    for (size_t i = 0; k->choices && k->choices[i]; i++)
      sb_printf(sb, " %s", k->choices[i]);
  } else if (k->type == STRATUS_CFG_STRING) {
    if (k->max > 0) sb_printf(sb, ", at most %" PRId64 " characters", k->max);
  } else if (k->type != STRATUS_CFG_BOOL && k->type != STRATUS_CFG_LIST &&
             (k->min || k->max)) {
    sb_puts(sb, ", ");
    put_bound(sb, k->type, k->min);
    sb_puts(sb, "..");
    put_bound(sb, k->type, k->max);
  }
}

void schema_describe_key(const stratus_config_key *k, strbuf *out) {
  sb_printf(out, "; %s (%s", k->name, type_name(k->type));
  put_range(out, k);
  if (k->flags & STRATUS_CFG_REQUIRED) sb_puts(out, ", required");
  if (k->flags & STRATUS_CFG_SECRET) sb_puts(out, ", secret");
  sb_puts(out, k->flags & STRATUS_CFG_RESTART ? ", restart-only)\n"
                                              : ", reloadable)\n");
  if (k->help && *k->help) sb_printf(out, ";   %s\n", k->help);
  const char *def = k->default_value ? k->default_value : "";
  sb_printf(out, ";%s =%s%s\n", k->name, *def ? " " : "", def);
}

void schema_describe(const schema *s, FILE *out) {
  strbuf sb;
  sb_init(&sb);
  for (size_t i = 0; i < s->n; i++) schema_describe_key(&s->keys[i], &sb);
  if (sb.len) fputs(sb.data, out);
  sb_free(&sb);
}
