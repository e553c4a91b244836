/* The migration guard: Stratus may change its own tables (stratus_*) freely,
 * may ADD to AzerothCore's tables, and never drops, renames or changes what
 * AzerothCore owns. A small tokenizer is enough: the statements come from
 * our own files, and anything the guard does not understand about an
 * AzerothCore table is refused. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "migrate.h"

typedef enum { T_WORD, T_QUOTED_NAME, T_STRING, T_PUNCT, T_END } tok_type;

typedef struct tok {
  tok_type type;
  char *text;
} tok;

typedef struct toks {
  tok *v;
  size_t n, cap;
} toks;

static void add(toks *t, tok_type type, const char *s, size_t len) {
  grow_array((void **)&t->v, &t->cap, t->n + 1, sizeof(tok));
  t->v[t->n++] = (tok){type, xstrndup(s, len)};
}

static const char *quoted(toks *t, const char *p) {
  char q = *p++;
  const char *start = p;
  while (*p && *p != q) p += (*p == '\\' && q != '`' && p[1]) ? 2 : 1;
  add(t, q == '`' ? T_QUOTED_NAME : T_STRING, start, (size_t)(p - start));
  return *p ? p + 1 : p;
}

static void tokenize(const char *s, toks *t) {
  memset(t, 0, sizeof(*t));
  for (const char *p = s; *p;) {
    if (isspace((unsigned char)*p)) {
      p++;
    } else if (*p == '`' || *p == '\'' || *p == '"') {
      p = quoted(t, p);
    } else if (isalnum((unsigned char)*p) || *p == '_' || *p == '$') {
      const char *start = p;
      while (isalnum((unsigned char)*p) || *p == '_' || *p == '$') p++;
      add(t, T_WORD, start, (size_t)(p - start));
    } else {
      add(t, T_PUNCT, p, 1);
      p++;
    }
  }
  add(t, T_END, "", 0);
}

static void toks_free(toks *t) {
  for (size_t i = 0; i < t->n; i++) free(t->v[i].text);
  free(t->v);
}

typedef struct guard {
  toks t;
  size_t i;
  char *why;
  size_t whylen;
} guard;

static bool kw(guard *g, const char *word) {
  const tok *k = &g->t.v[g->i];
  return k->type == T_WORD && strcasecmp(k->text, word) == 0;
}

static bool accept(guard *g, const char *word) {
  if (!kw(g, word)) return false;
  g->i++;
  return true;
}

static bool punct(guard *g, char c) {
  const tok *k = &g->t.v[g->i];
  return k->type == T_PUNCT && k->text[0] == c;
}

static void skip_if_exists(guard *g) {
  size_t at = g->i;
  if (accept(g, "IF")) {
    accept(g, "NOT");
    if (accept(g, "EXISTS")) return;
  }
  g->i = at;
}

/* A possibly qualified name (db.table); returns its last part. */
static const char *name(guard *g) {
  const char *last = "";
  for (;;) {
    tok *k = &g->t.v[g->i];
    if (k->type != T_WORD && k->type != T_QUOTED_NAME) return last;
    last = k->text;
    g->i++;
    if (!punct(g, '.')) return last;
    g->i++;
  }
}

static bool ours(const char *n) { return strncasecmp(n, "stratus_", 8) == 0; }

static bool refuse(guard *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool refuse(guard *g, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->why, g->whylen, fmt, ap);
  va_end(ap);
  return false;
}

static bool each_name_ours(guard *g, const char *what) {
  do {
    if (punct(g, ',')) g->i++;
    const char *n = name(g);
    if (!ours(n)) return refuse(g, "%s `%s`: not a Stratus table (stratus_*)", what, n);
    if (accept(g, "TO")) name(g); /* RENAME TABLE a TO b */
  } while (punct(g, ','));
  return true;
}

