/* Friends and ignore lists: the job shared by rpc_social.c (handlers) and
 * social_db.c (SQL on a worker). */
#ifndef STRATUS_CHARS_SOCIAL_H
#define STRATUS_CHARS_SOCIAL_H

#include "characters.h"

#define SOCIAL_NOTE_BYTES (SOCIAL_NOTE_CHARS * 4)

typedef enum social_op {
  SOCIAL_LIST,
  SOCIAL_LISTENERS, /* who has the player as a friend */
  SOCIAL_ADD_FRIEND,
  SOCIAL_REMOVE_FRIEND,
  SOCIAL_NOTE,
  SOCIAL_ADD_IGNORE,
  SOCIAL_REMOVE_IGNORE,
} social_op;

typedef struct social_row {
  uint32_t other;
  uint8_t flags;
  char note[SOCIAL_NOTE_BYTES + 1];
} social_row;

typedef struct social_job {
  chars *st;
  stratus_call *call;
  social_op op;
  uint32_t realm, player, other;
  const char *note; /* the request's, valid until the reply */
  /* Config the worker needs, copied on the loop: a reload may free st->cfg. */
  bool two_side_add_friend;
  /* NotifyStatusChange */
  uint8_t status;
  uint32_t area, level, cls;
  /* results */
  uint32_t result; /* FriendsResult of an add */
  bool changed;
  bool other_found;
  uint8_t player_race, other_race;
  char other_name[OC_NAME_BYTES + 1];
  social_row *rows;
  size_t n;
  uint32_t *listeners;
  size_t nlisteners;
} social_job;

/* The work function of every social job (worker thread). */
int social_work(stratus_db *db, void *arg);

#endif
