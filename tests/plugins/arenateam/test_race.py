"""Concurrent creations against two stratusd instances sharing one realm
database: one name wanted by 20 charters gives exactly one team, 20 names
give 20 distinct team IDs, and one signer on 10 charters joins exactly one
team of the type. A client retries ABORTED (a deadlock the runner gave up
on), as the gateway does."""

import threading
import unittest

import grpc

from arenatest import (CHARS, CREATE, REALM, Stack, add_character, add_charter, clear, pb, pbg)
from stratusd import Stratusd

N = 20


class RaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(matchmaking=False)
        for i in range(N):
            add_character(cls.s.db, 100 + i, f"Cap{chr(97 + i)}")
            add_character(cls.s.db, 200 + i, f"Sig{chr(97 + i)}")
        add_character(cls.s.db, 300, "Popular")
        cls.second = Stratusd(log_level="info")
        cls.second.sections_extra = cls.s.d.sections_extra
        cls.second.write_config("[plugin.arenateam]\nenabled = yes\n")
        cls.second.start()
        cls.channels = [grpc.insecure_channel(cls.s.d.grpc_target),
                        grpc.insecure_channel(cls.second.grpc_target)]
        cls.stubs = [pbg.CharactersServiceStub(c) for c in cls.channels]

    @classmethod
    def tearDownClass(cls):
        for c in cls.channels:
            c.close()
        code = cls.second.stop()
        cls.second.cleanup()
        cls.s.close()
        assert code == 0, f"second stratusd exited with {code}"

    def setUp(self):
        clear(self.s.db)

    def create_all(self, requests):
        """Sends every request at once, half to each instance; the statuses."""
        results = [None] * len(requests)
        barrier = threading.Barrier(len(requests))

        def run(i):
            stub = self.stubs[i % 2]
            barrier.wait()
            while True:
                try:
                    results[i] = stub.CreateArenaTeamFromPetition(requests[i], timeout=30)
                    return
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.ABORTED:
                        results[i] = e
                        return

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assertIsInstance(r, pb.CreateArenaTeamFromPetitionResponse, r)
        return results

    def request(self, i, petition=None):
        return pb.CreateArenaTeamFromPetitionRequest(
            realmID=REALM, captainGUID=100 + i, petitionGUID=petition or 1000 + i, arenaType=2,
            startRating=1500, startPersonalRating=1500, startMatchmakerRating=1500)

    def q(self, sql, args=()):
        return self.s.db.query(CHARS, sql, args)

    def test_one_name_twenty_charters_one_team(self):
        for i in range(N):
            add_charter(self.s.db, 100 + i, 1000 + i, "Same Name", 2, (200 + i,))
        results = self.create_all([self.request(i) for i in range(N)])
        winners = [i for i, r in enumerate(results) if r.status == CREATE.Ok]
        self.assertEqual(len(winners), 1, [r.status for r in results])
        self.assertEqual(sorted(r.status for r in results if r.status != CREATE.Ok),
                         [CREATE.NameExists] * (N - 1))
        w = winners[0]
        self.assertEqual(self.q("SELECT arenaTeamId, captainGuid FROM arena_team"),
                         [(results[w].arenaTeamID, 100 + w)])
        self.assertEqual(self.q("SELECT guid FROM arena_team_member ORDER BY guid"),
                         [(100 + w,), (200 + w,)])
        # the losers keep their charters and signatures
        self.assertEqual(self.q("SELECT COUNT(*) FROM petition"), [(N - 1,)])
        self.assertEqual(self.q("SELECT COUNT(*) FROM petition_sign"), [(N - 1,)])

    def test_twenty_names_twenty_distinct_ids(self):
        for i in range(N):
            add_charter(self.s.db, 100 + i, 1000 + i, f"Team {i}", 2, (200 + i,))
        results = self.create_all([self.request(i) for i in range(N)])
        self.assertEqual([r.status for r in results], [CREATE.Ok] * N)
        ids = {r.arenaTeamID for r in results}
        self.assertEqual(len(ids), N)
        self.assertEqual(sorted(ids), sorted(i for (i,) in self.q("SELECT arenaTeamId FROM "
                                                                 "arena_team")))
        self.assertEqual(self.q("SELECT COUNT(*) FROM arena_team_member"), [(2 * N,)])

    def test_one_signer_on_ten_charters_joins_one_team(self):
        for i in range(10):
            add_charter(self.s.db, 100 + i, 1000 + i, f"Want {i}", 2, (300,))
        results = self.create_all([self.request(i) for i in range(10)])
        statuses = [r.status for r in results]
        self.assertEqual(statuses.count(CREATE.Ok), 1, statuses)
        # a loser finds 300 in a team, or (after the winner dropped 300's other
        # signatures of the type, as AzerothCore does) too few signatures
        self.assertEqual(set(statuses) - {CREATE.Ok},
                         set(statuses) & {CREATE.AlreadyInTeam, CREATE.NotEnoughSignatures})
        self.assertEqual(self.q("SELECT COUNT(*) FROM arena_team_member WHERE guid = 300"),
                         [(1,)])
        self.assertEqual(self.q("SELECT COUNT(*) FROM arena_team"), [(1,)])


if __name__ == "__main__":
    unittest.main()
