/*
 * gw.guild.created: a gateway saw the worldserver create a guild from a
 * charter (turn-in stays native). Load that guild by its leader and announce
 * every member with guild.member.added, as ToCloud9's HandleGuildCreated
 * does; drop the signature keys of charters that no longer exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "guild.h"

#define CREATED_MEMBERS_MAX 1000

typedef struct created_job {
  guild_plugin *p;
  uint32_t realm, leader;
  char name[100];
  uint32_t guild;
  char guild_name[100];
  size_t n;
  uint32_t guids[CREATED_MEMBERS_MAX];
  char names[CREATED_MEMBERS_MAX][52];
} created_job;

static void copy_text(stratus_rows *rows, unsigned col, char *out, size_t size) {
  size_t len;
  const char *s = HOST->rows_text(rows, col, &len);
  snprintf(out, size, "%.*s", (int)(s ? len : 0), s ? s : "");
}

static int load_guild(stratus_db *db, void *arg) {
  created_job *j = arg;
  stratus_rows *rows = NULL;
  int rc = HOST->sql_exec(db, "SELECT guildid, name FROM guild WHERE leaderguid = ? AND name = ?",
                          STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->leader),
                                             stratus_sql_text(j->name)), &rows);
  if (rc < 0) return rc;
  if (HOST->rows_next(rows) == 1) {
    j->guild = (uint32_t)HOST->rows_uint(rows, 0);
    copy_text(rows, 1, j->guild_name, sizeof(j->guild_name));
  }
  HOST->rows_free(rows);
  if (j->guild == 0) return STRATUS_ENOTFOUND;
  rc = HOST->sql_exec(db, "SELECT m.guid, c.name FROM guild_member m JOIN characters c ON "
                          "c.guid = m.guid WHERE m.guildid = ? ORDER BY m.`rank`, m.guid",
                      STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(j->guild)), &rows);
  if (rc < 0) return rc;
  while (j->n < CREATED_MEMBERS_MAX && HOST->rows_next(rows) == 1) {
    j->guids[j->n] = (uint32_t)HOST->rows_uint(rows, 0);
    copy_text(rows, 1, j->names[j->n], sizeof(j->names[0]));
    j->n++;
  }
  HOST->rows_free(rows);
  rc = gsql_exec(db, "DELETE s FROM stratus_guild_petition_sign s LEFT JOIN petition p ON "
                     "p.petition_id = s.petition_id WHERE p.petition_id IS NULL", NULL, 0);
  return rc < 0 ? rc : 0;
}

static void announce(stratus_ctx *ctx, void *arg, int result, const char *error) {
  (void)ctx;
  created_job *j = arg;
  if (result != 0) {
    STRATUS_WARN(HOST, j->p->ctx, "gw.guild.created: realm %u guild '%s' of leader %u: %s%s%s",
                 j->realm, j->name, j->leader,
                 result == STRATUS_ENOTFOUND ? "not in the database" : stratus_strerror(result),
                 *error ? ": " : "", error);
    free(j);
    return;
  }
  /* Rights are not read: every member hears of the new guild. */
  gguild g = {.id = j->guild, .name = j->guild_name, .member_guids = j->guids,
              .nmembers = j->n};
  json_t *online = guild_online(j->p, j->realm, &g, 0);
  for (size_t i = 0; i < j->n; i++) {
    json_t *o = guild_event_head(j->p, j->realm, &g, online);
    json_object_set_new(o, "MemberGUID", json_integer(j->guids[i]));
    json_object_set_new(o, "MemberName", json_string(j->names[i]));
    guild_publish(j->p, "guild.member.added", EV_MEMBER_ADDED, o);
  }
  json_decref(online);
  STRATUS_INFO(HOST, j->p->ctx, "realm %u: guild %u '%s' created natively, %zu members",
               j->realm, j->guild, j->guild_name, j->n);
  free(j);
}

static bool read_created(json_t *o, created_job *j) {
  json_t *realm = json_object_get(o, "RealmID"), *leader = json_object_get(o, "LeaderGUID");
  json_t *name = json_object_get(o, "GuildName");
  if (!json_is_integer(realm) || !json_is_integer(leader) || !json_is_string(name)) return false;
  uint32_t home;
  if (!guid_resolve((uint32_t)json_integer_value(realm), (uint64_t)json_integer_value(leader),
                    &home, &j->leader))
    return false;
  j->realm = home;
  const char *s = json_string_value(name);
  if (!s[0] || strlen(s) >= sizeof(j->name)) return false;
  snprintf(j->name, sizeof(j->name), "%s", s);
  return true;
}

static void on_created(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  guild_plugin *p = ud;
  json_t *o = json_loadb(ev->payload, strlen(ev->payload), 0, NULL);
  created_job *j = calloc(1, sizeof(*j));
  if (!j || !json_is_object(o) || !read_created(o, j)) {
    STRATUS_WARN(HOST, ctx, "%s: needs RealmID, LeaderGUID and GuildName", ev->subject);
    json_decref(o);
    free(j);
    return;
  }
  json_decref(o);
  j->p = p;
  char pool[32];
  snprintf(pool, sizeof(pool), "characters.%u", j->realm);
  int rc = HOST->db_submit(ctx, pool, load_guild, announce, j, NULL);
  if (rc != 0) {
    STRATUS_WARN(HOST, ctx, "gw.guild.created: realm %u: [db.%s]: %s", j->realm, pool,
                 stratus_strerror(rc));
    free(j);
  }
}

int guild_created_subscribe(guild_plugin *p) {
  p->created_sub = HOST->event_subscribe(p->ctx, "gw.guild.created", on_created, p);
  return p->created_sub ? 0 : STRATUS_EUNAVAILABLE;
}
