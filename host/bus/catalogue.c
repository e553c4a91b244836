/* Parsing the event catalogue text (format: sdk/events/catalogue.txt). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "internal.h"

struct ev_catalogue {
  ev_subject *subjects;
  size_t nsubjects, subjects_cap;
  ev_struct **structs;
  size_t nstructs, structs_cap;
  void **allocs; /* names and element types, freed with the catalogue */
  size_t nallocs, allocs_cap;
};

typedef struct parser {
  ev_catalogue *c;
  ev_struct *cur; /* the block fields go to */
  const char *name;
  unsigned line;
  char *err;
  size_t errlen;
} parser;

static int fail(parser *p, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
  return -1;
}

static void *keep(ev_catalogue *c, void *mem) {
  grow_array((void **)&c->allocs, &c->allocs_cap, c->nallocs + 1, sizeof(void *));
  c->allocs[c->nallocs++] = mem;
  return mem;
}

static const char *keep_str(ev_catalogue *c, const char *s) {
  return keep(c, xstrdup(s));
}

static const struct {
  const char *name;
  ev_kind kind;
} scalars[] = {
    {"u8", EV_U8},   {"u32", EV_U32}, {"u64", EV_U64}, {"i32", EV_I32},
    {"i64", EV_I64}, {"f32", EV_F32}, {"f64", EV_F64}, {"str", EV_STR},
    {"bool", EV_BOOL},
};

static int parse_type(parser *p, const char *s, ev_type *t) {
  memset(t, 0, sizeof(*t));
  bool array = str_has_prefix(s, "[]"), map = str_has_prefix(s, "map:");
  if (array || map) {
    ev_type *elem = keep(p->c, xcalloc(1, sizeof(*elem)));
    t->kind = array ? EV_ARRAY : EV_MAP;
    t->elem = elem;
    return parse_type(p, s + (array ? 2 : 4), elem);
  }
  if (str_has_prefix(s, "obj:") && s[4]) {
    t->kind = EV_OBJ;
    t->obj_name = keep_str(p->c, s + 4);
    return 0;
  }
  for (size_t i = 0; i < ARRAY_LEN(scalars); i++)
    if (strcmp(s, scalars[i].name) == 0) {
      t->kind = scalars[i].kind;
      return 0;
    }
  return fail(p, "unknown type '%s'", s);
}

static int add_field(parser *p, const char *name, char *type) {
  if (!p->cur) return fail(p, "a field outside an event or struct block");
  if (ev_struct_field(p->cur, name))
    return fail(p, "field '%s' twice in '%s'", name, p->cur->name);
  ev_field f = {.name = keep_str(p->c, name)};
  size_t tl = strlen(type);
  if (tl > 1 && type[tl - 1] == '?') {
    f.omitempty = true;
    type[tl - 1] = '\0';
  }
  if (parse_type(p, type, &f.type)) return -1;
  p->cur->fields = xrealloc(p->cur->fields, (p->cur->nfields + 1) * sizeof(ev_field));
  p->cur->fields[p->cur->nfields++] = f;
  return 0;
}

static ev_struct *find_struct(ev_catalogue *c, const char *name) {
  for (size_t i = 0; i < c->nstructs; i++)
    if (strcmp(c->structs[i]->name, name) == 0) return c->structs[i];
  return NULL;
}

static int add_struct(parser *p, const char *name) {
  if (find_struct(p->c, name)) return fail(p, "struct '%s' twice", name);
  ev_struct *s = xcalloc(1, sizeof(*s));
  s->name = keep_str(p->c, name);
  grow_array((void **)&p->c->structs, &p->c->structs_cap, p->c->nstructs + 1,
             sizeof(ev_struct *));
  p->c->structs[p->c->nstructs++] = s;
  p->cur = s;
  return 0;
}

static int parse_t(parser *p, const char *t, bool raw, int64_t *out) {
  if (raw) {
    *out = -1;
    return strcmp(t, "-") == 0 ? 0 : fail(p, "a raw event has no type: write '-'");
  }
  char *end;
  errno = 0;
  long long v = strtoll(t, &end, 10);
  if (errno || *end || end == t || v < 0)
    return fail(p, "bad type number '%s'", t);
  *out = v;
  return 0;
}

