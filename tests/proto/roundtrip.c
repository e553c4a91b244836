/*
 * Reads "<full message name> <base64 bytes>" lines (written by a real
 * protobuf implementation), decodes each with the generated protobuf-c
 * descriptor, encodes it again and prints "<name> <base64>" (or
 * "<name> ERROR <why>"). roundtrip.py compares the two sides.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <protobuf-c/protobuf-c.h>

extern const ProtobufCMessageDescriptor *const all_descriptors[];

static const ProtobufCMessageDescriptor *find(const char *name) {
  for (size_t i = 0; all_descriptors[i]; i++)
    if (strcmp(all_descriptors[i]->name, name) == 0) return all_descriptors[i];
  return NULL;
}

static void roundtrip(const char *name, const char *b64) {
  const ProtobufCMessageDescriptor *d = find(name);
  size_t n = strlen(b64);
  unsigned char *raw = malloc(n + 4), *out = NULL;
  int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
  while (len > 0 && n > 0 && b64[--n] == '=') len--; /* padding */
  ProtobufCMessage *m = d && len >= 0 ? protobuf_c_message_unpack(d, NULL, (size_t)len, raw) : NULL;
  if (!m) {
    printf("%s ERROR %s\n", name, d ? "cannot decode" : "no such message");
  } else {
    size_t size = protobuf_c_message_get_packed_size(m);
    out = malloc(size + 1);
    protobuf_c_message_pack(m, out);
    char *text = malloc(4 * (size / 3 + 1) + 1);
    EVP_EncodeBlock((unsigned char *)text, out, (int)size);
    printf("%s %s\n", name, text);
    free(text);
    protobuf_c_message_free_unpacked(m, NULL);
  }
  free(out);
  free(raw);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  size_t count = 0;
  while (getline(&line, &cap, stdin) > 0) {
    char *space = strchr(line, ' ');
    if (!space) continue;
    *space = '\0';
    space[1 + strcspn(space + 1, "\r\n")] = '\0';
    roundtrip(line, space + 1);
    count++;
  }
  free(line);
  size_t known = 0;
  while (all_descriptors[known]) known++;
  fprintf(stderr, "roundtrip: %zu messages, %zu descriptors\n", count, known);
  return 0;
}
