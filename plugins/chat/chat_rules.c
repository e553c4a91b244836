/*
 * The channel rules of AzerothCore (Channel.cpp) as decisions: given the
 * committed state of a channel and one operation, the response status, the
 * writes that make the change and the events that announce it. Nothing here
 * changes the channel; chat_queue.c applies a plan once it is stored.
 *
 * Where the contract has no status for a refusal the core makes, the
 * nearest one answers (a moderator kicking the owner: NotModerator, as the
 * core's "not owner" has no value in KickFromChannelResponse).
 */
#include <stdio.h>
#include <string.h>

#include "chat.h"

/* Status values shared by the responses (checked against the contract). */
enum {
  ST_OK = 0,
  ST_NOT_MEMBER = 1,
  ST_NOT_ALLOWED = 2,    /* NotModerator or NotOwner */
  ST_NO_TARGET = 3,      /* PlayerNotFound or PlayerNotBanned */
  ST_WRONG_PASSWORD = 1, /* JoinChannel */
  ST_BANNED = 2,
  ST_MUTED = 2,          /* SendChannelMessage */
  ST_THROTTLED = 3,
  ST_INVITE_NOT_FOUND = 2, /* InviteToChannel */
  ST_INVITE_ALREADY = 3,
  ST_INVITE_FACTION = 4,
  ST_INVITE_BANNED = 5,
};
_Static_assert((int)V1__KICK_FROM_CHANNEL_RESPONSE__STATUS__NotModerator == (int)ST_NOT_ALLOWED, "");
_Static_assert((int)V1__SET_CHANNEL_OWNER_RESPONSE__STATUS__NotOwner == (int)ST_NOT_ALLOWED, "");
_Static_assert((int)V1__UNBAN_FROM_CHANNEL_RESPONSE__STATUS__PlayerNotBanned == (int)ST_NO_TARGET, "");
_Static_assert((int)V1__JOIN_CHANNEL_RESPONSE__STATUS__Banned == (int)ST_BANNED, "");
_Static_assert((int)V1__SEND_CHANNEL_MESSAGE_RESPONSE__STATUS__Throttled == (int)ST_THROTTLED, "");
_Static_assert((int)V1__INVITE_TO_CHANNEL_RESPONSE__STATUS__PlayerBanned == (int)ST_INVITE_BANNED, "");

static void write_add(chat_plan *pl, chat_write_kind kind, uint64_t guid, uint8_t flags) {
  pl->w[pl->nw++] = (chat_write){.kind = kind, .guid = guid, .flags = flags};
}

static chat_event *event_add(chat_plan *pl, chat_event_kind kind, uint8_t notify,
                             uint64_t target) {
  chat_event *e = &pl->ev[pl->nev++];
  *e = (chat_event){.kind = kind, .notify = notify, .target = target};
  return e;
}

static void mode_change(chat_plan *pl, const chat_member *m, uint8_t old_flags,
                        uint8_t new_flags) {
  chat_event *e = event_add(pl, CHAT_EV_NOTIFY, CHAT_NOTIFY_MODE_CHANGE, m->guid);
  e->old_flags = old_flags;
  e->new_flags = new_flags;
  snprintf(e->target_name, sizeof(e->target_name), "%s", m->name);
}

static void touch(const chat_channel *ch, chat_plan *pl) {
  if (ch->flags & CHAT_CHANNEL_CUSTOM) write_add(pl, CHAT_W_TOUCH, 0, 0);
}

/* The owner is leaving: the longest-standing moderator takes over, else the
 * longest-standing member (the core takes whichever its map yields first). */
