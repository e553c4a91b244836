/*
 * JSON written exactly as Go's encoding/json writes it (Go >= 1.22), from
 * jansson values, so that what Stratus publishes is byte for byte what
 * ToCloud9's Go services publish:
 *
 *  - compact; object keys in insertion order (a Go struct's field order when
 *    the payload was checked against the catalogue), map keys sorted;
 *  - strings: `<` `>` `&` as \u003c \u003e \u0026, U+2028/U+2029 as
 *    \u2028/\u2029, invalid UTF-8 as \ufffd (one per bad byte), \n \r \t \b
 *    \f, other control characters as \u00XX (lower-case hex), everything
 *    else (non-ASCII UTF-8 included) raw;
 *  - integers as numbers; reals in Go's shortest form for float64, or for
 *    float32 when the catalogue says f32 ('f' notation for 1e-6 <= |x| <
 *    1e21, else 'e' with Go's exponent cleanup: 1e-07 -> 1e-7);
 *  - json_null() is null (a Go nil slice or map).
 *
 * jansson's integers are signed 64-bit: a u64 above INT64_MAX cannot be
 * held as such. Where the catalogue says u64, a negative integer is taken as
 * the same 64 bits unsigned ((json_int_t)(int64_t)value), so such values
 * can be published in catalogued fields; elsewhere they cannot.
 */
#ifndef STRATUS_HOST_BUS_GOJSON_H
#define STRATUS_HOST_BUS_GOJSON_H

#include <jansson.h>

#include "catalogue.h"
#include "util.h"

/* Append `v` to `out`. `t` is the value's catalogue type, or NULL for a
 * value written by its jansson kind alone. 0, or STRATUS_EINVAL when the
 * value nests deeper than GOJSON_MAX_DEPTH (out is then partly written). */
#define GOJSON_MAX_DEPTH 512
int gojson_write(strbuf *out, const json_t *v, const ev_type *t);

/* One string as a Go JSON string literal (quotes included). */
void gojson_string(strbuf *out, const char *s, size_t len);
/* A float as Go writes a float64 (bits 64) or float32 (bits 32). */
void gojson_float(strbuf *out, double v, int bits);

#endif
