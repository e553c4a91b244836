/* Calls sorted by deadline under one timer: the server's (call.c) and the
 * client's (client_call.c). */
#ifndef STRATUS_HOST_GRPC_DEADLINE_LIST_H
#define STRATUS_HOST_GRPC_DEADLINE_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "list.h"

typedef struct grpc_deadline {
  list_node node;        /* in a deadline list while armed */
  uint64_t at;           /* uv_now() scale; 0: none */
} grpc_deadline;

/* Insert d (d->at set) in order; true if it is now the first, so the timer
 * must be armed again. */
bool deadline_list_insert(list_node *list, grpc_deadline *d);
/* Take out the first deadline if it is due at `now`; NULL if none is. */
grpc_deadline *deadline_list_pop_due(list_node *list, uint64_t now);
/* Start the timer for the first deadline, or stop it when there is none. */
void deadline_list_arm_timer(list_node *list, uv_timer_t *timer, uv_timer_cb fire);

#endif
