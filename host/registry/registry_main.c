/* The registry's life: start with the daemon, follow reloads, stop. */
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "log.h"
#include "registry.h"
#include "stratusd.h"
#include "util.h"

static stratus_ctx *host_ctx;
static char *applied_layers; /* [discovery] layers as last applied */

static char *join(const char *const *list) {
  strbuf sb;
  sb_init(&sb);
  for (size_t i = 0; list && list[i]; i++) sb_printf(&sb, "%s,", list[i]);
  return sb_steal(&sb);
}

/* Configured layers go to every realm and to the crossrealm servers (realm
 * 0); only when they changed, so runtime updates survive unrelated reloads. */
static void apply_layers(const discovery_section *d) {
  char *text = join(d->layers);
  if (applied_layers && strcmp(text, applied_layers) == 0) {
    free(text);
    return;
  }
  free(applied_layers);
  applied_layers = text;
  size_t n = 0, cap = 0;
  while (d->layers[cap]) cap++;
  map_layers *l = xcalloc(cap + 1, sizeof(*l));
  for (size_t i = 0; i < cap; i++)
    if (parse_u32_pair(d->layers[i], &l[n].map, &l[n].layers)) n++;
  char err[256];
  for (size_t i = 0; d->realms[i]; i++) {
    uint32_t realm;
    if (parse_u32(d->realms[i], &realm)) registry_set_layers(realm, l, n, err, sizeof(err));
  }
  registry_set_layers(0, l, n, err, sizeof(err));
  free(l);
}

int registry_start(const host_config *hc, char *err, size_t errlen) {
  registry_store_open();
  registry_metrics_init();
  registry_policy_apply(hc->registry);
  registry_settings(hc->discovery);
  apply_layers(hc->discovery);
  host_ctx = inst_create_host("registry");
  int rc = registry_rpc_register(host_ctx);
  if (rc == 0) rc = health_start(hc->health);
  if (rc != 0) {
    snprintf(err, errlen, "servers registry: %s", stratus_strerror(rc));
    return rc;
  }
  inst_activate(host_ctx);
  return 0;
}

void registry_apply(const host_config *hc) {
  registry_policy_apply(hc->registry);
  registry_settings(hc->discovery);
  apply_layers(hc->discovery);
  health_apply(hc->health);
}

void registry_stop(void) {
  health_stop();
  if (host_ctx) inst_begin_stop(host_ctx);
  host_ctx = NULL;
  free(applied_layers);
  applied_layers = NULL;
  registry_store_close();
  registry_policy_close();
  registry_metrics_close();
}
