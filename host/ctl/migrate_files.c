/* Migration files: names, checksums, statement splitting. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "migrate.h"

/* NNNN_<what>.sql: four or more digits, '_', then [A-Za-z0-9_-]+. */
static bool parse_name(const char *name, unsigned *version) {
  size_t digits = strspn(name, "0123456789");
  if (digits < 4 || digits > 9 || name[digits] != '_') return false;
  const char *what = name + digits + 1;
  size_t n = strlen(what);
  if (n <= 4 || strcmp(what + n - 4, ".sql") != 0) return false;
  for (size_t i = 0; i < n - 4; i++)
    if (!isalnum((unsigned char)what[i]) && what[i] != '_' && what[i] != '-')
      return false;
  *version = (unsigned)strtoul(name, NULL, 10);
  return *version > 0;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  strbuf sb;
  sb_init(&sb);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) sb_append(&sb, buf, n);
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    sb_free(&sb);
    return NULL;
  }
  *len = sb.len;
  return sb.data ? sb_steal(&sb) : xstrdup("");
}

static void sha256_hex(const char *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
  for (unsigned i = 0; i < mdlen && i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
  out[64] = '\0';
}

/* ---- splitting ------------------------------------------------------------ */

typedef struct scan {
  char quote;   /* ', " or ` while inside one */
  bool block;   /* inside a block comment */
} scan;

/* Copy one line without its comments; quotes and block comments may span
 * lines. */
static void strip_line(scan *s, const char *p, const char *end, strbuf *out) {
  for (; p < end; p++) {
    if (s->block) {
      if (p[0] == '*' && p + 1 < end && p[1] == '/') s->block = false, p++;
      continue;
    }
    if (s->quote) {
      if (*p == '\\' && s->quote != '`' && p + 1 < end) {
        sb_append(out, p, 2);
        p++;
        continue;
      }
      if (*p == s->quote) s->quote = 0;
    } else if (*p == '\'' || *p == '"' || *p == '`') {
      s->quote = *p;
    } else if (*p == '#' ||
               (p[0] == '-' && p + 1 < end && p[1] == '-' &&
                (p + 2 == end || isspace((unsigned char)p[2])))) {
      return;
    } else if (p[0] == '/' && p + 1 < end && p[1] == '*') {
      s->block = true;
      p++;
      continue;
    }
    sb_append(out, p, 1);
  }
}

static void rtrim(strbuf *sb) {
  while (sb->len && isspace((unsigned char)sb->data[sb->len - 1]))
    sb->data[--sb->len] = '\0';
}

static void push_stmt(strbuf *cur, int line, char ***stmts, int **lines, size_t *n,
                      size_t caps[2]) {
  rtrim(cur);
  const char *s = cur->data ? cur->data : "";
  while (isspace((unsigned char)*s)) s++;
  if (*s) {
    grow_array((void **)stmts, &caps[0], *n + 1, sizeof(char *));
    grow_array((void **)lines, &caps[1], *n + 1, sizeof(int));
    (*stmts)[*n] = xstrdup(s);
    (*lines)[(*n)++] = line;
  }
  sb_free(cur);
  sb_init(cur);
}

size_t sql_split(const char *text, char ***stmts, int **lines) {
  *stmts = NULL;
  *lines = NULL;
  size_t n = 0, caps[2] = {0, 0};
  scan s = {0};
  strbuf cur;
  sb_init(&cur);
  int lineno = 0, start = 0;
  for (const char *p = text; *p;) {
    const char *eol = strchr(p, '\n');
    const char *end = eol ? eol : p + strlen(p);
    lineno++;
    size_t before = cur.len;
    strip_line(&s, p, end, &cur);
    if (before == 0 && cur.len) start = lineno;
    rtrim(&cur);
    if (!s.quote && !s.block && cur.len && cur.data[cur.len - 1] == ';') {
      cur.data[--cur.len] = '\0';
      push_stmt(&cur, start, stmts, lines, &n, caps);
    } else if (cur.len) {
      sb_append(&cur, "\n", 1);
    }
    p = eol ? eol + 1 : end;
  }
  push_stmt(&cur, start, stmts, lines, &n, caps);
  sb_free(&cur);
  return n;
}

/* ---- loading -------------------------------------------------------------- */

static int by_version(const void *a, const void *b) {
  unsigned x = ((const migration *)a)->version, y = ((const migration *)b)->version;
  return x < y ? -1 : x > y;
}

static int load_one(const char *dir, const char *name, unsigned version,
                    migration *m, strbuf *errs) {
  char *path = xasprintf("%s/%s", dir, name);
  size_t len = 0;
  char *text = read_file(path, &len);
  int rc = 0;
  memset(m, 0, sizeof(*m));
  m->version = version;
  m->file = xstrdup(name);
  if (!text) {
    sb_printf(errs, "%s: %s\n", path, strerror(errno));
    free(path);
    return -1;
  }
  sha256_hex(text, len, m->checksum);
  m->nstmts = sql_split(text, &m->stmts, &m->lines);
  for (size_t i = 0; i < m->nstmts; i++) {
    char why[512];
    if (migration_guard_ok(m->stmts[i], why, sizeof(why))) continue;
    sb_printf(errs, "%s:%d: refused: %s\n", path, m->lines[i], why);
    rc = -1;
  }
  free(text);
  free(path);
  return rc;
}

int migrations_load(const char *dir, migration_set *out, strbuf *errs) {
  memset(out, 0, sizeof(*out));
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) return 0;
    sb_printf(errs, "%s: %s\n", dir, strerror(errno));
    return -1;
  }
  size_t cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    unsigned v;
    if (e->d_name[0] == '.' || strstr(e->d_name, ".sql") == NULL) continue;
    if (!parse_name(e->d_name, &v)) {
      sb_printf(errs, "%s/%s: not a migration name (NNNN_<what>.sql)\n", dir, e->d_name);
      rc = -1;
      continue;
    }
    grow_array((void **)&out->items, &cap, out->n + 1, sizeof(migration));
    if (load_one(dir, e->d_name, v, &out->items[out->n++], errs) != 0) rc = -1;
  }
  closedir(d);
  if (out->n > 1) qsort(out->items, out->n, sizeof(migration), by_version);
  for (size_t i = 1; i < out->n; i++)
    if (out->items[i].version == out->items[i - 1].version) {
      sb_printf(errs, "%s: %s and %s have the same version\n", dir,
                out->items[i - 1].file, out->items[i].file);
      rc = -1;
    }
  return rc;
}

void migrations_free(migration_set *set) {
  for (size_t i = 0; i < set->n; i++) {
    migration *m = &set->items[i];
    for (size_t j = 0; j < m->nstmts; j++) free(m->stmts[j]);
    free(m->stmts);
    free(m->lines);
    free(m->file);
  }
  free(set->items);
  memset(set, 0, sizeof(*set));
}
