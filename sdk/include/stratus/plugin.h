/*
 * The plugin descriptor: what a plugin tells the host about itself.
 *
 * A plugin exports exactly one symbol, stratus_plugin_entry(), which returns
 * a pointer to a static const stratus_plugin. The host reads the descriptor
 * only up to hdr.struct_size, so a plugin built against an older minor ABI
 * (a shorter struct) loads; members it does not have count as NULL/0.
 *
 * Threads: every callback below runs on the host's loop thread.
 */
#ifndef STRATUS_PLUGIN_H
#define STRATUS_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

typedef struct stratus_ctx stratus_ctx;           /* one per plugin instance */
typedef struct stratus_host_api stratus_host_api; /* see host.h */

/* ---- configuration schema ------------------------------------------------
 * Each key of a [plugin.<name>] section is declared here. The host parses and
 * validates the section (unknown keys, types and bounds are errors with
 * file:line), then writes every value into a config struct of config_size
 * bytes at the key's offset. The plugin reads that struct; it never opens a
 * config file itself, which is what lets `stratusd --check-config` validate
 * everything offline.
 */
typedef enum stratus_config_type {
  STRATUS_CFG_BOOL = 1,     /* bool          yes|no|true|false|on|off|1|0 */
  STRATUS_CFG_INT = 2,      /* int64_t       decimal, optional sign */
  STRATUS_CFG_DOUBLE = 3,   /* double */
  STRATUS_CFG_STRING = 4,   /* const char *  host-owned */
  STRATUS_CFG_DURATION = 5, /* int64_t ms    "250ms", "5s", "2m", "1h" */
  STRATUS_CFG_SIZE = 6,     /* uint64_t      bytes: "512", "64KiB", "4MiB" */
  STRATUS_CFG_ENUM = 7,     /* int           index into choices[] */
  STRATUS_CFG_LIST = 8,     /* const char *const *  comma-separated, NULL-ended */
} stratus_config_type;

/* Changing this key needs a restart: a reload logs it and keeps the old value. */
#define STRATUS_CFG_RESTART  (1u << 0)
/* The key must be present in the section. */
#define STRATUS_CFG_REQUIRED (1u << 1)
/* Never print the value (passwords); /status shows "***". */
#define STRATUS_CFG_SECRET   (1u << 2)

typedef struct stratus_config_key {
  const char *name;          /* NULL name ends the array */
  uint32_t type;             /* stratus_config_type */
  uint32_t flags;            /* STRATUS_CFG_* */
  size_t offset;             /* offsetof() into the plugin's config struct */
  const char *default_value; /* parsed like an ini value; NULL = zero/empty */
  int64_t min, max;          /* numeric bounds, or max string length; 0,0 = none */
  const char *const *choices; /* STRATUS_CFG_ENUM: NULL-terminated names */
  const char *help;          /* one line for --check-config and docs */
} stratus_config_key;

/* ---- state handed from one generation to the next ------------------------ */
typedef struct stratus_blob {
  void *data;
  size_t len;
  void (*free)(void *data); /* called by the host once it is done; may be NULL */
} stratus_blob;

/* ---- the descriptor ------------------------------------------------------ */

/* The plugin keeps no host state the host cannot clean up (no threads, no TSD
 * destructors, no atexit): the host may dlclose its code once no instance of
 * it is left. Without this flag old code stays mapped until exit. */
#define STRATUS_PLUGIN_UNLOAD_SAFE (1u << 0)

typedef struct stratus_plugin {
  stratus_abi_header hdr; /* STRATUS_PLUGIN_HDR */

  const char *name;        /* equals the ini section suffix: [plugin.<name>] */
  const char *version;     /* the plugin's own version, shown in status */
  const char *description; /* one line */
  uint32_t flags;          /* STRATUS_PLUGIN_* */
  uint32_t config_key_size; /* sizeof(stratus_config_key) as compiled */
  const stratus_config_key *config; /* may be NULL: no keys */
  size_t config_size;      /* bytes of the config struct the keys point into */

  /*
   * Lifecycle: init -> start -> reconfigure* -> stop -> destroy.
   *
   * init: create state and register methods, subscriptions, metrics and
   *   timers. `config` is host-owned and valid until destroy or until a
   *   successful reconfigure hands a new one. Return 0 or a STRATUS_E* code;
   *   on failure the host undoes every registration and calls nothing else.
   * start: the instance is about to take traffic (after import_state).
   * reconfigure (optional): apply a changed config in place. Return 0 and
   *   use the new pointer from now on; on failure the old config stays in
   *   force. Without it, a config change makes a new generation.
   * stop: no new calls will arrive; finish or abandon work. The host has
   *   already removed the instance's routes, timers and subscriptions, and
   *   waits for in-flight calls and database jobs before destroy.
   * destroy: free the state. Nothing of the instance runs after this.
   */
  int (*init)(stratus_ctx *ctx, const void *config, void **state);
  int (*start)(stratus_ctx *ctx, void *state);
  int (*reconfigure)(stratus_ctx *ctx, void *state, const void *config);
  void (*stop)(stratus_ctx *ctx, void *state);
  void (*destroy)(stratus_ctx *ctx, void *state);

  /*
   * Optional state hand-over when a new generation replaces this one (new
   * code or a config change without reconfigure). The old generation's
   * export_state runs right before the new one's import_state, on the loop
   * thread, with no call in between; the blob is opaque to the host, so
   * version its format. Both sides may be different builds of the plugin.
   */
  int (*export_state)(stratus_ctx *ctx, void *state, stratus_blob *out);
  int (*import_state)(stratus_ctx *ctx, void *state, const void *data,
                      size_t len);

  /* ---- ABI 1.1 ----
   * The contracts (libstratus-proto's message layouts) the plugin was
   * compiled against: STRATUS_PLUGIN_CONTRACTS fills it. The host refuses to
   * route a v1 service of a plugin built against other contracts. 0: the
   * plugin uses no v1 contracts (or is 1.0: it is warned about). */
  uint64_t contracts_id;
} stratus_plugin;

/* In a descriptor of a plugin that serves or calls v1 services:
 *   STRATUS_PLUGIN_CONTRACTS,
 * STRATUS_CONTRACTS_ID comes from <stratus/proto/contracts.h>, installed
 * with the generated contracts. */
#if defined(__has_include)
#if __has_include(<stratus/proto/contracts.h>)
#include <stratus/proto/contracts.h>
#endif
#endif
#define STRATUS_PLUGIN_CONTRACTS .contracts_id = STRATUS_CONTRACTS_ID

#define STRATUS_PLUGIN_HDR                                                  \
  {STRATUS_PLUGIN_MAGIC, STRATUS_ABI_MAJOR, STRATUS_ABI_MINOR,              \
   (uint32_t)sizeof(stratus_plugin)}

/* Fills the config members from a key array and the struct it describes:
 *   STRATUS_PLUGIN_CONFIG(my_keys, my_config), */
#define STRATUS_PLUGIN_CONFIG(keys, config_type)          \
  .config_key_size = sizeof(stratus_config_key),          \
  .config = (keys), .config_size = sizeof(config_type)

/* The one symbol a plugin exports. Called once per load of the .so; `api` is
 * valid for the life of the process, keep it in a static. */
STRATUS_EXPORT const stratus_plugin *
stratus_plugin_entry(const stratus_host_api *api);

typedef const stratus_plugin *(*stratus_plugin_entry_fn)(
    const stratus_host_api *api);

#define STRATUS_PLUGIN_ENTRY_SYMBOL "stratus_plugin_entry"

#endif
