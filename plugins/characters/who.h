/*
 * /who over the online cache, with the filters of the client's CMSG_WHO as
 * AzerothCore applies them: level range (a maximum of 100 or more means
 * every level), race and class masks (bit 1 << id), up to 10 zones, a name
 * and a guild substring, up to 4 strings each matching the name or the guild
 * (the core also matches zone names, which need client data we do not
 * have), and the requester's faction unless two-sided lists are allowed.
 * Substrings compare case-folded text. The scan reads a 24-byte row per
 * character; a name is compared only when its bigram mask allows a match,
 * and guild names are matched once per query, not once per character.
 */
#ifndef STRATUS_CHARS_WHO_H
#define STRATUS_CHARS_WHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "online.h"

#define WHO_MAX_ZONES 10
#define WHO_MAX_STRINGS 4
#define WHO_MAX_TEXT 96 /* bytes of a name, guild or free string */

typedef struct who_text {
  size_t len;
  uint64_t bigrams; /* online_bigrams(folded) */
  char folded[WHO_MAX_TEXT];
} who_text;

typedef struct who_filter {
  uint32_t realm;
  uint32_t lvl_min, lvl_max;
  uint32_t race_mask, class_mask;
  const uint32_t *zones;
  size_t nzones;
  who_text name, guild;
  who_text strings[WHO_MAX_STRINGS];
  size_t nstrings;
  int team; /* TEAM_ALLIANCE or TEAM_HORDE; -1 = both factions */
  size_t max_results;
} who_filter;

/* Called for each of the first max_results matches; g may be NULL. */
typedef void (*who_each)(const oc_char *c, const oc_guild *g, void *ud);

/* Sets a text filter from valid UTF-8 of at most WHO_MAX_TEXT bytes. */
void who_text_set(who_text *t, const char *s, size_t len);
/* Does hay[0..hn) contain needle[0..nn)? (An empty needle is contained.) */
bool who_contains(const char *hay, size_t hn, const char *needle, size_t nn);
/* Runs the query and returns how many characters match in total. */
uint32_t who_run(const online *o, const who_filter *f, who_each each, void *ud);

#endif
