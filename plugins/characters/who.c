#include "who.h"

#include <stdlib.h>
#include <string.h>

#include <stratus/text.h>

#include "guid.h"

/* Guild names are few: each query tests them once, up front, and the scan
 * then only looks a guild id up in this table. Bit 0: the guild filter
 * matches; bit 1 + i: free string i matches. */
typedef struct guild_hits {
  hmap map; /* hmap_mix64(guild id) -> &hit_values[bits] */
} guild_hits;

static const unsigned char hit_values[1 << (WHO_MAX_STRINGS + 1)];

void who_text_set(who_text *t, const char *s, size_t len) {
  if (len > WHO_MAX_TEXT) len = WHO_MAX_TEXT;
  stratus_name_fold(s, len, t->folded);
  t->len = len;
  t->bigrams = online_bigrams(t->folded, len);
}

bool who_contains(const char *hay, size_t hn, const char *needle, size_t nn) {
  if (nn == 0) return true;
  if (nn > hn) return false;
  const char first = needle[0];
  for (size_t i = 0; i + nn <= hn; i++) {
    if (hay[i] == first && memcmp(hay + i, needle, nn) == 0) return true;
  }
  return false;
}

static bool contains(const char *hay, size_t hn, const who_text *t) {
  return who_contains(hay, hn, t->folded, t->len);
}

static unsigned guild_bits(const who_filter *f, const oc_guild *g) {
  unsigned bits = 0;
  if (f->guild.len && contains(g->lname, g->len, &f->guild)) bits |= 1;
  for (size_t i = 0; i < f->nstrings; i++)
    if (f->strings[i].len && contains(g->lname, g->len, &f->strings[i])) bits |= 2u << i;
  return bits;
}

static void guild_hits_build(const online *o, const who_filter *f, guild_hits *h) {
  for (size_t i = 0; i < o->guilds.cap; i++) {
    const oc_guild *g = o->guilds.slots[i].val;
    if (!g || guid_key_realm(g->key) != f->realm) continue;
    unsigned bits = guild_bits(f, g);
    if (bits) hmap_put(&h->map, hmap_mix64(guid_key_low(g->key)), (void *)&hit_values[bits]);
  }
}

static unsigned guild_hits_of(const guild_hits *h, uint32_t guild) {
  const unsigned char *v = guild ? hmap_get(&h->map, hmap_mix64(guild), NULL, NULL) : NULL;
  return v ? (unsigned)(v - hit_values) : 0;
}

static bool in_zones(const who_filter *f, uint32_t zone) {
  for (size_t i = 0; i < f->nzones; i++)
    if (f->zones[i] == zone) return true;
  return false;
}

/* Per-query tables: does race r (with its faction) / class c pass? */
typedef struct who_tables {
  uint8_t race_ok[256], class_ok[256];
} who_tables;

static void tables_build(const who_filter *f, who_tables *t) {
  for (unsigned v = 0; v < 256; v++) {
    bool race = v < 32 && (f->race_mask >> v & 1) && (f->team < 0 || online_team((uint8_t)v) == f->team);
    t->race_ok[v] = race;
    t->class_ok[v] = v < 32 && (f->class_mask >> v & 1);
  }
}

/* The cheap part, without branches (random races and levels would make a
 * branch per test mispredict half the time): one 24-byte row, two table
 * lookups, a range test and the name's bigram test. */
static unsigned cheap_match(const who_filter *f, const who_tables *t, const oc_row *r,
                            uint64_t need) {
  unsigned m = t->race_ok[r->race] & t->class_ok[r->cls] & (r->level >= f->lvl_min) &
               (r->level <= f->lvl_max) & ((r->bigrams & need) == need);
  return f->nzones ? m & in_zones(f, r->zone) : m;
}

/* Could the name contain t? Then compare the text. */
static bool name_has(const oc_row *r, const oc_char *c, const who_text *t) {
  return (r->bigrams & t->bigrams) == t->bigrams && contains(c->lname, c->name_len, t);
}

