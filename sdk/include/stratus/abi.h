/*
 * Stratus plugin ABI: version numbers and the header every cross-boundary
 * struct starts with. The rules are in sdk/ABI.md; read them before changing
 * anything in this directory.
 */
#ifndef STRATUS_ABI_H
#define STRATUS_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Incompatible change: every plugin must be rebuilt (new stratus-abi-N). */
#define STRATUS_ABI_MAJOR 1
/* Compatible change: members were appended to a struct, nothing else. */
#define STRATUS_ABI_MINOR 1

#define STRATUS_PLUGIN_MAGIC 0x50525453u /* "STRP" little-endian */
#define STRATUS_HOST_MAGIC   0x48525453u /* "STRH" little-endian */

/* The contract version written into the `api` field of every message. */
#define STRATUS_CONTRACT_VERSION "stratus-1.0"

#if defined(__GNUC__)
#define STRATUS_PRINTF(fmt_index, first_arg) \
  __attribute__((format(printf, fmt_index, first_arg)))
#define STRATUS_EXPORT __attribute__((visibility("default")))
#else
#define STRATUS_PRINTF(fmt_index, first_arg)
#define STRATUS_EXPORT
#endif

/*
 * First member of the plugin descriptor and of the host API table.
 * struct_size is sizeof() of the whole struct as the side that filled it was
 * compiled; a reader never looks past it.
 */
typedef struct stratus_abi_header {
  uint32_t magic;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
} stratus_abi_header;

_Static_assert(sizeof(stratus_abi_header) == 16,
               "stratus_abi_header must have no padding");

/* True when a struct filled by the other side reaches member `field`. */
#define STRATUS_STRUCT_HAS(ptr, type, field) \
  ((ptr)->hdr.struct_size >= offsetof(type, field) + sizeof((ptr)->field))

#endif
