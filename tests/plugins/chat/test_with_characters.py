"""The chat plugin beside the characters plugin (the owner of presence): an
invite asks CharactersService.CharacterOnlineByName in process, so only
online characters can be invited (without the characters plugin the chat
plugin falls back to the characters table, see test_channels); players
leave their channels when presence takes them offline (a logout, or their
gateway's loss), also channels that are not in memory. Run on the
project's fixture and on AzerothCore's real schema."""

import os
import unittest

from chatcase import ChatCase
from chatenv import HORDE, INVITE, MODERATOR, OWNER, OWNER_CHANGED, pb
from natsclient import envelope
from stratusd import build_path

from characters import characters_pb2, characters_pb2_grpc

OK = 0


class WithCharactersPlugin(ChatCase):
    """chat beside the characters plugin; gateways log players in (no tests here)."""
    plugins = {"chat": "", "characters": "world_pool =\n"}

    def login(self, i, name, race, gateway="gw1"):
        self.gw.client.publish("gw.char.logged-in", envelope("0.0.1", 1, {
            "RealmID": 1, "GatewayID": gateway, "CharGUID": self.guid(i), "CharName": name,
            "CharRace": race, "CharClass": 1, "CharGender": 0, "CharLevel": 80, "CharZone": 12,
            "CharMap": 0, "CharPosX": 0.0, "CharPosY": 0.0, "CharPosZ": 0.0, "CharGuildID": 0,
            "AccountID": self.guid(i)}))


@unittest.skipUnless(os.path.exists(build_path("plugins", "characters.so")),
                     "the characters plugin is not built")
class InviteWithCharactersPlugin(WithCharactersPlugin):
    def test_only_online_characters_are_invited(self):
        c = self.chan()
        tom, hank, olaf = self.pname("Tom"), self.pname("Hank"), self.pname("Olaf")
        for i, name, race in ((4, tom, 1), (5, hank, 2), (6, olaf, 1)):
            self.world.add_character(1, self.guid(i), name, race=race)
        self.login(4, tom, 1)
        self.login(5, hank, 2)
        self.gw.client.flush()
        stub = characters_pb2_grpc.CharactersServiceStub(self.grpc_channel)
        self.wait_until(lambda: stub.CharacterOnlineByName(characters_pb2.CharacterOnlineByNameRequest(
            realmID=1, characterName=hank), timeout=10).HasField("character"), "logins")
        self.assertEqual(self.join(1, "Alice", c).status, OK)
        self.settle()
        self.assertEqual(self.target_op("InviteToChannel", 1, c, tom.upper()), OK)
        self.notify(INVITE, TargetGUID=self.guid(1), AffectsPlayer=self.guid(4), TargetName=tom)
        self.assertEqual(self.target_op("InviteToChannel", 1, c, hank),
                         pb.InviteToChannelResponse.WrongFaction)
        # Olaf exists but is offline: the directory says so, the table is not asked.
        self.assertEqual(self.target_op("InviteToChannel", 1, c, olaf),
                         pb.InviteToChannelResponse.PlayerNotFound)
        # Hank's own channel of the same name is another channel.
        self.assertEqual(self.join(5, hank, c, team=HORDE).channel.memberFlags, 3)
        self.settle()
        self.assertEqual(self.target_op("InviteToChannel", 5, c, tom, team=HORDE),
                         pb.InviteToChannelResponse.WrongFaction)
        self.gw.assert_quiet()


class InviteWithCharactersPluginRealSchema(InviteWithCharactersPlugin):
    kind = "ac"


@unittest.skipUnless(os.path.exists(build_path("plugins", "characters.so")),
                     "the characters plugin is not built")
class LogoutsWithCharactersPlugin(WithCharactersPlugin):
    def restart(self):
        self.stop_daemon()
        self.d.cleanup()
        self.start_daemon()

    def online(self, *players):
        """Logs (i, name) in on gw1 and waits until presence has them."""
        for i, name in players:
            self.login(i, name, 1)
        self.gw.client.flush()
        stub = characters_pb2_grpc.CharactersServiceStub(self.grpc_channel)
        for _, name in players:
            self.wait_until(lambda n=name: stub.CharacterOnlineByName(
                characters_pb2.CharacterOnlineByNameRequest(realmID=1, characterName=n),
                timeout=10).HasField("character"), "logins")

    def owner_and(self, c, *names):
        """Alice (1) creates c and owns it; the others (2, 3...) join."""
        self.assertEqual(self.join(1, "Alice", c).channel.memberFlags, OWNER | MODERATOR)
        for i, name in enumerate(names, 2):
            self.assertEqual(self.join(i, name, c).status, OK)
        self.settle()

    def test_logout_leaves_every_channel(self):
        c1, c2, gen = self.chan("one"), self.chan("two"), self.chan("General")
        g1, g2 = self.guid(1), self.guid(2)
        self.online((1, "Alice"), (2, "Bob"))
        for c in (c1, c2):
            self.owner_and(c, "Bob")
        for i, name in ((1, "Alice"), (2, "Bob")):
            self.join(i, name, gen, dbc=1, flags=0x18)
        self.settle()
        pub = self.gw.client
        pub.publish("gw.char.logged-out", envelope("0.0.1", 2, {
            "RealmID": 1, "GatewayID": "gw1", "CharGUID": g1, "CharName": "Alice",
            "CharGuildID": 0, "AccountID": 1}))
        pub.flush()
        for c in (c1, c2):
            self.left(g1, ChannelName=c, Silent=False)
            self.notify(OWNER_CHANGED, ChannelName=c, TargetGUID=g2)
        for c in (c1, c2, gen):
            self.wait_until(lambda: g1 not in [g for g, _, _ in self.db_members(c)], "logout")
            self.assertEqual(self.members(2, c)[1][0][0], g2)
        pub.publish("char.chars.unhealthy.gw", envelope("0.0.1", 1, {
            "RealmID": 1, "GatewayID": "gw1", "CharactersGUID": [g2]}))
        pub.flush()
        for c in (c1, c2):
            self.left(g2, ChannelName=c)
        self.wait_until(lambda: not any(self.db_members(c) for c in (c1, c2, gen)), "logout")

    def test_logout_reaches_channels_not_in_memory(self):
        c = self.chan()
        for i, name in ((1, "Alice"), (2, "Bob")):
            self.assertEqual(self.join(i, name, c).status, OK)
        self.restart()  # nothing is loaded now
        self.online((2, "Bob"))
        self.settle()
        self.gw.client.publish("gw.char.logged-out", envelope("0.0.1", 2, {
            "RealmID": 1, "GatewayID": "gw1", "CharGUID": (1 << 32) | self.guid(2),
            "CharName": "Bob", "CharGuildID": 0, "AccountID": 2}))
        self.gw.client.flush()
        self.left(self.guid(2), ChannelName=c, Silent=False, NumMembers=1)
        self.assertEqual(self.db_members(c), [(self.guid(1), "Alice", 3)])


class LogoutsWithCharactersPluginRealSchema(LogoutsWithCharactersPlugin):
    kind = "ac"


if __name__ == "__main__":
    unittest.main()
