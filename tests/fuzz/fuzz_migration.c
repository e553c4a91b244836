/* Migration files (stratusctl migrate): statement splitting, comments, and
 * the guard that keeps AzerothCore's own tables and columns untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  char **stmts = NULL;
  int *lines = NULL;
  size_t n = sql_split(text, &stmts, &lines);
  for (size_t i = 0; i < n; i++) {
    char why[256];
    if (lines[i] < 1) abort();
    migration_guard_ok(stmts[i], why, sizeof(why));
    free(stmts[i]);
  }
  free(stmts);
  free(lines);
  free(text);
  return 0;
}
