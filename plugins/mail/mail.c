/*
 * mail: serves v1.MailService (7 methods declared as data, run by the host)
 * on each realm's [db.characters.<realm>] pool, and expires mail on every
 * configured realm.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guid.h"
#include "mail.h"

const stratus_host_api *mail_host;
#define host mail_host

static const stratus_config_key mail_keys[] = {
    {.name = "delivery_delay", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(mail_config, delivery_delay_ms), .default_value = "5s",
     .min = 0, .max = 86400000,
     .help = "a mail sent without deliveryTimestamp arrives this long after the send"},
    {.name = "default_expiry", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(mail_config, default_expiry_ms), .default_value = "720h",
     .min = 1000, .max = 8760LL * 3600000,
     .help = "a mail sent without expirationTimestamp expires this long after the send"},
    {.name = "expiry_interval", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(mail_config, expiry_interval_ms), .default_value = "1h",
     .min = 100, .max = 86400000,
     .help = "how often expired mail is returned or deleted, on every realm"},
    {.name = "expiry_batch", .type = STRATUS_CFG_INT,
     .offset = offsetof(mail_config, expiry_batch), .default_value = "500",
     .min = 1, .max = 100000, .help = "expired mails one tick handles per realm"},
    {.name = "key_retention", .type = STRATUS_CFG_DURATION,
     .offset = offsetof(mail_config, key_retention_ms), .default_value = "168h",
     .min = 60000, .max = 8760LL * 3600000,
     .help = "how long a Send idempotency key is remembered"},
    {.name = "max_realm", .type = STRATUS_CFG_INT,
     .offset = offsetof(mail_config, max_realm), .default_value = "255",
     .min = 1, .max = GUID_MAX_REALM,
     .help = "realms 1..max_realm that have a [db.characters.<realm>] pool are expired"},
    {0},
};

int64_t mail_now(void) { return (int64_t)time(NULL); }

int mail_resolve_guid(stratus_req *req, uint64_t guid, const char *what, uint32_t *low) {
  uint32_t realm = host->req_realm(req), r;
  if (!guid_resolve(realm, guid, &r, low))
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%s %llu is not a character GUID", what, (unsigned long long)guid);
  if (r != realm)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "%s %llu is a character of realm %u, not of realm %u", what,
                          (unsigned long long)guid, r, realm);
  return 0;
}

int mail_header_key(stratus_req *req, const char **key) {
  const char *v = host->call_metadata(host->req_call(req), "x-idempotency-key");
  *key = NULL;
  if (!v || !*v) return 0;
  size_t len = strlen(v);
  if (len > MAIL_KEY_MAX - 2)
    return host->req_fail(req, STRATUS_GRPC_INVALID_ARGUMENT,
                          "x-idempotency-key is %zu bytes, at most %u", len, MAIL_KEY_MAX - 2);
  char *k = host->req_alloc(req, len + 3);
  memcpy(k, "h:", 2);
  memcpy(k + 2, v, len + 1);
  *key = k;
  return 0;
}

static const stratus_method *const mail_methods[] = {
    &mail_send_method,          &mail_for_player_method,    &mail_by_id_method,
    &mail_mark_read_method,     &mail_remove_item_method,   &mail_remove_money_method,
    &mail_delete_method,
};
#define MAIL_METHODS (sizeof(mail_methods) / sizeof(mail_methods[0]))

static int mail_init(stratus_ctx *ctx, const void *config, void **state) {
  mail_plugin *p = calloc(1, sizeof(*p));
  if (!p) return STRATUS_ENOMEM;
  p->ctx = ctx;
  p->config = config;
  static const char *const labels[] = {"realm", "outcome", NULL};
  const stratus_metric_desc desc = {sizeof(desc), STRATUS_METRIC_COUNTER,
                                    "stratus_mail_expired_total",
                                    "expired mails this instance returned or deleted", labels,
                                    NULL, 0};
  p->expired = host->metric_register(ctx, &desc);
  stratus_method table[MAIL_METHODS];
  for (size_t i = 0; i < MAIL_METHODS; i++) table[i] = *mail_methods[i];
  int rc = p->expired ? host->methods_register(ctx, &v1__mail_service__descriptor, table,
                                               MAIL_METHODS, sizeof(stratus_method), p)
                      : STRATUS_EEXIST;
  if (rc != 0) {
    free(p);
    return rc;
  }
  *state = p;
  return 0;
}

static int mail_start(stratus_ctx *ctx, void *state) {
  (void)ctx;
  mail_expiry_start(state);
  return 0;
}

static void mail_destroy(stratus_ctx *ctx, void *state) {
  (void)ctx;
  free(state);
}

static const stratus_plugin mail_plugin_desc = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = "mail",
    .version = "1.0.0",
    .description = "MailService: mail, attachments, cash on delivery, expiry; exactly-once sends and claims",
    .flags = STRATUS_PLUGIN_UNLOAD_SAFE,
    STRATUS_PLUGIN_CONFIG(mail_keys, mail_config),
    .init = mail_init,
    .start = mail_start,
    .destroy = mail_destroy,
    STRATUS_PLUGIN_CONTRACTS,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  if (!STRATUS_HOST_HAS(api, methods_register) || !STRATUS_HOST_HAS(api, rows_collect))
    return NULL;
  host = api;
  return &mail_plugin_desc;
}
