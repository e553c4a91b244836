/* The queue engine: tickets, queues, player slots and invites. See queue.h. */
#include <stdlib.h>
#include <string.h>

#include <stratus/errors.h>

#include "queue.h"

/* The tickets of one player, one per slot. */
typedef struct mm_player {
  uint64_t key;
  mm_ticket *slots[MM_PLAYER_SLOTS];
} mm_player;

static uint64_t qkey_bits(mm_qkey k) { return (uint64_t)k.scope << 32 | (uint64_t)k.bracket << 16 | k.type; }
static uint64_t qkey_hash(mm_qkey k) { return hmap_mix64(qkey_bits(k)); }
static uint64_t player_bits(uint32_t realm, uint32_t low) { return (uint64_t)realm << 32 | low; }

void mm_engine_init(mm_engine *e) {
  memset(e, 0, sizeof(*e));
  e->next_id = 1;
}

void mm_engine_free(mm_engine *e) {
  for (size_t i = 0; i < e->queues.cap; i++) {
    mm_queue *q = e->queues.slots[i].val;
    if (!q) continue;
    for (mm_ticket *t = q->head, *next; t; t = next) next = t->next, free(t);
    free(q);
  }
  for (size_t i = 0; i < e->players.cap; i++) free(e->players.slots[i].val);
  hmap_free(&e->queues);
  hmap_free(&e->players);
  mm_engine_init(e);
}

static mm_player *player_get(const mm_engine *e, uint32_t realm, uint32_t low) {
  return hmap_get(&e->players, hmap_mix64(player_bits(realm, low)), NULL, NULL);
}

const mm_queue *mm_queue_of(const mm_engine *e, mm_qkey key) {
  return hmap_get(&e->queues, qkey_hash(key), NULL, NULL);
}

mm_ticket *mm_ticket_of(const mm_engine *e, uint32_t realm, uint32_t low, uint16_t type) {
  mm_player *p = player_get(e, realm, low);
  for (int s = 0; p && s < MM_PLAYER_SLOTS; s++)
    if (p->slots[s] && p->slots[s]->key.type == type) return p->slots[s];
  return NULL;
}

size_t mm_slots_of(const mm_engine *e, uint32_t realm, uint32_t low,
                   mm_ticket *out[MM_PLAYER_SLOTS]) {
  mm_player *p = player_get(e, realm, low);
  size_t n = 0;
  for (int s = 0; p && s < MM_PLAYER_SLOTS; s++)
    if (p->slots[s]) out[n++] = p->slots[s];
  return n;
}

/* 0 when every member can take one more ticket of t's type. */
static int members_free(const mm_engine *e, const mm_ticket *t) {
  if (t->n == 0 || t->n > MM_TICKET_MAX) return STRATUS_EINVAL;
  for (int i = 0; i < t->n; i++) {
    for (int j = 0; j < i; j++)
      if (t->members[i].realm == t->members[j].realm && t->members[i].low == t->members[j].low)
        return STRATUS_EINVAL;
    if (mm_ticket_of(e, t->members[i].realm, t->members[i].low, t->key.type)) return STRATUS_EEXIST;
    mm_ticket *slots[MM_PLAYER_SLOTS];
    if (mm_slots_of(e, t->members[i].realm, t->members[i].low, slots) == MM_PLAYER_SLOTS)
      return STRATUS_EBUSY;
  }
  return 0;
}

/* Reserves map capacity first, so that a failure leaves nothing half done. */
static mm_queue *queue_get_or_add(mm_engine *e, mm_qkey key) {
  mm_queue *q = (mm_queue *)mm_queue_of(e, key);
  if (q) return q;
  if (!(q = calloc(1, sizeof(*q)))) return NULL;
  q->key = key;
  if (hmap_put(&e->queues, qkey_hash(key), q)) {
    free(q);
    return NULL;
  }
  return q;
}

static int player_slot_add(mm_engine *e, const mm_member *m, mm_ticket *t) {
  uint64_t h = hmap_mix64(player_bits(m->realm, m->low));
  mm_player *p = hmap_get(&e->players, h, NULL, NULL);
  if (!p) {
    if (!(p = calloc(1, sizeof(*p)))) return STRATUS_ENOMEM;
    p->key = player_bits(m->realm, m->low);
    if (hmap_put(&e->players, h, p)) {
      free(p);
      return STRATUS_ENOMEM;
    }
  }
  for (int s = 0; s < MM_PLAYER_SLOTS; s++)
    if (!p->slots[s]) {
      p->slots[s] = t;
      return 0;
    }
  return STRATUS_EBUSY; /* members_free ruled this out */
}

