/* An intrusive circular doubly linked list (a node embedded in its owner). */
#ifndef STRATUS_HOST_LIST_H
#define STRATUS_HOST_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct list_node {
  struct list_node *prev, *next;
} list_node;

#define LIST_INIT(head) {&(head), &(head)}
#define list_entry(node, type, member) \
  ((type *)((char *)(node) - offsetof(type, member)))
#define list_each(it, head) \
  for (list_node *it = (head)->next, *it##_next = it->next; it != (head); \
       it = it##_next, it##_next = it->next)
#define list_each_reverse(it, head) \
  for (list_node *it = (head)->prev, *it##_prev = it->prev; it != (head); \
       it = it##_prev, it##_prev = it->prev)

static inline void list_init(list_node *head) { head->prev = head->next = head; }
static inline bool list_empty(const list_node *head) { return head->next == head; }

static inline void list_insert_before(list_node *pos, list_node *n) {
  n->prev = pos->prev;
  n->next = pos;
  pos->prev->next = n;
  pos->prev = n;
}

static inline void list_push_back(list_node *head, list_node *n) {
  list_insert_before(head, n);
}

static inline void list_remove(list_node *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = n;
}

static inline size_t list_length(const list_node *head) {
  size_t n = 0;
  for (const list_node *it = head->next; it != head; it = it->next) n++;
  return n;
}

#endif
