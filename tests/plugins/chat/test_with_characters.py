"""The chat plugin beside the characters plugin (the online directory): an
invite asks CharactersService.CharacterOnlineByName in process, so only
online characters can be invited (without the characters plugin the chat
plugin falls back to the characters table, see test_channels). Run on the
project's fixture and on AzerothCore's real schema."""

import os
import unittest

from chatcase import ChatCase
from chatenv import HORDE, INVITE, pb
from natsclient import envelope
from stratusd import build_path

from characters import characters_pb2, characters_pb2_grpc

OK = 0


@unittest.skipUnless(os.path.exists(build_path("plugins", "characters.so")),
                     "the characters plugin is not built")
class InviteWithCharactersPlugin(ChatCase):
    plugins = {"chat": "", "characters": "world_pool =\n"}

    def login(self, i, name, race, gateway="gw1"):
        self.gw.client.publish("gw.char.logged-in", envelope("0.0.1", 1, {
            "RealmID": 1, "GatewayID": gateway, "CharGUID": self.guid(i), "CharName": name,
            "CharRace": race, "CharClass": 1, "CharGender": 0, "CharLevel": 80, "CharZone": 12,
            "CharMap": 0, "CharPosX": 0.0, "CharPosY": 0.0, "CharPosZ": 0.0, "CharGuildID": 0,
            "AccountID": self.guid(i)}))

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


if __name__ == "__main__":
    unittest.main()
