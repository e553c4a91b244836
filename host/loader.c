#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

const char *const plugin_reserved_keys[] = {"enabled", "path", "log_level",
                                            NULL};

static module *modules;
static unsigned long load_count;
/* Paths ever passed to dlopen: a second load of one needs a private copy. */
static char **opened_paths;
static size_t nopened, opened_cap;

/* The smallest descriptor ABI 1 accepts: everything up to destroy. */
#define MIN_DESC_SIZE (offsetof(stratus_plugin, destroy) + sizeof(void (*)(void)))
#define MIN_KEY_SIZE (offsetof(stratus_config_key, help) + sizeof(const char *))

int loader_stat(const char *path, file_id *id) {
  struct stat st;
  if (stat(path, &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -EINVAL;
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  id->size = st.st_size;
  id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  return 0;
}

bool file_id_equal(const file_id *a, const file_id *b) {
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime_ns == b->mtime_ns;
}

static bool path_opened_before(const char *path) {
  for (size_t i = 0; i < nopened; i++)
    if (strcmp(opened_paths[i], path) == 0) return true;
  return false;
}

static void remember_path(const char *path) {
  if (path_opened_before(path)) return;
  grow_array((void **)&opened_paths, &opened_cap, nopened + 1, sizeof(char *));
  opened_paths[nopened++] = xstrdup(path);
}

static int copy_to_memfd(const char *name, const char *path) {
  char label[64];
  snprintf(label, sizeof(label), "stratus-%s", name);
  int in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  int fd = memfd_create(label, MFD_CLOEXEC);
  char buf[65536];
  ssize_t n = 0;
  while (fd >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
    if (write(fd, buf, (size_t)n) != n) n = -1;
    if (n < 0) break;
  }
  int saved = errno;
  close(in);
  if (fd >= 0 && n < 0) {
    close(fd);
    fd = -1;
  }
  errno = saved;
  return fd;
}

static void *open_mapping(const char *name, const char *path, int *memfd,
                          char *err, size_t errlen) {
  char target[64];
  const char *what = path;
  *memfd = -1;
  if (path_opened_before(path)) {
    *memfd = copy_to_memfd(name, path);
    if (*memfd < 0) {
      snprintf(err, errlen, "plugin '%s': cannot copy %s: %s", name, path,
               strerror(errno));
      return NULL;
    }
    snprintf(target, sizeof(target), "/proc/self/fd/%d", *memfd);
    what = target;
  }
  remember_path(path);
  void *handle = dlopen(what, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    snprintf(err, errlen, "plugin '%s': cannot load %s: %s", name, path,
             dlerror());
    if (*memfd >= 0) close(*memfd);
  }
  return handle;
}

static int check_header(const char *name, const char *path,
                        const stratus_plugin *d, char *err, size_t errlen) {
  if (d->hdr.magic != STRATUS_PLUGIN_MAGIC) {
    snprintf(err, errlen,
             "plugin '%s': %s: bad descriptor magic 0x%08x (not a Stratus "
             "plugin descriptor)", name, path, d->hdr.magic);
    return STRATUS_EVERSION;
  }
  if (d->hdr.abi_major != STRATUS_ABI_MAJOR) {
    snprintf(err, errlen,
             "plugin '%s': %s was built for ABI %u.%u, this host speaks ABI "
             "%d.%d; rebuild it against stratus-dev %d", name, path,
             d->hdr.abi_major, d->hdr.abi_minor, STRATUS_ABI_MAJOR,
             STRATUS_ABI_MINOR, STRATUS_ABI_MAJOR);
    return STRATUS_EVERSION;
  }
  if (d->hdr.struct_size < MIN_DESC_SIZE) {
    snprintf(err, errlen,
             "plugin '%s': %s: descriptor is %u bytes, ABI %d needs at least %zu",
             name, path, d->hdr.struct_size, STRATUS_ABI_MAJOR, MIN_DESC_SIZE);
    return STRATUS_EVERSION;
  }
  return 0;
}

static int check_identity(const char *name, const char *path,
                          const stratus_plugin *d, char *err, size_t errlen) {
  if (!d->name || strcmp(d->name, name) != 0) {
    snprintf(err, errlen,
             "plugin '%s': %s describes itself as '%s'; its section must be "
             "[plugin.%s]", name, path, d->name ? d->name : "(null)",
             d->name ? d->name : "?");
    return STRATUS_EINVAL;
  }
  if (!d->init) {
    snprintf(err, errlen, "plugin '%s': %s has no init callback", name, path);
    return STRATUS_EINVAL;
  }
  if (d->config && d->config_key_size < MIN_KEY_SIZE) {
    snprintf(err, errlen, "plugin '%s': %s: config keys are %u bytes, ABI %d "
             "needs at least %zu", name, path, d->config_key_size,
             STRATUS_ABI_MAJOR, MIN_KEY_SIZE);
    return STRATUS_EVERSION;
  }
  return 0;
}

/* Copy the plugin's key array, whose element size may differ from ours. */
static void normalize_keys(module *m) {
  const stratus_plugin *d = &m->desc;
  size_t n = 0, stride = d->config_key_size;
  const char *base = (const char *)d->config;
  while (base && ((const stratus_config_key *)(base + n * stride))->name) n++;
  m->keys = xcalloc(n + 1, sizeof(stratus_config_key));
  size_t copy = stride < sizeof(stratus_config_key) ? stride
                                                    : sizeof(stratus_config_key);
  for (size_t i = 0; i < n; i++) memcpy(&m->keys[i], base + i * stride, copy);
  m->schema = (schema){m->keys, n, d->config_size};
}

static int check_descriptor(module *m, const stratus_plugin *raw, char *err,
                            size_t errlen) {
  int rc = check_header(m->name, m->path, raw, err, errlen);
  if (rc) return rc;
  size_t copy = raw->hdr.struct_size < sizeof(stratus_plugin)
                    ? raw->hdr.struct_size : sizeof(stratus_plugin);
  memcpy(&m->desc, raw, copy);
  rc = check_identity(m->name, m->path, &m->desc, err, errlen);
  if (rc) return rc;
  normalize_keys(m);
  char why[256];
  if (schema_check(&m->schema, plugin_reserved_keys, why, sizeof(why)) != 0) {
    snprintf(err, errlen, "plugin '%s': %s: bad config schema: %s", m->name,
             m->path, why);
    return STRATUS_EINVAL;
  }
  if (raw->hdr.abi_minor > STRATUS_ABI_MINOR)
    log_info("plugin '%s' was built for ABI %u.%u, newer than this host's "
             "%d.%d; features it finds absent are up to it", m->name,
             raw->hdr.abi_major, raw->hdr.abi_minor, STRATUS_ABI_MAJOR,
             STRATUS_ABI_MINOR);
  return 0;
}

/* A memfd copy's name is /proc/self/fd/N. If dlclose left the object
 * mapped, closing N would let a later copy reuse the name and dlopen would
 * hand back this stale object, so the fd is kept open in that case. */
static void close_copy(module *m) {
  char target[64];
  snprintf(target, sizeof(target), "/proc/self/fd/%d", m->memfd);
  void *still = dlopen(target, RTLD_NOW | RTLD_NOLOAD);
  if (still) {
    dlclose(still);
    return;
  }
  close(m->memfd);
}

static void module_free(module *m) {
  if (m->handle) dlclose(m->handle);
  if (m->memfd >= 0) close_copy(m);
  free(m->keys);
  free(m->name);
  free(m->path);
  free(m);
}

static module *find_loaded(const char *name, const char *path,
                           const file_id *id) {
  for (module *m = modules; m; m = m->next)
    if (strcmp(m->name, name) == 0 && strcmp(m->path, path) == 0 &&
        file_id_equal(&m->id, id))
      return m;
  return NULL;
}

static module *load_new(const char *name, const char *path, const file_id *id,
                        const stratus_host_api *api, char *err, size_t errlen) {
  module *m = xcalloc(1, sizeof(*m));
  m->name = xstrdup(name);
  m->path = xstrdup(path);
  m->id = *id;
  m->handle = open_mapping(name, path, &m->memfd, err, errlen);
  if (!m->handle) {
    m->memfd = -1;
    module_free(m);
    return NULL;
  }
  stratus_plugin_entry_fn entry;
  *(void **)&entry = dlsym(m->handle, STRATUS_PLUGIN_ENTRY_SYMBOL);
  const stratus_plugin *raw = entry ? entry(api) : NULL;
  if (!entry)
    snprintf(err, errlen, "plugin '%s': %s does not export %s (is it a "
             "Stratus plugin?)", name, path, STRATUS_PLUGIN_ENTRY_SYMBOL);
  else if (!raw)
    snprintf(err, errlen, "plugin '%s': %s refused to load (%s returned NULL)",
             name, path, STRATUS_PLUGIN_ENTRY_SYMBOL);
  if (!raw || check_descriptor(m, raw, err, errlen) != 0) {
    module_free(m);
    return NULL;
  }
  m->load_seq = load_count++;
  m->next = modules;
  modules = m;
  return m;
}

module *loader_open(const char *name, const char *path,
                    const stratus_host_api *api, char *err, size_t errlen) {
  file_id id;
  int rc = loader_stat(path, &id);
  if (rc) {
    snprintf(err, errlen, "plugin '%s': cannot open %s: %s", name, path,
             rc == -EINVAL ? "not a regular file" : strerror(-rc));
    return NULL;
  }
  module *m = find_loaded(name, path, &id);
  if (!m) m = load_new(name, path, &id, api, err, errlen);
  if (m) m->refs++;
  return m;
}

void module_ref(module *m) { m->refs++; }

static void unlink_module(module *m) {
  for (module **p = &modules; *p; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      return;
    }
  }
}

static bool unloading_frozen;

void loader_freeze_unloading(void) { unloading_frozen = true; }

void module_unref(module *m) {
  if (--m->refs > 0) return;
  if (!(m->desc.flags & STRATUS_PLUGIN_UNLOAD_SAFE) || unloading_frozen)
    return; /* stays mapped */
  unlink_module(m);
  module_free(m);
}

void loader_shutdown(void) {
  while (modules) {
    module *m = modules;
    modules = m->next;
    if (!(m->desc.flags & STRATUS_PLUGIN_UNLOAD_SAFE) || unloading_frozen) m->handle = NULL;
    module_free(m);
  }
  for (size_t i = 0; i < nopened; i++) free(opened_paths[i]);
  free(opened_paths);
  opened_paths = NULL;
  nopened = opened_cap = 0;
}
