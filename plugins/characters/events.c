/*
 * The events that feed the online cache (ToCloud9 tocloud9.md §3.2):
 *   gw.char.logged-in, gw.char.logged-out, gw.char.chars-updates  (gateways)
 *   sr.gw.removed.unhealthy   a gateway died: its characters go offline and
 *                             char.chars.unhealthy.gw lists them
 *   char.chars.unhealthy.gw   the same, decided by another instance
 *   guild.member.added/left/kicked   guild ids and names for who lists
 * and the helpers that publish envelopes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "characters.h"
#include "guid.h"
#include "jsonf.h"

/* ---- JSON fields (plugins/common/jsonf.h) ------------------------------------ */

/* A gateway ID: a string of at most OC_GATEWAY_BYTES bytes ("" if absent). */
static bool gateway_of(json_t *o, const char **out) {
  json_t *v = json_object_get(o, "GatewayID");
  *out = json_is_string(v) ? json_string_value(v) : "";
  return json_is_null(v) || !v || (json_is_string(v) && strlen(*out) <= OC_GATEWAY_BYTES);
}

static json_t *parse(chars *st, const stratus_event *ev) {
  json_error_t err;
  json_t *p = json_loadb(ev->payload, ev->payload_len, 0, &err);
  if (!json_is_object(p)) {
    json_decref(p);
    STRATUS_WARN(HOST, st->ctx, "%s: payload is not a JSON object", ev->subject);
    chars_count_event(st, ev->subject, "invalid");
    return NULL;
  }
  return p;
}

/* ---- publishing ------------------------------------------------------------------ */

