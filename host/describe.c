#include "describe.h"

#include <glob.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "host_config.h"
#include "loader.h"
#include "plugins.h"
#include "stratusd.h"
#include "util.h"

/* One plugin: its descriptor's words, the host's keys, then its own. */
static int describe_plugin(const char *name, const char *path, FILE *out) {
  char err[1024];
  module *m = loader_open(name, path, &stratusd.api, err, sizeof(err));
  if (!m) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  fprintf(out, "[plugin.%s]\n; %s %s: %s\n; from %s\n"
          "; and the keys of every [plugin.<name>] section\n", name, m->desc.name,
          m->desc.version ? m->desc.version : "",
          m->desc.description ? m->desc.description : "", path);
  schema_describe(&m->schema, out);
  fputc('\n', out);
  module_unref(m);
  return 0;
}

static bool listed(char **names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return true;
  return false;
}

/* Sections that name their own .so first, then the plugin directory. */
static int describe_plugins(const cfg_snapshot *snap, const char *dir,
                            FILE *out) {
  int rc = 0;
  char **done = xcalloc(snap->n + 1, sizeof(char *));
  size_t ndone = 0;
  for (size_t i = 0; i < snap->n; i++) {
    const cfg_section *sec = &snap->sections[i];
    const cfg_entry *path = cfg_section_get(sec, "path");
    if (!str_has_prefix(sec->name, "plugin.") || !path || !*path->value) continue;
    const char *name = sec->name + strlen("plugin.");
    char *so = plugins_path(sec, path->value, dir, name);
    rc |= describe_plugin(name, so, out);
    free(so);
    done[ndone++] = (char *)name;
  }
  char *pattern = xasprintf("%s/*.so", dir);
  glob_t g;
  if (glob(pattern, 0, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) {
      char *file = xstrdup(g.gl_pathv[i]);
      char *name = basename(file);
      name[strlen(name) - 3] = '\0';
      if (!listed(done, ndone, name)) rc |= describe_plugin(name, g.gl_pathv[i], out);
      free(file);
    }
    globfree(&g);
  }
  free(pattern);
  free(done);
  return rc;
}

static void print_errors(const cfg_errors *errs) {
  for (size_t i = 0; i < errs->n; i++) fprintf(stderr, "%s\n", errs->msgs[i]);
}

static void describe_host(const char *path, bool exists, FILE *out) {
  fprintf(out, "; stratusd configuration keys (%s%s)\n\n", path,
          exists ? "" : " does not exist: defaults");
  host_config_describe(out);
  fputs("; every [plugin.<name>] section\n[plugin.<name>]\n", out);
  plugins_describe_common(out);
  fputc('\n', out);
}

int describe_config(const char *path, bool required, FILE *out) {
  bool exists = required || access(path, F_OK) == 0;
  cfg_snapshot *snap = exists ? cfg_load(path) : cfg_load_string(path, "");
  cfg_errors errs = {0};
  cfg_errors_move(&errs, &snap->errors);
  host_config *hc = errs.n ? NULL : host_config_build(snap, &errs);
  int rc = 1;
  if (errs.n) {
    print_errors(&errs);
    fprintf(stderr, "%s: %zu error(s)\n", path, errs.n);
  } else {
    describe_host(path, exists, out);
    rc = describe_plugins(snap, hc->host->plugin_dir, out);
  }
  host_config_free(hc);
  cfg_free(snap);
  cfg_errors_free(&errs);
  return rc;
}
