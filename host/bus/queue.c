/* The hand-off to the loop thread: cnats threads (and in-process publishes)
 * push items under a mutex and wake the loop with uv_async_send; the loop
 * takes them in batches. Bounded in count and bytes: beyond, an item is
 * refused and counted, so a stalled loop never means unbounded memory. */
#include <stdlib.h>

#include "internal.h"

/* Items handled per wake-up before yielding to the rest of the loop. */
#define BATCH_BUDGET 4096

static struct {
  uv_mutex_t mu;
  uv_async_t async;
  bus_item *head, *tail;
  size_t n, bytes;
  uint64_t drops;
  bool open;
  bq_deliver_fn deliver;
  void (*batch_done)(void);
} Q;

void bq_item_free(bus_item *it) {
  if (it->msg) natsMsg_Destroy(it->msg);
  free(it);
}

static bus_item *take_all(void) {
  uv_mutex_lock(&Q.mu);
  bus_item *head = Q.head;
  Q.head = Q.tail = NULL;
  Q.n = Q.bytes = 0;
  uv_mutex_unlock(&Q.mu);
  return head;
}

/* Put back what a batch did not get to, in front of anything newer. */
static void put_back(bus_item *head) {
  if (!head) return;
  bus_item *last = head;
  size_t n = head->kind == BUS_ITEM_MSG, bytes = head->len;
  for (; last->next; last = last->next) {
    n += last->next->kind == BUS_ITEM_MSG;
    bytes += last->next->len;
  }
  uv_mutex_lock(&Q.mu);
  last->next = Q.head;
  if (!Q.head) Q.tail = last;
  Q.head = head;
  Q.n += n;
  Q.bytes += bytes;
  uv_mutex_unlock(&Q.mu);
  uv_async_send(&Q.async);
}

static void on_async(uv_async_t *h) {
  UNUSED(h);
  bus_item *it = take_all();
  for (int done = 0; it && done < BATCH_BUDGET && Q.open; done++) {
    bus_item *next = it->next;
    Q.deliver(it);
    bq_item_free(it);
    it = next;
  }
  if (Q.open) {
    put_back(it);
    Q.batch_done();
    return;
  }
  while (it) { /* closed from inside a callback */
    bus_item *next = it->next;
    bq_item_free(it);
    it = next;
  }
}

int bq_open(uv_loop_t *loop, bq_deliver_fn deliver, void (*batch_done)(void)) {
  if (uv_mutex_init(&Q.mu) != 0) return -1;
  if (uv_async_init(loop, &Q.async, on_async) != 0) {
    uv_mutex_destroy(&Q.mu);
    return -1;
  }
  Q.deliver = deliver;
  Q.batch_done = batch_done;
  Q.open = true;
  return 0;
}

bool bq_push(bus_item *it, bool count_drop) {
  bool msg = it->kind == BUS_ITEM_MSG;
  it->next = NULL;
  uv_mutex_lock(&Q.mu);
  bool ok = Q.open && (!msg || (Q.n < BUS_QUEUE_MAX_MSGS &&
                                Q.bytes + it->len <= BUS_QUEUE_MAX_BYTES));
  if (ok) {
    if (Q.tail) Q.tail->next = it;
    else Q.head = it;
    Q.tail = it;
    Q.n += msg;
    Q.bytes += it->len;
    uv_async_send(&Q.async); /* under the lock: bq_close cannot race it */
  } else if (msg && count_drop) {
    Q.drops++;
  }
  uv_mutex_unlock(&Q.mu);
  return ok;
}

uint64_t bq_take_drops(void) {
  uv_mutex_lock(&Q.mu);
  uint64_t d = Q.drops;
  Q.drops = 0;
  uv_mutex_unlock(&Q.mu);
  return d;
}

void bq_close(void) {
  if (!Q.open) return;
  uv_mutex_lock(&Q.mu);
  Q.open = false;
  uv_mutex_unlock(&Q.mu);
  for (bus_item *it = take_all(), *next; it; it = next) {
    next = it->next;
    bq_item_free(it);
  }
  uv_close((uv_handle_t *)&Q.async, NULL);
}

void bq_destroy(void) {
  if (!Q.deliver) return;
  Q.deliver = NULL;
  uv_mutex_destroy(&Q.mu);
}
