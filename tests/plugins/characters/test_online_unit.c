/* Unit tests of the characters plugin's pure parts: the hash map, UTF-8
 * folding, the online cache (indexes, event ordering) and the who filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stratus/text.h>

#include "guid.h"
#include "hmap.h"
#include "online.h"
#include "who.h"

/* ---- hmap ---------------------------------------------------------------------- */

static void test_hmap_against_reference(void **state) {
  (void)state;
  enum { N = 20000 };
  static uint64_t keys[N];
  static bool present[N];
  hmap m = {0};
  for (uint64_t i = 0; i < N; i++) {
    keys[i] = i * 2654435761u;
    assert_int_equal(hmap_put(&m, hmap_mix64(keys[i]), &keys[i]), 0);
    present[i] = true;
  }
  srand(7);
  for (int round = 0; round < 3 * N; round++) {
    size_t i = (size_t)rand() % N;
    if (present[i]) {
      assert_ptr_equal(hmap_del(&m, hmap_mix64(keys[i]), NULL, NULL), &keys[i]);
    } else {
      assert_int_equal(hmap_put(&m, hmap_mix64(keys[i]), &keys[i]), 0);
    }
    present[i] = !present[i];
  }
  size_t count = 0;
  for (size_t i = 0; i < N; i++) {
    void *v = hmap_get(&m, hmap_mix64(keys[i]), NULL, NULL);
    assert_ptr_equal(v, present[i] ? &keys[i] : NULL);
    count += present[i];
  }
  assert_int_equal(m.len, count);
  hmap_free(&m);
}

/* ---- text ---------------------------------------------------------------------- */

/* Code points in s[0..n), or -1 when it is not valid UTF-8 or holds a NUL. */
static int text_utf8_chars(const char *s, size_t n) {
  size_t chars;
  return stratus_utf8_valid(s, n, &chars) ? (int)chars : -1;
}

static void test_utf8_validation(void **state) {
  (void)state;
  assert_int_equal(text_utf8_chars("Arthas", 6), 6);
  assert_int_equal(text_utf8_chars("\xC3\x84rthas", 7), 6);                /* Ärthas */
  assert_int_equal(text_utf8_chars("\xF0\x9F\x98\x80", 4), 1);             /* emoji */
  assert_int_equal(text_utf8_chars("\xC3", 1), -1);                        /* truncated */
  assert_int_equal(text_utf8_chars("\xC0\xAF", 2), -1);                    /* overlong */
  assert_int_equal(text_utf8_chars("\xED\xA0\x80", 3), -1);                /* surrogate */
  assert_int_equal(text_utf8_chars("\xFF", 1), -1);
  assert_int_equal(text_utf8_chars("a\0b", 3), -1);                        /* NUL */
}

static void test_folding_and_name_form(void **state) {
  (void)state;
  char out[64];
  const char *in = "\xC3\x84RTHAS \xD0\x90\xD0\xB1 \xC5\x81\xC3\xBF \xCE\xA3\xCF\x82";
  size_t n = strlen(in);
  stratus_name_fold(in, n, out);
  out[n] = '\0';
  assert_string_equal(out, "\xC3\xA4rthas \xD0\xB0\xD0\xB1 \xC5\x82\xC3\xBF \xCF\x83\xCF\x83");
  stratus_name_form("\xC3\xA4RTHAS", 7, out);
  out[7] = '\0';
  assert_string_equal(out, "\xC3\x84rthas");
  stratus_name_form("\xD0\xB0\xD0\x91\xD0\x92", 6, out); /* аБВ -> Абв */
  out[6] = '\0';
  assert_string_equal(out, "\xD0\x90\xD0\xB1\xD0\xB2");
  assert_true(who_contains("arthas", 6, "tha", 3));
  assert_false(who_contains("arthas", 6, "thx", 3));
  assert_true(who_contains("ab", 2, "", 0));
}

/* ---- online cache -------------------------------------------------------------- */

