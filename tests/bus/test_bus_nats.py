"""The event bus against a real nats-server: a real NATS client (Python)
publishes, the busprobe plugin inside a real stratusd receives and echoes to
probe.echo.<subject>, and the client checks what comes back byte for byte.
Also: unsubscribing, generation switches, server restarts with buffering and
counted drops, a daemon that starts before the server, switching servers."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from busutil import (TC9_PAYLOADS, BusTestCase, bus_section, compact,  # noqa: E402
                     probe_section, read_records, write_script)
from natsclient import NatsClient, envelope, parse_envelope  # noqa: E402
from natsserver import NatsServer  # noqa: E402
import ports  # noqa: E402


class NatsBus(BusTestCase):
    def setUp(self):
        super().setUp()
        self.nats = NatsServer().start()
        self.addCleanup(self.nats.stop)

    def client(self, url=None, *subjects):
        c = NatsClient(url or self.nats.url)
        self.addCleanup(c.close)
        for s in subjects or ("probe.echo.>",):
            c.subscribe(s)
        c.flush()
        return c

    def connected(self, d, nats=None):
        """Connected, and the server knows every subscription (a SUB still on
        its way would miss what the test publishes next)."""
        d.wait_for(lambda: self.metric(d, "stratus_bus_connected") == 1, "the bus connected")
        want = self.metric(d, "stratus_bus_subscriptions")
        d.wait_for(lambda: any(c.get("subscriptions", 0) >= want
                               for c in self.stratusd_conns(nats)), "the subscriptions")

    def stratusd_conns(self, nats=None):
        conns = (nats or self.nats).monitor("connz?subs=1")["connections"]
        return [c for c in conns if c.get("name") == "stratusd"]

    def echoes(self, c, n, timeout=5):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            try:
                out.append(c.next_message(max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                break
        return out

    # -----------------------------------------------------------------------
    def test_envelopes_round_trip_with_every_field(self):
        rec = self.path("rec.jsonl")
        sec = bus_section(self.nats.url) + probe_section(
            subscribe=["group.>", "sr.>", "gw.char.*"], echo=True, record_file=rec)
        with self.daemon(sec) as d:
            self.connected(d)
            c = self.client()
            sent = []
            for subject, t, p in TC9_PAYLOADS:
                data = envelope("0.0.1", t, p, go_escape=True)
                sent.append((subject, t, p, data))
                c.publish(subject, data)
            got = self.echoes(c, len(sent))
            self.assertEqual(len(got), len(sent))
            for (subject, t, p, data), (esubject, edata) in zip(sent, got):
                self.assertEqual(esubject, "probe.echo." + subject)
                # our envelope around the publisher's own payload bytes
                self.assertEqual(edata, data)
                env = parse_envelope(edata)
                self.assertEqual((env["v"], env["t"], env["p"]), ("0.0.1", t, p))
            records = self.wait_records(rec, len(sent), d)
            for (subject, t, p, data), r in zip(sent, records):
                text = data.decode()
                self.assertEqual(r["Subject"], subject)
                self.assertEqual(r["Type"], t)
                self.assertEqual(r["Version"], "0.0.1")
                self.assertEqual(r["Raw"], text)
                self.assertEqual(r["RawLen"], len(data))
                # the "p" text exactly as published, NUL-terminated
                self.assertEqual(r["Payload"], text[text.index('"p":') + 4:-1])
                self.assertEqual(r["PayloadLen"], len(r["Payload"].encode()))
                self.assertTrue(r["PayloadNul"])
                self.assertFalse(r["RawIsPayload"])
                self.assertEqual(r["StructSize"], r["Expected"])
            self.assertIn('"Receivers":null', records[1]["Payload"])
            self.assertEqual(self.metric(d, "stratus_bus_received_total"), len(sent))
            self.assertEqual(self.metric(d, "busprobe_received_total", kind="envelope"), len(sent))

    def test_messages_without_envelope_are_delivered_raw(self):
        rec = self.path("rec.jsonl")
        sec = bus_section(self.nats.url) + probe_section(
            subscribe=["auctionhouse.>", "bad.*"], echo=True, record_file=rec)
        cases = [("auctionhouse.auction.created", b'{"realm_id":1,"auction_id":5,"house_id":2}'),
                 ("bad.truncated", b'{"v":"0.0.1","t":'),
                 ("bad.text", b"hello world"),
                 ("bad.nop", b'{"v":"0.0.1","t":3}'),
                 ("bad.array", b"[1,2,3]")]
        with self.daemon(sec) as d:
            self.connected(d)
            c = self.client()
            for subject, data in cases:
                c.publish(subject, data)
            got = self.echoes(c, len(cases))
            self.assertEqual([(s, d_) for s, d_ in got],
                             [("probe.echo." + s, data) for s, data in cases])
            for (subject, data), r in zip(cases, self.wait_records(rec, len(cases), d)):
                self.assertEqual((r["Subject"], r["Type"], r["Version"]), (subject, -1, ""))
                self.assertEqual(r["Payload"], data.decode())
                self.assertTrue(r["RawIsPayload"])
            self.assertEqual(self.metric(d, "busprobe_received_total", kind="raw"), len(cases))
            self.assertIn("is not JSON", d.log_text())  # malformed: logged at debug

    def test_wildcards(self):
        sec = bus_section(self.nats.url) + probe_section(
            subscribe=["gw.char.*", "group.>", "chat.gw.*.income.whisper"], echo=True)
        subjects = {"gw.char.logged-in": True, "gw.char.x.y": False, "gw.char": False,
                    "group.created": True, "group.member.added": True, "group": False,
                    "chat.gw.42.income.whisper": True, "chat.gw.ALL.channel.message": False,
                    "other.created": False}
        with self.daemon(sec) as d:
            self.connected(d)
            c = self.client()
            for s in subjects:
                c.publish(s, envelope("0.0.1", 1, {"S": s}))
            got = sorted(s for s, _ in c.drain_messages(1.0))
            self.assertEqual(got, sorted("probe.echo." + s for s, m in subjects.items() if m))

    def test_disable_unsubscribes_and_stop_refuses_publishes(self):
        sec = lambda enabled: bus_section(self.nats.url) + probe_section(  # noqa: E731
            subscribe=["unsub.>"], echo=True, enabled=enabled)
        with self.daemon(sec(True)) as d:
            self.connected(d)
            c = self.client()
            c.publish("unsub.a", envelope("0.0.1", 1, {}))
            self.assertEqual(len(self.echoes(c, 1)), 1)
            subs = self.stratusd_conns()[0].get("subscriptions_list", [])
            self.assertIn("unsub.>", subs)
            self.assertEqual(self.reload(d, sec(False))["outcome"], "ok")
            d.wait_for(lambda: "unsub.>" not in
                       self.stratusd_conns()[0].get("subscriptions_list", []),
                       "the server to forget the subscription")
            self.assertEqual(self.metric(d, "stratus_bus_subscriptions"), 0)
            c.publish("unsub.b", envelope("0.0.1", 1, {}))
            self.assertEqual(c.drain_messages(0.7), [])
            self.assertIn("publish in stop: STRATUS_OK", d.log_text())  # allowed while draining
            self.reload(d, sec(True))  # and back
            d.wait_for(lambda: "unsub.>" in
                       self.stratusd_conns()[0].get("subscriptions_list", []), "resubscribed")
            c.publish("unsub.c", envelope("0.0.1", 1, {}))
            self.assertEqual([s for s, _ in self.echoes(c, 1)], ["probe.echo.unsub.c"])

    def test_generation_switches_lose_and_duplicate_nothing(self):
        sec = lambda tag: bus_section(self.nats.url) + probe_section(  # noqa: E731
            subscribe=["stream.n"], echo=True, tag=tag)
        total, reload_every = 3000, 500
        with self.daemon(sec("g0")) as d:
            self.connected(d)
            c = self.client()
            seen, seq_before = [], d.status()["last_reload"]["seq"]
            for n in range(total):
                c.publish("stream.n", envelope("0.0.1", 1, {"N": n}))
                if n % 25 == 24:
                    seen += c.drain_messages(0.005)
                if n % reload_every == reload_every // 2:
                    d.write_config(sec(f"g{n}"))  # no waiting: the stream goes on
                    d.hup()
            deadline = time.monotonic() + 20
            while len(seen) < total and time.monotonic() < deadline:
                seen += c.drain_messages(0.2)
            numbers = [parse_envelope(m)["p"]["N"] for _, m in seen]
            missing = sorted(set(range(total)) - set(numbers))
            dups = len(numbers) - len(set(numbers))
            self.assertEqual((missing[:10], dups), ([], 0))
            self.assertEqual(len(numbers), total)
            self.assertGreater(d.status()["last_reload"]["seq"], seq_before)
            self.assertGreaterEqual(d.plugin("busprobe")["generation"], 4)

    def outage(self, max_pending, burst):
        rec = self.path("rec.jsonl")
        sec = lambda b, tag: bus_section(  # noqa: E731
            self.nats.url, max_pending=max_pending) + probe_section(
            subscribe=["probe.burst"], record_file=rec, burst=b, tag=tag)
        d = self.daemon(sec(0, "before")).start()
        try:
            self.connected(d)
            self.nats.stop(cleanup=False)
            d.wait_for(lambda: self.metric(d, "stratus_bus_connected") == 0, "the disconnect")
            self.reload(d, sec(burst, "during"))  # the new generation publishes the burst
            d.wait_for(lambda: sum(d.metrics().get("busprobe_published_total", {}).values())
                       >= burst, "the burst")
            dropped = self.metric(d, "stratus_bus_dropped_total", reason="buffer_full")
            accepted = self.metric(d, "busprobe_published_total", result="ok")
            refused = self.metric(d, "busprobe_published_total", result="STRATUS_EAGAIN")
            self.assertEqual(read_records(rec), [])
            self.nats.restart()
            self.connected(d)
            self.wait_records(rec, int(accepted), d, "burst events")
            time.sleep(0.3)  # anything extra would show up now
            records = read_records(rec)
            seqs = [json.loads(r["Payload"])["Seq"] for r in records]
            self.assertEqual(len(seqs), len(set(seqs)), "duplicates")
            self.assertEqual(accepted + refused, burst)
            self.assertEqual(dropped, refused)
            self.assertEqual(len(records), burst - dropped, "received = published - dropped")
            self.assertEqual(sorted(seqs), list(range(len(seqs))), "the first ones are kept")
            self.assertGreaterEqual(self.metric(d, "stratus_bus_reconnects_total"), 1)
            return dropped, d
        finally:
            self.assertEqual(d.stop(), 0, d.log_text()[-3000:])
            d.cleanup()

    def test_outage_publishes_are_buffered_and_delivered(self):
        dropped, d = self.outage("8MiB", 500)
        self.assertEqual(dropped, 0)

    def test_outage_overflow_is_dropped_and_counted_exactly(self):
        dropped, d = self.outage("4KiB", 400)
        self.assertGreater(dropped, 0)
        self.assertLess(dropped, 400)

    def test_a_stalled_server_is_detected_by_pings(self):
        sec = bus_section(self.nats.url, ping_interval="200ms", max_pings_out=2) + \
            probe_section(subscribe=["ping.>"], echo=True)
        with self.daemon(sec) as d:
            self.connected(d)
            os.kill(self.nats.pid, signal.SIGSTOP)
            try:
                d.wait_for(lambda: self.metric(d, "stratus_bus_connected") == 0,
                           "the stale connection noticed")
            finally:
                os.kill(self.nats.pid, signal.SIGCONT)
            self.connected(d)
            self.assertGreaterEqual(self.metric(d, "stratus_bus_reconnects_total"), 1)
            self.assertIn("disconnected from NATS", d.log_text())
            c = self.client()
            c.publish("ping.x", envelope("0.0.1", 1, {}))
            self.assertEqual([s for s, _ in self.echoes(c, 1)], ["probe.echo.ping.x"])

    def test_stop_flushes_what_was_published(self):
        c = self.client(None, "probe.burst")
        sec = bus_section(self.nats.url) + probe_section(burst=5000)
        d = self.daemon(sec).start()
        try:
            d.wait_for(lambda: self.metric(d, "busprobe_published_total", result="ok") == 5000,
                       "the burst")
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()
        got = []
        while len(got) < 5000:
            try:
                got.append(c.next_message(5))
            except TimeoutError:
                break
        self.assertEqual(len(got), 5000)

    def test_daemon_starting_before_the_server(self):
        port = ports.free_port()
        url = f"nats://127.0.0.1:{port}"
        rec, script = self.path("rec.jsonl"), self.path("boot.jsonl")
        write_script(script, [{"Subject": f"boot.{i}", "Type": 1,
                               "PayloadText": compact({"I": i})} for i in range(3)])
        self.nats.stop()
        nats = NatsServer(port=port)
        self.addCleanup(nats.stop)
        sec = bus_section(url) + probe_section(subscribe=["boot.>", "live.>"], echo=True,
                                               record_file=rec, script=script)
        with self.daemon(sec) as d:  # ready without a server
            self.assertEqual(self.metric(d, "stratus_bus_connected"), 0)
            self.assertIn("no connection yet", d.log_text())
            d.wait_for(lambda: self.metric(d, "busprobe_published_total", result="ok") >= 3,
                       "the boot events published (buffered)")
            nats.start()
            self.connected(d, nats)
            records = self.wait_records(rec, 3, d, "boot events")
            self.assertEqual(sorted(r["Subject"] for r in records), ["boot.0", "boot.1", "boot.2"])
            c = self.client(url, "probe.echo.live.>")
            c.publish("live.x", envelope("0.0.1", 4, {"Live": True}))
            self.assertEqual([s for s, _ in self.echoes(c, 1)], ["probe.echo.live.x"])

    def test_reload_switches_servers_without_holes(self):
        other = NatsServer().start()
        self.addCleanup(other.stop)
        sec = lambda url: bus_section(url) + probe_section(  # noqa: E731
            subscribe=["sw.n"], echo=True)
        with self.daemon(sec(self.nats.url)) as d:
            self.connected(d)
            a, b = self.client(), self.client(other.url)
            seen = []
            for n in range(400):
                a.publish("sw.n", envelope("0.0.1", 1, {"N": n}))
                if n == 100:
                    d.write_config(sec(other.url))
                    d.hup()
                if n % 20 == 19:
                    seen += a.drain_messages(0.01) + b.drain_messages(0.01)
            d.wait_for(lambda: "switched to NATS" in d.log_text(), "the switch")
            d.wait_for(lambda: not self.stratusd_conns(), "the old connection to close")
            seen += a.drain_messages(0.5) + b.drain_messages(0.5)
            numbers = [parse_envelope(m)["p"]["N"] for _, m in seen]
            self.assertEqual(len(numbers), len(set(numbers)), "duplicates")
            # what the old connection received is all delivered: no holes
            self.assertEqual(sorted(numbers), list(range(len(numbers))))
            self.assertGreater(len(numbers), 100)
            self.assertEqual(len(self.stratusd_conns(other)), 1)
            b.publish("sw.n", envelope("0.0.1", 1, {"N": "after"}))
            self.assertEqual(parse_envelope(self.echoes(b, 1)[0][1])["p"]["N"], "after")
            self.assertEqual(self.metric(d, "stratus_bus_subscriptions"), 1)
            # and to the in-process bus
            self.reload(d, sec(""))
            d.wait_for(lambda: not self.stratusd_conns(other), "NATS left")
            self.assertEqual(self.metric(d, "stratus_bus_connected"), 1)

    def test_metrics_are_exported(self):
        with self.daemon(bus_section(self.nats.url)) as d:
            self.connected(d)
            m = d.metrics()
            for name in ("stratus_bus_published_total", "stratus_bus_received_total",
                         "stratus_bus_reconnects_total", "stratus_bus_connected",
                         "stratus_bus_subscriptions"):
                self.assertIn(name, m)
            reasons = {dict(k)["reason"] for k in m["stratus_bus_dropped_total"]}
            self.assertLessEqual({"buffer_full", "queue_full", "not_connected"}, reasons)


if __name__ == "__main__":
    unittest.main()


def make_certs(dirpath):
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=dirpath, check=True, capture_output=True)
    with open(os.path.join(dirpath, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stratus-test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")
    for who in ("server", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={who}", "-keyout", f"{who}.key",
            "-out", f"{who}.csr")
        run("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", f"{who}.pem")
    return {k: os.path.join(dirpath, f) for k, f in
            (("ca", "ca.pem"), ("cert", "server.pem"), ("key", "server.key"),
             ("client_cert", "client.pem"), ("client_key", "client.key"))}


class NatsBusSettings(BusTestCase):
    """Credentials, TLS and bad [bus] settings. The check that a connection
    works is the probe receiving its own events (the Python client speaks
    neither auth nor TLS)."""

    def server(self, *args):
        s = NatsServer(extra_args=list(args)).start()
        self.addCleanup(s.stop)
        return s

    def self_delivery(self, url, **bus_keys):
        rec, script = self.path("rec.jsonl"), self.path("script.jsonl")
        write_script(script, [{"Subject": "own.1", "Type": 1, "PayloadText": '{"Me":true}'}])
        return rec, bus_section(url, **bus_keys) + probe_section(
            subscribe=["own.>"], record_file=rec, script=script)

    def test_user_and_password(self):
        nats = self.server("--user", "stratus", "--pass", "s3cret")
        rec, sec = self.self_delivery(nats.url, user="stratus", password="s3cret")
        with self.daemon(sec) as d:
            self.assertEqual(self.wait_records(rec, 1, d)[0]["Subject"], "own.1")

    def test_wrong_password_then_fixed_on_reload(self):
        nats = self.server("--user", "stratus", "--pass", "s3cret")
        rec, bad = self.self_delivery(nats.url, user="stratus", password="nope")
        with self.daemon(bad) as d:
            d.wait_for(lambda: "events are dropped until a new connection is up"
                       in d.log_text(), "the refusal")
            self.assertEqual(self.metric(d, "stratus_bus_connected"), 0)
            self.assertNotIn("nope", d.log_text())
            _, good = self.self_delivery(nats.url, user="stratus", password="s3cret")
            self.assertEqual(self.reload(d, good)["outcome"], "ok")
            d.wait_for(lambda: self.metric(d, "stratus_bus_connected") == 1, "the new connection")
            # a new generation of the probe publishes its script again
            self.reload(d, good.replace("[plugin.busprobe]", "[plugin.busprobe]\ntag = 2"))
            self.assertEqual(self.wait_records(rec, 1, d)[0]["Subject"], "own.1")
            self.assertGreaterEqual(self.metric(d, "stratus_bus_dropped_total",
                                                reason="not_connected"), 1)

    def test_a_server_that_refused_the_credentials_is_tried_again(self):
        first = self.server("--user", "stratus", "--pass", "other")
        rec, sec = self.self_delivery(first.url, user="stratus", password="s3cret")
        with self.daemon(sec) as d:
            d.wait_for(lambda: d.log_text().count("no NATS connection; a new one in") >= 2,
                       "two revivals refused", timeout=20)
            self.assertEqual(self.metric(d, "stratus_bus_connected"), 0)
            # The server is fixed (same address); stratusd's settings never changed.
            first.stop()
            fixed = NatsServer(port=first.port, extra_args=["--user", "stratus", "--pass",
                                                            "s3cret"]).start()
            self.addCleanup(fixed.stop)
            d.wait_for(lambda: self.metric(d, "stratus_bus_connected") == 1,
                       "a new connection", timeout=40)
            self.assertIn("switched to NATS", d.log_text())
            # Events flow again: a new probe generation publishes its script.
            self.reload(d, sec.replace("[plugin.busprobe]", "[plugin.busprobe]\ntag = 2"))
            self.assertEqual(self.wait_records(rec, 1, d)[0]["Subject"], "own.1")

    def test_token(self):
        nats = self.server("--auth", "t0ken")
        rec, sec = self.self_delivery(nats.url, token="t0ken")
        with self.daemon(sec) as d:
            self.wait_records(rec, 1, d)

    def test_mutual_tls(self):
        c = make_certs(self.tmp)
        nats = self.server("--tlsverify", "--tlscert", c["cert"], "--tlskey", c["key"],
                           "--tlscacert", c["ca"])
        rec, sec = self.self_delivery(nats.url, tls_ca=c["ca"], tls_cert=c["client_cert"],
                                      tls_key=c["client_key"])
        with self.daemon(sec) as d:
            self.wait_records(rec, 1, d)
            self.assertEqual(nats.monitor("connz")["connections"][0].get("tls_version"), "1.3")

    def test_unusable_settings_on_reload_keep_the_bus(self):
        nats = self.server()
        rec, sec = self.self_delivery(nats.url)
        with self.daemon(sec) as d:
            self.wait_records(rec, 1, d)
            bad = sec.replace("[bus]\n", "[bus]\ncreds_file = /nonexistent/user.creds\n")
            r = self.reload(d, bad)
            self.assertEqual(r["outcome"], "partial")
            self.assertIn("creds_file /nonexistent/user.creds is not readable", r["errors"][0])
            self.assertEqual(self.metric(d, "stratus_bus_connected"), 1)
            self.assertEqual(len(nats.monitor("connz")["connections"]), 1)

    def test_unusable_settings_at_start(self):
        d = self.daemon(bus_section("nats://127.0.0.1:4222", tls_cert="/x.pem"))
        with self.assertRaises(Exception):
            d.start()
        self.assertIn("tls_cert and tls_key go together", d.log_text())
        d.stop()
        d.cleanup()
