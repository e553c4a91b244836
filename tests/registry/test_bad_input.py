"""Bad input to ServersRegistryService: unknown realms, invalid map lists,
duplicate registrations, absurd ports and host names, bad layer settings.
Each gets a clear status with a message, and the registry is unchanged
(ListAllGameServers, the gateway lists and the layer settings are the same
before and after)."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, build_path, pb  # noqa: E402
import grpc  # noqa: E402

NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT
EXISTS = grpc.StatusCode.ALREADY_EXISTS
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


class BadInput(RegistryCase):
    def setUp(self):
        super().setUp()
        self.start(layers="0:2")
        self.gs = self.game_server(maps="0,1")
        self.all_maps = self.game_server()
        self.gw = self.gateway()
        self.mm = self.matchmaking()

    def snapshot(self):
        gws = [self.stub.ListGatewaysForRealm(pb.ListGatewaysForRealmRequest(
            api="1", realmID=r), timeout=5).SerializeToString() for r in (1, 2)]
        layers = [self.stub.GetMapLayerConfiguration(pb.GetMapLayerConfigurationRequest(
            api="1", realmID=r), timeout=5).SerializeToString() for r in (1, 2)]
        servers = sorted(s.SerializeToString() for s in self.all_servers())
        return servers, gws, layers

    def refused(self, code, fn, request, *words):
        before = self.snapshot()
        details = self.assertCode(code, fn, request, timeout=5)
        for w in words:
            self.assertIn(w, details)
        self.assertEqual(self.snapshot(), before, f"the registry changed after {request}")
        return details

    def test_unknown_realm(self):
        s = self.stub
        self.refused(NOT_FOUND, s.RegisterGameServer, self.gs.request(realmID=9), "realm 9")
        fresh = self.game_server(register=False)
        self.refused(NOT_FOUND, s.RegisterGameServer, fresh.request(realmID=9))
        self.refused(NOT_FOUND, s.RegisterGateway, pb.RegisterGatewayRequest(
            api="1", gamePort=8085, healthPort=self.gw.http.port, realmID=9), "realm 9")
        self.refused(NOT_FOUND, s.AvailableGameServersForMapAndRealm,
                     pb.AvailableGameServersForMapAndRealmRequest(api="1", realmID=9, mapID=0))
        self.refused(NOT_FOUND, s.RandomGameServerForRealm,
                     pb.RandomGameServerForRealmRequest(api="1", realmID=9))
        self.refused(NOT_FOUND, s.ListGameServersForRealm,
                     pb.ListGameServersForRealmRequest(api="1", realmID=9))
        self.refused(NOT_FOUND, s.ListGatewaysForRealm,
                     pb.ListGatewaysForRealmRequest(api="1", realmID=9))
        self.refused(NOT_FOUND, s.GetMapLayerConfiguration,
                     pb.GetMapLayerConfigurationRequest(api="1", realmID=9))
        self.refused(NOT_FOUND, s.UpdateMapLayerConfiguration,
                     pb.UpdateMapLayerConfigurationRequest(
                         api="1", realmID=9, maps=[pb.MapLayerConfiguration(mapID=1,
                                                                            layerCount=2)]))
        self.refused(NOT_FOUND, s.GetLayerStats,
                     pb.GetLayerStatsRequest(api="1", realmID=9, mapID=0))
        self.refused(NOT_FOUND, s.BindGroupToGameServer, pb.BindGroupToGameServerRequest(
            api="1", realmID=9, groupID=1, mapID=0, gameServerID=self.gs.id))
        # realms that are not served are simply absent from GatewaysForRealms
        r = s.GatewaysForRealms(pb.GatewaysForRealmsRequest(api="1", realmIDs=[9, 1]),
                                timeout=5)
        self.assertEqual([g.id for g in r.gateways], [self.gw.id])

    def test_invalid_map_lists(self):
        fresh = self.game_server(register=False)
        for maps in ("abc", "0,x", "0;1", "-1", "1.5", "4294967296", "0,,1a", "0 x"):
            for g in (self.gs, fresh):
                details = self.refused(INVALID, self.stub.RegisterGameServer,
                                       g.request(availableMaps=maps))
                self.assertIn(maps, details)

    def test_empty_map_lists_mean_all_maps(self):
        for maps in ("", " "):
            g = self.game_server(maps=maps)
            self.assertEqual(list(self.servers()[g.id].availableMaps), [])
        # GameServerMapsLoaded with nothing in it changes nothing
        before = self.snapshot()
        self.gs.maps_loaded([])
        self.assertEqual(self.snapshot(), before)
        self.refused(NOT_FOUND, self.stub.GameServerMapsLoaded,
                     pb.GameServerMapsLoadedRequest(api="1", gameServerID="", mapsLoaded=[0]))

    def test_absurd_ports(self):
        fresh = self.game_server(register=False)
        for field in ("gamePort", "healthPort", "grpcPort"):
            for port in (0, 65536, 70000, 4294967295):
                for g in (self.gs, fresh):
                    self.refused(INVALID, self.stub.RegisterGameServer,
                                 g.request(**{field: port}), field, str(port))
        for field in ("gamePort", "healthPort"):
            for port in (0, 70000):
                req = dict(api="1", gamePort=8085, healthPort=self.gw.http.port, realmID=1)
                req[field] = port
                self.refused(INVALID, self.stub.RegisterGateway,
                             pb.RegisterGatewayRequest(**req), field)
        for field in ("servicePort", "healthPort"):
            for port in (0, 70000):
                req = dict(api="1", servicePort=9000, healthPort=self.mm.http.port,
                           startedAtUnixMs=1)
                req[field] = port
                self.refused(INVALID, self.stub.RegisterMatchmakingServer,
                             pb.RegisterMatchmakingServerRequest(**req), field)

    def test_bad_host_names(self):
        fresh = self.game_server(register=False)
        for host in ("bad host", "x/y", "a?b", "h#1", "a" * 300, "127.0.0.1:99/x", "é.org"):
            self.refused(INVALID, self.stub.RegisterGameServer,
                         fresh.request(preferredHostName=host))
            self.refused(INVALID, self.stub.RegisterGateway, pb.RegisterGatewayRequest(
                api="1", gamePort=8085, healthPort=self.gw.http.port + 1, realmID=1,
                preferredHostName=host))
            self.refused(INVALID, self.stub.RegisterMatchmakingServer,
                         pb.RegisterMatchmakingServerRequest(
                             api="1", servicePort=9000, healthPort=self.mm.http.port + 1,
                             startedAtUnixMs=1, preferredHostName=host))

    def test_duplicate_registration(self):
        details = self.refused(EXISTS, self.stub.RegisterGameServer,
                               self.gs.request(realmID=2), self.gs.address, self.gs.id)
        self.assertIn("realm 1", details)
        self.refused(EXISTS, self.stub.RegisterGameServer,
                     self.gs.request(realmID=0, isCrossRealm=True))
        self.refused(EXISTS, self.stub.RegisterGateway, pb.RegisterGatewayRequest(
            api="1", gamePort=self.gw.game_port, healthPort=self.gw.http.port, realmID=2),
            self.gw.id)
        # the same address and realm again is a restart: allowed, same ID
        before = self.snapshot()
        resp = self.gs.register()
        self.assertEqual(resp.id, self.gs.id)
        self.assertEqual(sorted(resp.assignedMaps), [0, 1])
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.gw.register().id, self.gw.id)
        self.assertEqual(len(self.gateways()), 1)

    def test_bad_layer_settings(self):
        s = self.stub
        cases = ([pb.MapLayerConfiguration(mapID=1, layerCount=0)],
                 [pb.MapLayerConfiguration(mapID=1, layerCount=2),
                  pb.MapLayerConfiguration(mapID=1, layerCount=3)])
        for maps in cases:
            self.refused(INVALID, s.UpdateMapLayerConfiguration,
                         pb.UpdateMapLayerConfigurationRequest(api="1", realmID=1, maps=maps))

    def test_overlong_lists_are_refused_at_once(self):
        fresh = self.game_server(register=False)
        big = ",".join(str(i) for i in range(300000, 0, -1))   # 2 MB: quadratic to parse
        t0 = time.monotonic()
        self.refused(INVALID, self.stub.RegisterGameServer, fresh.request(availableMaps=big),
                     "1024")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.refused(INVALID, self.stub.UpdateMapLayerConfiguration,
                     pb.UpdateMapLayerConfigurationRequest(api="1", realmID=1, maps=[
                         pb.MapLayerConfiguration(mapID=i, layerCount=2)
                         for i in range(1025)]), "1024")
        ok = fresh.register(availableMaps=",".join(str(i) for i in range(1, 1025)))  # no map 0: it has layers
        self.assertEqual(len(ok.assignedMaps), 1024)

    def test_bind_group_to_unknown_or_unfit_server(self):
        self.refused(NOT_FOUND, self.stub.BindGroupToGameServer, pb.BindGroupToGameServerRequest(
            api="1", realmID=1, groupID=1, mapID=0, gameServerID="42"))
        self.refused(PRECONDITION, self.stub.BindGroupToGameServer,
                     pb.BindGroupToGameServerRequest(api="1", realmID=1, groupID=1, mapID=530,
                                                     gameServerID=self.gs.id))


class CrossrealmRefused(RegistryCase):
    def test_crossrealm_servers_refused_when_disabled(self):
        self.start(discovery_extra={"crossrealm": "no"})
        g = self.game_server(register=False, crossrealm=True, realm=0)
        self.assertCode(PRECONDITION, g.register)
        self.assertEqual(self.all_servers(), [])


class CallsCounted(RegistryCase):
    """/metrics counts calls that never reach a handler, with their method
    (or "unknown" for paths that name no method of the contracts)."""

    def count(self, method, code):
        return self.d.metric("stratus_grpc_requests_total", method=method, code=code) or 0

    def raw_call(self, path, payload, **kw):
        call = self.channel.unary_unary(path, request_serializer=None,
                                        response_deserializer=None)
        with self.assertRaises(grpc.RpcError) as cm:
            call(payload, timeout=5, **kw)
        return cm.exception.code()

    def test_unimplemented_malformed_oversize_and_compressed_calls_are_counted(self):
        self.start()
        mail = "/v1.MailService/MailByID"               # a contract no plugin serves here
        register = "/v1.ServersRegistryService/RegisterGameServer"
        before = {k: self.count(*k) for k in [(mail, "UNIMPLEMENTED"),
                                              ("unknown", "UNIMPLEMENTED"),
                                              (register, "INVALID_ARGUMENT"),
                                              ("unknown", "rejected_by_transport")]}
        self.assertEqual(self.raw_call(mail, b""), grpc.StatusCode.UNIMPLEMENTED)
        self.assertEqual(self.raw_call("/v1.NoSuchService/Nothing", b""),
                         grpc.StatusCode.UNIMPLEMENTED)
        self.assertEqual(self.raw_call("/v1.MailService/NoSuchMethod", b""),
                         grpc.StatusCode.UNIMPLEMENTED)
        self.assertEqual(self.raw_call(register, b"\xff\xff\xff\xff"),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(self.raw_call(register, b"\x0a" + b"\x00" * (5 << 20)),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(self.raw_call(register, b"\x0a\xe8\x07" + b"a" * 1000,
                                       compression=grpc.Compression.Gzip),
                         grpc.StatusCode.UNIMPLEMENTED)
        self.assertEqual(self.count(mail, "UNIMPLEMENTED") - before[(mail, "UNIMPLEMENTED")], 1)
        self.assertEqual(self.count("unknown", "UNIMPLEMENTED") -
                         before[("unknown", "UNIMPLEMENTED")], 2)
        self.assertEqual(self.count(register, "INVALID_ARGUMENT") -
                         before[(register, "INVALID_ARGUMENT")], 1)
        self.assertEqual(self.count("unknown", "rejected_by_transport") -
                         before[("unknown", "rejected_by_transport")], 2)
        # made-up paths made no series of their own
        self.assertNotIn("NoSuchService", self.d.http_get("/metrics")[1])


class ConfigErrors(RegistryCase):
    """Health and registry settings that cannot work are refused with file:line."""

    def check(self, text):
        path = self.path("bad.ini")
        with open(path, "w") as f:
            f.write("[http]\nadmin_socket =\n" + text)
        r = subprocess.run([build_path("bin", "stratusd"), "--check-config", path],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        return r.stdout + r.stderr

    def test_timeouts_not_shorter_than_intervals(self):
        out = self.check("[health]\ninterval = 1s\ntimeout = 1s\nmetrics_interval = 1s\n"
                         "metrics_timeout = 2s\n")
        self.assertIn("bad.ini:5: [health] timeout (1000 ms) must be shorter than interval", out)
        self.assertIn("bad.ini:7: [health] metrics_timeout (2000 ms) must be shorter", out)

    def test_registry_store_and_ranges(self):
        out = self.check("[registry]\nstore = jetstream\nallow_from = 10.0.0.1/8\n"
                         "preferred_hosts = *.example.org, 10.0.0.0/33\n")
        self.assertIn("bad.ini:4: [registry] store = jetstream is not available", out)
        self.assertIn("bad.ini:5: [registry] allow_from: '10.0.0.1/8'", out)
        self.assertIn("bad.ini:6: [registry] preferred_hosts: '10.0.0.0/33'", out)
        self.assertNotIn("example.org", out)


if __name__ == "__main__":
    unittest.main()
