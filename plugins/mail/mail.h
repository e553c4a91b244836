/*
 * mail: v1.MailService on the host's method runner (see README.md).
 */
#ifndef STRATUS_MAIL_H
#define STRATUS_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/host.h>
#include <stratus/proto/mail/mail.pb-c.h>

#include "mail_store.h"

extern const stratus_host_api *mail_host;

typedef struct mail_config {
  int64_t delivery_delay_ms;  /* deliveryTimestamp 0: now + this */
  int64_t default_expiry_ms;  /* expirationTimestamp 0: now + this */
  int64_t expiry_interval_ms; /* the expiry tick */
  int64_t expiry_batch;       /* mails one tick handles per realm */
  int64_t key_retention_ms;   /* idempotency keys older than this are forgotten */
  int64_t max_realm;          /* realms 1..max_realm with a pool are expired */
} mail_config;

typedef struct mail_plugin {
  stratus_ctx *ctx;
  const mail_config *config;
  stratus_timer *expiry_timer;
  stratus_metric *expired; /* {realm, outcome: returned|deleted} */
  unsigned ticks_running;  /* expiry jobs in flight */
} mail_plugin;

/* The methods, declared in the rpc_*.c files. */
extern const stratus_method mail_send_method;
extern const stratus_method mail_for_player_method;
extern const stratus_method mail_by_id_method;
extern const stratus_method mail_mark_read_method;
extern const stratus_method mail_remove_item_method;
extern const stratus_method mail_remove_money_method;
extern const stratus_method mail_delete_method;

/* ---- shared by the handlers ------------------------------------------------ */

/* check: a character GUID of the request's realm into *low; a clear
 * INVALID_ARGUMENT for 0, a non-player GUID or another realm's character. */
int mail_resolve_guid(stratus_req *req, uint64_t guid, const char *what, uint32_t *low);
/* check: the x-idempotency-key request header copied into the arena, NULL
 * when absent; INVALID_ARGUMENT when longer than MAIL_KEY_MAX. */
int mail_header_key(stratus_req *req, const char **key);
/* Unix seconds now. */
int64_t mail_now(void);

/* worker: the mail's receiver, locked for the transaction. 0 and
 * *receiver, or a NOT_FOUND recorded on req. */
int mail_lock(stratus_db *db, stratus_req *req, uint32_t id, uint32_t *receiver);
/* worker: PERMISSION_DENIED unless `player` (0: no check) receives it. */
int mail_check_owner(stratus_req *req, uint32_t id, uint32_t receiver, uint32_t player);
/* worker: 1 when the character exists on this realm, 0 if not. */
int mail_character_exists(stratus_db *db, uint32_t low);
/* worker: the mails (with their attachments) for `where` = ?. */
int mail_load(stratus_db *db, stratus_req *req, const char *where, uint64_t value,
              V1__Mail ***out, size_t *n);

/* The expiry tick (expiry.c). */
void mail_expiry_start(mail_plugin *p);

#endif
