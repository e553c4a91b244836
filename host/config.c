#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Per-file parse state, handed to inih as its "stream". */
typedef struct parse_state {
  cfg_snapshot *snap;
  const char *file;
  FILE *fp;            /* file input, or NULL for a string */
  const char *text;    /* string input */
  int line;
  long section;        /* index into snap->sections, -1 before the first */
} parse_state;

void cfg_error(cfg_errors *errs, const char *file, int line, const char *fmt,
               ...) {
  strbuf sb;
  va_list ap;
  sb_init(&sb);
  if (file && line > 0)
    sb_printf(&sb, "%s:%d: ", file, line);
  else if (file)
    sb_printf(&sb, "%s: ", file);
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  grow_array((void **)&errs->msgs, &errs->cap, errs->n + 1, sizeof(char *));
  errs->msgs[errs->n++] = sb_steal(&sb);
}

void cfg_errors_free(cfg_errors *errs) {
  for (size_t i = 0; i < errs->n; i++) free(errs->msgs[i]);
  free(errs->msgs);
  errs->msgs = NULL;
  errs->n = errs->cap = 0;
}

void cfg_errors_move(cfg_errors *to, cfg_errors *from) {
  grow_array((void **)&to->msgs, &to->cap, to->n + from->n, sizeof(char *));
  for (size_t i = 0; i < from->n; i++) to->msgs[to->n++] = from->msgs[i];
  free(from->msgs);
  from->msgs = NULL;
  from->n = from->cap = 0;
}

const cfg_section *cfg_find(const cfg_snapshot *snap, const char *name) {
  for (size_t i = 0; i < snap->n; i++)
    if (strcmp(snap->sections[i].name, name) == 0) return &snap->sections[i];
  return NULL;
}

const cfg_entry *cfg_section_get(const cfg_section *sec, const char *key) {
  for (size_t i = 0; sec && i < sec->n; i++)
    if (strcmp(sec->entries[i].key, key) == 0) return &sec->entries[i];
  return NULL;
}

static bool valid_name(const char *s, bool dots) {
  if (!*s) return false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (!(isalnum(c) || c == '_' || c == '-' || (dots && c == '.')))
      return false;
  }
  return true;
}

static void open_section(parse_state *ps, const char *name) {
  cfg_snapshot *snap = ps->snap;
  const cfg_section *prev = cfg_find(snap, name);
  if (prev) {
    cfg_error(&snap->errors, ps->file, ps->line,
              "duplicate section [%s] (first at %s:%d)", name, prev->file,
              prev->line);
    ps->section = -2; /* swallow its keys */
    return;
  }
  if (!valid_name(name, true)) {
    cfg_error(&snap->errors, ps->file, ps->line,
              "invalid section name [%s] (use letters, digits, '_', '-', '.')",
              name);
    ps->section = -2;
    return;
  }
  grow_array((void **)&snap->sections, &snap->cap, snap->n + 1,
             sizeof(cfg_section));
  cfg_section *sec = &snap->sections[snap->n];
  memset(sec, 0, sizeof(*sec));
  sec->name = xstrdup(name);
  sec->file = ps->file;
  sec->line = ps->line;
  ps->section = (long)snap->n++;
}

/* Checks one physical line before inih sees it. Returns false to hide the
 * line from inih (it was reported here). */
static bool check_line(parse_state *ps, char *str) {
  char *p = str;
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '\0' || *p == '\n' || *p == '\r' || *p == ';' || *p == '#')
    return true;
  if (p != str) {
    cfg_error(&ps->snap->errors, ps->file, ps->line,
              "unexpected indentation (continuation lines are not supported)");
    return false;
  }
  if (*p == '[') {
    char *end = strchr(p, ']');
    char *rest = end ? end + 1 : NULL;
    while (rest && (*rest == ' ' || *rest == '\t')) rest++;
    if (!end || (*rest && *rest != '\n' && *rest != '\r' && *rest != ';' &&
                 *rest != '#')) {
      cfg_error(&ps->snap->errors, ps->file, ps->line,
                "malformed section header (expected [name])");
      ps->section = -2;
      return false;
    }
    char *name = xstrndup(p + 1, (size_t)(end - p - 1));
    open_section(ps, str_trim(name));
    free(name);
    return true;
  }
  if (!strchr(p, '=')) {
    cfg_error(&ps->snap->errors, ps->file, ps->line,
              "syntax error (expected 'key = value' or '[section]')");
    return false;
  }
  return true;
}

static void skip_rest_of_line(parse_state *ps) {
  if (ps->fp) {
    int c;
    while ((c = fgetc(ps->fp)) != EOF && c != '\n') {}
  } else {
    while (*ps->text && *ps->text != '\n') ps->text++;
    if (*ps->text) ps->text++;
  }
}

static bool read_raw_line(parse_state *ps, char *str, int num) {
  if (ps->fp) return fgets(str, num, ps->fp) != NULL;
  if (!*ps->text) return false;
  int i = 0;
  while (i < num - 1 && ps->text[i]) {
    str[i] = ps->text[i];
    if (ps->text[i++] == '\n') break;
  }
  str[i] = '\0';
  ps->text += i;
  return true;
}

static bool at_end(parse_state *ps) {
  if (!ps->fp) return *ps->text == '\0';
  int c = fgetc(ps->fp);
  if (c == EOF) return true;
  ungetc(c, ps->fp);
  return false;
}

/* inih reader: counts lines, refuses over-long lines instead of letting inih
 * truncate them, and validates each line. */
