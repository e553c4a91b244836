"""characters plugin: friends and ignore lists in character_social, notes,
status notifications and the friends.* events, through a real stratusd with
grpcio and a nats-server subscriber, against the schema fixture and the real
AzerothCore schema. Includes concurrent calls against the list limit."""

import concurrent.futures
import unittest

import grpc

import charsupport as cs
from stack import StackCase

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND

# AzerothCore FriendsResult
LIST_FULL, NOT_FOUND_R, ADDED_ONLINE, ADDED_OFFLINE, ALREADY, SELF, ENEMY = 1, 4, 6, 7, 8, 9, 10
IGNORE_FULL, IGNORE_SELF, IGNORE_NOT_FOUND, IGNORE_ALREADY, IGNORE_ADDED = 11, 12, 13, 14, 15

NAMES = {10: ("Anduin", 1), 11: ("Varok", 2), 12: ("Tyrande", 4), 13: ("Malfurion", 4),
         14: ("Garrosh", 2), 16: ("Velen", 11), 20: ("Fullfriends", 1), 21: ("Fullignore", 1),
         30: ("Popular", 1), 31: ("Racer", 1), 32: ("Notes", 1)}


class SocialTest(StackCase):
    @classmethod
    def seed(cls, db):
        for guid, (name, race) in NAMES.items():
            cs.add_character(db, "chars1", guid, guid, name, race=race)
        for guid in range(40, 60):
            cs.add_character(db, "chars1", guid, guid, f"Target{guid}", race=1)
        social = [(20, 1000 + i, 1, "") for i in range(50)] + \
                 [(21, 2000 + i, 2, "") for i in range(50)] + \
                 [(30, 3000 + i, 1, "") for i in range(45)] + \
                 [(12, 10, 1, "old friend"), (13, 10, 1, ""), (14, 10, 1, "")]
        for row in social:
            db.execute("chars1", "INSERT INTO character_social VALUES (%s, %s, %s, %s)", row)

    def social(self, guid):
        return self.db.query("chars1", "SELECT friend, flags, note FROM character_social "
                                       "WHERE guid = %s ORDER BY friend", (guid,))

    def add_friend(self, player, friend, note="", realm=1):
        return self.ok("AddFriend", realmID=realm, playerGUID=player, friendGUID=friend,
                       friendName="ignored", note=note)

    def payloads(self, subject, count=1):
        got = cs.wait_events(self.sub, subject, count)
        self.assertEqual(len(got), count, f"{subject}: {got}")
        return [e["p"] for e in got]

    # -- AddFriend ------------------------------------------------------------------------------
    def test_add_friend_offline_then_already(self):
        r = self.add_friend(10, 12, "tree hugger")
        self.assertEqual((r.result, r.status, r.friendGUID, r.accepted, r.pending),
                         (ADDED_OFFLINE, 0, 12, True, False))
        self.assertEqual(self.social(10), [(12, 1, "tree hugger")])
        (p,) = self.payloads("friends.friend.added")
        self.assertEqual({k: p[k] for k in ("RealmID", "PlayerGUID", "FriendGUID", "FriendName",
                                             "Note")},
                         {"RealmID": 1, "PlayerGUID": 10, "FriendGUID": 12, "FriendName": "Tyrande",
                          "Note": "tree hugger"})
        self.assertIsInstance(p["ServiceID"], str)
        r = self.add_friend(10, 12, "again")
        self.assertEqual((r.result, r.friendGUID, r.accepted), (ALREADY, 12, False))
        self.assertEqual(self.social(10), [(12, 1, "tree hugger")])
        self.assertEqual(cs.events(self.sub, "friends.friend.added", 0.3), [])
        self.ok("RemoveFriend", realmID=1, playerGUID=10, friendGUID=12)

    def test_add_online_friend_reports_status(self):
        self.login(realm=1, gateway="g1", guid=13, name="Malfurion", race=4, cls=11, level=80,
                   zone=141, account=13)
        try:
            r = self.add_friend(10, 13)
            self.assertEqual((r.result, r.status, r.area, r.level, r.classID),
                             (ADDED_ONLINE, 1, 141, 80, 11))
        finally:
            self.logout(1, "g1", 13)
            self.ok("RemoveFriend", realmID=1, playerGUID=10, friendGUID=13)

    def test_add_friend_game_rule_refusals_write_nothing(self):
        for friend, result in ((10, SELF), (999, NOT_FOUND_R), (11, ENEMY), (14, ENEMY),
                               (2 << 32 | 12, NOT_FOUND_R)):
            r = self.add_friend(10, friend)
            self.assertEqual(r.result, result, friend)
            self.assertFalse(r.accepted)
        r = self.add_friend(20, 12)  # 50 friends already
        self.assertEqual(r.result, LIST_FULL)
        self.assertEqual(len(self.social(20)), 50)
        self.assertEqual(self.social(10), [])
        self.assertEqual(cs.events(self.sub, "friends.friend.added", 0.3), [])

    def test_add_friend_bad_input_writes_nothing(self):
        base = dict(realmID=1, playerGUID=10, friendGUID=12, note="")
        for fields, code, message in (
                ({"realmID": 0}, INVALID, "realmID is 0"),
                ({"realmID": 6}, NOT_FOUND, "realm 6 has no [db.characters.6]"),
                ({"playerGUID": 0}, INVALID, "playerGUID is 0"),
                ({"friendGUID": 0}, INVALID, "friendGUID is 0"),
                ({"playerGUID": 2 << 32 | 10}, INVALID, "belongs to realm 2"),
                ({"note": "n" * 49}, INVALID, "note has 49 characters; at most 48"),
                ({"playerGUID": 998}, NOT_FOUND, "character 998 not found on realm 1")):
            self.fails("AddFriend", code, message, **dict(base, **fields))
        raw = (cs.field_varint(2, 1) + cs.field_varint(3, 10) + cs.field_varint(4, 12) +
               cs.field_bytes(6, b"caf\xe9"))
        self.assertEqual(cs.raw_call(self.channel, "AddFriend", raw),
                         (INVALID, "note is not valid UTF-8"))
        self.assertEqual(self.social(10), [])
        r = self.add_friend(10, 12, "\u00e9" * 48)  # 48 characters, 96 bytes: fits the column
        self.assertEqual(r.result, ADDED_OFFLINE)
        self.assertEqual(self.social(10), [(12, 1, "\u00e9" * 48)])
        self.ok("RemoveFriend", realmID=1, playerGUID=10, friendGUID=12)

    # -- lists, notes, removal --------------------------------------------------------------
    def test_friend_and_ignore_share_one_row(self):
        self.assertEqual(self.ok("AddIgnore", realmID=1, playerGUID=10, ignoredGUID=16).result,
                         IGNORE_ADDED)
        self.assertEqual(self.add_friend(10, 16, "both").result, ADDED_OFFLINE)
        self.assertEqual(self.social(10), [(16, 3, "both")])
        r = self.ok("GetFriendsList", realmID=1, playerGUID=10)
        self.assertEqual([(f.guid, f.note, f.status, f.realmID) for f in r.friends],
                         [(16, "both", 0, 1)])
        self.assertEqual([i.guid for i in r.ignored], [16])
        self.ok("RemoveIgnore", realmID=1, playerGUID=10, ignoredGUID=16)
        self.assertEqual(self.social(10), [(16, 1, "both")])
        self.ok("RemoveFriend", realmID=1, playerGUID=10, friendGUID=16)
        self.assertEqual(self.social(10), [])

    def test_friends_list_shows_online_state(self):
        self.add_friend(32, 12, "a")
        self.add_friend(32, 13, "b")
        self.ok("AddIgnore", realmID=1, playerGUID=32, ignoredGUID=16)
        self.login(realm=1, gateway="g1", guid=13, name="Malfurion", race=4, cls=11, level=80,
                   zone=141, account=13)
        try:
            r = self.ok("GetFriendsList", realmID=1, playerGUID=32)
            got = [(f.guid, f.note, f.status, f.area, f.level, f.classID) for f in r.friends]
            self.assertEqual(got, [(12, "a", 0, 0, 0, 0), (13, "b", 1, 141, 80, 11)])
            self.assertEqual([i.guid for i in r.ignored], [16])
        finally:
            self.logout(1, "g1", 13)
        self.assertEqual(len(self.ok("GetFriendsList", realmID=1, playerGUID=20).friends), 50)
        self.fails("GetFriendsList", NOT_FOUND, "character 997 not found", realmID=1,
                   playerGUID=997)
        self.fails("GetFriendsList", INVALID, "playerGUID is 0", realmID=1, playerGUID=0)

    def test_set_note_and_remove_publish_events(self):
        self.add_friend(32, 40, "first")
        self.payloads("friends.friend.added")
        self.ok("SetFriendNote", realmID=1, playerGUID=32, friendGUID=40, note="second")
        self.assertIn((40, 1, "second"), self.social(32))
        (p,) = self.payloads("friends.note.updated")
        self.assertEqual({k: p[k] for k in ("RealmID", "PlayerGUID", "FriendGUID", "Note")},
                         {"RealmID": 1, "PlayerGUID": 32, "FriendGUID": 40, "Note": "second"})
        self.fails("SetFriendNote", NOT_FOUND, "character 32 has no friend 41 on realm 1",
                   realmID=1, playerGUID=32, friendGUID=41, note="x")
        self.fails("SetFriendNote", INVALID, "note has 49", realmID=1, playerGUID=32,
                   friendGUID=40, note="x" * 49)
        self.assertIn((40, 1, "second"), self.social(32))
        self.ok("RemoveFriend", realmID=1, playerGUID=32, friendGUID=40)
        self.assertNotIn(40, [row[0] for row in self.social(32)])
        (p,) = self.payloads("friends.friend.removed")
        self.assertEqual({k: p[k] for k in ("RealmID", "PlayerGUID", "FriendGUID")},
                         {"RealmID": 1, "PlayerGUID": 32, "FriendGUID": 40})
        self.ok("RemoveFriend", realmID=1, playerGUID=32, friendGUID=40)  # a retry succeeds
        self.assertEqual(cs.events(self.sub, "friends.friend.removed", 0.3), [])
        self.fails("RemoveFriend", INVALID, "friendGUID is 0", realmID=1, playerGUID=32,
                   friendGUID=0)
        self.fails("RemoveIgnore", INVALID, "belongs to realm 3", realmID=1, playerGUID=32,
                   ignoredGUID=3 << 32 | 5)

    # -- ignore ---------------------------------------------------------------------------------
    def test_add_ignore_results(self):
        ignore = lambda p, i: self.ok("AddIgnore", realmID=1, playerGUID=p,  # noqa: E731
                                      ignoredGUID=i).result
        self.assertEqual(ignore(31, 31), IGNORE_SELF)
        self.assertEqual(ignore(31, 999), IGNORE_NOT_FOUND)
        self.assertEqual(ignore(31, 11), IGNORE_ADDED)  # no faction rule for ignoring
        self.assertEqual(ignore(31, 11), IGNORE_ALREADY)
        self.assertEqual(ignore(21, 11), IGNORE_FULL)
        self.assertEqual(self.social(31), [(11, 2, "")])
        self.assertEqual(len(self.social(21)), 50)
        self.ok("RemoveIgnore", realmID=1, playerGUID=31, ignoredGUID=11)
        self.ok("RemoveIgnore", realmID=1, playerGUID=31, ignoredGUID=11)
        self.assertEqual(self.social(31), [])
        self.fails("AddIgnore", INVALID, "ignoredGUID is 0", realmID=1, playerGUID=31,
                   ignoredGUID=0)

    # -- status notifications --------------------------------------------------------------------
    def test_notify_status_change_reaches_online_friends(self):
        # 12, 13 (Alliance) and 14 (Horde) have 10 on their friend lists.
        self.login(realm=1, gateway="g1", guid=13, name="Malfurion", race=4, account=13)
        self.login(realm=1, gateway="g1", guid=14, name="Garrosh", race=2, account=14)
        self.login(realm=1, gateway="g2", guid=10, name="Anduin", race=1, level=80, zone=1519,
                   cls=5, account=10)
        try:
            (p,) = self.payloads("friends.status.changed")  # the login announced itself
            self.assertEqual({k: p[k] for k in ("RealmID", "PlayerGUID", "Status", "Area",
                                                 "Level", "ClassID", "NotifyPlayers")},
                             {"RealmID": 1, "PlayerGUID": 10, "Status": 1, "Area": 1519,
                              "Level": 80, "ClassID": 5, "NotifyPlayers": [13]})
            self.ok("NotifyStatusChange", realmID=1, playerGUID=10, status=2, area=3, level=81,
                    classID=5)
            (p,) = self.payloads("friends.status.changed")
            self.assertEqual((p["Status"], p["Area"], p["Level"], p["NotifyPlayers"]),
                             (2, 3, 81, [13]))
            self.fails("NotifyStatusChange", INVALID, "status 256", realmID=1, playerGUID=10,
                       status=256)
        finally:
            self.logout(1, "g2", 10)
            (p,) = self.payloads("friends.status.changed")
            self.assertEqual((p["PlayerGUID"], p["Status"], p["NotifyPlayers"]), (10, 0, [13]))
            self.logout(1, "g1", 13)
            self.logout(1, "g1", 14)
        # Nobody who has 10 as a friend is online: no event.
        self.ok("NotifyStatusChange", realmID=1, playerGUID=10, status=1)
        self.assertEqual(cs.events(self.sub, "friends.status.changed", 0.3), [])

    def test_every_method_checks_realm_and_player(self):
        calls = {"GetFriendsList": {}, "AddFriend": {"friendGUID": 12},
                 "RemoveFriend": {"friendGUID": 12}, "SetFriendNote": {"friendGUID": 12},
                 "AddIgnore": {"ignoredGUID": 12}, "RemoveIgnore": {"ignoredGUID": 12},
                 "NotifyStatusChange": {"status": 1}}
        for method, extra in calls.items():
            self.fails(method, NOT_FOUND, "realm 8 has no [db.characters.8]", realmID=8,
                       playerGUID=10, **extra)
            self.fails(method, INVALID, "realmID is 0", realmID=0, playerGUID=10, **extra)
            self.fails(method, INVALID, "playerGUID is 0", realmID=1, playerGUID=0, **extra)
            self.fails(method, INVALID, "not a player GUID", realmID=1, playerGUID=1 << 60,
                       **extra)
        self.assertEqual(self.social(10), [])

    # -- concurrency -------------------------------------------------------------------------------
    def test_concurrent_adds_respect_the_limit(self):
        """Player 30 has 45 friends; 20 concurrent adds of different friends."""
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda f: self.add_friend(30, f).result, range(40, 60)))
        self.assertEqual(results.count(ADDED_OFFLINE), 5, results)
        self.assertEqual(results.count(LIST_FULL), 15, results)
        self.assertEqual(len(self.social(30)), 50)

    def test_concurrent_retries_of_one_add(self):
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            results = list(pool.map(lambda _: self.add_friend(31, 45, "once").result, range(10)))
        self.assertEqual(sorted(results), [ADDED_OFFLINE] + [ALREADY] * 9)
        self.assertEqual(self.social(31), [(45, 1, "once")])
        self.assertEqual(len(self.payloads("friends.friend.added")), 1)
        self.ok("RemoveFriend", realmID=1, playerGUID=31, friendGUID=45)


class SocialRealSchemaTest(SocialTest):
    KIND = "real"


if __name__ == "__main__":
    unittest.main()
