/*
 * Channels in memory: the registry (realm, team, folded name), members by
 * GUID and in join order, bans, and applying a committed plan. Only the loop
 * thread touches any of it.
 */
#define _GNU_SOURCE
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

static int channel_cmp(const void *a, const void *b) {
  const chat_channel *x = a, *y = b;
  if (x->realm != y->realm) return x->realm < y->realm ? -1 : 1;
  if (x->team != y->team) return x->team < y->team ? -1 : 1;
  return strcmp(x->key, y->key);
}

static int member_cmp(const void *a, const void *b) {
  const chat_member *x = a, *y = b;
  return x->guid < y->guid ? -1 : x->guid > y->guid;
}

chat_channel *chat_channel_find(chat_plugin *p, uint32_t realm, uint8_t team, const char *key) {
  static chat_channel probe; /* loop thread only; only the compared fields matter */
  probe.realm = realm;
  probe.team = team;
  snprintf(probe.key, sizeof(probe.key), "%s", key);
  void **node = tfind(&probe, &p->channels, channel_cmp);
  return node ? *node : NULL;
}

chat_channel *chat_channel_new(chat_plugin *p, uint32_t realm, uint8_t team, const char *key,
                               const char *name) {
  chat_channel *ch = calloc(1, sizeof(*ch));
  if (!ch) return NULL;
  ch->plugin = p;
  ch->realm = realm;
  ch->team = team;
  snprintf(ch->key, sizeof(ch->key), "%s", key);
  snprintf(ch->name, sizeof(ch->name), "%s", name);
  ch->next_seq = 1;
  void **node = tsearch(ch, &p->channels, channel_cmp);
  if (!node || *node != ch) {
    free(ch);
    return NULL;
  }
  p->n_channels++;
  return ch;
}

static void free_member(void *m) { free(m); }

static void channel_free(chat_channel *ch) {
  tdestroy(ch->members_by_guid, free_member);
  while (ch->head) {
    chat_op *op = ch->head;
    ch->head = op->next;
    chat_op_drop(op);
  }
  chat_rights_clear(&ch->rights);
  free(ch->bans);
  free(ch);
}

void chat_channel_forget(chat_channel *ch) {
  chat_plugin *p = ch->plugin;
  if (tdelete(ch, &p->channels, channel_cmp)) p->n_channels--;
  channel_free(ch);
}

static void free_channel_node(void *ch) { channel_free(ch); }

void chat_channels_free(chat_plugin *p) {
  tdestroy(p->channels, free_channel_node);
  p->channels = NULL;
  p->n_channels = 0;
}

/* ---- members -------------------------------------------------------------- */

chat_member *chat_member_find(const chat_channel *ch, uint64_t guid) {
  chat_member probe = {.guid = guid};
  void **node = tfind(&probe, (void **)&ch->members_by_guid, member_cmp);
  return node ? *node : NULL;
}

chat_member *chat_member_by_name(const chat_channel *ch, const char *fold) {
  for (chat_member *m = ch->first; m; m = m->next)
    if (strcmp(m->fold, fold) == 0) return m;
  return NULL;
}

chat_member *chat_member_add(chat_channel *ch, uint64_t guid, const char *name, uint8_t flags,
                             uint64_t seq) {
  chat_member *m = calloc(1, sizeof(*m));
  if (!m) return NULL;
  m->guid = guid;
  m->flags = flags;
  m->seq = seq;
  snprintf(m->name, sizeof(m->name), "%s", name);
  stratus_name_fold_str(m->name, m->fold, sizeof(m->fold)); /* "" if not UTF-8 */
  void **node = tsearch(m, &ch->members_by_guid, member_cmp);
  if (!node || *node != m) {
    free(m);
    return NULL;
  }
  /* Members arrive in join order, but loading sorts by seq, so insert in place. */
  chat_member *after = ch->last;
  while (after && after->seq > seq) after = after->prev;
  m->prev = after;
  m->next = after ? after->next : ch->first;
  if (m->next) m->next->prev = m; else ch->last = m;
  if (after) after->next = m; else ch->first = m;
  ch->n_members++;
  if (seq >= ch->next_seq) ch->next_seq = seq + 1;
  return m;
}