static char *reader(char *str, int num, void *stream) {
  parse_state *ps = stream;
  if (!read_raw_line(ps, str, num)) return NULL;
  ps->line++;
  size_t len = strlen(str);
  if (len == (size_t)num - 1 && str[len - 1] != '\n' && !at_end(ps)) {
    skip_rest_of_line(ps);
    cfg_error(&ps->snap->errors, ps->file, ps->line,
              "line longer than %d characters", num - 2);
    str[0] = '\0';
    return str;
  }
  if (!check_line(ps, str)) str[0] = '\0';
  return str;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value) {
  parse_state *ps = user;
  UNUSED(section);
  cfg_snapshot *snap = ps->snap;
  if (ps->section == -2) return 1;
  if (ps->section < 0) {
    cfg_error(&snap->errors, ps->file, ps->line,
              "key '%s' outside of any [section]", name);
    return 1;
  }
  cfg_section *sec = &snap->sections[ps->section];
  const cfg_entry *prev = cfg_section_get(sec, name);
  if (prev) {
    cfg_error(&snap->errors, ps->file, ps->line,
              "duplicate key '%s' in [%s] (first set at %s:%d)", name,
              sec->name, prev->file, prev->line);
    return 1;
  }
  if (!valid_name(name, false)) {
    cfg_error(&snap->errors, ps->file, ps->line, "invalid key name '%s'", name);
    return 1;
  }
  grow_array((void **)&sec->entries, &sec->cap, sec->n + 1, sizeof(cfg_entry));
  cfg_entry *e = &sec->entries[sec->n++];
  e->key = xstrdup(name);
  e->value = xstrdup(value);
  e->file = ps->file;
  e->line = ps->line;
  return 1;
}

static const char *remember_file(cfg_snapshot *snap, const char *path) {
  grow_array((void **)&snap->files, &snap->files_cap, snap->nfiles + 1,
             sizeof(char *));
  snap->files[snap->nfiles] = xstrdup(path);
  return snap->files[snap->nfiles++];
}

static void parse_stream(cfg_snapshot *snap, parse_state *ps) {
  int rc = ini_parse_stream(reader, ps, handler, ps);
  /* A positive rc is the first line inih disliked; check_line already
   * explained every syntax error, so only report what it missed. */
  if (rc > 0 && snap->errors.n == 0)
    cfg_error(&snap->errors, ps->file, rc, "syntax error");
}

static void parse_file(cfg_snapshot *snap, const char *path) {
  const char *file = remember_file(snap, path);
  FILE *fp = fopen(path, "r");
  if (!fp) {
    cfg_error(&snap->errors, file, 0, "cannot open: %s", strerror(errno));
    return;
  }
  parse_state ps = {.snap = snap, .file = file, .fp = fp, .section = -1};
  parse_stream(snap, &ps);
  fclose(fp);
}

static bool has_glob_chars(const char *s) { return strpbrk(s, "*?[") != NULL; }

static void include_pattern(cfg_snapshot *snap, const cfg_entry *e,
                            const char *pattern) {
  char *full;
  if (pattern[0] == '/') {
    full = xstrdup(pattern);
  } else {
    char *copy = xstrdup(snap->main_path);
    full = xasprintf("%s/%s", dirname(copy), pattern);
    free(copy);
  }
  glob_t g;
  int rc = glob(full, GLOB_ERR, NULL, &g);
  if (rc == GLOB_NOMATCH) {
    if (!has_glob_chars(full))
      cfg_error(&snap->errors, e->file, e->line, "include: no such file: %s",
                full);
  } else if (rc != 0) {
    cfg_error(&snap->errors, e->file, e->line, "include: cannot read %s",
              full);
  } else {
    for (size_t i = 0; i < g.gl_pathc; i++) parse_file(snap, g.gl_pathv[i]);
  }
  if (rc == 0 || rc == GLOB_NOMATCH) globfree(&g);
  free(full);
}

static void follow_includes(cfg_snapshot *snap) {
  const cfg_entry *e = cfg_section_get(cfg_find(snap, "host"), "include");
  if (!e) return;
  /* Copy: parsing more files may move the sections array. */
  char *list = xstrdup(e->value);
  cfg_entry where = *e;
  char *save = NULL;
  for (char *tok = strtok_r(list, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char *pattern = str_trim(tok);
    if (*pattern) include_pattern(snap, &where, pattern);
  }
  free(list);
}

cfg_snapshot *cfg_load(const char *path) {
  cfg_snapshot *snap = xcalloc(1, sizeof(*snap));
  snap->main_path = xstrdup(path);
  parse_file(snap, path);
  if (snap->errors.n == 0) follow_includes(snap);
  return snap;
}

cfg_snapshot *cfg_load_string(const char *name, const char *text) {
  cfg_snapshot *snap = xcalloc(1, sizeof(*snap));
  snap->main_path = xstrdup(name);
  parse_state ps = {.snap = snap, .file = remember_file(snap, name),
                    .text = text, .section = -1};
  parse_stream(snap, &ps);
  return snap;
}

void cfg_free(cfg_snapshot *snap) {
  if (!snap) return;
  for (size_t i = 0; i < snap->n; i++) {
    cfg_section *sec = &snap->sections[i];
    for (size_t j = 0; j < sec->n; j++) {
      free(sec->entries[j].key);
      free(sec->entries[j].value);
    }
    free(sec->entries);
    free(sec->name);
  }
  free(snap->sections);
  for (size_t i = 0; i < snap->nfiles; i++) free(snap->files[i]);
  free(snap->files);
  free(snap->main_path);
  cfg_errors_free(&snap->errors);
  free(snap);
}
