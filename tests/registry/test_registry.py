"""ServersRegistryService in a real stratusd, driven by fake game servers
(health/metrics HTTP plus a grpcio client registering like the sidecar):
IDs and aliases, map assignment across 1, 2 and 5 servers with and without
explicit maps and layers, GameServerMapsLoaded gating, placement (least
loaded, group binding, preferred alias/address), the list and layer RPCs."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, fnv1a32, pb, server_id  # noqa: E402
import grpc  # noqa: E402

ALIAS = re.compile(r"^[a-z]+-[a-z]+-[0-9a-z]{2}$")
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def owners(assigned, map_id):
    return sorted(i for i, maps in assigned.items() if map_id in maps)


class Registration(RegistryCase):
    def test_id_alias_and_addresses(self):
        self.start()
        # the reference's example: 127.0.0.1:9501 -> 3632450545
        self.assertEqual(server_id("127.0.0.1:9501"), "3632450545")
        gs = self.game_server(register=False)
        gs.game_port = 9501
        resp = gs.register()
        self.assertEqual(resp.id, "3632450545")
        other = self.game_server()
        self.assertEqual(other.id, server_id(f"127.0.0.1:{other.game_port}"))
        for g in (gs, other):
            self.assertRegex(g.alias, ALIAS)
            code = (fnv1a32(g.address) // (12 * 43)) % 1296
            self.assertTrue(g.alias.endswith("-" + B36[code // 36] + B36[code % 36]), g.alias)
        self.assertNotEqual(gs.alias, other.alias)
        listed = {s.ID: s for s in self.all_servers()}
        s = listed[gs.id]
        self.assertEqual((s.address, s.healthAddress, s.grpcAddress, s.realmID, s.alias),
                         ("127.0.0.1:9501", f"127.0.0.1:{gs.http.port}",
                          f"127.0.0.1:{gs.grpc_port}", 1, gs.alias))
        self.assertFalse(s.isCrossRealm)
        self.assertEqual(list(s.availableMaps), [])

    def test_preferred_host_name_is_lowercased_into_the_address(self):
        self.start()
        gs = self.game_server(preferred="World-1.Example.ORG")
        self.assertEqual(gs.id, server_id(f"world-1.example.org:{gs.game_port}"))
        s = self.servers()[gs.id]
        self.assertEqual(s.address, f"world-1.example.org:{gs.game_port}")
        # health checks and calls go to the caller's address by default
        self.assertEqual(s.healthAddress, f"127.0.0.1:{gs.http.port}")
        self.assertEqual(s.grpcAddress, f"127.0.0.1:{gs.grpc_port}")

    def test_dial_preferred_host_probes_the_preferred_name(self):
        self.start(registry={"dial_preferred_host": "yes"})
        gs = self.game_server(preferred="World-1.Example.ORG")
        s = self.servers()[gs.id]
        self.assertEqual(s.healthAddress, f"world-1.example.org:{gs.http.port}")
        self.assertEqual(s.grpcAddress, f"world-1.example.org:{gs.grpc_port}")

    def test_registering_again_keeps_id_and_maps(self):
        self.start()
        gs = self.game_server(maps="0,1")
        first = (gs.id, gs.alias, gs.assigned)
        gs.register()
        self.assertEqual((gs.id, gs.alias, gs.assigned), first)
        self.assertEqual(len(self.all_servers()), 1)
        self.assertEqual(self.lookup(0), [gs.id])


class MapAssignment(RegistryCase):
    def weighted(self):
        """The weighted maps: what one all-maps server gets."""
        if not hasattr(self, "_weighted"):
            self.start()
            one = self.first = self.game_server()
            self._weighted = set(one.assigned)
            self.assertEqual(self.assigned(), {one.id: self._weighted})
        return self._weighted

    def assert_partition(self, assigned, weighted):
        seen = set()
        for sid, maps in assigned.items():
            self.assertFalse(seen & maps, f"{sid} shares maps {sorted(seen & maps)}")
            seen |= maps
        self.assertEqual(seen, weighted)

    def test_one_server_gets_every_weighted_map(self):
        w = self.weighted()
        for m in (0, 1, 530, 571, 369, 603, 631):
            self.assertIn(m, w)
        for m in (0, 1, 530, 571):
            self.assertEqual(self.lookup(m), list(self.assigned()))

    def test_all_map_servers_share_the_pool(self):
        w = self.weighted()
        servers = [self.game_server() for _ in range(4)]  # 5 with the first one
        a = self.assigned()
        self.assertEqual(len(a), 5)
        self.assert_partition(a, w)
        for sid, maps in a.items():
            self.assertTrue(maps, f"{sid} got no map")
        # each continent on its own server
        conts = [owners(a, m)[0] for m in (0, 1, 530, 571)]
        self.assertEqual(len(set(conts)), 4)
        # maps an older server gained in a redistribution are pending: not
        # routable until its sidecar reports them loaded
        for m in w:
            self.assertIn(self.lookup(m), ([], owners(a, m)), f"map {m}")
        for s in servers + [self.first]:
            s.maps_loaded(a[s.id])
        for m in w:
            self.assertEqual(self.lookup(m), owners(a, m), f"map {m}")

    def test_two_servers_and_explicit_lists(self):
        w = self.weighted()
        b = self.game_server()
        a = self.assigned()
        self.assertEqual(len(a), 2)
        self.assert_partition(a, w)
        e1 = self.game_server(maps="0,1")
        e2 = self.game_server(maps="530, 13")   # 13 is not in the weight table
        e3 = self.game_server(maps="0")
        a = self.assigned()
        self.assertEqual(a[e1.id], {0, 1})
        self.assertEqual(a[e2.id], {530, 13})
        self.assertEqual(a[e3.id], {0})
        self.assertEqual(set(e1.assigned), {0, 1})
        rest = {k: v for k, v in a.items() if k not in (e1.id, e2.id, e3.id)}
        self.assert_partition(rest, w - {0, 1, 530})
        self.assertIn(b.id, rest)
        # explicit owners: both servers listing map 0 own it
        self.assertEqual(owners(a, 0), sorted([e1.id, e3.id]))
        self.assertIn(self.lookup(0)[0], (e1.id, e3.id))
        self.assertEqual(self.lookup(13), [e2.id])
        listed = self.servers()
        self.assertEqual(list(listed[e2.id].availableMaps), [13, 530])

    def test_only_explicit_servers_leave_other_maps_unowned(self):
        self.start()
        e = self.game_server(maps="0")
        self.assertEqual(self.assigned(), {e.id: {0}})
        self.assertEqual(self.lookup(1), [])

    def test_layers_from_config_on_five_servers(self):
        self.start(layers="0:2, 1:3, 571:9")
        servers = [self.game_server() for _ in range(5)]
        a = self.assigned()
        self.assertEqual(len(owners(a, 0)), 2)
        self.assertEqual(len(owners(a, 1)), 3)
        self.assertEqual(len(owners(a, 571)), 5)  # at most one layer per server
        for m in set().union(*a.values()) - {0, 1, 571}:
            self.assertEqual(len(owners(a, m)), 1, f"map {m}")
        layers = self.stub.GetMapLayerConfiguration(
            pb.GetMapLayerConfigurationRequest(api="1", realmID=1), timeout=5)
        self.assertEqual([(m.mapID, m.layerCount) for m in layers.maps],
                         [(0, 2), (1, 3), (571, 9)])
        stats = self.stub.GetLayerStats(pb.GetLayerStatsRequest(api="1", realmID=1, mapID=1),
                                        timeout=5)
        self.assertEqual(stats.configuredLayers, 3)
        self.assertEqual(sorted(l.gameServerID for l in stats.layers), owners(a, 1))
        by_id = {s.id: s for s in servers}
        for l in stats.layers:
            self.assertEqual(l.address, by_id[l.gameServerID].address)
            self.assertEqual(l.gameServerAlias, by_id[l.gameServerID].alias)
        none = self.stub.GetLayerStats(pb.GetLayerStatsRequest(api="1", realmID=1, mapID=530),
                                       timeout=5)
        self.assertEqual((none.configuredLayers, len(none.layers)), (1, 1))

    def test_layers_on_one_server_and_with_explicit_servers(self):
        self.start(layers="0:2")
        a = self.game_server()
        self.assertEqual(owners(self.assigned(), 0), [a.id])
        e = self.game_server(maps="0,1")
        b = self.game_server(maps="530")
        got = self.assigned()
        self.assertEqual(len(owners(got, 0)), 2)
        self.assertNotIn(b.id, owners(got, 0))          # cannot host it
        self.assertEqual(got[b.id], {530})
        self.assertIn(e.id, owners(got, 0))

    def test_layers_updated_at_runtime(self):
        self.start(layers="0:2")
        a, b, c = (self.game_server() for _ in range(3))
        for s in (a, b, c):
            s.maps_loaded(s.assigned)
        before = self.assigned()
        self.assertEqual(len(owners(before, 0)), 2)
        self.assertEqual(len(owners(before, 571)), 1)
        self.stub.UpdateMapLayerConfiguration(pb.UpdateMapLayerConfigurationRequest(
            api="1", realmID=1, maps=[pb.MapLayerConfiguration(mapID=0, layerCount=2),
                                      pb.MapLayerConfiguration(mapID=571, layerCount=3)]),
            timeout=5)
        layers = self.stub.GetMapLayerConfiguration(
            pb.GetMapLayerConfigurationRequest(api="1", realmID=1), timeout=5)
        self.assertEqual([(m.mapID, m.layerCount) for m in layers.maps], [(0, 2), (571, 3)])
        after = self.assigned()
        self.assertEqual(owners(after, 571), sorted([a.id, b.id, c.id]))
        # realm 2 keeps its own configuration
        layers2 = self.stub.GetMapLayerConfiguration(
            pb.GetMapLayerConfigurationRequest(api="1", realmID=2), timeout=5)
        self.assertEqual([(m.mapID, m.layerCount) for m in layers2.maps], [(0, 2)])
        # back to one layer of 571
        self.stub.UpdateMapLayerConfiguration(pb.UpdateMapLayerConfigurationRequest(
            api="1", realmID=1, maps=[]), timeout=5)
        final = self.assigned()
        self.assertEqual(len(owners(final, 571)), 1)
        self.assertEqual(len(owners(final, 0)), 1)

    def test_crossrealm_layers_are_realm_0(self):
        self.start()
        x1 = self.game_server(crossrealm=True, realm=0)
        x2 = self.game_server(crossrealm=True, realm=0)
        self.stub.UpdateMapLayerConfiguration(pb.UpdateMapLayerConfigurationRequest(
            api="1", realmID=0, maps=[pb.MapLayerConfiguration(mapID=571, layerCount=2)]),
            timeout=5)
        got = self.stub.GetMapLayerConfiguration(
            pb.GetMapLayerConfigurationRequest(api="1", realmID=0), timeout=5)
        self.assertEqual([(m.mapID, m.layerCount) for m in got.maps], [(571, 2)])
        a = self.assigned(crossrealm=True)
        self.assertEqual(owners(a, 571), sorted([x1.id, x2.id]))
        self.assertEqual(len(owners(a, 0)), 1)
        for s in (x1, x2):
            s.maps_loaded(a[s.id])
        self.assertEqual(sorted(self.lookup(571, crossrealm=True)), sorted([x1.id, x2.id]))
        self.assertEqual(self.lookup(0, crossrealm=True), owners(a, 0))

    def test_realms_and_crossrealm_are_separate(self):
        w = self.weighted()
        r2 = self.game_server(realm=2)
        x = self.game_server(crossrealm=True, realm=0)
        self.assertEqual(set(r2.assigned), w)
        self.assertEqual(set(x.assigned), w)
        self.assertEqual(len(self.assigned(realm=1)), 1)
        self.assertEqual(list(self.assigned(realm=2)), [r2.id])
        self.assertEqual(list(self.assigned(crossrealm=True)), [x.id])
        self.assertEqual(self.lookup(0, crossrealm=True), [x.id])
        self.assertEqual(self.lookup(0, realm=2), [r2.id])
        self.assertEqual(len(self.all_servers()), 3)


class Gating(RegistryCase):
    def test_new_server_maps_are_routable_at_once(self):
        self.start()
        a = self.game_server()
        b = self.game_server()
        a_maps = self.assigned()[a.id]
        b_maps = self.assigned()[b.id]
        for m in list(b_maps)[:5] + list(a_maps)[:5]:
            self.assertEqual(len(self.lookup(m)), 1, f"map {m}")

    def test_gained_maps_wait_for_maps_loaded_after_a_layer_update(self):
        self.start()
        a = self.game_server()
        b = self.game_server()
        a0 = owners(self.assigned(), 0)
        self.assertEqual(len(a0), 1)
        gainer = b if a0 == [a.id] else a
        self.stub.UpdateMapLayerConfiguration(pb.UpdateMapLayerConfigurationRequest(
            api="1", realmID=1, maps=[pb.MapLayerConfiguration(mapID=0, layerCount=2)]),
            timeout=5)
        self.assertEqual(owners(self.assigned(), 0), sorted([a.id, b.id]))
        self.assertEqual(self.lookup(0), a0)
        self.assertEqual(self.lookup(0, preferred=gainer.alias), [])
        gainer.maps_loaded([1])                        # not the pending map
        self.assertEqual(self.lookup(0, preferred=gainer.alias), [])
        gainer.maps_loaded([0])
        self.assertEqual(self.lookup(0, preferred=gainer.alias), [gainer.id])

    def test_maps_of_an_evicted_server_wait_for_maps_loaded(self):
        self.start()
        a = self.game_server()
        b = self.game_server()
        b_maps = sorted(self.assigned()[b.id])
        a_maps = sorted(self.assigned()[a.id])
        b.http.close()
        self.wait_for(lambda: b.id not in self.servers(), "the eviction")
        self.assertEqual(self.assigned()[a.id], set(a.assigned) | set(b_maps))
        for m in b_maps:
            self.assertEqual(self.lookup(m), [], f"map {m} before GameServerMapsLoaded")
        for m in a_maps:
            self.assertEqual(self.lookup(m), [a.id])
        a.maps_loaded(b_maps[:1])
        self.assertEqual(self.lookup(b_maps[0]), [a.id])
        self.assertEqual(self.lookup(b_maps[1]), [])
        a.maps_loaded(b_maps)
        for m in b_maps:
            self.assertEqual(self.lookup(m), [a.id])

    def test_maps_loaded_for_unknown_server(self):
        self.start()
        details = self.assertCode(grpc.StatusCode.NOT_FOUND, self.stub.GameServerMapsLoaded,
                                  pb.GameServerMapsLoadedRequest(api="1", gameServerID="12345",
                                                                 mapsLoaded=[0]), timeout=5)
        self.assertIn("12345", details)


class Placement(RegistryCase):
    def three(self):
        self.start(layers="0:3")
        servers = [self.game_server() for _ in range(3)]
        self.assertEqual(owners(self.assigned(), 0), sorted(s.id for s in servers))
        return servers

    def load(self, **by_id):
        """Set active_connections and wait until the registry has read them."""
        for s, n in by_id.values():
            s.http.set_metrics(active_connections=n)
        want = {s.id: n for s, n in by_id.values()}
        self.wait_for(lambda: all(self.servers()[i].activeConnections == n
                                  for i, n in want.items()), f"metrics {want}")

    def test_least_loaded_by_active_connections(self):
        a, b, c = self.three()
        self.load(a=(a, 30), b=(b, 10), c=(c, 20))
        self.assertEqual(self.lookup(0), [b.id])
        self.load(b=(b, 40))
        self.assertEqual(self.lookup(0), [c.id])
        stats = self.stub.GetLayerStats(pb.GetLayerStatsRequest(api="1", realmID=1, mapID=0),
                                        timeout=5)
        self.assertEqual({l.gameServerID: l.players for l in stats.layers},
                         {a.id: 30, b.id: 40, c.id: 20})

    def test_delay_gauges_fill_diff(self):
        a, b, c = self.three()
        a.http.labels = '{realm="1"}'
        a.http.set_metrics(active_connections=7, delay_mean=11, delay_median=12,
                           delay_95_percentile=13, delay_99_percentile=14, delay_max=15)
        self.wait_for(lambda: self.servers()[a.id].diff.max == 15, "the delay gauges")
        s = self.servers()[a.id]
        self.assertEqual((s.activeConnections, s.diff.mean, s.diff.median, s.diff.percentile95,
                          s.diff.percentile99, s.diff.max), (7, 11, 12, 13, 14, 15))

    def test_odd_gauge_values(self):
        a, b, c = self.three()
        for value, want in (("NaN", 0), ("-3", 0), ("+Inf", 4000000000), ("1e20", 4000000000),
                            ("12.7", 12), ("abc", 0), ("7", 7)):
            a.http.set_metrics(active_connections=value, delay_max=value)
            self.wait_for(lambda: a.http.metrics_hits > 0 and
                          (self.servers()[a.id].activeConnections,
                           self.servers()[a.id].diff.max) == (want, want),
                          f"{value} read as {want}")
        self.assertIn(a.id, self.servers())

    def test_group_binding_is_sticky(self):
        a, b, c = self.three()
        self.load(a=(a, 30), b=(b, 10), c=(c, 20))
        self.assertEqual(self.lookup(0, group=7), [b.id])
        self.load(b=(b, 100))
        self.assertEqual(self.lookup(0, group=7), [b.id])   # stays on its layer
        self.assertEqual(self.lookup(0), [c.id])             # no group: least loaded
        self.assertEqual(self.lookup(0, group=8), [c.id])    # a new group binds now
        self.load(c=(c, 200))
        self.assertEqual(self.lookup(0, group=8), [c.id])
        self.assertEqual(self.lookup(0, group=7, realm=2), [])  # no server in realm 2
        # explicit binding
        self.stub.BindGroupToGameServer(pb.BindGroupToGameServerRequest(
            api="1", realmID=1, groupID=7, mapID=0, gameServerID=a.id), timeout=5)
        self.assertEqual(self.lookup(0, group=7), [a.id])
        # a bound server that leaves: the group moves to the least loaded one
        a.http.close()
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        self.assertEqual(self.lookup(0, group=7), [b.id])

    def test_bind_group_refusals(self):
        self.start()
        a = self.game_server(maps="0")
        b = self.game_server(maps="1")
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, self.stub.BindGroupToGameServer,
                        pb.BindGroupToGameServerRequest(api="1", realmID=1, groupID=7, mapID=0,
                                                        gameServerID=b.id), timeout=5)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.stub.BindGroupToGameServer,
                        pb.BindGroupToGameServerRequest(api="1", realmID=1, groupID=7, mapID=0,
                                                        gameServerID="999"), timeout=5)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.stub.BindGroupToGameServer,
                        pb.BindGroupToGameServerRequest(api="1", realmID=9, groupID=7, mapID=0,
                                                        gameServerID=a.id), timeout=5)
        self.assertEqual(self.lookup(0, group=7), [a.id])

    def test_preferred_alias_or_address(self):
        a, b, c = self.three()
        self.load(a=(a, 30), b=(b, 10), c=(c, 20))
        self.assertEqual(self.lookup(0, group=7), [b.id])
        self.assertEqual(self.lookup(0, preferred=a.alias.upper()), [a.id])
        self.assertEqual(self.lookup(0, preferred=c.address), [c.id])
        self.assertEqual(self.lookup(0, group=7, preferred=a.alias), [a.id])
        self.assertEqual(self.lookup(0, preferred="no-such-alias"), [])
        self.assertEqual(self.lookup(0, group=7), [b.id])   # the binding did not move

    def test_random_game_server_for_realm(self):
        self.start()
        servers = {self.game_server().id for _ in range(3)}
        seen = set()
        for _ in range(60):
            r = self.stub.RandomGameServerForRealm(
                pb.RandomGameServerForRealmRequest(api="1", realmID=1), timeout=5)
            self.assertIn(r.gameServer.id, servers)
            self.assertEqual(r.gameServer.realmID, 1)
            self.assertTrue(r.gameServer.address and r.gameServer.grpcAddress and
                            r.gameServer.alias)
            seen.add(r.gameServer.id)
        self.assertEqual(seen, servers)
        empty = self.stub.RandomGameServerForRealm(
            pb.RandomGameServerForRealmRequest(api="1", realmID=2), timeout=5)
        self.assertFalse(empty.HasField("gameServer"))

    def test_server_message_fields(self):
        self.start()
        gs = self.game_server(maps="0")
        r = self.stub.AvailableGameServersForMapAndRealm(
            pb.AvailableGameServersForMapAndRealmRequest(api="1", realmID=1, mapID=0),
            timeout=5)
        s = r.gameServers[0]
        self.assertEqual((s.address, s.realmID, s.isCrossRealm, s.grpcAddress, s.id, s.alias),
                         (gs.address, 1, False, f"127.0.0.1:{gs.grpc_port}", gs.id, gs.alias))


if __name__ == "__main__":
    unittest.main()