static bool check_drop(guard *g) {
  accept(g, "TEMPORARY");
  if (accept(g, "TABLE") || accept(g, "TABLES")) {
    skip_if_exists(g);
    return each_name_ours(g, "DROP TABLE");
  }
  if (accept(g, "DATABASE") || accept(g, "SCHEMA"))
    return refuse(g, "DROP DATABASE is never allowed");
  bool index = accept(g, "INDEX");
  if (!index) g->i++; /* VIEW, TRIGGER, PROCEDURE... */
  skip_if_exists(g);
  const char *n = name(g);
  if (ours(n)) return true;
  if (index && accept(g, "ON") && ours(name(g))) return true;
  return refuse(g, "DROP of `%s`: only Stratus objects (stratus_*) may be dropped", n);
}

/* One clause of ALTER TABLE on an AzerothCore table. */
static bool check_clause(guard *g, const char *table) {
  if (accept(g, "ADD") || accept(g, "ALGORITHM") || accept(g, "LOCK")) return true;
  if (accept(g, "DROP")) {
    if (kw(g, "PRIMARY"))
      return refuse(g, "would drop the primary key of AzerothCore table `%s`", table);
    if (accept(g, "FOREIGN"))
      accept(g, "KEY");
    else if (!accept(g, "COLUMN") && !accept(g, "INDEX") && !accept(g, "KEY") &&
             !accept(g, "CONSTRAINT") && !accept(g, "CHECK"))
      accept(g, "PARTITION");
    skip_if_exists(g);
    const char *n = name(g);
    return ours(n) ? true
                   : refuse(g, "would drop `%s` of AzerothCore table `%s`", n, table);
  }
  bool rename = kw(g, "RENAME");
  if (accept(g, "MODIFY") || accept(g, "CHANGE") || accept(g, "ALTER") ||
      accept(g, "RENAME")) {
    if (rename && !(kw(g, "COLUMN") || kw(g, "INDEX") || kw(g, "KEY")))
      return refuse(g, "would rename AzerothCore table `%s`", table);
    if (!accept(g, "COLUMN") && !accept(g, "INDEX")) accept(g, "KEY");
    skip_if_exists(g);
    const char *n = name(g);
    return ours(n) ? true
                   : refuse(g, "would alter `%s` of AzerothCore table `%s`", n, table);
  }
  return refuse(g, "`%s` on AzerothCore table `%s`: only ADD is allowed",
                g->t.v[g->i].text, table);
}

/* Move past the rest of a clause: up to a ',' outside parentheses. */
static void skip_clause(guard *g) {
  int depth = 0;
  for (; g->t.v[g->i].type != T_END; g->i++) {
    if (punct(g, '(')) depth++;
    else if (punct(g, ')')) depth--;
    else if (punct(g, ',') && depth <= 0) return;
  }
}

static bool check_alter(guard *g) {
  accept(g, "ONLINE");
  accept(g, "IGNORE");
  if (accept(g, "DATABASE") || accept(g, "SCHEMA"))
    return refuse(g, "ALTER DATABASE is never allowed");
  if (!accept(g, "TABLE")) return true; /* ALTER VIEW, EVENT... */
  skip_if_exists(g);
  const char *table = name(g);
  if (ours(table)) return true;
  for (;;) {
    if (!check_clause(g, table)) return false;
    skip_clause(g);
    if (!punct(g, ',')) return true;
    g->i++;
  }
}

static bool check(guard *g) {
  if (accept(g, "DROP")) return check_drop(g);
  if (accept(g, "ALTER")) return check_alter(g);
  if (accept(g, "TRUNCATE")) {
    accept(g, "TABLE");
    return each_name_ours(g, "TRUNCATE");
  }
  if (accept(g, "RENAME")) {
    if (!accept(g, "TABLE")) accept(g, "TABLES");
    return each_name_ours(g, "RENAME TABLE");
  }
  if (accept(g, "CREATE") && accept(g, "OR") && accept(g, "REPLACE")) {
    accept(g, "TEMPORARY");
    if (accept(g, "TABLE")) return each_name_ours(g, "CREATE OR REPLACE TABLE");
  }
  return true;
}

bool migration_guard_ok(const char *stmt, char *why, size_t whylen) {
  guard g = {.why = why, .whylen = whylen};
  tokenize(stmt, &g.t);
  bool ok = check(&g);
  toks_free(&g.t);
  return ok;
}
