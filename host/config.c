#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Lines longer than this are errors with file:line, never truncated. The
 * file is read here and split into lines by the project, so the only limit
 * is this one. */
#define CFG_MAX_LINE 65536

/* Per-file parse state. */
typedef struct parse_state {
  cfg_snapshot *snap;
  const char *file;
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

/* Checks one line and opens the section a header names. Returns false when
 * the line was reported here and must be skipped. */
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

static void add_entry(parse_state *ps, const char *name, const char *value) {
  cfg_snapshot *snap = ps->snap;
  if (ps->section == -2) return;
  if (ps->section < 0) {
    cfg_error(&snap->errors, ps->file, ps->line,
              "key '%s' outside of any [section]", name);
    return;
  }
  cfg_section *sec = &snap->sections[ps->section];
  const cfg_entry *prev = cfg_section_get(sec, name);
  if (prev) {
    cfg_error(&snap->errors, ps->file, ps->line,
              "duplicate key '%s' in [%s] (first set at %s:%d)", name,
              sec->name, prev->file, prev->line);
    return;
  }
  if (!valid_name(name, false)) {
    cfg_error(&snap->errors, ps->file, ps->line, "invalid key name '%s'", name);
    return;
  }
  grow_array((void **)&sec->entries, &sec->cap, sec->n + 1, sizeof(cfg_entry));
  cfg_entry *e = &sec->entries[sec->n++];
  e->key = xstrdup(name);
  e->value = xstrdup(value);
  e->file = ps->file;
  e->line = ps->line;
}

static const char *remember_file(cfg_snapshot *snap, const char *path) {
  grow_array((void **)&snap->files, &snap->files_cap, snap->nfiles + 1,
             sizeof(char *));
  snap->files[snap->nfiles] = xstrdup(path);
  return snap->files[snap->nfiles++];
}

/* "key = value ; comment": a ';' after whitespace starts a comment, as in
 * inih; spaces around key and value are removed. */
static void parse_pair(parse_state *ps, char *line) {
  char *eq = strchr(line, '=');
  if (!eq) return; /* check_line reported it */
  *eq = '\0';
  char *value = eq + 1;
  for (char *p = value; *p; p++)
    if (*p == ';' && p > value && isspace((unsigned char)p[-1])) {
      *p = '\0';
      break;
    }
  add_entry(ps, str_trim(line), str_trim(value));
}

static void parse_line(parse_state *ps, char *line, size_t len) {
  if (len > CFG_MAX_LINE) {
    cfg_error(&ps->snap->errors, ps->file, ps->line,
              "line longer than %d characters (the limit of a line)",
              CFG_MAX_LINE);
    return;
  }
  while (len && (line[len - 1] == '\r' || line[len - 1] == '\n')) line[--len] = '\0';
  if (!check_line(ps, line)) return;
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  /* check_line takes a line that starts with a stray CR as blank, too. */
  if (*p && *p != ';' && *p != '#' && *p != '[' && *p != '\r') parse_pair(ps, line);
}

/* Splits text (modified in place) into lines; a UTF-8 BOM is skipped. */
static void parse_text(parse_state *ps, char *text) {
  if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3;
  while (*text) {
    char *eol = strchr(text, '\n');
    size_t len = eol ? (size_t)(eol - text) : strlen(text);
    char *next = eol ? eol + 1 : text + len;
    text[len] = '\0';
    ps->line++;
    parse_line(ps, text, len);
    text = next;
  }
}

static char *read_all(FILE *fp, size_t *len) {
  strbuf sb;
  char buf[8192];
  size_t n;
  sb_init(&sb);
  while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) sb_append(&sb, buf, n);
  if (ferror(fp)) {
    sb_free(&sb);
    return NULL;
  }
  *len = sb.len;
  return sb.data ? sb_steal(&sb) : xstrdup("");
}

/* A NUL byte would silently end the text early: refuse the file. */
static bool has_nul(parse_state *ps, const char *text, size_t len) {
  const char *nul = memchr(text, '\0', len);
  if (!nul) return false;
  int line = 1;
  for (const char *p = text; p < nul; p++) line += *p == '\n';
  cfg_error(&ps->snap->errors, ps->file, line, "NUL byte (not a text file?)");
  return true;
}

static void parse_file(cfg_snapshot *snap, const char *path) {
  const char *file = remember_file(snap, path);
  FILE *fp = fopen(path, "r");
  size_t len = 0;
  char *text = fp ? read_all(fp, &len) : NULL;
  if (!text) {
    cfg_error(&snap->errors, file, 0, "cannot %s: %s", fp ? "read" : "open",
              strerror(errno));
    if (fp) fclose(fp);
    return;
  }
  fclose(fp);
  parse_state ps = {.snap = snap, .file = file, .section = -1};
  if (!has_nul(&ps, text, len)) parse_text(&ps, text);
  free(text);
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
                    .section = -1};
  char *copy = xstrdup(text);
  parse_text(&ps, copy);
  free(copy);
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
