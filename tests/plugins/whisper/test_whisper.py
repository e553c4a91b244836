"""The whisper plugin through a real stratusd and a real nats-server whose
clients play the gateways: same-realm delivery reaching only the receiver's
gateway subject with every payload field checked by name, each crossrealm
case allowed and refused (same battleground or arena map from the
configuration, same map of a registered crossrealm worldserver, same
dungeon-finder group as the group and matchmaking services announce it,
Real ID friends through a fake realid service, the gateway's claim not
trusted, realid not enabled),
ambiguous, unknown and offline receivers, presence (from the characters
plugin, enabled beside whisper) following logins, logouts, map changes and
gateway loss, and bad input."""

import itertools
import time
import unittest

import grpc

from natsserver import NatsServer
from whisperenv import WHISPER_KEYS, CrossrealmServer, FakeCharacters, Gateways, daemon, pb, pbg

OK = pb.SendWhisperMessageResponse.Ok
NOT_FOUND = pb.SendWhisperMessageResponse.CharacterNotFound
AMBIGUOUS = pb.SendWhisperMessageResponse.CharacterAmbiguous

_counter = itertools.count(1)


class WhisperCase(unittest.TestCase):
    realid = True          # run the fake realid service as [grpc.upstream] characters
    config = "crossrealm_maps = 30, 489, 559, 562\n"

    @classmethod
    def setUpClass(cls):
        cls.nats = NatsServer().start()
        cls.fake = FakeCharacters() if cls.realid else None
        cls.d = daemon(cls.nats.url, cls.config, cls.fake.port if cls.fake else None)
        cls.d.start()
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.chat = pbg.ChatServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.d.stop()
        if cls.fake:
            cls.fake.stop()
        cls.nats.stop()
        if code != 0:
            raise AssertionError(f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}")
        cls.d.cleanup()

    def setUp(self):
        self.n = next(_counter)
        self.gw = Gateways(self.nats.url)
        self.addCleanup(self.gw.close)
        self.online = []

    # -- helpers -----------------------------------------------------------------------
    def name(self, base):
        n, tag = self.n, ""
        while n:
            n, r = divmod(n, 26)
            tag += chr(ord("a") + r)
        return base + tag

    def gwid(self, letter):
        return f"gw{self.n}{letter}"

    def guid(self, i):
        return self.n * 1000 + i

    def online_count(self):
        """Characters online on every realm, as the presence owner counts them."""
        return sum(self.d.metrics().get("stratus_characters_online", {}).values())

    def wait_online(self, count):
        self.gw.client.flush()
        self.d.wait_for(lambda: self.online_count() == count, f"{count} online")

    def login(self, *chars):
        """chars: (realm, gateway letter, i, name, extra fields)."""
        before = self.online_count()
        for realm, letter, i, name, extra in chars:
            self.gw.login(realm, self.gwid(letter), self.guid(i), name, **extra)
        self.wait_online(before + len(chars))

    def whisper(self, realm, i, sender, receiver, msg="psst", **kw):
        req = pb.SendWhisperMessageRequest(realmID=realm, senderGUID=self.guid(i),
                                           senderName=sender, senderRace=1, senderClass=4,
                                           senderGender=1, language=7, receiverName=receiver,
                                           msg=msg, **kw)
        return self.chat.SendWhisperMessage(req, timeout=10)

    def count(self, result):
        return self.d.metric("stratus_whisper_total", result=result) or 0

    def delivered(self, gateway_letter, **fields):
        got = self.gw.take()
        self.assertEqual([s for s, _ in got],
                         [f"chat.gw.{self.gwid(gateway_letter)}.income.whisper"])
        env = got[0][1]
        self.assertEqual((env["v"], env["t"]), ("0.0.1", 1))
        self.assertEqual(list(env["p"]), WHISPER_KEYS)
        for k, v in fields.items():
            self.assertEqual(env["p"][k], v, k)
        return env["p"]

    def wait_refused(self, *whisper_args, what):
        """Polls until the whisper is refused; what earlier polls delivered
        (before the event that ends the context arrived) is dropped."""
        self.d.wait_for(lambda: self.whisper(*whisper_args).status == NOT_FOUND, what)
        self.gw.pull(0.3)
        self.gw.received = []

    def nothing_published(self):
        self.gw.pull(0.3)
        self.assertEqual(self.gw.received, [])


