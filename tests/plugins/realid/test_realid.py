"""realid plugin: AddRealIDFriendByEmail, AcceptRealIDFriend and
AreRealIDFriends through a real stratusd (with the characters plugin) and
grpcio, the pairs in the auth database (stratus_realid_friends, applied by
stratusctl migrate) against the schema fixture and the real AzerothCore
schema, presence from real NATS gateway events, and the status broadcasts
across realms. Includes the privacy fix: before the other side agrees, an
answer reveals nothing about it."""

import concurrent.futures
import time
import unittest

import grpc

import charsupport as cs
from stack import StackCase

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT
PENDING, LIST_FULL, NOT_FOUND_R, ADDED_ONLINE, ADDED_OFFLINE, ALREADY, SELF = \
    0x19, 1, 4, 6, 7, 8, 9
SCOPED = lambda realm, low: realm << 32 | low  # noqa: E731

ACCOUNTS = {1: ("ALICE", "alice@example.com", ""), 2: ("BOB", "bob@example.org", "old@bob.org"),
            3: ("CAROL", "", "carol@example.net"), 4: ("SHARED1", "shared@example.com", ""),
            5: ("SHARED2", "shared@example.com", ""), 6: ("DAVE", "dave@example.com", ""),
            7: ("FULL", "full@example.com", ""), 11: ("SPAM", "spam@example.com", "")}
PAIRS = range(20, 60, 2)  # accounts 20+21, 22+23, ... ask for each other at once
# (account, realm, guid, name, race, class, level, zone)
ONLINE = [(1, 1, 101, "Alice", 1, 8, 80, 1519), (2, 2, 201, "Bob", 2, 3, 70, 14),
          (3, 1, 103, "Carol", 4, 11, 60, 141), (6, 1, 106, "Dave", 1, 1, 10, 12),
          (7, 1, 107, "Full", 1, 1, 10, 12), (11, 1, 111, "Spam", 1, 1, 10, 12)] + \
         [(a, 1, 1000 + a, f"P{a}", 1, 1, 10, 12) for a in range(20, 60)]


def add_account(db, database, account, username, email, reg_mail):
    db.execute(database, "INSERT INTO account (id, username, salt, verifier, email, reg_mail) "
                         "VALUES (%s, %s, %s, %s, %s, %s)",
               (account, username, b"s" * 32, b"v" * 32, email, reg_mail))


