/*
 * realid: Real ID (account-level) friends of ToCloud9 PR #37, optional and
 * the only plugin that uses [db.auth]. Internal header.
 */
#ifndef STRATUS_REALID_H
#define STRATUS_REALID_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <stratus/proto/characters/characters.pb-c.h>
#include <stratus/stratus.h>

#include "friendmap.h"
#include "hmap.h"
#include "presence.h"

/* AzerothCore FriendsResult values the Real ID answers use. */
enum {
  RID_LIST_FULL = 0x01,
  RID_NOT_FOUND = 0x04,
  RID_ADDED_ONLINE = 0x06,
  RID_ADDED_OFFLINE = 0x07,
  RID_ALREADY = 0x08,
  RID_SELF = 0x09,
  /* "No message at client": the answer to a request that is still pending,
   * whether or not the address belongs to an account. */
  RID_PENDING = 0x19,
};

#define RID_NOTE_CHARS 48
#define RID_EMAIL_BYTES 255

typedef struct realid_config {
  const char *auth_pool;
  const char *const *realms;
  int64_t max_friends;
  int64_t max_requests_per_hour;
  int64_t refresh_ms;
  const char *service_id;
} realid_config;

/* AddRealIDFriendByEmail calls of one account in the current hour. */
typedef struct rid_attempts {
  uint32_t account, count;
  uint64_t window_ms;
} rid_attempts;

typedef struct rid_job rid_job;

typedef struct realid {
  const realid_config *cfg;
  stratus_ctx *ctx;
  bool stopped;
  /* Presence is complete once the start-up bootstrap answered; requests
   * that need it wait in `parked` until then. */
  bool ready;
  size_t boot_pending;
  rid_job *parked, **parked_tail;
  presence pres;
  friendmap friends;
  hmap attempts; /* hmap_mix64(account) -> rid_attempts */
  uint32_t *realms;
  size_t nrealms;
  char service_id[64];
  stratus_metric *m_requests, *m_published;
} realid;

extern const stratus_host_api *realid_host;
#define HOST realid_host

/* ---- rpc.c ------------------------------------------------------------------------ */
int realid_register_methods(realid *st);
/* Presence is complete: serve the requests that waited for it. */
void realid_ready(realid *st);

/* ---- store.c: the auth database ------------------------------------------------------ */

typedef enum rid_outcome {
  RID_OUT_PENDING,  /* a request stands (or the address matched nothing) */
  RID_OUT_ACCEPTED, /* both sides asked: friends now */
  RID_OUT_ALREADY,
  RID_OUT_SELF,
  RID_OUT_FULL,
  RID_OUT_NO_REQUEST, /* AcceptRealIDFriend without a pending request */
} rid_outcome;

struct rid_job {
  realid *st;
  stratus_call *call;
  rid_job *next;         /* while parked */
  bool accept;           /* AcceptRealIDFriend (else AddRealIDFriendByEmail) */
  uint32_t realm, low;   /* the caller's character */
  uint32_t account;      /* the caller's account */
  uint32_t claimed;      /* the request's accountID (0: none) */
  uint32_t other;        /* Accept: the requester; Add: found by e-mail */
  const char *email;     /* the request's strings, valid until the reply */
  const char *note;
  uint32_t max_friends;
  rid_outcome outcome;
  uint32_t other_realm, other_low; /* the other side's last character */
};

int store_request_work(stratus_db *db, void *arg);
/* AreRealIDFriends */
typedef struct rid_check_job {
  realid *st;
  stratus_call *call;
  uint32_t a, b;
  bool accepted;
} rid_check_job;
int store_check_work(stratus_db *db, void *arg);
/* Loads every accepted pair into `out` (a fresh map). */
typedef struct rid_load_job {
  realid *st;
  friendmap map;
} rid_load_job;
int store_load_work(stratus_db *db, void *arg);
/* The job result for "table missing". */
#define RID_ENOTABLE STRATUS_ENOTSUP

/* ---- events.c: presence and broadcasts ----------------------------------------------- */
int realid_events_subscribe(realid *st);
void realid_bootstrap(realid *st);
/* Tells the online characters of every Real ID friend of `account` (or only
 * of `only`, when not 0) that (realm, low) changed status. */
void realid_broadcast(realid *st, uint32_t account, uint32_t only, uint32_t realm, uint32_t low,
                      uint8_t status, uint32_t zone, uint32_t level, uint32_t cls);
void realid_publish(realid *st, const char *subject, int64_t type, json_t *payload);

/* ---- realid.c ------------------------------------------------------------------------ */
void realid_reload_friends(realid *st);

#endif
