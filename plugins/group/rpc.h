/* The method tables of the group plugin, one per file of handlers. */
#ifndef STRATUS_GROUP_RPC_H
#define STRATUS_GROUP_RPC_H

#include "group.h"

/* A method that takes the find → group path (group_flow.c). */
#define GROUP_FLOW_METHOD(method, check_fn)                                              \
  {.name = (method), .job_size = sizeof(gjob), .pool = "characters", .realm_field = "realmID", \
   .check = (check_fn), .work = group_find_work, .reply = group_find_next}

#define GROUP_TABLE(name)                  \
  extern const stratus_method name[];      \
  extern const size_t name##_n

GROUP_TABLE(group_roster_methods);
GROUP_TABLE(group_invite_methods);
GROUP_TABLE(group_settings_methods);
GROUP_TABLE(group_lookup_methods);
GROUP_TABLE(group_relay_methods);
GROUP_TABLE(group_state_methods);
GROUP_TABLE(group_lfg_methods);

int group_remove_work(stratus_db *db, gjob *j, gplayer who);
void group_remove_events(gjob *j);

#endif
