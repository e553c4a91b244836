/*
 * Guild names of online characters, for who lists: the login event carries
 * only the guild id, so unknown ids are collected and read from the realm's
 * `guild` table in batches of up to BATCH ids (one statement with a fixed
 * number of placeholders, padded with id 0, which no guild has). Guild
 * events (guild.member.added) also teach names; see events.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

#define BATCH 64

typedef struct realm_ids {
  uint32_t realm;
  uint32_t *ids;
  size_t n, cap;
} realm_ids;

struct guild_fetch {
  hmap requested; /* guild keys queued or in flight */
  realm_ids *pending;
  size_t npending;
  bool flush_armed;
  char sql[64 + BATCH * 3];
};

typedef struct fetch_job {
  chars *st;       /* for the done callback (loop) only */
  const char *sql; /* the worker's copy of guild_fetch.sql */
  uint32_t realm;
  size_t n;
  uint32_t ids[BATCH];
  size_t found;
  struct {
    uint32_t id;
    size_t len;
    char name[OC_GUILD_BYTES + 1];
  } rows[BATCH];
} fetch_job;

static char requested_mark;

int guilds_create(chars *st) {
  guild_fetch *gf = calloc(1, sizeof(*gf));
  if (!gf) return -1;
  int len = snprintf(gf->sql, sizeof(gf->sql), "SELECT guildid, name FROM guild WHERE guildid IN (");
  for (int i = 0; i < BATCH; i++) len += snprintf(gf->sql + len, sizeof(gf->sql) - (size_t)len, i ? ",?" : "?");
  snprintf(gf->sql + len, sizeof(gf->sql) - (size_t)len, ")");
  st->guilds = gf;
  return 0;
}

void guilds_destroy(chars *st) {
  guild_fetch *gf = st->guilds;
  if (!gf) return;
  for (size_t i = 0; i < gf->npending; i++) free(gf->pending[i].ids);
  free(gf->pending);
  hmap_free(&gf->requested);
  free(gf);
  st->guilds = NULL;
}

static int fetch_work(stratus_db *db, void *arg) {
  fetch_job *j = arg;
  stratus_sql_value params[BATCH];
  for (size_t i = 0; i < BATCH; i++)
    params[i] = STRATUS_SQL_UINT_V(i < j->n ? j->ids[i] : 0);
  stratus_rows *rows;
  int rc = HOST->sql_exec(db, j->sql, params, BATCH, &rows);
  if (rc != 0) return rc;
  while (HOST->rows_next(rows) == 1 && j->found < BATCH) {
    size_t len;
    const char *name = HOST->rows_text(rows, 1, &len);
    if (len > OC_GUILD_BYTES) len = OC_GUILD_BYTES;
    j->rows[j->found].id = (uint32_t)HOST->rows_uint(rows, 0);
    j->rows[j->found].len = len;
    memcpy(j->rows[j->found].name, name ? name : "", len);
    j->found++;
  }
  HOST->rows_free(rows);
  return 0;
}

static void fetch_done(stratus_ctx *ctx, void *arg, int result, const char *error) {
  fetch_job *j = arg;
  chars *st = j->st;
  if (result == 0) {
    for (size_t i = 0; i < j->found; i++)
      online_guild_put(&st->oc, j->realm, j->rows[i].id, j->rows[i].name, j->rows[i].len);
    /* Ids without a row get an empty name: no refetch for every login. */
    for (size_t i = 0; i < j->n; i++)
      if (!online_guild(&st->oc, j->realm, j->ids[i]))
        online_guild_put(&st->oc, j->realm, j->ids[i], "", 0);
  } else {
    STRATUS_DEBUG(HOST, ctx, "guild names of realm %u: %s", j->realm,
                  error && *error ? error : stratus_strerror(result));
  }
  for (size_t i = 0; i < j->n; i++)
    hmap_del(&st->guilds->requested, hmap_mix64(guid_key(j->realm, j->ids[i])), NULL, NULL);
  free(j);
}

static void submit_batch(chars *st, uint32_t realm, const uint32_t *ids, size_t n) {
  fetch_job *j = calloc(1, sizeof(*j));
  if (j) {
    j->st = st;
    j->sql = st->guilds->sql;
    j->realm = realm;
    j->n = n;
    memcpy(j->ids, ids, n * sizeof(*ids));
    if (chars_submit(st, realm, fetch_work, fetch_done, j) == 0) return;
    free(j);
  }
  for (size_t i = 0; i < n; i++) /* let a later login ask again */
    hmap_del(&st->guilds->requested, hmap_mix64(guid_key(realm, ids[i])), NULL, NULL);
}

static void flush(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  chars *st = ud;
  guild_fetch *gf = st->guilds;
  gf->flush_armed = false;
  for (size_t r = 0; r < gf->npending; r++) {
    realm_ids *p = &gf->pending[r];
    for (size_t i = 0; i < p->n; i += BATCH)
      submit_batch(st, p->realm, p->ids + i, p->n - i < BATCH ? p->n - i : BATCH);
    p->n = 0;
  }
}

static realm_ids *pending_for(guild_fetch *gf, uint32_t realm) {
  for (size_t i = 0; i < gf->npending; i++)
    if (gf->pending[i].realm == realm) return &gf->pending[i];
  realm_ids *v = realloc(gf->pending, (gf->npending + 1) * sizeof(*v));
  if (!v) return NULL;
  gf->pending = v;
  v[gf->npending] = (realm_ids){.realm = realm};
  return &v[gf->npending++];
}

void guilds_want(chars *st, uint32_t realm, uint32_t guild) {
  guild_fetch *gf = st->guilds;
  uint64_t h = hmap_mix64(guid_key(realm, guild));
  if (!guild || st->stopped || online_guild(&st->oc, realm, guild) ||
      hmap_get(&gf->requested, h, NULL, NULL))
    return;
  realm_ids *p = pending_for(gf, realm);
  if (!p) return;
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    uint32_t *ids = realloc(p->ids, cap * sizeof(*ids));
    if (!ids) return;
    p->ids = ids;
    p->cap = cap;
  }
  if (hmap_put(&gf->requested, h, &requested_mark) != 0) return;
  p->ids[p->n++] = guild;
  if (!gf->flush_armed && HOST->timer_start(st->ctx, 0, 0, flush, st)) gf->flush_armed = true;
}