static bool text_matches(const who_filter *f, const oc_row *r, const oc_char *c,
                         unsigned guild) {
  if (f->name.len && !name_has(r, c, &f->name)) return false;
  if (f->guild.len && !(guild & 1)) return false;
  bool any = false;
  for (size_t i = 0; i < f->nstrings; i++) {
    if (!f->strings[i].len) continue;
    if ((guild & (2u << i)) || name_has(r, c, &f->strings[i])) return true;
    any = true;
  }
  return !any;
}

/* The ids 0..15 that a per-id table admits, into ids; returns how many. */
static size_t admitted(const uint8_t ok[256], uint8_t ids[WHO_CELL_IDS]) {
  size_t n = 0;
  for (unsigned v = 0; v < WHO_CELL_IDS; v++)
    if (ok[v]) ids[n++] = (uint8_t)v;
  return n;
}

typedef struct who_out {
  const online *o;
  const who_filter *f;
  who_each each;
  void *ud;
  uint32_t listed;
} who_out;

static void list_cell(who_out *out, const oc_char *c) {
  for (; c && out->listed < out->f->max_results; c = c->cell_next, out->listed++)
    out->each(c, c->guild_id ? online_guild(out->o, out->f->realm, c->guild_id) : NULL,
              out->ud);
}

/* Races or classes of 16 and more: a scan of the extra list. */
static uint32_t odd_cell(who_out *out, const who_tables *t, const oc_realm *r) {
  uint32_t found = 0;
  for (const oc_char *c = r->who.head[WHO_CELL_ODD]; c; c = c->cell_next) {
    const oc_row *row = &r->rows[c->slot];
    if (!cheap_match(out->f, t, row, 0)) continue;
    if (out->listed < out->f->max_results) {
      out->each(c, c->guild_id ? online_guild(out->o, out->f->realm, c->guild_id) : NULL,
                out->ud);
      out->listed++;
    }
    found++;
  }
  return found;
}

/* No zone and no text: counts from the cells, lists until the limit. */
static uint32_t who_by_cells(const online *o, const oc_realm *r, const who_filter *f,
                             const who_tables *t, who_each each, void *ud) {
  uint8_t races[WHO_CELL_IDS], classes[WHO_CELL_IDS];
  size_t nr = admitted(t->race_ok, races), nc = admitted(t->class_ok, classes);
  uint32_t top = f->lvl_max < WHO_CELL_LEVELS - 1 ? f->lvl_max : WHO_CELL_LEVELS - 1;
  who_out out = {o, f, each, ud, 0};
  uint32_t found = 0;
  for (uint32_t lvl = f->lvl_min; lvl <= top; lvl++) {
    if (!r->who.level_count[lvl]) continue;
    for (size_t i = 0; i < nr; i++)
      for (size_t j = 0; j < nc; j++) {
        uint32_t cell = who_cell((uint8_t)lvl, races[i], classes[j]);
        found += r->who.count[cell];
        list_cell(&out, r->who.head[cell]);
      }
  }
  return found + odd_cell(&out, t, r);
}

uint32_t who_run(const online *o, const who_filter *f, who_each each, void *ud) {
  const oc_realm *r = online_realm(o, f->realm);
  uint32_t found = 0;
  if (!r) return 0;
  bool texts = f->name.len || f->guild.len || f->nstrings;
  if (!texts && !f->nzones) {
    who_tables t;
    tables_build(f, &t);
    return who_by_cells(o, r, f, &t, each, ud);
  }
  uint64_t need = f->name.len ? f->name.bigrams : 0;
  who_tables t;
  guild_hits hits = {0};
  tables_build(f, &t);
  if (f->guild.len || f->nstrings) guild_hits_build(o, f, &hits);
  for (uint32_t i = 0; i < r->n; i++) {
    const oc_row *row = &r->rows[i];
    unsigned m = cheap_match(f, &t, row, need);
    if (!texts && found >= f->max_results) { /* only counting from here on */
      found += m;
      continue;
    }
    if (!m) continue;
    const oc_char *c = r->chars[i];
    if (texts && !text_matches(f, row, c, guild_hits_of(&hits, row->guild_id))) continue;
    if (found < f->max_results)
      each(c, row->guild_id ? online_guild(o, f->realm, row->guild_id) : NULL, ud);
    found++;
  }
  hmap_free(&hits.map);
  return found;
}