static oc_login login(uint32_t realm, uint32_t low, const char *name, const char *gw,
                      int64_t time) {
  return (oc_login){.realm = realm, .low = low, .account = low + 1000, .zone = 12, .map = 0,
                    .race = 1, .cls = 1, .level = 10, .time = time, .gateway = gw,
                    .name = name, .name_len = strlen(name)};
}

static void test_online_indexes(void **state) {
  (void)state;
  online o;
  oc_char *c;
  online_init(&o);
  oc_login a = login(1, 5, "Arthas", "g1", 0), b = login(2, 5, "Arthas", "g2", 0);
  assert_int_equal(online_login(&o, &a, &c), OC_ADDED);
  assert_int_equal(online_login(&o, &b, &c), OC_ADDED);
  assert_int_equal(o.total, 2);
  assert_ptr_equal(online_find_name(&o, 1, "aRTHAS", 6), online_find(&o, 1, 5));
  assert_ptr_equal(online_find_name(&o, 2, "arthas", 6), online_find(&o, 2, 5));
  assert_null(online_find_name(&o, 3, "arthas", 6));
  /* A rename at the next login moves the name index. */
  oc_login r = login(1, 5, "Uther", "g1", 0);
  assert_int_equal(online_login(&o, &r, &c), OC_UPDATED);
  assert_null(online_find_name(&o, 1, "arthas", 6));
  assert_ptr_equal(online_find_name(&o, 1, "UTHER", 5), c);
  /* Moving to another gateway. */
  oc_login m = login(1, 5, "Uther", "g3", 0);
  online_login(&o, &m, &c);
  assert_int_equal(online_gateway(&o, 1, "g1")->count, 0);
  assert_int_equal(online_gateway(&o, 1, "g3")->count, 1);
  online_remove(&o, c, 0, 0);
  assert_null(online_find(&o, 1, 5));
  assert_int_equal(online_realm(&o, 1)->n, 0);
  assert_int_equal(o.total, 1);
  online_free(&o);
}

/* The characters of account `account`, as lows (realm * 100 + low), sorted. */
static size_t account_chars(const online *o, uint32_t account, uint32_t *out, size_t max) {
  size_t n = 0;
  for (const oc_char *c = online_account_first(o, account); c && n < max; c = c->acct_next)
    out[n++] = guid_key_realm(c->key) * 100 + guid_key_low(c->key);
  for (size_t i = 1; i < n; i++)
    for (size_t k = i; k > 0 && out[k - 1] > out[k]; k--) {
      uint32_t t = out[k];
      out[k] = out[k - 1], out[k - 1] = t;
    }
  return n;
}

static void test_online_account_index(void **state) {
  (void)state;
  online o;
  oc_char *c;
  uint32_t got[8];
  online_init(&o);
  oc_login logins[] = {login(1, 5, "Arthas", "g1", 0), login(2, 6, "Jaina", "g2", 0),
                       login(1, 7, "Uther", "g1", 0), login(3, 8, "Thrall", "g3", 0)};
  for (size_t i = 0; i < 4; i++) {
    logins[i].account = i < 3 ? 42 : 43;
    assert_int_equal(online_login(&o, &logins[i], &c), OC_ADDED);
  }
  assert_int_equal(account_chars(&o, 42, got, 8), 3);
  assert_int_equal(got[0], 105), assert_int_equal(got[1], 107), assert_int_equal(got[2], 206);
  assert_int_equal(account_chars(&o, 43, got, 8), 1);
  /* Removing the account's first character keeps the others reachable. */
  online_remove(&o, online_account_first(&o, 42), 0, 0);
  assert_int_equal(account_chars(&o, 42, got, 8), 2);
  /* A login that names another account moves the character. */
  oc_login moved = login(3, 8, "Thrall", "g3", 0);
  moved.account = 42;
  assert_int_equal(online_login(&o, &moved, &c), OC_UPDATED);
  assert_int_equal(account_chars(&o, 43, got, 8), 0);
  assert_int_equal(account_chars(&o, 42, got, 8), 3);
  while ((c = online_account_first(&o, 42))) online_remove(&o, c, 0, 0);
  assert_int_equal(o.total, 0);
  assert_int_equal(o.by_account.len, 0);
  online_free(&o);
}

