"""Health checks of registered processes against fake HTTP endpoints:
eviction only after N consecutive failures (refused, timeout, error status)
and registering again; the degraded world loop (503 twice: no new players,
maps kept, fallback to healthy all-map servers, restored on the next 200);
gateways (least loaded, listed, evicted); matchmaking servers stay
registered while unhealthy."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, pb, server_id  # noqa: E402
import grpc  # noqa: E402


class Eviction(RegistryCase):
    def checks_pass(self, endpoint, n):
        """Wait until `endpoint` has answered n more health checks."""
        start = endpoint.health_hits
        self.wait_for(lambda: endpoint.health_hits >= start + n, f"{n} health checks")

    def test_fewer_than_n_failures_do_not_evict(self):
        self.start()
        a = self.game_server()
        b = self.game_server()
        for _ in range(3):
            a.http.fail_next(2, status=500)
            self.checks_pass(a.http, 3)
        b.http.fail_next(1, status=404)
        a.http.fail_next(2, status=503)   # a 503 in between resets the failure count
        a.http.fail_next(1, status=500)
        self.checks_pass(a.http, 5)
        self.assertEqual(set(self.servers()), {a.id, b.id})
        self.assertNotIn("removed", self.d.log_text())

    def test_n_error_answers_evict(self):
        self.start()
        a = self.game_server()
        b = self.game_server()
        a.http.fail_next(3, status=500)
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        self.assertEqual(a.http.health_hits >= 3, True)
        self.assertEqual(set(self.assigned()[b.id]), set(a.assigned))
        self.assertIn(f"game server {a.id}", self.d.log_text())

    def test_refused_port_evicts_and_the_server_registers_again(self):
        self.start()
        a = self.game_server()
        b = self.game_server()
        maps_a = self.assigned()[a.id]
        t0 = time.monotonic()
        a.http.close()
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 0.4, "evicted before 3 checks 250 ms apart")
        self.assertEqual(list(self.servers()), [b.id])
        # the worldserver comes back and registers again
        a.http.reopen()
        resp = a.register()
        self.assertEqual(resp.id, a.id)
        self.assertTrue(resp.assignedMaps)
        self.assertEqual(set(self.servers()), {a.id, b.id})
        self.assertEqual(self.assigned()[a.id], set(resp.assignedMaps))
        self.assertEqual(self.assigned()[a.id], maps_a)   # same bins as before
        self.checks_pass(a.http, 4)
        self.assertIn(a.id, self.servers())

    def test_timeouts_evict(self):
        self.start()
        a = self.game_server()
        a.http.hang = True
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        self.assertRegex(self.d.log_text(), r"(?i)timeout|timed out")


class Lifecycle(RegistryCase):
    def layer_config(self, realm):
        r = self.stub.GetMapLayerConfiguration(
            pb.GetMapLayerConfigurationRequest(api="1", realmID=realm), timeout=5)
        return [(m.mapID, m.layerCount) for m in r.maps]

    def test_reload_keeps_the_registry_and_applies_new_settings(self):
        self.start(layers="0:2")
        a, b = self.game_server(), self.game_server()
        g = self.gateway()
        self.stub.UpdateMapLayerConfiguration(pb.UpdateMapLayerConfigurationRequest(
            api="1", realmID=1, maps=[pb.MapLayerConfiguration(mapID=0, layerCount=2),
                                      pb.MapLayerConfiguration(mapID=571, layerCount=2)]),
            timeout=5)
        before = self.assigned()
        # [health] changes only: servers, maps and runtime layers stay
        r = self.reload(layers="0:2", health={"failures": 8})
        self.assertIn(r["outcome"], ("ok", "unchanged"))
        self.assertEqual(self.assigned(), before)
        self.assertEqual(list(self.gateways()), [g.id])
        self.assertEqual(self.layer_config(1), [(0, 2), (571, 2)])
        a.http.fail_next(6)                 # fewer than the new 8 failures
        hits = a.http.health_hits
        self.wait_for(lambda: a.http.health_hits >= hits + 8, "checks")
        self.assertIn(a.id, self.servers())
        # new [discovery] layers replace the runtime ones everywhere
        self.reload(layers="1:2", health={"failures": 8})
        self.assertEqual(self.layer_config(1), [(1, 2)])
        self.assertEqual(self.layer_config(2), [(1, 2)])
        after = self.assigned()
        self.assertEqual(sorted(i for i, m in after.items() if 1 in m), sorted([a.id, b.id]))
        self.assertEqual(len([i for i, m in after.items() if 0 in m]), 1)
        # a realm taken out of [discovery] realms is not served any more
        self.reload(realms="1", layers="1:2")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.stub.ListGameServersForRealm,
                        pb.ListGameServersForRealmRequest(api="1", realmID=2), timeout=5)
        self.assertEqual(set(self.servers()), {a.id, b.id})

    def test_stop_with_checks_and_scrapes_in_flight(self):
        self.start(health={"interval": "6s", "timeout": "5s", "metrics_interval": "6s",
                           "metrics_timeout": "5s"})
        servers = [self.game_server() for _ in range(3)]
        gws = [self.gateway() for _ in range(2)]
        for f in servers + gws:
            f.http.hang = True
        hits = [(f.http.health_hits, f.http.metrics_hits) for f in servers + gws]
        self.wait_for(lambda: all(f.http.health_hits > h and f.http.metrics_hits > m
                                  for f, (h, m) in zip(servers + gws, hits)),
                      "checks and scrapes in flight")
        # the cleanup stops the daemon now: it must exit 0 (and leak nothing)


class Degraded(RegistryCase):
    def test_one_503_does_not_degrade(self):
        self.start()
        a = self.game_server()
        a.http.fail_next(1, status=503)
        start = a.http.health_hits
        while a.http.health_hits < start + 4:
            self.assertEqual(self.lookup(0), [a.id])
            time.sleep(0.01)

    def test_degraded_server_keeps_maps_but_takes_no_new_players(self):
        self.start()
        a = self.game_server(maps="0,1")
        b = self.game_server()            # all other maps
        c = self.game_server(maps="0")    # a second explicit owner of map 0
        b_maps = self.assigned()[b.id]
        a.http.status = 503
        self.wait_for(lambda: self.lookup(1) != [a.id], "a degraded")
        # map 1's only owner is degraded: the healthy all-map server stands in
        self.assertEqual(self.lookup(1), [b.id])
        self.assertIn("degraded", self.d.log_text())
        # map 0 still has an admitting explicit owner
        for _ in range(5):
            self.assertEqual(self.lookup(0), [c.id])
            self.assertEqual(self.lookup(0, group=3), [c.id])
        self.assertEqual(self.lookup(1, preferred=a.alias), [])
        for _ in range(30):
            r = self.stub.RandomGameServerForRealm(
                pb.RandomGameServerForRealmRequest(api="1", realmID=1), timeout=5)
            self.assertNotEqual(r.gameServer.id, a.id)
        # it keeps its maps and is not evicted while it answers 503
        hits = a.http.health_hits
        self.wait_for(lambda: a.http.health_hits >= hits + 6, "more checks")
        listed = self.assigned()
        self.assertEqual(listed[a.id], {0, 1})
        self.assertEqual(listed[b.id], b_maps)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, self.stub.BindGroupToGameServer,
                        pb.BindGroupToGameServerRequest(api="1", realmID=1, groupID=3, mapID=1,
                                                        gameServerID=a.id), timeout=5)
        # restored on the next 200
        a.http.status = 200
        self.wait_for(lambda: self.lookup(1) == [a.id], "a restored")
        self.assertIn("recovered", self.d.log_text())

    def test_degraded_owner_without_fallback(self):
        self.start()
        a = self.game_server(maps="0")
        a.http.status = 504
        self.wait_for(lambda: self.lookup(0) == [], "a degraded")
        self.assertEqual(list(self.servers()), [a.id])
        a.http.status = 200
        self.wait_for(lambda: self.lookup(0) == [a.id], "a restored")

    def test_degraded_layer_is_skipped_by_groups(self):
        self.start(layers="0:2")
        a = self.game_server()
        b = self.game_server()
        for s in (a, b):
            s.maps_loaded(self.assigned()[s.id])
        bound = self.lookup(0, group=5)[0]
        other = b.id if bound == a.id else a.id
        degraded = a if bound == a.id else b
        degraded.http.status = 503
        self.wait_for(lambda: self.lookup(0, group=5) == [other], "the group moved")
        degraded.http.status = 200
        self.wait_for(lambda: self.lookup(0, preferred=degraded.alias) == [degraded.id],
                      "restored")
        self.assertEqual(self.lookup(0, group=5), [other])   # now bound to the other


class Gateways(RegistryCase):
    def test_added_listed_least_loaded_and_evicted(self):
        self.start()
        g1 = self.gateway()
        g2 = self.gateway(preferred="GW2.Example.org")
        g3 = self.gateway()
        g4 = self.gateway(realm=2)
        self.assertEqual(g1.id, server_id(g1.health_address))
        self.assertEqual(g2.id, server_id(g2.health_address))
        for g, n in ((g1, 30), (g2, 10), (g3, 20), (g4, 5)):
            g.http.set_metrics(active_connections=n)
        self.wait_for(lambda: {i: g.activeConnections for i, g in self.gateways().items()} ==
                      {g1.id: 30, g2.id: 10, g3.id: 20}, "gateway metrics")
        listed = self.gateways()
        self.assertEqual(listed[g2.id].address, f"gw2.example.org:{g2.game_port}")
        self.assertEqual(listed[g1.id].address, f"127.0.0.1:{g1.game_port}")
        self.assertEqual(listed[g2.id].healthAddress, g2.health_address)
        self.assertEqual(listed[g2.id].realmID, 1)
        self.assertEqual(list(self.gateways(realm=2)), [g4.id])

        def chosen(*realms):
            r = self.stub.GatewaysForRealms(pb.GatewaysForRealmsRequest(
                api="1", realmIDs=list(realms)), timeout=5)
            return [(g.id, g.realmID, g.address) for g in r.gateways]

        self.assertEqual(chosen(1), [(g2.id, 1, f"gw2.example.org:{g2.game_port}")])
        self.assertEqual(chosen(1, 2), [(g2.id, 1, f"gw2.example.org:{g2.game_port}"),
                                        (g4.id, 2, f"127.0.0.1:{g4.game_port}")])
        self.assertEqual(chosen(7), [])
        # fewer than N failures: kept; N: removed, the next least loaded is chosen
        g2.http.fail_next(2)
        hits = g2.http.health_hits
        self.wait_for(lambda: g2.http.health_hits >= hits + 4, "checks")
        self.assertIn(g2.id, self.gateways())
        g2.http.close()
        self.wait_for(lambda: g2.id not in self.gateways(), "the eviction")
        self.assertEqual(chosen(1)[0][0], g3.id)
        # and it may register again
        g2.http.reopen()
        g2.register()
        self.assertIn(g2.id, self.gateways())

    def test_gateway_503_is_a_failure(self):
        self.start()
        g = self.gateway()
        g.http.status = 503
        self.wait_for(lambda: g.id not in self.gateways(), "the eviction")


class Matchmaking(RegistryCase):
    def test_registration_and_outage_keep_it_registered(self):
        self.start()
        mm = self.matchmaking()
        self.assertEqual(mm.id, server_id(f"127.0.0.1:{mm.http.port}"))
        again = mm.register()
        self.assertEqual(again.id, mm.id)
        mm.http.close()
        self.wait_for(lambda: "matchmaking server" in self.d.log_text() and
                      "unhealthy" in self.d.log_text(), "unhealthy")
        mm.http.reopen()
        hits = mm.http.health_hits
        self.wait_for(lambda: mm.http.health_hits > hits + 2, "checks again")


if __name__ == "__main__":
    unittest.main()
