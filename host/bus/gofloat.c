/* Floats as Go's encoding/json writes them: strconv's shortest digits that
 * read back as the same float64 (or float32), in 'f' notation between 1e-6
 * and 1e21 and 'e' notation outside, with a negative exponent's leading
 * zero dropped (1e-07 -> 1e-7) as encoding/json does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gojson.h"

typedef struct decimal {
  bool neg;
  char digits[24]; /* significant digits, no dot */
  int n;
  int exp; /* value = d.ddd x 10^exp */
} decimal;

static bool reads_back(const char *text, double v, int bits) {
  if (bits == 32) return strtof(text, NULL) == (float)v;
  return strtod(text, NULL) == v;
}

static void parse_e(const char *buf, decimal *d) {
  const char *p = buf;
  d->neg = *p == '-';
  if (d->neg) p++;
  d->n = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.') d->digits[d->n++] = *p;
  d->exp = atoi(p + 1);
}

static void format_e(const decimal *d, char *buf, size_t len) {
  snprintf(buf, len, "%s%c.%.*se%d", d->neg ? "-" : "", d->digits[0], d->n - 1,
           d->digits + 1, d->exp);
}

/* The n-digit decimal one unit of the last digit away (up or down). */
static void step(decimal *d, int dir) {
  int i = d->n - 1;
  char wrap = dir > 0 ? '9' : '0';
  for (; i >= 0 && d->digits[i] == wrap; i--) d->digits[i] = dir > 0 ? '0' : '9';
  if (i >= 0) d->digits[i] = (char)(d->digits[i] + dir);
  if (dir > 0 && i < 0) { /* 9.99 -> 10.0: 1.00, one decade up */
    d->digits[0] = '1';
    d->exp++;
  } else if (dir < 0 && d->digits[0] == '0') { /* 1.00 -> 0.99: 9.99 below */
    memset(d->digits, '9', (size_t)d->n);
    d->exp--;
  }
}

static bool power_of_two(double v) {
  int exp;
  return fabs(frexp(v, &exp)) == 0.5;
}

/* An n-digit decimal that reads back as v: the nearest one, or (at a power
 * of two, where the interval that reads back is wider on one side) one of
 * its neighbours, as strconv finds it. */
static bool fits(double v, int bits, int n, decimal *d) {
  char buf[48];
  snprintf(buf, sizeof(buf), "%.*e", n - 1, v);
  parse_e(buf, d);
  if (reads_back(buf, v, bits)) return true;
  if (!power_of_two(v)) return false;
  for (int dir = -1; dir <= 1; dir += 2) {
    decimal nb = *d;
    step(&nb, dir);
    format_e(&nb, buf, sizeof(buf));
    if (reads_back(buf, v, bits)) {
      *d = nb;
      return true;
    }
  }
  return false;
}

/* The fewest digits that read back as v. If n digits can, n + 1 can: a
 * binary search over the digit count finds the fewest. */
static void shortest(double v, int bits, decimal *d) {
  int lo = 1, hi = bits == 32 ? 9 : 17;
  decimal found;
  bool have = false;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (fits(v, bits, mid, d)) {
      hi = mid;
      found = *d;
      have = true;
    } else {
      lo = mid + 1;
    }
  }
  if (have && found.n == lo) *d = found; /* the last fit was at lo */
  else fits(v, bits, lo, d);
  while (d->n > 1 && d->digits[d->n - 1] == '0') d->n--;
}

static void put_f(strbuf *out, const decimal *d) {
  if (d->exp < 0) {
    sb_puts(out, "0.");
    for (int i = -1; i > d->exp; i--) sb_append(out, "0", 1);
    sb_append(out, d->digits, (size_t)d->n);
    return;
  }
  int whole = d->exp + 1;
  sb_append(out, d->digits, (size_t)(d->n < whole ? d->n : whole));
  for (int i = d->n; i < whole; i++) sb_append(out, "0", 1);
  if (d->n > whole) {
    sb_append(out, ".", 1);
    sb_append(out, d->digits + whole, (size_t)(d->n - whole));
  }
}

static void put_e(strbuf *out, const decimal *d) {
  sb_append(out, d->digits, 1);
  if (d->n > 1) {
    sb_append(out, ".", 1);
    sb_append(out, d->digits + 1, (size_t)(d->n - 1));
  }
  if (d->exp < 0) sb_printf(out, "e-%d", -d->exp);
  else sb_printf(out, "e+%02d", d->exp);
}

void gojson_float(strbuf *out, double v, int bits) {
  if (bits == 32) v = (float)v;
  double a = fabs(v);
  bool e_form = bits == 32 ? a != 0 && ((float)a < 1e-6f || (float)a >= 1e21f)
                           : a != 0 && (a < 1e-6 || a >= 1e21);
  decimal d;
  shortest(v, bits, &d);
  if (d.neg) sb_append(out, "-", 1);
  if (e_form) put_e(out, &d);
  else put_f(out, &d);
}
