"""Real ID friends in the friend list (issue 22): GetFriendsList of the
characters plugin lists accepted Real ID friends, found in process through
the realid plugin, each once as its representative character (online first,
the viewer's realm first; offline the character last used toward the pair),
GUIDs rendered for the viewer's realm; RemoveFriend ends the pair from either
side and declines a pending request (no row, no event); SetFriendNote sets
the caller's side; AddIgnore blocks the account's requests; the faction
filter follows realid's cross_faction; and with realid disabled by SIGHUP
the list shows the character friends only while no call fails. Real
MariaDB (auth and two realms' characters databases), nats-server, stratusd
and grpcio."""

import threading
import time

import grpc

import charsupport as cs
from stack import StackCase

SCOPED = lambda realm, low: realm << 32 | low  # noqa: E731
CHARS = "[plugin.characters]\nenabled = yes\n"
REALID = "[plugin.realid]\nenabled = yes\nmax_requests_per_hour = 0\n"
# account -> (user, email); characters: (account, realm, guid, name, race)
ACCOUNTS = {1: ("ALICE", "alice@example.com"), 2: ("BOB", "bob@example.org"),
            3: ("CAROL", "carol@example.net"), 4: ("DAVE", "dave@example.com"),
            5: ("ERIN", "erin@example.com")}
CHARACTERS = [(1, 1, 101, "Alice", 1), (2, 2, 201, "Bob", 1), (2, 1, 105, "Bobalt", 1),
              (3, 1, 103, "Carol", 1), (4, 1, 104, "Dave", 1), (5, 2, 205, "Erin", 2)]


