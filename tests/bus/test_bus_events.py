"""event_publish_json against a real nats-server: the evprobe fixture plugin
publishes jansson payloads inside a real stratusd, a real NATS client reads
the exact bytes (Go encoding/json's, in the Go struct's key order), and
payloads that differ from the event catalogue are refused, published
nowhere, counted, and logged once per subject."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from busutil import BusTestCase, bus_section, probe_section  # noqa: E402
from natsclient import NatsClient  # noqa: E402
from natsserver import NatsServer  # noqa: E402

PUBLISHED = [
    ("group.difficulty.changed",
     b'{"v":"0.0.1","t":12,"p":{"ServiceID":"","RealmID":1,"GroupID":7,"Updater":0,'
     b'"DungeonDifficulty":1,"Receivers":null}}'),
    ("evprobe.rc.difficulty", b"OK"),
    ("chat.gw.42.income.whisper",
     '{"v":"0.0.1","t":1,"p":{"SenderRealmID":1,"SenderGUID":9007199254740993,'
     '"SenderName":"Jaïna","SenderRace":7,"SenderClass":8,"SenderGender":1,"SenderChatTag":0,'
     '"ReceiverRealmID":2,"ReceiverGUID":18446744073709551615,"ReceiverName":"Тралл",'
     '"Language":7,"Msg":"\\u003cb\\u003ehi\\u003c/b\\u003e \\u0026 \\u2028 bye\\n\\u0001"}}'
     .encode()),
    ("evprobe.rc.whisper", b"OK"),
    ("gw.char.logged-in",
     b'{"v":"0.0.1","t":1,"p":{"RealmID":1,"GatewayID":"42","EventTimeUnixNano":1765000000123456789,'
     b'"CharGUID":5,"CharName":"Arthas","CharRace":1,"CharClass":6,"CharGender":0,"CharLevel":80,'
     b'"CharZone":1519,"CharMap":0,"CharPosX":1234.5677,"CharPosY":-8949.95,"CharPosZ":82,'
     b'"CharGuildID":0,"AccountID":3}}'),
    ("evprobe.rc.login", b"OK"),
    ("auctionhouse.bid.placed",
     b'{"realm_id":1,"auction_id":2,"buy_guid":3,"last_bid":400,"is_buyout":true}'),
    ("evprobe.rc.auction", b"OK"),
    ("acme.widget.made", b'{"v":"0.0.1","t":7,"p":{"Name":"a\\u003cb","Count":3,"Tags":null}}'),
    ("evprobe.rc.thirdparty", b"OK"),
    # refused: nothing between the return codes
    ("evprobe.rc.missing", b"STRATUS_EINVAL"),
    ("evprobe.rc.wrongtype", b"STRATUS_EINVAL"),
    ("evprobe.rc.uncatalogued", b"STRATUS_EINVAL"),
    ("evprobe.rc.othertype", b"STRATUS_EINVAL"),
    ("evprobe.rc.badsubject", b"STRATUS_EINVAL"),
]


class EventsAsData(BusTestCase):
    def setUp(self):
        super().setUp()
        self.nats = NatsServer().start()
        self.addCleanup(self.nats.stop)

    def connected(self, d):
        d.wait_for(lambda: self.metric(d, "stratus_bus_connected") == 1, "the bus connected")
        d.wait_for(lambda: any(c.get("subscriptions", 0) >= 1 for c in
                               self.nats.monitor("connz?subs=1")["connections"]
                               if c.get("name") == "stratusd"), "the subscription")

    def run_probe(self, d, c):
        c.publish("evprobe.go", b"{}")
        got = []
        while len(got) < len(PUBLISHED):
            subject, data = c.next_message(10)
            if subject != "evprobe.go":
                got.append((subject, data))
        return got

    def test_exact_bytes_and_refusals(self):
        with self.daemon(bus_section(self.nats.url) + probe_section("evprobe")) as d:
            self.connected(d)
            c = NatsClient(self.nats.url)
            self.addCleanup(c.close)
            c.subscribe(">")
            c.flush()
            for _ in range(2):
                got = self.run_probe(d, c)
                for (want_subject, want), (subject, data) in zip(PUBLISHED, got):
                    self.assertEqual((subject, data), (want_subject, want))
            refused = lambda s: self.metric(d, "stratus_bus_events_refused_total", subject=s)
            self.assertEqual(refused("group.disband"), 4)
            self.assertEqual(refused("uncatalogued"), 2)
            self.assertEqual(refused("mail.incoming"), 2)
            log = d.log_text()
            self.assertEqual(log.count("event on group.disband refused"), 1, log)
            self.assertIn("missing key 'OnlineMembers'", log)
            self.assertEqual(log.count("event on acme.widget.made refused: not in the catalogue"), 1)
            self.assertIn("type 9, the catalogue says 1", log)


if __name__ == "__main__":
    unittest.main()
