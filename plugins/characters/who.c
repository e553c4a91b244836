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

uint32_t who_run(const online *o, const who_filter *f, who_each each, void *ud) {
  const oc_realm *r = online_realm(o, f->realm);
  uint32_t found = 0;
  if (!r) return 0;
  bool texts = f->name.len || f->guild.len || f->nstrings;
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
