#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "util.h"

static char *pid_path;

void notify_ready(const char *status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status ? status : "serving",
             (unsigned long)getpid());
}

void notify_reloading(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull +
                 (unsigned long long)ts.tv_nsec / 1000ull);
}

void notify_stopping(void) { sd_notify(0, "STOPPING=1"); }

int pidfile_write(const char *path) {
  char buf[32];
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  int n = snprintf(buf, sizeof(buf), "%lu\n", (unsigned long)getpid());
  int rc = write(fd, buf, (size_t)n) == n ? 0 : -EIO;
  close(fd);
  if (rc == 0) pid_path = xstrdup(path);
  return rc;
}

void pidfile_remove(void) {
  if (!pid_path) return;
  unlink(pid_path);
  free(pid_path);
  pid_path = NULL;
}

static uv_signal_t sig_hup, sig_term, sig_int;
static void (*hup_cb)(void);
static void (*stop_cb)(const char *why);

static void on_signal(uv_signal_t *s, int signum) {
  (void)s;
  if (signum == SIGHUP)
    hup_cb();
  else
    stop_cb(signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

void daemon_signals_init(uv_loop_t *loop) {
  signal(SIGPIPE, SIG_IGN);
  uv_signal_init(loop, &sig_hup);
  uv_signal_init(loop, &sig_term);
  uv_signal_init(loop, &sig_int);
}

void daemon_signals_start(void (*on_hup)(void), void (*on_stop)(const char *why)) {
  hup_cb = on_hup;
  stop_cb = on_stop;
  uv_signal_start(&sig_hup, on_signal, SIGHUP);
  uv_signal_start(&sig_term, on_signal, SIGTERM);
  uv_signal_start(&sig_int, on_signal, SIGINT);
}

static void close_if_open(uv_signal_t *s) {
  if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, NULL);
}

void daemon_signals_close(void) {
  close_if_open(&sig_hup);
  close_if_open(&sig_term);
  close_if_open(&sig_int);
}
