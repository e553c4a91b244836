"""Test environment of the guild plugin: a private MariaDB with two realms'
characters databases (the project's fixture, migrated with stratusctl), a
nats-server, stratusd with the characters and guild plugins, a grpcio
GuildService client, a NATS client acting as the gateways, and decoders that
read guild.* payloads as the Go gateway and libsidecar-cpp do."""

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

from guilds import guilds_pb2 as pb, guilds_pb2_grpc as pbg  # noqa: F401  (re-exported)

REALMS = (1, 2)
GR_RIGHT_ALL = 0x1DF1FF
GR_CHAT = 0x43          # GCHATLISTEN | GCHATSPEAK
# AzerothCore's default ranks: the guild master and officers have every right.
RANKS = [("Guild Master", GR_RIGHT_ALL), ("Officer", GR_RIGHT_ALL), ("Veteran", GR_CHAT),
         ("Member", GR_CHAT), ("Initiate", GR_CHAT)]

# Go struct fields of ToCloud9's guild events (events-guild.go, PR #37 §1.9),
# in order: the generic part inlined first. int covers every integer kind.
GENERIC = [("ServiceID", str), ("RealmID", int), ("GuildID", int), ("GuildName", str),
           ("MembersOnline", list)]
MEMBER = [("MemberGUID", int), ("MemberName", str)]
NOTE = MEMBER + [("UpdaterGUID", int), ("UpdaterName", str), ("Note", str)]
PAYLOADS = {
    "guild.invite.created": [("ServiceID", str), ("RealmID", int), ("GuildID", int),
                             ("GuildName", str), ("InviterGUID", int), ("InviterName", str),
                             ("InviteeGUID", int), ("InviteeName", str)],
    "guild.member.added": GENERIC + MEMBER,
    "guild.member.left": GENERIC + MEMBER,
    "guild.member.kicked": GENERIC + MEMBER + [("KickerGUID", int), ("KickerName", str)],
    "guild.member.noteupdated": GENERIC + NOTE,
    "guild.member.officernoteupdated": GENERIC + NOTE,
    "guild.rank.created": GENERIC + [("RankID", int), ("RankName", str), ("RanksCount", int)],
    "guild.rank.updated": GENERIC + [("RankID", int), ("RankName", str), ("RankRights", int),
                                     ("RankMoneyPerDay", int), ("RanksCount", int)],
    "guild.rank.deleted": GENERIC + [("RankID", int), ("RankName", str), ("RanksCount", int)],
    "guild.member.promoted": GENERIC + [("RankID", int), ("RankName", str),
                                        ("PromoterGUID", int), ("PromoterName", str)] + MEMBER,
    "guild.member.demoted": GENERIC + [("RankID", int), ("RankName", str),
                                       ("DemoterGUID", int), ("DemoterName", str)] + MEMBER,
    "guild.motd.updated": GENERIC + [("NewMessageOfTheDay", str)],
    "guild.info.updated": GENERIC + [("NewGuildInfo", str)],
    "guild.message.new": [("ServiceID", str), ("RealmID", int), ("GuildID", int),
                          ("SenderGUID", int), ("SenderName", str), ("SenderChatTag", int),
                          ("Language", int), ("Msg", str), ("ForOfficers", bool),
                          ("Receivers", list)],
    "guild.petition.offered": [("ServiceID", str), ("RealmID", int), ("PetitionGUID", int),
                               ("PetitionID", int), ("OwnerGUID", int), ("TargetGUID", int),
                               ("TargetName", str), ("GuildName", str), ("RequiredSigns", int),
                               ("Signatures", list)],
    "guild.petition.signed": [("ServiceID", str), ("RealmID", int), ("PetitionGUID", int),
                              ("OwnerGUID", int), ("SignerGUID", int), ("SignerName", str),
                              ("NativeStatus", int), ("RequiredSigns", int)],
}
TYPES = {"guild.invite.created": 1, "guild.member.added": 2, "guild.member.left": 3,
         "guild.member.kicked": 4, "guild.member.noteupdated": 5,
         "guild.member.officernoteupdated": 6, "guild.rank.created": 7, "guild.rank.updated": 8,
         "guild.rank.deleted": 9, "guild.member.promoted": 10, "guild.member.demoted": 11,
         "guild.motd.updated": 12, "guild.info.updated": 13, "guild.message.new": 14,
         "guild.petition.offered": 15, "guild.petition.signed": 16}


