"""The whisper plugin beside the characters and realid plugins, as a realm
runs them: Real ID friendships come from the realid plugin in process
(stratus_realid_friends in the auth database), presence from the characters
plugin, its owner. Run on the project's
fixture and on AzerothCore's real schema."""

import os
import unittest

from stratusd import build_path
from test_whisper import NOT_FOUND, OK, WhisperCase
from whisperenv import Databases, daemon
from natsserver import NatsServer

import grpc
from chat import chat_pb2_grpc as pbg


@unittest.skipUnless(all(os.path.exists(build_path("plugins", f"{p}.so"))
                         for p in ("characters", "realid")),
                     "the characters and realid plugins are not built")
class WhisperWithRealIDPlugin(WhisperCase):
    kind = "fixture"

    @classmethod
    def setUpClass(cls):
        try:
            cls.dbs = Databases(cls.kind)
        except FileNotFoundError:
            raise unittest.SkipTest("no AzerothCore schema (../shared/azerothcore)")
        cls.nats = NatsServer().start()
        cls.fake = None
        cls.d = daemon(cls.nats.url, cls.config, extra=cls.dbs.sections())
        cls.d.write_config("[plugin.whisper]\nenabled = yes\n" + cls.config +
                           "\n[plugin.characters]\nenabled = yes\nworld_pool =\n"
                           "\n[plugin.realid]\nenabled = yes\n")
        cls.d.start()
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.chat = pbg.ChatServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.dbs.stop()

    def befriend(self, a, b):
        low, high = min(a, b), max(a, b)
        self.dbs.execute("auth", "INSERT INTO stratus_realid_friends "
                         "(account_low, account_high, state, requester) VALUES (%s, %s, 2, %s)",
                         (low, high, low))

    def test_real_id_friends_whisper_across_realms(self):
        alice, dan, eve = self.name("Alice"), self.name("Dan"), self.name("Eve")
        acc = 70000 + self.n * 10
        self.login((1, "a", 1, alice, dict(account=acc + 1)),
                   (2, "d", 4, dan, dict(account=acc + 4)),
                   (2, "e", 5, eve, dict(account=acc + 5)))
        self.befriend(acc + 1, acc + 4)
        r = self.whisper(1, 1, alice, dan)
        self.assertEqual((r.status, r.receiverRealmID, r.receiverName), (OK, 2, dan))
        self.delivered("d", SenderRealmID=1, ReceiverRealmID=2, ReceiverGUID=self.guid(4))
        self.assertEqual(self.whisper(1, 1, alice, eve).status, NOT_FOUND)
        # A pending request is no friendship.
        self.dbs.execute("auth", "INSERT INTO stratus_realid_friends "
                         "(account_low, account_high, state, requester) VALUES (%s, %s, 1, %s)",
                         (acc + 1, acc + 5, acc + 1))
        self.assertEqual(self.whisper(1, 1, alice, eve).status, NOT_FOUND)
        self.nothing_published()

    def test_same_realm_and_crossrealm_map_beside_the_characters_plugin(self):
        alice, bob, dan = self.name("Alice"), self.name("Bob"), self.name("Dan")
        self.login((1, "a", 1, alice, dict(map_id=30)), (1, "b", 2, bob, {}),
                   (2, "d", 4, dan, dict(map_id=30)))
        self.assertEqual(self.whisper(1, 1, alice, bob).status, OK)
        self.delivered("b")
        self.assertEqual(self.whisper(1, 1, alice, dan).status, OK)
        self.delivered("d", ReceiverRealmID=2)


class WhisperWithRealIDPluginRealSchema(WhisperWithRealIDPlugin):
    kind = "ac"


if __name__ == "__main__":
    unittest.main()
