/*
 * Plugin instances. An instance (the SDK's stratus_ctx) is one generation of
 * a plugin: its module, its config struct, its state and everything it
 * registered. Registrations are pending until the instance is activated,
 * take effect while it is active, and are removed when it stops; in-flight
 * work (calls, database jobs) holds the instance until it drains, and only
 * then is destroy called.
 */
#ifndef STRATUS_HOST_INSTANCE_H
#define STRATUS_HOST_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include <stratus/host.h>
#include <uv.h>

#include "list.h"
#include "loader.h"

typedef enum inst_state {
  INST_INIT,     /* init/start running; registrations pending */
  INST_READY,    /* started, not yet switched in */
  INST_ACTIVE,   /* serving */
  INST_STOPPING, /* stopped, draining in-flight work */
  INST_DEAD,     /* destroyed, waiting to be freed */
} inst_state;

struct inst_reg;
typedef struct inst_reg_ops {
  const char *kind;
  void (*activate)(struct inst_reg *r);
  void (*deactivate)(struct inst_reg *r);
  void (*release)(struct inst_reg *r); /* frees r (possibly later) */
} inst_reg_ops;

/* Something an instance registered; embedded in the owning object. */
typedef struct inst_reg {
  const inst_reg_ops *ops;
  stratus_ctx *ctx;
  list_node node;
  bool active;
  bool outlives_stop; /* keeps working while the instance drains */
} inst_reg;

struct stratus_ctx {
  module *mod;
  const stratus_plugin *desc;
  char *name;
  char tag[96];          /* "name#generation" for log lines */
  uint64_t generation;
  inst_state state;
  void *config;          /* built from mod->schema, host-owned */
  int log_level;         /* -1: the global level */
  void *state_ptr;       /* what init returned */
  long inflight;         /* calls and jobs not finished yet */
  uint64_t started_ms;
  uint64_t stopping_ms;
  bool drain_warned;
  bool contracts_warned; /* serves v1 without STRATUS_PLUGIN_CONTRACTS */
  list_node regs;        /* inst_reg */
  list_node node;        /* in the host's list of instances */
};

stratus_ctx *inst_create(module *m, void *config, int log_level,
                         uint64_t generation);
/* An instance for the host's own registrations (the servers registry): no
 * module, no config, no lifecycle callbacks. */
stratus_ctx *inst_create_host(const char *name);

/* Runs init; on failure every registration is dropped and the instance is
 * freed without further callbacks. */
int inst_init(stratus_ctx *ctx, char *err, size_t errlen);
/* old -> new state hand-over; 0 when either side has no callback. */
int inst_handover(stratus_ctx *from, stratus_ctx *to, char *err, size_t errlen);
int inst_start(stratus_ctx *ctx, char *err, size_t errlen);
void inst_activate(stratus_ctx *ctx);
/* Stop taking work (registrations stop taking effect), call stop, destroy
 * once drained (registrations are freed then). */
void inst_begin_stop(stratus_ctx *ctx);
/* Destroy an instance that never went active (failed start/hand-over). */
void inst_discard(stratus_ctx *ctx);

void inst_reg_add(stratus_ctx *ctx, inst_reg *r, const inst_reg_ops *ops);
/* Deactivate and release one registration (the plugin dropped it). */
void inst_reg_drop(inst_reg *r);

/* In-flight work: a held instance is not destroyed. */
void inst_hold(stratus_ctx *ctx);
void inst_release(stratus_ctx *ctx);

const char *inst_state_name(inst_state s);

/* Every instance not yet freed, in creation order. */
extern list_node inst_all;

/* Destroy instances that are stopping and drained. Runs from a zero timer
 * so that no instance is destroyed inside one of its own callbacks. */
void inst_reap(void);
void inst_loop_init(uv_loop_t *loop);
void inst_loop_close(void);

#endif
