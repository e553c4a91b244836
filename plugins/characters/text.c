#include "text.h"

#include <stdint.h>
#include <string.h>

/* Decodes one code point of valid UTF-8 (checked beforehand); *len gets its
 * byte length. */
static uint32_t decode(const unsigned char *p, size_t *len) {
  if (p[0] < 0x80) {
    *len = 1;
    return p[0];
  }
  if ((p[0] & 0xE0) == 0xC0) {
    *len = 2;
    return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
  }
  if ((p[0] & 0xF0) == 0xE0) {
    *len = 3;
    return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
  }
  *len = 4;
  return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
         (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

/* Writes cp as UTF-8 in exactly `len` bytes (folding keeps the length). */
static void encode(uint32_t cp, unsigned char *out, size_t len) {
  if (len == 1) {
    out[0] = (unsigned char)cp;
  } else if (len == 2) {
    out[0] = (unsigned char)(0xC0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
  } else {
    /* No folded letter needs three or four bytes: copy unchanged. */
  }
}

int text_utf8_chars(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  int chars = 0;
  for (size_t i = 0; i < n; chars++) {
    unsigned char c = p[i];
    size_t len;
    uint32_t min;
    if (c == 0) return -1;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000;
    } else {
      return -1;
    }
    if (i + len > n) return -1;
    for (size_t k = 1; k < len; k++)
      if ((p[i + k] & 0xC0) != 0x80) return -1;
    size_t got;
    uint32_t cp = decode(p + i, &got);
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    i += len;
  }
  return chars;
}

/* Latin Extended-A: U+0139..U+0148 and U+0179..U+017E pair an odd upper
 * case letter with the next even code point; the rest pair even with odd. */
static bool odd_upper_block(uint32_t cp) {
  return (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
}

static bool latin_ext_cased(uint32_t cp) {
  return cp >= 0x100 && cp <= 0x17E && cp != 0x130 && cp != 0x131 && cp != 0x138 &&
         cp != 0x149;
}

static uint32_t to_lower(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp == 0x178) return 0xFF;
  if (latin_ext_cased(cp)) {
    bool upper = odd_upper_block(cp) ? (cp & 1) : !(cp & 1);
    return upper ? cp + 1 : cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp == 0x3C2) return 0x3C3; /* final sigma folds to sigma */
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

static uint32_t to_upper(uint32_t cp) {
  if (cp >= 'a' && cp <= 'z') return cp - 32;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 32;
  if (cp == 0xFF) return 0x178;
  if (latin_ext_cased(cp)) {
    bool lower = odd_upper_block(cp) ? !(cp & 1) : (cp & 1);
    return lower ? cp - 1 : cp;
  }
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
  if (cp == 0x3AC) return 0x386;
  if (cp >= 0x3AD && cp <= 0x3AF) return cp - 37;
  if (cp == 0x3CC) return 0x38C;
  if (cp == 0x3CD || cp == 0x3CE) return cp - 63;
  if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
  if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
  return cp;
}

static void map_case(const char *s, size_t n, char *out, bool first_upper) {
  const unsigned char *p = (const unsigned char *)s;
  memcpy(out, s, n);
  for (size_t i = 0; i < n;) {
    size_t len;
    uint32_t cp = decode(p + i, &len);
    uint32_t mapped = (first_upper && i == 0) ? to_upper(cp) : to_lower(cp);
    if (mapped != cp && len <= 2) encode(mapped, (unsigned char *)out + i, len);
    i += len;
  }
}

void text_fold(const char *s, size_t n, char *out) { map_case(s, n, out, false); }

void text_name_form(const char *s, size_t n, char *out) { map_case(s, n, out, true); }

bool text_contains(const char *hay, size_t hn, const char *needle, size_t nn) {
  if (nn == 0) return true;
  if (nn > hn) return false;
  const char first = needle[0];
  for (size_t i = 0; i + nn <= hn; i++) {
    if (hay[i] == first && memcmp(hay + i, needle, nn) == 0) return true;
  }
  return false;
}
