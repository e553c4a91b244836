"""Shared helpers of the arenateam tests: a realm database with the fixture
schema and Stratus's migrations, characters, charters and signatures,
stratusd with the arenateam plugin on NATS, a grpcio client that plays the
gateway, a fake MatchmakingService (the queue lock-out asks it), and events
decoded the way the Go gateway decodes them."""

import json
import threading
from concurrent import futures

import grpc

import schema
from mariadb import MariaDB
from natsclient import NatsClient
from natsserver import NatsServer
from ports import free_port
from stratusd import Stratusd

from characters import characters_pb2 as pb, characters_pb2_grpc as pbg
from matchmaking import matchmaking_pb2 as mmpb, matchmaking_pb2_grpc as mmpbg

CHARS = "arena_chars"
REALM = 1
M = pb.ArenaTeamMutationStatus
CREATE = pb.CreateArenaTeamFromPetitionResponse
QUEUE = pb.ArenaTeamQueueDataForRatedArenaResponse
PETITION = pb.GetArenaTeamPetitionResponse
GET = pb.GetArenaTeamResponse

# The Go structs of the gateway (PR #37 §1.9), in field order.
NATIVE_EVENT = [("RealmID", "u32"), ("ReceiverGUIDs", "[]u64"), ("ArenaTeamID", "u32"),
                ("Event", "u8"), ("EventGUID", "u64"), ("Args", "[]str")]
INVITE_CREATED = [("RealmID", "u32"), ("TargetGUID", "u64"), ("TargetName", "str"),
                  ("InviterGUID", "u64"), ("InviterName", "str"), ("ArenaTeamID", "u32"),
                  ("TeamName", "str")]
EV_JOIN, EV_LEAVE, EV_REMOVE, EV_LEADER_CHANGED, EV_DISBANDED = 3, 4, 5, 7, 8

RANGES = {"u8": 0xFF, "u32": 0xFFFFFFFF, "u64": 0xFFFFFFFFFFFFFFFF}


def _value_ok(value, typ):
    if typ.startswith("[]"):
        return value is None or (isinstance(value, list) and
                                 all(_value_ok(v, typ[2:]) for v in value))
    if typ == "str":
        return isinstance(value, str)
    return (isinstance(value, int) and not isinstance(value, bool) and
            0 <= value <= RANGES[typ])


def go_decode(data, t, struct):
    """The payload of an envelope as a Go consumer with DisallowUnknownFields
    reads it into `struct`: every key known, of its type and range, in the
    struct's order (as Go's encoding/json writes it). Raises on any mismatch."""
    env = json.loads(data, object_pairs_hook=list)
    env = dict(env)
    assert set(env) == {"v", "t", "p"}, env
    assert env["t"] == t, env
    keys = [k for k, _ in env["p"]]
    assert keys == [name for name, _ in struct], f"keys {keys}"
    p = dict(env["p"])
    for name, typ in struct:
        assert _value_ok(p[name], typ), f"{name}={p[name]!r} is not a Go {typ}"
    return p


def migrate(db):
    schema.migrate(db, {f"characters.{REALM}": CHARS})


def add_character(db, guid, name, level=80, cls=1, account=None):
    db.execute(CHARS, "INSERT INTO characters (guid, account, name, race, class, level, "
                      "taximask, innTriggerId, equipmentCache) VALUES (%s, %s, %s, 1, %s, %s, '', 0, '')",
               (guid, account or guid, name, cls, level))


def add_charter(db, owner, petition, name, type_, signers=()):
    db.execute(CHARS, "INSERT INTO petition (ownerguid, petitionguid, petition_id, name, type) "
                      "VALUES (%s, %s, %s, %s, %s)", (owner, petition, petition, name, type_))
    for s in signers:
        db.execute(CHARS, "INSERT INTO petition_sign (ownerguid, petitionguid, petition_id, "
                          "playerguid, player_account, type) VALUES (%s, %s, %s, %s, %s, %s)",
                   (owner, petition, petition, s, s, type_))


def clear(db):
    for t in ("arena_team", "arena_team_member", "character_arena_stats", "petition",
              "petition_sign", "stratus_arena_team_invite", "stratus_arena_team_charter",
              "character_social"):
        db.execute(CHARS, f"DELETE FROM {t}")


