/* The ini parser (inih through config.c) and every host section's schema:
 * types, bounds, lists, enums, durations and sizes, restart-only keys. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  cfg_snapshot *snap = cfg_load_string("fuzz.ini", text);
  cfg_errors errs = {0};
  host_config *hc = host_config_build(snap, &errs);
  /* a reload against the defaults: restart-only keys are kept */
  cfg_snapshot *empty = cfg_load_string("empty.ini", "");
  cfg_errors errs2 = {0};
  host_config *running = host_config_build(empty, &errs2);
  strbuf notes;
  sb_init(&notes);
  host_config_keep_restart(running, hc, &notes);
  sb_free(&notes);
  host_config_free(running);
  host_config_free(hc);
  cfg_errors_free(&errs);
  cfg_errors_free(&errs2);
  cfg_free(empty);
  cfg_free(snap);
  free(text);
  return 0;
}
