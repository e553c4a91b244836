/* Subscriptions and dispatch. Listeners with the same pattern share one
 * NATS subscription (a "pattern"), created when the first listener
 * subscribes and removed with the last one; so a plugin's new generation,
 * subscribing while the old one still listens, adds no gap and no second
 * copy. Messages are dispatched on the loop, one at a time; listeners and
 * patterns removed meanwhile are only marked dead and swept afterwards. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "internal.h"
#include "metrics.h"

typedef struct pattern {
  uint64_t id;                /* > 0; the cnats closure */
  char idkey[24];
  char *text;
  list_node listeners;        /* bus_sub */
  size_t nlisteners;          /* live ones */
  list_node node;             /* S.patterns */
  natsSubscription *ns;       /* on bus_g.cur */
  natsSubscription *ns_next;  /* on bus_g.next */
  bool dead;
} pattern;

struct bus_sub {
  list_node node;             /* pattern->listeners */
  pattern *owner;
  bus_event_cb cb;
  void *ud;
  bool dead;
};

static struct {
  list_node patterns;
  hashmap by_text, by_id;
  uint64_t last_id;
  int depth;                  /* inside a dispatch */
  bool sweep;                 /* something was marked dead meanwhile */
  strbuf scratch;             /* parsed version and payload */
} S = {.patterns = LIST_INIT(S.patterns)};

size_t subs_count(void) { return hm_len(&S.by_text); }

static void count_changed(void) {
  metrics_set(bus_g.subscriptions, NULL, (double)subs_count());
}

/* ---- patterns ------------------------------------------------------------- */

static pattern *pattern_new(const char *text) {
  pattern *p = xcalloc(1, sizeof(*p));
  p->id = ++S.last_id;
  snprintf(p->idkey, sizeof(p->idkey), "%" PRIx64, p->id);
  p->text = xstrdup(text);
  list_init(&p->listeners);
  if (bus_g.cur) p->ns = nconn_subscribe(bus_g.cur, text, p->id);
  if (bus_g.next && bus_g.next_subscribed)
    p->ns_next = nconn_subscribe(bus_g.next, text, p->id);
  hm_put(&S.by_text, p->text, p);
  hm_put(&S.by_id, p->idkey, p);
  list_push_back(&S.patterns, &p->node);
  count_changed();
  return p;
}

static void pattern_free(pattern *p) {
  list_each(it, &p->listeners) free(list_entry(it, bus_sub, node));
  list_remove(&p->node);
  free(p->text);
  free(p);
}

static void pattern_release(pattern *p) {
  p->dead = true;
  hm_remove(&S.by_text, p->text);
  hm_remove(&S.by_id, p->idkey);
  nconn_unsubscribe(p->ns);
  nconn_unsubscribe(p->ns_next);
  p->ns = p->ns_next = NULL;
  count_changed();
  if (S.depth == 0) pattern_free(p);
  else S.sweep = true;
}

/* ---- listeners ------------------------------------------------------------ */

bus_sub *bus_subscribe(const char *pattern_text, bus_event_cb cb, void *ud) {
  if (!bus_g.started || bus_g.stopping || !cb ||
      !bus_subject_valid(pattern_text, true))
    return NULL;
  pattern *p = hm_get(&S.by_text, pattern_text);
  if (!p) p = pattern_new(pattern_text);
  bus_sub *l = xcalloc(1, sizeof(*l));
  l->owner = p;
  l->cb = cb;
  l->ud = ud;
  list_push_back(&p->listeners, &l->node);
  p->nlisteners++;
  return l;
}

void bus_unsubscribe(bus_sub *l) {
  if (!l || l->dead) return;
  pattern *p = l->owner;
  l->dead = true;
  if (S.depth == 0) {
    list_remove(&l->node);
    free(l);
  } else {
    S.sweep = true;
  }
  if (--p->nlisteners == 0) pattern_release(p);
}