static void test_online_dense_array_survives_removals(void **state) {
  (void)state;
  online o;
  oc_char *c;
  char name[16];
  online_init(&o);
  for (uint32_t i = 1; i <= 1000; i++) {
    snprintf(name, sizeof(name), "N%u", i);
    oc_login ev = login(1, i, name, i % 2 ? "odd" : "even", 0);
    assert_int_equal(online_login(&o, &ev, &c), OC_ADDED);
  }
  for (oc_char *x = online_gateway(&o, 1, "odd")->head, *next; x; x = next) {
    next = x->gw_next;
    online_remove(&o, x, 0, 0);
  }
  oc_realm *r = online_realm(&o, 1);
  assert_int_equal(r->n, 500);
  for (uint32_t i = 0; i < r->n; i++) {
    assert_int_equal(r->chars[i]->slot, i);
    assert_int_equal(guid_key_low(r->chars[i]->key) % 2, 0);
    assert_int_equal(r->rows[i].level, r->chars[i]->level);
  }
  online_free(&o);
}

static void test_online_event_ordering(void **state) {
  (void)state;
  online o;
  oc_char *c;
  online_init(&o);
  oc_login l1 = login(1, 7, "Jaina", "g1", 100);
  online_login(&o, &l1, &c);
  /* A logout older than the login it would end is stale. */
  assert_false(online_logout_applies(c, "g1", 50));
  assert_true(online_logout_applies(c, "g1", 150));
  online_remove(&o, c, 150, 1000);
  /* A login older than the remembered logout is stale... */
  oc_login old = login(1, 7, "Jaina", "g1", 120);
  assert_int_equal(online_login(&o, &old, &c), OC_STALE);
  assert_null(c);
  /* ...until the logout is forgotten. */
  online_prune(&o, 1000 + 60000, 60000);
  assert_int_equal(online_login(&o, &old, &c), OC_ADDED);
  /* Without times, only the holding gateway may log the character out. */
  oc_login nt = login(1, 8, "Thrall", "g2", 0);
  online_login(&o, &nt, &c);
  assert_false(online_logout_applies(c, "g1", 0));
  assert_true(online_logout_applies(c, "g2", 0));
  online_free(&o);
}

/* ---- who ------------------------------------------------------------------------- */

static void count_each(const oc_char *c, const oc_guild *g, void *ud) {
  (void)c, (void)g;
  (*(int *)ud)++;
}

static void test_who_filters(void **state) {
  (void)state;
  online o;
  oc_char *c;
  online_init(&o);
  online_guild_put(&o, 1, 9, "The Knights", 11);
  const struct {
    uint32_t low;
    const char *name;
    uint8_t race, cls, level;
    uint32_t zone, guild;
  } rows[] = {{1, "Arthas", 1, 2, 80, 12, 9}, {2, "Thrall", 2, 7, 80, 14, 0},
              {3, "Jaina", 1, 8, 70, 12, 0},  {4, "Sylvanas", 5, 3, 60, 85, 9}};
  for (size_t i = 0; i < 4; i++) {
    oc_login ev = login(1, rows[i].low, rows[i].name, "g", 0);
    ev.race = rows[i].race, ev.cls = rows[i].cls, ev.level = rows[i].level;
    ev.zone = rows[i].zone, ev.guild_id = rows[i].guild;
    online_login(&o, &ev, &c);
  }
  who_filter f = {.realm = 1, .lvl_min = 0, .lvl_max = UINT32_MAX, .race_mask = ~0u,
                  .class_mask = ~0u, .team = -1, .max_results = 50};
  int shown = 0;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 4);
  f.team = TEAM_ALLIANCE;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 2);
  f.team = -1;
  f.lvl_min = 75;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 2);
  f.lvl_min = 0;
  f.race_mask = 1u << 5;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 1);
  f.race_mask = ~0u;
  uint32_t zones[] = {85, 14};
  f.zones = zones, f.nzones = 2;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 2);
  f.nzones = 0;
  who_text_set(&f.guild, "KNIGHT", 6);
  assert_int_equal(who_run(&o, &f, count_each, &shown), 2);
  f.guild.len = 0;
  who_text_set(&f.strings[0], "jai", 3);
  who_text_set(&f.strings[1], "knights", 7);
  f.nstrings = 2;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 3);
  f.max_results = 1;
  shown = 0;
  assert_int_equal(who_run(&o, &f, count_each, &shown), 3);
  assert_int_equal(shown, 1);
  online_free(&o);
}