def snapshot(db):
    """Everything the plugin may change, to show that a refusal changed nothing."""
    out = {}
    for t, order in (("arena_team", "arenaTeamId"), ("arena_team_member", "arenaTeamId, guid"),
                     ("character_arena_stats", "guid, slot"), ("petition", "petitionguid"),
                     ("petition_sign", "petitionguid, playerguid"),
                     ("stratus_arena_team_invite", "target_guid"),
                     ("stratus_arena_team_charter", "petitionguid")):
        out[t] = db.query(CHARS, f"SELECT * FROM {t} ORDER BY {order}")
    return out


class FakeMatchmaking(mmpbg.MatchmakingServiceServicer):
    """BattlegroundQueueDataForPlayer: the players in `queued` are in an arena
    queue (bgTypeID 6, InQueue); everybody else is in none."""

    def __init__(self):
        self.queued = set()
        self.asked = []
        self.lock = threading.Lock()

    def BattlegroundQueueDataForPlayer(self, request, context):
        with self.lock:
            self.asked.append((request.realmID, request.playerGUID))
            queued = request.playerGUID in self.queued
        slots = [mmpb.BattlegroundQueueDataForPlayerResponse.QueueSlot(
            bgTypeID=6, status=mmpb.PlayerQueueStatus.Value("InQueue"))] if queued else []
        return mmpb.BattlegroundQueueDataForPlayerResponse(slots=slots)

    def start(self):
        self.port = free_port()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        mmpbg.add_MatchmakingServiceServicer_to_server(self, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        self.server.start()
        return self

    def stop(self):
        self.server.stop(0)


class Stack:
    """MariaDB + nats-server + fake matchmaking + stratusd (arenateam)."""

    def __init__(self, matchmaking=True, kind="fixture"):
        self.db = MariaDB().start()
        self.nats = NatsServer().start()
        self.mm = FakeMatchmaking().start() if matchmaking else None
        if kind == "real":  # AzerothCore's own schema (../shared/azerothcore)
            schema.load_real_azerothcore(self.db, "arena_auth", CHARS)
        else:
            schema.load_fixture(self.db, None, CHARS)
        migrate(self.db)
        self.d = Stratusd(log_level="info")
        upstream = (f"[grpc.upstream]\nmatchmaking = 127.0.0.1:{self.mm.port}\n\n"
                    if self.mm else "")
        self.d.sections_extra = (
            f"[db.characters.{REALM}]\nsocket = {self.db.socket}\nuser = root\n"
            f"database = {CHARS}\npool_size = 4\n\n"
            f"[bus]\nnats_url = {self.nats.url}\nreconnect_wait = 200ms\n\n{upstream}")
        self.d.write_config("[plugin.arenateam]\nenabled = yes\n")
        self.d.start()
        self.connect()
        self.sub = NatsClient(self.nats.url)
        self.sub.subscribe("char.arena-team.>")
        self.sub.flush()

    def connect(self):
        self.channel = grpc.insecure_channel(self.d.grpc_target)
        self.stub = pbg.CharactersServiceStub(self.channel)

    def restart(self):
        self.channel.close()
        assert self.d.stop() == 0, self.d.log_text()[-3000:]
        self.d.start()
        self.connect()

    def close(self):
        self.channel.close()
        self.sub.close()
        code = self.d.stop()
        if self.mm:
            self.mm.stop()
        self.nats.stop()
        self.db.stop()
        assert code == 0, f"stratusd exited with {code}:\n{self.d.log_text()[-4000:]}"
        self.d.cleanup()

    def call(self, method, request_type=None, **fields):
        fields.setdefault("realmID", REALM)
        request = getattr(pb, request_type or f"{method}Request")(**fields)
        return getattr(self.stub, method)(request, timeout=10)

    def error(self, method, **fields):
        try:
            r = self.call(method, **fields)
        except grpc.RpcError as e:
            return e.code(), e.details()
        raise AssertionError(f"{method}: expected an error, got {r}")

    def events(self, subject, seconds=0.5):
        return [data for subj, data in self.sub.drain_messages(seconds) if subj == subject]

    def next_event(self, subject, timeout=10):
        """The next message on `subject` (raises TimeoutError when none comes)."""
        while True:
            subj, data = self.sub.next_message(timeout=timeout)
            if subj == subject:
                return data
