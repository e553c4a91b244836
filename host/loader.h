/*
 * Loading plugin code. A module is one mapping of a plugin .so with its
 * checked, normalized descriptor. Modules are shared by the instances
 * (generations) that run their code and reference-counted; code stays mapped
 * after the last instance unless the plugin declares itself unload-safe.
 *
 * Upgrading code: dlopen() of a path that is already mapped returns the old
 * mapping, so when a path has been opened before, the new file is copied into
 * a memfd and loaded from there, which always yields a fresh mapping.
 */
#ifndef STRATUS_HOST_LOADER_H
#define STRATUS_HOST_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <stratus/host.h>

#include "schema.h"

typedef struct file_id {
  dev_t dev;
  ino_t ino;
  off_t size;
  int64_t mtime_ns;
} file_id;

typedef struct module {
  char *name;          /* the plugin name the section asked for */
  char *path;          /* the file as configured */
  file_id id;          /* identity of the file when it was loaded */
  void *handle;
  int memfd;           /* >= 0 when loaded from a private copy */
  stratus_plugin desc; /* the plugin's descriptor, zero past its struct_size */
  stratus_config_key *keys; /* normalized schema keys */
  schema schema;
  unsigned long load_seq; /* how many modules were loaded before this one */
  int refs;
  struct module *next;
} module;

/* Identity of the file at path; 0 or -errno. */
int loader_stat(const char *path, file_id *id);
bool file_id_equal(const file_id *a, const file_id *b);

/*
 * Returns a referenced module for plugin `name` from `path`: an already
 * mapped module of the same file identity, or a newly loaded and checked
 * one. On failure returns NULL with a message in err ("plugin 'x': ...").
 */
module *loader_open(const char *name, const char *path,
                    const stratus_host_api *api, char *err, size_t errlen);
void module_ref(module *m);
void module_unref(module *m);

/* From now on no code is unmapped: an instance destroyed while work of its
 * may still run (a forced shutdown) must leave its code in place. */
void loader_freeze_unloading(void);

/* Unload what can be unloaded and free the module list (process exit). */
void loader_shutdown(void);

/* Host keys every [plugin.*] section may hold; plugins may not declare them. */
extern const char *const plugin_reserved_keys[];

#endif
