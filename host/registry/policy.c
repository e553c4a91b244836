/*
 * Who may register, and which addresses the registry dials ([registry]).
 *  - allow_from: the caller's IP must be inside one of these ranges.
 *  - preferred_hosts: a preferredHostName is accepted only when it is one of
 *    these names, matches a "*.domain" entry, or is an IP inside a listed
 *    range. Names are compared as written, never resolved (what a name
 *    resolves to can change after the check). Empty: none is accepted.
 *  - dial_preferred_host = no: health checks and calls go to the caller's
 *    IP; the preferred name only goes into addresses handed to clients.
 * The stock libsidecar speaks plaintext h2c: these checks are what stands
 * between the network and the registry, so keep the gRPC port on a
 * private network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "registry.h"
#include "util.h"

static char **allow_from, **preferred_hosts;
static bool dial_preferred;

static char **copy_list(const char *const *list) {
  size_t n = 0;
  while (list && list[n]) n++;
  char **c = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) c[i] = xstrdup(list[i]);
  return c;
}

static void free_list(char **list) {
  for (size_t i = 0; list && list[i]; i++) free(list[i]);
  free(list);
}

void registry_policy_apply(const registry_section *r) {
  registry_policy_close();
  allow_from = copy_list(r->allow_from);
  preferred_hosts = copy_list(r->preferred_hosts);
  dial_preferred = r->dial_preferred_host;
}

void registry_policy_close(void) {
  free_list(allow_from);
  free_list(preferred_hosts);
  allow_from = preferred_hosts = NULL;
}

int registry_policy_caller(const char *peer_ip, const char *what, char *err, size_t errlen) {
  if (strcmp(peer_ip, "local") == 0) return STRATUS_GRPC_OK; /* a plugin, in process */
  if (cidr_list_match((const char *const *)allow_from, peer_ip)) return STRATUS_GRPC_OK;
  snprintf(err, errlen, "%s from %.64s refused: the address is not in [registry] allow_from",
           what, peer_ip);
  return STRATUS_GRPC_PERMISSION_DENIED;
}

static bool name_matches(const char *pattern, const char *host) {
  if (strncmp(pattern, "*.", 2) != 0) return strcasecmp(pattern, host) == 0;
  size_t n = strlen(host), m = strlen(pattern + 1); /* ".domain" */
  return n > m && strcasecmp(host + n - m, pattern + 1) == 0;
}

int registry_policy_preferred(const char *host, char *err, size_t errlen) {
  bool ok = false;
  if (cidr_is_ip(host)) {
    ok = cidr_list_match((const char *const *)preferred_hosts, host);
  } else {
    for (size_t i = 0; !ok && preferred_hosts && preferred_hosts[i]; i++)
      ok = name_matches(preferred_hosts[i], host);
  }
  if (ok) return STRATUS_GRPC_OK;
  snprintf(err, errlen, "preferredHostName '%.64s' refused: it is not in [registry] "
           "preferred_hosts%s", host,
           preferred_hosts && preferred_hosts[0] ? "" : " (empty: leave preferredHostName empty)");
  return STRATUS_GRPC_PERMISSION_DENIED;
}

bool registry_policy_dial_preferred(void) { return dial_preferred; }
