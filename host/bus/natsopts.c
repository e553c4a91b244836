/* [bus] settings: a private copy (the config snapshot goes away on the next
 * reload) and the cnats options built from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static char *dup_or_empty(const char *s) { return xstrdup(s ? s : ""); }

/* bus_cfg mirrors bus_section: one list of fields serves copy, compare, free. */
#define STRING_FIELDS(X) \
  X(nats_url) X(name) X(user) X(password) X(token) X(creds_file) X(tls_ca) X(tls_cert) X(tls_key)
#define NUMBER_FIELDS(X) \
  X(max_pending) X(reconnect_wait_ms) X(ping_interval_ms) X(max_pings_out) X(connect_timeout_ms)
#define COPY_STRING(f) c->f = dup_or_empty(s->f);
#define COPY_NUMBER(f) c->f = s->f;
#define SAME_STRING(f) &&same(a->f, b->f)
#define SAME_NUMBER(f) &&a->f == b->f
#define FREE_STRING(f) free(c->f);

bus_cfg *bus_cfg_copy(const bus_section *s) {
  bus_cfg *c = xcalloc(1, sizeof(*c));
  STRING_FIELDS(COPY_STRING)
  NUMBER_FIELDS(COPY_NUMBER)
  return c;
}

bus_cfg *bus_cfg_dup(const bus_cfg *s) {
  bus_cfg *c = xcalloc(1, sizeof(*c));
  STRING_FIELDS(COPY_STRING)
  NUMBER_FIELDS(COPY_NUMBER)
  return c;
}

static bool same(const char *a, const char *b) {
  return strcmp(a, b ? b : "") == 0;
}

bool bus_cfg_equal(const bus_cfg *a, const bus_section *b) {
  return true STRING_FIELDS(SAME_STRING) NUMBER_FIELDS(SAME_NUMBER);
}

void bus_cfg_free(bus_cfg *c) {
  if (!c) return;
  STRING_FIELDS(FREE_STRING)
  free(c);
}

char *bus_url_redacted(const char *list) {
  strbuf out;
  sb_init(&out);
  for (const char *p = list; *p;) {
    const char *scheme = strstr(p, "://");
    if (!scheme) {
      sb_puts(&out, p);
      break;
    }
    const char *host = scheme + 3;
    size_t span = strcspn(host, "@,/");
    sb_append(&out, p, (size_t)(host - p));
    if (host[span] == '@') { /* user:password@ or token@ */
      sb_puts(&out, "***");
      host += span;
    }
    p = host;
    size_t rest = strcspn(p, ",");
    sb_append(&out, p, rest + (p[rest] == ','));
    p += rest + (p[rest] == ',');
  }
  if (!out.data) sb_puts(&out, "");
  return sb_steal(&out);
}

/* "nats://a:4222, nats://b:4222" -> natsOptions_SetServers. */
static natsStatus set_servers(natsOptions *o, const char *list) {
  char *copy = xstrdup(list), *save = NULL;
  const char **urls = NULL;
  size_t n = 0, cap = 0;
  for (char *tok = strtok_r(copy, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char *url = str_trim(tok);
    if (!*url) continue;
    grow_array((void **)&urls, &cap, n + 1, sizeof(*urls));
    urls[n++] = url;
  }
  natsStatus s = n ? natsOptions_SetServers(o, urls, (int)n) : NATS_INVALID_ARG;
  free(urls);
  free(copy);
  return s;
}

static bool readable(const char *path, const char *what, char *err,
                     size_t errlen) {
  if (access(path, R_OK) == 0) return true;
  snprintf(err, errlen, "[bus] %s %s is not readable", what, path);
  return false;
}

/* The credential and TLS files, checked now so that a reload can refuse
 * them instead of failing later on a cnats thread. */
static bool files_ok(const bus_cfg *c, char *err, size_t errlen) {
  if (*c->creds_file && !readable(c->creds_file, "creds_file", err, errlen))
    return false;
  if (*c->tls_ca && !readable(c->tls_ca, "tls_ca", err, errlen)) return false;
  if (!*c->tls_cert != !*c->tls_key) {
    snprintf(err, errlen, "[bus] tls_cert and tls_key go together");
    return false;
  }
  return !*c->tls_cert || (readable(c->tls_cert, "tls_cert", err, errlen) &&
                           readable(c->tls_key, "tls_key", err, errlen));
}

static natsStatus set_auth(natsOptions *o, const bus_cfg *c) {
  natsStatus s = NATS_OK;
  if (*c->user) s = natsOptions_SetUserInfo(o, c->user, c->password);
  if (s == NATS_OK && *c->token) s = natsOptions_SetToken(o, c->token);
  if (s == NATS_OK && *c->creds_file)
    s = natsOptions_SetUserCredentialsFromFiles(o, c->creds_file, NULL);
  if (s != NATS_OK || !(*c->tls_ca || *c->tls_cert)) return s;
  s = natsOptions_SetSecure(o, true);
  if (s == NATS_OK && *c->tls_ca)
    s = natsOptions_LoadCATrustedCertificates(o, c->tls_ca);
  if (s == NATS_OK && *c->tls_cert)
    s = natsOptions_LoadCertificatesChain(o, c->tls_cert, c->tls_key);
  return s;
}

static natsStatus set_behaviour(natsOptions *o, const bus_cfg *c) {
  natsStatus s = natsOptions_SetName(o, c->name);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1); /* forever */
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, c->reconnect_wait_ms);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectBufSize(o, (int)c->max_pending);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(o, c->ping_interval_ms);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(o, (int)c->max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, c->connect_timeout_ms);
  /* One shared delivery thread instead of one per subscription. */
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(o, true);
  /* With our event loop this only asks the loop to write: no flusher
   * thread to wake per publish, and writes batch per loop turn. */
  if (s == NATS_OK) s = natsOptions_SetSendAsap(o, true);
  return s;
}

natsOptions *bus_nats_options(const bus_cfg *cfg, char *err, size_t errlen) {
  natsOptions *o = NULL;
  if (!files_ok(cfg, err, errlen)) return NULL;
  natsStatus s = natsOptions_Create(&o);
  if (s == NATS_OK) s = set_servers(o, cfg->nats_url);
  if (s == NATS_OK) s = set_auth(o, cfg);
  if (s == NATS_OK) s = set_behaviour(o, cfg);
  if (s == NATS_OK) return o;
  const char *last = nats_GetLastError(NULL);
  snprintf(err, errlen, "[bus] NATS options: %s%s%s", natsStatus_GetText(s),
           last && *last ? ": " : "", last ? last : "");
  natsOptions_Destroy(o);
  return NULL;
}
