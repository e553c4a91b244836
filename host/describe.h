/*
 * `stratusd --describe-config`: every host section and the keys of every
 * plugin it can find, with type, range, default, reloadable or restart-only,
 * and help, printed as ini comments. `stratusctl config` runs it.
 */
#ifndef STRATUS_HOST_DESCRIBE_H
#define STRATUS_HOST_DESCRIBE_H

#include <stdbool.h>
#include <stdio.h>

/* Plugins: the *.so files in the plugin directory plus the [plugin.*]
 * sections of `path` that set `path =`. A missing `path` counts as empty
 * unless `required`. 0, or 1 when the file is invalid or a plugin cannot
 * be loaded (said on stderr; the rest is still printed). */
int describe_config(const char *path, bool required, FILE *out);

#endif