def go_decode(subject, env):
    """The payload as the consumers read it: the envelope's "v" and "t", then
    the exact, case-sensitive keys of the Go struct in order (nlohmann in
    libsidecar-cpp matches case-sensitively), each of its JSON type; a slice
    may be null. Returns the payload."""
    assert env["v"] == "0.0.1", env
    assert env["t"] == TYPES[subject], (subject, env["t"])
    p = env["p"]
    spec = PAYLOADS[subject]
    assert list(p) == [k for k, _ in spec], (subject, list(p))
    for key, kind in spec:
        v = p[key]
        if kind is list:
            assert v is None or isinstance(v, list), (subject, key, v)
            if isinstance(v, list) and key != "Signatures":
                assert all(isinstance(x, int) and x >= 0 for x in v), (subject, key, v)
        elif kind is int:
            assert isinstance(v, int) and not isinstance(v, bool) and v >= 0, (subject, key, v)
        else:
            assert isinstance(v, kind), (subject, key, v)
    return p


def env_for_tools():
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    return e


def db_section(db, name, database, pool_size=4):
    return (f"[db.{name}]\nsocket = {db.socket}\nuser = root\n"
            f"database = {database}\npool_size = {pool_size}\n\n")


def code_of(fn, request):
    try:
        return grpc.StatusCode.OK, fn(request, timeout=15)
    except grpc.RpcError as e:
        return e.code(), e.details()