class WhisperTests(WhisperCase):
    def test_same_realm_reaches_only_the_receivers_gateway(self):
        alice, bob, carl = self.name("Alice"), self.name("Bob"), self.name("Carl")
        self.login((1, "a", 1, alice, {}), (1, "b", 2, bob, dict(race=2, klass=3, gender=1)),
                   (1, "c", 3, carl, {}))
        r = self.whisper(1, 1, alice, bob.upper(), "hi <Bob> & co", senderChatTag=2)
        self.assertEqual((r.status, r.receiverGUID, r.receiverRealmID, r.receiverName,
                          r.receiverRace, r.receiverClass, r.receiverGender),
                         (OK, self.guid(2), 1, bob, 2, 3, 1))
        self.delivered("b", SenderRealmID=1, SenderGUID=self.guid(1), SenderName=alice,
                       SenderRace=1, SenderClass=4, SenderGender=1, SenderChatTag=2,
                       ReceiverRealmID=1, ReceiverGUID=self.guid(2), ReceiverName=bob,
                       Language=7, Msg="hi <Bob> & co")
        # A realm-scoped sender GUID of the same realm is its low GUID.
        r = self.chat.SendWhisperMessage(pb.SendWhisperMessageRequest(
            realmID=1, senderGUID=(1 << 32) | self.guid(1), senderName=alice,
            receiverName=carl, msg="x"), timeout=10)
        self.assertEqual(r.status, OK)
        self.delivered("c", SenderGUID=self.guid(1), SenderRace=0, Language=0)

    def test_same_realm_needs_no_shared_context(self):
        alice, bob = self.name("Alice"), self.name("Bob")
        self.login((1, "a", 1, alice, dict(map_id=0)), (1, "b", 2, bob, dict(map_id=571)))
        self.assertEqual(self.whisper(1, 1, alice, bob).status, OK)
        self.delivered("b")

    def test_crossrealm_on_the_same_crossrealm_map(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(map_id=30)), (2, "d", 4, dan, dict(map_id=30)))
        r = self.whisper(1, 1, alice, dan)
        self.assertEqual((r.status, r.receiverRealmID, r.receiverGUID), (OK, 2, self.guid(4)))
        self.delivered("d", SenderRealmID=1, ReceiverRealmID=2, ReceiverGUID=self.guid(4))
        # Dan leaves the battleground (a map update from his gateway): refused.
        self.gw.move(2, self.gwid("d"), self.guid(4), 0)
        self.gw.client.flush()
        self.wait_refused(1, 1, alice, dan, what="map update")
        self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)
        self.nothing_published()
        # Both in another listed map again: allowed.
        self.gw.move(1, self.gwid("a"), self.guid(1), 489)
        self.gw.move(2, self.gwid("d"), self.guid(4), 489)
        self.gw.client.flush()
        self.d.wait_for(lambda: self.whisper(1, 1, alice, dan).status == OK, "map updates")
        self.delivered("d")

    def test_crossrealm_in_the_same_arena(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(map_id=559)), (2, "d", 4, dan, dict(map_id=562)))
        self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)  # two arenas
        self.gw.move(2, self.gwid("d"), self.guid(4), 559)
        self.gw.client.flush()
        self.d.wait_for(lambda: self.whisper(2, 4, dan, alice).status == OK, "same arena")
        self.delivered("a", SenderRealmID=2, ReceiverRealmID=1)

    def lfg_groups(self):
        return self.d.metric("stratus_whisper_lfg_groups") or 0

    def group_event(self, subject, t, payload, groups):
        self.gw.publish(subject, t, payload)
        self.gw.client.flush()
        self.d.wait_for(lambda: self.lfg_groups() == groups, f"{groups} dungeon-finder groups")

    def test_crossrealm_in_the_same_dungeon_finder_group(self):
        alice, dan, eve = self.name("Alice"), self.name("Dan"), self.name("Eve")
        a, d, e = self.guid(1), self.guid(4), self.guid(5)
        gid, other = self.n * 10, self.n * 10 + 1
        # Different maps, none of them crossrealm: no shared context yet.
        self.login((1, "a", 1, alice, dict(map_id=0)), (2, "d", 4, dan, dict(map_id=1)),
                   (2, "e", 5, eve, dict(map_id=1)))
        self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)
        groups = self.lfg_groups()
        # Matchmaking accepts a proposal: Alice (realm 1, the leader's) and
        # Dan (realm 2) are now one dungeon-finder group of realm 1.
        self.group_event("matchmaking.lfg.proposal.accepted", 5, {
            "RealmID": 1, "LeaderRealmID": 1, "BattlegroupID": 1, "CrossRealm": True,
            "ProposalID": 7, "GroupID": gid, "DungeonEntry": 285, "LeaderGUID": a,
            "LeaderWorldserverID": "ws1", "PlayersGUID": [a, d],
            "Members": [{"RealmID": 1, "PlayerGUID": a, "SelectedRoles": 2, "AssignedRole": 2,
                         "QueueLeaderRealmID": 1, "QueueLeaderGUID": a, "WorldserverID": "ws1"},
                        {"RealmID": 2, "PlayerGUID": d, "SelectedRoles": 8, "AssignedRole": 8,
                         "QueueLeaderRealmID": 2, "QueueLeaderGUID": d, "WorldserverID": "ws2"}]},
            groups + 1)
        r = self.whisper(1, 1, alice, dan)
        self.assertEqual((r.status, r.receiverRealmID), (OK, 2))
        self.delivered("d", SenderRealmID=1, ReceiverRealmID=2)
        self.assertEqual(self.whisper(2, 4, dan, alice).status, OK)
        self.delivered("a")
        # Eve is in another group: refused, in either direction.
        self.group_event("group.created", 2, {
            "ServiceID": "g", "RealmID": 2, "GroupID": other, "LeaderGUID": e, "GroupType": 0x08,
            "LfgDungeonEntry": 285, "Members": [{"MemberGUID": e, "MemberName": eve}]},
            groups + 2)
        self.assertEqual(self.whisper(1, 1, alice, eve).status, NOT_FOUND)
        self.assertEqual(self.whisper(2, 5, eve, alice).status, NOT_FOUND)
        self.nothing_published()
        # Dan leaves (a foreign member: a realm-scoped GUID in the home realm's event).
        self.group_event("group.member.left", 4, {
            "ServiceID": "g", "RealmID": 1, "GroupID": gid, "MemberGUID": (2 << 32) | d,
            "MemberName": dan, "NewLeaderID": 0, "OnlineMembers": [a]}, groups + 2)
        self.wait_refused(1, 1, alice, dan, what="left")
        # Eve is added to Alice's group: she leaves her own one (now empty).
        self.group_event("group.member.added", 6, {
            "ServiceID": "g", "RealmID": 1, "GroupID": gid, "MemberGUID": (2 << 32) | e,
            "MemberName": eve, "OnlineMembers": [a]}, groups + 1)
        self.assertEqual(self.whisper(1, 1, alice, eve).status, OK)
        self.delivered("e")
        # The group is disbanded: nothing shared any more.
        self.group_event("group.disband", 5, {
            "ServiceID": "g", "RealmID": 1, "GroupID": gid, "OnlineMembers": None}, groups)
        self.assertEqual(self.whisper(1, 1, alice, eve).status, NOT_FOUND)
        self.nothing_published()

    def test_an_ordinary_group_is_no_crossrealm_context(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        a, d, gid = self.guid(1), self.guid(4), self.n * 10
        self.login((1, "a", 1, alice, dict(map_id=0)), (2, "d", 4, dan, dict(map_id=1)))
        groups = self.lfg_groups()
        # The materialized dungeon-finder group (group.created with the LFG
        # flag, foreign members realm-scoped) is one.
        self.group_event("group.created", 2, {
            "ServiceID": "g", "RealmID": 1, "GroupID": gid, "LeaderGUID": a, "LootMethod": 3,
            "LooterGUID": 0, "LootThreshold": 2, "GroupType": 0x08 | 0x04, "Difficulty": 0,
            "RaidDifficulty": 0, "MasterLooterGuid": 0, "LfgDungeonEntry": 0,
            "Members": [{"MemberGUID": a, "MemberFlags": 0, "MemberName": alice,
                         "IsOnline": True, "SubGroup": 0, "Roles": 2},
                        {"MemberGUID": (2 << 32) | d, "MemberFlags": 0, "MemberName": dan,
                         "IsOnline": True, "SubGroup": 0, "Roles": 8}]}, groups + 1)
        self.assertEqual(self.whisper(1, 1, alice, dan).status, OK)
        self.delivered("d")
        # The same two in an ordinary group: they left the dungeon-finder one.
        self.group_event("group.created", 2, {
            "ServiceID": "g", "RealmID": 1, "GroupID": gid + 1, "LeaderGUID": a,
            "GroupType": 0, "Members": [{"MemberGUID": a}, {"MemberGUID": (2 << 32) | d}]},
            groups)
        self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)
        # Malformed group events change nothing.
        for bad in ('{"v":"0.0.1","t":2,"p":[1]}', '{"v":"0.0.1","t":2,"p":{"RealmID":1}}',
                    'not json'):
            self.gw.client.publish("group.created", bad.encode())
        self.gw.client.flush()
        self.assertEqual(self.lfg_groups(), groups)
        self.nothing_published()

    def test_crossrealm_refused_without_a_shared_context(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(map_id=0)), (2, "d", 4, dan, dict(map_id=0)))
        refused = self.count("refused")
        r = self.whisper(1, 1, alice, dan)  # same map, but not a crossrealm one
        self.assertEqual((r.status, r.receiverGUID, r.receiverName), (NOT_FOUND, 0, ""))
        # The gateway's claim is checked, not believed.
        claims = self.count("unverified_claim")
        r = self.whisper(1, 1, alice, dan, gatewayValidatedGameplayCrossrealmWhisper=True)
        self.assertEqual(r.status, NOT_FOUND)
        self.nothing_published()
        self.assertEqual(self.count("refused"), refused + 2)
        self.assertEqual(self.count("unverified_claim"), claims + 1)

    def test_crossrealm_map_served_by_a_crossrealm_worldserver(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(map_id=571)), (2, "d", 4, dan, dict(map_id=571)))
        self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)
        server = CrossrealmServer(self.d.grpc_target, maps=[571])
        try:
            self.assertEqual(self.whisper(1, 1, alice, dan).status, OK)
            self.delivered("d", ReceiverRealmID=2)
        finally:
            server.stop()

    def test_crossrealm_between_real_id_friends(self):
        alice, dan, eve = self.name("Alice"), self.name("Dan"), self.name("Eve")
        acc = 50000 + self.n * 10
        self.login((1, "a", 1, alice, dict(account=acc + 1)),
                   (2, "d", 4, dan, dict(account=acc + 4, map_id=33)),
                   (2, "e", 5, eve, dict(account=acc + 5)))
        self.fake.friends.add(frozenset((acc + 1, acc + 4)))
        self.fake.calls.clear()
        # The account the sender's gateway claims is not what is asked: the
        # directory's is.
        r = self.whisper(1, 1, alice, dan, senderAccountID=acc + 5)
        self.assertEqual((r.status, r.receiverRealmID), (OK, 2))
        self.delivered("d", SenderRealmID=1, ReceiverRealmID=2, ReceiverName=dan)
        self.assertEqual(self.fake.calls, [(acc + 1, acc + 4)])
        self.assertEqual(self.whisper(1, 1, alice, eve).status, NOT_FOUND)  # not friends
        self.nothing_published()

    def test_real_id_failures(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(account=1)), (2, "d", 4, dan, dict(account=2)))
        self.fake.friends.add(frozenset((1, 2)))
        try:
            self.fake.fail = grpc.StatusCode.UNIMPLEMENTED  # realid not enabled upstream
            self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)
            self.fake.fail = grpc.StatusCode.INTERNAL
            with self.assertRaises(grpc.RpcError) as e:
                self.whisper(1, 1, alice, dan)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
            self.assertIn("AreRealIDFriends", e.exception.details())
        finally:
            self.fake.fail = None
        self.nothing_published()
        # No account known for the sender: nothing to ask, refused.
        self.gw.login(1, self.gwid("a"), self.guid(1), alice, account=0)
        self.gw.client.flush()
        self.d.wait_for(lambda: self.whisper(1, 1, alice, dan).status == NOT_FOUND, "relogin")

    def test_ambiguous_unknown_and_offline_receivers(self):
        alice, bob, eve = self.name("Alice"), self.name("Bob"), self.name("Eve")
        self.login((1, "a", 1, alice, dict(map_id=30)),
                   (1, "b", 2, bob, {}), (2, "b", 3, bob, {}),
                   (2, "e", 5, eve, dict(map_id=30)), (3, "e", 6, eve, dict(map_id=30)))
        # The sender's own realm comes first: not ambiguous.
        self.assertEqual(self.whisper(1, 1, alice, bob).receiverRealmID, 1)
        self.delivered("b", ReceiverRealmID=1)
        # Not in the sender's realm, in two others: ambiguous, nothing sent.
        r = self.whisper(1, 1, alice, eve)
        self.assertEqual((r.status, r.receiverGUID), (AMBIGUOUS, 0))
        self.nothing_published()
        # Naming the realm resolves it.
        r = self.whisper(1, 1, alice, eve, receiverRealmID=3)
        self.assertEqual((r.status, r.receiverRealmID, r.receiverGUID), (OK, 3, self.guid(6)))
        self.delivered("e", ReceiverRealmID=3)
        self.assertEqual(self.whisper(1, 1, alice, eve, receiverRealmID=4).status, NOT_FOUND)
        self.assertEqual(self.whisper(1, 1, alice, self.name("Nobody")).status, NOT_FOUND)
        # Offline: logged out, the name is not found any more.
        online = self.online_count()
        self.gw.logout(1, self.gwid("b"), self.guid(2), bob)
        self.wait_online(online - 1)
        r = self.whisper(1, 1, alice, bob, receiverRealmID=1)
        self.assertEqual(r.status, NOT_FOUND)
        self.nothing_published()

    def test_directory_follows_sessions_and_gateways(self):
        alice, bob, carl = self.name("Alice"), self.name("Bob"), self.name("Carl")
        self.login((1, "a", 1, alice, {}), (1, "b", 2, bob, {}), (1, "b", 3, carl, {}))
        online = self.online_count()
        # Bob moves to gateway x; the late logout from b must not remove him.
        self.gw.login(1, self.gwid("x"), self.guid(2), bob)
        self.gw.logout(1, self.gwid("b"), self.guid(2), bob)
        self.gw.client.flush()
        time.sleep(0.3)
        self.assertEqual(self.whisper(1, 1, alice, bob).status, OK)
        self.delivered("x")
        # Gateway x dies with Bob on it.
        self.gw.publish("char.chars.unhealthy.gw", 1, {
            "RealmID": 1, "GatewayID": self.gwid("x"), "CharactersGUID": [self.guid(2)]})
        self.wait_online(online - 1)
        self.assertEqual(self.whisper(1, 1, alice, bob).status, NOT_FOUND)
        # Gateway b is removed by the registry: everyone on it is gone.
        self.gw.publish("sr.gw.removed.unhealthy", 2, {
            "ID": self.gwid("b"), "Address": "x:1", "HealthCheckAddr": "x:2", "RealmID": 1})
        self.wait_online(online - 2)
        self.assertEqual(self.whisper(1, 1, alice, carl).status, NOT_FOUND)
        self.assertEqual(self.whisper(1, 3, carl, alice).status, OK)  # the sender needs no entry
        self.delivered("a")

    def test_bad_input_is_refused(self):
        alice, bob = self.name("Alice"), self.name("Bob")
        self.login((1, "a", 1, alice, {}), (1, "b", 2, bob, {}))
        INVALID = grpc.StatusCode.INVALID_ARGUMENT

        def status(**kw):
            args = dict(realmID=1, senderGUID=self.guid(1), senderName=alice,
                        receiverName=bob, msg="hi")
            args.update(kw)
            try:
                self.chat.SendWhisperMessage(pb.SendWhisperMessageRequest(**args), timeout=10)
            except grpc.RpcError as e:
                return e.code(), e.details()
            return grpc.StatusCode.OK, ""

        self.assertEqual(status(realmID=0), (INVALID, "realmID is 0"))
        self.assertEqual(status(senderGUID=0), (INVALID, "senderGUID is 0"))
        self.assertEqual(status(senderGUID=(2 << 32) | 1),
                         (INVALID, "senderGUID carries another realm than realmID"))
        self.assertEqual(status(senderName=""), (INVALID, "senderName is empty"))
        self.assertEqual(status(receiverName=""), (INVALID, "receiverName is empty"))
        self.assertEqual(status(receiverName="Abcdefghijklm"),
                         (INVALID, "receiverName is longer than 12 characters"))
        self.assertEqual(status(msg=""), (INVALID, "msg is empty"))
        self.assertEqual(status(msg="m" * 256),
                         (INVALID, "msg is 256 bytes, more than max_message_length 255"))
        self.assertEqual(status(senderRace=300)[0], INVALID)
        raw = pb.SendWhisperMessageRequest(realmID=1, senderGUID=self.guid(1), senderName=alice,
                                           receiverName=bob, msg="XXXX").SerializeToString()
        with self.assertRaises(grpc.RpcError) as e:
            self.channel.unary_unary("/v1.ChatService/SendWhisperMessage")(
                raw.replace(b"XXXX", b"\xc3\x28XX"), timeout=10)
        self.assertEqual((e.exception.code(), e.exception.details()),
                         (INVALID, "msg is not valid UTF-8"))
        self.nothing_published()
        self.assertEqual(status(msg="m" * 255)[0], grpc.StatusCode.OK)
        self.delivered("b")


class WhisperWithoutRealIDTests(WhisperCase):
    """No realid plugin and no upstream: AreRealIDFriends is UNIMPLEMENTED."""
    realid = False

    def test_crossrealm_refused_when_realid_is_not_enabled(self):
        alice, dan = self.name("Alice"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(account=1)), (2, "d", 4, dan, dict(account=2)))
        self.assertEqual(self.whisper(1, 1, alice, dan).status, NOT_FOUND)
        self.nothing_published()
        self.assertEqual(self.whisper(1, 1, alice, alice).status, OK)  # same realm still works
        self.delivered("a")


if __name__ == "__main__":
    unittest.main()
