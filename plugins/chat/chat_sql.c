/*
 * Database work of the chat plugin (worker threads: only the job and the
 * lent connection). Tables: AzerothCore's channels (custom channels:
 * announce, ownership, password, lastUsed), channels_bans, channels_rights,
 * characters and character_social (read), and the plugin's own
 * stratus_chat_channel and stratus_chat_member (sql/characters/0002).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chat.h"

#define host chat_host
#define P STRATUS_SQL_PARAMS
#define U STRATUS_SQL_UINT_V
#define T stratus_sql_text

static const char *text_or_empty(stratus_rows *r, unsigned col) {
  size_t len;
  const char *s = host->rows_text(r, col, &len);
  return s ? s : "";
}

static int fail(stratus_db *db, unsigned *db_errno, int rc) {
  *db_errno = host->db_errno(db);
  return rc;
}

/* One-row query: 1 found, 0 none, < 0 error. *out is left for the caller. */
static int one_row(stratus_db *db, const char *sql, const stratus_sql_value *params, size_t n,
                   stratus_rows **out) {
  int rc = host->sql_exec(db, sql, params, n, out);
  if (rc != 0) return rc;
  rc = host->rows_next(*out);
  if (rc <= 0) {
    host->rows_free(*out);
    *out = NULL;
  }
  return rc;
}

/* ---- loading a channel ----------------------------------------------------- */

static int load_custom_props(stratus_db *db, chat_load_job *j) {
  stratus_rows *r;
  int rc = one_row(db, "SELECT announce, ownership, password FROM channels WHERE channelId = ?",
                   P(U(j->ac_id)), &r);
  if (rc < 0) return rc;
  if (rc == 0) { /* the worldserver's cleanup removed it: the next write makes a new one */
    j->ac_id = 0;
    j->props.announce = j->props.ownership = true;
    return 0;
  }
  j->props.announce = host->rows_int(r, 0) != 0;
  j->props.ownership = host->rows_int(r, 1) != 0;
  snprintf(j->props.password, sizeof(j->props.password), "%s", text_or_empty(r, 2));
  host->rows_free(r);
  return 0;
}

static int load_stored(stratus_db *db, chat_load_job *j) {
  stratus_rows *r;
  int rc = one_row(db,
                   "SELECT name, dbc_id, flags, moderated, ac_channel_id FROM stratus_chat_channel "
                   "WHERE team = ? AND channel_key = ?",
                   P(U(j->team), T(j->key)), &r);
  if (rc <= 0) return rc;
  j->exists = j->stored = true;
  snprintf(j->props.name, sizeof(j->props.name), "%s", text_or_empty(r, 0));
  j->props.dbc_id = (uint32_t)host->rows_uint(r, 1);
  j->props.flags = (uint8_t)host->rows_uint(r, 2);
  j->props.moderated = host->rows_int(r, 3) != 0;
  j->ac_id = (uint32_t)host->rows_uint(r, 4);
  host->rows_free(r);
  if (j->props.flags & CHAT_CHANNEL_CUSTOM) return load_custom_props(db, j);
  return 0;
}

/* A custom channel the worldserver (or ToCloud9) stored before Stratus:
 * AzerothCore's name collation ignores case and accents, so the exact
 * match is made here on the folded name. */
static int adopt_core_channel(stratus_db *db, chat_load_job *j) {
  stratus_rows *r;
  int rc = host->sql_exec(db,
                          "SELECT channelId, name, announce, ownership, password FROM channels "
                          "WHERE team = ? AND name = ? ORDER BY channelId",
                          P(U(j->team), T(j->key)), &r);
  if (rc != 0) return rc;
  while ((rc = host->rows_next(r)) == 1) {
    char fold[sizeof(j->key)];
    const char *name = text_or_empty(r, 1);
    if (!stratus_name_fold_str(name, fold, sizeof(fold)) || strcmp(fold, j->key) != 0) continue;
    j->exists = true;
    j->ac_id = (uint32_t)host->rows_uint(r, 0);
    snprintf(j->props.name, sizeof(j->props.name), "%s", name);
    j->props.flags = CHAT_CHANNEL_CUSTOM;
    j->props.announce = host->rows_int(r, 2) != 0;
    j->props.ownership = host->rows_int(r, 3) != 0;
    snprintf(j->props.password, sizeof(j->props.password), "%s", text_or_empty(r, 4));
    break;
  }
  host->rows_free(r);
  return rc < 0 ? rc : 0;
}