void chat_member_remove(chat_channel *ch, chat_member *m) {
  tdelete(m, &ch->members_by_guid, member_cmp);
  if (m->prev) m->prev->next = m->next; else ch->first = m->next;
  if (m->next) m->next->prev = m->prev; else ch->last = m->prev;
  ch->n_members--;
  if (ch->owner == m->guid) ch->owner = 0;
  free(m);
}

/* ---- bans and rights ------------------------------------------------------ */

const chat_ban *chat_ban_find(const chat_channel *ch, uint64_t guid, uint32_t now) {
  for (size_t i = 0; i < ch->n_bans; i++)
    if (ch->bans[i].guid == guid) return ch->bans[i].until > now ? &ch->bans[i] : NULL;
  return NULL;
}

void chat_ban_set(chat_channel *ch, uint64_t guid, uint32_t until) {
  for (size_t i = 0; i < ch->n_bans; i++)
    if (ch->bans[i].guid == guid) {
      ch->bans[i].until = until;
      return;
    }
  if (ch->n_bans == ch->cap_bans) {
    size_t cap = ch->cap_bans ? ch->cap_bans * 2 : 4;
    chat_ban *b = realloc(ch->bans, cap * sizeof(*b));
    if (!b) return; /* the database has it; the next load brings it back */
    ch->bans = b;
    ch->cap_bans = cap;
  }
  ch->bans[ch->n_bans++] = (chat_ban){guid, until};
}

void chat_ban_remove(chat_channel *ch, uint64_t guid) {
  for (size_t i = 0; i < ch->n_bans; i++)
    if (ch->bans[i].guid == guid) {
      ch->bans[i] = ch->bans[--ch->n_bans];
      return;
    }
}

bool chat_rights_moderator(const chat_channel *ch, uint32_t account) {
  for (size_t i = 0; account && i < ch->rights.n_moderators; i++)
    if (ch->rights.moderators[i] == account) return true;
  return false;
}

void chat_rights_clear(chat_rights *r) {
  free(r->moderators);
  *r = (chat_rights){0};
}

bool chat_channel_announces(const chat_channel *ch) {
  return (ch->flags & CHAT_CHANNEL_CUSTOM) && ch->announce;
}

/* ---- applying a committed plan -------------------------------------------- */

static void set_flags(chat_channel *ch, uint64_t guid, uint8_t flags) {
  chat_member *m = chat_member_find(ch, guid);
  if (!m) return;
  m->flags = flags;
  if (flags & CHAT_MEMBER_OWNER) ch->owner = guid;
  else if (ch->owner == guid) ch->owner = 0;
}

static void apply_props(chat_channel *ch, const chat_props *pr, bool create) {
  if (create) {
    snprintf(ch->name, sizeof(ch->name), "%s", pr->name);
    ch->dbc_id = pr->dbc_id;
    ch->flags = pr->flags;
    ch->ownership = pr->ownership;
  }
  ch->announce = pr->announce;
  ch->moderated = pr->moderated;
  snprintf(ch->password, sizeof(ch->password), "%s", pr->password);
}

void chat_channel_apply(chat_channel *ch, const chat_plan *plan, uint32_t ac_id) {
  for (size_t i = 0; i < plan->nw; i++) {
    const chat_write *w = &plan->w[i];
    switch (w->kind) {
    case CHAT_W_CREATE:
      ch->exists = true;
      ch->stored = ch->persist;
      if (ac_id) ch->ac_id = ac_id;
      apply_props(ch, &plan->props, true);
      break;
    case CHAT_W_MEMBER_ADD: {
      chat_member *m = chat_member_add(ch, w->guid, w->name, w->flags, w->seq);
      if (m && (w->flags & CHAT_MEMBER_OWNER)) ch->owner = w->guid;
      break;
    }
    case CHAT_W_MEMBER_DEL: {
      chat_member *m = chat_member_find(ch, w->guid);
      if (m) chat_member_remove(ch, m);
      break;
    }
    case CHAT_W_MEMBER_FLAGS: set_flags(ch, w->guid, w->flags); break;
    case CHAT_W_BAN_ADD: chat_ban_set(ch, w->guid, w->time); break;
    case CHAT_W_BAN_DEL: chat_ban_remove(ch, w->guid); break;
    case CHAT_W_PROPS: apply_props(ch, &plan->props, false); break;
    case CHAT_W_TOUCH: break;
    }
  }
}
