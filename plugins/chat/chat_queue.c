/*
 * One operation at a time per channel. The head of a channel's queue is
 * decided on the committed state; when it changes something the change is
 * written to the database first and only then applied in memory, announced
 * and answered, so a failed write leaves nothing changed and writes of one
 * channel can never overtake each other. Lookups (an account, a name, the
 * online directory) run while the head waits. Channels are loaded on first
 * use and dropped from memory when empty and idle.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stratus/proto/characters/characters.pb-c.h>

#include "chat.h"

#define host chat_host

static void run(chat_channel *ch);
static void start_load(chat_channel *ch);

static const char *const op_names[CHAT_OP_COUNT] = {
    "join", "leave", "message", "list", "kick", "ban", "unban", "set_moderator",
    "unset_moderator", "mute", "unmute", "owner", "password", "toggle_moderation",
    "toggle_announcements", "invite", "logout"};

static void count_op(chat_plugin *p, chat_op_kind kind, const char *outcome) {
  if (p->stopped) return;
  const char *labels[] = {op_names[kind], outcome};
  host->metric_add(p->m_ops, labels, 1);
}

/* A call's operation lives in its arena, which the host frees with it. */
void chat_op_drop(chat_op *op) {
  if (!op->rq) free(op);
}

void chat_op_fail(chat_op *op, int grpc_status, const char *fmt, ...) {
  if (!op->rq) {
    free(op);
    return;
  }
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  host->req_error(op->rq, host->req_fail(op->rq, grpc_status, "%s", msg));
}

/* A database failure as the caller sees it: the SDK's one mapping of codes
 * and MySQL errors (1146: run `stratusctl migrate`) to statuses. */
static void fail_db(chat_plugin *p, chat_op *op, const chat_channel *ch, int result,
                    unsigned db_errno, const char *error) {
  count_op(p, op->kind, "error");
  if (result == STRATUS_ECONFLICT)
    chat_op_fail(op, STRATUS_GRPC_ABORTED, "channel '%s' was changed by someone else; retry",
                 ch->name);
  else
    chat_op_fail(op, stratus_status_of(result, db_errno),
                 "realm %" PRIu32 " characters database: %s%s%s", ch->realm,
                 stratus_status_hint(result, db_errno), *error ? ": " : "", error);
}

static chat_op *pop(chat_channel *ch) {
  chat_op *op = ch->head;
  ch->head = op->next;
  if (!ch->head) ch->tail = NULL;
  op->next = NULL;
  return op;
}

static void update_gauges(chat_plugin *p) {
  if (p->stopped) return;
  host->metric_set(p->m_channels, NULL, (double)p->n_channels);
}

void chat_members_delta(chat_plugin *p, int64_t d) {
  p->n_members += d;
  if (!p->stopped) host->metric_set(p->m_members, NULL, (double)p->n_members);
}

/* The decided head: apply, announce, answer. */
static void finish(chat_channel *ch, const chat_plan *plan, uint32_t ac_id) {
  chat_op *op = pop(ch);
  chat_plugin *p = ch->plugin;
  int64_t before = (int64_t)ch->n_members;
  chat_channel_apply(ch, plan, ac_id);
  chat_members_delta(p, (int64_t)ch->n_members - before);
  if (op->kind == CHAT_OP_MESSAGE && plan->status == 0) {
    chat_plan speak = *plan;
    speak.status = chat_check_speak(ch, op->req.actor, host->now_ms(p->ctx));
    if (speak.status == 0 && chat_publish_message(ch, &op->req, op->req.actor) != 0) {
      count_op(p, op->kind, "error");
      chat_op_fail(op, STRATUS_GRPC_UNAVAILABLE, "the event bus did not take the message");
      return;
    }
    count_op(p, op->kind, speak.status ? "refused" : "ok");
    if (speak.status == 0) chat_touch(ch);
    chat_reply(ch, op, &speak);
    return;
  }
  chat_publish_plan(ch, plan);
  count_op(p, op->kind, plan->status ? "refused" : "ok");
  chat_reply(ch, op, plan);
}

/* ---- channels.lastUsed after messages ---------------------------------------- */

/* A missed timestamp is harmless: the result is not looked at. */
static void touch_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  free(arg);
}