static int load_members(stratus_db *db, chat_load_job *j) {
  stratus_rows *r;
  int rc = host->sql_exec(db,
                          "SELECT guid, name, flags, join_seq FROM stratus_chat_member "
                          "WHERE team = ? AND channel_key = ? ORDER BY join_seq",
                          P(U(j->team), T(j->key)), &r);
  if (rc != 0) return rc;
  size_t n = host->rows_count(r);
  j->members = n ? calloc(n, sizeof(*j->members)) : NULL;
  if (n && !j->members) {
    host->rows_free(r);
    return STRATUS_ENOMEM;
  }
  while (j->n_members < n && (rc = host->rows_next(r)) == 1) {
    chat_loaded_member *m = &j->members[j->n_members++];
    m->guid = host->rows_uint(r, 0);
    snprintf(m->name, sizeof(m->name), "%s", text_or_empty(r, 1));
    m->flags = (uint8_t)host->rows_uint(r, 2);
    m->seq = host->rows_uint(r, 3);
  }
  host->rows_free(r);
  return rc < 0 ? rc : 0;
}

static int load_bans(stratus_db *db, chat_load_job *j, uint32_t now) {
  stratus_rows *r;
  int rc = host->sql_exec(db,
                          "SELECT playerGUID, banTime FROM channels_bans "
                          "WHERE channelId = ? AND banTime > ?",
                          P(U(j->ac_id), U(now)), &r);
  if (rc != 0) return rc;
  size_t n = host->rows_count(r);
  j->bans = n ? calloc(n, sizeof(*j->bans)) : NULL;
  while (j->bans && j->n_bans < n && (rc = host->rows_next(r)) == 1)
    j->bans[j->n_bans++] = (chat_ban){host->rows_uint(r, 0), (uint32_t)host->rows_uint(r, 1)};
  host->rows_free(r);
  return rc < 0 ? rc : 0;
}

/* moderators: account ids separated by spaces, as the core reads them. */
static void parse_moderators(const char *list, chat_rights *rights) {
  size_t cap = 0;
  for (const char *s = list; *s;) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) {
      s++;
      continue;
    }
    s = end;
    if (v == 0 || v > UINT32_MAX) continue;
    if (rights->n_moderators == cap) {
      cap = cap ? cap * 2 : 4;
      uint32_t *m = realloc(rights->moderators, cap * sizeof(*m));
      if (!m) return;
      rights->moderators = m;
    }
    rights->moderators[rights->n_moderators++] = (uint32_t)v;
  }
}

static int load_rights(stratus_db *db, chat_load_job *j) {
  stratus_rows *r;
  int rc = host->sql_exec(db,
                          "SELECT name, flags, speakdelay, moderators FROM channels_rights "
                          "WHERE name = ?",
                          P(T(j->key)), &r);
  if (rc != 0) return rc;
  while ((rc = host->rows_next(r)) == 1) {
    char fold[sizeof(j->key)];
    if (!stratus_name_fold_str(text_or_empty(r, 0), fold, sizeof(fold)) ||
        strcmp(fold, j->key) != 0)
      continue;
    j->has_rights = true;
    j->rights.flags = (uint32_t)host->rows_uint(r, 1);
    j->rights.speak_delay_s = (uint32_t)host->rows_uint(r, 2);
    parse_moderators(text_or_empty(r, 3), &j->rights);
    break;
  }
  host->rows_free(r);
  return rc < 0 ? rc : 0;
}

int chat_sql_load(stratus_db *db, void *job) {
  chat_load_job *j = job;
  uint32_t now = (uint32_t)time(NULL);
  int rc = load_stored(db, j);
  if (rc == 0 && !j->stored) rc = adopt_core_channel(db, j);
  if (rc == 0) rc = load_members(db, j);
  if (rc == 0 && j->ac_id) rc = load_bans(db, j, now);
  if (rc == 0) rc = load_rights(db, j);
  return rc < 0 ? fail(db, &j->db_errno, rc) : 0;
}

