#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

const char *const log_level_names[] = {"error", "warn", "info", "debug",
                                       "trace", NULL};
static const char *const level_labels[] = {"ERROR", "WARN ", "INFO ", "DEBUG",
                                           "TRACE"};
/* syslog priorities for sd-daemon style prefixes */
static const int level_priority[] = {3, 4, 6, 7, 7};

static int global_level = STRATUS_LOG_INFO;
static bool to_journal;

void log_init(void) { to_journal = getenv("JOURNAL_STREAM") != NULL; }

void log_set_level(int level) { global_level = level; }
int log_get_level(void) { return global_level; }

int log_level_from_name(const char *name) {
  for (int i = 0; log_level_names[i]; i++)
    if (str_ieq(name, log_level_names[i])) return i;
  return -1;
}

const char *log_level_name(int level) {
  if (level < 0 || level > STRATUS_LOG_TRACE) return "?";
  return log_level_names[level];
}

bool log_would_write(int level, int threshold) {
  return level <= (threshold >= 0 ? threshold : global_level);
}

static void put_prefix(strbuf *sb, int level) {
  if (to_journal) {
    sb_printf(sb, "<%d>", level_priority[level]);
    return;
  }
  struct timeval tv;
  struct tm tm;
  char when[32];
  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  sb_printf(sb, "%s.%03dZ ", when, (int)(tv.tv_usec / 1000));
}

void log_vwrite(int level, int threshold, const char *tag, const char *fmt,
                va_list ap) {
  if (level < STRATUS_LOG_ERROR) level = STRATUS_LOG_ERROR;
  if (level > STRATUS_LOG_TRACE) level = STRATUS_LOG_TRACE;
  if (!log_would_write(level, threshold)) return;
  strbuf sb;
  sb_init(&sb);
  put_prefix(&sb, level);
  sb_printf(&sb, "%s [%s] ", level_labels[level], tag);
  sb_vprintf(&sb, fmt, ap);
  while (sb.len > 0 && sb.data[sb.len - 1] == '\n') sb.data[--sb.len] = '\0';
  sb_append(&sb, "\n", 1);
  ssize_t off = 0;
  while ((size_t)off < sb.len) {
    ssize_t n = write(STDERR_FILENO, sb.data + off, sb.len - (size_t)off);
    if (n <= 0) break;
    off += n;
  }
  sb_free(&sb);
}

void log_write(int level, const char *tag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vwrite(level, -1, tag, fmt, ap);
  va_end(ap);
}
