#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ARENA_ALIGN 16u
#define ARENA_CHUNK 4096u

struct arena_chunk {
  arena_chunk *next;
  _Alignas(16) char data[];
};

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

void arena_init(arena *a, void *mem, size_t size) {
  a->chunks = NULL;
  a->next = mem;
  a->end = (char *)mem + size;
}

static void grow(arena *a, size_t need) {
  size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
  arena_chunk *c = xmalloc(sizeof(*c) + size);
  c->next = a->chunks;
  a->chunks = c;
  a->next = c->data;
  a->end = c->data + size;
}

void *arena_alloc(arena *a, size_t size) {
  size = align_up(size ? size : 1);
  uintptr_t at = align_up((uintptr_t)a->next);
  if (!a->next || at + size > (uintptr_t)a->end) {
    grow(a, size);
    at = (uintptr_t)a->next;
  }
  a->next = (char *)(at + size);
  return memset((void *)at, 0, size);
}

char *arena_strndup(arena *a, const char *s, size_t len) {
  char *p = arena_alloc(a, len + 1);
  if (len) memcpy(p, s, len);
  return p;
}

void arena_free(arena *a) {
  while (a->chunks) {
    arena_chunk *c = a->chunks;
    a->chunks = c->next;
    free(c);
  }
  a->next = a->end = NULL;
}
