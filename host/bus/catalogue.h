/*
 * The event catalogue: every subject Stratus publishes or consumes, its
 * ToCloud9 type number, its form (envelope or raw) and its payload fields
 * with their Go names and JSON types. The text is sdk/events/catalogue.txt
 * (format described there), embedded into stratusd at build time.
 */
#ifndef STRATUS_HOST_BUS_CATALOGUE_H
#define STRATUS_HOST_BUS_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef enum ev_kind {
  EV_U8, EV_U32, EV_U64, EV_I32, EV_I64, EV_F32, EV_F64, EV_STR, EV_BOOL,
  EV_ARRAY, /* elem */
  EV_MAP,   /* string keys, elem values */
  EV_OBJ,   /* obj */
} ev_kind;

typedef struct ev_struct ev_struct;
typedef struct ev_type {
  ev_kind kind;
  const struct ev_type *elem;
  const ev_struct *obj;
  const char *obj_name; /* until resolved */
} ev_type;

typedef struct ev_field {
  const char *name;
  ev_type type;
  bool omitempty;
} ev_field;

struct ev_struct {
  const char *name;
  ev_field *fields;
  size_t nfields;
};

typedef struct ev_subject {
  const char *subject; /* NATS tokens, `*` for an ID */
  int64_t type;        /* -1 for the raw form */
  bool raw;
  ev_struct payload;
  unsigned line;
  bool warned; /* a refused payload was logged */
} ev_subject;

typedef struct ev_catalogue ev_catalogue;

/* Parse a catalogue text; `name` prefixes errors ("name:line: what").
 * NULL with `err` set on any error. */
ev_catalogue *ev_catalogue_parse(const char *text, size_t len, const char *name,
                                 char *err, size_t errlen);
void ev_catalogue_free(ev_catalogue *c);

size_t ev_catalogue_count(const ev_catalogue *c);
ev_subject *ev_catalogue_at(ev_catalogue *c, size_t i);
/* The entry whose subject pattern matches `subject`, or NULL. */
ev_subject *ev_catalogue_find(ev_catalogue *c, const char *subject);
const ev_field *ev_struct_field(const ev_struct *s, const char *name);

/* stratusd's own catalogue (the embedded text), parsed on first use. A
 * broken embedded text is a build bug: it aborts with the error. */
ev_catalogue *ev_catalogue_builtin(void);
void ev_catalogue_builtin_free(void);

/* Check `payload` (borrowed) against `s`: every key known, every field
 * that is not omitempty present, every value of its field's type (u8/u32/
 * i32 in range; []T an array or null; obj a matching object; map an object
 * or null). Returns a new object with the keys in struct order, or NULL
 * with the first difference in `err`. */
json_t *ev_conform(const ev_struct *s, json_t *payload, char *err,
                   size_t errlen);

#endif
