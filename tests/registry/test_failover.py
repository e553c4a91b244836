"""Discovery across real failures: a fake worldserver process that is frozen
(SIGSTOP) or killed is evicted after N failed checks, kept as a suspect and
re-admitted with its ID and maps when it answers again (after SIGCONT), with
sr.* events in order; maps it gains on re-admission go through the pending
flow; a game server whose /metrics stops answering is degraded (no new
players, ownership kept) and recovers; the registry's metrics count all of
it. Timings are in bench/registry/run-failover, not here."""

import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, _game_ports, build_path, pb  # noqa: E402
from natsclient import parse_envelope  # noqa: E402
from jsonlines import read_complete  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SUSPECTS = {"suspect_time": "60s", "suspect_backoff_max": "500ms"}


class SidecarProcess:
    """fake_sidecar.py: a registered fake worldserver in a process of its own."""

    def __init__(self, target, **kw):
        kw.setdefault("game_port", next(_game_ports))   # unique: the ID is its FNV
        argv = ["/usr/bin/python3", os.path.join(HERE, "fake_sidecar.py"), target]
        for k, v in kw.items():
            argv += [f"--{k.replace('_', '-')}", str(v)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, env=dict(os.environ))
        info = json.loads(self.proc.stdout.readline())
        self.id, self.assigned = info["id"], set(info["assigned"])
        self.health_port = info["health_port"]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class FailoverCase(RegistryCase):
    def start_with_events(self, health=None):
        self.rec = self.path("events.jsonl")
        h = dict(SUSPECTS)
        h.update(health or {})
        self.start(plugin_dir=build_path("fixtures"), health=h,
                   sections=f"[plugin.busprobe]\nsubscribe = sr.>\nrecord_file = {self.rec}\n")

    def events(self):
        """(subject, payload) of every sr.* event so far, in order."""
        return [(r["Subject"], parse_envelope(r["Raw"].encode())["p"])
                for r in read_complete(self.rec)]

    def events_after(self, n, count, what):
        self.wait_for(lambda: len(self.events()) >= n + count, what)
        return self.events()[n:]

    def sidecar(self, **kw):
        s = SidecarProcess(self.d.grpc_target, **kw)
        self.addCleanup(s.close)
        return s

    def metric(self, name, **labels):
        return self.d.metric(name, **labels) or 0

    @staticmethod
    def entry(event, gs_id):
        return next(s for s in event["Servers"] if s["ID"] == gs_id)


class Frozen(FailoverCase):
    def test_frozen_worldserver_is_evicted_then_readmitted_after_sigcont(self):
        self.start_with_events()
        a = self.sidecar()
        b = self.game_server()
        maps_a = self.assigned()[a.id]
        m = min(maps_a)
        self.assertEqual(self.lookup(m), [a.id])
        n = len(self.events())
        a.signal(signal.SIGSTOP)
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        self.assertEqual(self.lookup(m), [])                # b gained it: pending
        b.maps_loaded(sorted(maps_a))
        self.assertEqual(self.lookup(m), [b.id])
        self.assertGreaterEqual(self.metric("stratus_registry_probes_total", kind="health",
                                            result="timeout"), 3)
        self.assertEqual(self.metric("stratus_registry_evictions_total", role="game_server"), 1)
        self.assertEqual(self.metric("stratus_registry_game_servers", realm="1",
                                     state="suspect"), 1)
        a.signal(signal.SIGCONT)
        self.wait_for(lambda: a.id in self.servers(), "the re-admission")
        self.assertEqual(self.assigned()[a.id], maps_a)     # same ID, same bins
        self.assertEqual(self.lookup(m), [a.id])            # it still had them loaded
        self.assertEqual(self.metric("stratus_registry_readmissions_total",
                                     role="game_server"), 1)
        self.assertEqual(self.metric("stratus_registry_game_servers", realm="1",
                                     state="suspect"), 0)
        self.assertEqual(self.metric("stratus_registry_game_servers", realm="1",
                                     state="healthy"), 2)
        evs = self.events_after(n, 4, "four events")
        self.assertEqual([s for s, _ in evs], ["sr.gs.removed", "sr.gs.maps.reassigned",
                                               "sr.gs.maps.reassigned", "sr.gs.added"])
        self.assertEqual(evs[0][1]["GameServer"]["ID"], a.id)
        self.assertEqual(set(self.entry(evs[1][1], b.id)["NewAssignedMapsToHandle"]) & maps_a,
                         maps_a)
        back = self.entry(evs[2][1], a.id)
        # the sidecar applies entries whose old list is not empty: it is what it still holds
        self.assertEqual(set(back["OldAssignedMapsToHandle"]), maps_a)
        self.assertEqual(set(back["NewAssignedMapsToHandle"]), maps_a)
        self.assertEqual(evs[3][1]["GameServer"]["ID"], a.id)
        self.assertEqual(set(evs[3][1]["GameServer"]["NewAssignedMapsToHandle"]), maps_a)
        self.assertIn("re-admitted", self.d.log_text())


