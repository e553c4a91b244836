/* The SDK's text helpers (<stratus/text.h>, reached through stratus.h):
 * UTF-8 decoding, encoding and validation, case folding and the core's name
 * form, and the guarantee that neither changes a string's length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <stratus/stratus.h>

/* ---- helpers ------------------------------------------------------------------ */

/* Decodes all of s (n bytes) as one code point: its value, or -1 when
 * stratus_utf8_decode() refuses it or leaves bytes over. */
static long decode_one(const char *s, size_t n) {
  uint32_t cp = 0xDEADBEEF;
  size_t k = stratus_utf8_decode(s, n, &cp);
  if (k == 0) {
    assert_int_equal(cp, 0xDEADBEEF); /* left alone */
    return -1;
  }
  return k == n ? (long)cp : -1;
}

/* Code points of s, or -1 when it is not valid. */
static long chars_of(const char *s, size_t n) {
  size_t chars = 777;
  if (!stratus_utf8_valid(s, n, &chars)) {
    assert_int_equal(chars, 777); /* left alone */
    return -1;
  }
  return (long)chars;
}

static size_t u8len(uint32_t cp) {
  char buf[STRATUS_UTF8_MAX];
  return stratus_utf8_encode(cp, buf);
}

static void expect_fold(const char *in, const char *want) {
  char out[256];
  size_t n = strlen(in);
  assert_true(n < sizeof(out));
  memset(out, 'x', sizeof(out));
  assert_true(stratus_name_fold(in, n, out));
  assert_int_equal(out[n], 'x'); /* exactly n bytes written, no terminator */
  out[n] = '\0';
  assert_string_equal(out, want);
}

static void expect_form(const char *in, const char *want) {
  char out[256];
  assert_true(stratus_name_form_str(in, out, sizeof(out)));
  assert_string_equal(out, want);
}

/* ---- UTF-8 -------------------------------------------------------------------- */

static void test_decode_valid(void **state) {
  (void)state;
  assert_int_equal(decode_one("A", 1), 'A');
  assert_int_equal(decode_one("\0", 1), 0); /* U+0000 decodes; validation refuses it */
  assert_int_equal(decode_one("\x7F", 1), 0x7F);
  assert_int_equal(decode_one("\xC2\x80", 2), 0x80);
  assert_int_equal(decode_one("\xDF\xBF", 2), 0x7FF);
  assert_int_equal(decode_one("\xE0\xA0\x80", 3), 0x800);
  assert_int_equal(decode_one("\xED\x9F\xBF", 3), 0xD7FF);
  assert_int_equal(decode_one("\xEE\x80\x80", 3), 0xE000);
  assert_int_equal(decode_one("\xEF\xBF\xBF", 3), 0xFFFF);
  assert_int_equal(decode_one("\xF0\x90\x80\x80", 4), 0x10000);
  assert_int_equal(decode_one("\xF0\x9F\x98\x80", 4), 0x1F600);
  assert_int_equal(decode_one("\xF4\x8F\xBF\xBF", 4), 0x10FFFF);
  /* Only the first code point is read. */
  uint32_t cp;
  assert_int_equal(stratus_utf8_decode("\xC3\x84rthas", 7, &cp), 2);
  assert_int_equal(cp, 0xC4);
}