class RealIDFriendsListTest(StackCase):
    PLUGIN = CHARS + REALID

    @classmethod
    def seed(cls, db):
        cs.migrate(db, "auth")
        for account, (user, email) in ACCOUNTS.items():
            db.execute("auth", "INSERT INTO account (id, username, salt, verifier, email) "
                               "VALUES (%s, %s, %s, %s, %s)",
                       (account, user, b"s" * 32, b"v" * 32, email))
        for account, realm, guid, name, race in CHARACTERS:
            cs.add_character(db, f"chars{realm}", guid, account, name, race=race, level=realm * 10)

    @classmethod
    def extra_sections(cls, db):
        return cs.db_section(db, "auth", "auth")

    def on(self, account, realm, guid, name, race=1):
        self.login(realm=realm, gateway=f"gw-{realm}", guid=guid, name=name, account=account,
                   race=race, level=realm * 10, zone=realm * 100, cls=realm)
        time.sleep(0.1)  # realid's presence watcher saw it too

    def off(self, account, realm, guid):
        self.logout(realm, f"gw-{realm}", guid, account=account)

    def add(self, realm, guid, email):
        return self.ok("AddRealIDFriendByEmail", realmID=realm, playerGUID=guid, email=email)

    def friends(self, realm, guid):
        r = self.ok("GetFriendsList", realmID=realm, playerGUID=guid)
        return sorted((f.guid, f.realmID, f.status, f.note) for f in r.friends)

    def pair(self, a, b):
        return self.db.query("auth", "SELECT state, note_low, note_high FROM "
                                     "stratus_realid_friends WHERE account_low = %s AND "
                                     "account_high = %s", (min(a, b), max(a, b)))

    def reload(self, sections):
        before = self.d.status()["last_reload"]["seq"]
        self.d.write_config(sections)
        self.d.hup()
        r = self.d.wait_reload(before)
        self.assertIn(r["outcome"], ("ok", "unchanged"), r)

    def test_a_list_remove_decline_block(self):
        self.on(1, 1, 101, "Alice")
        self.on(2, 2, 201, "Bob")
        self.assertTrue(self.add(1, 101, "bob@example.org").pending)
        self.assertEqual(self.friends(1, 101), [])  # pending: nothing shown
        self.assertTrue(self.add(2, 201, "alice@example.com").accepted)
        # Online, each on its own realm: the other's GUID is realm-scoped.
        self.assertEqual(self.friends(1, 101), [(SCOPED(2, 201), 2, 1, "")])
        self.assertEqual(self.friends(2, 201), [(SCOPED(1, 101), 1, 1, "")])
        # Bob also online on Alice's realm: that one represents him for her.
        self.on(2, 1, 105, "Bobalt")
        self.assertEqual(self.friends(1, 101), [(105, 1, 1, "")])
        self.assertEqual(self.friends(2, 201), [(SCOPED(1, 101), 1, 1, "")])
        # A character friend of the same account is not listed twice.
        self.assertEqual(self.ok("AddFriend", realmID=1, playerGUID=101, friendGUID=105,
                                 note="alt").result, 6)
        self.assertEqual(self.friends(1, 101), [(105, 1, 1, "alt")])
        self.ok("RemoveFriend", realmID=1, playerGUID=101, friendGUID=105)  # ends the pair too
        self.assertEqual(self.pair(1, 2), [])
        self.assertEqual((self.friends(1, 101), self.friends(2, 201)), ([], []))
        # Friends again; offline: the character Bob last used toward the pair.
        self.add(2, 201, "alice@example.com")
        self.add(1, 101, "bob@example.org")
        self.off(2, 1, 105)
        self.off(2, 2, 201)
        self.assertEqual(self.friends(1, 101), [(SCOPED(2, 201), 2, 0, "")])
        # A note on the Real ID friend sets Alice's side of the pair.
        self.ok("SetFriendNote", realmID=1, playerGUID=101, friendGUID=SCOPED(2, 201), note="bob!")
        self.assertEqual(self.pair(1, 2), [(2, "bob!", "")])
        self.assertEqual(self.friends(1, 101), [(SCOPED(2, 201), 2, 0, "bob!")])
        # Removing from the other side (Bob, offline friend GUID of another realm).
        self.on(2, 2, 201, "Bob")
        self.sub.drain_messages(0.1)
        self.ok("RemoveFriend", realmID=2, playerGUID=201, friendGUID=SCOPED(1, 101))
        p = cs.wait_events(self.sub, "friends.friend.removed", 1)[0]["p"]
        self.assertEqual((p["RealmID"], p["PlayerGUID"], p["FriendGUID"]), (2, 201, SCOPED(1, 101)))
        self.assertEqual(self.pair(1, 2), [])
        self.assertEqual((self.friends(1, 101), self.friends(2, 201)), ([], []))
        self.assertFalse(self.ok("AreRealIDFriends", accountID=1, friendAccountID=2).accepted)
        self.sub.drain_messages(0.1)
        self.off(2, 2, 201)  # no longer friends: Alice is not told
        self.assertEqual(cs.events(self.sub, "friends.status.changed", 0.3), [])
        # Decline: Carol asks; Alice removes Carol's character: no row, no event.
        self.on(3, 1, 103, "Carol")
        self.assertTrue(self.add(1, 103, "alice@example.com").pending)
        self.assertEqual(self.pair(1, 3)[0][0], 1)
        self.sub.drain_messages(0.1)
        self.ok("RemoveFriend", realmID=1, playerGUID=101, friendGUID=103)
        self.assertEqual(self.pair(1, 3), [])
        self.assertEqual(cs.events(self.sub, "friends.friend.removed", 0.3), [])
        # Cancel: the requester removes the target's character the same way.
        self.assertTrue(self.add(1, 103, "alice@example.com").pending)
        self.ok("RemoveFriend", realmID=1, playerGUID=103, friendGUID=101)
        self.assertEqual(self.pair(1, 3), [])
        # Block: Alice ignores Dave; his requests do nothing and look the same.
        self.on(4, 1, 104, "Dave")
        self.assertEqual(self.ok("AddIgnore", realmID=1, playerGUID=101, ignoredGUID=104).result,
                         0x0F)
        blocked = self.add(1, 104, "alice@example.com")
        unknown = self.add(1, 104, "nobody@example.com")
        self.assertEqual(blocked.SerializeToString(), unknown.SerializeToString())
        self.assertEqual(self.pair(1, 4), [])
        self.ok("AddRealIDFriendByEmail", realmID=1, playerGUID=101, email="dave@example.com")
        self.assertEqual(self.pair(1, 4)[0][0], 1)  # Alice's own request is hers to make
        self.add(1, 104, "alice@example.com")
        self.assertEqual(self.pair(1, 4)[0][0], 1)  # still blocked: not accepted
        self.ok("RemoveIgnore", realmID=1, playerGUID=101, ignoredGUID=104)
        self.assertTrue(self.add(1, 104, "alice@example.com").accepted)
        self.ok("RemoveFriend", realmID=1, playerGUID=101, friendGUID=104)

    def test_c_link_serves_local_callers_only(self):
        for method in ("FriendsOf", "PairChanged"):
            call = self.channel.unary_unary(f"/stratus.realid.RealIDLink/{method}",
                                            request_serializer=lambda b: b,
                                            response_deserializer=lambda b: b)
            with self.assertRaises(grpc.RpcError) as e:
                call(cs.field_varint(1, 1) + cs.field_varint(2, 1), timeout=10)
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn("same stratusd only", e.exception.details())

    def test_b_faction_filter_and_disable_by_sighup(self):
        self.on(1, 1, 101, "Alice")
        self.on(5, 2, 205, "Erin", race=2)  # Horde
        self.on(3, 1, 103, "Carol")
        self.add(1, 101, "erin@example.com")
        self.assertTrue(self.add(2, 205, "alice@example.com").accepted)
        self.ok("AddFriend", realmID=1, playerGUID=101, friendGUID=103)
        both = [(103, 1, 1, ""), (SCOPED(2, 205), 2, 1, "")]
        self.assertEqual(self.friends(1, 101), both)
        self.reload(CHARS + REALID + "cross_faction = no\n")
        self.assertEqual(self.friends(1, 101), [(103, 1, 1, "")])
        self.reload(CHARS + REALID)
        self.assertEqual(self.friends(1, 101), both)
        codes, stop = [], threading.Event()

        def client():
            while not stop.is_set():
                codes.append(self.call("GetFriendsList", realmID=1, playerGUID=101)[0])

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for _ in range(3):
                self.reload(CHARS)
                time.sleep(0.3)
                self.reload(CHARS + REALID)
                time.sleep(0.3)
            self.reload(CHARS)
        finally:
            stop.set()
            for t in threads:
                t.join()
        counts = {c: codes.count(c) for c in set(codes)}
        print(f"\n  GetFriendsList during 3 realid disable/enable cycles: {counts}")
        self.assertEqual(set(counts), {grpc.StatusCode.OK}, counts)
        self.assertEqual(self.friends(1, 101), [(103, 1, 1, "")])  # character friends only
        self.ok("RemoveFriend", realmID=1, playerGUID=101, friendGUID=103)
        self.assertEqual(self.pair(1, 5)[0][0], 2)  # realid off: the pair is left alone
        self.reload(CHARS + REALID)


class RealIDFriendsListRealSchemaTest(RealIDFriendsListTest):
    KIND = "real"
