"""Fake ToCloud9 processes for the servers registry tests, and the test case
base class that starts a real stratusd for them.

    gs = FakeGameServer(d.grpc_target, realm=1, maps="0,1")   # HTTP /healthcheck + /metrics
    gs.register()            # RegisterGameServer like the sidecar: gamePort, healthPort
                             # (the fake's HTTP port), grpcPort, realmID, availableMaps
    gs.maps_loaded([0, 1])   # GameServerMapsLoaded
    gs.http.status = 503     # /healthcheck answers 503 from now on
    gs.http.fail_next(2)     # the next 2 checks answer 500, then back to normal
    gs.http.hang = True      # /healthcheck and /metrics stop answering (timeouts)
    gs.http.metrics_hang = True   # only /metrics stops answering (stalled world loop)
    gs.http.close(); gs.http.reopen()   # the port refuses, then listens again
    gs.http.set_metrics(active_connections=5, delay_mean=3)

FakeGateway and FakeMatchmaking work the same way. Only 127.0.0.1 is used.
"""

import http.server
import itertools
import socket
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from stratusd import BUILD, Stratusd, build_path  # noqa: E402

if os.path.join(BUILD, "python-proto") not in sys.path:
    sys.path.append(os.path.join(BUILD, "python-proto"))
import grpc  # noqa: E402
from servers_registry import registry_pb2 as pb  # noqa: E402
from servers_registry import registry_pb2_grpc as pbg  # noqa: E402

HOST = "127.0.0.1"
RPC_TIMEOUT = 5
# Fast health settings: eviction after 3 failed checks 250 ms apart (timeouts
# must be shorter than intervals); evicted processes are forgotten at once
# unless a test asks for suspects (re-admission) with suspect_time.
FAST_HEALTH = {"interval": "250ms", "timeout": "200ms", "failures": 3,
               "degraded_after": 2, "metrics_interval": "250ms", "metrics_timeout": "200ms",
               "suspect_time": "0s"}
# The tests' fakes give preferred host names under example.org.
TEST_REGISTRY = {"preferred_hosts": "*.example.org"}
# Game ports are never dialled by the registry: unique numbers are enough.
_game_ports = itertools.count(21000)


def fnv1a32(text):
    """32-bit FNV-1a over the lowercased text (ToCloud9's game server ID)."""
    h = 2166136261
    for b in text.lower().encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def server_id(address):
    return str(fnv1a32(address))


