"""`stratusctl migrate` against a real MariaDB: the project's AzerothCore
fixture and, when ../shared/azerothcore exists, the real AzerothCore schema."""

import os
import shutil
import subprocess
import tempfile
import unittest

import schema
from mariadb import MariaDB
from stratusd import REPO, build_path

CTL = build_path("bin", "stratusctl")

MIGRATIONS = {
    "auth/0001_stratus_probe.sql": """-- a Stratus table, with comments; and a value
CREATE TABLE IF NOT EXISTS stratus_probe (
  id INT UNSIGNED NOT NULL PRIMARY KEY,  -- the key
  note VARCHAR(40) NOT NULL DEFAULT 'a; b' # still a comment
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/* a block
   comment; with a semicolon */
INSERT INTO stratus_probe (id, note) VALUES (1, 'first;');
""",
    "auth/0002_account_flag.sql":
        "ALTER TABLE account ADD COLUMN IF NOT EXISTS stratus_flag TINYINT UNSIGNED "
        "NOT NULL DEFAULT 0;\n",
    "characters/0001_stratus_guild_note.sql":
        "CREATE TABLE IF NOT EXISTS stratus_guild_note (\n"
        "  guildid INT UNSIGNED NOT NULL PRIMARY KEY,\n"
        "  note VARCHAR(100) NOT NULL DEFAULT ''\n) ENGINE=InnoDB;\n",
}


PLUGIN_MIGRATIONS = {
    "plugins/alpha/characters/0001_stratus_alpha.sql":
        "CREATE TABLE IF NOT EXISTS stratus_alpha (id INT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB;\n",
    "plugins/alpha/characters/0002_stratus_alpha_row.sql":
        "INSERT INTO stratus_alpha (id) VALUES (7);\n",
    "plugins/beta/characters/0001_stratus_beta.sql":
        "CREATE TABLE IF NOT EXISTS stratus_beta (id INT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB;\n",
}


def env():
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    return e


