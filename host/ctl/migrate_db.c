/* One database: what it has applied, per component (Stratus's own
 * migrations, then each plugin's), checked against the files, then the
 * pending files applied. Statements of a file run in one transaction with
 * the insert of its version row; MySQL commits DDL (CREATE, ALTER...)
 * implicitly, so a file whose later statement fails leaves its earlier DDL
 * applied: write DDL that can run twice (IF NOT EXISTS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "sql.h"

/* Stratus's own versions; the table predates plugin migrations. */
#define CORE_TABLE "stratus_schema_version"
/* Each plugin's versions, by plugin name. */
#define PLUGIN_TABLE "stratus_plugin_schema_version"

static void label(const migrate_target *t, const component *c, char *out,
                  size_t len) {
  if (c->plugin)
    snprintf(out, len, "db.%s plugin %s", t->name, c->plugin);
  else
    snprintf(out, len, "db.%s", t->name);
}

static int fail(const migrate_target *t, const char *what) {
  fprintf(stderr, "db.%s: %s: %s (%u)\n", t->name, what, db_last_error(t->db),
          db_last_errno(t->db));
  return -1;
}

static int table_exists(migrate_target *t, const char *table, bool *exists) {
  stratus_rows *r;
  if (db_sql_exec(t->db, "SELECT COUNT(*) FROM information_schema.TABLES "
                  "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                  STRATUS_SQL_PARAMS(stratus_sql_text(table)), &r) != 0)
    return fail(t, "reading information_schema");
  *exists = db_rows_next(r) == 1 && db_rows_int(r, 0) > 0;
  db_rows_free(r);
  return 0;
}

static int create_table(migrate_target *t, const char *table) {
  bool plugin = strcmp(table, PLUGIN_TABLE) == 0;
  char *sql = xasprintf(
      "CREATE TABLE IF NOT EXISTS %s (%s"
      "version INT UNSIGNED NOT NULL, name VARCHAR(200) NOT NULL, "
      "checksum CHAR(64) NOT NULL, applied_at DATETIME NOT NULL, "
      "PRIMARY KEY (%sversion)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
      table, plugin ? "plugin VARCHAR(64) NOT NULL, " : "", plugin ? "plugin, " : "");
  int rc = db_sql_exec(t->db, sql, NULL, 0, NULL);
  free(sql);
  if (rc != 0) {
    char *what = xasprintf("creating %s", table);
    fail(t, what);
    free(what);
  }
  return rc ? -1 : 0;
}

static component *component_for(migrate_target *t, const char *plugin) {
  for (size_t i = 1; i < t->nparts; i++)
    if (strcmp(t->parts[i].plugin, plugin) == 0) return &t->parts[i];
  /* applied by a plugin that has no files here (any more) */
  t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(component));
  component *c = &t->parts[t->nparts++];
  memset(c, 0, sizeof(*c));
  c->plugin = xstrdup(plugin);
  c->owned_name = true;
  return c;
}

static void add_row(component *c, unsigned version, const char *name,
                    const char *checksum) {
  grow_array((void **)&c->rows, &c->rows_cap, c->nrows + 1, sizeof(applied));
  applied *a = &c->rows[c->nrows++];
  a->version = version;
  snprintf(a->name, sizeof(a->name), "%s", name);
  snprintf(a->checksum, sizeof(a->checksum), "%s", checksum);
}

/* Rows of `table` into their components; the table is created when
 * something may be applied (never by a dry run). */
static int read_table(migrate_target *t, const char *table, bool create) {
  bool exists = false;
  if (table_exists(t, table, &exists) != 0) return -1;
  if (!exists && !create) return 0;
  if (!exists && create_table(t, table) != 0) return -1;
  bool plugin = strcmp(table, PLUGIN_TABLE) == 0;
  char *sql = xasprintf("SELECT %sversion, name, checksum FROM %s ORDER BY %sversion",
                        plugin ? "plugin, " : "", table, plugin ? "plugin, " : "");
  stratus_rows *r;
  int rc = db_sql_exec(t->db, sql, NULL, 0, &r);
  free(sql);
  if (rc != 0) return fail(t, "reading the version table");
  unsigned col = plugin ? 1 : 0;
  while (db_rows_next(r) == 1) {
    component *c = plugin ? component_for(t, db_rows_text(r, 0, NULL)) : &t->parts[0];
    add_row(c, (unsigned)db_rows_uint(r, col), db_rows_text(r, col + 1, NULL),
            db_rows_text(r, col + 2, NULL));
  }
  db_rows_free(r);
  return 0;
}

static bool any_plugin_files(const migrate_target *t) {
  for (size_t i = 1; i < t->nparts; i++)
    if (t->parts[i].set.n) return true;
  return false;
}

static const migration *find(const component *c, unsigned version) {
  for (size_t i = 0; i < c->set.n; i++)
    if (c->set.items[i].version == version) return &c->set.items[i];
  return NULL;
}

static bool is_applied(const component *c, unsigned version) {
  for (size_t i = 0; i < c->nrows; i++)
    if (c->rows[i].version == version) return true;
  return false;
}

static unsigned top_version(const component *c) {
  unsigned top = 0;
  for (size_t i = 0; i < c->nrows; i++)
    if (c->rows[i].version > top) top = c->rows[i].version;
  return top;
}

/* The database must hold only migrations this code has, unchanged, and
 * nothing may be pending below the newest applied one. */
static int verify(const migrate_target *t, const component *c) {
  char who[160];
  label(t, c, who, sizeof(who));
  for (size_t i = 0; i < c->nrows; i++) {
    const applied *a = &c->rows[i];
    const migration *m = find(c, a->version);
    if (!m) {
      fprintf(stderr, "%s: the database has migration %u (%s), which this code "
              "does not know: the database is newer than the code; refusing\n",
              who, a->version, a->name);
      return -1;
    }
    if (strcmp(m->checksum, a->checksum) != 0) {
      fprintf(stderr, "%s: %s was changed after it was applied (checksum %.12s "
              "in the database, %.12s on disk); refusing\n", who, m->file,
              a->checksum, m->checksum);
      return -1;
    }
  }
  unsigned top = top_version(c);
  for (size_t i = 0; i < c->set.n; i++)
    if (c->set.items[i].version < top && !is_applied(c, c->set.items[i].version)) {
      fprintf(stderr, "%s: %s is not applied but a later migration is; refusing "
              "to apply out of order\n", who, c->set.items[i].file);
      return -1;
    }
  return 0;
}

static int record(migrate_target *t, const component *c, const migration *m) {
  if (!c->plugin)
    return db_sql_exec(t->db, "INSERT INTO " CORE_TABLE
                       " (version, name, checksum, applied_at)"
                       " VALUES (?, ?, ?, UTC_TIMESTAMP())",
                       STRATUS_SQL_PARAMS(STRATUS_SQL_UINT_V(m->version),
                                          stratus_sql_text(m->file),
                                          stratus_sql_text(m->checksum)), NULL);
  return db_sql_exec(t->db, "INSERT INTO " PLUGIN_TABLE
                     " (plugin, version, name, checksum, applied_at)"
                     " VALUES (?, ?, ?, ?, UTC_TIMESTAMP())",
                     STRATUS_SQL_PARAMS(stratus_sql_text(c->plugin),
                                        STRATUS_SQL_UINT_V(m->version),
                                        stratus_sql_text(m->file),
                                        stratus_sql_text(m->checksum)), NULL);
}

static int apply(migrate_target *t, const component *c, const migration *m) {
  char who[160];
  label(t, c, who, sizeof(who));
  if (db_conn_simple(t->db, "START TRANSACTION") != 0)
    return fail(t, "START TRANSACTION");
  for (size_t i = 0; i < m->nstmts; i++) {
    if (db_conn_simple(t->db, m->stmts[i]) == 0) continue;
    fprintf(stderr, "%s: %s:%d: %s (%u)\n", who, m->file, m->lines[i],
            db_last_error(t->db), db_last_errno(t->db));
    db_conn_simple(t->db, "ROLLBACK");
    fprintf(stderr, "%s: %s not applied; DDL statements before line %d were "
            "committed by the server (MySQL commits DDL implicitly)\n", who,
            m->file, m->lines[i]);
    return -1;
  }
  if (record(t, c, m) != 0 || db_conn_simple(t->db, "COMMIT") != 0) {
    fail(t, "recording the version");
    db_conn_simple(t->db, "ROLLBACK");
    return -1;
  }
  return 0;
}

static void print_head(const migrate_target *t, const component *c,
                       size_t pending, bool dry_run) {
  const char *dry = dry_run && pending ? " (dry run: nothing changed)" : "";
  if (c->plugin)
    printf("db.%s plugin %s: at version %u, %zu pending%s\n", t->name, c->plugin,
           top_version(c), pending, dry);
  else
    printf("db.%s (%s, database %s): at version %u, %zu pending%s\n", t->name,
           t->kind, t->database, top_version(c), pending, dry);
}

static int apply_component(migrate_target *t, const component *c, bool dry_run) {
  if (c->plugin && !c->set.n) {
    if (!c->nrows) return 0;
    printf("db.%s plugin %s: at version %u; no migrations of it are installed "
           "for %s databases; left alone\n", t->name, c->plugin, top_version(c),
           t->kind);
    return 0;
  }
  size_t pending = 0;
  for (size_t i = 0; i < c->set.n; i++) pending += !is_applied(c, c->set.items[i].version);
  print_head(t, c, pending, dry_run);
  for (size_t i = 0; i < c->set.n; i++) {
    const migration *m = &c->set.items[i];
    if (is_applied(c, m->version)) continue;
    if (dry_run) {
      printf("  would apply %s (%zu statement(s))\n", m->file, m->nstmts);
      continue;
    }
    if (apply(t, c, m) != 0) return -1;
    printf("  applied %s (%zu statement(s))\n", m->file, m->nstmts);
  }
  return 0;
}

int migrate_target_run(migrate_target *t, bool dry_run) {
  if (read_table(t, CORE_TABLE, !dry_run) != 0 ||
      read_table(t, PLUGIN_TABLE, !dry_run && any_plugin_files(t)) != 0)
    return -1;
  /* A plugin with no files here is left alone; the core always checks. */
  for (size_t i = 0; i < t->nparts; i++)
    if ((i == 0 || t->parts[i].set.n) && verify(t, &t->parts[i]) != 0) return -1;
  for (size_t i = 0; i < t->nparts; i++)
    if (apply_component(t, &t->parts[i], dry_run) != 0) return -1;
  fflush(stdout);
  return 0;
}

void migrate_target_free(migrate_target *t) {
  for (size_t i = 0; i < t->nparts; i++) {
    component *c = &t->parts[i];
    migrations_free(&c->set);
    free(c->rows);
    if (c->owned_name) free((char *)c->plugin);
  }
  free(t->parts);
  t->parts = NULL;
  t->nparts = 0;
}
