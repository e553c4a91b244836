/*
 * Text helpers for names: UTF-8 decoding, encoding and validation, and the
 * case rules of player and channel names (lookups that ignore case, and the
 * core's name form "Arthas").
 *
 * Header-only: every function is static inline, so a plugin needs no host
 * symbol and nothing here is part of the binary ABI. The functions are pure
 * (no allocation, no state, no locale): safe on any thread, worker threads
 * included. Strings are byte ranges (s, len) that need no terminator unless a
 * function says _str; the caller owns every buffer.
 *
 * Case mapping covers the letters with case that 3.3.5a clients write names
 * in; everything else (Korean and Chinese included) has no case here and
 * passes unchanged:
 *   ASCII              A-Z / a-z
 *   Latin-1 Supplement U+00C0..U+00DE / U+00E0..U+00FE (but × and ÷), and
 *                      Ÿ U+0178 / ÿ U+00FF
 *   Latin Extended-A   the case pairs of U+0100..U+017E
 *   Greek              U+0391..U+03A9 / U+03B1..U+03C9, and the letters
 *                      with tonos (Ά / ά ... Ώ / ώ)
 *   Cyrillic           U+0400..U+042F / U+0430..U+045F
 * The mappings are Unicode's simple case mappings for those letters, with two
 * rules of our own:
 *   - Folding (the key for comparing names) also maps final sigma ς U+03C2
 *     to σ U+03C3, as Unicode's simple case folding does: "ΟΔΟΣ" and "οδος"
 *     fold alike. Lower case (the name form) keeps ς.
 *   - A mapping is applied only between code points of the same UTF-8
 *     length. In these blocks that leaves out three: İ U+0130 to "i", ı
 *     U+0131 to "I" and ſ U+017F to "S"; they stay as they are. (Unicode's
 *     default case folding leaves İ alone too.)
 * Hence the guarantee: folding or name-forming a string never changes its
 * length in bytes, so the output needs exactly as many bytes as the input
 * and may overwrite it.
 */
#ifndef STRATUS_TEXT_H
#define STRATUS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes of the longest UTF-8 sequence (one code point). */
#define STRATUS_UTF8_MAX 4

/* AzerothCore's player names: at most 12 characters (MAX_PLAYER_NAME,
 * characters.name VARCHAR(12)), so at most 48 bytes of UTF-8. */
#define STRATUS_NAME_PLAYER_CHARS 12
#define STRATUS_NAME_PLAYER_BYTES (STRATUS_NAME_PLAYER_CHARS * STRATUS_UTF8_MAX)

/* ---- UTF-8 --------------------------------------------------------------- */

/* Decodes the code point at the start of s[0..len) into *cp and returns its
 * length in bytes (1 to 4). Returns 0 and leaves *cp alone when len is 0 or
 * the bytes are not well-formed UTF-8: a stray continuation byte, a lead byte
 * C0, C1 or F5..FF, a sequence cut short by len, an overlong form, a
 * surrogate (U+D800..U+DFFF) or a value above U+10FFFF. U+0000 decodes (as
 * one byte). */
static inline size_t stratus_utf8_decode(const char *s, size_t len, uint32_t *cp) {
  const unsigned char *p = (const unsigned char *)s;
  if (len == 0) return 0;
  if (p[0] < 0x80) {
    *cp = p[0];
    return 1;
  }
  size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
  if (n == 0 || p[0] > 0xF4 || n > len) return 0;
  uint32_t c = p[0] & (0x7Fu >> n);
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    c = c << 6 | (p[i] & 0x3Fu);
  }
  uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

/* Writes cp as UTF-8 into out, which has room for STRATUS_UTF8_MAX bytes, and
 * returns how many it wrote (1 to 4; no terminator). Returns 0 and writes
 * nothing for a surrogate or a value above U+10FFFF. */
static inline size_t stratus_utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | cp >> 6);
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | cp >> 12);
    o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  if (cp > 0x10FFFF) return 0;
  o[0] = (unsigned char)(0xF0 | cp >> 18);
  o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* True when s[0..len) is well-formed UTF-8 (see stratus_utf8_decode) without
 * a NUL (U+0000): text that can travel in a protobuf string and a C string.
 * Then *chars, unless chars is NULL, gets the number of code points; on
 * false it is left alone. An empty range is valid and has 0 characters. */
static inline bool stratus_utf8_valid(const char *s, size_t len, size_t *chars) {
  size_t n = 0;
  for (size_t i = 0; i < len; n++) {
    uint32_t cp;
    size_t k = stratus_utf8_decode(s + i, len - i, &cp);
    if (k == 0 || cp == 0) return false;
    i += k;
  }
  if (chars) *chars = n;
  return true;
}

/* ---- case of one code point ---------------------------------------------- */

/* The lower case of cp (the letters listed at the top); cp itself otherwise. */
static inline uint32_t stratus_name_lower_cp(uint32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE) return cp == 0xD7 ? cp : cp + 32;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x100 && cp <= 0x17E && cp != 0x130 && cp != 0x138) {
    /* Latin Extended-A puts each lower case letter right after its upper
     * case one: upper case on odd code points in U+0139..U+0148 and
     * U+0179..U+017E, on even ones in the rest. */
    uint32_t upper_parity = (cp >= 0x139 && cp <= 0x148) || cp >= 0x179;
    return (cp & 1) == upper_parity ? cp + 1 : cp;
  }
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  return cp;
}

