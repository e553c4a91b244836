/* Reads numbers from stdin, one a line ("f" prefix: as float32), and
 * writes each as gojson_float does; check_gofloat.py compares. */
#include <stdio.h>
#include <stdlib.h>

#include "gojson.h"

int main(void) {
  char line[128];
  strbuf sb;
  sb_init(&sb);
  while (fgets(line, sizeof(line), stdin)) {
    int bits = line[0] == 'f' ? 32 : 64;
    sb.len = 0;
    gojson_float(&sb, strtod(line + (bits == 32), NULL), bits);
    puts(sb.data);
  }
  sb_free(&sb);
  return 0;
}
