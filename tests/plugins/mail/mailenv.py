"""Test environment of the mail plugin: a private MariaDB with two realms'
characters databases (the project's fixture or AzerothCore's real schema,
migrated with stratusctl), a nats-server, stratusd processes with the mail
plugin, grpcio MailService clients and a NATS subscriber playing the gateway."""

import json
import os
import subprocess
import tempfile
import time

import grpc

import schema
from mariadb import MariaDB
from natsclient import NatsClient, parse_envelope
from natsserver import NatsServer
from stratusd import REPO, Stratusd, build_path

from mail import mail_pb2 as pb, mail_pb2_grpc as pbg  # noqa: F401  (re-exported)

REALMS = (1, 2)
# ToCloud9's MailIncomingPayload, in the Go struct's order, with Go's JSON types.
INCOMING_KEYS = ["RealmID", "SenderGUID", "ReceiverGUID", "DeliveryTimestamp", "MailID"]
# Characters seeded on every realm: (guid, account, name).
CHARACTERS = [(1, 1, "Alice"), (2, 2, "Bob"), (3, 3, "Carol")] + \
    [(100 + i, 100 + i, f"Chaos{i}") for i in range(40)]
READ, RETURNED, COD_PAYMENT = 0x01, 0x02, 0x08


def env_for_tools():
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    return e


def db_section(db, realm, name, pool_size=4):
    return (f"[db.characters.{realm}]\nsocket = {db.socket}\nuser = root\n"
            f"database = {name}\npool_size = {pool_size}\n\n")


class World:
    """MariaDB + nats-server + the realms' databases, shared by a test class."""

    def __init__(self, kind="fixture"):
        self.kind = kind
        self.db = MariaDB().start()
        self.nats = NatsServer().start()
        self.databases = {r: f"mail_{kind}_r{r}" for r in REALMS}
        try:
            for realm, name in self.databases.items():
                if kind == "fixture":
                    schema.load_fixture(self.db, None, name)
                elif not schema.load_real_azerothcore(self.db, f"mail_auth_r{realm}", name):
                    raise FileNotFoundError("no AzerothCore schema")
                self.seed(name)
            self.migrate()
        except BaseException:
            self.stop()
            raise

    def seed(self, database):
        for guid, account, name in CHARACTERS:
            self.db.execute(database, "INSERT INTO characters (guid, account, name, race, class, "
                            "gender, level, zone, map, position_x, position_y, position_z, "
                            "taximask, innTriggerId, equipmentCache) VALUES "
                            "(%s, %s, %s, 1, 1, 0, 10, 12, 0, 0, 0, 0, '', 0, '')",
                            (guid, account, name))

    def sections(self, pool_size=4):
        return "".join(db_section(self.db, r, n, pool_size) for r, n in self.databases.items())

    def migrate(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write(self.sections())
        try:
            r = subprocess.run([build_path("bin", "stratusctl"), "-c", f.name, "migrate",
                                "--sql-dir", os.path.join(REPO, "sql")],
                               capture_output=True, text=True, env=env_for_tools(), timeout=120)
        finally:
            os.unlink(f.name)
        if r.returncode != 0:
            raise RuntimeError(f"migrate failed: {r.stdout}\n{r.stderr}")

    def daemon(self, plugin_extra="", extra="", pool_size=4):
        d = Stratusd(log_level="info")
        d.sections_extra = (self.sections(pool_size) +
                            f"[bus]\nnats_url = {self.nats.url}\nreconnect_wait = 200ms\n\n" + extra)
        d.write_config("[plugin.mail]\nenabled = yes\n" + plugin_extra)
        d.start()
        return d

    def stop(self):
        self.nats.stop()
        self.db.stop()

    # -- rows ------------------------------------------------------------------------
    def q(self, realm, sql, args=None):
        return tuple(tuple(r) for r in self.db.query(self.databases[realm], sql, args))

    def x(self, realm, sql, args=None):
        return self.db.execute(self.databases[realm], sql, args)

    def add_item(self, realm, guid, owner, entry=100, count=1):
        self.x(realm, "INSERT INTO item_instance (guid, itemEntry, owner_guid, count, charges, "
                      "flags, enchantments, durability, text) VALUES "
                      "(%s, %s, %s, %s, '3 0 0 0 0 ', 1, '', 55, 'hello')",
                 (guid, entry, owner, count))

    def snapshot(self, realm):
        """Every row a mail call may change, to assert that a refused call changed nothing."""
        tables = ("mail", "mail_items", "item_instance", "stratus_mail_send", "stratus_mail_claim")
        return {t: sorted(self.q(realm, f"SELECT * FROM {t}")) for t in tables}


def item(guid, entry=100, count=1):
    return pb.ItemAttachment(guid=guid, entry=entry, count=count)


def call(stub, method, request, key=None, timeout=10):
    """(code, response or details) of one call, with x-idempotency-key when given."""
    md = (("x-idempotency-key", key),) if key else None
    try:
        return grpc.StatusCode.OK, getattr(stub, method)(request, timeout=timeout, metadata=md)
    except grpc.RpcError as e:
        return e.code(), e.details()


def incoming(nc, count, timeout=5):
    """mail.incoming payloads, decoded as ToCloud9's gateway decodes them."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            subj, data = nc.next_message(timeout=max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        if subj == "mail.incoming":
            env = parse_envelope(data)
            got.append((env, json.loads(data)))
    return got
