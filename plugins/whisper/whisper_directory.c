/*
 * Who is online where, for whispers: the host's presence owner (the
 * characters plugin, fed by the gateways' events, with its one staleness
 * rule) answers by GUID and by name; whisper keeps no directory of its own.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "whisper.h"

#define host whisper_host

/* The gateway ID goes into a subject: one non-empty token. */
static bool gateway_ok(const char *g) {
  return g && *g && strlen(g) <= WHISPER_GATEWAY_MAX && !strpbrk(g, ". *>\t\r\n");
}

typedef struct hits {
  whisper_char *out;
  size_t max, n;
} hits;

static int take(const stratus_presence *s, void *ud) {
  hits *h = ud;
  if (!gateway_ok(s->gateway_id)) return 0; /* cannot be delivered: not online here */
  whisper_char *c = &h->out[h->n++];
  *c = (whisper_char){.realm = s->realm, .guid = s->low, .race = s->race,
                      .klass = s->class_id, .gender = s->gender, .account = s->account,
                      .map = s->map, .zone = s->zone};
  snprintf(c->name, sizeof(c->name), "%s", s->name);
  snprintf(c->gateway, sizeof(c->gateway), "%s", s->gateway_id);
  return h->n == h->max;
}

bool whisper_find_guid(whisper_plugin *p, uint32_t realm, uint64_t guid, whisper_char *out) {
  hits h = {out, 1, 0};
  if (guid == 0 || guid > UINT32_MAX) return false;
  host->presence_by_guid(p->ctx, realm, (uint32_t)guid, take, &h);
  return h.n == 1;
}

size_t whisper_find_name(whisper_plugin *p, uint32_t realm, const char *name, whisper_char *out,
                         size_t max) {
  hits h = {out, max, 0};
  host->presence_by_name(p->ctx, realm, name, take, &h);
  return h.n;
}

/* ---- event payloads ----------------------------------------------------------- */

int whisper_subscribe_all(stratus_ctx *ctx, whisper_plugin *p, const whisper_subscription *subs,
                          size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!host->event_subscribe(ctx, subs[i].subject, subs[i].cb, p)) return STRATUS_EINVAL;
  return 0;
}

