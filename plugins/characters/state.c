/*
 * Hand-over between generations (a new .so or a restart-free upgrade): the
 * online cache and the guild names travel as one blob, so a reload does not
 * forget who is online (gateways do not repeat their logins).
 *
 * Format, version 1, little-endian:
 *   "STCH" u32 version u32 characters
 *   per character: u32 realm low account zone map area guild, u8 race class
 *     gender level, f32 x y z, i64 since, u8 name length + bytes,
 *     u8 gateway length + bytes
 *   u32 guilds; per guild: u32 realm id, u8 length + bytes
 */
#include <stdlib.h>
#include <string.h>

#include "characters.h"
#include "guid.h"

#define STATE_VERSION 1u

typedef struct buf {
  unsigned char *p;
  size_t len, cap;
  bool failed;
} buf;

static void put(buf *b, const void *data, size_t n) {
  if (b->failed) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p) {
      b->failed = true;
      return;
    }
    b->p = p, b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void put_u32(buf *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  put(b, x, 4);
}

static void put_u64(buf *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(buf *b, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  put_u32(b, v);
}

static void put_str(buf *b, const char *s, size_t n) {
  unsigned char len = (unsigned char)n;
  put(b, &len, 1);
  put(b, s, n);
}

static void put_char(buf *b, const oc_char *c) {
  uint32_t ints[] = {guid_key_realm(c->key), guid_key_low(c->key), c->account, c->zone,
                     c->map, c->area, c->guild_id};
  for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) put_u32(b, ints[i]);
  unsigned char bytes[] = {c->race, c->cls, c->gender, c->level};
  put(b, bytes, sizeof(bytes));
  put_f32(b, c->x), put_f32(b, c->y), put_f32(b, c->z);
  put_u64(b, (uint64_t)c->since);
  put_str(b, c->name, c->name_len);
  const char *gw = c->gw ? c->gw->id : "";
  put_str(b, gw, strlen(gw));
}

int chars_export(stratus_ctx *ctx, void *state, stratus_blob *out) {
  chars *st = state;
  buf b = {0};
  put(&b, "STCH", 4);
  put_u32(&b, STATE_VERSION);
  put_u32(&b, (uint32_t)st->oc.total);
  for (size_t r = 0; r < st->oc.nrealms; r++)
    for (uint32_t i = 0; i < st->oc.realms[r]->n; i++) put_char(&b, st->oc.realms[r]->chars[i]);
  put_u32(&b, (uint32_t)st->oc.guilds.len);
  for (size_t i = 0; i < st->oc.guilds.cap; i++) {
    const oc_guild *g = st->oc.guilds.slots[i].val;
    if (!g) continue;
    put_u32(&b, guid_key_realm(g->key));
    put_u32(&b, guid_key_low(g->key));
    put_str(&b, g->name, g->len);
  }
  if (b.failed) {
    free(b.p);
    return STRATUS_ENOMEM;
  }
  *out = (stratus_blob){b.p, b.len, free};
  STRATUS_INFO(HOST, ctx, "handing over %zu online characters", st->oc.total);
  return 0;
}

/* ---- reading ---------------------------------------------------------------------- */

typedef struct reader {
  const unsigned char *p;
  size_t len, pos;
  bool bad;
} reader;

static const unsigned char *take(reader *r, size_t n) {
  if (r->bad || r->len - r->pos < n) {
    r->bad = true;
    return NULL;
  }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

static uint32_t get_u32(reader *r) {
  const unsigned char *p = take(r, 4);
  return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
           : 0;
}

static float get_f32(reader *r) {
  uint32_t v = get_u32(r);
  float f;
  memcpy(&f, &v, 4);
  return f;
}

/* A string into out (cap bytes + NUL); false if it does not fit. */
static size_t get_str(reader *r, char *out, size_t cap) {
  const unsigned char *lenp = take(r, 1);
  size_t len = lenp ? *lenp : 0;
  const unsigned char *s = take(r, len);
  if (!s || len > cap) {
    r->bad = true;
    return 0;
  }
  memcpy(out, s, len);
  out[len] = '\0';
  return len;
}

static bool read_char(chars *st, reader *r) {
  char name[OC_NAME_BYTES + 1], gw[OC_GATEWAY_BYTES + 1];
  oc_login ev = {0};
  uint32_t area;
  ev.realm = get_u32(r), ev.low = get_u32(r), ev.account = get_u32(r);
  ev.zone = get_u32(r), ev.map = get_u32(r), area = get_u32(r), ev.guild_id = get_u32(r);
  const unsigned char *bytes = take(r, 4);
  if (!bytes) return false;
  ev.race = bytes[0], ev.cls = bytes[1], ev.gender = bytes[2], ev.level = bytes[3];
  ev.x = get_f32(r), ev.y = get_f32(r), ev.z = get_f32(r);
  uint64_t lo = get_u32(r), hi = get_u32(r);
  ev.time = (int64_t)(lo | hi << 32);
  ev.name_len = get_str(r, name, OC_NAME_BYTES);
  get_str(r, gw, OC_GATEWAY_BYTES);
  ev.name = name, ev.gateway = gw;
  if (r->bad || !ev.low || ev.name_len == 0 || !stratus_utf8_valid(name, ev.name_len, NULL))
    return false;
  oc_char *c;
  if (online_login(&st->oc, &ev, &c) == OC_NOMEM) return false;
  if (c) c->area = area, c->online_ms = HOST->now_ms(st->ctx);
  return true;
}

int chars_import(stratus_ctx *ctx, void *state, const void *data, size_t len) {
  chars *st = state;
  reader r = {data, len, 0, false};
  const unsigned char *magic = take(&r, 4);
  if (!magic || memcmp(magic, "STCH", 4) != 0 || get_u32(&r) != STATE_VERSION) {
    STRATUS_WARN(HOST, ctx, "ignoring handed-over state of an unknown format (%zu bytes)", len);
    return 0;
  }
  uint32_t n = get_u32(&r);
  for (uint32_t i = 0; i < n; i++)
    if (!read_char(st, &r)) break;
  uint32_t guilds = r.bad ? 0 : get_u32(&r);
  for (uint32_t i = 0; i < guilds && !r.bad; i++) {
    char name[OC_GUILD_BYTES + 1];
    uint32_t realm = get_u32(&r), id = get_u32(&r);
    size_t glen = get_str(&r, name, OC_GUILD_BYTES);
    if (!r.bad) online_guild_put(&st->oc, realm, id, name, glen);
  }
  if (r.bad) STRATUS_WARN(HOST, ctx, "handed-over state is truncated; kept what was readable");
  for (size_t i = 0; i < st->oc.nrealms; i++) chars_update_online_gauge(st, st->oc.realms[i]->id);
  STRATUS_INFO(HOST, ctx, "took over %zu online characters and %zu guild names", st->oc.total,
               st->oc.guilds.len);
  return 0;
}
