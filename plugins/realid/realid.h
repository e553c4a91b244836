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
  int64_t max_friends;
  int64_t max_requests_per_hour;
  int64_t refresh_ms;
  const char *service_id;
  bool cross_faction;
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
  friendmap friends;
  hmap attempts; /* hmap_mix64(account) -> rid_attempts */
  char service_id[64];
  stratus_metric *m_requests, *m_published;
} realid;

extern const stratus_host_api *realid_host;
#define HOST realid_host

/* ---- link.c: FriendsOf and PairChanged for the characters plugin ------------------ */

/* An accepted pair as FriendsOf reads it. */
typedef struct rid_linked {
  uint32_t other, char_realm, char_low;
  char *note; /* the viewer's note, in the call's arena */
} rid_linked;

typedef struct rid_link_job {
  uint32_t account, viewer, viewer_race;
  bool cross_faction;            /* copied from the config on the loop */
  rid_linked *rows;              /* FriendsOf */
  size_t n;
  int change;                    /* PairChanged: STRATUS__REALID__PAIR_CHANGE__* */
  uint32_t other, other_realm, other_low;
  const char *note;
  bool changed, was_accepted;
} rid_link_job;

int realid_register_link(realid *st);
int store_friends_of_work(stratus_db *db, stratus_req *req, void *job);
int store_pair_changed_work(stratus_db *db, stratus_req *req, void *job);

/* ---- rpc.c ------------------------------------------------------------------------ */
int realid_register_methods(realid *st);

/* ---- store.c: the auth database ------------------------------------------------------ */

typedef enum rid_outcome {
  RID_OUT_PENDING,  /* a request stands (or the address matched nothing) */
  RID_OUT_ACCEPTED, /* both sides asked: friends now */
  RID_OUT_ALREADY,
  RID_OUT_SELF,
  RID_OUT_FULL,
  RID_OUT_NO_REQUEST, /* AcceptRealIDFriend without a pending request */
} rid_outcome;

/* The job of a declared method (zeroed in the call's arena). */
struct rid_job {
  bool accept;           /* AcceptRealIDFriend (else AddRealIDFriendByEmail) */
  uint32_t realm, low;   /* the caller's character */
  uint32_t account;      /* the caller's account */
  uint32_t claimed;      /* the request's accountID (0: none) */
  uint32_t other;        /* Accept: the requester; Add: found by e-mail */
  const char *email;     /* the request's strings, valid until the answer */
  const char *note;
  uint32_t max_friends;  /* copied from the config on the loop */
  rid_outcome outcome;
  uint32_t other_realm, other_low; /* the other side's last character */
  bool accepted;         /* AreRealIDFriends */
};

/* Work of the declared methods, on [db.<auth_pool>] (worker thread). */
int store_request_work(stratus_db *db, stratus_req *req, void *job);
int store_check_work(stratus_db *db, stratus_req *req, void *job);
/* Loads every accepted pair into `map` (a fresh map): background work. */
typedef struct rid_load_job {
  realid *st; /* for the done callback (loop) only */
  friendmap map;
} rid_load_job;
int store_load_work(stratus_db *db, void *arg);

/* ---- online.c: presence (the host's owner) and broadcasts ------------------------------ */

/* An online character as realid uses it. */
typedef struct rid_char {
  uint32_t realm, low, account, zone, level, cls;
  uint8_t race;
  char name[49];
} rid_char;

/* The online character (realm, low); false when it is not online. */
bool realid_online(realid *st, uint32_t realm, uint32_t low, rid_char *out);
/* The character that stands for an account to a viewer of realm `viewer`:
 * one on the viewer's realm first, then the lowest realm, then the lowest
 * GUID. False when none is online. */
bool realid_representative(realid *st, uint32_t account, uint32_t viewer, rid_char *out);
/* Friends hear when an account comes online or loses its last character. */
int realid_watch_presence(realid *st);
/* Tells the online characters of every Real ID friend of `account` (or only
 * of `only`, when not 0) that (realm, low) changed status. */
void realid_broadcast(realid *st, uint32_t account, uint32_t only, uint32_t realm, uint32_t low,
                      uint8_t status, uint32_t zone, uint32_t level, uint32_t cls);
void realid_publish(realid *st, const char *subject, json_t *payload);

/* ---- realid.c ------------------------------------------------------------------------ */
void realid_reload_friends(realid *st);

#endif
