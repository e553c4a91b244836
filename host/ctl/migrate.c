/* stratusctl migrate: plan and apply sql/<kind>/NNNN_<what>.sql per [db.*]
 * section. Statements of a file run in one transaction with the insert of
 * its version row; MySQL commits DDL (CREATE, ALTER...) implicitly, so a
 * file whose later statement fails leaves its earlier DDL applied: write
 * DDL that can run twice (IF NOT EXISTS). */
#include "migrate.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "connect.h"
#include "host_config.h"
#include "sql.h"

#ifndef STRATUS_SQLDIR
#define STRATUS_SQLDIR "/usr/share/stratus/sql"
#endif

#define VERSION_TABLE "stratus_schema_version"

typedef struct applied {
  unsigned version;
  char name[201];
  char checksum[65];
} applied;

typedef struct target {
  const char *name, *kind, *database;
  const db_section *cfg;
  stratus_db *db;
  migration_set set;
  applied *rows;
  size_t nrows;
} target;

/* --sql-dir, else the installed dir, else ../share/stratus/sql beside the
 * binary (a relocated install). */
static char *sql_dir(const char *given) {
  if (given) return xstrdup(given);
  if (access(STRATUS_SQLDIR, F_OK) == 0) return xstrdup(STRATUS_SQLDIR);
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return xstrdup(STRATUS_SQLDIR);
  self[n] = '\0';
  return xasprintf("%s/../share/stratus/sql", dirname(self));
}

static int fail(const target *t, const char *what) {
  fprintf(stderr, "db.%s: %s: %s (%u)\n", t->name, what, db_last_error(t->db),
          db_last_errno(t->db));
  return -1;
}

static int table_exists(target *t, bool *exists) {
  stratus_rows *r;
  if (db_sql_exec(t->db, "SELECT COUNT(*) FROM information_schema.TABLES "
                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                  STRATUS_SQL_PARAMS(stratus_sql_text(VERSION_TABLE)), &r) != 0)
    return fail(t, "reading information_schema");
  *exists = db_rows_next(r) == 1 && db_rows_int(r, 0) > 0;
  db_rows_free(r);
  return 0;
}

