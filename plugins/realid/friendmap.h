/*
 * Accepted Real ID friendships in memory (account -> friend accounts), so a
 * login event finds whom to tell without a database query. Loaded from
 * stratus_realid_friends at start and every `refresh_interval` (another
 * stratusd on the same auth database may accept pairs), and updated at
 * once by this instance's own acceptances.
 */
#ifndef STRATUS_REALID_FRIENDMAP_H
#define STRATUS_REALID_FRIENDMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "hmap.h"

typedef struct friend_list {
  uint32_t account;
  uint32_t n, cap;
  uint32_t *friends;
} friend_list;

typedef struct friendmap {
  hmap by_account; /* hmap_mix64(account) -> friend_list */
  size_t pairs;
} friendmap;

void friendmap_free(friendmap *m);
/* Records the accepted pair (a, b) in both directions. */
bool friendmap_add(friendmap *m, uint32_t a, uint32_t b);
/* Forgets the pair (a, b), if it is there. */
void friendmap_remove(friendmap *m, uint32_t a, uint32_t b);
bool friendmap_has(const friendmap *m, uint32_t a, uint32_t b);
const friend_list *friendmap_of(const friendmap *m, uint32_t account);

#endif
