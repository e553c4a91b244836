"""Test environment of the whisper plugin: a nats-server, stratusd with the
whisper plugin, gateways played by real NATS clients (they announce their
characters with gw.char.* events and receive chat.gw.<id>.income.whisper),
a fake CharactersService (grpcio server) standing in for the realid
plugin's AreRealIDFriends through [grpc.upstream], and a fake crossrealm
worldserver (an HTTP health endpoint plus its registration)."""

import concurrent.futures
import http.server
import threading
import time

import grpc

from natsclient import NatsClient, envelope, parse_envelope
from stratusd import Stratusd

from characters import characters_pb2, characters_pb2_grpc
from chat import chat_pb2 as pb, chat_pb2_grpc as pbg  # noqa: F401  (re-exported)
from servers_registry import registry_pb2, registry_pb2_grpc

WHISPER_KEYS = ["SenderRealmID", "SenderGUID", "SenderName", "SenderRace", "SenderClass",
                "SenderGender", "SenderChatTag", "ReceiverRealmID", "ReceiverGUID",
                "ReceiverName", "Language", "Msg"]


class FakeCharacters(characters_pb2_grpc.CharactersServiceServicer):
    """AreRealIDFriends answered from `friends` (unordered account pairs);
    `fail` makes it answer with that gRPC status instead."""

    def __init__(self):
        self.friends = set()
        self.calls = []
        self.fail = None
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
        characters_pb2_grpc.add_CharactersServiceServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def AreRealIDFriends(self, request, context):
        self.calls.append((request.accountID, request.friendAccountID))
        if self.fail:
            context.abort(self.fail, "realid says no")
        pair = frozenset((request.accountID, request.friendAccountID))
        return characters_pb2.AreRealIDFriendsResponse(api="test", accepted=pair in self.friends)

    def stop(self):
        self.server.stop(0)


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"OK"}' if self.path == "/healthcheck" else b"active_connections 0\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class CrossrealmServer:
    """A worldserver registered as crossrealm for `maps`, healthy, maps loaded."""

    def __init__(self, target, maps, realm=1):
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.channel = grpc.insecure_channel(target)
        stub = registry_pb2_grpc.ServersRegistryServiceStub(self.channel)
        r = stub.RegisterGameServer(registry_pb2.RegisterGameServerRequest(
            api="1.0.0", gamePort=self.http.server_port + 1, healthPort=self.http.server_port,
            grpcPort=self.http.server_port + 2, realmID=realm, isCrossRealm=True,
            availableMaps=",".join(str(m) for m in maps)), timeout=10)
        stub.GameServerMapsLoaded(registry_pb2.GameServerMapsLoadedRequest(
            api="1.0.0", gameServerID=r.id, mapsLoaded=list(r.assignedMaps)), timeout=10)

    def stop(self):
        self.channel.close()
        self.http.shutdown()
        self.http.server_close()


class Gateways:
    """Plays every gateway: publishes gw.char.* and records the whispers."""

    def __init__(self, url):
        self.client = NatsClient(url, name="fake-gateways")
        self.client.subscribe("chat.gw.*.income.whisper")
        self.client.flush()
        self.received = []  # (subject, envelope)

    def login(self, realm, gateway, guid, name, race=1, klass=1, gender=0, account=0, map_id=0):
        self.client.publish("gw.char.logged-in", envelope("0.0.1", 1, {
            "RealmID": realm, "GatewayID": gateway, "CharGUID": guid, "CharName": name,
            "CharRace": race, "CharClass": klass, "CharGender": gender, "CharLevel": 80,
            "CharZone": 12, "CharMap": map_id, "CharPosX": 1.5, "CharPosY": -2.25,
            "CharPosZ": 3.0, "CharGuildID": 0, "AccountID": account}))

    def logout(self, realm, gateway, guid, name="", account=0):
        self.client.publish("gw.char.logged-out", envelope("0.0.1", 2, {
            "RealmID": realm, "GatewayID": gateway, "CharGUID": guid, "CharName": name,
            "CharGuildID": 0, "AccountID": account}))

    def move(self, realm, gateway, guid, map_id):
        self.client.publish("gw.char.chars-updates", envelope("0.0.1", 3, {
            "RealmID": realm, "GatewayID": gateway, "Updates": [{"i": guid, "m": map_id}]}))

    def publish(self, subject, t, payload):
        self.client.publish(subject, envelope("0.0.1", t, payload))

    def pull(self, wait=0.05):
        for subject, data in self.client.drain_messages(wait):
            self.received.append((subject, parse_envelope(bytes(data))))

    def take(self, timeout=5.0):
        """All whispers received until one arrived (plus a short settle)."""
        deadline = time.monotonic() + timeout
        while not self.received and time.monotonic() < deadline:
            self.pull()
        self.pull(0.2)
        got, self.received = self.received, []
        return got

    def close(self):
        self.client.close()


def daemon(nats_url, config="", upstream=None, extra=""):
    d = Stratusd()
    d.sections_extra = f"[bus]\nnats_url = {nats_url}\n\n" + extra
    if upstream:
        d.sections_extra += f"[grpc.upstream]\ncharacters = 127.0.0.1:{upstream}\n\n"
    # Presence (who is online where) comes from its owner, the characters plugin.
    d.write_config(f"[plugin.whisper]\nenabled = yes\n{config}\n"
                   "[plugin.characters]\nenabled = yes\nworld_pool =\n")
    return d


class Databases:
    """A private MariaDB with an auth database and two realms' characters
    databases (the project's fixture or AzerothCore's real schema),
    migrated with stratusctl: what the characters and realid plugins need."""

    def __init__(self, kind="fixture"):
        import schema
        from mariadb import MariaDB
        self.db = MariaDB().start()
        self.names = {"auth": f"wh_{kind}_auth", "characters.1": f"wh_{kind}_r1",
                      "characters.2": f"wh_{kind}_r2"}
        for realm in (1, 2):
            chars = self.names[f"characters.{realm}"]
            if kind == "fixture":
                schema.load_fixture(self.db, self.names["auth"] if realm == 1 else None, chars)
            else:
                auth = self.names["auth"] if realm == 1 else f"wh_ac_auth_unused{realm}"
                if not schema.load_real_azerothcore(self.db, auth, chars):
                    self.db.stop()
                    raise FileNotFoundError("no AzerothCore schema")
        self.migrate()

    def sections(self):
        return "".join(f"[db.{pool}]\nsocket = {self.db.socket}\nuser = root\n"
                       f"database = {name}\npool_size = 2\n\n" for pool, name in self.names.items())

    def migrate(self):
        import schema
        schema.migrate(self.db, self.names)

    def execute(self, pool, sql, args=()):
        return self.db.execute(self.names[pool], sql, args)

    def stop(self):
        self.db.stop()