static int read_applied(target *t, bool dry_run) {
  bool exists = false;
  if (table_exists(t, &exists) != 0) return -1;
  if (!exists && dry_run) return 0;
  if (!exists && db_sql_exec(t->db,
          "CREATE TABLE IF NOT EXISTS " VERSION_TABLE " ("
          "version INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
          "checksum CHAR(64) NOT NULL, applied_at DATETIME NOT NULL"
          ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", NULL, 0, NULL) != 0)
    return fail(t, "creating " VERSION_TABLE);
  stratus_rows *r;
  if (db_sql_exec(t->db, "SELECT version, name, checksum FROM " VERSION_TABLE
                  " ORDER BY version", NULL, 0, &r) != 0)
    return fail(t, "reading " VERSION_TABLE);
  t->rows = xcalloc(db_rows_count(r) + 1, sizeof(applied));
  while (db_rows_next(r) == 1) {
    applied *a = &t->rows[t->nrows++];
    a->version = (unsigned)db_rows_uint(r, 0);
    snprintf(a->name, sizeof(a->name), "%s", db_rows_text(r, 1, NULL));
    snprintf(a->checksum, sizeof(a->checksum), "%s", db_rows_text(r, 2, NULL));
  }
  db_rows_free(r);
  return 0;
}

static const migration *find(const target *t, unsigned version) {
  for (size_t i = 0; i < t->set.n; i++)
    if (t->set.items[i].version == version) return &t->set.items[i];
  return NULL;
}

static bool is_applied(const target *t, unsigned version) {
  for (size_t i = 0; i < t->nrows; i++)
    if (t->rows[i].version == version) return true;
  return false;
}

/* The database must hold only migrations this code has, unchanged, and
 * nothing may be pending below the newest applied one. */
static int verify(const target *t) {
  unsigned top = 0;
  for (size_t i = 0; i < t->nrows; i++) {
    const applied *a = &t->rows[i];
    const migration *m = find(t, a->version);
    if (!m) {
      fprintf(stderr, "db.%s: the database has migration %u (%s), which this code "
              "does not know: the database is newer than the code; refusing\n",
              t->name, a->version, a->name);
      return -1;
    }
    if (strcmp(m->checksum, a->checksum) != 0) {
      fprintf(stderr, "db.%s: %s was changed after it was applied (checksum %.12s "
              "in the database, %.12s on disk); refusing\n", t->name, m->file,
              a->checksum, m->checksum);
      return -1;
    }
    if (a->version > top) top = a->version;
  }
  for (size_t i = 0; i < t->set.n; i++)
    if (t->set.items[i].version < top && !is_applied(t, t->set.items[i].version)) {
      fprintf(stderr, "db.%s: %s is not applied but a later migration is; refusing "
              "to apply out of order\n", t->name, t->set.items[i].file);
      return -1;
    }
  return 0;
}

static int record(target *t, const migration *m) {
  return db_sql_exec(t->db, "INSERT INTO " VERSION_TABLE
                     " (version, name, checksum, applied_at)"
                     " VALUES (?, ?, ?, UTC_TIMESTAMP())",
                     STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(m->version),
                                        stratus_sql_text(m->file),
                                        stratus_sql_text(m->checksum)), NULL);
}

static int apply(target *t, const migration *m) {
  if (db_conn_simple(t->db, "START TRANSACTION") != 0)
    return fail(t, "START TRANSACTION");
  for (size_t i = 0; i < m->nstmts; i++) {
    if (db_conn_simple(t->db, m->stmts[i]) == 0) continue;
    fprintf(stderr, "db.%s: %s:%d: %s (%u)\n", t->name, m->file, m->lines[i],
            db_last_error(t->db), db_last_errno(t->db));
    db_conn_simple(t->db, "ROLLBACK");
    fprintf(stderr, "db.%s: %s not applied; DDL statements before line %d were "
            "committed by the server (MySQL commits DDL implicitly)\n", t->name,
            m->file, m->lines[i]);
    return -1;
  }
  if (record(t, m) != 0 || db_conn_simple(t->db, "COMMIT") != 0) {
    fail(t, "recording the version");
    db_conn_simple(t->db, "ROLLBACK");
    return -1;
  }
  return 0;
}

static int plan_and_apply(target *t, bool dry_run) {
  if (read_applied(t, dry_run) != 0 || verify(t) != 0) return -1;
  unsigned top = 0;
  size_t pending = 0;
  for (size_t i = 0; i < t->nrows; i++)
    if (t->rows[i].version > top) top = t->rows[i].version;
  for (size_t i = 0; i < t->set.n; i++)
    pending += !is_applied(t, t->set.items[i].version);
  printf("db.%s (%s, database %s): at version %u, %zu pending%s\n", t->name,
         t->kind, t->database, top, pending,
         dry_run && pending ? " (dry run: nothing changed)" : "");
  for (size_t i = 0; i < t->set.n; i++) {
    const migration *m = &t->set.items[i];
    if (is_applied(t, m->version)) continue;
    if (dry_run) {
      printf("  would apply %s (%zu statement(s))\n", m->file, m->nstmts);
      continue;
    }
    if (apply(t, m) != 0) return -1;
    printf("  applied %s (%zu statement(s))\n", m->file, m->nstmts);
  }
  fflush(stdout);
  return 0;
}

static int connect_and_run(target *t, const db_section *cfg, bool dry_run) {
  db_settings s;
  char err[1024];
  unsigned errnum = 0;
  if (db_settings_load(&s, cfg, err, sizeof(err)) != 0) {
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
  int rc = plan_and_apply(t, dry_run);
  db_conn_free(t->db);
  free(t->rows);
  return rc;
}

/* Every section's migrations are read and checked before any database is
 * touched: one refused file stops the whole run. */
static int load_targets(const host_config *hc, const char *only, const char *dir,
                        target *targets, size_t *n) {
  int rc = 0;
  *n = 0;
  for (size_t i = 0; i < host_config_db_count(hc); i++) {
    const char *name = host_config_db_name(hc, i);
    const db_section *cfg = host_config_db(hc, i);
    if (only && strcmp(name, only) != 0) continue;
    target *t = &targets[(*n)++];
    *t = (target){.name = name, .kind = db_schema_kind(name, cfg),
                  .database = cfg->database, .cfg = cfg};
    if (!t->kind) {
      printf("db.%s: no schema kind (set schema = auth, characters or world); skipped\n",
             name);
      if (only) rc = -1;
      continue;
    }
    char *kind_dir = xasprintf("%s/%s", dir, t->kind);
    strbuf errs;
    sb_init(&errs);
    if (migrations_load(kind_dir, &t->set, &errs) != 0) {
      fprintf(stderr, "%sdb.%s: refusing to migrate\n", errs.data, name);
      rc = -1;
    }
    sb_free(&errs);
    free(kind_dir);
  }
  return rc;
}

static int migrate_all(const host_config *hc, const char *only, const migrate_opts *o) {
  char *dir = sql_dir(o->sql_dir);
  target *targets = xcalloc(host_config_db_count(hc) + 1, sizeof(target));
  size_t n = 0;
  int failures = load_targets(hc, only, dir, targets, &n) != 0;
  for (size_t i = 0; i < n && !failures; i++)
    if (targets[i].kind)
      failures += connect_and_run(&targets[i], targets[i].cfg, o->dry_run) != 0;
  for (size_t i = 0; i < n; i++) migrations_free(&targets[i].set);
  free(targets);
  free(dir);
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
