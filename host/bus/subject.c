/* NATS subjects: validation and wildcard matching (the in-process bus
 * matches here; with NATS the server does). Tokens are separated by '.';
 * `*` stands for one token, `>` for one or more trailing tokens. */
#include <string.h>

#include "internal.h"

#define SUBJECT_MAX 1024

static bool bad_char(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

bool bus_subject_valid(const char *s, bool wildcards) {
  if (!s || !*s || strlen(s) > SUBJECT_MAX) return false;
  const char *tok = s;
  for (const char *p = s;; p++) {
    if (*p != '.' && *p != '\0') {
      if (bad_char(*p)) return false;
      continue;
    }
    size_t n = (size_t)(p - tok);
    if (n == 0) return false; /* "a..b", ".a", "a." */
    bool wild = n == 1 && (*tok == '*' || *tok == '>');
    if (wild && !wildcards) return false;
    if (wild && *tok == '>' && *p != '\0') return false; /* '>' only last */
    if (*p == '\0') return true;
    tok = p + 1;
  }
}

/* Length of the token starting at s (up to '.' or the end). */
static size_t token_len(const char *s) {
  const char *dot = strchr(s, '.');
  return dot ? (size_t)(dot - s) : strlen(s);
}

bool bus_subject_match(const char *pattern, const char *subject) {
  const char *p = pattern, *s = subject;
  for (;;) {
    size_t pn = token_len(p), sn = token_len(s);
    if (pn == 1 && *p == '>') return sn > 0;
    if (!(pn == 1 && *p == '*') && (pn != sn || memcmp(p, s, pn) != 0))
      return false;
    if (sn == 0) return false;
    p += pn;
    s += sn;
    if (*p == '\0' || *s == '\0') return *p == '\0' && *s == '\0';
    p++;
    s++;
  }
}