static void test_decode_invalid(void **state) {
  (void)state;
  uint32_t cp;
  assert_int_equal(stratus_utf8_decode("", 0, &cp), 0);
  /* Stray continuation bytes and lead bytes that never start UTF-8. */
  assert_int_equal(decode_one("\x80", 1), -1);
  assert_int_equal(decode_one("\xBF", 1), -1);
  for (unsigned b = 0xF5; b <= 0xFF; b++) {
    char s[4] = {(char)b, '\x80', '\x80', '\x80'};
    assert_int_equal(decode_one(s, 4), -1);
  }
  /* Overlong forms. */
  assert_int_equal(decode_one("\xC0\x80", 2), -1);
  assert_int_equal(decode_one("\xC0\xAF", 2), -1);
  assert_int_equal(decode_one("\xC1\xBF", 2), -1);
  assert_int_equal(decode_one("\xE0\x80\x80", 3), -1);
  assert_int_equal(decode_one("\xE0\x9F\xBF", 3), -1);
  assert_int_equal(decode_one("\xF0\x80\x80\x80", 4), -1);
  assert_int_equal(decode_one("\xF0\x8F\xBF\xBF", 4), -1);
  /* Surrogates. */
  assert_int_equal(decode_one("\xED\xA0\x80", 3), -1);
  assert_int_equal(decode_one("\xED\xBF\xBF", 3), -1);
  /* Above U+10FFFF. */
  assert_int_equal(decode_one("\xF4\x90\x80\x80", 4), -1);
  assert_int_equal(decode_one("\xF7\xBF\xBF\xBF", 4), -1);
  /* Truncated: by the length given, and by a byte that does not continue. */
  assert_int_equal(decode_one("\xC3", 1), -1);
  assert_int_equal(decode_one("\xE2\x82", 2), -1);
  assert_int_equal(decode_one("\xF0\x9F\x98", 3), -1);
  assert_int_equal(stratus_utf8_decode("\xC3\x84", 1, &cp), 0);
  assert_int_equal(decode_one("\xC3\x28", 2), -1);
  assert_int_equal(decode_one("\xE2\x28\xA1", 3), -1);
  assert_int_equal(decode_one("\xF0\x9F\x28\x80", 4), -1);
}

static void test_encode_round_trip(void **state) {
  (void)state;
  char buf[STRATUS_UTF8_MAX];
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    size_t n = stratus_utf8_encode(cp, buf);
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      assert_int_equal(n, 0);
      continue;
    }
    assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
    assert_int_equal(decode_one(buf, n), cp);
  }
  memset(buf, 'x', sizeof(buf));
  assert_int_equal(stratus_utf8_encode(0x110000, buf), 0);
  assert_int_equal(stratus_utf8_encode(UINT32_MAX, buf), 0);
  assert_memory_equal(buf, "xxxx", 4); /* nothing written */
}

static void test_validation_counts_characters(void **state) {
  (void)state;
  assert_int_equal(chars_of("", 0), 0);
  assert_true(stratus_utf8_valid("abc", 3, NULL));
  assert_int_equal(chars_of("Arthas", 6), 6);
  assert_int_equal(chars_of("\xC3\x84rthas", 7), 6);                      /* Ärthas */
  assert_int_equal(chars_of("\xD0\x90\xD1\x80\xD1\x82", 6), 3);           /* Арт */
  assert_int_equal(chars_of("\xEA\xB0\x80\xE4\xB8\xAD", 6), 2);           /* 가中 */
  assert_int_equal(chars_of("\xF0\x9F\x98\x80!", 5), 2);                  /* emoji, ! */
  assert_int_equal(chars_of("a\0b", 3), -1);                              /* NUL */
  assert_int_equal(chars_of("ab\xC3", 3), -1);                            /* truncated */
  assert_int_equal(chars_of("\xC0\xAF", 2), -1);                          /* overlong */
  assert_int_equal(chars_of("\xED\xA0\x80", 3), -1);                      /* surrogate */
  assert_int_equal(chars_of("\xF4\x90\x80\x80", 4), -1);                  /* > U+10FFFF */
  assert_int_equal(chars_of("\xFF", 1), -1);
  /* The length given is the end, whatever follows. */
  assert_int_equal(chars_of("\xC3\x84", 1), -1);
  assert_int_equal(chars_of("ab\0cd", 2), 2);
}

/* ---- case, block by block ------------------------------------------------------ */

static void test_ascii(void **state) {
  (void)state;
  expect_fold("ARTHAS Menethil 42!", "arthas menethil 42!");
  expect_form("aRTHAS", "Arthas");
  expect_form("arthas", "Arthas");
  expect_form("1ABC", "1abc");
  expect_form("", "");
}

