"""The in-process event bus ([bus] nats_url empty): the same event tests as
with NATS, plugin to plugin. busprobe publishes (a script of events, or a
numbered tick), busprobe2 (the same fixture under another name) subscribes
and records every field it got."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from busutil import (TC9_PAYLOADS, BusTestCase, bus_section, compact,  # noqa: E402
                     probe_section, read_records, write_script)
from natsclient import envelope  # noqa: E402


def payload_text(p):
    """The "p" bytes as a Go publisher writes them (with \\u escapes)."""
    text = envelope("0.0.1", 0, p, go_escape=True).decode()
    return text[text.index('"p":') + 4:-1]


class InprocBus(BusTestCase):
    def pair(self, script_events=None, publisher=None, subscriber=None, url=""):
        """busprobe publishes, busprobe2 records."""
        self.rec = self.path("rec.jsonl")
        pub = dict(publisher or {})
        if script_events is not None:
            script = self.path("script.jsonl")
            write_script(script, script_events)
            pub["script"] = script
        sub = dict(subscriber or {})
        sub.setdefault("record_file", self.rec)
        return (bus_section(url) + probe_section("busprobe", **pub) +
                probe_section("busprobe2", **sub))

    def test_envelopes_between_plugins(self):
        events = [{"Subject": s, "Type": t, "PayloadText": payload_text(p)}
                  for s, t, p in TC9_PAYLOADS]
        sec = self.pair(events, subscriber={"subscribe": ["group.>", "sr.>", "gw.char.*"]})
        with self.daemon(sec) as d:
            records = self.wait_records(self.rec, len(events), d)
            self.assertEqual(len(records), len(events))
            for e, r, (_, _, p) in zip(events, records, TC9_PAYLOADS):
                self.assertEqual(r["Subject"], e["Subject"])
                self.assertEqual(r["Type"], e["Type"])
                self.assertEqual(r["Version"], "0.0.1")
                self.assertEqual(r["Payload"], e["PayloadText"])  # byte for byte
                self.assertEqual(json.loads(r["Payload"]), p)     # PascalCase, nulls
                self.assertEqual(r["Raw"], '{"v":"0.0.1","t":%d,"p":%s}'
                                 % (e["Type"], e["PayloadText"]))
                self.assertEqual(r["PayloadLen"], len(r["Payload"].encode()))
                self.assertEqual(r["RawLen"], len(r["Raw"].encode()))
                self.assertTrue(r["PayloadNul"])
                self.assertEqual(r["StructSize"], r["Expected"])
                self.assertEqual(r["Plugin"], "busprobe2")
            self.assertIsNone(json.loads(records[1]["Payload"])["Receivers"])
            self.assertEqual(self.metric(d, "stratus_bus_connected"), 1)
            self.assertEqual(self.metric(d, "stratus_bus_received_total"), len(events))
            self.assertEqual(self.metric(d, "stratus_bus_published_total"), len(events))

    def test_messages_without_envelope(self):
        raws = [("auctionhouse.auction.created", '{"realm_id":1,"auction_id":5}'),
                ("auctionhouse.bid.placed", '{"v":"0.0.1","t":'),
                ("auctionhouse.text", "plain text")]
        sec = self.pair([{"Subject": s, "Raw": r} for s, r in raws],
                        subscriber={"subscribe": ["auctionhouse.>"]})
        with self.daemon(sec) as d:
            records = self.wait_records(self.rec, len(raws), d)
            for (s, raw), r in zip(raws, records):
                self.assertEqual((r["Subject"], r["Type"], r["Version"]), (s, -1, ""))
                self.assertEqual((r["Payload"], r["Raw"]), (raw, raw))
                self.assertTrue(r["RawIsPayload"])

    def test_wildcards(self):
        subjects = {"gw.char.logged-in": 1, "gw.char.x.y": 0, "gw.char": 0,
                    "group.created": 2,  # matches two patterns: one copy each
                    "group.member.added": 1, "group": 0, "other.created": 0}
        events = [{"Subject": s, "Type": 1, "PayloadText": compact({"S": s})}
                  for s in subjects] + [{"Subject": "end", "Type": 1, "PayloadText": "{}"}]
        sec = self.pair(events, subscriber={
            "subscribe": ["gw.char.*", "group.>", "group.created", "end"]})
        with self.daemon(sec) as d:
            want = sum(subjects.values()) + 1
            records = self.wait_records(self.rec, want, d)
            time.sleep(0.2)
            got = sorted(r["Subject"] for r in read_records(self.rec))
            self.assertEqual(got, sorted([s for s, n in subjects.items() for _ in range(n)]
                                         + ["end"]))
            self.assertEqual(len(records), want)

    def test_a_plugin_receives_its_own_events(self):
        rec = self.path("self.jsonl")
        script = self.path("script.jsonl")
        write_script(script, [{"Subject": "self.a", "Type": 9, "PayloadText": '{"A":[]}'}])
        sec = bus_section() + probe_section(subscribe=["self.>", "probe.echo.>"], echo=True,
                                            record_file=rec, script=script)
        with self.daemon(sec) as d:
            records = self.wait_records(rec, 2, d)
            self.assertEqual([(r["Subject"], r["Type"], r["Payload"]) for r in records],
                             [("self.a", 9, '{"A":[]}'), ("probe.echo.self.a", 9, '{"A":[]}')])

    def test_disable_unsubscribes(self):
        def sec(enabled):
            return self.pair(publisher={"tick": "5ms", "tick_subject": "in.tick"},
                             subscriber={"subscribe": ["in.tick"], "enabled": enabled})
        with self.daemon(sec(True)) as d:
            self.wait_records(self.rec, 5, d, "ticks")
            self.assertEqual(self.metric(d, "stratus_bus_subscriptions"), 1)
            self.assertEqual(self.reload(d, sec(False))["outcome"], "ok")
            self.assertEqual(self.metric(d, "stratus_bus_subscriptions"), 0)
            n = len(read_records(self.rec))
            sent = self.metric(d, "busprobe_published_total", result="ok")
            d.wait_for(lambda: self.metric(d, "busprobe_published_total", result="ok") > sent + 10,
                       "more ticks")
            self.assertEqual(len(read_records(self.rec)), n)
            self.assertIn("[busprobe2#1] publish in stop: STRATUS_OK", d.log_text())  # allowed while draining

    def test_generation_switches_lose_and_duplicate_nothing(self):
        def sec(pub_tag, sub_tag):
            return self.pair(publisher={"tick": "2ms", "tick_subject": "in.tick", "tag": pub_tag},
                             subscriber={"subscribe": ["in.tick"], "tag": sub_tag})
        with self.daemon(sec("p0", "s0")) as d:
            self.wait_records(self.rec, 10, d, "ticks")
            for i in range(1, 7):  # switch the subscriber, the publisher, both
                tags = [("p0", f"s{i}"), (f"p{i}", f"s{i - 1}"), (f"p{i}", f"s{i}")][i % 3]
                self.assertEqual(self.reload(d, sec(*tags))["outcome"], "ok")
                n = len(read_records(self.rec))
                self.wait_records(self.rec, n + 10, d, "ticks")
            gens = {r["Gen"] for r in read_records(self.rec)}
            self.assertGreaterEqual(len(gens), 4)
        seqs = [json.loads(r["Payload"])["Seq"] for r in read_records(self.rec)]
        self.assertEqual(len(seqs), len(set(seqs)), "duplicates")
        self.assertEqual(sorted(seqs), list(range(len(seqs))), "gaps")
        self.assertEqual(seqs, sorted(seqs), "order")

    def test_switch_to_nats_and_back(self):
        from natsserver import NatsServer
        from natsclient import NatsClient
        with NatsServer() as nats:
            def sec(url):
                return self.pair(publisher={"tick": "5ms", "tick_subject": "in.tick"},
                                 subscriber={"subscribe": ["in.tick"]}, url=url)
            with self.daemon(sec("")) as d:
                self.wait_records(self.rec, 5, d, "ticks")
                c = NatsClient(nats.url)
                c.subscribe("in.tick")
                c.flush()
                self.reload(d, sec(nats.url))
                d.wait_for(lambda: "switched to NATS" in d.log_text(), "the switch")
                c.next_message(3)  # ticks now go through the server
                n = len(read_records(self.rec))
                self.wait_records(self.rec, n + 5, d, "ticks over NATS")
                self.reload(d, sec(""))
                d.wait_for(lambda: len(nats.monitor("connz")["connections"]) == 1, "NATS left")
                n = len(read_records(self.rec))
                self.wait_records(self.rec, n + 5, d, "ticks in process again")
                c.close()
            seqs = [json.loads(r["Payload"])["Seq"] for r in read_records(self.rec)]
            self.assertEqual(len(seqs), len(set(seqs)), "duplicates")
            self.assertEqual(sorted(seqs), list(range(len(seqs))), "gaps")


if __name__ == "__main__":
    unittest.main()