static void hand_over(const chat_channel *ch, chat_plan *pl, uint64_t leaving) {
  const chat_member *next = NULL;
  for (const chat_member *m = ch->first; m && !next; m = m->next)
    if (m->guid != leaving && (m->flags & CHAT_MEMBER_MODERATOR)) next = m;
  for (const chat_member *m = ch->first; m && !next; m = m->next)
    if (m->guid != leaving) next = m;
  if (!next || !ch->ownership) return;
  /* The core sets the moderator bit first, so the old flags include it. */
  uint8_t old_flags = next->flags | CHAT_MEMBER_MODERATOR;
  write_add(pl, CHAT_W_MEMBER_FLAGS, next->guid, old_flags | CHAT_MEMBER_OWNER);
  mode_change(pl, next, old_flags, old_flags | CHAT_MEMBER_OWNER);
  chat_event *e = event_add(pl, CHAT_EV_NOTIFY, CHAT_NOTIFY_OWNER_CHANGED, next->guid);
  snprintf(e->target_name, sizeof(e->target_name), "%s", next->name);
}

static chat_decision want(chat_op *op, chat_lookup what) {
  op->want = what;
  return CHAT_NEED_LOOKUP;
}

/* ---- join and leave ----------------------------------------------------- */

static void define_channel(const chat_channel *ch, const chat_op *op, chat_props *pr) {
  snprintf(pr->name, sizeof(pr->name), "%s", op->req.channel);
  pr->dbc_id = op->req.dbc_id;
  pr->moderated = false;
  pr->password[0] = '\0';
  if (pr->dbc_id == 0) {
    uint32_t rights = ch->rights.flags;
    pr->flags = CHAT_CHANNEL_CUSTOM;
    pr->announce = !(rights & CHAT_RIGHT_FORCE_NO_ANNOUNCE) || (rights & CHAT_RIGHT_FORCE_ANNOUNCE);
    pr->ownership = !(rights & CHAT_RIGHT_NO_OWNERSHIP);
  } else {
    /* Built-in channels: the worldserver's flags, no announcements, no owner. */
    uint8_t flags = (uint8_t)(op->req.channel_flags & ~CHAT_CHANNEL_CUSTOM);
    pr->flags = flags ? flags : CHAT_CHANNEL_GENERAL | CHAT_CHANNEL_NOT_LFG;
    pr->announce = false;
    pr->ownership = false;
  }
}

static chat_decision decide_join(chat_channel *ch, chat_op *op, uint32_t now, chat_plan *pl) {
  if (chat_member_find(ch, op->req.actor)) return CHAT_DECIDED; /* already in: Ok */
  if (chat_ban_find(ch, op->req.actor, now)) {
    pl->status = ST_BANNED;
    return CHAT_DECIDED;
  }
  if (ch->exists && ch->password[0] && strcmp(ch->password, op->req.password) != 0) {
    pl->status = ST_WRONG_PASSWORD;
    return CHAT_DECIDED;
  }
  if (!ch->exists) define_channel(ch, op, &pl->props);
  bool custom = pl->props.flags & CHAT_CHANNEL_CUSTOM;
  if (custom && ch->rights.n_moderators && op->asked != CHAT_LOOKUP_ACTOR_ACCOUNT)
    return want(op, CHAT_LOOKUP_ACTOR_ACCOUNT);
  uint8_t flags = 0;
  bool owner = false;
  if (custom) {
    if (chat_rights_moderator(ch, op->account)) flags |= CHAT_MEMBER_MODERATOR;
    owner = pl->props.ownership && ch->owner == 0;
    if (owner) flags |= CHAT_MEMBER_MODERATOR | CHAT_MEMBER_OWNER;
    if (ch->rights.flags & CHAT_RIGHT_CANT_SPEAK) flags |= CHAT_MEMBER_MUTED;
  }
  bool lost_core_row = ch->stored && custom && ch->ac_id == 0; /* cleaned by the worldserver */
  if (!ch->exists || (ch->persist && (!ch->stored || lost_core_row)))
    write_add(pl, CHAT_W_CREATE, 0, 0);
  pl->w[pl->nw] = (chat_write){.kind = CHAT_W_MEMBER_ADD, .guid = op->req.actor, .flags = flags,
                               .time = now, .seq = ch->next_seq, .name = op->req.actor_name};
  pl->nw++;
  if (custom) write_add(pl, CHAT_W_TOUCH, 0, 0);
  if (custom && pl->props.announce) event_add(pl, CHAT_EV_JOINED, 0, op->req.actor);
  if (owner) {
    chat_event *e = event_add(pl, CHAT_EV_NOTIFY, CHAT_NOTIFY_MODE_CHANGE, op->req.actor);
    e->old_flags = flags & ~CHAT_MEMBER_OWNER;
    e->new_flags = flags;
    snprintf(e->target_name, sizeof(e->target_name), "%s", op->req.actor_name);
  }
  return CHAT_DECIDED;
}

