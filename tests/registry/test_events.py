"""sr.* events of the registry, every payload field checked by name against
ToCloud9's (reference/tocloud9.md §3, pr37.md §1.9), twice: through a real
nats-server to a real subscriber (natsclient.py), and on the in-process bus
(no nats_url) to the busprobe fixture plugin, which records every event it
receives with its raw bytes. Plus a nats-server restart mid-test: what is
published while it is down is buffered and delivered, what comes after the
restart is delivered."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, build_path, pb  # noqa: E402
from natsclient import NatsClient, parse_envelope  # noqa: E402
from natsserver import NatsServer  # noqa: E402
from jsonlines import read_complete  # noqa: E402

GS_KEYS = ["ID", "Address", "RealmID", "IsCrossRealm", "AvailableMaps",
           "OldAssignedMapsToHandle", "NewAssignedMapsToHandle"]
GW_KEYS = ["ID", "Address", "HealthCheckAddr", "RealmID"]
MM_KEYS = ["Address", "HealthCheckAddr", "ObservedAtUnixMs"]


def read_records(path):
    return read_complete(path)   # the daemon may be writing the last line


class NatsEvents:
    """A real NATS subscriber on sr.>."""

    def __init__(self, url):
        self.client = NatsClient(url)
        self.client.subscribe("sr.>")
        self.client.flush()

    def poll(self):
        return [(s, bytes(d)) for s, d in self.client.drain_messages(0.02)]

    def close(self):
        self.client.close()


class ProbeEvents:
    """What the busprobe plugin recorded (subject and raw message bytes)."""

    def __init__(self, path):
        self.path, self.seen = path, 0

    def poll(self):
        records = read_records(self.path)
        new, self.seen = records[self.seen:], len(records)
        return [(r["Subject"], r["Raw"].encode()) for r in new]

    def close(self):
        pass


class EventChecks:
    """The event tests; subclasses say how the daemon publishes and how the
    test receives."""

    def setUp(self):
        super().setUp()
        self.received = []    # [subject, envelope, consumed]

    # -- receiving -----------------------------------------------------------
    def pull(self):
        for subject, data in self.source.poll():
            self.received.append([subject, parse_envelope(data), False])

    def expect(self, subject, match=None, timeout=10):
        """The first unconsumed event on `subject` for which match(payload)."""
        deadline = time.monotonic() + timeout
        while True:
            self.pull()
            for item in self.received:
                if not item[2] and item[0] == subject and (match is None or match(item[1]["p"])):
                    item[2] = True
                    env = item[1]
                    self.assertEqual(env["v"], "0.0.1")
                    return env
            if time.monotonic() > deadline:
                self.fail(f"no {subject} event; got {[(s, e) for s, e, _ in self.received]}\n"
                          f"{self.d.log_text()[-4000:]}")
            time.sleep(0.02)

    def assert_no_more(self, settle=0.4):
        time.sleep(settle)
        self.pull()
        extra = [(s, e) for s, e, used in self.received if not used]
        self.assertEqual(extra, [])

    # -- payload checks ------------------------------------------------------
    def check_gs(self, entry, gs, old, new, available=None, crossrealm=False):
        self.assertEqual(list(entry), GS_KEYS)
        self.assertEqual(entry["ID"], gs.id)
        self.assertEqual(entry["Address"], gs.address)
        self.assertEqual(entry["RealmID"], gs.realm)
        self.assertIs(entry["IsCrossRealm"], crossrealm)
        self.assertEqual(entry["AvailableMaps"], available)     # null = all maps
        self.assertEqual(entry["OldAssignedMapsToHandle"], sorted(old))
        self.assertEqual(entry["NewAssignedMapsToHandle"], sorted(new))

    def check_gw(self, p, gw, removed=False, window=None):
        keys = GW_KEYS + (["EventTimeUnixNano"] if removed else [])
        self.assertEqual(list(p), keys)
        self.assertEqual(p["ID"], gw.id)
        self.assertEqual(p["Address"], f"{gw.preferred or '127.0.0.1'}:{gw.game_port}".lower())
        self.assertEqual(p["HealthCheckAddr"], gw.health_address)
        self.assertEqual(p["RealmID"], gw.realm)
        if removed:
            self.assertIsInstance(p["EventTimeUnixNano"], int)
            self.assertGreaterEqual(p["EventTimeUnixNano"], int(window[0] * 1e9))
            self.assertLessEqual(p["EventTimeUnixNano"], int(window[1] * 1e9))

    def check_mm(self, p, mm, window, error):
        self.assertEqual(list(p), ["MatchmakingService"] + (["Error"] if error else []))
        svc = p["MatchmakingService"]
        self.assertEqual(list(svc), MM_KEYS)
        self.assertEqual(svc["Address"], f"127.0.0.1:{mm.service_port}")
        self.assertEqual(svc["HealthCheckAddr"], f"127.0.0.1:{mm.http.port}")
        self.assertGreaterEqual(svc["ObservedAtUnixMs"], int(window[0] * 1000))
        self.assertLessEqual(svc["ObservedAtUnixMs"], int(window[1] * 1000) + 1)
        if error:
            self.assertIsInstance(p["Error"], str)
            self.assertTrue(p["Error"])

    def servers_of(self, env):
        self.assertEqual(list(env["p"]), ["Servers"])
        return {e["ID"]: e for e in env["p"]["Servers"]}

    # -- tests ---------------------------------------------------------------
    def test_game_server_events(self):
        a = self.game_server()
        w = set(a.assigned)
        env = self.expect("sr.gs.maps.reassigned")
        self.assertEqual(env["t"], 3)
        servers = self.servers_of(env)
        self.assertEqual(list(servers), [a.id])
        self.check_gs(servers[a.id], a, [], w)
        env = self.expect("sr.gs.added")
        self.assertEqual(env["t"], 4)
        self.assertEqual(list(env["p"]), ["GameServer"])
        self.check_gs(env["p"]["GameServer"], a, [], w)

        e = self.game_server(maps="1,0")
        servers = self.servers_of(self.expect("sr.gs.maps.reassigned"))
        self.assertEqual(set(servers), {a.id, e.id})    # every server of the realm
        self.check_gs(servers[a.id], a, w, w - {0, 1})
        self.check_gs(servers[e.id], e, [], [0, 1], available=[0, 1])
        self.check_gs(self.expect("sr.gs.added")["p"]["GameServer"], e, [], [0, 1],
                      available=[0, 1])

        # another realm and the crossrealm servers are separate partitions
        r2 = self.game_server(realm=2)
        servers = self.servers_of(self.expect("sr.gs.maps.reassigned"))
        self.assertEqual(list(servers), [r2.id])
        self.check_gs(self.expect("sr.gs.added")["p"]["GameServer"], r2, [], w)
        x = self.game_server(crossrealm=True, realm=0, maps="571")
        servers = self.servers_of(self.expect("sr.gs.maps.reassigned"))
        self.assertEqual(list(servers), [x.id])
        self.check_gs(self.expect("sr.gs.added")["p"]["GameServer"], x, [], [571],
                      available=[571], crossrealm=True)

        # eviction: sr.gs.removed with its last assignment, then the realm's
        # redistribution
        e.http.close()
        env = self.expect("sr.gs.removed")
        self.assertEqual(env["t"], 5)
        self.assertEqual(list(env["p"]), ["GameServer"])
        self.check_gs(env["p"]["GameServer"], e, [0, 1], [0, 1], available=[0, 1])
        servers = self.servers_of(self.expect("sr.gs.maps.reassigned"))
        self.assertEqual(list(servers), [a.id])
        self.check_gs(servers[a.id], a, w - {0, 1}, w)
        self.assert_no_more()

    def test_layer_update_announces_the_reassignment(self):
        a = self.game_server()
        b = self.game_server()
        for _ in range(2):
            self.expect("sr.gs.maps.reassigned")
            self.expect("sr.gs.added")
        before = self.assigned()
        self.stub.UpdateMapLayerConfiguration(pb.UpdateMapLayerConfigurationRequest(
            api="1", realmID=1, maps=[pb.MapLayerConfiguration(mapID=0, layerCount=2)]),
            timeout=5)
        servers = self.servers_of(self.expect("sr.gs.maps.reassigned"))
        after = self.assigned()
        self.assertEqual(set(servers), {a.id, b.id})
        for s in (a, b):
            self.check_gs(servers[s.id], s, before[s.id], after[s.id])
        self.assert_no_more()

    def test_gateway_events(self):
        g = self.gateway(preferred="Gate.Example.org")
        env = self.expect("sr.gw.added")
        self.assertEqual(env["t"], 1)
        self.check_gw(env["p"], g)
        h = self.gateway(realm=2)
        self.check_gw(self.expect("sr.gw.added")["p"], h)
        t0 = time.time()
        g.http.close()
        env = self.expect("sr.gw.removed.unhealthy")
        t1 = time.time()
        self.assertEqual(env["t"], 2)
        self.check_gw(env["p"], g, removed=True, window=(t0, t1))
        self.assert_no_more()

    def test_matchmaking_events(self):
        mm = self.matchmaking()
        mm.register()                                 # same start time: nothing
        t0 = time.time()
        mm.register(startedAtUnixMs=mm.started_at + 5000)   # a restart
        env = self.expect("sr.matchmaking.removed.unhealthy")
        self.assertEqual(env["t"], 6)
        self.check_mm(env["p"], mm, (t0, time.time()), error=True)
        self.assertIn("restart", env["p"]["Error"])
        t0 = time.time()
        mm.http.close()
        env = self.expect("sr.matchmaking.removed.unhealthy")
        self.check_mm(env["p"], mm, (t0, time.time()), error=True)
        time.sleep(0.5)                               # still down: no repeat
        t0 = time.time()
        mm.http.reopen()
        env = self.expect("sr.matchmaking.recovered")
        self.assertEqual(env["t"], 7)
        self.check_mm(env["p"], mm, (t0, time.time()), error=False)
        self.assert_no_more()


class EventsNats(EventChecks, RegistryCase):
    def setUp(self):
        super().setUp()
        self.nats = NatsServer().start()
        self.addCleanup(self.nats.stop)
        d = self.start(bus={"nats_url": self.nats.url, "reconnect_wait": "200ms"})
        d.wait_for(lambda: d.metric("stratus_bus_connected") == 1, "the bus connected")
        self.source = NatsEvents(self.nats.url)
        self.addCleanup(self.source.close)


class EventsInProcess(EventChecks, RegistryCase):
    def setUp(self):
        super().setUp()
        rec = self.path("events.jsonl")
        self.start(plugin_dir=build_path("fixtures"),
                   sections=f"[plugin.busprobe]\nsubscribe = sr.>\nrecord_file = {rec}\n")
        self.source = ProbeEvents(rec)
        self.assertIn("in process", self.d.log_text())


class NatsRestart(RegistryCase):
    def test_events_across_a_nats_server_restart(self):
        nats = NatsServer().start()
        self.addCleanup(nats.stop)
        rec = self.path("events.jsonl")
        d = self.start(bus={"nats_url": nats.url, "reconnect_wait": "200ms"},
                       plugin_dir=build_path("fixtures"),
                       sections=f"[plugin.busprobe]\nsubscribe = sr.>\nrecord_file = {rec}\n")
        connected = lambda: d.metric("stratus_bus_connected") == 1  # noqa: E731
        d.wait_for(connected, "the bus connected")
        client = NatsClient(nats.url)
        self.addCleanup(client.close)
        client.subscribe("sr.>")
        client.flush()

        def added_ids(msgs):
            return [parse_envelope(m)["p"]["GameServer"]["ID"] for s, m in msgs
                    if s == "sr.gs.added"]

        a = self.game_server()
        got = []
        deadline = time.monotonic() + 10
        while a.id not in added_ids(got) and time.monotonic() < deadline:
            got += client.drain_messages(0.05)
        self.assertIn(a.id, added_ids(got))

        nats.stop(cleanup=False)
        d.wait_for(lambda: d.metric("stratus_bus_connected") == 0, "the disconnect")
        during = [self.game_server() for _ in range(3)]
        g = self.gateway()
        nats.restart()
        client.reconnect()
        d.wait_for(connected, "the reconnect", timeout=20)
        after = self.game_server()
        h = self.gateway()

        # the daemon's own subscriber (through the restarted server) got what
        # was buffered during the outage and what came after, once each
        def recorded():
            rs = [(r["Subject"], json.loads(r["Payload"])) for r in read_records(rec)]
            return rs

        want_gs = [s.id for s in [a] + during + [after]]
        self.wait_for(lambda: [p["GameServer"]["ID"] for s, p in recorded()
                               if s == "sr.gs.added"] == want_gs, "every sr.gs.added")
        self.wait_for(lambda: [p["ID"] for s, p in recorded() if s == "sr.gw.added"] ==
                      [g.id, h.id], "every sr.gw.added")
        self.assertEqual(len([1 for s, _ in recorded() if s == "sr.gs.maps.reassigned"]), 5)
        # the outside subscriber gets what comes after the restart
        deadline = time.monotonic() + 10
        gw_ids = lambda: [parse_envelope(m)["p"]["ID"] for s, m in got  # noqa: E731
                          if s == "sr.gw.added"]
        while (after.id not in added_ids(got) or h.id not in gw_ids()) and \
                time.monotonic() < deadline:
            got += client.drain_messages(0.05)
        self.assertIn(after.id, added_ids(got))
        self.assertIn(h.id, gw_ids())
        self.assertEqual(d.metric("stratus_bus_dropped_total", reason="buffer_full") or 0, 0)
        self.assertGreaterEqual(d.metric("stratus_bus_reconnects_total"), 1)


if __name__ == "__main__":
    unittest.main()
