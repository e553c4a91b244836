/*
 * Who is online, by account: the characters of every account, whatever the
 * realm, as the gateways report them (gw.char.* events) or as the
 * characters plugin lists them when realid starts. Real ID presence is
 * account-level, so the question is always "which characters of account A
 * are online right now".
 */
#ifndef STRATUS_REALID_PRESENCE_H
#define STRATUS_REALID_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

#define PRES_NAME_BYTES 48
#define PRES_GATEWAY_BYTES 64

typedef struct pres_char {
  uint64_t key; /* guid_key(realm, low) */
  uint32_t account, zone, level, cls, race;
  int64_t since; /* EventTimeUnixNano of the login, 0 = unknown */
  struct pres_char *prev, *next; /* the account's characters */
  char gateway[PRES_GATEWAY_BYTES + 1];
  char name[PRES_NAME_BYTES + 1];
} pres_char;

typedef struct pres_account {
  uint32_t account;
  uint32_t count;
  pres_char *head;
} pres_account;

typedef struct presence {
  hmap by_key;     /* hmap_mix64(key) -> pres_char */
  hmap by_account; /* hmap_mix64(account) -> pres_account */
  size_t total;
} presence;

typedef struct pres_login {
  uint32_t realm, low, account, zone, level, cls, race;
  int64_t time;
  const char *gateway, *name;
} pres_login;

void presence_free(presence *p);
/* Adds or refreshes; NULL when the login is older than the one known. */
pres_char *presence_login(presence *p, const pres_login *ev);
pres_char *presence_find(const presence *p, uint32_t realm, uint32_t low);
const pres_account *presence_account(const presence *p, uint32_t account);
void presence_remove(presence *p, pres_char *c);
/* The character that stands for an account to a viewer of realm `viewer`:
 * one on the viewer's realm first, then the lowest realm, then the lowest
 * GUID. NULL when none is online. */
const pres_char *presence_representative(const presence *p, uint32_t account, uint32_t viewer);

#endif