void chat_touch(chat_channel *ch) {
  uint64_t now_ms = host->now_ms(ch->plugin->ctx);
  if (!ch->persist || !ch->ac_id || (ch->touched_ms && now_ms - ch->touched_ms < 60000)) return;
  chat_touch_job *j = malloc(sizeof(*j));
  char pool[REALM_POOL_MAX];
  if (!j) return; /* a missed timestamp, as above */
  *j = (chat_touch_job){ch->ac_id, (uint32_t)time(NULL)};
  CHAT_POOL(pool, ch->realm);
  if (host->db_submit(ch->plugin->ctx, pool, chat_sql_touch, touch_done, j, NULL) != 0) free(j);
  else ch->touched_ms = now_ms;
}

/* ---- database writes ------------------------------------------------------ */

static void write_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  chat_write_job *j = arg;
  chat_channel *ch = j->channel;
  ch->busy = false;
  if (result == 0) {
    finish(ch, &j->plan, j->new_ac_id);
  } else {
    STRATUS_WARN(host, ch->plugin->ctx, "realm %" PRIu32 " channel '%s': %s (%s)", ch->realm,
                 ch->name, stratus_err_name(result), error);
    fail_db(ch->plugin, pop(ch), ch, result, j->db_errno, error);
    if (result == STRATUS_ECONFLICT) { /* another writer: read the channel again */
      free(j);
      start_load(ch);
      return;
    }
  }
  free(j);
  run(ch);
}

static bool start_write(chat_channel *ch, const chat_plan *plan) {
  chat_write_job *j = calloc(1, sizeof(*j));
  char pool[REALM_POOL_MAX];
  if (!j) {
    fail_db(ch->plugin, pop(ch), ch, STRATUS_ENOMEM, 0, "");
    return false;
  }
  j->channel = ch;
  j->realm = ch->realm;
  j->team = ch->team;
  snprintf(j->key, sizeof(j->key), "%s", ch->key);
  j->stored = ch->stored;
  j->ac_id = ch->ac_id;
  j->now = (uint32_t)time(NULL);
  j->plan = *plan;
  for (size_t i = 0; i < plan->nw; i++)
    if (plan->w[i].name) {
      snprintf(j->names[i], sizeof(j->names[i]), "%s", plan->w[i].name);
      j->plan.w[i].name = j->names[i];
    }
  CHAT_POOL(pool, ch->realm);
  int rc = host->db_submit(ch->plugin->ctx, pool, chat_sql_write, write_done, j, NULL);
  if (rc != 0) {
    free(j);
    fail_db(ch->plugin, pop(ch), ch, rc, 0, "");
    return false;
  }
  ch->busy = true;
  return true;
}

/* ---- lookups ----------------------------------------------------------------- */

typedef struct online_call {
  chat_channel *channel;
  V1__CharacterOnlineByNameRequest req;
  char name[CHAT_PLAYER_NAME_BYTES + 1];
} online_call;

static void lookup_failed(chat_channel *ch, int result, unsigned db_errno, const char *error) {
  ch->busy = false;
  fail_db(ch->plugin, pop(ch), ch, result, db_errno, error);
  run(ch);
}

/* The job is the head operation's own (op->lookup). */
static void lookup_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  chat_lookup_job *j = arg;
  chat_channel *ch = j->channel;
  chat_op *op = ch->head;
  if (result != 0) {
    lookup_failed(ch, result, j->db_errno, error);
  } else {
    if (j->resolve_name || j->what != CHAT_LOOKUP_ONLINE) {
      op->found = j->found;
      op->found_guid = j->found_guid;
      op->found_team = chat_team_of_race(j->race);
    }
    op->ignored = j->ignored;
    op->account = j->account;
    op->asked = op->want;
    ch->busy = false;
    run(ch);
  }
}

static void submit_lookup(chat_channel *ch, chat_lookup_job *j) {
  char pool[REALM_POOL_MAX];
  j->channel = ch;
  int rc = host->db_submit(ch->plugin->ctx, CHAT_POOL(pool, ch->realm), chat_sql_lookup,
                           lookup_done, j, NULL);
  if (rc != 0) lookup_failed(ch, rc, 0, "");
}

/* After the characters plugin answered: the ignore list (and, when it could
 * not answer, the name) come from the realm's database. */