class GuildStack(unittest.TestCase):
    """One stack per test class. PRESENCE "characters": the characters plugin
    is enabled (the presence owner once its port lands); "standin": the test
    fixture presence_standin owns presence instead (build/fixtures/guild)."""
    GUILD_CONFIG = ""
    PRESENCE = "characters"
    KIND = "fixture"  # or "real": AzerothCore's own schema (../shared/azerothcore)
    _next_guid = 100

    @classmethod
    def setUpClass(cls):
        if cls.KIND == "real" and not schema.azerothcore_dir():
            raise unittest.SkipTest("no ../shared/azerothcore (the real AzerothCore schema)")
        cls.db = MariaDB().start()
        cls.nats = NatsServer().start()
        try:
            cls.databases = {r: f"guild_r{r}" for r in REALMS}
            cls.load_schema()
            cls.migrate()
            cls.d = Stratusd(log_level="info", plugin_dir=cls.plugin_dir())
            cls.d.sections_extra = ("".join(db_section(cls.db, f"characters.{r}", n)
                                            for r, n in cls.databases.items()) +
                                    f"[bus]\nnats_url = {cls.nats.url}\nreconnect_wait = 200ms\n\n")
            owner = ("[plugin.characters]\nenabled = yes\nworld_pool =\n\n"
                     if cls.PRESENCE == "characters" else
                     "[plugin.presence_standin]\nenabled = yes\n\n")
            cls.d.write_config(owner + f"[plugin.guild]\nenabled = yes\n{cls.GUILD_CONFIG}\n")
            cls.d.start()
        except BaseException:
            cls.nats.stop()
            cls.db.stop()
            raise
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.stub = pbg.GuildServiceStub(cls.channel)
        cls.gw = NatsClient(cls.nats.url, name="fake-gateway")
        cls.gw.subscribe("guild.>")
        cls.gw.flush()
        cls.pending = []

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.gw.close()
        code = cls.d.stop()
        cls.nats.stop()
        cls.db.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}"
        cls.d.cleanup()

    @classmethod
    def load_schema(cls):
        if cls.KIND == "fixture":
            for name in cls.databases.values():
                schema.load_fixture(cls.db, None, name)
            return
        first, *others = cls.databases.values()
        schema.load_real_azerothcore(cls.db, "guild_auth", first)
        for name in others:
            cls.db.create_database(name)
            for (table,) in cls.db.query(None, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                               "WHERE TABLE_SCHEMA = %s", (first,)):
                cls.db.execute(name, f"CREATE TABLE `{table}` LIKE `{first}`.`{table}`")

    @classmethod
    def plugin_dir(cls):
        if cls.PRESENCE == "characters":
            return None
        cls.tmp = tempfile.mkdtemp(prefix="stratus-guild-plugins-")
        for path in (build_path("plugins", "guild.so"),
                     build_path("fixtures", "guild", "presence_standin.so")):
            os.symlink(path, os.path.join(cls.tmp, os.path.basename(path)))
        return cls.tmp

    @classmethod
    def migrate(cls):
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write("".join(db_section(cls.db, f"characters.{r}", n)
                            for r, n in cls.databases.items()))
        try:
            r = subprocess.run([build_path("bin", "stratusctl"), "-c", f.name, "migrate",
                                "--sql-dir", os.path.join(REPO, "sql")],
                               capture_output=True, text=True, env=env_for_tools(), timeout=120)
        finally:
            os.unlink(f.name)
        if r.returncode != 0:
            raise RuntimeError(f"migrate failed: {r.stdout}\n{r.stderr}")

    # ---- database -------------------------------------------------------------------
    def q(self, realm, sql, args=()):
        return self.db.query(self.databases[realm], sql, args)

    def x(self, realm, sql, args=()):
        return self.db.execute(self.databases[realm], sql, args)

    @classmethod
    def guids(cls, n):
        """n fresh character GUIDs (the same numbers are free on both realms)."""
        first = GuildStack._next_guid
        GuildStack._next_guid += n
        return list(range(first, first + n))

    def character(self, realm, guid, name, race=1, account=None, online=0):
        self.x(realm, "INSERT INTO characters (guid, account, name, race, class, gender, level, "
                      "zone, online, logout_time, taximask, innTriggerId) "
                      "VALUES (%s, %s, %s, %s, 1, 0, 20, 12, %s, 1700000000, '', 0)",
               (guid, account if account is not None else guid, name, race, online))

    def guild(self, realm, leader, name, members=(), ranks=RANKS):
        """A guild written as the worldserver writes it: the guild row, its
        ranks, the leader at rank 0 and `members` [(guid, rank)]. Returns its id."""
        gid = leader  # guild ids are free to choose; one per leader keeps them apart
        self.x(realm, "INSERT INTO guild (guildid, name, leaderguid, EmblemStyle, EmblemColor, "
                      "BorderStyle, BorderColor, BackgroundColor, info, motd, createdate, "
                      "BankMoney) VALUES (%s, %s, %s, 1, 2, 3, 4, 5, 'info', 'motd', 0, 0)",
               (gid, name, leader))
        for rid, (rname, rights) in enumerate(ranks):
            self.x(realm, "INSERT INTO guild_rank VALUES (%s, %s, %s, %s, %s)",
                   (gid, rid, rname, rights, 1000 * rid))
        for guid, rank in [(leader, 0)] + list(members):
            self.x(realm, "INSERT INTO guild_member (guildid, guid, `rank`) VALUES (%s, %s, %s)",
                   (gid, guid, rank))
        return gid

    def squad(self, realm, prefix, ranks=(1, 2, 3, 4), race=1):
        """A guild with a leader and one member per rank in `ranks`; returns
        (guild id, [leader, member...], [names])."""
        guids = self.guids(1 + len(ranks))
        names = [f"{prefix}{chr(97 + i)}" for i in range(len(guids))]
        for guid, name in zip(guids, names):
            self.character(realm, guid, name, race=race)
        gid = self.guild(realm, guids[0], prefix + "Guild", list(zip(guids[1:], ranks)))
        return gid, guids, names

    # ---- calls and events ---------------------------------------------------------------
    def call(self, method, **fields):
        fn = getattr(self.stub, method)
        req = REQUEST_TYPES[method](**fields)
        return code_of(fn, req)

    def ok(self, method, **fields):
        code, resp = self.call(method, **fields)
        self.assertEqual(code, grpc.StatusCode.OK, resp)
        return resp

    def refused(self, method, code, contains="", **fields):
        got, details = self.call(method, **fields)
        self.assertEqual(got, code, details)
        self.assertIn(contains, details)
        return details

    def result(self, method, command, result, **fields):
        """A game-rule refusal with the core's guild command result."""
        return self.refused(method, grpc.StatusCode.FAILED_PRECONDITION,
                            f"(guild command {command}, result {result})", **fields)

    def event(self, subject, timeout=10, **match):
        """The next event on `subject` whose payload has the `match` values,
        decoded as the Go consumers decode it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (subj, env) in enumerate(self.pending):
                if subj == subject and all(env["p"].get(k) == v for k, v in match.items()):
                    del self.pending[i]
                    return go_decode(subject, env)
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no {subject} event with {match}; pending: {self.pending[-5:]}")
            try:
                subj, data = self.gw.next_message(timeout=left)
            except TimeoutError:
                continue
            self.pending.append((subj, parse_envelope(data)))

    def no_event(self, subject, seconds=0.3, **match):
        for subj, data in self.gw.drain_messages(seconds):
            self.pending.append((subj, parse_envelope(data)))
        hits = [e for s, e in self.pending
                if s == subject and all(e["p"].get(k) == v for k, v in match.items())]
        self.assertEqual(hits, [], f"unexpected {subject}")

    def login(self, realm, guid, name, race=1, account=None, gateway="gw-1"):
        """A gateway's login event, as tests/plugins/characters publishes it."""
        p = {"RealmID": realm, "GatewayID": gateway, "CharGUID": guid, "CharName": name,
             "CharRace": race, "CharClass": 1, "CharGender": 0, "CharLevel": 20,
             "CharZone": 12, "CharMap": 0, "CharPosX": 0, "CharPosY": 0, "CharPosZ": 0,
             "CharGuildID": 0, "AccountID": account if account is not None else guid}
        self.gw.publish("gw.char.logged-in", envelope("0.0.1", 1, p))
        self.gw.flush()

    def wait_online(self, realm, gid, guid):
        """Until the roster of guild `gid` shows `guid` online (its login event
        reached the presence owner), or the plugin reports there is no owner."""
        def seen():
            members = self.ok("GetRosterInfo", realmID=realm, guildID=gid).guild.members
            return ({m.guid: m.status for m in members}.get(guid) == 1 or
                    not self.presence_available())
        self.d.wait_for(seen, f"character {guid} of realm {realm} online")

    def presence_available(self):
        """False while no plugin owns presence (the plugin says so in the log)."""
        return "no presence owner" not in self.d.log_text()


REQUEST_TYPES = {
    "GetGuildInfo": pb.GetInfoParams, "GetGuildNamesByIDs": pb.GetGuildNamesByIDsParams,
    "GetRosterInfo": pb.GetRosterInfoParams, "InviteMember": pb.InviteMemberParams,
    "InviteAccepted": pb.InviteAcceptedParams, "Leave": pb.LeaveParams, "Kick": pb.KickParams,
    "SetMessageOfTheDay": pb.SetMessageOfTheDayParams, "SetGuildInfo": pb.SetGuildInfoParams,
    "SetMemberPublicNote": pb.SetNoteParams, "SetMemberOfficerNote": pb.SetNoteParams,
    "UpdateRank": pb.RankUpdateParams, "AddRank": pb.AddRankParams,
    "DeleteLastRank": pb.DeleteLastRankParams, "PromoteMember": pb.PromoteDemoteParams,
    "DemoteMember": pb.PromoteDemoteParams, "SendGuildMessage": pb.SendGuildMessageParams,
    "GetGuildPetition": pb.GetGuildPetitionParams,
    "OfferGuildPetition": pb.OfferGuildPetitionParams,
    "SignGuildPetition": pb.SignGuildPetitionParams,
}
