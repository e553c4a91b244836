#include "connect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>
#include <stratus/errors.h>
#include <uv.h>

#include "util.h"

static char *dup_or_null(const char *s) { return s && *s ? xstrdup(s) : NULL; }

static unsigned ms_to_s(int64_t ms) {
  return ms <= 0 ? 1 : (unsigned)((ms + 999) / 1000);
}

static int read_password(const char *path, char **out, char *err,
                         size_t errlen) {
  FILE *f = fopen(path, "re");
  if (!f) {
    snprintf(err, errlen, "password_file %s: %s", path, strerror(errno));
    return -1;
  }
  char buf[4097];
  size_t n = fread(buf, 1, sizeof(buf), f);
  bool bad = ferror(f) || n == sizeof(buf);
  fclose(f);
  if (bad) {
    snprintf(err, errlen, "password_file %s: unreadable or longer than 4096 "
             "bytes", path);
    return -1;
  }
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
  *out = xstrndup(buf, n);
  return 0;
}

int db_settings_load(db_settings *s, const db_section *cfg, char *err,
                     size_t errlen) {
  memset(s, 0, sizeof(*s));
  if (cfg->password_file && *cfg->password_file) {
    if (read_password(cfg->password_file, &s->password, err, errlen) != 0)
      return -1;
  } else {
    s->password = xstrdup(cfg->password ? cfg->password : "");
  }
  s->host = dup_or_null(cfg->host);
  s->socket = dup_or_null(cfg->socket);
  s->user = xstrdup(cfg->user ? cfg->user : "");
  s->database = dup_or_null(cfg->database);
  s->tls_ca = dup_or_null(cfg->tls_ca);
  s->port = (unsigned)cfg->port;
  s->connect_timeout_s = ms_to_s(cfg->connect_timeout_ms);
  s->read_timeout_s = ms_to_s(cfg->read_timeout_ms);
  s->write_timeout_s = ms_to_s(cfg->write_timeout_ms);
  s->tls = cfg->tls;
  s->tls_verify = cfg->tls_verify;
  s->txn_retries = (int)cfg->txn_retries;
  return 0;
}

void db_settings_free(db_settings *s) {
  free(s->host);
  free(s->socket);
  free(s->user);
  free(s->password);
  free(s->database);
  free(s->tls_ca);
  memset(s, 0, sizeof(*s));
}

static bool str_eq(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool db_settings_same_target(const db_settings *a, const db_settings *b) {
  return str_eq(a->host, b->host) && str_eq(a->socket, b->socket) &&
         str_eq(a->user, b->user) && str_eq(a->password, b->password) &&
         str_eq(a->database, b->database) && str_eq(a->tls_ca, b->tls_ca) &&
         a->port == b->port && a->tls == b->tls &&
         a->tls_verify == b->tls_verify &&
         a->connect_timeout_s == b->connect_timeout_s &&
         a->read_timeout_s == b->read_timeout_s &&
         a->write_timeout_s == b->write_timeout_s;
}

void db_settings_describe(const db_settings *s, char *out, size_t outlen) {
  if (s->socket)
    snprintf(out, outlen, "%s@unix:%s/%s", s->user, s->socket,
             s->database ? s->database : "");
  else
    snprintf(out, outlen, "%s@%s:%u/%s", s->user, s->host ? s->host : "",
             s->port, s->database ? s->database : "");
}

static uv_once_t lib_once = UV_ONCE_INIT;

static void lib_init(void) {
  if (mysql_library_init(0, NULL, NULL) != 0) {
    fprintf(stderr, "stratus: mysql_library_init failed\n");
    abort();
  }
}

void db_library_init(void) { uv_once(&lib_once, lib_init); }

void db_library_end(void) { mysql_library_end(); }

static void set_options(MYSQL *m, const db_settings *s) {
  my_bool off = 0, on = 1;
  unsigned proto = s->socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
  mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &s->connect_timeout_s);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &s->read_timeout_s);
  mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &s->write_timeout_s);
  mysql_options(m, MYSQL_OPT_RECONNECT, &off);
  mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &off);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (s->tls) {
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
    if (s->tls_ca) mysql_options(m, MYSQL_OPT_SSL_CA, s->tls_ca);
    mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
                  s->tls_verify ? &on : &off);
  }
}

MYSQL *db_connect(const db_settings *s, char *err, size_t errlen,
                  unsigned *errnum) {
  db_library_init();
  MYSQL *m = mysql_init(NULL);
  if (!m) {
    snprintf(err, errlen, "mysql_init: out of memory");
    *errnum = CR_OUT_OF_MEMORY;
    return NULL;
  }
  set_options(m, s);
  const char *host = s->socket ? "localhost" : s->host;
  if (!mysql_real_connect(m, host, s->user, s->password, s->database,
                          s->socket ? 0 : s->port, s->socket, 0) ||
      mysql_autocommit(m, 1) != 0) {
    char where[512];
    db_settings_describe(s, where, sizeof(where));
    snprintf(err, errlen, "connect %s: %s (%u)", where, mysql_error(m),
             mysql_errno(m));
    *errnum = mysql_errno(m);
    mysql_close(m);
    return NULL;
  }
  return m;
}

bool db_errno_is_unavailable(unsigned e) {
  switch (e) {
  case CR_CONNECTION_ERROR:   /* 2002 */
  case CR_CONN_HOST_ERROR:    /* 2003 */
  case CR_SERVER_GONE_ERROR:  /* 2006 */
  case CR_SERVER_LOST:        /* 2013 */
  case CR_SERVER_LOST_EXTENDED: /* 2055 */
  case ER_SERVER_SHUTDOWN:    /* 1053 */
  case ER_CONNECTION_KILLED:  /* 1927 */
    return true;
  default:
    return false;
  }
}

int db_errno_to_status(unsigned e) {
  if (db_errno_is_unavailable(e)) return STRATUS_EUNAVAILABLE;
  if (e == ER_DUP_ENTRY) return STRATUS_ECONFLICT;
  return STRATUS_EDB;
}

const char *db_schema_kind(const char *name, const db_section *cfg) {
  if (cfg && cfg->schema > 0) return db_schema_names[cfg->schema];
  if (strcmp(name, "auth") == 0) return "auth";
  if (strcmp(name, "world") == 0) return "world";
  if (strcmp(name, "characters") == 0 || str_has_prefix(name, "characters."))
    return "characters";
  return NULL;
}
