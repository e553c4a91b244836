/*
 * The one builder of a per-realm pool name: "<family>.<realm>", e.g.
 * "characters.3", for work that is not a declared method's (a declared
 * method names its family and lets req_use_realm build it).
 *
 * Part of stratus_plugin_common.
 */
#ifndef STRATUS_PLUGIN_COMMON_POOL_H
#define STRATUS_PLUGIN_COMMON_POOL_H

#include <stdint.h>
#include <stdio.h>

#define REALM_POOL_MAX 40

static inline const char *realm_pool(char out[REALM_POOL_MAX], const char *family,
                                     uint32_t realm) {
  snprintf(out, REALM_POOL_MAX, "%s.%u", family, (unsigned)realm);
  return out;
}

#endif
