"""Shared helpers of the guid plugin tests: characters databases with the
fixture or the real AzerothCore schema plus the guid migration, stratusd
configs, a grpcio client, and reading the reservation rows back."""

import os
import shutil
import subprocess
import tempfile
import time

import grpc

import schema
from stratusd import REPO, Stratusd, build_path

from guid import guid_pb2, guid_pb2_grpc

MIGRATION = os.path.join(REPO, "sql", "characters", "0001_guid_reservations.sql")
CTL = build_path("bin", "stratusctl")
CHARACTER, ITEM, INSTANCE = 0, 1, 2
TYPES = (CHARACTER, ITEM, INSTANCE)
TYPE_NAMES = {CHARACTER: "character", ITEM: "item", INSTANCE: "instance"}
# the AzerothCore table and id column of each type
TABLES = {CHARACTER: ("characters", "guid"), ITEM: ("item_instance", "guid"),
          INSTANCE: ("instance", "id")}
LAST = 0xFFFFFFFD  # the last GUID the plugin hands out


def load_schema(db, database, real):
    """A fresh characters database `database`: the real AzerothCore schema when
    `real` (False when it is not available here), else the fixture."""
    if real:
        return schema.load_real_azerothcore(db, database + "_auth", database)
    schema.load_fixture(db, None, database)
    return True


def migrate(db, database):
    """Apply the guid migration with `stratusctl migrate` (only this file, so
    the test does not depend on other plugins' migrations)."""
    tmp = tempfile.mkdtemp(prefix="guid-migrate-")
    try:
        os.makedirs(os.path.join(tmp, "sql", "characters"))
        shutil.copy(MIGRATION, os.path.join(tmp, "sql", "characters"))
        config = os.path.join(tmp, "stratus.ini")
        with open(config, "w") as f:
            f.write(f"[db.characters.1]\nsocket = {db.socket}\nuser = root\n"
                    f"database = {database}\n")
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:exitcode=23")
        r = subprocess.run([CTL, "-c", config, "migrate", "--sql-dir",
                            os.path.join(tmp, "sql")], capture_output=True, text=True,
                           env=env, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"migrate failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r.stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def db_section(db, realm, database, pool_size=4, **extra):
    lines = [f"[db.characters.{realm}]", f"socket = {db.socket}", "user = root",
             f"database = {database}", f"pool_size = {pool_size}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n\n"


def plugin_section(**keys):
    return "[plugin.guid]\nenabled = yes\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())


def daemon(db_sections, plugin=None, **kw):
    d = Stratusd(sections=plugin if plugin is not None else plugin_section(), **kw)
    d.sections_extra = db_sections
    d.write_config(plugin if plugin is not None else plugin_section())
    return d


# Reconnect quickly to a restarted daemon (grpcio's default backoff starts at 1 s).
FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 50),
                  ("grpc.min_reconnect_backoff_ms", 50),
                  ("grpc.max_reconnect_backoff_ms", 200)]


class Client:
    def __init__(self, target):
        self.channel = grpc.insecure_channel(target, options=FAST_RECONNECT)
        self.stub = guid_pb2_grpc.GuidServiceStub(self.channel)

    def pool(self, realm, guid_type, size, timeout=20):
        """GetGUIDPool; the response message."""
        return self.stub.GetGUIDPool(guid_pb2.GetGUIDPoolRequest(
            realmID=realm, guidType=guid_type, desiredPoolSize=size), timeout=timeout)

    def ranges(self, realm, guid_type, size, timeout=20):
        """GetGUIDPool; the diapasons as [(start, end)]."""
        return [(r.start, r.end) for r in self.pool(realm, guid_type, size, timeout).receiverGUID]

    def error(self, realm, guid_type, size, timeout=20):
        """(status code, details) of a call expected to fail."""
        try:
            r = self.pool(realm, guid_type, size, timeout)
        except grpc.RpcError as e:
            return e.code(), e.details()
        raise AssertionError(f"expected an error, got {r}")

    def close(self):
        self.channel.close()


def reservations(db, database):
    """{guid_type: (next_guid, ranges_reserved, guids_reserved, updated_at)}"""
    return {row[0]: tuple(row[1:]) for row in db.query(
        database, "SELECT guid_type, next_guid, ranges_reserved, guids_reserved, updated_at "
                  "FROM stratus_guid_range ORDER BY guid_type")}


def reset(db, database):
    """Empty the AzerothCore id tables and put the reservation rows back to the
    migration's seed."""
    for table, _ in TABLES.values():
        db.execute(database, f"DELETE FROM `{table}`")
    db.execute(database, "DELETE FROM stratus_guid_range")
    db.execute(database, "INSERT INTO stratus_guid_range (guid_type, next_guid) "
                         "VALUES (0, 1), (1, 1), (2, 1)")


def insert_id(db, database, guid_type, value):
    """Write a row with id `value` into the type's AzerothCore table the way a
    worldserver outside the cluster would (required columns filled with zero
    values)."""
    table, column = TABLES[guid_type]
    required = db.query(None, """
        SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND IS_NULLABLE = 'NO'
           AND COLUMN_DEFAULT IS NULL AND COLUMN_NAME <> %s""", (database, table, column))
    cols = [column] + [c for c, _ in required]
    values = [value] + [0 if t.endswith("int") or t in ("float", "double", "decimal")
                        else f"n{value % 100000}" if c == "name" else ""
                        for c, t in required]
    db.execute(database, f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in cols)}) "
                         f"VALUES ({', '.join(['%s'] * len(cols))})", values)


def wait_until(predicate, what, timeout=20, interval=0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(interval)
