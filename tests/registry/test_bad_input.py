"""Bad input to ServersRegistryService: unknown realms, invalid map lists,
duplicate registrations, absurd ports and host names, bad layer settings.
Each gets a clear status with a message, and the registry is unchanged
(ListAllGameServers, the gateway lists and the layer settings are the same
before and after)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, pb  # noqa: E402
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


if __name__ == "__main__":
    unittest.main()