static chat_decision decide_leave(chat_channel *ch, chat_op *op, chat_plan *pl) {
  const chat_member *m = chat_member_find(ch, op->req.actor);
  if (!m) {
    pl->status = ST_NOT_MEMBER;
    return CHAT_DECIDED;
  }
  write_add(pl, CHAT_W_MEMBER_DEL, m->guid, 0);
  touch(ch, pl);
  if (chat_channel_announces(ch)) {
    chat_event *e = event_add(pl, CHAT_EV_LEFT, 0, m->guid);
    snprintf(e->target_name, sizeof(e->target_name), "%s", m->name);
  }
  if (m->flags & CHAT_MEMBER_OWNER) hand_over(ch, pl, m->guid);
  return CHAT_DECIDED;
}

/* ---- moderation ----------------------------------------------------------- */

/* The actor must be a moderator member without the forbidden right; the target a
 * member found by name. NULL when the status is already decided. */
static chat_member *actor_and_target(chat_channel *ch, chat_op *op, chat_plan *pl,
                                     uint32_t forbidden_right, const chat_member **actor) {
  *actor = chat_member_find(ch, op->req.actor);
  if (!*actor) {
    pl->status = ST_NOT_MEMBER;
    return NULL;
  }
  if (!((*actor)->flags & CHAT_MEMBER_MODERATOR) || (ch->rights.flags & forbidden_right)) {
    pl->status = ST_NOT_ALLOWED;
    return NULL;
  }
  chat_member *t = chat_member_by_name(ch, op->target_fold);
  if (!t) pl->status = ST_NO_TARGET;
  return t;
}

static chat_decision decide_kick(chat_channel *ch, chat_op *op, const chat_config *cfg,
                                 uint32_t now, chat_plan *pl, bool ban) {
  const chat_member *a;
  uint32_t right = ban ? CHAT_RIGHT_CANT_BAN : CHAT_RIGHT_CANT_KICK;
  chat_member *t = actor_and_target(ch, op, pl, right, &a);
  if (!t) return CHAT_DECIDED;
  if (t->guid == ch->owner && a->guid != ch->owner) {
    pl->status = ST_NOT_ALLOWED;
    return CHAT_DECIDED;
  }
  if (ch->rights.n_moderators && t != a) { /* the rights' moderators cannot be kicked */
    if (op->asked != CHAT_LOOKUP_TARGET_ACCOUNT) return want(op, CHAT_LOOKUP_TARGET_ACCOUNT);
    if (chat_rights_moderator(ch, op->account)) {
      pl->status = ST_NOT_ALLOWED;
      return CHAT_DECIDED;
    }
  }
  write_add(pl, CHAT_W_MEMBER_DEL, t->guid, 0);
  if (ban) {
    uint64_t until = (uint64_t)now + (uint64_t)cfg->ban_duration_ms / 1000;
    write_add(pl, CHAT_W_BAN_ADD, t->guid, 0);
    pl->w[pl->nw - 1].time = until > UINT32_MAX ? UINT32_MAX : (uint32_t)until;
  }
  touch(ch, pl);
  chat_event *e = event_add(pl, CHAT_EV_NOTIFY,
                            ban ? CHAT_NOTIFY_PLAYER_BANNED : CHAT_NOTIFY_PLAYER_KICKED, t->guid);
  e->second = a->guid;
  snprintf(e->target_name, sizeof(e->target_name), "%s", t->name);
  e = event_add(pl, CHAT_EV_LEFT, 0, t->guid);
  e->silent = true;
  snprintf(e->target_name, sizeof(e->target_name), "%s", t->name);
  if (t->flags & CHAT_MEMBER_OWNER) hand_over(ch, pl, t->guid);
  return CHAT_DECIDED;
}