static void test_latin1(void **state) {
  (void)state;
  /* ÀÉÎÕÖØÜÝÞ and Ÿ fold; ×, ÷, ß and µ have no case mapping here. */
  expect_fold("\xC3\x80\xC3\x89\xC3\x8E\xC3\x95\xC3\x96\xC3\x98\xC3\x9C\xC3\x9D\xC3\x9E\xC5\xB8",
              "\xC3\xA0\xC3\xA9\xC3\xAE\xC3\xB5\xC3\xB6\xC3\xB8\xC3\xBC\xC3\xBD\xC3\xBE\xC3\xBF");
  expect_fold("\xC3\x97\xC3\xB7\xC3\x9F\xC2\xB5", "\xC3\x97\xC3\xB7\xC3\x9F\xC2\xB5");
  expect_form("\xC3\xA4RTHAS", "\xC3\x84rthas");          /* äRTHAS -> Ärthas */
  expect_form("\xC3\xBF\xC3\x89", "\xC5\xB8\xC3\xA9");     /* ÿÉ -> Ÿé */
  expect_form("\xC3\x9F" "A", "\xC3\x9F" "a");             /* ß stays ß */
  expect_form("\xC3\xB7" "A", "\xC3\xB7" "a");             /* ÷ is no letter */
}

static void test_latin_extended_a(void **state) {
  (void)state;
  /* Pairs on even upper case code points (Ā Ĳ Ķ Ŋ Ő Ŷ) and on odd ones (Ĺ Ň Ź Ž). */
  expect_fold("\xC4\x80\xC4\xB2\xC4\xB6\xC5\x8A\xC5\x90\xC5\xB6\xC4\xB9\xC5\x87\xC5\xB9\xC5\xBD",
              "\xC4\x81\xC4\xB3\xC4\xB7\xC5\x8B\xC5\x91\xC5\xB7\xC4\xBA\xC5\x88\xC5\xBA\xC5\xBE");
  /* No pair, or a pair of another length: ĸ ŉ ı İ ſ stay. */
  expect_fold("\xC4\xB8\xC5\x89\xC4\xB1\xC4\xB0\xC5\xBF", "\xC4\xB8\xC5\x89\xC4\xB1\xC4\xB0\xC5\xBF");
  expect_form("\xC5\x82UKASZ", "\xC5\x81ukasz");          /* łUKASZ -> Łukasz */
  expect_form("\xC5\xBE" "A", "\xC5\xBD" "a");             /* ža -> Ža */
  expect_form("\xC5\x88\xC5\x87", "\xC5\x87\xC5\x88");     /* ňŇ -> Ňň */
  expect_form("\xC4\xB1" "A", "\xC4\xB1" "a");             /* ı: no upper case of 2 bytes */
  expect_form("\xC5\xBF" "A", "\xC5\xBF" "a");             /* ſ likewise */
  expect_form("A\xC4\xB0", "A\xC4\xB0");                   /* İ: no lower case of 2 bytes */
  expect_form("\xC4\xB8" "A", "\xC4\xB8" "a");             /* ĸ has no upper case */
}

static void test_greek(void **state) {
  (void)state;
  /* ΟΔΥΣΣΕΥΣ and Οδυσσευς fold alike: final sigma folds to sigma. */
  expect_fold("\xCE\x9F\xCE\x94\xCE\xA5\xCE\xA3\xCE\xA3\xCE\x95\xCE\xA5\xCE\xA3",
              "\xCE\xBF\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x83");
  expect_fold("\xCE\x9F\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x82",
              "\xCE\xBF\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x83");
  /* Letters with tonos: Ά Έ Ή Ί Ό Ύ Ώ. */
  expect_fold("\xCE\x86\xCE\x88\xCE\x89\xCE\x8A\xCE\x8C\xCE\x8E\xCE\x8F",
              "\xCE\xAC\xCE\xAD\xCE\xAE\xCE\xAF\xCF\x8C\xCF\x8D\xCF\x8E");
  /* The name form lower-cases, which keeps ς, and upper-cases with tonos. */
  expect_form("\xCE\xBF\xCE\x94\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x82",
              "\xCE\x9F\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x82");
  expect_form("\xCE\xAC\xCE\xA1\xCE\x97\xCE\xA3", "\xCE\x86\xCF\x81\xCE\xB7\xCF\x83"); /* άΡΗΣ -> Άρησ */
  expect_form("\xCF\x8E" "A", "\xCE\x8F" "a");                                       /* ώa -> Ώa */
}

