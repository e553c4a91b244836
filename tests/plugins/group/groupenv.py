"""Test environment of the group plugin: a private MariaDB with three realms'
characters databases (the project's fixture, migrated with stratusctl), a
nats-server, stratusd with the characters and group plugins, a grpcio
GroupService client, a NATS client that plays the gateways (it announces
logins with gw.char.logged-in, as ToCloud9's gateway does) and one that
hears every group.* event."""

import os
import subprocess
import tempfile
import time
import unittest

import grpc

import schema
from mariadb import MariaDB
from natsclient import NatsClient, envelope, parse_envelope
from natsserver import NatsServer
from stratusd import REPO, Stratusd, build_path

from group import group_pb2 as pb, group_pb2_grpc as pbg  # noqa: F401  (re-exported)
from characters import characters_pb2, characters_pb2_grpc

REALMS = (1, 2, 3)
GATEWAY = "gw-1"

# ToCloud9's group event payloads (events-group.go with PR #37's additions):
# Go field names in struct order and how Go / libsidecar-cpp decode them.
U8, U32, U64, STR, BOOL, GUIDS = "u8", "u32", "u64", "str", "bool", "[]u64"
HEAD = [("ServiceID", STR), ("RealmID", U32), ("GroupID", U32)]
MEMBER = [("MemberGUID", U64), ("MemberFlags", U8), ("MemberName", STR), ("IsOnline", BOOL),
          ("SubGroup", U8), ("Roles", U8)]
AURA = [("Slot", U8), ("SpellID", U32), ("Flags", U8)]
STATE = [("MemberGUID", U64), ("Online", BOOL), ("Level", U8), ("Class", U8),
         ("ZoneID", U32), ("MapID", U32), ("Health", U32), ("MaxHealth", U32),
         ("PowerType", U8), ("Power", U32), ("MaxPower", U32), ("AurasKnown", BOOL),
         ("Auras", ("[]", AURA)), ("DeadKnown", BOOL), ("Dead", BOOL), ("GhostKnown", BOOL),
         ("Ghost", BOOL)]
SOURCE = [("SourceGatewayID", STR), ("SourceWorldserverID", STR)]
EVENTS = {
    "group.invite.created": (1, HEAD + [("InviterGUID", U64), ("InviterName", STR),
                                        ("InviteeGUID", U64), ("InviteeName", STR)]),
    "group.created": (2, HEAD + [("LeaderGUID", U64), ("LootMethod", U8), ("LooterGUID", U64),
                                 ("LootThreshold", U8), ("GroupType", U8), ("Difficulty", U8),
                                 ("RaidDifficulty", U8), ("MasterLooterGuid", U64),
                                 ("LfgDungeonEntry", U32), ("Members", ("[]", MEMBER))]),
    "group.member.online.changed": (3, HEAD + [("MemberGUID", U64), ("IsOnline", BOOL),
                                               ("OnlineMembers", GUIDS)]),
    "group.member.left": (4, HEAD + [("MemberGUID", U64), ("MemberName", STR),
                                     ("NewLeaderID", U64), ("OnlineMembers", GUIDS)]),
    "group.disband": (5, HEAD + [("OnlineMembers", GUIDS)]),
    "group.member.added": (6, HEAD + [("MemberGUID", U64), ("MemberName", STR),
                                      ("OnlineMembers", GUIDS)]),
    "group.leader.changed": (7, HEAD + [("PreviousLeader", U64), ("NewLeader", U64),
                                        ("OnlineMembers", GUIDS)]),
    "group.loot.changed": (8, HEAD + [("NewLootType", U8), ("NewLooterGUID", U64),
                                      ("NewLooterThreshold", U8), ("OnlineMembers", GUIDS)]),
    "group.converted.raid": (9, HEAD + [("Leader", U64), ("OnlineMembers", GUIDS)]),
    "group.message.new": (10, HEAD + [("SenderGUID", U64), ("SenderName", STR),
                                      ("SenderChatTag", U8), ("Language", U32), ("Msg", STR),
                                      ("MessageType", U8), ("Receivers", GUIDS)]),
    "group.targeticons.new": (11, HEAD + [("Updater", U64), ("Target", U64), ("IconID", U8),
                                          ("Receivers", GUIDS)]),
    # DungeonDifficulty and RaidDifficulty are omitempty pointers: one of them.
    "group.difficulty.changed": (12, HEAD + [("Updater", U64), ("?DungeonDifficulty", U8),
                                             ("?RaidDifficulty", U8), ("Receivers", GUIDS)]),
    "group.readycheck.started": (13, HEAD + [("LeaderGUID", U64), ("DurationMs", U32),
                                             ("Receivers", GUIDS)]),
    "group.readycheck.member.state": (14, HEAD + [("MemberGUID", U64), ("State", U8),
                                                  ("Receivers", GUIDS)]),
    "group.readycheck.finished": (15, HEAD + [("Receivers", GUIDS)]),
    "group.member.subgroup.changed": (16, HEAD + [("MemberGUID", U64), ("SubGroup", U8),
                                                  ("Receivers", GUIDS)]),
    "group.member.flags.changed": (17, HEAD + [("MemberGUID", U64), ("Flags", U8),
                                               ("Roles", U8), ("Receivers", GUIDS)]),
    "group.member.state.changed": (18, HEAD + SOURCE + STATE + [("Receivers", GUIDS)]),
    "group.instance.reset.request": (19, HEAD + [("PlayerGUID", U64), ("MapID", U32),
                                                 ("Difficulty", U8), ("Receivers", GUIDS)]),
    "group.instance.bind.extension.request": (20, HEAD + [("PlayerGUID", U64), ("MapID", U32),
                                                          ("Difficulty", U8),
                                                          ("Extended", BOOL),
                                                          ("Receivers", GUIDS)]),
    "group.invite.declined": (21, [("ServiceID", STR), ("RealmID", U32), ("InviterGUID", U64),
                                   ("InviteeGUID", U64), ("InviteeName", STR)]),
    "group.member.states.changed": (22, HEAD + SOURCE + [("States", ("[]", STATE)),
                                                         ("Receivers", GUIDS)]),
}

