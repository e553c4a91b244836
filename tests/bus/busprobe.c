/*
 * Test fixture for the event bus, driven by its config section:
 *   subscribe = a.*, b.>     patterns to listen to
 *   echo = yes               republish every event to probe.echo.<subject>
 *                            (same type and payload; raw bytes when it had
 *                            no envelope). Subjects probe.* are never echoed.
 *   record_file = PATH       append one JSON line per event with every field
 *                            of stratus_event as the plugin saw it
 *   script = PATH            JSON lines published once the instance is up:
 *                            {"Subject","Type","PayloadText"} or
 *                            {"Subject","Raw"} (no envelope)
 *   burst = N                N events {"Seq","Gen","Pad"} on burst_subject
 *   tick = 10ms              {"Seq","Gen"} on tick_subject on a timer; Seq
 *                            continues across generations (state hand-over)
 *   tick_count = N           stop ticking once Seq reaches N (0: never)
 *   tag = x                  changing it makes a new generation
 * Built twice (busprobe, busprobe2) so that two plugins can talk in process.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <stratus/stratus.h>

#ifndef STRATUS_PLUGIN_NAME
#define STRATUS_PLUGIN_NAME "busprobe"
#endif

typedef struct probe_config {
  const char *const *subscribe;
  bool echo;
  const char *record_file, *script;
  int64_t burst, burst_type;
  const char *burst_subject;
  int64_t tick_ms, tick_count;
  const char *tick_subject, *tag;
} probe_config;

typedef struct probe {
  const probe_config *cfg;
  int record_fd;
  uint64_t tick_seq;
  stratus_metric *received, *published;
} probe;

static const stratus_host_api *host;

#define KEY(field, key, kind, def) \
  {.name = key, .type = kind, .offset = offsetof(probe_config, field), \
   .default_value = def}
static const stratus_config_key probe_keys[] = {
    KEY(subscribe, "subscribe", STRATUS_CFG_LIST, ""),
    KEY(echo, "echo", STRATUS_CFG_BOOL, "no"),
    KEY(record_file, "record_file", STRATUS_CFG_STRING, ""),
    KEY(script, "script", STRATUS_CFG_STRING, ""),
    KEY(burst, "burst", STRATUS_CFG_INT, "0"),
    KEY(burst_type, "burst_type", STRATUS_CFG_INT, "7"),
    KEY(burst_subject, "burst_subject", STRATUS_CFG_STRING, "probe.burst"),
    KEY(tick_ms, "tick", STRATUS_CFG_DURATION, "0ms"),
    KEY(tick_subject, "tick_subject", STRATUS_CFG_STRING, "probe.tick"),
    KEY(tick_count, "tick_count", STRATUS_CFG_INT, "0"),
    KEY(tag, "tag", STRATUS_CFG_STRING, ""),
    {0},
};

static void count_publish(probe *p, int rc) {
  const char *labels[] = {rc == 0 ? "ok" : stratus_err_name(rc)};
  host->metric_add(p->published, labels, 1);
}

static void publish(stratus_ctx *ctx, probe *p, const char *subject,
                    int64_t type, const char *payload) {
  count_publish(p, host->event_publish(ctx, subject, type, payload));
}

/* ---- receiving ------------------------------------------------------------ */

static void record(stratus_ctx *ctx, probe *p, const stratus_event *ev) {
  json_t *o = json_pack(
      "{s:s, s:I, s:s, s:s%, s:s%, s:I, s:I, s:I, s:I, s:b, s:b, s:I, s:s}",
      "Subject", ev->subject, "Type", (json_int_t)ev->type, "Version",
      ev->version, "Payload", ev->payload, ev->payload_len, "Raw",
      (const char *)ev->raw, ev->raw_len, "PayloadLen",
      (json_int_t)ev->payload_len, "RawLen", (json_int_t)ev->raw_len,
      "StructSize", (json_int_t)ev->struct_size, "Expected",
      (json_int_t)sizeof(stratus_event), "PayloadNul",
      ev->payload[ev->payload_len] == '\0', "RawIsPayload",
      ev->payload == ev->raw, "Gen", (json_int_t)host->generation(ctx),
      "Plugin", STRATUS_PLUGIN_NAME);
  char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!line) {
    STRATUS_WARN(host, ctx, "cannot record an event on %s", ev->subject);
    return;
  }
  size_t n = strlen(line);
  line[n] = '\n'; /* json_dumps leaves room: replace the NUL, one write() */
  if (write(p->record_fd, line, n + 1) != (ssize_t)(n + 1))
    STRATUS_WARN(host, ctx, "record write failed");
  free(line);
}

static void echo(stratus_ctx *ctx, probe *p, const stratus_event *ev) {
  char subject[512];
  snprintf(subject, sizeof(subject), "probe.echo.%s", ev->subject);
  if (ev->type >= 0)
    publish(ctx, p, subject, ev->type, ev->payload);
  else
    count_publish(p, host->event_publish_raw(ctx, subject, ev->raw,
                                             ev->raw_len));
}

static void on_event(stratus_ctx *ctx, const stratus_event *ev, void *ud) {
  probe *p = ud;
  const char *kind[] = {ev->type >= 0 ? "envelope" : "raw"};
  host->metric_add(p->received, kind, 1);
  if (p->record_fd >= 0) record(ctx, p, ev);
  if (p->cfg->echo && strncmp(ev->subject, "probe.", 6) != 0)
    echo(ctx, p, ev);
}

/* ---- publishing ----------------------------------------------------------- */

