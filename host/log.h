/* Logging to stderr: one line per message, written with a single write(2) so
 * lines from worker threads never interleave. Under systemd (JOURNAL_STREAM)
 * lines carry a <N> priority prefix instead of a timestamp. */
#ifndef STRATUS_HOST_LOG_H
#define STRATUS_HOST_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <stratus/host.h>

void log_init(void);
void log_set_level(int level);
int log_get_level(void);
/* Parse "error|warn|info|debug|trace"; -1 if unknown. */
int log_level_from_name(const char *name);
const char *log_level_name(int level);
extern const char *const log_level_names[]; /* NULL-terminated, by level */

/* `tag` names the source: "stratusd", "hello#3". `threshold` < 0 means the
 * global level. */
void log_vwrite(int level, int threshold, const char *tag, const char *fmt,
                va_list ap);
void log_write(int level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) log_write(STRATUS_LOG_ERROR, "stratusd", __VA_ARGS__)
#define log_warn(...) log_write(STRATUS_LOG_WARN, "stratusd", __VA_ARGS__)
#define log_info(...) log_write(STRATUS_LOG_INFO, "stratusd", __VA_ARGS__)
#define log_debug(...) log_write(STRATUS_LOG_DEBUG, "stratusd", __VA_ARGS__)

bool log_would_write(int level, int threshold);

#endif
