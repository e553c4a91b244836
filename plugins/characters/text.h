/*
 * UTF-8 helpers for character names and friend notes: validation, simple
 * case folding (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic: the
 * alphabets of the 3.3.5a client's locales) and the core's name form
 * ("Arthas": first letter upper case, the rest lower case).
 *
 * Folding maps every letter to a letter of the same UTF-8 length, so the
 * output is always exactly as long as the input.
 *
 * Shared by the characters and realid plugins (realid compiles this file).
 */
#ifndef STRATUS_CHARS_TEXT_H
#define STRATUS_CHARS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Code points in s[0..n), or -1 when it is not valid UTF-8 or holds a NUL. */
int text_utf8_chars(const char *s, size_t n);
/* Lower-case fold of valid UTF-8 s[0..n) into out (n bytes, not terminated). */
void text_fold(const char *s, size_t n, char *out);
/* The core's name form of valid UTF-8 s[0..n) into out (n bytes). */
void text_name_form(const char *s, size_t n, char *out);
/* Does hay[0..hn) contain needle[0..nn)? (An empty needle is contained.) */
bool text_contains(const char *hay, size_t hn, const char *needle, size_t nn);

#endif
