#include "ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

uint32_t registry_fnv1a32_lower(const char *text) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    h ^= (uint32_t)tolower(*p);
    h *= 16777619u;
  }
  return h;
}

void registry_id(const char *address, char *out, size_t len) {
  snprintf(out, len, "%u", registry_fnv1a32_lower(address));
}

/* Stratus's own words; only the shape of the alias follows ToCloud9. */
static const char *const modifiers[12] = {
    "swift", "silent", "frozen", "burning", "ancient", "shadow",
    "golden", "iron",  "storm",  "crimson", "hollow", "wild"};
static const char *const names[43] = {
    "wyrm",    "lich",    "drake",   "ghoul",   "titan",   "golem",
    "harpy",   "kobold",  "murloc",  "naga",    "ogre",    "troll",
    "gnoll",   "satyr",   "wisp",    "treant",  "basilisk", "chimera",
    "hydra",   "kraken",  "phoenix", "raptor",  "scorpid", "spider",
    "vrykul",  "wolf",    "yeti",    "gargoyle", "banshee", "wraith",
    "djinn",   "elemental", "furbolg", "gryphon", "hippogryph", "mammoth",
    "nerubian", "owlbeast", "proto",  "quilboar", "revenant", "sprite",
    "tauren"};

void registry_alias(const char *address, char *out, size_t len) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  uint32_t sum = registry_fnv1a32_lower(address);
  uint32_t code = (sum / (12u * 43u)) % 1296u;
  snprintf(out, len, "%s-%s-%c%c", modifiers[sum % 12u], names[(sum / 12u) % 43u],
           digits[code / 36u], digits[code % 36u]);
}

char *registry_host_port(const char *host, unsigned port) {
  int v6 = strchr(host, ':') && host[0] != '[';
  char *s = xasprintf(v6 ? "[%s]:%u" : "%s:%u", host, port);
  for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
  return s;
}