/* ---- writing a plan ------------------------------------------------------------ */

static stratus_sql_value password_param(const char *password) {
  return *password ? T(password) : STRATUS_SQL_NULL_V;
}

static int create_channel(stratus_db *db, chat_write_job *j, uint32_t *ac) {
  const chat_props *pr = &j->plan.props;
  stratus_rows *r;
  int rc = 0;
  if ((pr->flags & CHAT_CHANNEL_CUSTOM) && *ac == 0) {
    rc = host->sql_exec(db,
                        "INSERT INTO channels (name, team, announce, ownership, password, lastUsed) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        P(T(pr->name), U(j->team), U(pr->announce), U(pr->ownership),
                          password_param(pr->password), U(j->now)),
                        &r);
    if (rc != 0) return rc;
    *ac = (uint32_t)host->rows_insert_id(r);
    host->rows_free(r);
  }
  if (j->stored) { /* the row is there, only the channels row had gone */
    return host->sql_exec(db, "UPDATE stratus_chat_channel SET ac_channel_id = ? "
                              "WHERE team = ? AND channel_key = ?",
                          P(U(*ac), U(j->team), T(j->key)), NULL);
  }
  return host->sql_exec(db,
                        "INSERT INTO stratus_chat_channel "
                        "(team, channel_key, name, dbc_id, flags, moderated, ac_channel_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        P(U(j->team), T(j->key), T(pr->name), U(pr->dbc_id), U(pr->flags),
                          U(pr->moderated), *ac ? U(*ac) : STRATUS_SQL_NULL_V),
                        NULL);
}

static int write_props(stratus_db *db, chat_write_job *j, uint32_t ac) {
  const chat_props *pr = &j->plan.props;
  int rc = 0;
  if (ac)
    rc = host->sql_exec(db, "UPDATE channels SET announce = ?, password = ? WHERE channelId = ?",
                        P(U(pr->announce), password_param(pr->password), U(ac)), NULL);
  if (rc == 0)
    rc = host->sql_exec(db, "UPDATE stratus_chat_channel SET moderated = ? "
                            "WHERE team = ? AND channel_key = ?",
                        P(U(pr->moderated), U(j->team), T(j->key)), NULL);
  return rc;
}

static int write_one(stratus_db *db, chat_write_job *j, const chat_write *w, uint32_t *ac) {
  switch (w->kind) {
  case CHAT_W_CREATE: return create_channel(db, j, ac);
  case CHAT_W_MEMBER_ADD:
    return host->sql_exec(db,
                          "INSERT INTO stratus_chat_member "
                          "(team, channel_key, guid, name, flags, join_seq, joined_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                          "name = VALUES(name), flags = VALUES(flags), "
                          "join_seq = VALUES(join_seq), joined_at = VALUES(joined_at)",
                          P(U(j->team), T(j->key), U(w->guid), T(w->name), U(w->flags),
                            U(w->seq), U(w->time)),
                          NULL);
  case CHAT_W_MEMBER_DEL:
    return host->sql_exec(db,
                          "DELETE FROM stratus_chat_member "
                          "WHERE team = ? AND channel_key = ? AND guid = ?",
                          P(U(j->team), T(j->key), U(w->guid)), NULL);
  case CHAT_W_MEMBER_FLAGS:
    return host->sql_exec(db,
                          "UPDATE stratus_chat_member SET flags = ? "
                          "WHERE team = ? AND channel_key = ? AND guid = ?",
                          P(U(w->flags), U(j->team), T(j->key), U(w->guid)), NULL);
  case CHAT_W_BAN_ADD:
    if (!*ac) return 0;
    return host->sql_exec(db,
                          "INSERT INTO channels_bans (channelId, playerGUID, banTime) "
                          "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE banTime = VALUES(banTime)",
                          P(U(*ac), U(w->guid), U(w->time)), NULL);
  case CHAT_W_BAN_DEL:
    if (!*ac) return 0;
    return host->sql_exec(db, "DELETE FROM channels_bans WHERE channelId = ? AND playerGUID = ?",
                          P(U(*ac), U(w->guid)), NULL);
  case CHAT_W_PROPS: return write_props(db, j, *ac);
  case CHAT_W_TOUCH:
    if (!*ac) return 0;
    return host->sql_exec(db, "UPDATE channels SET lastUsed = ? WHERE channelId = ?",
                          P(U(j->now), U(*ac)), NULL);
  }
  return STRATUS_EINVAL;
}