static chat_decision decide_unban(chat_channel *ch, chat_op *op, uint32_t now, chat_plan *pl) {
  const chat_member *a = chat_member_find(ch, op->req.actor);
  if (!a) {
    pl->status = ST_NOT_MEMBER;
  } else if (!(a->flags & CHAT_MEMBER_MODERATOR) || (ch->rights.flags & CHAT_RIGHT_CANT_BAN)) {
    pl->status = ST_NOT_ALLOWED;
  } else if (op->asked != CHAT_LOOKUP_NAME) {
    return want(op, CHAT_LOOKUP_NAME);
  } else if (!op->found || !chat_ban_find(ch, op->found_guid, now)) {
    pl->status = ST_NO_TARGET;
  } else {
    write_add(pl, CHAT_W_BAN_DEL, op->found_guid, 0);
    chat_event *e = event_add(pl, CHAT_EV_NOTIFY, CHAT_NOTIFY_PLAYER_UNBANNED, op->found_guid);
    e->second = a->guid;
    stratus_name_form_str(op->req.target, e->target_name, sizeof(e->target_name));
  }
  return CHAT_DECIDED;
}

static chat_decision decide_moderator(chat_channel *ch, chat_op *op, chat_plan *pl, bool set) {
  const chat_member *a = chat_member_find(ch, op->req.actor);
  if (!a) {
    pl->status = ST_NOT_MEMBER;
    return CHAT_DECIDED;
  }
  if (a->guid != ch->owner) { /* the contract's refusal here is NotOwner */
    pl->status = ST_NOT_ALLOWED;
    return CHAT_DECIDED;
  }
  chat_member *t = chat_member_by_name(ch, op->target_fold);
  if (!t) {
    pl->status = ST_NO_TARGET;
    return CHAT_DECIDED;
  }
  if (t->guid == ch->owner) return CHAT_DECIDED; /* the owner stays a moderator */
  if (ch->rights.n_moderators) {
    if (op->asked != CHAT_LOOKUP_TARGET_ACCOUNT) return want(op, CHAT_LOOKUP_TARGET_ACCOUNT);
    if (chat_rights_moderator(ch, op->account)) return CHAT_DECIDED; /* fixed by the rights */
  }
  uint8_t flags = set ? t->flags | CHAT_MEMBER_MODERATOR : t->flags & ~CHAT_MEMBER_MODERATOR;
  if (flags != t->flags) {
    write_add(pl, CHAT_W_MEMBER_FLAGS, t->guid, flags);
    mode_change(pl, t, t->flags, flags);
  }
  return CHAT_DECIDED;
}

static chat_decision decide_mute(chat_channel *ch, chat_op *op, chat_plan *pl, bool set) {
  const chat_member *a;
  chat_member *t = actor_and_target(ch, op, pl, CHAT_RIGHT_CANT_MUTE, &a);
  if (!t) return CHAT_DECIDED;
  if (t->guid == ch->owner && a->guid != ch->owner) {
    pl->status = ST_NOT_ALLOWED;
    return CHAT_DECIDED;
  }
  uint8_t flags = set ? t->flags | CHAT_MEMBER_MUTED : t->flags & ~CHAT_MEMBER_MUTED;
  if (flags != t->flags) {
    write_add(pl, CHAT_W_MEMBER_FLAGS, t->guid, flags);
    mode_change(pl, t, t->flags, flags);
  }
  return CHAT_DECIDED;
}

