#include "mapset.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void mapset_free(mapset *s) {
  free(s->ids);
  s->ids = NULL;
  s->n = s->cap = 0;
}

void mapset_clear(mapset *s) { s->n = 0; }

/* Index of the first element >= id. */
static size_t lower_bound(const mapset *s, uint32_t id) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

bool mapset_has(const mapset *s, uint32_t id) {
  size_t i = lower_bound(s, id);
  return i < s->n && s->ids[i] == id;
}

void mapset_add(mapset *s, uint32_t id) {
  size_t i = lower_bound(s, id);
  if (i < s->n && s->ids[i] == id) return;
  grow_array((void **)&s->ids, &s->cap, s->n + 1, sizeof(uint32_t));
  memmove(&s->ids[i + 1], &s->ids[i], (s->n - i) * sizeof(uint32_t));
  s->ids[i] = id;
  s->n++;
}

bool mapset_remove(mapset *s, uint32_t id) {
  size_t i = lower_bound(s, id);
  if (i >= s->n || s->ids[i] != id) return false;
  memmove(&s->ids[i], &s->ids[i + 1], (s->n - i - 1) * sizeof(uint32_t));
  s->n--;
  return true;
}

void mapset_copy(mapset *dst, const mapset *src) {
  mapset_clear(dst);
  for (size_t i = 0; i < src->n; i++) mapset_add(dst, src->ids[i]);
}

bool mapset_equal(const mapset *a, const mapset *b) {
  return a->n == b->n && (a->n == 0 || memcmp(a->ids, b->ids, a->n * sizeof(uint32_t)) == 0);
}

size_t mapset_parse(mapset *s, const char *text) {
  size_t skipped = 0;
  const char *p = text ? text : "";
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    if (!*p) break;
    char *end = (char *)p;
    unsigned long v = isdigit((unsigned char)*p) ? strtoul(p, &end, 10) : 0;
    if (end == p || (*end && *end != ',' && *end != ' ') || v > UINT32_MAX) {
      skipped++;
      while (*p && *p != ',') p++;
      continue;
    }
    mapset_add(s, (uint32_t)v);
    p = end;
  }
  return skipped;
}
