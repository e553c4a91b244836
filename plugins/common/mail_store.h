/*
 * Writing a mail into a realm's characters database, shared by the mail and
 * auctionhouse plugins so that an auction's settlement mail is inserted in
 * the same transaction as the claim on the auction row.
 *
 * IDs come from stratus_mail_send's AUTO_INCREMENT (sql/characters/0100):
 * unique across stratusd instances. A mail with a key is sent at most once:
 * the key is a unique column of the same row, so a second send with the key
 * finds the first mail's ID instead of inserting another mail.
 *
 * Part of stratus_plugin_common; the functions marked worker run in a
 * declared method's work step (on its request).
 */
#ifndef STRATUS_PLUGIN_COMMON_MAIL_STORE_H
#define STRATUS_PLUGIN_COMMON_MAIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stratus/host.h>

/* AzerothCore's limits and flags. */
#define MAIL_MAX_ITEMS 12u
#define MAIL_CHECK_READ 0x01u
#define MAIL_CHECK_RETURNED 0x02u
#define MAIL_CHECK_COPIED 0x04u
#define MAIL_CHECK_COD_PAYMENT 0x08u
#define MAIL_KEY_MAX 255u

typedef struct mail_draft {
  uint32_t type;        /* v1.MailType */
  uint32_t stationery;  /* v1.MailStationery */
  uint32_t template_id;
  uint32_t sender;      /* low GUID, or the creature/auction house ID */
  uint32_t receiver;    /* low GUID */
  const char *subject;
  const char *body;
  uint32_t money, cod;
  uint32_t checked;     /* MAIL_CHECK_* */
  uint32_t deliver_time, expire_time; /* unix seconds */
  const uint32_t *items; /* item_instance GUIDs, already in item_instance */
  size_t nitems;
  const char *key;      /* NULL: no idempotency key */
} mail_draft;

/* worker: inserts the mail (and its mail_items rows, re-owning the items to
 * the receiver). *replayed: a mail with the same key existed and *id is its
 * ID; nothing was written. An item already attached to another mail fails
 * with FAILED_PRECONDITION (recorded on req; STRATUS_EEXIST when req is NULL,
 * for work that runs outside a call, like an expiry tick). */
int mail_store_insert(const stratus_host_api *api, stratus_db *db, stratus_req *req,
                      const mail_draft *d, uint32_t *id, bool *replayed);

/* worker: the mail ID recorded for `key`, 0 when none (a locking read, so a
 * key another transaction committed meanwhile is seen). */
int mail_store_find_key(const stratus_host_api *api, stratus_db *db, const char *key,
                        uint32_t *id);

/* worker: the whole mail, its item rows, its items and its claims; with
 * expired_before, only if the mail expired before then (a claim: another
 * instance may have returned it meanwhile). Returns 1 when this call
 * deleted the mail, 0 when it was gone (or not expired). */
int mail_store_delete(const stratus_host_api *api, stratus_db *db, uint32_t id,
                      uint32_t expired_before);

/* loop: publishes mail.incoming (ToCloud9's payload) after the commit. */
int mail_incoming_publish(const stratus_host_api *api, stratus_ctx *ctx, uint32_t realm,
                          uint64_t sender, uint64_t receiver, int64_t deliver_time,
                          uint32_t mail_id);

/* loop: the one place a plugin publishes an enveloped JSON event (stolen
 * reference): the host's catalogue writer when it has one. */
int stratus_event_json(const stratus_host_api *api, stratus_ctx *ctx, const char *subject,
                       int64_t type, struct json_t *payload);

#endif