class Killed(FailoverCase):
    def test_killed_worldserver_is_evicted_and_forgotten_after_suspect_time(self):
        self.start_with_events({"suspect_time": "1s"})
        a = self.sidecar()
        b = self.game_server()
        a.signal(signal.SIGKILL)
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        self.assertEqual(set(self.servers()), {b.id})
        # refused, or reset when the kill caught a check on a kept-alive connection
        self.assertGreaterEqual(sum(self.metric("stratus_registry_probes_total", kind="health",
                                                result=r) for r in ("refused", "reset")), 3)
        self.wait_for(lambda: "did not answer within suspect_time" in self.d.log_text(),
                      "the suspect forgotten")
        self.assertEqual(self.metric("stratus_registry_game_servers", realm="1",
                                     state="suspect"), 0)
        self.assertGreater(self.metric("stratus_registry_probes_total", kind="suspect",
                                       result="refused"), 0)
        self.assertEqual(self.metric("stratus_registry_readmissions_total",
                                     role="game_server"), 0)

    def test_maps_gained_on_readmission_are_pending_until_loaded(self):
        self.start_with_events()
        a, _, c = self.game_server(), self.game_server(), self.game_server()
        maps_a = self.assigned()[a.id]
        a.http.close()
        self.wait_for(lambda: a.id not in self.servers(), "the eviction of a")
        c.http.close()                         # c dies meanwhile and stays down
        self.wait_for(lambda: c.id not in self.servers(), "the eviction of c")
        a.http.reopen()
        self.wait_for(lambda: a.id in self.servers(), "the re-admission")
        now_a = self.assigned()[a.id]
        gained, kept = now_a - maps_a, now_a & maps_a
        self.assertTrue(gained, "two servers share the maps differently than three")
        for m in gained:
            self.assertEqual(self.lookup(m), [], f"map {m} is pending")
        for m in kept:
            self.assertEqual(self.lookup(m), [a.id])
        a.maps_loaded(sorted(gained))
        for m in gained:
            self.assertEqual(self.lookup(m), [a.id])

    def test_registering_again_ends_the_suspicion(self):
        self.start_with_events()
        a = self.game_server()
        a.http.close()
        self.wait_for(lambda: a.id not in self.servers(), "the eviction")
        a.http.reopen()
        n = len(self.events())
        a.register()
        self.wait_for(lambda: self.metric("stratus_registry_game_servers", realm="1",
                                          state="suspect") == 0, "no suspect")
        hits = a.http.health_hits
        self.wait_for(lambda: a.http.health_hits >= hits + 4, "checks")
        added = [p for s, p in self.events()[n:] if s == "sr.gs.added"]
        self.assertEqual(len(added), 1)
        self.assertEqual(self.metric("stratus_registry_readmissions_total",
                                     role="game_server"), 0)

    def test_gateway_is_readmitted(self):
        self.start_with_events()
        g = self.gateway()
        g.http.close()
        self.wait_for(lambda: g.id not in self.gateways(), "the eviction")
        self.assertEqual(self.metric("stratus_registry_gateways", realm="1", state="suspect"), 1)
        n = len(self.events())
        g.http.reopen()
        self.wait_for(lambda: g.id in self.gateways(), "the re-admission")
        evs = self.events_after(n, 1, "sr.gw.added")
        self.assertEqual([(s, p["ID"]) for s, p in evs], [("sr.gw.added", g.id)])
        self.assertEqual(self.metric("stratus_registry_readmissions_total", role="gateway"), 1)


class StalledMetrics(FailoverCase):
    def test_stalled_metrics_degrade_keep_ownership_and_recover(self):
        self.start_with_events({"degraded_after_scrapes": 3})
        a = self.game_server(maps="0,1")
        b = self.game_server()
        a.maps_loaded([0, 1])
        self.assertEqual(self.lookup(1), [a.id])
        owned = self.assigned()
        n = len(self.events())
        a.http.metrics_hang = True             # /healthcheck still answers 200
        self.wait_for(lambda: self.lookup(1) != [a.id], "a degraded")
        self.assertEqual(self.lookup(1), [b.id])      # the healthy all-map server stands in
        self.assertEqual(self.lookup(0, group=4), [b.id])
        for _ in range(20):
            r = self.stub.RandomGameServerForRealm(
                pb.RandomGameServerForRealmRequest(api="1", realmID=1), timeout=5)
            self.assertEqual(r.gameServer.id, b.id)
        self.assertEqual(self.assigned(), owned)      # ownership kept, nothing reassigned
        self.assertIn(a.id, self.servers())
        self.assertEqual(self.metric("stratus_registry_degradations_total", reason="metrics"), 1)
        self.assertEqual(self.metric("stratus_registry_game_servers", realm="1",
                                     state="degraded"), 1)
        self.assertGreaterEqual(self.metric("stratus_registry_probes_total", kind="metrics",
                                            result="timeout"), 3)
        self.assertIn("/metrics scrapes failed", self.d.log_text())
        a.http.metrics_hang = False
        self.wait_for(lambda: self.lookup(1) == [a.id], "a recovered")
        self.assertEqual(self.metric("stratus_registry_game_servers", realm="1",
                                     state="degraded"), 0)
        self.assertEqual(self.assigned(), owned)
        self.assertEqual([s for s, _ in self.events()[n:]], [])   # no sr.* event at all


if __name__ == "__main__":
    unittest.main()