/* The cell index (no zone or text filter) against a plain count, through
 * logins, level changes and logouts; every listed character must pass. */
typedef struct who_check {
  const who_filter *f;
  int shown, wrong;
} who_check;

static bool passes(const who_filter *f, uint8_t level, uint8_t race, uint8_t cls) {
  return level >= f->lvl_min && level <= f->lvl_max && race < 32 && cls < 32 &&
         (f->race_mask >> race & 1) && (f->class_mask >> cls & 1) &&
         (f->team < 0 || online_team(race) == f->team);
}

static void check_each(const oc_char *c, const oc_guild *g, void *ud) {
  (void)g;
  who_check *k = ud;
  k->shown++;
  k->wrong += !passes(k->f, c->level, c->race, c->cls);
}

static void test_who_index_against_scan(void **state) {
  (void)state;
  enum { N = 3000 };
  static const uint8_t races[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20};
  static const uint8_t classes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 17};
  static oc_char *chars[N];
  online o;
  online_init(&o);
  srand(7);
  for (uint32_t i = 0; i < N; i++) {
    char name[16];
    snprintf(name, sizeof(name), "char%u", i);
    oc_login ev = login(1, i + 1, name, "g", 0);
    ev.race = races[rand() % 11], ev.cls = classes[rand() % 11];
    ev.level = (uint8_t)(1 + rand() % 80);
    online_login(&o, &ev, &chars[i]);
  }
  for (uint32_t i = 0; i < N; i += 3) online_set_level(&o, chars[i], (uint8_t)(1 + rand() % 80));
  for (uint32_t i = 0; i < N; i += 7) {
    online_remove(&o, chars[i], 0, 0);
    chars[i] = NULL;
  }
  for (int q = 0; q < 300; q++) {
    uint32_t lo = (uint32_t)(rand() % 90), hi = lo + (uint32_t)(rand() % 40);
    who_filter f = {.realm = 1, .lvl_min = lo, .lvl_max = q % 10 ? hi : UINT32_MAX,
                    .race_mask = q % 3 ? (uint32_t)rand() : ~0u,
                    .class_mask = q % 4 ? (uint32_t)rand() : ~0u,
                    .team = q % 5 - 2 < 0 ? -1 : q % 2, .max_results = 1 + rand() % 60};
    uint32_t expect = 0;
    for (uint32_t i = 0; i < N; i++)
      if (chars[i]) expect += passes(&f, chars[i]->level, chars[i]->race, chars[i]->cls);
    who_check k = {&f, 0, 0};
    assert_int_equal(who_run(&o, &f, check_each, &k), expect);
    assert_int_equal(k.shown, expect < f.max_results ? expect : f.max_results);
    assert_int_equal(k.wrong, 0);
  }
  online_free(&o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hmap_against_reference),
      cmocka_unit_test(test_utf8_validation),
      cmocka_unit_test(test_folding_and_name_form),
      cmocka_unit_test(test_online_indexes),
      cmocka_unit_test(test_online_account_index),
      cmocka_unit_test(test_online_dense_array_survives_removals),
      cmocka_unit_test(test_online_event_ordering),
      cmocka_unit_test(test_who_filters),
      cmocka_unit_test(test_who_index_against_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
