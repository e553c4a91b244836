/* Friends and ignore lists: the job shared by rpc_social.c (check, reply)
 * and social_db.c (SQL on a worker). */
#ifndef STRATUS_CHARS_SOCIAL_H
#define STRATUS_CHARS_SOCIAL_H

#include "characters.h"

typedef struct social_row {
  uint32_t other;
  uint32_t account; /* the other character's account (0: unknown) */
  uint8_t flags;
  char *note;
} social_row;

typedef struct social_job {
  bool friend; /* the friend flag (else ignored) */
  uint32_t realm, player, other;
  uint32_t other_realm; /* RemoveFriend, SetFriendNote: a Real ID friend may be elsewhere */
  uint32_t account, other_account; /* read by the work; 0: unknown */
  const char *note; /* the request's, valid until the answer */
  /* Config the worker needs, copied on the loop: a reload may free st->cfg. */
  bool two_side_add_friend;
  /* NotifyStatusChange */
  uint8_t status;
  uint32_t area, level, cls;
  /* results */
  uint32_t result; /* FriendsResult of an add */
  bool changed;
  uint8_t player_race, other_race;
  char *other_name;
  social_row *rows;
  size_t n;
  uint32_t *listeners;
  size_t nlisteners;
  bool linked_changed; /* the Real ID pair changed too (realid_link.c) */
} social_job;

/* ---- realid_link.c: the optional realid plugin, in process ---------------------- */

/* GetFriendsList: asks realid for the player's Real ID friends and answers
 * with both lists (character friends alone when realid is not there).
 * Returns STRATUS_LATER, or the code of a failure to answer. */
int link_friends_list(stratus_req *req, social_job *j,
                      int (*answer)(stratus_req *req, social_job *j,
                                    const void *linked /* FriendsOfResponse or NULL */));
/* Tells realid about a change to the pair of the two players' accounts
 * (STRATUS__REALID__PAIR_CHANGE_*), then runs `next` (j->linked_changed set). */
int link_pair_changed(stratus_req *req, social_job *j, int change, stratus_method_reply next);

/* Work functions (worker thread); the add, remove and note ones run in the
 * runner's transaction. */
int social_list_work(stratus_db *db, stratus_req *req, void *job);
int social_listeners_work(stratus_db *db, stratus_req *req, void *job);
int social_add_work(stratus_db *db, stratus_req *req, void *job);
int social_remove_work(stratus_db *db, stratus_req *req, void *job);
int social_note_work(stratus_db *db, stratus_req *req, void *job);

#endif
