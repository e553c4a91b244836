/* Friends and ignore lists: the job shared by rpc_social.c (check, reply)
 * and social_db.c (SQL on a worker). */
#ifndef STRATUS_CHARS_SOCIAL_H
#define STRATUS_CHARS_SOCIAL_H

#include "characters.h"

typedef struct social_row {
  uint32_t other;
  uint8_t flags;
  char *note;
} social_row;

typedef struct social_job {
  bool friend; /* the friend flag (else ignored) */
  uint32_t realm, player, other;
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
} social_job;

/* Work functions (worker thread); the add, remove and note ones run in the
 * runner's transaction. */
int social_list_work(stratus_db *db, stratus_req *req, void *job);
int social_listeners_work(stratus_db *db, stratus_req *req, void *job);
int social_add_work(stratus_db *db, stratus_req *req, void *job);
int social_remove_work(stratus_db *db, stratus_req *req, void *job);
int social_note_work(stratus_db *db, stratus_req *req, void *job);

#endif
