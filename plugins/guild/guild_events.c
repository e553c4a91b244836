/*
 * guild.* events: one publishing function, the receivers (online members of
 * the guild's own realm, asked of the presence owner), and the generic part
 * that ToCloud9's guild payloads inline.
 */
#include <stdlib.h>

#include "guild.h"

void guild_publish(guild_plugin *p, const char *subject, int64_t type, json_t *payload) {
  int rc;
  if (!payload) {
    rc = STRATUS_ENOMEM;
  } else if (STRATUS_HOST_HAS(HOST, event_publish_json)) {
    rc = HOST->event_publish_json(p->ctx, subject, STRATUS_EVENT_CATALOGUE, payload);
  } else {
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    rc = text ? HOST->event_publish(p->ctx, subject, type, text) : STRATUS_ENOMEM;
    free(text);
  }
  if (rc != 0) STRATUS_WARN(HOST, p->ctx, "publishing %s: %s", subject, stratus_strerror(rc));
  const char *labels[] = {subject, rc == 0 ? "ok" : stratus_err_name(rc)};
  HOST->metric_add(p->m_published, labels, 1);
}

typedef struct seen {
  bool found;
  stratus_presence *copy;
} seen;

static int on_presence(const stratus_presence *pr, void *ud) {
  seen *s = ud;
  s->found = true;
  if (s->copy) {
    *s->copy = *pr;
    s->copy->name = NULL;
    s->copy->gateway_id = NULL;
  }
  return 1;
}

int guild_is_online(guild_plugin *p, uint32_t realm, uint32_t low, stratus_presence *copy) {
  seen s = {false, copy};
  int rc = STRATUS_HOST_HAS(HOST, presence_by_guid)
               ? HOST->presence_by_guid(p->ctx, realm, low, on_presence, &s)
               : STRATUS_ENOTSUP;
  if (rc == STRATUS_ENOTSUP && !p->presence_warned) {
    p->presence_warned = true;
    STRATUS_WARN(HOST, p->ctx, "no presence owner (enable the characters plugin): guild "
                 "events list no online members and charters cannot be offered");
  }
  return rc < 0 ? rc : s.found;
}

json_t *guild_online(guild_plugin *p, uint32_t realm, const gguild *g, uint32_t right) {
  json_t *a = NULL;
  for (size_t i = 0; i < g->nmembers; i++) {
    if (right && (g->member_rights[i] & right) != right) continue;
    int rc = guild_is_online(p, realm, g->member_guids[i], NULL);
    if (rc < 0) break;
    if (rc == 0) continue;
    if (!a) a = json_array();
    json_array_append_new(a, json_integer(g->member_guids[i]));
  }
  return a ? a : json_null(); /* Go's nil slice */
}

json_t *guild_event_head(guild_plugin *p, uint32_t realm, const gguild *g, json_t *online) {
  json_t *o = json_object();
  json_object_set_new(o, "ServiceID", json_string(p->service_id));
  json_object_set_new(o, "RealmID", json_integer(realm));
  json_object_set_new(o, "GuildID", json_integer(g->id));
  json_object_set_new(o, "GuildName", json_string(g->name ? g->name : ""));
  json_object_set(o, "MembersOnline", online);
  return o;
}

json_t *guild_event_base(guild_plugin *p, uint32_t realm, const gguild *g, uint32_t right) {
  json_t *online = guild_online(p, realm, g, right);
  json_t *o = guild_event_head(p, realm, g, online);
  json_decref(online);
  return o;
}
