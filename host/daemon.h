/* Process plumbing: systemd notifications and the pid file. */
#ifndef STRATUS_HOST_DAEMON_H
#define STRATUS_HOST_DAEMON_H

#include <uv.h>

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);

/* SIGHUP calls on_hup, SIGTERM/SIGINT call on_stop with the signal's name;
 * both on the loop. SIGPIPE is ignored. */
void daemon_signals_init(uv_loop_t *loop);
void daemon_signals_start(void (*on_hup)(void), void (*on_stop)(const char *why));
void daemon_signals_close(void);

/* 0 or -errno; the file is removed by pidfile_remove. */
int pidfile_write(const char *path);
void pidfile_remove(void);

#endif
