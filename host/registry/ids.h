/* Registry IDs as ToCloud9 derives them: the decimal 32-bit FNV-1a of the
 * lowercased address, so a restarted process keeps its ID, and a readable
 * alias "<modifier>-<name>-<code>" derived from the same sum. */
#ifndef STRATUS_REGISTRY_IDS_H
#define STRATUS_REGISTRY_IDS_H

#include <stddef.h>
#include <stdint.h>

uint32_t registry_fnv1a32_lower(const char *text);
/* Writes the decimal ID of `address` into out (at least 11 bytes). */
void registry_id(const char *address, char *out, size_t len);
/* Writes the alias of `address` into out (at least 48 bytes). */
void registry_alias(const char *address, char *out, size_t len);
/* "host:port" lowercased, an IPv6 literal in brackets; caller frees. */
char *registry_host_port(const char *host, unsigned port);

#endif
