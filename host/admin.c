#include "admin.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "instance.h"
#include "metrics.h"
#include "plugins.h"
#include "registry/registry.h"
#include "reload.h"
#include "rpc.h"
#include "stratusd.h"

static stratus_metric *plugin_generation, *plugin_instances, *config_generation,
    *uptime;

void admin_metrics_init(void) {
  static const char *const plugin[] = {"plugin", NULL};
  static const char *const plugin_state[] = {"plugin", "state", NULL};
  plugin_generation = metrics_host(STRATUS_METRIC_GAUGE, "stratus_plugin_generation",
                                   "Generation of each active plugin", plugin);
  plugin_instances = metrics_host(STRATUS_METRIC_GAUGE, "stratus_plugin_instances",
                                  "Plugin instances by state", plugin_state);
  config_generation = metrics_host(STRATUS_METRIC_GAUGE, "stratus_config_generation",
                                   "Accepted config generation", NULL);
  uptime = metrics_host(STRATUS_METRIC_GAUGE, "stratus_uptime_seconds",
                        "Seconds since stratusd started", NULL);
  listener_metrics_init();
}

static void refresh_gauges(void) {
  listener_metrics_refresh();
  static const char *const states[] = {"init", "ready", "active", "stopping"};
  rpc_refresh_metrics();
  registry_refresh_metrics();
  metrics_set(config_generation, NULL, (double)stratusd.config_generation);
  metrics_set(uptime, NULL, (double)(uv_now(stratusd.loop) - stratusd.started_ms) / 1000.0);
  /* Zero every known series first so that gone instances read 0. */
  for (size_t s = 0; s < 4; s++)
    list_each(it, &inst_all) {
      stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
      const char *v[] = {ctx->name, states[s]};
      metrics_set(plugin_instances, v, 0);
    }
  list_each(it, &inst_all) {
    stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
    if (ctx->state > INST_STOPPING) continue;
    const char *v[] = {ctx->name, states[ctx->state]};
    metrics_set(plugin_instances, v, metrics_value(plugin_instances, v) + 1);
  }
  for (size_t i = 0; i < plugins_active_count(); i++) {
    stratus_ctx *ctx = plugins_active_at(i);
    const char *v[] = {ctx->name};
    metrics_set(plugin_generation, v, (double)ctx->generation);
  }
}

/* Seconds with millisecond resolution. */
static double seconds(uint64_t ms) { return (double)ms / 1000.0; }

static json_t *instance_json(stratus_ctx *ctx) {
  uint64_t now = uv_now(stratusd.loop);
  json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "name", ctx->name,
                        "version", ctx->desc->version ? ctx->desc->version : "",
                        "description",
                        ctx->desc->description ? ctx->desc->description : "",
                        "generation", (json_int_t)ctx->generation, "state",
                        inst_state_name(ctx->state), "path", ctx->mod ? ctx->mod->path : "builtin",
                        "inflight", (json_int_t)ctx->inflight);
  if (ctx->state == INST_ACTIVE)
    json_object_set_new(o, "active_seconds",
                        json_real(seconds(now - ctx->started_ms)));
  if (ctx->state == INST_STOPPING)
    json_object_set_new(o, "draining_seconds",
                        json_real(seconds(now - ctx->stopping_ms)));
  return o;
}

static json_t *reload_json(void) {
  const reload_outcome *o = &stratusd.last_reload;
  json_t *errors = json_array();
  for (size_t i = 0; i < o->nerrors; i++)
    json_array_append_new(errors, json_string(o->errors[i]));
  return json_pack("{s:I, s:s, s:s, s:f, s:o}", "seq", (json_int_t)o->seq,
                   "outcome", o->outcome ? o->outcome : "", "message",
                   o->message ? o->message : "", "at", o->at, "errors", errors);
}

char *admin_status_json(void) {
  json_t *plugins = json_array(), *draining = json_array();
  for (size_t i = 0; i < plugins_active_count(); i++)
    json_array_append_new(plugins, instance_json(plugins_active_at(i)));
  list_each(it, &inst_all) {
    stratus_ctx *ctx = list_entry(it, stratus_ctx, node);
    if (ctx->state == INST_STOPPING)
      json_array_append_new(draining, instance_json(ctx));
  }
  json_t *doc = json_pack(
      "{s:s, s:i, s:s, s:f, s:I, s:b, s:o, s:o, s:o}", "version",
      stratusd.api.host_version, "pid", (int)getpid(), "config",
      stratusd.config_path,
      "uptime_seconds", seconds(uv_now(stratusd.loop) - stratusd.started_ms),
      "config_generation", (json_int_t)stratusd.config_generation, "ready",
      stratusd.ready, "last_reload", reload_json(), "plugins", plugins,
      "draining", draining);
  json_object_set_new(doc, "abi", json_sprintf("%d.%d", STRATUS_ABI_MAJOR,
                                               STRATUS_ABI_MINOR));
  char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
  json_decref(doc);
  return text;
}

static void put_json(http_response *resp, char *text) {
  resp->content_type = "application/json";
  sb_puts(&resp->body, text);
  sb_puts(&resp->body, "\n");
  free(text);
}

static void do_reload(http_response *resp) {
  int rc = reload_run(RELOAD_RUNTIME);
  json_t *doc = reload_json();
  json_object_set_new(doc, "config_generation",
                      json_integer((json_int_t)stratusd.config_generation));
  json_object_set_new(doc, "accepted", json_boolean(rc == 0));
  put_json(resp, json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)));
  json_decref(doc);
}

static bool is_read(const http_request *req) {
  return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

void admin_route(const http_request *req, http_response *resp) {
  const char *p = req->path;
  if (strcmp(p, "/reload") == 0) {
    if (!req->admin) {
      resp->status = 403;
      sb_puts(&resp->body, "reload is only accepted on the admin socket\n");
    } else if (strcmp(req->method, "POST") != 0) {
      resp->status = 405;
      sb_puts(&resp->body, "use POST\n");
    } else {
      do_reload(resp);
    }
    return;
  }
  if (!is_read(req)) {
    resp->status = 405;
    sb_puts(&resp->body, "use GET\n");
  } else if (strcmp(p, "/healthcheck") == 0) {
    resp->status = stratusd.stopping ? 503 : 200;
    put_json(resp, strdup(stratusd.stopping ? "{\"status\":\"stopping\"}"
                                            : "{\"status\":\"OK\"}"));
  } else if (strcmp(p, "/ready") == 0) {
    bool ready = stratusd.ready && !stratusd.stopping;
    resp->status = ready ? 200 : 503;
    put_json(resp, strdup(ready ? "{\"ready\":true}" : "{\"ready\":false}"));
  } else if (strcmp(p, "/metrics") == 0) {
    refresh_gauges();
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_render(&resp->body);
  } else if (strcmp(p, "/status") == 0) {
    put_json(resp, admin_status_json());
  } else {
    resp->status = 404;
    sb_puts(&resp->body, "not found\n");
  }
}
