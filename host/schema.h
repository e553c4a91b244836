/*
 * Typed configuration: checks a section's entries against a key schema
 * (stratus_config_key, the same table plugins declare) and writes the parsed
 * values into a struct at each key's offset. The host describes its own
 * sections with the same tables.
 */
#ifndef STRATUS_HOST_SCHEMA_H
#define STRATUS_HOST_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <stratus/plugin.h>

#include "config.h"
#include "util.h"

typedef struct schema {
  const stratus_config_key *keys;
  size_t n;
  size_t struct_size;
} schema;

/* Checks a schema definition itself (offsets, types, defaults, reserved
 * names). Returns 0, or STRATUS_EINVAL with a message in err. */
int schema_check(const schema *s, const char *const *reserved, char *err,
                 size_t errlen);

/* Allocates a struct and fills it from defaults and `sec` (which may be
 * NULL). Keys listed in `skip` are left to the caller. Errors go to errs
 * with file:line; `label` names the section in messages ("[plugin.hello]"),
 * `where_file` is used for errors that have no line (missing keys). */
void *schema_build(const schema *s, const cfg_section *sec,
                   const char *const *skip, const char *label,
                   cfg_errors *errs);
void schema_free(const schema *s, void *data);

/* Parse one value text for key k into dst (the start of the struct). Returns
 * NULL on success or a static-lifetime-free message (caller frees). */
char *schema_parse_value(const stratus_config_key *k, const char *text,
                         void *dst);

bool schema_value_equal(const stratus_config_key *k, const void *a,
                        const void *b);
/* Replace k's value in dst with a copy of src's. */
void schema_copy_value(const stratus_config_key *k, void *dst, const void *src);
void schema_format_value(const stratus_config_key *k, const void *data,
                         strbuf *out);

const stratus_config_key *schema_find(const schema *s, const char *name);

/* For every restart-only key whose value differs between `running` and
 * `next`, keep the running value in `next` and describe it in `notes`
 * (comma-separated key names). Returns how many keys were kept. */
int schema_keep_restart_keys(const schema *s, const void *running, void *next,
                             strbuf *notes);
/* The same across two schemas, a plugin's running code (`from`) and its new
 * code (`to`): a restart-only key of `to` that `from` declares with the same
 * name and type keeps its running value (an enum keeps its choice by name,
 * if the new code still has it). */
int schema_keep_restart_keys_from(const schema *from, const void *running,
                                  const schema *to, void *next, strbuf *notes);
bool schema_equal(const schema *s, const void *a, const void *b);

/* schema_doc.c: each key as three ini comment lines for operators:
 *   ; name (type, range, reloadable|restart-only)
 *   ;   help
 *   ;name = default */
void schema_describe_key(const stratus_config_key *k, strbuf *out);
void schema_describe(const schema *s, FILE *out);

#endif
