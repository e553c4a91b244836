"""characters plugin: SIGHUP changes a reloadable key (allow_two_side_add_friend)
in place while AddFriend/RemoveFriend database jobs are in flight. Workers must
use the value copied into their job, never the plugin's config, which the reload
swaps and frees (run under the ASan build, and the TSan build, to catch it)."""

import concurrent.futures
import threading
import unittest

import grpc

import charsupport as cs
from stack import StackCase

ADDED_OFFLINE, ENEMY = 7, 10
ALLIANCE = range(100, 116)
HORDE = range(200, 216)


def plugin_section(two_side):
    return ("[plugin.characters]\nenabled = yes\n"
            f"allow_two_side_add_friend = {'yes' if two_side else 'no'}\n")


class ReloadWhileJobsRun(StackCase):
    PLUGIN = plugin_section(False)

    @classmethod
    def seed(cls, db):
        for guid in ALLIANCE:
            cs.add_character(db, "chars1", guid, guid, f"Ally{guid}", race=1)
        for guid in HORDE:
            cs.add_character(db, "chars1", guid, guid, f"Horde{guid}", race=2)

    def reload(self, two_side, outcomes=("ok",)):
        seq = self.d.status()["last_reload"]["seq"]
        self.d.write_config(plugin_section(two_side))
        self.d.hup()
        self.assertIn(self.d.wait_reload(seq)["outcome"], outcomes)

    def befriend_and_part(self, player, stop):
        """AddFriend then RemoveFriend of the other faction until stopped;
        returns (calls, results of AddFriend, failures)."""
        results, failures, calls = set(), [], 0
        while not stop.is_set():
            for friend in HORDE:
                code, r = self.call("AddFriend", realmID=1, playerGUID=player,
                                    friendGUID=friend, note="")
                calls += 1
                if code != grpc.StatusCode.OK:
                    failures.append((code, r))
                    continue
                results.add(r.result)
                code, r = self.call("RemoveFriend", realmID=1, playerGUID=player,
                                    friendGUID=friend)
                if code != grpc.StatusCode.OK:
                    failures.append((code, r))
        return calls, results, failures

    def test_reloads_during_jobs_fail_no_call(self):
        generation = self.d.plugin("characters")["generation"]
        stop = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            runs = [pool.submit(self.befriend_and_part, p, stop) for p in ALLIANCE[:8]]
            try:
                for i in range(12):
                    self.reload(i % 2 == 0)
            finally:
                stop.set()
            got = [r.result() for r in runs]
        print(f"calls during the reloads: {sum(calls for calls, _, _ in got)}")
        self.assertEqual([f for _, _, fs in got for f in fs], [])
        self.assertTrue(all(calls > 0 for calls, _, _ in got))
        self.assertTrue(set().union(*(rs for _, rs, _ in got)) <= {ADDED_OFFLINE, ENEMY})
        self.assertEqual(self.d.plugin("characters")["generation"], generation,
                         "the key is meant to apply in place, without a new generation")
        self.assertEqual(self.db.query("chars1", "SELECT COUNT(*) FROM character_social"),
                         [(0,)])

    def test_the_reloaded_value_applies_to_the_next_call(self):
        try:
            for two_side, want in ((True, ADDED_OFFLINE), (False, ENEMY)):
                self.reload(two_side)
                r = self.ok("AddFriend", realmID=1, playerGUID=115, friendGUID=215, note="")
                self.assertEqual(r.result, want)
                self.ok("RemoveFriend", realmID=1, playerGUID=115, friendGUID=215)
        finally:
            self.reload(False, ("ok", "unchanged"))


if __name__ == "__main__":
    unittest.main()
