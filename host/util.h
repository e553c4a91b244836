/* Small helpers shared by the host: allocation, strings, a growable buffer. */
#ifndef STRATUS_HOST_UTIL_H
#define STRATUS_HOST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) ((void)(x))

/* Allocation failure in the host is fatal: it aborts with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *items (each `size` bytes) so that index `need` - 1 fits. */
void grow_array(void **items, size_t *cap, size_t need, size_t size);

char *str_trim(char *s);
bool str_has_prefix(const char *s, const char *prefix);
bool str_ieq(const char *a, const char *b);

/* A growable, always NUL-terminated byte buffer. */
typedef struct strbuf {
  char *data;
  size_t len, cap;
} strbuf;

void sb_init(strbuf *sb);
void sb_free(strbuf *sb);
void sb_reserve(strbuf *sb, size_t extra);
void sb_append(strbuf *sb, const void *data, size_t len);
void sb_puts(strbuf *sb, const char *s);
void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *sb, const char *fmt, va_list ap);
/* Hand the buffer over to the caller (free() it). */
char *sb_steal(strbuf *sb);

/* Monotonic and wall clocks. */
uint64_t clock_mono_ms(void);
uint64_t clock_mono_ns(void);
double clock_wall_s(void);


/* "a:b" with two unsigned 32-bit numbers; false if malformed. */
bool parse_u32_pair(const char *text, uint32_t *a, uint32_t *b);
/* A whole unsigned 32-bit number; false if malformed. */
bool parse_u32(const char *text, uint32_t *out);
#endif
