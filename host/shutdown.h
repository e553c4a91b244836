/* The stop sequence: stop taking calls, let them finish, stop plugins, let
 * them drain, then close the bus, pools and listeners. */
#ifndef STRATUS_HOST_SHUTDOWN_H
#define STRATUS_HOST_SHUTDOWN_H

void shutdown_init(void);
/* Start stopping (idempotent). `why` goes to the log. */
void shutdown_begin(const char *why);

#endif
