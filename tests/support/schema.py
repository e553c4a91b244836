"""Schema helpers: compare tables across databases, load the real AzerothCore schema.

    diffs = compare_tables(db, "fixture_chars", "ac_chars", ["guild", "guild_member"])
    assert not diffs, "\\n".join(map(str, diffs))

compare_tables reads information_schema (COLUMNS, STATISTICS, TABLES) on one
server and reports, per table: missing tables, column names and order,
COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA (auto_increment, on update...),
primary and unique key columns, and optionally collations, plain (non-unique)
indexes and the table engine/collation.
"""

import collections
import os
import subprocess
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "sql", "fixture")


def azerothcore_dir():
    """The real AzerothCore schema dir: $STRATUS_AZEROTHCORE_DIR, else ../shared/azerothcore
    beside the repository. None when it does not exist."""
    path = os.environ.get("STRATUS_AZEROTHCORE_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(FIXTURE_DIR)), "..", "shared", "azerothcore")
    path = os.path.normpath(path)
    return path if os.path.isfile(os.path.join(path, "load.sh")) else None


Difference = collections.namedtuple("Difference", "table what a b")
Difference.__str__ = lambda d: f"{d.table}: {d.what}: {d.a!r} != {d.b!r}"


def _columns(m, db, table):
    rows = m.query(None, """
        SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
               EXTRA, COLLATION_NAME
          FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s
         ORDER BY ORDINAL_POSITION""", (db, table))
    return rows


def _indexes(m, db, table):
    """{index name: (unique, (col[(sub_part)], ...))}"""
    rows = m.query(None, """
        SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, COLLATION
          FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s
         ORDER BY INDEX_NAME, SEQ_IN_INDEX""", (db, table))
    out = {}
    for name, non_unique, _seq, col, sub_part, order in rows:
        unique, cols = out.get(name, (int(non_unique) == 0, ()))
        part = col + (f"({sub_part})" if sub_part else "") + (" DESC" if order == "D" else "")
        out[name] = (unique, cols + (part,))
    return out


def _table_info(m, db, table):
    rows = m.query(None, """
        SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s""", (db, table))
    return rows[0] if rows else None


def _checks(m, db, table):
    """{constraint name: clause} of the table's CHECK constraints."""
    return dict(m.query(None, """
        SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
         WHERE CONSTRAINT_SCHEMA = %s AND TABLE_NAME = %s""", (db, table)))


def compare_tables(m, db_a, db_b, tables, collations=True, indexes=True, table_options=True):
    """Differences between `tables` in db_a and db_b on MariaDB `m` (an empty list
    when they agree). Always compared: presence, column names and order,
    COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, primary key and unique
    keys (by column list). Optional: column collations, non-unique indexes
    (by column list), and table options (engine, table collation, CHECK
    constraints)."""
    diffs = []
    for t in tables:
        info_a, info_b = _table_info(m, db_a, t), _table_info(m, db_b, t)
        if info_a is None or info_b is None:
            diffs.append(Difference(t, "table exists", info_a is not None, info_b is not None))
            continue
        if table_options:
            if info_a[0] != info_b[0]:
                diffs.append(Difference(t, "engine", info_a[0], info_b[0]))
            if info_a[1] != info_b[1]:
                diffs.append(Difference(t, "table collation", info_a[1], info_b[1]))
            checks_a, checks_b = _checks(m, db_a, t), _checks(m, db_b, t)
            if checks_a != checks_b:
                diffs.append(Difference(t, "check constraints", checks_a, checks_b))
        diffs += _compare_columns(t, _columns(m, db_a, t), _columns(m, db_b, t), collations)
        diffs += _compare_keys(t, _indexes(m, db_a, t), _indexes(m, db_b, t), indexes)
    return diffs


def _compare_columns(t, cols_a, cols_b, collations):
    diffs = []
    names_a = [c[0] for c in cols_a]
    names_b = [c[0] for c in cols_b]
    for name in names_a:
        if name not in names_b:
            diffs.append(Difference(t, f"column `{name}`", "present", "missing"))
    for name in names_b:
        if name not in names_a:
            diffs.append(Difference(t, f"column `{name}`", "missing", "present"))
    common_a = [n for n in names_a if n in names_b]
    common_b = [n for n in names_b if n in names_a]
    if common_a != common_b:
        diffs.append(Difference(t, "column order", common_a, common_b))
    by_b = {c[0]: c for c in cols_b}
    fields = ["COLUMN_TYPE", "IS_NULLABLE", "COLUMN_DEFAULT", "EXTRA"]
    if collations:
        fields.append("COLLATION_NAME")
    for ca in cols_a:
        cb = by_b.get(ca[0])
        if cb is None:
            continue
        for i, field in enumerate(fields, start=2):
            if ca[i] != cb[i]:
                diffs.append(Difference(t, f"column `{ca[0]}` {field}", ca[i], cb[i]))
    return diffs


def _key_sets(idx, unique):
    """Keys as {column tuple: index name}; PRIMARY kept under its own name."""
    return {cols: name for name, (u, cols) in idx.items() if u == unique and name != "PRIMARY"}


def _compare_keys(t, idx_a, idx_b, indexes):
    diffs = []
    pk_a = idx_a.get("PRIMARY", (True, ()))[1]
    pk_b = idx_b.get("PRIMARY", (True, ()))[1]
    if pk_a != pk_b:
        diffs.append(Difference(t, "primary key", list(pk_a), list(pk_b)))
    kinds = [(True, "unique key")] + ([(False, "index")] if indexes else [])
    for unique, what in kinds:
        a, b = _key_sets(idx_a, unique), _key_sets(idx_b, unique)
        for cols in sorted(set(a) | set(b)):
            if cols not in b:
                diffs.append(Difference(t, f"{what} {a[cols]} {list(cols)}", "present", "missing"))
            elif cols not in a:
                diffs.append(Difference(t, f"{what} {b[cols]} {list(cols)}", "missing", "present"))
            elif a[cols] != b[cols]:
                diffs.append(Difference(t, f"{what} name on {list(cols)}", a[cols], b[cols]))
    return diffs


def list_tables(m, db):
    return [r[0] for r in m.query(None, """
        SELECT TABLE_NAME FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME""", (db,))]


def load_fixture(m, auth_db=None, chars_db=None):
    """Create and load the project's fixture (sql/fixture/auth.sql, characters.sql)."""
    for db, name in ((auth_db, "auth.sql"), (chars_db, "characters.sql")):
        if db:
            m.drop_database(db)
            m.create_database(db)
            m.load_sql_file(db, os.path.join(FIXTURE_DIR, name))


def load_real_azerothcore(m, auth_db, chars_db, ac_dir=None):
    """Load AzerothCore's real base schema into auth_db and chars_db (dropped and
    re-created) with its own load.sh. Returns False when the schema dir is
    missing (callers skip), True when loaded; raises on a load failure."""
    ac_dir = ac_dir or azerothcore_dir()
    if not ac_dir or not os.path.isfile(os.path.join(ac_dir, "load.sh")):
        return False
    if any(ch.isspace() for ch in m.socket):
        raise ValueError("load.sh splits $MYSQL on spaces; the socket path has one")
    env = dict(os.environ, MYSQL=" ".join(m.client_argv()), AUTH_DB=auth_db,
               CHARS_DB=chars_db)
    r = subprocess.run(["bash", os.path.join(ac_dir, "load.sh")], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"AzerothCore load.sh failed (rc {r.returncode}):\n"
                           f"{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    return True


def migrate(m, databases, only=None, dry_run=False, sql_dir=None, plugin_sql=None):
    """Apply Stratus's own migrations and every plugin's to `databases` on MariaDB
    `m` ({"auth": "acore_auth", "characters.1": "chars1", ...}: [db.<name>] ->
    database) with the build tree's `stratusctl migrate`, the code path of an
    installed one: sql/<kind>/ and plugins/<plugin>/sql/<kind>/ of this checkout
    (or `sql_dir` and `plugin_sql`). `only` names one section. Returns its
    output; raises RuntimeError when it fails."""
    from stratusd import build_path
    config = "".join(f"[db.{name}]\nsocket = {m.socket}\nuser = root\ndatabase = {db}\n\n"
                     for name, db in databases.items())
    argv = [build_path("bin", "stratusctl"), "-c", None, "migrate",
            "--sql-dir", sql_dir or os.path.join(REPO, "sql"),
            "--plugin-sql", plugin_sql or os.path.join(REPO, "plugins")]
    argv += (["--db", only] if only else []) + (["--dry-run"] if dry_run else [])
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    with tempfile.NamedTemporaryFile("w", suffix=".ini") as f:
        f.write(config)
        f.flush()
        argv[2] = f.name
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"stratusctl migrate failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout
