/*
 * Text rules for names: UTF-8 validity and case folding (the same mapping
 * as the chat plugin's: Latin, Latin-1, Latin Extended-A, Greek, Cyrillic,
 * the scripts with case among the 3.3.5a client's locales).
 */
#include <string.h>

#include "whisper.h"

/* Decodes one code point; returns its length, 0 on invalid UTF-8. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp) {
  if (len == 0) return 0;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
  if (n == 0 || s[0] > 0xF4 || n > len) return 0;
  uint32_t c = s[0] & (0x7F >> n);
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

static size_t encode(uint32_t c, char *out) {
  if (c < 0x80) {
    out[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    out[0] = (char)(0xC0 | (c >> 6));
    out[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = (char)(0xE0 | (c >> 12));
    out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (c >> 18));
  out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  out[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* Latin Extended-A: upper case letters sit on even code points in these
 * ranges and on odd ones in the others. */
static bool ext_a_upper_even(uint32_t c) {
  return (c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177);
}

static bool ext_a_upper_odd(uint32_t c) {
  return (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
}

static uint32_t lower_cp(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 32;
  if (c == 0x130) return 'i';
  if (c == 0x178) return 0xFF;
  if ((ext_a_upper_even(c) && c % 2 == 0) || (ext_a_upper_odd(c) && c % 2 == 1)) return c + 1;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  return c;
}

bool whisper_utf8_valid(const char *s, size_t len, size_t *chars) {
  size_t n = 0;
  for (size_t i = 0; i < len; n++) {
    uint32_t cp;
    size_t k = decode((const unsigned char *)s + i, len - i, &cp);
    if (k == 0 || cp == 0) return false;
    i += k;
  }
  if (chars) *chars = n;
  return true;
}

bool whisper_fold(const char *s, char *out, size_t out_size) {
  size_t len = strlen(s), o = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t k = decode((const unsigned char *)s + i, len - i, &cp);
    if (k == 0 || o + 4 >= out_size) return false;
    o += encode(lower_cp(cp), out + o);
    i += k;
  }
  out[o] = '\0';
  return true;
}

const char *whisper_check_name(const char *s) {
  size_t chars, len = s ? strlen(s) : 0;
  if (len == 0) return "is empty";
  if (!whisper_utf8_valid(s, len, &chars)) return "is not valid UTF-8";
  if (chars > WHISPER_NAME_CHARS || len > WHISPER_NAME_BYTES) return "is longer than 12 characters";
  return NULL;
}