class MigrateTest(unittest.TestCase):
    auth, chars = "mig_auth", "mig_chars"

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stratus-migrate-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.sql = os.path.join(self.dir, "sql")
        self.write_migrations(MIGRATIONS)
        self.config = os.path.join(self.dir, "stratus.ini")
        self.load_schema()
        with open(self.config, "w") as f:
            for name, database in (("auth", self.auth), ("characters.1", self.chars)):
                f.write(f"[db.{name}]\nsocket = {self.db.socket}\nuser = root\n"
                        f"database = {database}\n\n")

    def load_schema(self):
        schema.load_fixture(self.db, self.auth, self.chars)

    def write_migrations(self, files, root=None):
        root = root or self.sql
        for rel, text in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)

    def migrate(self, *args, sql_dir=None):
        r = subprocess.run([CTL, "-c", self.config, "migrate", "--sql-dir", sql_dir or self.sql,
                            *args], capture_output=True, text=True, env=env(), timeout=120)
        self.assertNotEqual(r.returncode, 23, "LeakSanitizer: " + r.stderr)
        return r

    def versions(self, database):
        if not self.has_table(database, "stratus_schema_version"):
            return None
        return self.db.query(database, "SELECT version, name, checksum, applied_at "
                                       "FROM stratus_schema_version ORDER BY version")

    def has_table(self, database, table):
        return bool(self.db.query(None, "SELECT 1 FROM information_schema.TABLES WHERE "
                                        "TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                                  (database, table)))

    def columns(self, database):
        """AzerothCore's own columns (not stratus_*), with their definitions."""
        return self.db.query(None, """
            SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE,
                   COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS
             WHERE TABLE_SCHEMA = %s AND TABLE_NAME NOT LIKE 'stratus\\_%%'
               AND COLUMN_NAME NOT LIKE 'stratus\\_%%'
             ORDER BY TABLE_NAME, ORDINAL_POSITION""", (database,))

    # -----------------------------------------------------------------------
    def test_dry_run_apply_and_reapply(self):
        r = self.migrate("--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"db.auth (auth, database {self.auth}): at version 0, 2 pending", r.stdout)
        self.assertIn("would apply 0001_stratus_probe.sql (2 statement(s))", r.stdout)
        self.assertIn("would apply 0002_account_flag.sql", r.stdout)
        self.assertIn("would apply 0001_stratus_guild_note.sql", r.stdout)
        self.assertIsNone(self.versions(self.auth), "dry run created the version table")
        self.assertFalse(self.has_table(self.auth, "stratus_probe"))

        r = self.migrate()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("applied 0002_account_flag.sql", r.stdout)
        first = self.versions(self.auth)
        self.assertEqual([(v, n) for v, n, _, _ in first],
                         [(1, "0001_stratus_probe.sql"), (2, "0002_account_flag.sql")])
        self.assertEqual(len(first[0][2]), 64)
        self.assertEqual(self.db.query(self.auth, "SELECT id, note FROM stratus_probe"),
                         [(1, "first;")])
        self.assertEqual(self.db.query(self.auth, "SELECT DEFAULT(note) FROM stratus_probe"),
                         [("a; b",)])
        self.assertEqual([v for v, *_ in self.versions(self.chars)], [1])

        r = self.migrate()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("at version 2, 0 pending", r.stdout)
        self.assertNotIn("applied", r.stdout.replace("applied_at", ""))
        self.assertEqual(self.versions(self.auth), first)

        r = self.migrate("--dry-run", "--db", "characters.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(),
                         f"db.characters.1 (characters, database {self.chars}): at version 1, 0 pending")

    def test_pending_migration_applies_after_earlier_ones(self):
        self.assertEqual(self.migrate().returncode, 0)
        self.write_migrations({"auth/0003_stratus_more.sql":
                               "CREATE TABLE IF NOT EXISTS stratus_more (id INT PRIMARY KEY);\n"})
        r = self.migrate("--dry-run", "--db", "auth")
        self.assertIn("at version 2, 1 pending (dry run: nothing changed)", r.stdout)
        self.assertFalse(self.has_table(self.auth, "stratus_more"))
        r = self.migrate("--db", "db.auth")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([v for v, *_ in self.versions(self.auth)], [1, 2, 3])

    def test_database_newer_than_the_code_is_refused(self):
        self.assertEqual(self.migrate().returncode, 0)
        older = os.path.join(self.dir, "older")
        self.write_migrations({k: v for k, v in MIGRATIONS.items() if "0002" not in k}, older)
        before = self.versions(self.auth)
        r = self.migrate(sql_dir=older)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("the database has migration 2 (0002_account_flag.sql), which this code "
                      "does not know: the database is newer than the code; refusing", r.stderr)
        self.assertEqual(self.versions(self.auth), before)

    def test_changed_migration_is_refused(self):
        self.assertEqual(self.migrate().returncode, 0)
        self.write_migrations({"characters/0001_stratus_guild_note.sql":
                               MIGRATIONS["characters/0001_stratus_guild_note.sql"] + "-- edit\n"})
        r = self.migrate("--db", "characters.1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("0001_stratus_guild_note.sql was changed after it was applied", r.stderr)

    def test_altering_azerothcore_columns_is_refused(self):
        before_auth, before_chars = self.columns(self.auth), self.columns(self.chars)
        cases = {
            "auth/0003_bad.sql": "ALTER TABLE account MODIFY COLUMN username VARCHAR(40) NOT NULL;\n",
            "characters/0002_bad.sql": "ALTER TABLE guild ADD COLUMN stratus_x INT,\n"
                                       "  DROP COLUMN motd;\n",
        }
        for rel, text in cases.items():
            bad = os.path.join(self.dir, "bad-" + rel.split("/")[0])
            self.write_migrations(dict(MIGRATIONS, **{rel: text}), bad)
            r = self.migrate(sql_dir=bad)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("refused", r.stderr)
        for stmt, why in [("DROP TABLE guild_member;", "DROP TABLE `guild_member`"),
                          ("ALTER TABLE account DROP COLUMN email;", "would drop `email`"),
                          ("ALTER TABLE account CHANGE username login VARCHAR(32);",
                           "would alter `username`"),
                          ("TRUNCATE TABLE account;", "TRUNCATE `account`")]:
            bad = os.path.join(self.dir, "bad-one")
            shutil.rmtree(bad, ignore_errors=True)
            self.write_migrations({"auth/0001_bad.sql": stmt}, bad)
            r = self.migrate("--db", "auth", sql_dir=bad)
            self.assertNotEqual(r.returncode, 0, stmt)
            self.assertIn(why, r.stderr)
        self.assertEqual(self.columns(self.auth), before_auth)
        self.assertEqual(self.columns(self.chars), before_chars)
        self.assertIsNone(self.versions(self.auth), "a refused run touched the database")

    def test_stratus_tables_may_change(self):
        self.write_migrations({"auth/0003_stratus_probe_more.sql":
                               "ALTER TABLE stratus_probe ADD COLUMN extra INT, DROP COLUMN note;\n"
                               "ALTER TABLE account DROP COLUMN stratus_flag;\n"})
        r = self.migrate("--db", "auth")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([v for v, *_ in self.versions(self.auth)], [1, 2, 3])

    def test_failing_statement_records_nothing(self):
        self.write_migrations({"auth/0003_stratus_fails.sql":
                               "INSERT INTO stratus_probe (id, note) VALUES (2, 'x');\n"
                               "INSERT INTO stratus_no_such_table VALUES (1);\n"})
        r = self.migrate("--db", "auth")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("0003_stratus_fails.sql:2:", r.stderr)
        self.assertEqual([v for v, *_ in self.versions(self.auth)], [1, 2])
        self.assertEqual(self.db.query(self.auth, "SELECT id FROM stratus_probe"), [(1,)],
                         "the failed file's transaction was not rolled back")

    def test_project_migrations_apply(self):
        """The repository's own sql/ and plugins' sql/ (whatever they hold) apply
        and re-apply."""
        for _ in range(2):
            r = self.migrate("--plugin-sql", os.path.join(REPO, "plugins"),
                             sql_dir=os.path.join(REPO, "sql"))
            self.assertEqual(r.returncode, 0, r.stderr)


    # ---- plugins' own migrations ------------------------------------------------
    def plugin_versions(self, database):
        if not self.has_table(database, "stratus_plugin_schema_version"):
            return None
        return self.db.query(database, "SELECT plugin, version, name FROM "
                                       "stratus_plugin_schema_version ORDER BY plugin, version")

    def test_plugin_migrations_are_applied_and_tracked_per_plugin(self):
        self.write_migrations(PLUGIN_MIGRATIONS)
        r = self.migrate("--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("db.characters.1 plugin alpha: at version 0, 2 pending "
                      "(dry run: nothing changed)\n  would apply 0001_stratus_alpha.sql "
                      "(1 statement(s))\n  would apply 0002_stratus_alpha_row.sql", r.stdout)
        self.assertIn("db.characters.1 plugin beta: at version 0, 1 pending", r.stdout)
        self.assertNotIn("db.auth plugin", r.stdout)  # neither has auth migrations
        self.assertIsNone(self.plugin_versions(self.chars), "a dry run created the table")

        r = self.migrate()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.plugin_versions(self.chars),
                         [("alpha", 1, "0001_stratus_alpha.sql"),
                          ("alpha", 2, "0002_stratus_alpha_row.sql"),
                          ("beta", 1, "0001_stratus_beta.sql")])
        self.assertEqual(self.db.query(self.chars, "SELECT id FROM stratus_alpha"), [(7,)])
        # Stratus's own versions are apart, and a database without plugin
        # migrations of its kind gets no plugin table
        self.assertEqual([v for v, *_ in self.versions(self.chars)], [1])
        self.assertIsNone(self.plugin_versions(self.auth))

        self.write_migrations({"plugins/beta/characters/0002_stratus_beta_more.sql":
                               "ALTER TABLE stratus_beta ADD COLUMN note INT;\n"})
        r = self.migrate("--db", "characters.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("db.characters.1 plugin alpha: at version 2, 0 pending\n"
                      "db.characters.1 plugin beta: at version 1, 1 pending\n"
                      "  applied 0002_stratus_beta_more.sql", r.stdout)

    def test_plugin_database_newer_than_its_code_is_refused(self):
        self.write_migrations(PLUGIN_MIGRATIONS)
        self.assertEqual(self.migrate().returncode, 0)
        older = os.path.join(self.dir, "older")
        self.write_migrations(dict(MIGRATIONS, **{
            k: v for k, v in PLUGIN_MIGRATIONS.items() if "0002" not in k}), older)
        self.write_migrations({"plugins/beta/characters/0002_stratus_beta_more.sql":
                               "ALTER TABLE stratus_beta ADD COLUMN note INT;\n"}, older)
        before = self.plugin_versions(self.chars)
        r = self.migrate(sql_dir=older)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("db.characters.1 plugin alpha: the database has migration 2 "
                      "(0002_stratus_alpha_row.sql), which this code does not know: the "
                      "database is newer than the code; refusing", r.stderr)
        self.assertEqual(self.plugin_versions(self.chars), before, "beta's 0002 was applied")

        # a plugin whose files are gone (uninstalled) is left alone
        shutil.rmtree(os.path.join(self.sql, "plugins", "beta"))
        r = self.migrate("--db", "characters.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("db.characters.1 plugin beta: at version 1; no migrations of it are "
                      "installed for characters databases; left alone", r.stdout)

    def test_plugin_migrations_are_guarded_and_named(self):
        self.write_migrations({"plugins/alpha/auth/0001_bad.sql":
                               "ALTER TABLE account DROP COLUMN email;\n"})
        r = self.migrate()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("plugins/alpha/auth/0001_bad.sql:1: refused: would drop `email`", r.stderr)
        shutil.rmtree(os.path.join(self.sql, "plugins", "alpha"))
        os.makedirs(os.path.join(self.sql, "plugins", "Bad Name"))
        r = self.migrate()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Bad Name: not a plugin name", r.stderr)
        self.assertIsNone(self.versions(self.auth), "a refused run touched the database")

    def test_plugin_sources_layout(self):
        """--plugin-sql DIR reads DIR/<plugin>/sql/<kind>/, a source tree's plugins/."""
        src = os.path.join(self.dir, "src-plugins")
        self.write_migrations({k.replace("plugins/alpha/", "alpha/sql/"): v
                               for k, v in PLUGIN_MIGRATIONS.items() if "alpha" in k}, src)
        os.makedirs(os.path.join(src, "common"))  # a folder without sql/ is no plugin
        r = self.migrate("--plugin-sql", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([(p, v) for p, v, _ in self.plugin_versions(self.chars)],
                         [("alpha", 1), ("alpha", 2)])

    def test_build_tree_stratusctl_reads_the_checkout(self):
        """Without --sql-dir the build tree's stratusctl applies this checkout's
        sql/ and plugins/<name>/sql/, as tests/support/schema.migrate does."""
        r = subprocess.run([CTL, "-c", self.config, "migrate", "--dry-run"],
                           capture_output=True, text=True, env=env(), timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        ours = len([f for f in os.listdir(os.path.join(REPO, "sql", "characters"))
                    if f.endswith(".sql")])
        self.assertIn(f"db.characters.1 (characters, database {self.chars}): at version 0, "
                      f"{ours} pending", r.stdout)
        out = schema.migrate(self.db, {"auth": self.auth, "characters.1": self.chars})
        self.assertIn(f"{ours} pending", out)
        self.assertEqual(len(self.versions(self.chars)), ours)

class MigrateRealAzerothCoreTest(MigrateTest):
    """The same against AzerothCore's real auth and characters schemas."""
    auth, chars = "ac_auth", "ac_chars"

    @classmethod
    def setUpClass(cls):
        if not schema.azerothcore_dir():
            raise unittest.SkipTest("no ../shared/azerothcore")
        super().setUpClass()

    def load_schema(self):
        if not schema.load_real_azerothcore(self.db, self.auth, self.chars):
            self.skipTest("no ../shared/azerothcore")


if __name__ == "__main__":
    unittest.main()