static chat_decision decide_owner(chat_channel *ch, chat_op *op, chat_plan *pl) {
  const chat_member *a = chat_member_find(ch, op->req.actor);
  if (!a || a->guid != ch->owner || !ch->ownership) {
    pl->status = a ? ST_NOT_ALLOWED : ST_NOT_MEMBER;
    return CHAT_DECIDED;
  }
  chat_member *t = chat_member_by_name(ch, op->target_fold);
  if (!t) {
    pl->status = ST_NO_TARGET;
    return CHAT_DECIDED;
  }
  if (t == a) return CHAT_DECIDED;
  uint8_t old_flags = t->flags | CHAT_MEMBER_MODERATOR;
  write_add(pl, CHAT_W_MEMBER_FLAGS, a->guid, a->flags & ~CHAT_MEMBER_OWNER);
  write_add(pl, CHAT_W_MEMBER_FLAGS, t->guid, old_flags | CHAT_MEMBER_OWNER);
  mode_change(pl, a, a->flags, a->flags & ~CHAT_MEMBER_OWNER);
  mode_change(pl, t, old_flags, old_flags | CHAT_MEMBER_OWNER);
  chat_event *e = event_add(pl, CHAT_EV_NOTIFY, CHAT_NOTIFY_OWNER_CHANGED, t->guid);
  snprintf(e->target_name, sizeof(e->target_name), "%s", t->name);
  return CHAT_DECIDED;
}

/* ---- channel settings ------------------------------------------------------ */

static chat_decision decide_setting(chat_channel *ch, chat_op *op, chat_plan *pl) {
  const chat_member *a = chat_member_find(ch, op->req.actor);
  if (!a) {
    pl->status = ST_NOT_MEMBER;
    return CHAT_DECIDED;
  }
  uint8_t notify;
  switch (op->kind) {
  case CHAT_OP_PASSWORD:
    if (a->guid != ch->owner || (ch->rights.flags & CHAT_RIGHT_CANT_CHANGE_PASSWORD)) {
      pl->status = ST_NOT_ALLOWED;
      return CHAT_DECIDED;
    }
    snprintf(pl->props.password, sizeof(pl->props.password), "%s", op->req.password);
    notify = CHAT_NOTIFY_PASSWORD_CHANGED;
    break;
  case CHAT_OP_TOGGLE_MODERATION:
    if (!(a->flags & CHAT_MEMBER_MODERATOR)) {
      pl->status = ST_NOT_ALLOWED;
      return CHAT_DECIDED;
    }
    pl->props.moderated = pl->toggled = !ch->moderated;
    notify = pl->toggled ? CHAT_NOTIFY_MODERATION_ON : CHAT_NOTIFY_MODERATION_OFF;
    break;
  default: /* CHAT_OP_TOGGLE_ANNOUNCEMENTS */
    if (!(a->flags & CHAT_MEMBER_MODERATOR) ||
        (ch->rights.flags & (CHAT_RIGHT_FORCE_ANNOUNCE | CHAT_RIGHT_FORCE_NO_ANNOUNCE))) {
      pl->status = ST_NOT_ALLOWED;
      return CHAT_DECIDED;
    }
    pl->props.announce = pl->toggled = !ch->announce;
    notify = pl->toggled ? CHAT_NOTIFY_ANNOUNCEMENTS_ON : CHAT_NOTIFY_ANNOUNCEMENTS_OFF;
  }
  write_add(pl, CHAT_W_PROPS, 0, 0);
  chat_event *e = event_add(pl, CHAT_EV_NOTIFY, notify, a->guid);
  snprintf(e->target_name, sizeof(e->target_name), "%s", a->name);
  return CHAT_DECIDED;
}

static chat_decision decide_invite(chat_channel *ch, chat_op *op, const chat_config *cfg,
                                   uint32_t now, chat_plan *pl) {
  const chat_member *a = chat_member_find(ch, op->req.actor);
  bool faction = !cfg->two_side && ch->team < 2 && op->found_team < 2;
  if (!a) pl->status = ST_NOT_MEMBER;
  else if (op->asked != CHAT_LOOKUP_ONLINE) return want(op, CHAT_LOOKUP_ONLINE);
  else if (!op->found) pl->status = ST_INVITE_NOT_FOUND;
  else if (chat_ban_find(ch, op->found_guid, now)) pl->status = ST_INVITE_BANNED;
  else if (faction && op->found_team != ch->team) pl->status = ST_INVITE_FACTION;
  else if (chat_member_find(ch, op->found_guid)) pl->status = ST_INVITE_ALREADY;
  else if (!op->ignored) {
    chat_event *e = event_add(pl, CHAT_EV_NOTIFY, CHAT_NOTIFY_INVITE, a->guid);
    e->affects = op->found_guid;
    stratus_name_form_str(op->req.target, e->target_name, sizeof(e->target_name));
  }
  return CHAT_DECIDED;
}

