/*
 * The raw configuration: an ini file plus the files its [host] include
 * patterns name, read into sections of key/value entries that remember
 * file:line. Typed validation is schema.c's job.
 */
#ifndef STRATUS_HOST_CONFIG_H
#define STRATUS_HOST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cfg_entry {
  char *key;
  char *value;
  const char *file; /* owned by the snapshot */
  int line;
} cfg_entry;

typedef struct cfg_section {
  char *name;
  const char *file;
  int line;
  cfg_entry *entries;
  size_t n, cap;
} cfg_section;

typedef struct cfg_errors {
  char **msgs; /* "file:line: message" */
  size_t n, cap;
} cfg_errors;

typedef struct cfg_snapshot {
  char *main_path;
  char **files; /* every file read, in order */
  size_t nfiles, files_cap;
  cfg_section *sections;
  size_t n, cap;
  cfg_errors errors;
} cfg_snapshot;

/* Read `path` and its includes. Never NULL; check errors.n. */
cfg_snapshot *cfg_load(const char *path);
/* Parse ini text as if it came from `name` (tests). Includes not followed. */
cfg_snapshot *cfg_load_string(const char *name, const char *text);
void cfg_free(cfg_snapshot *snap);

const cfg_section *cfg_find(const cfg_snapshot *snap, const char *name);
const cfg_entry *cfg_section_get(const cfg_section *sec, const char *key);

void cfg_error(cfg_errors *errs, const char *file, int line, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
void cfg_errors_free(cfg_errors *errs);
/* Move every message of `from` to the end of `to`. */
void cfg_errors_move(cfg_errors *to, cfg_errors *from);

#endif
