"""Test environment of the chat plugin: a private MariaDB with two realms'
characters databases (the project's fixture or AzerothCore's real schema,
migrated with stratusctl), a nats-server, stratusd with the chat plugin, a
grpcio ChatService client and NATS subscribers acting as gateways."""

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

from chat import chat_pb2 as pb, chat_pb2_grpc as pbg  # noqa: F401  (re-exported)

ALLIANCE, HORDE = pb.TEAM_ALLIANCE, pb.TEAM_HORDE
REALMS = (1, 2)

# The payload keys of ToCloud9's chat events with PR #37's fields, in order.
MESSAGE_KEYS = ["RealmID", "ChannelName", "ChannelID", "TeamID", "SenderGUID", "SenderName",
                "Language", "Message", "SenderChatTag"]
JOINED_KEYS = ["ServiceID", "RealmID", "ChannelName", "ChannelID", "ChannelFlags", "TeamID",
               "NumMembers", "PlayerGUID", "PlayerName", "PlayerFlags"]
LEFT_KEYS = JOINED_KEYS[:-1] + ["Silent"]
NOTIFY_KEYS = ["RealmID", "ChannelName", "ChannelID", "ChannelFlags", "TeamID", "NumMembers",
               "NotifyType", "TargetGUID", "TargetName", "SecondGUID", "OldFlags", "NewFlags",
               "ExtraData", "AffectsPlayer"]

# ChatNotify codes of the core.
PASSWORD_CHANGED, OWNER_CHANGED, MODE_CHANGE = 0x07, 0x08, 0x0C
ANNOUNCEMENTS_ON, ANNOUNCEMENTS_OFF = 0x0D, 0x0E
MODERATION_ON, MODERATION_OFF = 0x0F, 0x10
PLAYER_KICKED, PLAYER_BANNED, PLAYER_UNBANNED, INVITE = 0x12, 0x14, 0x15, 0x18
OWNER, MODERATOR, MUTED = 0x01, 0x02, 0x08


def env_for_tools():
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    return e


class Gateway:
    """A real NATS subscriber on chat.gw.> (or another pattern): every event
    is kept with its subject until a test consumes it. With `prefix`, only
    events of channels whose lower-case name starts with it are kept (tests
    sharing a daemon use their own channel names)."""

    def __init__(self, url, pattern="chat.gw.>", prefix=None):
        self.client = NatsClient(url, name="fake-gateway")
        self.client.subscribe(pattern)
        self.client.flush()
        self.prefix = prefix
        self.events = []  # [subject, envelope, consumed]

    def pull(self, wait=0.02):
        for subject, data in self.client.drain_messages(wait):
            env = parse_envelope(bytes(data))
            name = env["p"].get("ChannelName", "")
            if self.prefix is None or name.lower().startswith(self.prefix):
                self.events.append([subject, env, False])

    def expect(self, subject, match=None, timeout=5.0):
        """The payload of the first unconsumed event on `subject` that matches."""
        deadline = time.monotonic() + timeout
        while True:
            self.pull()
            for item in self.events:
                if not item[2] and item[0] == subject and (match is None or match(item[1]["p"])):
                    item[2] = True
                    assert item[1]["v"] == "0.0.1", item[1]
                    return item[1]["p"]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {subject} event matching; unconsumed: {self.unconsumed()}")

    def unconsumed(self):
        return [(s, e) for s, e, used in self.events if not used]

    def assert_quiet(self, settle=0.3):
        """Nothing arrived that a test did not consume."""
        time.sleep(settle)
        self.pull()
        assert not self.unconsumed(), f"unexpected events: {self.unconsumed()}"

    def forget(self):
        self.pull()
        self.events = []

    def close(self):
        self.client.close()


def db_section(db, realm, database, pool_size=4):
    return (f"[db.characters.{realm}]\nsocket = {db.socket}\nuser = root\n"
            f"database = {database}\npool_size = {pool_size}\n\n")


class World:
    """MariaDB + nats-server + the realms' databases, shared by a test class."""

    def __init__(self, kind="fixture", migrate=True):
        self.kind = kind
        self.db = MariaDB().start()
        self.nats = NatsServer().start()
        self.databases = {r: f"chat_{kind}_r{r}" for r in REALMS}
        for realm, name in self.databases.items():
            if kind == "fixture":
                schema.load_fixture(self.db, None, name)
            elif not schema.load_real_azerothcore(self.db, f"chat_auth_r{realm}", name):
                self.stop()
                raise FileNotFoundError("no AzerothCore schema")
        if migrate:
            self.migrate()

    def sections(self):
        return "".join(db_section(self.db, r, n) for r, n in self.databases.items())

    def migrate(self):
        schema.migrate(self.db, {f"characters.{r}": n for r, n in self.databases.items()})

    def daemon(self, plugins=None, extra=""):
        """stratusd with `plugins` ({name: extra config lines}, default the chat plugin)."""
        d = Stratusd()
        d.sections_extra = self.sections() + f"[bus]\nnats_url = {self.nats.url}\n\n" + extra
        d.write_config("".join(f"[plugin.{name}]\nenabled = yes\n{config}\n"
                               for name, config in (plugins or {"chat": ""}).items()))
        return d

    def query(self, realm, sql, args=()):
        return self.db.query(self.databases[realm], sql, args)

    def execute(self, realm, sql, args=()):
        return self.db.execute(self.databases[realm], sql, args)

    def add_character(self, realm, guid, name, race=1, account=None):
        self.execute(realm, "INSERT INTO characters (guid, account, name, race, class, gender, "
                     "taximask, innTriggerId) VALUES (%s, %s, %s, %s, 1, 0, '', 0)",
                     (guid, account if account is not None else guid, name, race))

    def stop(self):
        self.nats.stop()
        self.db.stop()


def stub_for(d):
    channel = grpc.insecure_channel(d.grpc_target)
    return channel, pbg.ChatServiceStub(channel)


def code_of(fn, *args, **kw):
    try:
        fn(*args, timeout=10, **kw)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""