static void online_done(stratus_ctx *ctx, int status, const char *message,
                        const ProtobufCMessage *response, void *ud) {
  online_call *oc = ud;
  chat_channel *ch = oc->channel;
  chat_op *op = ch->head;
  const V1__CharacterOnlineByNameResponse *r = (const void *)response;
  chat_lookup_job *j = &op->lookup;
  if (status == STRATUS_GRPC_OK) {
    op->found = r->character != NULL;
    if (op->found) {
      op->found_guid = r->character->charguid & 0xFFFFFFFFu;
      op->found_team = chat_team_of_race(r->character->charrace);
    }
  } else {
    STRATUS_DEBUG(host, ch->plugin->ctx, "CharacterOnlineByName: %s; using the database",
                  message);
  }
  if (ch->realm == 0 || (status == STRATUS_GRPC_OK && !op->found)) {
    op->asked = op->want; /* nothing more to learn */
    ch->busy = false;
    run(ch);
    return;
  }
  *j = (chat_lookup_job){0};
  j->what = CHAT_LOOKUP_ONLINE;
  j->guid = op->req.actor;
  j->resolve_name = status != STRATUS_GRPC_OK;
  j->target = op->found_guid;
  snprintf(j->name, sizeof(j->name), "%s", oc->name);
  submit_lookup(ch, j);
}

/* Only an invite (a call) looks a player up online: oc lives in its arena. */
static void start_online_lookup(chat_channel *ch, chat_op *op) {
  online_call *oc = host->req_alloc(op->rq, sizeof(*oc));
  oc->channel = ch;
  stratus_name_form_str(op->req.target, oc->name, sizeof(oc->name));
  v1__character_online_by_name_request__init(&oc->req);
  oc->req.realmid = ch->realm;
  oc->req.charactername = oc->name;
  stratus_call_opts opts = {sizeof(opts), 0, ch->plugin->config->lookup_timeout_ms, NULL};
  int rc = host->rpc_call(ch->plugin->ctx, &v1__characters_service__descriptor,
                          "CharacterOnlineByName", &oc->req.base, &opts, online_done, oc);
  if (rc != 0) lookup_failed(ch, rc, 0, "");
}

/* Returns true when the lookup was answered at once (no database). */
static bool start_lookup(chat_channel *ch, chat_op *op) {
  ch->busy = true;
  if (op->want == CHAT_LOOKUP_ONLINE) {
    start_online_lookup(ch, op);
    return false;
  }
  const chat_member *t = chat_member_by_name(ch, op->target_fold);
  if (ch->realm == 0 || (op->want == CHAT_LOOKUP_TARGET_ACCOUNT && !t)) {
    op->asked = op->want; /* realm 0 has no database: nothing is known */
    ch->busy = false;
    return true;
  }
  chat_lookup_job *j = &op->lookup;
  *j = (chat_lookup_job){.what = op->want};
  j->guid = op->want == CHAT_LOOKUP_TARGET_ACCOUNT ? t->guid : op->req.actor;
  stratus_name_form_str(op->req.target ? op->req.target : "", j->name, sizeof(j->name));
  submit_lookup(ch, j);
  return false;
}

/* ---- the queue --------------------------------------------------------------- */

static void maybe_forget(chat_channel *ch) {
  if (ch->head || ch->busy || ch->state != CHAT_READY || ch->n_members) return;
  chat_plugin *p = ch->plugin;
  chat_channel_forget(ch);
  update_gauges(p);
}

static void run(chat_channel *ch) {
  chat_plugin *p = ch->plugin;
  while (ch->head && !ch->busy && ch->state == CHAT_READY) {
    chat_op *op = ch->head;
    chat_plan plan;
    uint32_t now = (uint32_t)time(NULL);
    if (chat_decide(ch, op, p->config, now, &plan) == CHAT_NEED_LOOKUP) {
      if (start_lookup(ch, op)) continue;
      return;
    }
    if (plan.nw > 0 && ch->persist) {
      if (start_write(ch, &plan)) return;
      continue;
    }
    finish(ch, &plan, 0);
  }
  maybe_forget(ch);
}

/* ---- loading ----------------------------------------------------------------- */

