/* Calls sorted by deadline under one timer (deadline_list.h). */
#include "deadline_list.h"

static grpc_deadline *first(list_node *list) {
  return list_empty(list) ? NULL : list_entry(list->next, grpc_deadline, node);
}

bool deadline_list_insert(list_node *list, grpc_deadline *d) {
  list_node *pos = list; /* most timeouts are alike: search from the end */
  while (pos->prev != list && list_entry(pos->prev, grpc_deadline, node)->at > d->at)
    pos = pos->prev;
  list_insert_before(pos, &d->node);
  return first(list) == d;
}

grpc_deadline *deadline_list_pop_due(list_node *list, uint64_t now) {
  grpc_deadline *d = first(list);
  if (!d || d->at > now) return NULL;
  list_remove(&d->node);
  return d;
}

void deadline_list_arm_timer(list_node *list, uv_timer_t *timer, uv_timer_cb fire) {
  grpc_deadline *d = first(list);
  if (!d) {
    uv_timer_stop(timer);
    return;
  }
  uint64_t now = uv_now(timer->loop);
  uv_timer_start(timer, fire, d->at > now ? d->at - now : 0, 0);
}