static void sweep(void) {
  S.sweep = false;
  list_each(it, &S.patterns) {
    pattern *p = list_entry(it, pattern, node);
    if (p->dead) {
      pattern_free(p);
      continue;
    }
    list_each(lt, &p->listeners) {
      bus_sub *l = list_entry(lt, bus_sub, node);
      if (!l->dead) continue;
      list_remove(&l->node);
      free(l);
    }
  }
}

/* ---- dispatch ------------------------------------------------------------- */

typedef struct delivery {
  const bus_item *it;
  bool parsed;
  stratus_event ev;
} delivery;

static void parse(delivery *d) {
  bus_envelope env;
  bus_envelope_parse(d->it->data, d->it->len, &env, &S.scratch);
  d->ev = (stratus_event){
      .struct_size = sizeof(stratus_event),
      .subject = d->it->subject,
      .type = env.type,
      .version = env.version,
      .payload = env.payload,
      .payload_len = env.payload_len,
      .raw = d->it->data,
      .raw_len = d->it->len,
  };
  d->parsed = true;
}

static void deliver_to(pattern *p, delivery *d) {
  list_each(it, &p->listeners) {
    bus_sub *l = list_entry(it, bus_sub, node);
    if (l->dead) continue;
    if (!d->parsed) parse(d);
    l->cb(&d->ev, l->ud);
  }
}

void subs_deliver(bus_item *it) {
  delivery d = {.it = it};
  metrics_add(bus_g.received, NULL, 1);
  S.depth++;
  if (it->sub_id) {
    char key[24];
    snprintf(key, sizeof(key), "%" PRIx64, it->sub_id);
    pattern *p = hm_get(&S.by_id, key);
    if (p) deliver_to(p, &d);
  } else {
    /* In process: one copy per matching pattern, as NATS would send.
     * Patterns made by a callback during this dispatch do not get it. */
    uint64_t last = S.last_id;
    list_each(n, &S.patterns) {
      pattern *p = list_entry(n, pattern, node);
      if (!p->dead && p->id <= last && bus_subject_match(p->text, it->subject))
        deliver_to(p, &d);
    }
  }
  if (--S.depth == 0 && S.sweep) sweep();
}

void subs_after_batch(void) {
  if (S.sweep && S.depth == 0) sweep();
}

/* ---- moving between connections ------------------------------------------- */

void subs_add_next(void) {
  list_each(it, &S.patterns) {
    pattern *p = list_entry(it, pattern, node);
    if (!p->dead && !p->ns_next)
      p->ns_next = nconn_subscribe(bus_g.next, p->text, p->id);
  }
  bus_g.next_subscribed = true;
}

void subs_swap(nconn *old) {
  list_each(it, &S.patterns) {
    pattern *p = list_entry(it, pattern, node);
    if (old) nconn_adopt(old, p->ns);
    p->ns = p->ns_next;
    p->ns_next = NULL;
  }
  bus_g.next_subscribed = false;
}

void subs_detach(nconn *c) {
  list_each(it, &S.patterns) {
    pattern *p = list_entry(it, pattern, node);
    natsSubscription **slot = c == bus_g.next ? &p->ns_next : &p->ns;
    nconn_adopt(c, *slot);
    *slot = NULL;
  }
  if (c == bus_g.next) bus_g.next_subscribed = false;
}

void subs_conn_lost(nconn *c) {
  list_each(it, &S.patterns) {
    pattern *p = list_entry(it, pattern, node);
    natsSubscription **slot = c == bus_g.next ? &p->ns_next : &p->ns;
    if (*slot) natsSubscription_Destroy(*slot);
    *slot = NULL;
  }
  if (c == bus_g.next) bus_g.next_subscribed = false;
}

void subs_free_all(void) {
  S.depth = 0;
  list_each(it, &S.patterns) {
    pattern *p = list_entry(it, pattern, node);
    nconn_unsubscribe(p->ns);
    nconn_unsubscribe(p->ns_next);
    pattern_free(p);
  }
  hm_free(&S.by_text);
  hm_free(&S.by_id);
  sb_free(&S.scratch);
  S.sweep = false;
}