/* The type, key order and value types come from the host's event catalogue. */
void chars_publish(chars *st, const char *subject, json_t *payload) {
  int rc = HOST->event_publish_json(st->ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
  if (rc != 0)
    STRATUS_WARN(HOST, st->ctx, "publishing %s: %s", subject, stratus_strerror(rc));
  if (!st->stopped) {
    const char *labels[] = {subject, rc == 0 ? "ok" : stratus_err_name(rc)};
    HOST->metric_add(st->m_published, labels, 1);
  }
}

json_t *chars_guid_array(const uint64_t *guids, size_t n) {
  if (n == 0) return json_null(); /* Go's nil slice */
  json_t *a = json_array();
  for (size_t i = 0; i < n && a; i++) json_array_append_new(a, json_integer((json_int_t)guids[i]));
  return a;
}

/* ---- logins, logouts, updates ------------------------------------------------------- */

static bool login_of(json_t *p, oc_login *ev) {
  json_t *name = json_object_get(p, "CharName");
  memset(ev, 0, sizeof(*ev));
  ev->realm = jsonf_u32(p, "RealmID");
  if (!gateway_of(p, &ev->gateway) || !json_is_string(name)) return false;
  if (!guid_resolve(ev->realm, jsonf_uint(p, "CharGUID", UINT64_MAX), &ev->realm, &ev->low)) return false;
  ev->name = json_string_value(name);
  ev->name_len = strlen(ev->name);
  size_t count;
  if (!stratus_utf8_valid(ev->name, ev->name_len, &count) || count < 1 ||
      count > CHAR_NAME_CHARS || ev->name_len > OC_NAME_BYTES)
    return false;
  ev->account = jsonf_u32(p, "AccountID");
  ev->zone = jsonf_u32(p, "CharZone");
  ev->map = jsonf_u32(p, "CharMap");
  ev->guild_id = jsonf_u32(p, "CharGuildID");
  ev->race = jsonf_u8(p, "CharRace");
  ev->cls = jsonf_u8(p, "CharClass");
  ev->gender = jsonf_u8(p, "CharGender");
  ev->level = jsonf_u8(p, "CharLevel");
  ev->x = jsonf_float(p, "CharPosX");
  ev->y = jsonf_float(p, "CharPosY");
  ev->z = jsonf_float(p, "CharPosZ");
  ev->time = jsonf_time(p);
  return true;
}

static void on_login(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  chars *st = ud;
  oc_login ev;
  oc_char *c;
  json_t *p = parse(st, e);
  if (!p) return;
  if (!login_of(p, &ev)) {
    chars_count_event(st, e->subject, "invalid");
    json_decref(p);
    return;
  }
  oc_outcome res = online_login(&st->oc, &ev, &c);
  static const char *const names[] = {"added", "updated", "stale", "no_memory"};
  chars_count_event(st, e->subject, names[res]);
  if (c) {
    guilds_want(st, ev.realm, c->guild_id);
    if (res == OC_ADDED) {
      c->online_ms = HOST->now_ms(ctx);
      notify_queue(st, ev.realm, ev.low, c->race, 1, c->zone, c->level, c->cls);
    }
    chars_presence_report(st, res == OC_ADDED ? STRATUS_PRESENCE_ONLINE
                                              : STRATUS_PRESENCE_UPDATED, c);
  }
  chars_update_online_gauge(st, ev.realm);
  json_decref(p);
}

/* Takes c offline and tells its friends. */
static void go_offline(chars *st, oc_char *c, int64_t time) {
  uint32_t realm = guid_key_realm(c->key), low = guid_key_low(c->key);
  uint8_t race = c->race;
  chars_gone gone;
  chars_presence_keep(c, &gone);
  online_remove(&st->oc, c, time, HOST->now_ms(st->ctx));
  chars_presence_gone(st, &gone);
  notify_queue(st, realm, low, race, 0, 0, 0, 0);
}

static void on_logout(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  chars *st = ud;
  uint32_t realm, low;
  const char *gw;
  json_t *p = parse(st, e);
  if (!p) return;
  realm = jsonf_u32(p, "RealmID");
  int64_t time = jsonf_time(p);
  if (!gateway_of(p, &gw) || !guid_resolve(realm, jsonf_uint(p, "CharGUID", UINT64_MAX), &realm, &low)) {
    chars_count_event(st, e->subject, "invalid");
  } else {
    oc_char *c = online_find(&st->oc, realm, low);
    if (!c) {
      online_remember_logout(&st->oc, realm, low, time, HOST->now_ms(ctx));
      chars_count_event(st, e->subject, "unknown");
    } else if (!online_logout_applies(c, gw, time)) {
      chars_count_event(st, e->subject, "stale");
    } else {
      go_offline(st, c, time);
      chars_count_event(st, e->subject, "removed");
      chars_update_online_gauge(st, realm);
    }
  }
  json_decref(p);
}

static void apply_update(chars *st, json_t *u, uint32_t realm, const char *gw) {
  json_t *v;
  uint32_t r, low;
  if (!json_is_object(u) || !guid_resolve(realm, jsonf_uint(u, "i", UINT64_MAX), &r, &low)) return;
  oc_char *c = online_find(&st->oc, r, low);
  /* Only the gateway holding the character may update it (PR #37). */
  if (!c || (gw[0] && c->gw && strcmp(c->gw->id, gw) != 0)) return;
  if ((v = json_object_get(u, "l")) && json_is_integer(v)) online_set_level(&st->oc, c, jsonf_u8(u, "l"));
  if ((v = json_object_get(u, "z")) && json_is_integer(v)) online_set_zone(&st->oc, c, jsonf_u32(u, "z"));
  if ((v = json_object_get(u, "m")) && json_is_integer(v)) c->map = jsonf_u32(u, "m");
  if ((v = json_object_get(u, "a")) && json_is_integer(v)) c->area = jsonf_u32(u, "a");
  chars_presence_report(st, STRATUS_PRESENCE_UPDATED, c);
}

static void on_updates(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  chars *st = ud;
  const char *gw;
  json_t *p = parse(st, e);
  if (!p) return;
  json_t *updates = json_object_get(p, "Updates");
  if (!gateway_of(p, &gw)) {
    chars_count_event(st, e->subject, "invalid");
  } else {
    uint32_t realm = jsonf_u32(p, "RealmID");
    size_t i;
    json_t *u;
    if (json_is_array(updates)) /* null: no updates */
      json_array_foreach(updates, i, u) apply_update(st, u, realm, gw);
    chars_count_event(st, e->subject, "applied");
  }
  json_decref(p);
}

/* ---- gateways going away ------------------------------------------------------------ */

static int64_t unix_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void publish_unhealthy(chars *st, uint32_t realm, const char *gw, const uint64_t *guids,
                              size_t n, int64_t time) {
  json_t *p = json_object();
  json_object_set_new(p, "RealmID", json_integer(realm));
  json_object_set_new(p, "GatewayID", json_string(gw));
  json_object_set_new(p, "CharactersGUID", chars_guid_array(guids, n));
  json_object_set_new(p, "EventTimeUnixNano", json_integer(time));
  chars_publish(st, "char.chars.unhealthy.gw", p);
}

/* sr.gw.removed.unhealthy: only this gateway's characters go offline (a
 * character that logged in after the registry's decision stays). */
static void on_gateway_removed(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  chars *st = ud;
  json_t *p = parse(st, e);
  json_t *id = p ? json_object_get(p, "ID") : NULL;
  if (!p) return;
  uint32_t realm = jsonf_u32(p, "RealmID");
  int64_t time = jsonf_time(p);
  oc_gateway *g = json_is_string(id) ? online_gateway(&st->oc, realm, json_string_value(id)) : NULL;
  size_t n = 0;
  uint64_t *guids = g && g->count ? malloc(g->count * sizeof(*guids)) : NULL;
  for (oc_char *c = g ? g->head : NULL, *next; c && guids; c = next) {
    next = c->gw_next;
    if (time && c->since && c->since > time) continue;
    guids[n++] = guid_key_low(c->key);
    go_offline(st, c, time);
  }
  chars_count_event(st, e->subject, n ? "removed" : "unknown");
  if (n) {
    STRATUS_INFO(HOST, st->ctx, "gateway %s of realm %u is gone: %zu characters offline",
                 json_string_value(id), realm, n);
    publish_unhealthy(st, realm, json_string_value(id), guids, n, time ? time : unix_nanos());
    chars_update_online_gauge(st, realm);
  }
  free(guids);
  json_decref(p);
}

static void on_chars_unhealthy(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  chars *st = ud;
  const char *gw;
  json_t *p = parse(st, e);
  if (!p) return;
  uint32_t realm = jsonf_u32(p, "RealmID");
  int64_t time = jsonf_time(p);
  json_t *list = json_object_get(p, "CharactersGUID"), *v;
  size_t i, n = 0;
  if (gateway_of(p, &gw) && gw[0] && json_is_array(list)) {
    json_array_foreach(list, i, v) {
      uint32_t r, low;
      if (!json_is_integer(v) || !guid_resolve(realm, (uint64_t)json_integer_value(v), &r, &low))
        continue;
      oc_char *c = online_find(&st->oc, r, low);
      if (!c || !c->gw || strcmp(c->gw->id, gw) != 0) continue;
      if (time && c->since && c->since > time) continue;
      go_offline(st, c, time);
      n++;
    }
  }
  chars_count_event(st, e->subject, n ? "removed" : "unknown");
  if (n) chars_update_online_gauge(st, realm);
  json_decref(p);
}

/* ---- guild membership ---------------------------------------------------------------- */

static void on_guild_member(stratus_ctx *ctx, const stratus_event *e, void *ud) {
  chars *st = ud;
  json_t *p = parse(st, e);
  if (!p) return;
  uint32_t realm = jsonf_u32(p, "RealmID"), guild = jsonf_u32(p, "GuildID"), r, low;
  json_t *name = json_object_get(p, "GuildName");
  bool added = strcmp(e->subject, "guild.member.added") == 0;
  if (added && guild && json_is_string(name)) {
    const char *s = json_string_value(name);
    size_t len = strlen(s);
    if (len <= OC_GUILD_BYTES && stratus_utf8_valid(s, len, NULL))
      online_guild_put(&st->oc, realm, guild, s, len);
  }
  oc_char *c = guid_resolve(realm, jsonf_uint(p, "MemberGUID", UINT64_MAX), &r, &low)
                   ? online_find(&st->oc, r, low)
                   : NULL;
  if (c && added)
    online_set_guild(&st->oc, c, guild);
  else if (c && c->guild_id == guild)
    online_set_guild(&st->oc, c, 0);
  if (c) chars_presence_report(st, STRATUS_PRESENCE_UPDATED, c);
  chars_count_event(st, e->subject, c ? "applied" : "unknown");
  json_decref(p);
}

int chars_events_subscribe(chars *st) {
  static const struct {
    const char *subject;
    stratus_event_cb cb;
  } subs[] = {
      {"gw.char.logged-in", on_login},
      {"gw.char.logged-out", on_logout},
      {"gw.char.chars-updates", on_updates},
      {"sr.gw.removed.unhealthy", on_gateway_removed},
      {"char.chars.unhealthy.gw", on_chars_unhealthy},
      {"guild.member.added", on_guild_member},
      {"guild.member.left", on_guild_member},
      {"guild.member.kicked", on_guild_member},
  };
  for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
    if (!HOST->event_subscribe(st->ctx, subs[i].subject, subs[i].cb, st)) {
      STRATUS_ERROR(HOST, st->ctx, "cannot subscribe to %s", subs[i].subject);
      return STRATUS_EIO;
    }
  }
  return 0;
}
