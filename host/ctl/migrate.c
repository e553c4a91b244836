/* stratusctl migrate: plan and apply sql/<kind>/NNNN_<what>.sql, and each
 * plugin's, per [db.*] section (migrate_db.c does one database). */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "connect.h"
#include "host_config.h"
#include "paths.h"
#include "sql.h"

#ifndef STRATUS_SQLDIR
#define STRATUS_SQLDIR "/usr/share/stratus/sql"
#endif
#ifndef STRATUS_SOURCE_DIR
#define STRATUS_SOURCE_DIR ""
#endif

/* Where Stratus's own and the plugins' migrations are. */
typedef struct sources {
  char *sql_dir;
  plugin_sql_list plugins;
} sources;

/* --sql-dir and --plugin-sql; else the source tree when this is the build
 * tree's stratusctl; else the installed share/stratus/sql. */
static int find_sources(const migrate_opts *o, sources *src) {
  bool build = !o->sql_dir && paths_in_build_tree() && *STRATUS_SOURCE_DIR;
  src->sql_dir = o->sql_dir ? xstrdup(o->sql_dir)
                 : build    ? xstrdup(STRATUS_SOURCE_DIR "/sql")
                            : install_path(STRATUS_SQLDIR);
  char *plugin_root = o->plugin_sql ? xstrdup(o->plugin_sql)
                      : build       ? xstrdup(STRATUS_SOURCE_DIR "/plugins")
                                    : xasprintf("%s/plugins", src->sql_dir);
  strbuf errs;
  sb_init(&errs);
  int rc = plugin_sql_find(plugin_root, o->plugin_sql || build, &src->plugins, &errs);
  if (rc != 0) fprintf(stderr, "%srefusing to migrate\n", errs.data);
  sb_free(&errs);
  free(plugin_root);
  return rc;
}

static int load_set(const char *dir, const char *kind, migration_set *set) {
  char *kind_dir = xasprintf("%s/%s", dir, kind);
  strbuf errs;
  sb_init(&errs);
  int rc = migrations_load(kind_dir, set, &errs);
  if (rc != 0) fputs(errs.data, stderr);
  sb_free(&errs);
  free(kind_dir);
  return rc;
}

/* Stratus's own migrations of t's kind, then each plugin's. */
static int load_parts(migrate_target *t, const sources *src) {
  t->parts = xcalloc(src->plugins.n + 1, sizeof(component));
  t->nparts = 1;
  int rc = load_set(src->sql_dir, t->kind, &t->parts[0].set);
  for (size_t i = 0; i < src->plugins.n; i++) {
    component *c = &t->parts[t->nparts++];
    c->plugin = src->plugins.items[i].name;
    rc |= load_set(src->plugins.items[i].dir, t->kind, &c->set);
  }
  return rc;
}

static int connect_and_run(migrate_target *t, bool dry_run) {
  db_settings s;
  char err[1024];
  unsigned errnum = 0;
  if (db_settings_load(&s, t->cfg, err, sizeof(err)) != 0) {
    fprintf(stderr, "db.%s: %s\n", t->name, err);
    return -1;
  }
  MYSQL *m = db_connect(&s, err, sizeof(err), &errnum);
  db_settings_free(&s);
  if (!m) {
    fprintf(stderr, "db.%s: %s\n", t->name, err);
    return -1;
  }
  t->db = db_conn_new(0);
  db_conn_attach(t->db, m);
  int rc = migrate_target_run(t, dry_run);
  db_conn_free(t->db);
  return rc;
}

/* Every section's migrations are read and checked before any database is
 * touched: one refused file stops the whole run. */
static int load_targets(const host_config *hc, const char *only, const sources *src,
                        migrate_target *targets, size_t *n) {
  int rc = 0;
  *n = 0;
  for (size_t i = 0; i < host_config_db_count(hc); i++) {
    const char *name = host_config_db_name(hc, i);
    const db_section *cfg = host_config_db(hc, i);
    if (only && strcmp(name, only) != 0) continue;
    migrate_target *t = &targets[(*n)++];
    *t = (migrate_target){.name = name, .kind = db_schema_kind(name, cfg),
                          .database = cfg->database, .cfg = cfg};
    if (!t->kind) {
      printf("db.%s: no schema kind (set schema = auth, characters or world); skipped\n",
             name);
      if (only) rc = -1;
      continue;
    }
    if (load_parts(t, src) != 0) {
      fprintf(stderr, "db.%s: refusing to migrate\n", name);
      rc = -1;
    }
  }
  return rc;
}

static int migrate_all(const host_config *hc, const char *only, const migrate_opts *o) {
  sources src = {0};
  migrate_target *targets = xcalloc(host_config_db_count(hc) + 1, sizeof(migrate_target));
  size_t n = 0;
  int failures = find_sources(o, &src) != 0;
  if (!failures) failures = load_targets(hc, only, &src, targets, &n) != 0;
  for (size_t i = 0; i < n && !failures; i++)
    if (targets[i].kind) failures += connect_and_run(&targets[i], o->dry_run) != 0;
  for (size_t i = 0; i < n; i++) migrate_target_free(&targets[i]);
  free(targets);
  plugin_sql_free(&src.plugins);
  free(src.sql_dir);
  return failures ? 1 : 0;
}

static host_config *load_config(const char *path) {
  cfg_snapshot *snap = cfg_load(path);
  cfg_errors errs = {0};
  host_config *hc = NULL;
  if (snap->errors.n == 0) hc = host_config_build(snap, &errs);
  for (size_t i = 0; i < snap->errors.n; i++)
    fprintf(stderr, "%s\n", snap->errors.msgs[i]);
  for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "%s\n", errs.msgs[i]);
  if (hc && errs.n) {
    host_config_free(hc);
    hc = NULL;
  }
  cfg_errors_free(&errs);
  cfg_free(snap);
  return hc;
}

int cmd_migrate(const migrate_opts *o) {
  host_config *hc = load_config(o->config);
  if (!hc) return 1;
  const char *only = o->db && str_has_prefix(o->db, "db.") ? o->db + 3 : o->db;
  if (only && !host_config_db_find(hc, only)) {
    fprintf(stderr, "stratusctl: %s has no [db.%s] section\n", o->config, only);
    host_config_free(hc);
    return 1;
  }
  if (host_config_db_count(hc) == 0)
    printf("%s: no [db.*] sections; nothing to migrate\n", o->config);
  int rc = migrate_all(hc, only, o);
  host_config_free(hc);
  db_library_end();
  return rc;
}
