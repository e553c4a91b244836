#include "paths.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef STRATUS_INSTALL_PREFIX
#define STRATUS_INSTALL_PREFIX "/usr/local"
#endif
#ifndef STRATUS_INSTALL_BINDIR
#define STRATUS_INSTALL_BINDIR "bin"
#endif
#ifndef STRATUS_INSTALL_SBINDIR
#define STRATUS_INSTALL_SBINDIR "sbin"
#endif
#ifndef STRATUS_BUILD_BINDIR
#define STRATUS_BUILD_BINDIR ""
#endif

/* The directory of this executable, or "" when unknown. */
static const char *exe_dir(void) {
  static char dir[PATH_MAX];
  static bool done;
  if (done) return dir;
  done = true;
  ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
  dir[n > 0 ? n : 0] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  return dir;
}

static bool has_suffix(const char *s, const char *suffix, size_t *at) {
  size_t n = strlen(s), m = strlen(suffix);
  if (m + 1 > n || strcmp(s + n - m, suffix) != 0 || s[n - m - 1] != '/')
    return false;
  *at = n - m - 1;
  return true;
}

/* The prefix this executable was installed to, or NULL. Install dirs
 * relative to the prefix: bin and sbin as configured. */
static char *actual_prefix(void) {
  static const char *const bindirs[] = {STRATUS_INSTALL_BINDIR,
                                        STRATUS_INSTALL_SBINDIR};
  const char *dir = exe_dir();
  for (size_t i = 0; i < ARRAY_LEN(bindirs); i++) {
    size_t at;
    if (has_suffix(dir, bindirs[i], &at)) return xstrndup(dir, at);
  }
  return NULL;
}

char *install_path(const char *compiled) {
  const char *prefix = STRATUS_INSTALL_PREFIX;
  size_t plen = strlen(prefix);
  if (strncmp(compiled, prefix, plen) != 0 || compiled[plen] != '/')
    return xstrdup(compiled); /* outside the prefix, e.g. /etc */
  char *actual = actual_prefix();
  char *moved = actual ? xasprintf("%s%s", actual, compiled + plen) : NULL;
  free(actual);
  if (moved && strcmp(moved, compiled) != 0 && access(moved, F_OK) == 0)
    return moved;
  free(moved);
  return xstrdup(compiled);
}

bool paths_in_build_tree(void) {
  char build[PATH_MAX];
  return *STRATUS_BUILD_BINDIR && realpath(STRATUS_BUILD_BINDIR, build) &&
         strcmp(exe_dir(), build) == 0;
}