static int add_event(parser *p, const char *subject, const char *t, const char *form) {
  bool raw = strcmp(form, "raw") == 0;
  if (!raw && strcmp(form, "envelope") != 0)
    return fail(p, "form '%s': want envelope or raw", form);
  if (!bus_subject_valid(subject, true) || strchr(subject, '>'))
    return fail(p, "bad subject '%s'", subject);
  for (size_t i = 0; i < p->c->nsubjects; i++)
    if (strcmp(p->c->subjects[i].subject, subject) == 0)
      return fail(p, "subject '%s' twice", subject);
  ev_subject e = {.subject = keep_str(p->c, subject), .raw = raw, .line = p->line};
  if (parse_t(p, t, raw, &e.type)) return -1;
  e.payload.name = e.subject;
  grow_array((void **)&p->c->subjects, &p->c->subjects_cap, p->c->nsubjects + 1,
             sizeof(ev_subject));
  p->c->subjects[p->c->nsubjects] = e;
  p->cur = &p->c->subjects[p->c->nsubjects++].payload;
  return 0;
}

static int parse_line(parser *p, char *line) {
  bool indented = *line == ' ' || *line == '\t';
  char *tok[5] = {0};
  int n = 0;
  char *save = NULL;
  for (char *s = strtok_r(line, " \t\r", &save); s && n < 5;
       s = strtok_r(NULL, " \t\r", &save))
    tok[n++] = s;
  if (n == 0 || tok[0][0] == '#') return 0;
  if (indented) return n == 2 ? add_field(p, tok[0], tok[1])
                              : fail(p, "a field is '<Name> <type>'");
  if (strcmp(tok[0], "struct") == 0 && n == 2) return add_struct(p, tok[1]);
  if (strcmp(tok[0], "event") == 0 && n == 4) return add_event(p, tok[1], tok[2], tok[3]);
  return fail(p, "expected 'event <subject> <t> <form>' or 'struct <Name>'");
}

static int resolve(parser *p, ev_type *t) {
  if (t->kind == EV_ARRAY || t->kind == EV_MAP) return resolve(p, (ev_type *)t->elem);
  if (t->kind != EV_OBJ || t->obj) return 0;
  if (!(t->obj = find_struct(p->c, t->obj_name)))
    return fail(p, "unknown struct '%s'", t->obj_name);
  return 0;
}

static int resolve_struct(parser *p, ev_struct *s) {
  for (size_t i = 0; i < s->nfields; i++)
    if (resolve(p, &s->fields[i].type)) return -1;
  return 0;
}

static int resolve_all(parser *p) {
  p->line = 0;
  for (size_t i = 0; i < p->c->nsubjects; i++) {
    p->line = p->c->subjects[i].line;
    if (resolve_struct(p, &p->c->subjects[i].payload)) return -1;
  }
  for (size_t i = 0; i < p->c->nstructs; i++)
    if (resolve_struct(p, p->c->structs[i])) return -1;
  return 0;
}

ev_catalogue *ev_catalogue_parse(const char *text, size_t len, const char *name,
                                 char *err, size_t errlen) {
  parser p = {.c = xcalloc(1, sizeof(ev_catalogue)), .name = name, .err = err,
              .errlen = errlen};
  char *copy = xstrndup(text, len), *save = copy;
  int rc = 0;
  for (char *line = copy; line && rc == 0;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    p.line++;
    rc = parse_line(&p, line);
    line = nl ? nl + 1 : NULL;
  }
  free(save);
  if (rc == 0) rc = resolve_all(&p);
  if (rc == 0 && p.c->nsubjects == 0) {
    snprintf(err, errlen, "%s: no events", name);
    rc = -1;
  }
  if (rc == 0) return p.c;
  ev_catalogue_free(p.c);
  return NULL;
}

void ev_catalogue_free(ev_catalogue *c) {
  if (!c) return;
  for (size_t i = 0; i < c->nsubjects; i++) free(c->subjects[i].payload.fields);
  for (size_t i = 0; i < c->nstructs; i++) {
    free(c->structs[i]->fields);
    free(c->structs[i]);
  }
  for (size_t i = 0; i < c->nallocs; i++) free(c->allocs[i]);
  free(c->subjects);
  free(c->structs);
  free(c->allocs);
  free(c);
}

size_t ev_catalogue_count(const ev_catalogue *c) { return c ? c->nsubjects : 0; }

ev_subject *ev_catalogue_at(ev_catalogue *c, size_t i) {
  return c && i < c->nsubjects ? &c->subjects[i] : NULL;
}

ev_subject *ev_catalogue_find(ev_catalogue *c, const char *subject) {
  for (size_t i = 0; c && subject && i < c->nsubjects; i++)
    if (bus_subject_match(c->subjects[i].subject, subject)) return &c->subjects[i];
  return NULL;
}

const ev_field *ev_struct_field(const ev_struct *s, const char *name) {
  for (size_t i = 0; i < s->nfields; i++)
    if (strcmp(s->fields[i].name, name) == 0) return &s->fields[i];
  return NULL;
}
