/*
 * The queue engine of the matchmaking plugin: tickets (a player or a party)
 * waiting in queues keyed by (scope, bracket, type), invites with an expiry,
 * matching rules, and a versioned blob for the SIGHUP hand-over. Pure data,
 * loop thread only; no host calls, so it is unit-tested on its own.
 *
 * A scope is a realm, or a battlegroup (MM_SCOPE_BATTLEGROUP | id) when the
 * queue spans realms. `type` is what the players queued for: a battleground
 * type, an arena type (MM_TYPE_ARENA | size, with MM_TYPE_RATED), or, for the
 * dungeon finder, a dungeon set; the engine never interprets it beyond
 * "one ticket per player and type".
 *
 * Not wired to any method yet: the battleground and arena queue methods that
 * will use it are not registered (README.md).
 */
#ifndef STRATUS_MM_QUEUE_H
#define STRATUS_MM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

#define MM_SCOPE_BATTLEGROUP 0x80000000u
#define MM_TYPE_ARENA 0x1000u
#define MM_TYPE_RATED 0x2000u
#define MM_TICKET_MAX 40  /* a raid queues as one ticket */
#define MM_PLAYER_SLOTS 2 /* PLAYER_MAX_BATTLEGROUND_QUEUES */
#define MM_STATE_VERSION 1u

typedef struct mm_qkey {
  uint32_t scope;
  uint16_t bracket;
  uint16_t type;
} mm_qkey;

typedef struct mm_member {
  uint32_t realm, low;
} mm_member;

enum { MM_QUEUED = 1, MM_INVITED = 2 };

typedef struct mm_ticket {
  uint64_t id; /* engine sequence number: unique, kept across a hand-over */
  mm_qkey key;
  uint8_t team;  /* v1.PVPTeamID: 0 any, 1 alliance, 2 horde */
  uint8_t state; /* MM_QUEUED or MM_INVITED */
  uint8_t n;     /* members */
  uint32_t arena_team, mmr;
  uint64_t enqueued_ms, expires_ms; /* expires_ms: of the invite */
  uint32_t instance;                /* the invite's battleground instance */
  mm_member members[MM_TICKET_MAX];
  struct mm_ticket *prev, *next; /* FIFO of its queue */
} mm_ticket;

typedef struct mm_queue {
  mm_qkey key;
  mm_ticket *head, *tail;
  size_t len;
} mm_queue;

typedef struct mm_engine {
  hmap queues;  /* mm_qkey -> mm_queue */
  hmap players; /* (realm, low) -> mm_player */
  uint64_t next_id;
  size_t tickets;
} mm_engine;

void mm_engine_init(mm_engine *e);
void mm_engine_free(mm_engine *e);

/* Queues a copy of *t (key, team, members, arena_team, mmr). STRATUS_EINVAL
 * for no member, too many or one listed twice; STRATUS_EEXIST when a member
 * already queues for that type; STRATUS_EBUSY when a member's queue slots
 * are all used. Nothing changes on an error. */
int mm_enqueue(mm_engine *e, const mm_ticket *t, uint64_t now_ms, mm_ticket **out);
/* The ticket of a player for a type, or NULL. */
mm_ticket *mm_ticket_of(const mm_engine *e, uint32_t realm, uint32_t low, uint16_t type);
/* The player's tickets (at most MM_PLAYER_SLOTS), in slot order. */
size_t mm_slots_of(const mm_engine *e, uint32_t realm, uint32_t low,
                   mm_ticket *out[MM_PLAYER_SLOTS]);
/* Takes the player out of its ticket for `type` (the ticket goes when it is
 * empty). STRATUS_ENOTFOUND when the player was not queued for it. */
int mm_remove_player(mm_engine *e, uint32_t realm, uint32_t low, uint16_t type);
void mm_ticket_remove(mm_engine *e, mm_ticket *t);
const mm_queue *mm_queue_of(const mm_engine *e, mm_qkey key);

void mm_invite(mm_ticket *t, uint32_t instance, uint64_t expires_ms);
/* Removes every invited ticket whose invite expired at now_ms, calling
 * `expired` on each first. Returns how many. */
size_t mm_expire(mm_engine *e, uint64_t now_ms, void (*expired)(const mm_ticket *, void *),
                 void *ud);

/* ---- matching (queued tickets only, queue order) ---------------------------- */

/* Battleground: per team, tickets in queue order while they fit in `max`
 * players; a match when both teams reach `min`. */
typedef struct mm_bg_match {
  mm_ticket *sides[2][MM_TICKET_MAX]; /* alliance, horde */
  size_t n[2], players[2];
} mm_bg_match;
bool mm_match_battleground(const mm_queue *q, uint32_t min, uint32_t max, mm_bg_match *out);

/* Arena skirmish: two disjoint sets of tickets, each adding up to exactly
 * `size` players, the oldest tickets first. The first side is the first
 * set found oldest-first; the search is not exhaustive over splits: when
 * that side leaves no second one, another composition of the first side is
 * not tried (a later enqueue matches again). */
bool mm_match_skirmish(const mm_queue *q, uint32_t size, mm_bg_match *out);

/* Rated arena: the two full teams with the smallest MMR gap, plus a penalty
 * of 1,000,000 when `met_last` says they met in their last match. */
typedef bool (*mm_met_last)(uint32_t team_a, uint32_t team_b, void *ud);
bool mm_match_rated(const mm_queue *q, uint32_t size, mm_met_last met, void *ud,
                    mm_ticket **a, mm_ticket **b);

/* Links a malloc'ed ticket as it is (id, state, times): the hand-over's
 * way in. Same errors as mm_enqueue; on error the caller still owns t. */
int mm_ticket_adopt(mm_engine *e, mm_ticket *t);

/* ---- hand-over --------------------------------------------------------------- */

/* A malloc'ed blob of every ticket (queue order kept) and the sequence. */
int mm_engine_export(const mm_engine *e, void **data, size_t *len);
/* Into an empty engine; STRATUS_EINVAL for a blob of another version or a
 * damaged one (the engine is left empty). */
int mm_engine_import(mm_engine *e, const void *data, size_t len);

#endif