LIMITS = {U8: 0xFF, U32: 0xFFFFFFFF, U64: 0xFFFFFFFFFFFFFFFF}


def go_decode(fields, obj, where="p"):
    """Decodes obj as Go's encoding/json into the struct `fields` would, and as
    libsidecar-cpp's nlohmann lookups (exact, case-sensitive keys) would:
    every key present (unless optional), no other key, each value of the
    type. Returns a list of problems."""
    problems = []
    want = [k.lstrip("?") for k, _ in fields]
    keys = [k for k in obj if k in want]
    if keys != [k for k in want if k in obj]:
        problems.append(f"{where}: key order {list(obj)} != {want}")
    for extra in set(obj) - set(want):
        problems.append(f"{where}: unknown key {extra}")
    for key, kind in fields:
        optional = key.startswith("?")
        key = key.lstrip("?")
        if key not in obj:
            if not optional:
                problems.append(f"{where}: missing {key}")
            continue
        v = obj[key]
        if isinstance(kind, tuple):
            if v is not None and not isinstance(v, list):
                problems.append(f"{where}.{key}: {v!r} is not an array or null")
            for i, e in enumerate(v or []):
                problems += go_decode(kind[1], e, f"{where}.{key}[{i}]")
        elif kind == GUIDS:
            if v is not None and not (isinstance(v, list) and all(
                    isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= LIMITS[U64]
                    for x in v)):
                problems.append(f"{where}.{key}: {v!r} is not []uint64 or null")
        elif kind == STR:
            if not isinstance(v, str):
                problems.append(f"{where}.{key}: {v!r} is not a string")
        elif kind == BOOL:
            if not isinstance(v, bool):
                problems.append(f"{where}.{key}: {v!r} is not a bool")
        elif isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= LIMITS[kind]:
            problems.append(f"{where}.{key}: {v!r} does not fit {kind}")
    return problems


def env_for_tools():
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    return e