/* ---- entry points ------------------------------------------------------------ */

static void plan_init(const chat_channel *ch, chat_plan *pl) {
  memset(pl, 0, sizeof(*pl));
  chat_props *pr = &pl->props;
  snprintf(pr->name, sizeof(pr->name), "%s", ch->name);
  pr->dbc_id = ch->dbc_id;
  pr->flags = ch->flags;
  pr->announce = ch->announce;
  pr->ownership = ch->ownership;
  pr->moderated = ch->moderated;
  snprintf(pr->password, sizeof(pr->password), "%s", ch->password);
}

chat_decision chat_decide(chat_channel *ch, chat_op *op, const chat_config *cfg, uint32_t now,
                          chat_plan *plan) {
  plan_init(ch, plan);
  if (!ch->exists && op->kind != CHAT_OP_JOIN) {
    plan->status = ST_NOT_MEMBER; /* nobody ever joined: nobody is a member */
    return CHAT_DECIDED;
  }
  switch (op->kind) {
  case CHAT_OP_JOIN: return decide_join(ch, op, now, plan);
  case CHAT_OP_LEAVE:
  case CHAT_OP_LOGOUT: return decide_leave(ch, op, plan);
  case CHAT_OP_LIST:
  case CHAT_OP_MESSAGE:
    if (!chat_member_find(ch, op->req.actor)) plan->status = ST_NOT_MEMBER;
    return CHAT_DECIDED;
  case CHAT_OP_KICK: return decide_kick(ch, op, cfg, now, plan, false);
  case CHAT_OP_BAN: return decide_kick(ch, op, cfg, now, plan, true);
  case CHAT_OP_UNBAN: return decide_unban(ch, op, now, plan);
  case CHAT_OP_SET_MODERATOR: return decide_moderator(ch, op, plan, true);
  case CHAT_OP_UNSET_MODERATOR: return decide_moderator(ch, op, plan, false);
  case CHAT_OP_MUTE: return decide_mute(ch, op, plan, true);
  case CHAT_OP_UNMUTE: return decide_mute(ch, op, plan, false);
  case CHAT_OP_OWNER: return decide_owner(ch, op, plan);
  case CHAT_OP_PASSWORD:
  case CHAT_OP_TOGGLE_MODERATION:
  case CHAT_OP_TOGGLE_ANNOUNCEMENTS: return decide_setting(ch, op, plan);
  case CHAT_OP_INVITE: return decide_invite(ch, op, cfg, now, plan);
  default: return CHAT_DECIDED;
  }
}

int chat_check_speak(chat_channel *ch, uint64_t sender, uint64_t now_ms) {
  chat_member *m = chat_member_find(ch, sender);
  if (!m) return ST_NOT_MEMBER;
  uint8_t voice = CHAT_MEMBER_OWNER | CHAT_MEMBER_MODERATOR | CHAT_MEMBER_VOICED;
  if ((m->flags & CHAT_MEMBER_MUTED) || (ch->rights.flags & CHAT_RIGHT_CANT_SPEAK) ||
      (ch->moderated && !(m->flags & voice)))
    return ST_MUTED;
  uint64_t delay_ms = (uint64_t)ch->rights.speak_delay_s * 1000;
  if (delay_ms && m->last_speak_ms && now_ms - m->last_speak_ms < delay_ms) return ST_THROTTLED;
  m->last_speak_ms = now_ms;
  return ST_OK;
}

uint8_t chat_team_of_race(uint32_t race) {
  switch (race) {
  case 1: case 3: case 4: case 7: case 11: return 0; /* Human Dwarf NightElf Gnome Draenei */
  case 2: case 5: case 6: case 8: case 10: return 1; /* Orc Undead Tauren Troll BloodElf */
  default: return 2;
  }
}
