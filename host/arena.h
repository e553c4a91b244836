/*
 * A bump allocator for one call: memory is handed out from chunks and all
 * of it is freed at once. Not thread-safe; a call's arena is used by one
 * thread at a time (the loop, or the worker running the call's job).
 */
#ifndef STRATUS_HOST_ARENA_H
#define STRATUS_HOST_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
  arena_chunk *chunks; /* the newest first; the first one is inline */
  char *next, *end;
} arena;

/* Start with `size` bytes at `mem` (may be 0 bytes). */
void arena_init(arena *a, void *mem, size_t size);
/* Zeroed, 16-byte aligned; never NULL (aborts when memory runs out). */
void *arena_alloc(arena *a, size_t size);
char *arena_strndup(arena *a, const char *s, size_t len);
void arena_free(arena *a);

#endif