static void reset_contents(chat_channel *ch) {
  chat_members_delta(ch->plugin, -(int64_t)ch->n_members);
  while (ch->first) chat_member_remove(ch, ch->first);
  chat_rights_clear(&ch->rights);
  ch->n_bans = 0;
  ch->owner = 0;
  ch->exists = ch->stored = false;
  ch->ac_id = 0;
}

static void fill_from(chat_channel *ch, chat_load_job *j) {
  ch->exists = j->exists;
  ch->stored = j->stored;
  ch->ac_id = j->ac_id;
  if (j->exists) {
    snprintf(ch->name, sizeof(ch->name), "%s", j->props.name);
    ch->dbc_id = j->props.dbc_id;
    ch->flags = j->props.flags;
    ch->announce = j->props.announce;
    ch->ownership = j->props.ownership;
    ch->moderated = j->props.moderated;
    snprintf(ch->password, sizeof(ch->password), "%s", j->props.password);
  }
  for (size_t i = 0; i < j->n_members; i++) {
    chat_loaded_member *m = &j->members[i];
    if (chat_member_add(ch, m->guid, m->name, m->flags, m->seq) && (m->flags & CHAT_MEMBER_OWNER))
      ch->owner = m->guid;
  }
  for (size_t i = 0; i < j->n_bans; i++) chat_ban_set(ch, j->bans[i].guid, j->bans[i].until);
  ch->rights = j->rights;
  j->rights = (chat_rights){0};
  ch->persist = !(ch->rights.flags & CHAT_RIGHT_DONT_PRESERVE);
  chat_members_delta(ch->plugin, (int64_t)ch->n_members);
}

static void clear_load_job(chat_load_job *j) {
  free(j->members);
  free(j->bans);
  chat_rights_clear(&j->rights);
  *j = (chat_load_job){0};
}

static void load_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  chat_load_job *j = arg;
  chat_plugin *p = j->plugin;
  chat_channel *ch = chat_channel_find(p, j->realm, j->team, j->key);
  if (!ch) return; /* cannot happen: a loading channel is never forgotten */
  if (result != 0) {
    STRATUS_WARN(host, p->ctx, "realm %" PRIu32 " channel '%s': loading failed: %s (%s)",
                 ch->realm, ch->name, stratus_err_name(result), error);
    while (ch->head) fail_db(p, pop(ch), ch, result, j->db_errno, error);
    clear_load_job(j);
    chat_channel_forget(ch);
    update_gauges(p);
    return;
  }
  fill_from(ch, j);
  clear_load_job(j);
  ch->state = CHAT_READY;
  run(ch);
}

static void start_load(chat_channel *ch) {
  reset_contents(ch);
  ch->state = CHAT_LOADING;
  if (ch->realm == 0) { /* PR #37's crossrealm scope: memory only */
    ch->persist = false;
    ch->state = CHAT_READY;
    run(ch);
    return;
  }
  chat_load_job *j = &ch->load;
  char pool[REALM_POOL_MAX];
  j->plugin = ch->plugin;
  j->realm = ch->realm;
  j->team = ch->team;
  snprintf(j->key, sizeof(j->key), "%s", ch->key);
  CHAT_POOL(pool, ch->realm);
  int rc = host->db_submit(ch->plugin->ctx, pool, chat_sql_load, load_done, j, NULL);
  if (rc != 0) {
    clear_load_job(j);
    while (ch->head) fail_db(ch->plugin, pop(ch), ch, rc, 0, "");
    chat_channel_forget(ch);
    update_gauges(ch->plugin);
  }
}

int chat_submit(chat_plugin *p, chat_op *op) {
  char key[sizeof(((chat_channel *)0)->key)];
  if (!stratus_name_fold_str(op->req.channel, key, sizeof(key))) return STRATUS_EINVAL;
  if (op->req.target)
    stratus_name_fold_str(op->req.target, op->target_fold, sizeof(op->target_fold));
  chat_channel *ch = chat_channel_find(p, op->req.realm, op->req.team, key);
  bool fresh = !ch;
  if (fresh && !(ch = chat_channel_new(p, op->req.realm, op->req.team, key, op->req.channel)))
    return STRATUS_ENOMEM;
  if (ch->tail) ch->tail->next = op; else ch->head = op;
  ch->tail = op;
  if (fresh) {
    update_gauges(p);
    start_load(ch);
  } else {
    run(ch);
  }
  return 0;
}
