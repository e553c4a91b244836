/* Process plumbing: systemd notifications and the pid file. */
#ifndef STRATUS_HOST_DAEMON_H
#define STRATUS_HOST_DAEMON_H

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);

/* 0 or -errno; the file is removed by pidfile_remove. */
int pidfile_write(const char *path);
void pidfile_remove(void);

#endif