static void test_cyrillic(void **state) {
  (void)state;
  /* ЁЛКА, ЂЕРЂ (U+0400..U+040F pair with U+0450..U+045F), ЯЩИК. */
  expect_fold("\xD0\x81\xD0\x9B\xD0\x9A\xD0\x90", "\xD1\x91\xD0\xBB\xD0\xBA\xD0\xB0");
  expect_fold("\xD0\x82\xD0\x95\xD0\xA0\xD0\x82", "\xD1\x92\xD0\xB5\xD1\x80\xD1\x92");
  expect_fold("\xD0\xAF\xD0\xA9\xD0\x98\xD0\x9A", "\xD1\x8F\xD1\x89\xD0\xB8\xD0\xBA");
  expect_form("\xD0\xB0\xD0\x91\xD0\x92", "\xD0\x90\xD0\xB1\xD0\xB2");        /* аБВ -> Абв */
  expect_form("\xD1\x91\xD0\x96", "\xD0\x81\xD0\xB6");                        /* ёЖ -> Ёж */
  expect_form("\xD1\x9F\xD0\x90", "\xD0\x8F\xD0\xB0");                        /* џА -> Џа */
}

static void test_scripts_without_case(void **state) {
  (void)state;
  const char *s = "\xEA\xB0\x80\xEB\x82\x98\xE4\xB8\xAD\xE6\x96\x87\xF0\x9F\x98\x80";
  expect_fold(s, s);
  expect_form(s, s);
  /* Greek symbols and the rest of the Cyrillic block are outside the mapping. */
  for (uint32_t cp = 0x460; cp <= 0x10FFFF; cp++) {
    assert_int_equal(stratus_name_lower_cp(cp), cp);
    assert_int_equal(stratus_name_upper_cp(cp), cp);
    assert_int_equal(stratus_name_fold_cp(cp), cp);
  }
}

/* ---- the guarantees ------------------------------------------------------------ */

/* Every mapping keeps the UTF-8 length; lower and upper case are inverse on
 * the letters they change; a name form folds like the name. */
static void test_mappings_keep_length_and_pair_up(void **state) {
  (void)state;
  size_t changed = 0;
  for (uint32_t cp = 0; cp < 0x460; cp++) {
    uint32_t lo = stratus_name_lower_cp(cp), up = stratus_name_upper_cp(cp),
             fold = stratus_name_fold_cp(cp);
    assert_int_equal(u8len(lo), u8len(cp));
    assert_int_equal(u8len(up), u8len(cp));
    assert_int_equal(u8len(fold), u8len(cp));
    if (lo != cp) assert_int_equal(stratus_name_upper_cp(lo), cp);
    if (up != cp) assert_int_equal(stratus_name_lower_cp(up), cp);
    assert_int_equal(stratus_name_fold_cp(lo), fold);
    assert_int_equal(stratus_name_fold_cp(up), fold);
    assert_int_equal(stratus_name_fold_cp(fold), fold);
    changed += lo != cp;
  }
  /* 26 ASCII, 30 Latin-1 + Ÿ, 61 Latin Extended-A, 31 Greek, 48 Cyrillic. */
  assert_int_equal(changed, 26 + 31 + 61 + 31 + 48);
}

