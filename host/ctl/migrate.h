/*
 * `stratusctl migrate`: Stratus's own schema changes, sql/<kind>/NNNN_<what>.sql,
 * applied in order to every [db.*] section's database and recorded in its
 * stratus_schema_version table. See host/db/README.md.
 */
#ifndef STRATUS_CTL_MIGRATE_H
#define STRATUS_CTL_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct migrate_opts {
  const char *config;
  const char *db;      /* only this section ("auth" or "db.auth"), or NULL */
  const char *sql_dir; /* NULL: the installed share/stratus/sql */
  const char *plugin_sql; /* plugins' sources: DIR/<plugin>/sql/<kind>/; NULL:
                             <sql_dir>/plugins/<plugin>/<kind>/ */
  bool dry_run;
} migrate_opts;

/* Exit status: 0 when every database is up to date afterwards. */
int cmd_migrate(const migrate_opts *o);

/* ---- migrate_files.c ---------------------------------------------------- */
typedef struct migration {
  unsigned version;
  char *file;          /* "0002_guild_invites.sql" */
  char checksum[65];   /* SHA-256 of the file, hex */
  char **stmts;        /* statements without their ';' and comments */
  int *lines;          /* line where each statement starts */
  size_t nstmts;
} migration;

typedef struct migration_set {
  migration *items; /* by version */
  size_t n;
} migration_set;

/* Read dir/NNNN_*.sql (a missing dir is an empty set). Checks names,
 * duplicate versions and the guard. 0, or -1 with messages in errs. */
int migrations_load(const char *dir, migration_set *out, strbuf *errs);
void migrations_free(migration_set *set);

/* Split a file into statements: a ';' at the end of a line ends one;
 * '-- ', '#' and block comments are dropped. */
size_t sql_split(const char *text, char ***stmts, int **lines);

/* ---- migrate_db.c -------------------------------------------------------- */
typedef struct applied {
  unsigned version;
  char name[201];
  char checksum[65];
} applied;

/* Stratus's own migrations of one kind, or one plugin's. */
typedef struct component {
  const char *plugin; /* NULL: Stratus's own */
  bool owned_name;    /* plugin was allocated here */
  migration_set set;  /* the files */
  applied *rows;      /* what the database has */
  size_t nrows, rows_cap;
} component;

struct stratus_db;

/* One [db.*] section: parts[0] is Stratus's own, then plugins by name. */
typedef struct migrate_target {
  const char *name, *kind, *database;
  const void *cfg; /* db_section */
  struct stratus_db *db;
  component *parts;
  size_t nparts;
} migrate_target;

/* Check every component against the database (refusing a database newer
 * than the code, changed files, gaps), then apply or, in a dry run, list
 * what is pending. 0 or -1 (said on stderr). */
int migrate_target_run(migrate_target *t, bool dry_run);
void migrate_target_free(migrate_target *t);

/* ---- migrate_plugins.c -------------------------------------------------- */
typedef struct plugin_sql {
  char *name; /* the plugin */
  char *dir;  /* holds <kind>/NNNN_*.sql */
} plugin_sql;

typedef struct plugin_sql_list {
  plugin_sql *items; /* by name */
  size_t n;
} plugin_sql_list;

/* The plugins under `root`: root/<plugin>/ (installed layout), or
 * root/<plugin>/sql/ when `sources` (a source tree's plugins/ folder).
 * A missing root is an empty list. 0, or -1 with messages in errs. */
int plugin_sql_find(const char *root, bool sources, plugin_sql_list *out,
                    strbuf *errs);
void plugin_sql_free(plugin_sql_list *list);
bool migrate_plugin_name_ok(const char *name);

/* ---- migrate_guard.c ---------------------------------------------------- */
/* AzerothCore's own tables and columns are never dropped or altered: a
 * statement may drop, truncate, rename, replace or alter (other than ADD)
 * only tables named stratus_*, and on other tables drop or change only
 * columns, indexes and constraints named stratus_*. false with the reason
 * when the statement breaks that rule. */
bool migration_guard_ok(const char *stmt, char *why, size_t whylen);

#endif
