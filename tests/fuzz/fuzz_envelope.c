/* NATS events as they arrive: the envelope {"v","t","p"} parser, the JSON
 * value span finder, and subject validation and matching. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void subjects(const char *text, size_t len) {
  const char *nl = memchr(text, '\n', len);
  if (!nl) return;
  char *pattern = strndup(text, (size_t)(nl - text));
  const char *subject = nl + 1;
  bool pv = bus_subject_valid(pattern, true);
  bool sv = bus_subject_valid(subject, false);
  if (pv && sv) bus_subject_match(pattern, subject);
  free(pattern);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  strbuf scratch;
  sb_init(&scratch);
  bus_envelope env;
  bus_envelope_parse(text, size, &env, &scratch);
  if (env.payload && env.payload[env.payload_len] != '\0') abort();
  static const char *const keys[] = {"v", "t", "p", "Name", ""};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    size_t off, len;
    if (bus_json_value_span(text, size, keys[i], &off, &len) && (off > size || len > size - off))
      abort();
  }
  subjects(text, size);
  sb_free(&scratch);
  free(text);
  return 0;
}