static void test_strings_keep_length(void **state) {
  (void)state;
  /* Every letter that has a case here, upper case and lower case, once. */
  char all[4096];
  size_t n = 0;
  for (uint32_t cp = 0x20; cp < 0x460; cp++) {
    if (stratus_name_lower_cp(cp) == cp && stratus_name_upper_cp(cp) == cp &&
        stratus_name_fold_cp(cp) == cp)
      continue;
    n += stratus_utf8_encode(cp, all + n);
    assert_true(n + STRATUS_UTF8_MAX < sizeof(all));
  }
  char folded[sizeof(all)], formed[sizeof(all)], in_place[sizeof(all)];
  size_t chars;
  assert_true(stratus_name_fold(all, n, folded));
  assert_true(stratus_name_form(all, n, formed));
  assert_true(stratus_utf8_valid(folded, n, &chars));
  assert_true(stratus_utf8_valid(formed, n, &chars));
  memcpy(in_place, all, n);
  assert_true(stratus_name_fold(in_place, n, in_place)); /* out may be the input */
  assert_memory_equal(in_place, folded, n);
  /* Folding twice, or folding the name form, gives the same key. */
  char again[sizeof(all)];
  assert_true(stratus_name_fold(folded, n, again));
  assert_memory_equal(again, folded, n);
  assert_true(stratus_name_fold(formed, n, again));
  assert_memory_equal(again, folded, n);
  /* A player name of 12 four-byte characters fits STRATUS_NAME_PLAYER_BYTES. */
  char name[STRATUS_NAME_PLAYER_BYTES + 1] = {0};
  for (int i = 0; i < STRATUS_NAME_PLAYER_CHARS; i++) memcpy(name + 4 * i, "\xF0\x9F\x98\x80", 4);
  assert_null(stratus_name_check_player(name));
  char out[STRATUS_NAME_PLAYER_BYTES + 1];
  assert_true(stratus_name_fold_str(name, out, sizeof(out)));
  assert_string_equal(out, name);
}

static void test_invalid_bytes_are_copied(void **state) {
  (void)state;
  char out[16];
  memset(out, 'x', sizeof(out));
  assert_false(stratus_name_fold("AB\xC3", 3, out));
  assert_memory_equal(out, "ab\xC3x", 4);
  /* No first letter when the string does not start with one. */
  assert_false(stratus_name_form("\xFF" "ABC", 4, out));
  assert_memory_equal(out, "\xFF" "abc", 4);
  assert_false(stratus_name_fold("\xC0\xC1" "A\xED\xA0\x80", 6, out));
  assert_memory_equal(out, "\xC0\xC1" "a\xED\xA0\x80", 6);
}

static void test_terminated_strings(void **state) {
  (void)state;
  char out[8];
  assert_true(stratus_name_fold_str("ABCDEFG", out, 8)); /* strlen + 1 is enough */
  assert_string_equal(out, "abcdefg");
  assert_false(stratus_name_fold_str("ABCDEFGH", out, 8)); /* does not fit */
  assert_string_equal(out, "");
  assert_true(stratus_name_form_str("\xD0\xB0\xD0\x91\xD0\x92", out, 7));
  assert_string_equal(out, "\xD0\x90\xD0\xB1\xD0\xB2");
  assert_false(stratus_name_form_str("ab\xC3", out, sizeof(out))); /* not UTF-8 */
  assert_string_equal(out, "");
  out[0] = 'x';
  assert_false(stratus_name_fold_str("a", out, 0)); /* nothing written */
  assert_int_equal(out[0], 'x');
  assert_true(stratus_name_fold_str("", out, 1));
  assert_string_equal(out, "");
}

static void test_player_name_check(void **state) {
  (void)state;
  assert_string_equal(stratus_name_check_player(NULL), "is empty");
  assert_string_equal(stratus_name_check_player(""), "is empty");
  assert_null(stratus_name_check_player("Arthas"));
  assert_null(stratus_name_check_player("\xC3\x84" "bcdefghijkl"));      /* 12 characters */
  assert_string_equal(stratus_name_check_player("Abcdefghijklm"), "is longer than 12 characters");
  assert_string_equal(stratus_name_check_player("\xC3\x84" "bcdefghijklm"),
                      "is longer than 12 characters");
  assert_string_equal(stratus_name_check_player("Ar\xC3" "thas"), "is not valid UTF-8");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_valid),
      cmocka_unit_test(test_decode_invalid),
      cmocka_unit_test(test_encode_round_trip),
      cmocka_unit_test(test_validation_counts_characters),
      cmocka_unit_test(test_ascii),
      cmocka_unit_test(test_latin1),
      cmocka_unit_test(test_latin_extended_a),
      cmocka_unit_test(test_greek),
      cmocka_unit_test(test_cyrillic),
      cmocka_unit_test(test_scripts_without_case),
      cmocka_unit_test(test_mappings_keep_length_and_pair_up),
      cmocka_unit_test(test_strings_keep_length),
      cmocka_unit_test(test_invalid_bytes_are_copied),
      cmocka_unit_test(test_terminated_strings),
      cmocka_unit_test(test_player_name_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