class Events:
    """A NATS client on group.>: every event kept in order until consumed;
    each one is checked against ToCloud9's payload on arrival."""

    def __init__(self, url):
        self.client = NatsClient(url)
        self.client.subscribe("group.>")
        self.client.flush()
        self.seen = []
        self.problems = []

    def pull(self, seconds=0.05):
        for subject, data in self.client.drain_messages(seconds):
            env = parse_envelope(data)
            t, fields = EVENTS.get(subject, (None, None))
            if fields is None:
                self.problems.append(f"{subject}: not a ToCloud9 group subject")
            else:
                if env["t"] != t:
                    self.problems.append(f"{subject}: t {env['t']} != {t}")
                self.problems += [f"{subject}: {p}" for p in go_decode(fields, env["p"])]
            self.seen.append((subject, env["p"]))

    def wait(self, subject, count=1, timeout=10, match=None):
        """The first `count` events on subject (matching `match`), consumed."""
        deadline = time.monotonic() + timeout
        while True:
            got = [e for e in self.seen if e[0] == subject and (match is None or match(e[1]))]
            if len(got) >= count or time.monotonic() > deadline:
                break
            self.pull(0.05)
        got = got[:count]
        for e in got:
            self.seen.remove(e)
        if len(got) < count:
            raise AssertionError(f"{len(got)} of {count} {subject} events; seen: "
                                 f"{[s for s, _ in self.seen][-20:]}")
        return [p for _, p in got]

    def one(self, subject, **kw):
        return self.wait(subject, 1, **kw)[0]

    def none(self, subject, seconds=0.3):
        self.pull(seconds)
        return [p for s, p in self.seen if s == subject]

    def forget(self):
        self.pull(0.05)
        self.seen = []

    def close(self):
        self.client.close()


def db_section(db, realm, database, pool_size=4):
    return (f"[db.characters.{realm}]\nsocket = {db.socket}\nuser = root\n"
            f"database = {database}\npool_size = {pool_size}\n\n")


class World:
    """MariaDB + nats-server + three realms' characters databases."""

    def __init__(self, prefix="group"):
        self.db = MariaDB().start()
        self.nats = NatsServer().start()
        self.databases = {r: f"{prefix}_r{r}" for r in REALMS}
        for name in self.databases.values():
            schema.load_fixture(self.db, None, name)
        self.migrate()

    def sections(self):
        return "".join(db_section(self.db, r, n) for r, n in self.databases.items())

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

    def daemon(self, group_config="leader_offline_delay = 300ms\n", characters=True, extra=""):
        d = Stratusd(log_level="info")
        d.sections_extra = (self.sections() + extra +
                            f"[bus]\nnats_url = {self.nats.url}\nreconnect_wait = 200ms\n\n")
        plugins = f"[plugin.group]\nenabled = yes\n{group_config}\n"
        if characters:
            plugins += "[plugin.characters]\nenabled = yes\n"
        d.write_config(plugins)
        return d

    def query(self, realm, sql, args=()):
        return self.db.query(self.databases[realm], sql, args)

    def execute(self, realm, sql, args=()):
        return self.db.execute(self.databases[realm], sql, args)

    def add_characters(self, realm, first, count, prefix):
        rows = [(first + i, first + i, f"{prefix}{chr(97 + i // 26)}{chr(97 + i % 26)}")
                for i in range(count)]
        for guid, account, name in rows:
            self.execute(realm, "INSERT INTO characters (guid, account, name, race, class, "
                         "gender, level, taximask, innTriggerId) VALUES (%s, %s, %s, 1, 1, 0, "
                         "10, '', 0)", (guid, account, name))
        return {guid: name for guid, _, name in rows}

    def stop(self):
        self.nats.stop()
        self.db.stop()


def code_of(fn, request):
    try:
        return grpc.StatusCode.OK, fn(request, timeout=15)
    except grpc.RpcError as e:
        return e.code(), e.details()


def scoped(realm, low):
    return realm << 32 | low