def section(name, values):
    lines = [f"[{name}]"] + [f"{k} = {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n\n"


# ---- HTTP health and metrics endpoint ---------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.server.endpoint._track(self.connection, True)

    def finish(self):
        self.server.endpoint._track(self.connection, False)
        super().finish()

    def do_GET(self):
        ep = self.server.endpoint
        if self.path == "/healthcheck":
            status, body = ep._health_answer()
            if status is None:
                return
            self._send(status, "application/json", body)
        elif self.path == "/metrics":
            ep.metrics_hits += 1
            if ep.hang or ep.metrics_hang:
                ep._release.wait(10)
                return
            self._send(200, "text/plain; version=0.0.4", ep.metrics_text())
        else:
            self._send(404, "text/plain", "not found\n")

    def _send(self, status, ctype, body):
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # the registry's curl closing a kept-alive connection, or a reset


class HealthEndpoint:
    """/healthcheck and /metrics as the sidecar and the gateway serve them."""

    GAUGES = ("active_connections", "delay_mean", "delay_median", "delay_95_percentile",
              "delay_99_percentile", "delay_max")

    def __init__(self):
        self.lock = threading.Lock()
        self.status = 200         # what /healthcheck answers
        self.hang = False         # True: /healthcheck and /metrics never answer
        self.metrics_hang = False # True: /metrics never answers (a stalled world loop)
        self._fail = []           # statuses to answer first, one per check
        self.health_hits = 0
        self.metrics_hits = 0
        self.labels = ""          # e.g. '{realm="1"}' on every gauge
        self.gauges = {g: 0 for g in self.GAUGES}
        self._release = threading.Event()
        self._conns = set()       # accepted sockets: close() resets kept-alive ones
        self.server = None
        self.port = 0
        self.reopen()

    # -- control --------------------------------------------------------------
    def reopen(self):
        """Listen (again, on the same port after close())."""
        self._release.clear()
        deadline = time.monotonic() + 5
        while True:
            try:
                self.server = _Server((HOST, self.port), _Handler)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.server.endpoint = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        """Stop listening and drop open connections (like a dead process):
        connections are refused from now on."""
        if self.server:
            self._release.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.lock:
            conns, self._conns = self._conns, set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _track(self, conn, is_open):
        with self.lock:
            if is_open:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def fail_next(self, n, status=500):
        with self.lock:
            self._fail += [status] * n

    def set_metrics(self, **gauges):
        with self.lock:
            self.gauges.update(gauges)

    # -- answers --------------------------------------------------------------
    def _health_answer(self):
        with self.lock:
            self.health_hits += 1
            if self._fail:
                return self._fail.pop(0), '{"status":"FAILING"}'
            hang, status = self.hang, self.status
        if hang:
            self._release.wait(10)
            return None, None
        if status == 200:
            return 200, '{"status":"OK"}'
        return status, '{"status":"UNHEALTHY","error":"world loop stalled"}'

    def metrics_text(self):
        with self.lock:
            out = []
            for g in self.GAUGES:
                out.append(f"# HELP {g} test gauge\n# TYPE {g} gauge\n"
                           f"{g}{self.labels} {self.gauges[g]}\n")
            return "".join(out)


# ---- registered processes -------------------------------------------------

class _Fake:
    def __init__(self, target):
        self.http = HealthEndpoint()
        self.channel = grpc.insecure_channel(target)
        self.stub = pbg.ServersRegistryServiceStub(self.channel)
        self.id = None

    def close(self):
        self.http.close()
        self.channel.close()


class FakeGameServer(_Fake):
    """A worldserver with its sidecar: health/metrics HTTP plus registration."""

    def __init__(self, target, realm=1, maps="", crossrealm=False, preferred=""):
        super().__init__(target)
        self.realm, self.maps, self.crossrealm, self.preferred = realm, maps, crossrealm, preferred
        self.game_port = next(_game_ports)
        self.grpc_port = next(_game_ports)
        self.alias = None
        self.assigned = None

    @property
    def address(self):
        return f"{self.preferred or HOST}:{self.game_port}".lower()

    def request(self, **overrides):
        fields = dict(api="1.0.0", gamePort=self.game_port, healthPort=self.http.port,
                      grpcPort=self.grpc_port, realmID=self.realm,
                      isCrossRealm=self.crossrealm, availableMaps=self.maps,
                      preferredHostName=self.preferred)
        fields.update(overrides)
        return pb.RegisterGameServerRequest(**fields)

    def register(self, timeout=RPC_TIMEOUT, **overrides):
        resp = self.stub.RegisterGameServer(self.request(**overrides), timeout=timeout)
        self.id, self.alias, self.assigned = resp.id, resp.alias, list(resp.assignedMaps)
        return resp

    def maps_loaded(self, maps, timeout=RPC_TIMEOUT):
        return self.stub.GameServerMapsLoaded(
            pb.GameServerMapsLoadedRequest(api="1.0.0", gameServerID=self.id,
                                           mapsLoaded=list(maps)), timeout=timeout)


class FakeGateway(_Fake):
    def __init__(self, target, realm=1, preferred=""):
        super().__init__(target)
        self.realm, self.preferred = realm, preferred
        self.game_port = next(_game_ports)

    @property
    def health_address(self):
        return f"{HOST}:{self.http.port}"

    def register(self, timeout=RPC_TIMEOUT, **overrides):
        fields = dict(api="1.0.0", gamePort=self.game_port, healthPort=self.http.port,
                      realmID=self.realm, preferredHostName=self.preferred)
        fields.update(overrides)
        resp = self.stub.RegisterGateway(pb.RegisterGatewayRequest(**fields), timeout=timeout)
        self.id = resp.id
        return resp


class FakeMatchmaking(_Fake):
    def __init__(self, target):
        super().__init__(target)
        self.service_port = next(_game_ports)
        self.started_at = int(time.time() * 1000)

    def register(self, timeout=RPC_TIMEOUT, **overrides):
        fields = dict(api="1.0.0", servicePort=self.service_port, healthPort=self.http.port,
                      startedAtUnixMs=self.started_at)
        fields.update(overrides)
        resp = self.stub.RegisterMatchmakingServer(
            pb.RegisterMatchmakingServerRequest(**fields), timeout=timeout)
        self.id = resp.id
        return resp


# ---- test case ------------------------------------------------------------------

class RegistryCase(unittest.TestCase):
    """Starts stratusd with [discovery]/[health] (and [bus], plugins) and
    creates fakes that are closed after the test. The daemon must exit 0."""

    plugin_dir = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stratus-reg-", dir=os.environ.get("STRATUS_TEST_TMP"))
        self.addCleanup(self._rm_tmp)

    def _rm_tmp(self):
        if not os.environ.get("STRATUS_TEST_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def start(self, realms="1, 2", layers=None, health=None, bus=None, sections="",
              discovery_extra=None, plugin_dir=None, registry=None):
        d = Stratusd(plugin_dir=plugin_dir or self.plugin_dir)
        self.configure(d, realms, layers, health, bus, sections, discovery_extra, registry)
        d.start()
        self.addCleanup(self._finish, d)
        self.d = d
        self.channel = grpc.insecure_channel(d.grpc_target)
        self.addCleanup(self.channel.close)
        self.stub = pbg.ServersRegistryServiceStub(self.channel)
        return d

    @staticmethod
    def configure(d, realms="1, 2", layers=None, health=None, bus=None, sections="",
                  discovery_extra=None, registry=None):
        discovery = {"realms": realms}
        if layers is not None:
            discovery["layers"] = layers
        discovery.update(discovery_extra or {})
        h = dict(FAST_HEALTH)
        h.update(health or {})
        r = dict(TEST_REGISTRY)
        r.update(registry or {})
        d.sections_extra = (section("discovery", discovery) + section("health", h) +
                            section("registry", r) +
                            (section("bus", bus) if bus is not None else ""))
        d.write_config(sections)

    def reload(self, **kw):
        """Rewrite the config (same arguments as start) and SIGHUP."""
        before = self.d.status()["last_reload"]["seq"]
        self.configure(self.d, **kw)
        self.d.hup()
        return self.d.wait_reload(before)

    def _finish(self, d):
        code = d.stop()
        if code not in (0, None):
            self.fail(f"stratusd exited with {code}:\n{d.log_text()[-6000:]}")
        d.cleanup()

    # -- fakes ---------------------------------------------------------------
    def game_server(self, register=True, **kw):
        gs = FakeGameServer(self.d.grpc_target, **kw)
        self.addCleanup(gs.close)
        if register:
            gs.register()
        return gs

    def gateway(self, register=True, **kw):
        gw = FakeGateway(self.d.grpc_target, **kw)
        self.addCleanup(gw.close)
        if register:
            gw.register()
        return gw

    def matchmaking(self, register=True):
        mm = FakeMatchmaking(self.d.grpc_target)
        self.addCleanup(mm.close)
        if register:
            mm.register()
        return mm

    # -- queries -------------------------------------------------------------
    def lookup(self, map_id, realm=1, group=0, preferred="", crossrealm=False):
        """IDs AvailableGameServersForMapAndRealm returns."""
        r = self.stub.AvailableGameServersForMapAndRealm(
            pb.AvailableGameServersForMapAndRealmRequest(
                api="1.0.0", realmID=realm, mapID=map_id, isCrossRealm=crossrealm,
                groupID=group, preferredGameServerAlias=preferred), timeout=RPC_TIMEOUT)
        return [s.id for s in r.gameServers]

    def servers(self, realm=1, crossrealm=False):
        """{id: GameServerDetailed} of ListGameServersForRealm."""
        r = self.stub.ListGameServersForRealm(
            pb.ListGameServersForRealmRequest(api="1.0.0", realmID=realm,
                                              isCrossRealm=crossrealm), timeout=RPC_TIMEOUT)
        return {s.ID: s for s in r.gameServers}

    def all_servers(self):
        return list(self.stub.ListAllGameServers(pb.ListAllGameServersRequest(api="1.0.0"),
                                                 timeout=RPC_TIMEOUT).gameServers)

    def assigned(self, realm=1, crossrealm=False):
        return {i: set(s.assignedMaps) for i, s in self.servers(realm, crossrealm).items()}

    def gateways(self, realm=1):
        r = self.stub.ListGatewaysForRealm(pb.ListGatewaysForRealmRequest(
            api="1.0.0", realmID=realm), timeout=RPC_TIMEOUT)
        return {g.id: g for g in r.gateways}

    def wait_for(self, predicate, what, timeout=10):
        return self.d.wait_for(predicate, what, timeout=timeout, interval=0.02)

    def assertCode(self, code, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        self.assertTrue(cm.exception.details(), "a status without a message")
        return cm.exception.details()


def probe_fixture_dir():
    return build_path("fixtures")
