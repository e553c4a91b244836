/* The jobs of manage.c and lockout.c (internal). */
#ifndef STRATUS_ARENATEAM_MANAGE_H
#define STRATUS_ARENATEAM_MANAGE_H

#include "arenateam.h"

typedef struct manage_job {
  uint32_t team, actor, player, status;
  bool lock;     /* the rules run inside the change's transaction */
  bool disband;  /* which change the gate leads to */
  const char *name, *actor_name, *player_name; /* arena copies */
  V1__ArenaTeamData *data;
  at_event ev;
  unsigned asked, answered; /* lock-out questions in flight */
  bool asking;              /* still sending them */
  uint32_t queued;          /* a member found queued for arena (0: none) */
} manage_job;

/* Rules (AT_OK or a refusal) and changes of leave/remove and disband. */
int at_remove_rules(stratus_db *db, stratus_req *req, manage_job *j);
int at_remove_apply(stratus_db *db, stratus_req *req, manage_job *j);
int at_disband_rules(stratus_db *db, stratus_req *req, manage_job *j);
int at_disband_apply(stratus_db *db, stratus_req *req, manage_job *j);

/* lockout.c: the read-only first step, and the step that asks matchmaking. */
int at_gate_remove_work(stratus_db *db, stratus_req *req, void *job);
int at_gate_disband_work(stratus_db *db, stratus_req *req, void *job);
int at_gate_reply(stratus_req *req, void *job);
int at_manage_reply(stratus_req *req, void *job);

extern const stratus_method at_manage_methods[];
extern const size_t at_manage_methods_n;

#endif