/* The transaction body; it may run again after a deadlock, so it starts
 * from the job's inputs every time. */
static int write_body(stratus_db *db, void *arg) {
  chat_write_job *j = arg;
  uint32_t ac = j->ac_id;
  for (size_t i = 0; i < j->plan.nw; i++) {
    int rc = write_one(db, j, &j->plan.w[i], &ac);
    if (rc != 0) return rc;
  }
  j->new_ac_id = ac;
  return 0;
}

int chat_sql_write(stratus_db *db, void *job) {
  chat_write_job *j = job;
  int rc = host->db_transaction(db, write_body, j);
  return rc != 0 ? fail(db, &j->db_errno, rc) : 0;
}

/* ---- lookups ------------------------------------------------------------------- */

static int ignore_check(stratus_db *db, chat_lookup_job *j) {
  stratus_rows *r;
  int rc = one_row(db,
                   "SELECT 1 FROM character_social WHERE guid = ? AND friend = ? AND (flags & 2) <> 0",
                   P(U(j->target), U(j->guid)), &r);
  if (rc < 0) return rc;
  j->ignored = rc == 1;
  if (r) host->rows_free(r);
  return 0;
}

int chat_sql_lookup(stratus_db *db, void *job) {
  chat_lookup_job *j = job;
  stratus_rows *r = NULL;
  int rc;
  if (j->what == CHAT_LOOKUP_ACTOR_ACCOUNT || j->what == CHAT_LOOKUP_TARGET_ACCOUNT) {
    rc = one_row(db, "SELECT account FROM characters WHERE guid = ?", P(U(j->guid)), &r);
    if (rc == 1) j->account = (uint32_t)host->rows_uint(r, 0);
  } else if (j->what == CHAT_LOOKUP_NAME || j->resolve_name) {
    rc = one_row(db, "SELECT guid, race FROM characters WHERE name = ?", P(T(j->name)), &r);
    if (rc == 1) {
      j->found = true;
      j->found_guid = j->target = host->rows_uint(r, 0);
      j->race = (uint32_t)host->rows_uint(r, 1);
    }
  } else {
    rc = 0;
  }
  if (r) host->rows_free(r);
  if (rc >= 0 && j->what == CHAT_LOOKUP_ONLINE && j->target) rc = ignore_check(db, j);
  return rc < 0 ? fail(db, &j->db_errno, rc) : 0;
}

int chat_sql_touch(stratus_db *db, void *job) {
  chat_touch_job *j = job;
  return host->sql_exec(db, "UPDATE channels SET lastUsed = ? WHERE channelId = ?",
                        P(U(j->now), U(j->ac_id)), NULL);
}

int chat_sql_member_channels(stratus_db *db, void *job) {
  chat_logout_job *j = job;
  stratus_rows *r;
  int rc = host->sql_exec(db,
                          "SELECT m.team, m.channel_key, c.name FROM stratus_chat_member m "
                          "JOIN stratus_chat_channel c ON c.team = m.team "
                          "AND c.channel_key = m.channel_key WHERE m.guid = ?",
                          P(U(j->guid)), &r);
  if (rc != 0) return rc;
  size_t n = host->rows_count(r);
  j->found = n ? calloc(n, sizeof(*j->found)) : NULL;
  while (j->found && j->n < n && (rc = host->rows_next(r)) == 1) {
    j->found[j->n].team = (uint8_t)host->rows_uint(r, 0);
    snprintf(j->found[j->n].key, sizeof(j->found[j->n].key), "%s", text_or_empty(r, 1));
    snprintf(j->found[j->n].name, sizeof(j->found[j->n].name), "%s", text_or_empty(r, 2));
    j->n++;
  }
  host->rows_free(r);
  return rc < 0 ? rc : 0;
}
