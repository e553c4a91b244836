"""FinishRatedArenaMatch in a real stratusd against a real MariaDB: a result
applies AzerothCore's formulas to both teams and every participant in one
transaction, exactly once (3 sequential and 8 concurrent repeats), draws and
invalid arenas, crossrealm team IDs, a SIGHUP reload, and bad input that
changes nothing."""

import concurrent.futures
import unittest

import grpc

from arenatest import (ALLIANCE, ANY, BAD_TYPE, GOLD, HORDE, MISMATCH, NOT_FOUND, OK, RED,
                       START_MMR, THREES, PLUGIN, Sidecar, daemon, mmr_mod, prepare, rating_mod,
                       seed, snapshot)
from mariadb import MariaDB

CHARS = "mm_chars"
INVALID = grpc.StatusCode.INVALID_ARGUMENT


class ArenaResultsTest(unittest.TestCase):
    REAL_SCHEMA = False

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        if not prepare(cls.db, CHARS, cls.REAL_SCHEMA):
            cls.db.stop()
            raise unittest.SkipTest("AzerothCore's schema is not on this machine")
        cls.d = daemon(cls.db, CHARS).start()
        cls.side = Sidecar(cls.d.grpc_target)

    @classmethod
    def tearDownClass(cls):
        cls.side.close()
        code = cls.d.stop()
        cls.db.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-3000:]}"
        cls.d.cleanup()

    def setUp(self):
        seed(self.db, CHARS)

    # -- helpers --------------------------------------------------------------
    def team(self, team):
        return self.db.query(CHARS, "SELECT rating, weekGames, weekWins, seasonGames, seasonWins "
                                    "FROM arena_team WHERE arenaTeamId = %s", (team,))[0]

    def member(self, team, guid):
        return self.db.query(CHARS, "SELECT personalRating, weekGames, weekWins, seasonGames, "
                                    "seasonWins FROM arena_team_member WHERE arenaTeamId = %s "
                                    "AND guid = %s", (team, guid))[0]

    def mmr(self, guid, slot=0):
        rows = self.db.query(CHARS, "SELECT matchMakerRating, maxMMR FROM character_arena_stats "
                                    "WHERE guid = %s AND slot = %s", (guid, slot))
        return tuple(rows[0]) if rows else None

    def assert_gold_beat_red_once(self):
        gold_change, red_change = rating_mod(1500, 1400, True), rating_mod(1300, 1600, False)
        self.assertEqual(tuple(self.team(GOLD)), (1500 + gold_change, 2, 2, 5, 3))
        self.assertEqual(tuple(self.team(RED)), (1300 + red_change, 2, 1, 5, 2))
        win, loss = rating_mod(1400, 1400, True), rating_mod(1400, 1600, False)
        for guid in (101, 102):
            self.assertEqual(tuple(self.member(GOLD, guid)), (1400 + win, 2, 2, 5, 3))
        for guid in (201, 202):
            self.assertEqual(tuple(self.member(RED, guid)), (1400 + loss, 2, 1, 5, 2))
        up, down = mmr_mod(1600, 1400, True), mmr_mod(1400, 1600, False)
        self.assertEqual(self.mmr(101), (1600 + up, 1650 if 1600 + up < 1650 else 1600 + up))
        self.assertEqual(self.mmr(102), (START_MMR + up, START_MMR + up))
        self.assertEqual(self.mmr(201), (1400 + down, 1400))
        self.assertEqual(tuple(self.member(GOLD, 103)), (1400, 1, 1, 4, 2))  # did not play
        self.assertIsNone(self.mmr(103))
        return gold_change, red_change

    # -- exactly once -----------------------------------------------------------
    def test_a_result_sent_three_times_applies_once(self):
        answers = [self.side.finish() for _ in range(3)]
        gold_change, red_change = self.assert_gold_beat_red_once()
        first = answers[0]
        self.assertEqual(first.status, OK)
        self.assertEqual((first.allianceScore.arenaTeamID, first.allianceScore.teamName,
                          first.allianceScore.ratingChange, first.allianceScore.matchmakerRating,
                          first.allianceScore.realmID), (GOLD, "Gold", gold_change, 1600, 1))
        self.assertEqual((first.hordeScore.teamName, first.hordeScore.ratingChange), ("Red", red_change))
        self.assertEqual(sorted(r.playerGUID for r in first.memberResults), [101, 102, 201, 202])
        r101 = next(r for r in first.memberResults if r.playerGUID == 101)
        self.assertEqual((r101.team, r101.personalRating, r101.weekGames, r101.seasonWins,
                          r101.matchmakerRating), (ALLIANCE, 1412, 2, 3, self.mmr(101)[0]))
        for again in answers[1:]:
            self.assertEqual(again.SerializeToString(), first.SerializeToString())
        self.assertEqual(len(self.db.query(CHARS, "SELECT * FROM stratus_arena_match_result")), 1)

    def test_concurrent_repeats_apply_once(self):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: self.side.finish(), range(8)))
        self.assert_gold_beat_red_once()
        self.assertEqual({a.SerializeToString() for a in answers}, {answers[0].SerializeToString()})

    def test_another_instance_is_another_match(self):
        self.side.finish(instance=7)
        self.side.finish(instance=8)
        self.assertEqual(self.team(GOLD)[1:], (3, 3, 6, 4))
        self.assertEqual(len(self.db.query(CHARS, "SELECT * FROM stratus_arena_match_result")), 2)

    def test_crossrealm_team_ids_and_guids(self):
        r = self.side.finish(cross=True, alliance=1 << 24 | GOLD, horde=1 << 24 | RED,
                             participants=[(ALLIANCE, 1 << 32 | 101), (ALLIANCE, 1 << 32 | 102),
                                           (HORDE, 1 << 32 | 201), (HORDE, 1 << 32 | 202)])
        self.assertEqual(r.status, OK)
        self.assertEqual(r.allianceScore.arenaTeamID, 1 << 24 | GOLD)
        self.assertIn(1 << 32 | 201, [m.playerGUID for m in r.memberResults])
        self.assert_gold_beat_red_once()

    # -- draws and invalid arenas ----------------------------------------------------
    def test_a_draw_takes_16_from_both_teams(self):
        r = self.side.finish(winner=ANY)
        self.assertEqual((r.allianceScore.ratingChange, r.hordeScore.ratingChange), (-16, -16))
        self.assertEqual(tuple(self.team(GOLD)), (1484, 2, 1, 5, 2))
        self.assertEqual(tuple(self.team(RED)), (1284, 2, 1, 5, 2))
        self.assertEqual(tuple(self.member(GOLD, 101)), (1400, 2, 1, 5, 2))
        self.assertEqual(self.mmr(101), (1600, 1650))

    def test_an_invalid_arena_changes_no_rating(self):
        before = snapshot(self.db, CHARS)
        r = self.side.finish(valid=False)
        self.assertEqual((r.status, r.allianceScore.ratingChange), (OK, 0))
        after = snapshot(self.db, CHARS)
        self.assertEqual(len(after.pop("stratus_arena_match_result")), 1)
        before.pop("stratus_arena_match_result")
        self.assertEqual(before, after)

    # -- refusals change nothing and are not remembered --------------------------------
    def assert_refused(self, status, **kw):
        before = snapshot(self.db, CHARS)
        self.assertEqual(self.side.finish(**kw).status, status)
        self.assertEqual(snapshot(self.db, CHARS), before)

    def test_a_participant_not_in_the_team_is_refused(self):
        self.assert_refused(MISMATCH, participants=[(ALLIANCE, 101), (ALLIANCE, 201), (HORDE, 202)])
        self.assert_refused(MISMATCH, participants=[(ALLIANCE, 101), (HORDE, 999)])
        self.side.finish()  # the corrected report still applies
        self.assert_gold_beat_red_once()

    def test_wrong_type_and_unknown_team(self):
        self.assert_refused(BAD_TYPE, horde=THREES)
        self.assert_refused(NOT_FOUND, horde=99)
        self.assert_refused(NOT_FOUND, alliance=98)

    def test_bad_input_is_an_invalid_argument(self):
        before = snapshot(self.db, CHARS)
        cases = [dict(arena_type=4), dict(arena_type=0), dict(winner=7), dict(horde=GOLD),
                 dict(alliance=0), dict(realm=0), dict(realm=9),
                 dict(participants=[(ANY, 101)]),
                 dict(participants=[(ALLIANCE, 101), (ALLIANCE, 101)]),
                 dict(participants=[(ALLIANCE, 101), (ALLIANCE, 102), (ALLIANCE, 103)]),
                 dict(participants=[(ALLIANCE, 0)]),
                 dict(participants=[]), dict(participants=[(ALLIANCE, 101)]),
                 dict(participants=[(ALLIANCE, 2 << 32 | 101)])]
        for kw in cases:
            code, details = self.side.error(**kw)
            self.assertEqual(code, INVALID, f"{kw}: {code} {details}")
            self.assertTrue(details, kw)
        code, details = self.side.error(cross=True, alliance=1 << 24 | GOLD, horde=2 << 24 | RED)
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION, details)
        self.assertEqual(snapshot(self.db, CHARS), before)

    def test_methods_not_built_yet_answer_unimplemented(self):
        M = __import__("matchmaking.matchmaking_pb2", fromlist=["x"])
        calls = [("EnqueueToBattleground", M.EnqueueToBattlegroundRequest(realmID=1, leaderGUID=101)),
                 ("BattlegroundQueueDataForPlayer",
                  M.BattlegroundQueueDataForPlayerRequest(realmID=1, playerGUID=101)),
                 ("PlayerLeftBattleground", M.PlayerLeftBattlegroundRequest(realmID=1)),
                 ("JoinLfg", M.JoinLfgRequest(realmID=1))]
        for method, req in calls:
            with self.assertRaises(grpc.RpcError) as e:
                getattr(self.side.stub, method)(req, timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNIMPLEMENTED, method)

    # -- reload -------------------------------------------------------------------------
    def test_reload_keeps_answers_and_applies_new_start_mmr(self):
        first = self.side.finish()
        try:
            before = self.d.status()["last_reload"]["seq"]
            self.d.write_config(PLUGIN + "start_mmr = 1000\n")
            self.d.hup()
            self.assertEqual(self.d.wait_reload(before)["outcome"], "ok")
            r = self.side.finish(instance=9, participants=[(ALLIANCE, 103), (HORDE, 201)])
            self.assertEqual(r.status, OK)
            self.assertEqual(self.mmr(103)[0], 1000 + mmr_mod(1600, 1400, True))
            self.assertEqual(self.side.finish().SerializeToString(), first.SerializeToString())
        finally:
            before = self.d.status()["last_reload"]["seq"]
            self.d.write_config(PLUGIN)
            self.d.hup()
            self.d.wait_reload(before)

class ArenaResultsOnAzerothCoreTest(ArenaResultsTest):
    """The same, on AzerothCore's own characters schema."""
    REAL_SCHEMA = True


if __name__ == "__main__":
    unittest.main()