static void player_slot_del(mm_engine *e, const mm_member *m, const mm_ticket *t) {
  uint64_t h = hmap_mix64(player_bits(m->realm, m->low));
  mm_player *p = hmap_get(&e->players, h, NULL, NULL);
  if (!p) return;
  bool empty = true;
  for (int s = 0; s < MM_PLAYER_SLOTS; s++) {
    if (p->slots[s] == t) p->slots[s] = NULL;
    empty &= p->slots[s] == NULL;
  }
  if (empty) {
    hmap_del_val(&e->players, h, p);
    free(p);
  }
}

static void queue_append(mm_queue *q, mm_ticket *t) {
  t->prev = q->tail, t->next = NULL;
  if (q->tail) q->tail->next = t;
  else q->head = t;
  q->tail = t;
  q->len++;
}

/* Links a ticket whose id, state and times are set. */
static int ticket_link(mm_engine *e, mm_ticket *t) {
  mm_queue *q = queue_get_or_add(e, t->key);
  if (!q) return STRATUS_ENOMEM;
  for (int i = 0; i < t->n; i++) {
    int rc = player_slot_add(e, &t->members[i], t);
    if (rc) {
      while (i-- > 0) player_slot_del(e, &t->members[i], t);
      return rc;
    }
  }
  queue_append(q, t);
  e->tickets++;
  return 0;
}

int mm_ticket_adopt(mm_engine *e, mm_ticket *t) {
  int rc = members_free(e, t);
  return rc ? rc : ticket_link(e, t);
}

int mm_enqueue(mm_engine *e, const mm_ticket *tmpl, uint64_t now_ms, mm_ticket **out) {
  int rc = members_free(e, tmpl);
  if (rc) return rc;
  mm_ticket *t = malloc(sizeof(*t));
  if (!t) return STRATUS_ENOMEM;
  *t = *tmpl;
  t->id = e->next_id;
  t->state = MM_QUEUED;
  t->enqueued_ms = now_ms;
  t->expires_ms = 0;
  t->instance = 0;
  if ((rc = ticket_link(e, t))) {
    free(t);
    return rc;
  }
  e->next_id++;
  if (out) *out = t;
  return 0;
}

void mm_ticket_remove(mm_engine *e, mm_ticket *t) {
  mm_queue *q = (mm_queue *)mm_queue_of(e, t->key);
  for (int i = 0; i < t->n; i++) player_slot_del(e, &t->members[i], t);
  if (t->prev) t->prev->next = t->next;
  else q->head = t->next;
  if (t->next) t->next->prev = t->prev;
  else q->tail = t->prev;
  e->tickets--;
  if (--q->len == 0) {
    hmap_del_val(&e->queues, qkey_hash(q->key), q);
    free(q);
  }
  free(t);
}

int mm_remove_player(mm_engine *e, uint32_t realm, uint32_t low, uint16_t type) {
  mm_ticket *t = mm_ticket_of(e, realm, low, type);
  if (!t) return STRATUS_ENOTFOUND;
  if (t->n == 1) {
    mm_ticket_remove(e, t);
    return 0;
  }
  int i = 0;
  while (t->members[i].realm != realm || t->members[i].low != low) i++;
  player_slot_del(e, &t->members[i], t);
  memmove(&t->members[i], &t->members[i + 1], (size_t)(t->n - i - 1) * sizeof(mm_member));
  t->n--;
  return 0;
}

void mm_invite(mm_ticket *t, uint32_t instance, uint64_t expires_ms) {
  t->state = MM_INVITED;
  t->instance = instance;
  t->expires_ms = expires_ms;
}

size_t mm_expire(mm_engine *e, uint64_t now_ms, void (*expired)(const mm_ticket *, void *),
                 void *ud) {
  size_t n = 0;
  for (size_t i = 0; i < e->queues.cap;) {
    mm_queue *q = e->queues.slots[i].val;
    mm_ticket *due = NULL;
    for (mm_ticket *t = q ? q->head : NULL; t && !due; t = t->next)
      if (t->state == MM_INVITED && t->expires_ms <= now_ms) due = t;
    if (!due) {
      i++; /* removing a queue shifts slots: look at this one again */
      continue;
    }
    if (expired) expired(due, ud);
    mm_ticket_remove(e, due);
    n++;
  }
  return n;
}
