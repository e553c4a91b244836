/*
 * Where installed files are. Paths are compiled in for the configured
 * prefix; a tree installed elsewhere (`cmake --install build --prefix
 * /opt/x`) finds them beside its executables instead.
 */
#ifndef STRATUS_HOST_PATHS_H
#define STRATUS_HOST_PATHS_H

#include <stdbool.h>

/* `compiled` (a path under the configured install prefix), moved to the
 * prefix this executable was installed to when the executable sits in that
 * prefix's bin/ or sbin/ and the moved path exists; else `compiled`.
 * Returns a string owned by the caller. */
char *install_path(const char *compiled);

/* True when this executable runs from the build tree it was built in. */
bool paths_in_build_tree(void);

#endif
