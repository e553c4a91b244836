"""One test stack per test class: a private MariaDB with the AzerothCore schema
(fixture or real) for the auth database, two realms' characters databases and
a world database, a nats-server, a stratusd with the characters plugin, a
gRPC stub and a NATS client subscribed to what the plugin publishes."""

import os
import unittest

import grpc

import charsupport as cs
from mariadb import MariaDB
from natsserver import NatsServer
from stratusd import Stratusd


class StackCase(unittest.TestCase):
    KIND = "fixture"
    PLUGIN = "[plugin.characters]\nenabled = yes\n"
    SUBSCRIBE = ("friends.>", "char.>")

    @classmethod
    def seed(cls, db):
        """Rows for the class (override)."""

    @classmethod
    def extra_sections(cls, db):
        return ""

    @classmethod
    def setUpClass(cls):
        if cls.KIND not in cs.schema_kinds():
            raise unittest.SkipTest("no ../shared/azerothcore (the real AzerothCore schema)")
        cls.db = MariaDB().start()
        cls.nats = NatsServer().start()
        try:
            cs.load_schema(cls.db, cls.KIND, "auth", "chars1", ["chars2"])
            cs.load_world(cls.db, "world")
            cls.seed(cls.db)
            cls.d = Stratusd(log_level="info")
            cls.d.sections_extra = (cs.db_section(cls.db, "characters.1", "chars1") +
                                    cs.db_section(cls.db, "characters.2", "chars2") +
                                    cs.db_section(cls.db, "world", "world") +
                                    cs.bus_section(cls.nats.url) + cls.extra_sections(cls.db))
            cls.d.write_config(cls.PLUGIN)
            cls.d.start()
        except BaseException:
            cls.nats.stop()
            cls.db.stop()
            raise
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.stub = cs.pbg.CharactersServiceStub(cls.channel)
        cls.nc = cs.NatsClient(cls.nats.url)   # publishes gateway events
        cls.sub = cs.NatsClient(cls.nats.url)  # hears what the plugin publishes
        for subject in cls.SUBSCRIBE:
            cls.sub.subscribe(subject)
        cls.sub.flush()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.nc.close()
        cls.sub.close()
        code = cls.d.stop()
        cls.nats.stop()
        cls.db.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}"
        cls.d.cleanup()

    def setUp(self):
        self.sub.drain_messages(0.05)

    # -- helpers ---------------------------------------------------------------------
    def call(self, method, **fields):
        request = getattr(cs.pb, type(self).REQUESTS.get(method, method + "Request"))(**fields)
        return cs.code_of(getattr(self.stub, method), request)

    def ok(self, method, **fields):
        code, resp = self.call(method, **fields)
        self.assertEqual(code, grpc.StatusCode.OK, resp)
        return resp

    def fails(self, method, code, message=None, **fields):
        got, details = self.call(method, **fields)
        self.assertEqual(got, code, details)
        if message is not None:
            self.assertIn(message, details)
        return details

    def login(self, wait=True, **kw):
        cs.publish_login(self.nc, **kw)
        self.nc.flush()
        if wait:
            self.wait_online(kw["realm"], kw["guid"])

    def logout(self, realm, gateway, guid, wait=True, **kw):
        cs.publish_logout(self.nc, realm, gateway, guid, **kw)
        self.nc.flush()
        if wait:
            self.wait_online(realm, guid, online=False)

    def is_online(self, realm, guid):
        r = self.ok("ShortOnlineCharactersDataByGUIDs", realmID=realm, GUIDs=[guid])
        return len(r.characters) == 1

    def wait_online(self, realm, guid, online=True):
        self.d.wait_for(lambda: self.is_online(realm, guid) == online,
                        f"character {guid} of realm {realm} {'on' if online else 'off'}line")

    REQUESTS = {"ShortOnlineCharactersDataByGUIDs": "ShortCharactersDataByGUIDsRequest"}
