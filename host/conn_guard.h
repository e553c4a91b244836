/* Admission of new connections on a listener: a cap on the connections open
 * at once, and descriptors held back for what is not a listener (database
 * pools, NATS, health probes, plugins). A listener that is full makes room by
 * closing its oldest idle connection, or refuses the new one; either way one
 * log line says so (again only after the listener has been below the limit),
 * and counters (stratus_connections_*{listener}) count each case. */
#ifndef STRATUS_HOST_CONN_GUARD_H
#define STRATUS_HOST_CONN_GUARD_H

#include <stdbool.h>
#include <stdint.h>

typedef struct conn_guard {
  const char *name;      /* "grpc", "http", "admin": the metric label */
  const char *limit_key; /* "[grpc] max_connections", for the log line */
  uint32_t max;          /* 0: no cap of its own (descriptors still count) */
  uint32_t open;         /* counting the one being admitted */
  uint32_t limited_open; /* open when the limit was logged */
  uint64_t shed, refused, accept_errors;
  bool limited, accept_failing; /* a log line was written for the episode */
  /* When the listener's oldest idle connection was accepted (loop ms), or
   * UINT64_MAX when it has none; and closing that one. */
  uint64_t (*oldest_idle)(void);
  void (*shed_oldest)(void);
  struct conn_guard *next;      /* in the process's list, for metrics */
} conn_guard;

/* Descriptors no listener may take (a process-wide setting). */
void conn_guard_set_reserve(uint32_t fds);
/* Add g to the list that conn_guard_refresh_metrics() reports; once. */
void conn_guard_register(conn_guard *g);
/* A connection was accepted on descriptor fd and counted (conn_guard_opened).
 * Under the cap and with descriptors to spare: true. Otherwise an idle
 * connection is closed to make room (the listener's oldest; when descriptors
 * are short, the oldest of all listeners) and true; with none to close,
 * false: the caller closes the new one, which is counted as refused. */
bool conn_guard_admit(conn_guard *g, int fd);
void conn_guard_opened(conn_guard *g);
void conn_guard_closed(conn_guard *g);
/* The listener's accept failed (EMFILE, ENFILE, ENOMEM...): logged once
 * until an accept succeeds again. */
void conn_guard_accept_failed(conn_guard *g, int uv_err);

/* The registered guards, for metrics (NULL-terminated through next). */
const conn_guard *conn_guard_list(void);

#endif
