/*
 * Connection settings of one [db.<name>] section and opening a connection
 * with them. Shared by the pools (stratusd) and `stratusctl migrate`.
 */
#ifndef STRATUS_HOST_DB_CONNECT_H
#define STRATUS_HOST_DB_CONNECT_H

#include <stdbool.h>
#include <stddef.h>

#include "mysql_inc.h"

#include "host_config.h"

/* An owned copy of what a connection needs, the password already read from
 * password_file. Immutable once loaded. */
typedef struct db_settings {
  char *host, *socket, *user, *password, *database, *tls_ca;
  unsigned port;
  unsigned connect_timeout_s, read_timeout_s, write_timeout_s;
  bool tls, tls_verify;
  int txn_retries;
} db_settings;

/* Copy cfg into s, reading password_file (trailing newline stripped). 0, or
 * -1 with a message in err (s is then empty). */
int db_settings_load(db_settings *s, const db_section *cfg, char *err,
                     size_t errlen);
void db_settings_free(db_settings *s);
/* Do a and b connect to the same server as the same user? */
bool db_settings_same_target(const db_settings *a, const db_settings *b);
/* "user@host:port/database" or "user@unix:socket/database" for messages. */
void db_settings_describe(const db_settings *s, char *out, size_t outlen);

/* mysql_library_init, once per process (thread-safe). */
void db_library_init(void);
/* mysql_library_end; only when no connection or worker thread is left. */
void db_library_end(void);

/* Open a connection: utf8mb4, autocommit on, no automatic reconnect, the
 * section's timeouts and TLS. NULL with err and *errnum set on failure. */
MYSQL *db_connect(const db_settings *s, char *err, size_t errlen,
                  unsigned *errnum);

/* Errors that mean the server is gone or unreachable (the connection is
 * dead): 2002, 2003, 2006, 2013, 2055, and the server's shutdown/kill
 * notices 1053 and 1927. */
bool db_errno_is_unavailable(unsigned errnum);
/* STRATUS_EUNAVAILABLE, STRATUS_ECONFLICT (1062) or STRATUS_EDB. */
int db_errno_to_status(unsigned errnum);

/* The schema kind of a section: "auth", "characters", "world", or NULL when
 * neither db_section.schema nor the section name tells. */
const char *db_schema_kind(const char *name, const db_section *cfg);

#endif
