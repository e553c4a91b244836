"""No GUID is handed out twice: 20 concurrent grpcio clients x 200 calls
against two stratusd on the same characters database, one restarted cleanly
and the other killed (SIGKILL) and restarted in the middle; then every range
is checked against every other and against the reservation rows. Also the
ToCloud9 double hand-out pattern (tocloud9.md §6) across two daemons with
interleaved types and non-contiguous blocks. Fixture and real schema."""

import random
import signal
import threading
import time
import unittest

import grpc

from guidtest import (CHARACTER, INSTANCE, ITEM, TYPES, Client, daemon, db_section,
                      insert_id, load_schema, migrate, reservations, wait_until)
from mariadb import MariaDB

CLIENTS, CALLS = 20, 200
SIZES = (1, 2, 7, 50, 200, 10000)


class Load:
    """CLIENTS threads, each with its own channel to one of the daemons,
    making CALLS successful calls (retrying UNAVAILABLE while a daemon is
    down) and recording every range it got."""

    def __init__(self, targets):
        self.targets = targets
        self.lock = threading.Lock()
        self.done = 0
        self.ranges = []         # (type, size, start, end, client)
        self.failures = []       # (client, code, details) of UNAVAILABLE answers
        self.unexpected = []     # anything else
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True)
                        for i in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self, timeout=300):
        for t in self.threads:
            t.join(timeout)
            if t.is_alive():
                raise TimeoutError("a client thread did not finish")

    def client(self, i):
        rng = random.Random(i)
        c = Client(self.targets[i % len(self.targets)])
        try:
            for k in range(CALLS):
                guid_type, size = (i + k) % 3, rng.choice(SIZES)
                got = self.call(c, i, guid_type, size)
                with self.lock:
                    self.ranges += [(guid_type, size, s, e, i) for s, e in got]
                    self.done += 1
        finally:
            c.close()

    def call(self, c, i, guid_type, size):
        deadline = time.monotonic() + 60
        while True:
            try:
                return c.ranges(1, guid_type, size, timeout=10)
            except grpc.RpcError as e:
                with self.lock:
                    if e.code() == grpc.StatusCode.UNAVAILABLE:
                        self.failures.append((i, e.code(), e.details()))
                    else:
                        self.unexpected.append((i, e.code(), e.details()))
                        raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


class UniquenessBase:
    real = False

    def setUp(self):
        self.db = MariaDB().start()
        self.addCleanup(self.db.stop)
        if not load_schema(self.db, "chars", self.real):
            raise unittest.SkipTest("no AzerothCore schema here")
        migrate(self.db, "chars")
        self.a = daemon(db_section(self.db, 1, "chars", pool_size=4), log_level="info")
        self.b = daemon(db_section(self.db, 1, "chars", pool_size=4), log_level="info")
        for d in (self.a, self.b):
            d.start()
            self.addCleanup(self.stop, d)

    def stop(self, d):
        code = d.stop()
        self.assertEqual(code, 0, f"stratusd exited with {code}:\n{d.log_text()[-3000:]}")
        d.cleanup()

    def test_concurrent_clients_restart_and_second_daemon(self):
        load = Load([self.a.grpc_target, self.b.grpc_target])
        total = CLIENTS * CALLS
        began = time.monotonic()
        load.start()
        wait_until(lambda: load.done >= total // 3, "a third of the calls", 120)
        self.assertEqual(self.a.stop(), 0, "clean stop under load")
        self.a.start()
        wait_until(lambda: load.done >= 2 * total // 3, "two thirds of the calls", 120)
        self.b.proc.send_signal(signal.SIGKILL)  # a crash: in-flight reservations are lost
        self.b.proc.wait(10)
        self.b.start()
        load.join()
        self.assertEqual(load.unexpected, [])
        self.assertEqual(len(load.ranges), total, "every call got exactly one range")
        self.assertTrue(load.failures, "no call saw a daemon down: the restarts were too quick")
        lost = self.check(load)
        print(f"\n  {total} calls in {time.monotonic() - began:.1f} s, {len(load.failures)} "
              f"UNAVAILABLE answers retried, {lost} committed ranges never delivered",
              flush=True)

    def check(self, load):
        """Checks every range; returns how many were reserved but not delivered."""
        rows, lost_total = reservations(self.db, "chars"), 0
        for t in TYPES:
            ranges = sorted((s, e, size) for typ, size, s, e, _ in load.ranges if typ == t)
            prev_end, delivered, gaps = 0, 0, []
            for start, end, size in ranges:
                self.assertEqual(end - start + 1, size)
                self.assertGreater(start, prev_end, f"type {t}: [{start}..{end}] overlaps a "
                                                    f"range ending at {prev_end}")
                if start > prev_end + 1:
                    gaps.append((prev_end + 1, start - 1))
                prev_end, delivered = end, delivered + size
            next_guid, ranges_reserved, guids_reserved, _ = rows[t]
            # Nothing else writes ids here, so the reserved space is exactly
            # [1, next_guid - 1]: the delivered ranges plus the ranges of calls
            # that committed but never reached their client (the killed
            # daemon's). Each such gap was claimed once and is never handed
            # out again (the ranges above are disjoint from it).
            self.assertGreater(next_guid, prev_end)
            if next_guid - 1 > prev_end:
                gaps.append((prev_end + 1, next_guid - 1))
            self.assertEqual(guids_reserved, next_guid - 1, f"type {t}")
            self.assertEqual(guids_reserved - delivered, sum(e - s + 1 for s, e in gaps))
            lost = ranges_reserved - len(ranges)
            self.assertGreaterEqual(lost, 0)
            self.assertLessEqual(len(gaps), lost, f"type {t}: gaps {gaps[:5]}")
            self.assertLessEqual(lost, len(load.failures))
            lost_total += lost
        return lost_total

    def test_tocloud9_double_hand_out_across_two_daemons(self):
        """Non-contiguous blocks (two replicas, interleaved types, ids written
        outside the cluster) and requests larger than any block's rest: the
        pattern that made ToCloud9's guidserver repeat GUIDs."""
        clients = [Client(self.a.grpc_target), Client(self.b.grpc_target)]
        self.addCleanup(lambda: [c.close() for c in clients])
        handed = {t: [] for t in TYPES}
        rng = random.Random(9)
        for k in range(300):
            t = (CHARACTER, ITEM, ITEM, INSTANCE)[k % 4]
            size = rng.choice((1, 3, 10, 11, 12, 100))
            handed[t] += clients[k % 2].ranges(1, t, size)
            if k % 17 == 0:  # a worldserver outside the cluster creates an id ahead
                top = max(e for _, e in handed[t])
                insert_id(self.db, "chars", t, top + rng.randint(1, 50))
        for t in TYPES:
            guids = [g for s, e in handed[t] for g in range(s, e + 1)]
            self.assertEqual(len(guids), len(set(guids)), f"type {t}: a GUID handed out twice")
            self.assertEqual(guids, sorted(guids), f"type {t}: ranges went backwards")
        rows = reservations(self.db, "chars")
        self.assertEqual([rows[t][1] for t in TYPES],
                         [len(handed[CHARACTER]), len(handed[ITEM]), len(handed[INSTANCE])])


class FixtureSchema(UniquenessBase, unittest.TestCase):
    real = False


class RealAzerothCoreSchema(UniquenessBase, unittest.TestCase):
    real = True


if __name__ == "__main__":
    unittest.main()
