/* Where plugins keep their migrations:
 *   installed     <sql>/plugins/<plugin>/<kind>/NNNN_<what>.sql
 *   source tree   plugins/<plugin>/sql/<kind>/NNNN_<what>.sql  (--plugin-sql)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "migrate.h"

bool migrate_plugin_name_ok(const char *name) {
  if (!*name || strlen(name) > 64) return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
          *p == '-'))
      return false;
  return true;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const plugin_sql *)a)->name, ((const plugin_sql *)b)->name);
}

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int plugin_sql_find(const char *root, bool sources, plugin_sql_list *out,
                    strbuf *errs) {
  memset(out, 0, sizeof(*out));
  DIR *d = opendir(root);
  if (!d) {
    if (errno == ENOENT) return 0;
    sb_printf(errs, "%s: %s\n", root, strerror(errno));
    return -1;
  }
  size_t cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *dir = xasprintf(sources ? "%s/%s/sql" : "%s/%s", root, e->d_name);
    if (!is_dir(dir)) {
      free(dir);
      continue;
    }
    if (!migrate_plugin_name_ok(e->d_name)) {
      sb_printf(errs, "%s: not a plugin name (a-z, 0-9, '_', '-')\n", dir);
      free(dir);
      rc = -1;
      continue;
    }
    grow_array((void **)&out->items, &cap, out->n + 1, sizeof(plugin_sql));
    out->items[out->n++] = (plugin_sql){xstrdup(e->d_name), dir};
  }
  closedir(d);
  if (out->n > 1) qsort(out->items, out->n, sizeof(plugin_sql), by_name);
  return rc;
}

void plugin_sql_free(plugin_sql_list *list) {
  for (size_t i = 0; i < list->n; i++) {
    free(list->items[i].name);
    free(list->items[i].dir);
  }
  free(list->items);
  memset(list, 0, sizeof(*list));
}