/* The upper case of cp (the letters listed at the top); cp itself otherwise. */
static inline uint32_t stratus_name_upper_cp(uint32_t cp) {
  if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
  if (cp >= 0xE0 && cp <= 0xFE) return cp == 0xF7 ? cp : cp - 32;
  if (cp == 0xFF) return 0x178;
  if (cp >= 0x101 && cp <= 0x17E && stratus_name_lower_cp(cp - 1) == cp) return cp - 1;
  if (cp == 0x3AC) return 0x386;
  if (cp >= 0x3AD && cp <= 0x3AF) return cp - 37;
  if (cp == 0x3CC) return 0x38C;
  if (cp == 0x3CD || cp == 0x3CE) return cp - 63;
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
  if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
  if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
  return cp;
}

/* The folded form of cp: its lower case, and sigma for final sigma. Two
 * names are the same name when their folds are equal. */
static inline uint32_t stratus_name_fold_cp(uint32_t cp) {
  return cp == 0x3C2 ? 0x3C3 : stratus_name_lower_cp(cp);
}

/* ---- case of a string ---------------------------------------------------- */

typedef uint32_t (*stratus_name_cp_map)(uint32_t cp);

/* Writes s[0..len) into out[0..len), the first code point mapped by `first`
 * and every other one by `rest`. A mapped code point replaces the original
 * only when both have the same UTF-8 length, so out gets exactly len bytes
 * (no terminator). out may be s itself, but must not otherwise overlap it.
 * Returns false when s is not well-formed UTF-8; the bytes that are not are
 * copied as they are (and a string that does not start with a well-formed
 * code point has no first one). */
static inline bool stratus_name_map(const char *s, size_t len, char *out,
                                    stratus_name_cp_map first, stratus_name_cp_map rest) {
  bool valid = true;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t k = stratus_utf8_decode(s + i, len - i, &cp);
    if (k == 0) {
      out[i] = s[i];
      i++;
      valid = false;
      continue;
    }
    char enc[STRATUS_UTF8_MAX];
    const char *src = stratus_utf8_encode((i == 0 ? first : rest)(cp), enc) == k ? enc : s + i;
    for (size_t j = 0; j < k; j++) out[i + j] = src[j];
    i += k;
  }
  return valid;
}

/* Folds s[0..len) into out[0..len): the key under which a name is looked up
 * whatever its case ("ÄRTHAS", "ärthas" -> "ärthas"). Same rules as
 * stratus_name_map(). */
static inline bool stratus_name_fold(const char *s, size_t len, char *out) {
  return stratus_name_map(s, len, out, stratus_name_fold_cp, stratus_name_fold_cp);
}

/* The core's name form (AzerothCore's normalizePlayerName) of s[0..len) into
 * out[0..len): the first letter upper case, the rest lower case ("äRTHAS" ->
 * "Ärthas"). Same rules as stratus_name_map(). */
static inline bool stratus_name_form(const char *s, size_t len, char *out) {
  return stratus_name_map(s, len, out, stratus_name_upper_cp, stratus_name_lower_cp);
}

/* stratus_name_map() of the NUL-terminated s into out, NUL-terminated, where
 * out has out_size bytes: strlen(s) + 1 are enough. Returns false when s is
 * not well-formed UTF-8 or does not fit; out is then "" (if out_size > 0). */
static inline bool stratus_name_map_str(const char *s, char *out, size_t out_size,
                                        stratus_name_cp_map first, stratus_name_cp_map rest) {
  size_t len = strlen(s);
  if (len < out_size && stratus_name_map(s, len, out, first, rest)) {
    out[len] = '\0';
    return true;
  }
  if (out_size > 0) out[0] = '\0';
  return false;
}

/* stratus_name_fold() of a NUL-terminated string; see stratus_name_map_str(). */
static inline bool stratus_name_fold_str(const char *s, char *out, size_t out_size) {
  return stratus_name_map_str(s, out, out_size, stratus_name_fold_cp, stratus_name_fold_cp);
}

/* stratus_name_form() of a NUL-terminated string; see stratus_name_map_str(). */
static inline bool stratus_name_form_str(const char *s, char *out, size_t out_size) {
  return stratus_name_map_str(s, out, out_size, stratus_name_upper_cp, stratus_name_lower_cp);
}

/* ---- name rules ---------------------------------------------------------- */

/* Checks the NUL-terminated s (NULL counts as empty) as a player name: NULL
 * when it is 1 to STRATUS_NAME_PLAYER_CHARS characters of valid UTF-8, else
 * why not, as a phrase to follow the field's name: "is empty", "is not valid
 * UTF-8" or "is longer than 12 characters" (a static string). */
static inline const char *stratus_name_check_player(const char *s) {
  size_t chars, len = s ? strlen(s) : 0;
  if (len == 0) return "is empty";
  if (!stratus_utf8_valid(s, len, &chars)) return "is not valid UTF-8";
  if (chars > STRATUS_NAME_PLAYER_CHARS) return "is longer than 12 characters";
  return NULL;
}

#endif