class GroupCase(unittest.TestCase):
    """One world and one stratusd per test class."""

    GROUP_CONFIG = "leader_offline_delay = 300ms\n"
    EXTRA = ""  # more config sections
    CHARACTERS = {1: 60, 2: 20, 3: 20}  # characters per realm, guids 1..n

    @classmethod
    def setUpClass(cls):
        cls.world = World(prefix=cls.__name__.lower())
        cls.names = {}
        try:
            for realm, n in cls.CHARACTERS.items():
                for guid, name in cls.world.add_characters(realm, 1, n, f"R{realm}x").items():
                    cls.names[(realm, guid)] = name
            cls.start_daemon()
        except BaseException:
            cls.world.stop()
            raise
        cls.events = Events(cls.world.nats.url)
        cls.gw = NatsClient(cls.world.nats.url)

    @classmethod
    def start_daemon(cls):
        cls.d = cls.world.daemon(cls.GROUP_CONFIG, extra=cls.EXTRA)
        cls.d.start()
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.stub = pbg.GroupServiceStub(cls.channel)
        cls.chars = characters_pb2_grpc.CharactersServiceStub(cls.channel)

    @classmethod
    def stop_daemon(cls):
        cls.channel.close()
        code = cls.d.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}"

    @classmethod
    def tearDownClass(cls):
        cls.events.close()
        cls.gw.close()
        cls.stop_daemon()
        cls.d.cleanup()
        cls.world.stop()

    def setUp(self):
        self.events.forget()

    def tearDown(self):
        problems, self.events.problems = self.events.problems, []
        self.assertEqual(problems, [], "events that ToCloud9's consumers would not decode")

    # -- calls -------------------------------------------------------------------------------
    def call(self, method, request):
        return code_of(getattr(self.stub, method), request)

    def ok(self, method, request):
        code, resp = self.call(method, request)
        self.assertEqual(code, grpc.StatusCode.OK, resp)
        return resp

    def fails(self, method, request, code, text=None):
        got, details = self.call(method, request)
        self.assertEqual(got, code, details)
        if text:
            self.assertIn(text, details)
        return details

    # -- players -----------------------------------------------------------------------------
    def login(self, realm, guid, gateway=GATEWAY):
        p = {"RealmID": realm, "GatewayID": gateway, "CharGUID": guid,
             "CharName": self.names[(realm, guid)], "CharRace": 1, "CharClass": 1,
             "CharGender": 0, "CharLevel": 10, "CharZone": 12, "CharMap": 0, "CharPosX": 1.5,
             "CharPosY": 2.5, "CharPosZ": 0, "CharGuildID": 0, "AccountID": guid,
             "EventTimeUnixNano": time.time_ns()}
        self.gw.publish("gw.char.logged-in", envelope("0.0.1", 1, p))
        self.gw.flush()

    def logout(self, realm, guid, gateway=GATEWAY):
        p = {"RealmID": realm, "GatewayID": gateway, "CharGUID": guid,
             "CharName": self.names[(realm, guid)], "CharGuildID": 0, "AccountID": guid,
             "EventTimeUnixNano": time.time_ns()}
        self.gw.publish("gw.char.logged-out", envelope("0.0.1", 2, p))
        self.gw.flush()

    def login_all(self, people):
        """Logs characters in through the gateway event and waits until the
        characters plugin has them: receivers are the online members."""
        for realm, guid in people:
            self.login(realm, guid)
        for realm, guid in people:
            self.wait_online(realm, guid)

    def online(self, realm, guid):
        r = self.chars.ShortOnlineCharactersDataByGUIDs(
            characters_pb2.ShortCharactersDataByGUIDsRequest(realmID=realm, GUIDs=[guid]),
            timeout=10)
        return len(r.characters) == 1

    def wait_online(self, realm, guid, online=True):
        self.d.wait_for(lambda: self.online(realm, guid) == online,
                        f"character {guid} of realm {realm} online={online}")

    def presence(self, realm, guid):
        """True when a logged-in character shows online in its group: the
        characters plugin owns presence (its SDK 1.1 port)."""
        self.wait_online(realm, guid)
        home, gid = self.group_of(realm, guid)
        g = self.get_group(home, gid)
        return any(m.isOnline for m in g.members)

    # -- groups --------------------------------------------------------------------------------
    def invite(self, realm, inviter, invited, **kw):
        return self.ok("Invite", pb.InviteParams(realmID=realm, inviter=inviter,
                                                 invited=invited, **kw))

    def accept(self, realm, player):
        return self.ok("AcceptInvite", pb.AcceptInviteParams(realmID=realm, player=player))

    def group_of(self, realm, player):
        r = self.ok("GetGroupIDByPlayer", pb.GetGroupIDByPlayerRequest(realmID=realm,
                                                                       player=player))
        return r.groupRealmID, r.groupID

    def get_group(self, realm, gid):
        return self.ok("GetGroup", pb.GetGroupRequest(realmID=realm, groupID=gid)).group

    def form(self, realm, leader, members):
        """A group of `leader` (realm) and members [(realm, guid)], invited by the leader
        with realm-scoped GUIDs for other realms; returns (home realm, group id)."""
        for mrealm, guid in members:
            wire = guid if mrealm == realm else scoped(mrealm, guid)
            self.invite(realm, leader, wire)
            self.accept(mrealm, guid)
        return self.group_of(realm, leader)

    def leave_all(self, realm, gid):
        g = self.get_group(realm, gid)
        for m in list(g.members):
            code, _ = self.call("Leave", pb.GroupLeaveParams(realmID=m.realmID or realm,
                                                            player=m.guid & 0xFFFFFFFF))