static void script_line(stratus_ctx *ctx, probe *p, json_t *o) {
  const char *subject = json_string_value(json_object_get(o, "Subject"));
  json_t *raw = json_object_get(o, "Raw");
  if (!subject) return;
  if (json_is_string(raw))
    count_publish(p, host->event_publish_raw(ctx, subject,
                                             json_string_value(raw),
                                             json_string_length(raw)));
  else
    publish(ctx, p, subject, json_integer_value(json_object_get(o, "Type")),
            json_string_value(json_object_get(o, "PayloadText")));
}

static void run_script(stratus_ctx *ctx, probe *p) {
  FILE *f = fopen(p->cfg->script, "r");
  char line[65536];
  if (!f) {
    STRATUS_WARN(host, ctx, "cannot open script %s", p->cfg->script);
    return;
  }
  while (fgets(line, sizeof(line), f)) {
    json_t *o = json_loads(line, 0, NULL);
    if (o) script_line(ctx, p, o);
    json_decref(o);
  }
  fclose(f);
}

static void run_burst(stratus_ctx *ctx, probe *p) {
  char pad[151], payload[320];
  memset(pad, 'x', sizeof(pad) - 1);
  pad[sizeof(pad) - 1] = '\0';
  for (int64_t i = 0; i < p->cfg->burst; i++) {
    snprintf(payload, sizeof(payload), "{\"Seq\":%lld,\"Gen\":%llu,\"Pad\":\"%s\"}",
             (long long)i, (unsigned long long)host->generation(ctx), pad);
    publish(ctx, p, p->cfg->burst_subject, p->cfg->burst_type, payload);
  }
  STRATUS_INFO(host, ctx, "burst of %lld published", (long long)p->cfg->burst);
}

static void on_start_timer(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  probe *p = ud;
  (void)t;
  if (*p->cfg->script) run_script(ctx, p);
  if (p->cfg->burst > 0) run_burst(ctx, p);
}

static void on_tick(stratus_ctx *ctx, stratus_timer *t, void *ud) {
  probe *p = ud;
  char payload[96];
  if (p->cfg->tick_count > 0 && p->tick_seq >= (uint64_t)p->cfg->tick_count) {
    host->timer_stop(ctx, t);
    return;
  }
  snprintf(payload, sizeof(payload), "{\"Seq\":%llu,\"Gen\":%llu}",
           (unsigned long long)p->tick_seq++,
           (unsigned long long)host->generation(ctx));
  publish(ctx, p, p->cfg->tick_subject, 1, payload);
}

/* ---- lifecycle ------------------------------------------------------------ */

static stratus_metric *metric(stratus_ctx *ctx, const char *what,
                              const char *label) {
  char name[96];
  const char *labels[] = {label, NULL};
  snprintf(name, sizeof(name), "%s_%s_total", STRATUS_PLUGIN_NAME, what);
  stratus_metric_desc d = {sizeof(d), STRATUS_METRIC_COUNTER, name,
                           "busprobe fixture", labels, NULL, 0};
  return host->metric_register(ctx, &d);
}

static int probe_init(stratus_ctx *ctx, const void *config, void **state) {
  probe *p = calloc(1, sizeof(*p));
  p->cfg = config;
  p->record_fd = -1;
  if (*p->cfg->record_file)
    p->record_fd = open(p->cfg->record_file, O_WRONLY | O_APPEND | O_CREAT, 0644);
  p->received = metric(ctx, "received", "kind");
  p->published = metric(ctx, "published", "result");
  for (size_t i = 0; p->cfg->subscribe && p->cfg->subscribe[i]; i++)
    if (!host->event_subscribe(ctx, p->cfg->subscribe[i], on_event, p)) {
      STRATUS_ERROR(host, ctx, "cannot subscribe to %s", p->cfg->subscribe[i]);
      if (p->record_fd >= 0) close(p->record_fd);
      free(p);
      return STRATUS_EINVAL;
    }
  *state = p;
  return 0;
}

static int probe_start(stratus_ctx *ctx, void *state) {
  probe *p = state;
  if (*p->cfg->script || p->cfg->burst > 0)
    host->timer_start(ctx, 0, 0, on_start_timer, p);
  if (p->cfg->tick_ms > 0)
    host->timer_start(ctx, (uint64_t)p->cfg->tick_ms, (uint64_t)p->cfg->tick_ms,
                      on_tick, p);
  return 0;
}

static void probe_stop(stratus_ctx *ctx, void *state) {
  (void)state;
  int rc = host->event_publish(ctx, "probe.stopped", 1, "{}");
  STRATUS_INFO(host, ctx, "publish in stop: %s", stratus_err_name(rc));
}

static void probe_destroy(stratus_ctx *ctx, void *state) {
  probe *p = state;
  (void)ctx;
  if (p->record_fd >= 0) close(p->record_fd);
  free(p);
}

static int probe_export(stratus_ctx *ctx, void *state, stratus_blob *out) {
  probe *p = state;
  (void)ctx;
  uint64_t *seq = malloc(sizeof(*seq));
  *seq = p->tick_seq;
  *out = (stratus_blob){seq, sizeof(*seq), free};
  return 0;
}

static int probe_import(stratus_ctx *ctx, void *state, const void *data,
                        size_t len) {
  probe *p = state;
  (void)ctx;
  if (len == sizeof(uint64_t)) memcpy(&p->tick_seq, data, len);
  return 0;
}

static const stratus_plugin probe_plugin = {
    .hdr = STRATUS_PLUGIN_HDR,
    .name = STRATUS_PLUGIN_NAME,
    .version = "1",
    .description = "test fixture: event bus probe",
    STRATUS_PLUGIN_CONFIG(probe_keys, probe_config),
    .init = probe_init,
    .start = probe_start,
    .stop = probe_stop,
    .destroy = probe_destroy,
    .export_state = probe_export,
    .import_state = probe_import,
};

const stratus_plugin *stratus_plugin_entry(const stratus_host_api *api) {
  host = api;
  return &probe_plugin;
}