class RealIDTest(StackCase):
    PLUGIN = ("[plugin.characters]\nenabled = yes\n"
              "[plugin.realid]\nenabled = yes\nmax_friends = 3\nmax_requests_per_hour = 30\n")
    SUBSCRIBE = ("friends.>",)

    @classmethod
    def seed(cls, db):
        cs.migrate(db, "auth")
        for account, (user, email, reg) in ACCOUNTS.items():
            add_account(db, "auth", account, user, email, reg)
        for a in range(20, 60):
            add_account(db, "auth", a, f"P{a}", f"p{a}@example.com", "")
        for a in (8, 9, 10):  # account 7 already has three friends (max_friends = 3)
            add_account(db, "auth", a, f"F{a}", f"f{a}@example.com", "")
            db.execute("auth", "INSERT INTO stratus_realid_friends (account_low, account_high, "
                               "state, requester) VALUES (7, %s, 2, 7)", (a,))

    @classmethod
    def extra_sections(cls, db):
        return cs.db_section(db, "auth", "auth")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for account, realm, guid, name, race, klass, level, zone in ONLINE:
            cs.publish_login(cls.nc, realm=realm, gateway=f"gw-{realm}", guid=guid, name=name,
                             race=race, cls=klass, level=level, zone=zone, account=account)
        cls.nc.flush()
        last = ONLINE[-1]
        cls.d.wait_for(lambda: cls.stub.ShortOnlineCharactersDataByGUIDs(
            cs.pb.ShortCharactersDataByGUIDsRequest(realmID=1, GUIDs=[last[2]]),
            timeout=5).characters, "everyone online")
        time.sleep(0.2)  # realid saw the same events

    def pair(self, a, b):
        lo, hi = min(a, b), max(a, b)
        return self.db.query("auth", "SELECT state, requester, note_low, note_high, "
                                     "char_low_realm, char_low_guid, char_high_realm, "
                                     "char_high_guid FROM stratus_realid_friends WHERE "
                                     "account_low = %s AND account_high = %s", (lo, hi))

    def count_rows(self):
        return self.db.query("auth", "SELECT COUNT(*) FROM stratus_realid_friends")[0][0]

    def add(self, realm, guid, email, note="", **kw):
        return self.ok("AddRealIDFriendByEmail", realmID=realm, playerGUID=guid, email=email,
                       note=note, **kw)

    def friends(self, a, b):
        return self.ok("AreRealIDFriends", accountID=a, friendAccountID=b).accepted

    def payload(self, subject):
        got = cs.wait_events(self.sub, subject, 1)
        self.assertEqual(len(got), 1, subject)
        return got[0]["p"]

    # -- the privacy fix ------------------------------------------------------------------------
    def test_a_pending_request_reveals_nothing(self):
        unknown = self.add(1, 106, "nobody@example.com", "hi")
        known = self.add(1, 106, "bob@example.org", "hi")
        ambiguous = self.add(1, 106, "shared@example.com", "hi")
        by_reg_mail = self.add(1, 106, "old@bob.org", "hi")  # the same account again
        for r in (unknown, known, ambiguous, by_reg_mail):
            self.assertEqual(r.SerializeToString(), unknown.SerializeToString())
        self.assertEqual((unknown.result, unknown.pending, unknown.accepted, unknown.friendGUID,
                          unknown.status, unknown.area, unknown.level, unknown.classID),
                         (PENDING, True, False, 0, 0, 0, 0, 0))
        self.assertEqual(self.pair(6, 2), [(1, 6, "", "hi", 0, 0, 1, 106)])
        self.assertEqual(self.pair(6, 4) + self.pair(6, 5), [])  # the ambiguous one: nothing
        self.assertFalse(self.friends(6, 2))
        self.assertEqual(cs.events(self.sub, "friends.friend.added", 0.3), [])

    def test_mutual_requests_make_friends_across_realms(self):
        r = self.add(1, 101, "bob@example.org", "from alice")
        self.assertTrue(r.pending)
        self.assertEqual(self.pair(1, 2), [(1, 1, "from alice", "", 1, 101, 0, 0)])
        r = self.add(2, 201, "ALICE@Example.COM", "from bob")  # case-insensitive
        self.assertEqual((r.result, r.accepted, r.pending, r.friendGUID, r.status, r.area, r.level,
                          r.classID),
                         (ADDED_ONLINE, True, False, SCOPED(1, 101), 1, 1519, 80, 8))
        self.assertEqual(self.pair(1, 2), [(2, 1, "from alice", "from bob", 1, 101, 2, 201)])
        self.assertTrue(self.friends(1, 2))
        self.assertTrue(self.friends(2, 1))
        p = self.payload("friends.friend.added")
        self.assertEqual({k: p[k] for k in ("RealmID", "PlayerGUID", "FriendGUID", "FriendName",
                                             "Note")},
                         {"RealmID": 2, "PlayerGUID": 201, "FriendGUID": SCOPED(1, 101),
                          "FriendName": "Alice", "Note": "from bob"})
        p = self.payload("friends.status.changed")  # Alice hears that Bob is online
        self.assertEqual({k: p[k] for k in ("RealmID", "PlayerGUID", "Status", "Area", "Level",
                                             "ClassID", "NotifyPlayers")},
                         {"RealmID": 1, "PlayerGUID": SCOPED(2, 201), "Status": 1, "Area": 14,
                          "Level": 70, "ClassID": 3, "NotifyPlayers": [101]})
        r = self.add(1, 101, "bob@example.org")
        self.assertEqual((r.result, r.accepted, r.friendGUID, r.status),
                         (ALREADY, True, SCOPED(2, 201), 1))
        self.check_broadcasts()

    def check_broadcasts(self):
        """Alice and Bob are friends: Bob's logouts and logins reach Alice."""
        self.logout(2, "gw-2", 201)
        p = self.payload("friends.status.changed")
        self.assertEqual((p["RealmID"], p["PlayerGUID"], p["Status"], p["NotifyPlayers"]),
                         (1, SCOPED(2, 201), 0, [101]))
        r = self.add(1, 101, "bob@example.org")  # offline: the character Bob last used
        self.assertEqual((r.result, r.friendGUID, r.status), (ALREADY, SCOPED(2, 201), 0))
        # Alice also plays on realm 2; Bob comes back on realm 1: one event per realm.
        self.login(realm=2, gateway="gw-2", guid=205, name="Alicetwo", account=1)
        self.sub.drain_messages(0.2)
        self.login(realm=1, gateway="gw-bob", guid=202, name="Bobby", account=2, level=5,
                   zone=12, cls=1)
        got = sorted((e["p"]["RealmID"], e["p"]["PlayerGUID"], e["p"]["Status"],
                      e["p"]["NotifyPlayers"])
                     for e in cs.wait_events(self.sub, "friends.status.changed", 2))
        self.assertEqual(got, [(1, 202, 1, [101]), (2, SCOPED(1, 202), 1, [205])])
        # Bob's gateway dies: Alice hears he is gone, on both realms.
        self.nc.publish("sr.gw.removed.unhealthy", cs.envelope("0.0.1", 2, {
            "ID": "gw-bob", "RealmID": 1, "EventTimeUnixNano": time.time_ns()}))
        self.nc.flush()
        got = sorted((e["p"]["RealmID"], e["p"]["PlayerGUID"], e["p"]["Status"],
                      e["p"]["NotifyPlayers"])
                     for e in cs.wait_events(self.sub, "friends.status.changed", 2))
        self.assertEqual(got, [(1, 202, 0, [101]), (2, SCOPED(1, 202), 0, [205])])
        self.assertEqual(cs.events(self.sub, "friends.status.changed", 0.3), [])  # no duplicate
        self.logout(2, "gw-2", 205)

    # -- the caller's own state ---------------------------------------------------------------
    def test_own_address_full_list_and_not_online(self):
        self.assertEqual(self.add(1, 103, "CAROL@example.net").result, SELF)
        before = self.count_rows()
        for email in ("dave@example.com", "nobody@example.com"):  # 7 has max_friends already
            self.assertEqual(self.add(1, 107, email).result, LIST_FULL)
        self.assertEqual(self.count_rows(), before)
        self.fails("AddRealIDFriendByEmail", grpc.StatusCode.FAILED_PRECONDITION,
                   "character 999 of realm 1 is not online", realmID=1, playerGUID=999,
                   email="dave@example.com")
        self.fails("AddRealIDFriendByEmail", INVALID, "accountID 2 does not own the character",
                   realmID=1, playerGUID=103, accountID=2, email="dave@example.com")
        self.assertEqual(self.count_rows(), before)

    def test_accept_rpc(self):
        self.assertTrue(self.add(1, 103, "dave@example.com", "carol here").pending)
        r = self.ok("AcceptRealIDFriend", realmID=1, playerGUID=103, requesterAccountID=6)
        self.assertEqual((r.result, r.accepted), (NOT_FOUND_R, False))  # her own request
        r = self.ok("AcceptRealIDFriend", realmID=1, playerGUID=106, requesterAccountID=3,
                    note="ok carol")
        self.assertEqual((r.result, r.accepted, r.friendGUID, r.status, r.level),
                         (ADDED_ONLINE, True, 103, 1, 60))
        self.assertEqual(self.pair(3, 6), [(2, 3, "carol here", "ok carol", 1, 103, 1, 106)])
        r = self.ok("AcceptRealIDFriend", realmID=1, playerGUID=106, requesterAccountID=3)
        self.assertEqual(r.result, ALREADY)
        r = self.ok("AcceptRealIDFriend", realmID=1, playerGUID=106, requesterAccountID=11)
        self.assertEqual((r.result, r.accepted), (NOT_FOUND_R, False))
        self.assertEqual(self.pair(6, 11), [])
        self.fails("AcceptRealIDFriend", INVALID, "requesterAccountID is 0", realmID=1,
                   playerGUID=106, requesterAccountID=0)

    def test_bad_input_writes_nothing(self):
        before = self.count_rows()
        for email in ("", "alice", "alice@example", "@example.com", "a@@example.com",
                      "a b@example.com", "a@-example.com", "a@exa_mple.com", "a@.com",
                      "x" * 65 + "@example.com", "a@" + "b" * 64 + ".com",
                      "a@" + ".".join(["abcdefgh"] * 30) + ".com", "j\u00f6rg@example.com"):
            self.fails("AddRealIDFriendByEmail", INVALID, "not an e-mail address", realmID=1,
                       playerGUID=101, email=email)
        base = dict(realmID=1, playerGUID=101, email="dave@example.com")
        self.fails("AddRealIDFriendByEmail", INVALID, "at most 48 characters",
                   **dict(base, note="n" * 49))
        self.fails("AddRealIDFriendByEmail", INVALID, "realmID is 0", **dict(base, realmID=0))
        self.fails("AddRealIDFriendByEmail", INVALID, "is not a player GUID",
                   **dict(base, playerGUID=0))
        self.fails("AddRealIDFriendByEmail", INVALID, "belongs to realm 2",
                   **dict(base, playerGUID=SCOPED(2, 201)))
        raw = (cs.field_varint(2, 1) + cs.field_varint(3, 101) +
               cs.field_bytes(5, b"dave@example.com") + cs.field_bytes(6, b"\xe9t\xe9"))
        self.assertEqual(cs.raw_call(self.channel, "AddRealIDFriendByEmail", raw),
                         (INVALID, "note must be valid UTF-8 of at most 48 characters"))
        self.fails("AreRealIDFriends", INVALID, "must not be 0", accountID=0, friendAccountID=1)
        self.assertFalse(self.friends(5, 5))
        self.assertEqual(self.count_rows(), before)

    def test_requests_per_hour_are_bounded(self):
        for i in range(30):
            self.add(1, 111, f"nobody{i}@example.com")
        self.fails("AddRealIDFriendByEmail", grpc.StatusCode.RESOURCE_EXHAUSTED,
                   "account 11 sent 30 Real ID requests this hour", realmID=1, playerGUID=111,
                   email="dave@example.com")

    def test_concurrent_mutual_requests(self):
        calls = []
        for a in PAIRS:
            calls.append((1000 + a, f"p{a + 1}@example.com"))
            calls.append((1000 + a + 1, f"p{a}@example.com"))
        with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
            results = list(pool.map(lambda c: self.add(1, c[0], c[1]), calls))
        for k, a in enumerate(PAIRS):
            both = results[2 * k:2 * k + 2]
            self.assertEqual(sorted(r.accepted for r in both), [False, True], (a, both))
            self.assertEqual(len(self.pair(a, a + 1)), 1)
            self.assertEqual(self.pair(a, a + 1)[0][0], 2)
            self.assertTrue(self.friends(a, a + 1))


class RealIDRealSchemaTest(RealIDTest):
    KIND = "real"


if __name__ == "__main__":
    unittest.main()
