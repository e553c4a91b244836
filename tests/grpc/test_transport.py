"""The gRPC server transport (host/grpc) against real clients.

Drives tests/grpc/grpc_echo_server with Debian's grpcio (generic calls with
raw bytes), the raw HTTP/2 probe (grpc_h2_probe, for frames no real client
sends), h2load and openssl. Run with /usr/bin/python3; the binaries come from
$GRPC_ECHO_SERVER / $GRPC_H2_PROBE or $STRATUS_BUILD_DIR/bin.
"""

import concurrent.futures
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from pki import make_pki, read  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("STRATUS_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
SERVER = os.environ.get("GRPC_ECHO_SERVER", os.path.join(BUILD, "bin", "grpc_echo_server"))
PROBE = os.environ.get("GRPC_H2_PROBE", os.path.join(BUILD, "bin", "grpc_h2_probe"))
MiB = 1024 * 1024
SANITIZER_MARKS = ("Sanitizer", "runtime error:")


class EchoServer:
    """One grpc_echo_server process; stop() checks it exits clean."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            out, err = self.proc.communicate()
            raise RuntimeError(f"server did not start: {line}{out}{err}")
        self.addrs = line.split()[1:]
        self.addr = self.addrs[0]
        self.port = int(self.addr.rsplit(":", 1)[1])
        self.out = self.err = ""

    def sanitized(self):
        with open(f"/proc/{self.proc.pid}/maps") as f:
            return "libasan" in f.read()

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out
        self.err += err
        return self.proc.returncode

    def problems(self):
        """None if the process exited 0, clean, with no sanitizer report."""
        bad = self.proc.returncode != 0 or "EXIT clean" not in self.out or any(
            mark in self.err for mark in SANITIZER_MARKS)
        return f"rc={self.proc.returncode}\n{self.out}\n{self.err}" if bad else None

    def assert_clean(self, test):
        test.assertIsNone(self.problems())


def probe(addr, *args, timeout=15):
    """Run grpc_h2_probe; returns ({req: {...}}, [global lines])."""
    run = subprocess.run([PROBE, addr, *args], capture_output=True, text=True,
                         timeout=timeout)
    for mark in SANITIZER_MARKS:
        assert mark not in run.stderr, run.stderr
    out = run.stdout
    reqs, other = {}, []
    for line in out.splitlines():
        head, _, rest = line.partition(" ")
        if not head.isdigit():
            other.append(line)
            continue
        r = reqs.setdefault(int(head), {"headers": {}, "trailers": {}, "data": 0,
                                        "body": b""})
        kind, _, rest = rest.partition(" ")
        if kind in ("header", "trailer"):
            name, _, value = rest.partition(" ")
            r[kind + "s"].setdefault(name, value)
        elif kind == "data":
            size, _, hexdata = rest.partition(" ")
            r["data"] += int(size)
            r["body"] += bytes.fromhex(hexdata)
        elif kind == "rst":
            r["rst"] = int(rest)
        elif kind == "closed":
            code, ms = rest.split()
            r["closed"], r["ms"] = int(code), float(ms)
    return reqs, other


def grpc_status(r):
    """The grpc-status of a probe result, from trailers or trailers-only."""
    return int(r["trailers"].get("grpc-status", r["headers"].get("grpc-status", -1)))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def call(channel, method, payload=b"", **kw):
    return channel.unary_unary(f"/test.Echo/{method}")(payload, **kw)


# grpcio shares connections between channels with equal arguments; the
# tests count connections, so every channel gets its own.
OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)


def stats(addr):
    with grpc.insecure_channel(addr, options=[OWN_CONNECTION]) as ch:
        text = call(ch, "Stats", timeout=5).decode()
    return {k: int(v) for k, v in (kv.split("=") for kv in text.split())}


def wait_for(fn, what, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class ServerTest(unittest.TestCase):
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = EchoServer(*cls.server_args)
        cls.addr = cls.server.addr

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        problems = cls.server.problems()
        if problems:
            raise AssertionError("the server did not exit clean: " + problems)

    def tearDown(self):
        self.assertIsNone(self.server.proc.poll(), "the server died")

    def channel(self, **opts):
        ch = grpc.insecure_channel(self.addr, options=[OWN_CONNECTION, *opts.items()])
        self.addCleanup(ch.close)
        return ch


# ---------------------------------------------------------------------------
class UnaryTest(ServerTest):
    def test_echo(self):
        self.assertEqual(call(self.channel(), "Echo", b"hello", timeout=5), b"hello")

    def test_empty_message(self):
        self.assertEqual(call(self.channel(), "Echo", b"", timeout=5), b"")

    def test_binary_payload_roundtrip(self):
        payload = bytes(range(256)) * 100
        self.assertEqual(call(self.channel(), "Echo", payload, timeout=5), payload)

    def test_every_error_status_with_utf8_message(self):
        ch = self.channel()
        for code in grpc.StatusCode:
            if code == grpc.StatusCode.OK:
                continue
            number = code.value[0]
            text = f"status {number}: 100% sure, caf\u00e9 \u65e5\u672c \u2713\nline2"
            with self.subTest(code=code):
                with self.assertRaises(grpc.RpcError) as cm:
                    call(ch, "Fail", bytes([number]) + text.encode(), timeout=5)
                self.assertEqual(cm.exception.code(), code)
                self.assertEqual(cm.exception.details(), text)

    def test_grpc_message_is_percent_encoded_on_the_wire(self):
        text = "100% caf\u00e9"
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Fail",
                        "--frame", "hex:00" + format(len(text.encode()) + 1, "08x")
                        + "09" + text.encode().hex())
        r = reqs[0]
        self.assertEqual(r["headers"][":status"], "200")
        self.assertEqual(r["headers"]["grpc-status"], "9")
        self.assertEqual(r["headers"]["grpc-message"], "100%25 caf%C3%A9")
        self.assertEqual(r["data"], 0)  # trailers-only

    def test_unknown_path_is_unimplemented(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.channel().unary_unary("/v1.Nope/Missing")(b"x", timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        self.assertEqual(cm.exception.details(), "unknown method /v1.Nope/Missing")

    def test_response_shape(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo", "--frame", "msg:abc")
        r = reqs[0]
        self.assertEqual(r["headers"], {":status": "200", "content-type": "application/grpc"})
        self.assertEqual(r["data"], 5 + 3)
        self.assertEqual(r["trailers"], {"grpc-status": "0"})
        self.assertEqual(r["closed"], 0)

    def test_content_subtype_accepted(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo",
                        "--ctype", "application/grpc+proto", "--frame", "msg:abc")
        self.assertEqual(grpc_status(reqs[0]), 0)

    def test_call_metadata_peer_and_authority(self):
        ch = self.channel()
        info = call(ch, "Info", metadata=[("x-test", "hello")]).decode()
        fields = dict(kv.split("=", 1) for kv in info.split())
        self.assertEqual(fields["x-test"], "hello")
        self.assertEqual(fields["authority"], self.addr)
        self.assertTrue(fields["peer"].startswith("127.0.0.1:"))
        self.assertEqual(fields["remaining_ms"], str(2**63 - 1))
        self.assertEqual(fields["cancelled"], "0")

    def test_grpc_timeout_units(self):
        for value, low, high in (("2S", 1800, 2000), ("1M", 59800, 60000),
                                 ("1H", 3599800, 3600000), ("250000u", 100, 250),
                                 ("1500m", 1300, 1500), ("99999999n", 0, 100)):
            with self.subTest(timeout=value):
                reqs, _ = probe(self.addr, "--req", "/test.Echo/Info",
                                "--header", f"grpc-timeout={value}", "--frame", "msg:")
                self.assertEqual(grpc_status(reqs[0]), 0, reqs)
                info = reqs[0]["body"][5:].decode()
                remaining = int(dict(kv.split("=", 1) for kv in info.split())["remaining_ms"])
                self.assertTrue(low <= remaining <= high, (value, remaining))
        # the value the dispatcher sees, through a real client's deadline
        info = call(self.channel(), "Info", timeout=30).decode()
        remaining = int(dict(kv.split("=", 1) for kv in info.split())["remaining_ms"])
        # grpc-core rounds the timeout it sends up to a coarser unit
        self.assertTrue(28000 < remaining <= 30500, remaining)

    def test_malformed_grpc_timeout_is_internal(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo",
                        "--header", "grpc-timeout=12x", "--frame", "msg:a")
        self.assertEqual(grpc_status(reqs[0]), 13)
        self.assertIn("grpc-timeout", reqs[0]["headers"]["grpc-message"])

    def test_tiny_timeout_answers_deadline_exceeded(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Slow",
                        "--header", "grpc-timeout=500n", "--frame", "msg:50")
        self.assertEqual(grpc_status(reqs[0]), 4)

    def test_ping_is_answered(self):
        # (grpcio keepalive is no judge here: grpc-core 1.51 may miss an ack
        # that comes back on loopback before it marks its ping as sent)
        reqs, other = probe(self.addr, "--ping", "--req", "/test.Echo/Echo", "--frame", "msg:x")
        self.assertIn("pingack probe123", other)
        self.assertEqual(grpc_status(reqs[0]), 0)

    def test_idle_connection_stays_open(self):
        ch = self.channel()
        self.assertEqual(call(ch, "Echo", b"1", timeout=5), b"1")
        before = stats(self.addr)["connections_total"]
        time.sleep(1.5)
        self.assertEqual(call(ch, "Echo", b"2", timeout=5), b"2")
        self.assertEqual(stats(self.addr)["connections_total"], before + 1)

# ---------------------------------------------------------------------------
class SizeTest(ServerTest):
    def test_exactly_max_request_works(self):
        payload = os.urandom(4 * MiB)
        self.assertEqual(call(self.channel(), "Echo", payload, timeout=20), payload)

    def test_oversized_request_then_the_connection_still_works(self):
        ch = self.channel()
        self.assertEqual(call(ch, "Echo", b"warm", timeout=5), b"warm")
        conns = stats(self.addr)["connections_total"]
        with self.assertRaises(grpc.RpcError) as cm:
            call(ch, "Echo", b"\0" * (4 * MiB + 1), timeout=20)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("larger than max (4194305 > 4194304 bytes)", cm.exception.details())
        self.assertEqual(call(ch, "Echo", b"after", timeout=5), b"after")
        # the same connection: only the stats() call connected since
        self.assertEqual(stats(self.addr)["connections_total"], conns + 1)

    def test_oversized_prefix_is_refused_before_the_body(self):
        # 100 MiB announced, 1000 bytes sent, stream left open: the answer
        # must come at once, followed by RST_STREAM(NO_ERROR)
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo",
                        "--frame", f"pfx:0:{100 * MiB}", "--frame", "zeros:1000", "--open",
                        "--req", "/test.Echo/Echo", "--frame", "msg:still-alive")
        r = reqs[0]
        self.assertEqual(grpc_status(r), 8)
        self.assertLess(r["ms"], 1000)
        self.assertEqual(r.get("rst"), 0)
        self.assertEqual(grpc_status(reqs[1]), 0)

    def test_oversized_reply_is_refused(self):
        ch = self.channel(**{"grpc.max_receive_message_length": -1})
        with self.assertRaises(grpc.RpcError) as cm:
            call(ch, "Big", b"%d" % (4 * MiB + 1), timeout=20)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("response message larger than max", cm.exception.details())
        self.assertEqual(len(call(ch, "Big", b"%d" % (4 * MiB), timeout=20)), 4 * MiB)

    def test_header_list_too_large(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo",
                        "--header", "x-big=" + "a" * 20000, "--frame", "msg:a",
                        "--req", "/test.Echo/Echo", "--frame", "msg:b")
        self.assertEqual(grpc_status(reqs[0]), 8)
        self.assertIn("request headers larger than 16384", reqs[0]["headers"]["grpc-message"])
        self.assertEqual(grpc_status(reqs[1]), 0)


# ---------------------------------------------------------------------------
class FramingTest(ServerTest):
    def run_frames(self, *frames, path="/test.Echo/Echo", extra=()):
        args = ["--req", path, *extra]
        for f in frames:
            args += ["--frame", f]
        # a second request on the same connection proves it survived
        args += ["--req", "/test.Echo/Echo", "--frame", "msg:ok"]
        reqs, _ = probe(self.addr, *args)
        self.assertEqual(grpc_status(reqs[1]), 0, reqs)
        return reqs[0]

    def test_prefix_split_across_frames(self):
        r = self.run_frames("hex:00", "hex:0000", "hex:0003", "raw:a", "raw:bc")
        self.assertEqual(grpc_status(r), 0)
        self.assertEqual(r["data"], 8)

    def test_message_split_across_many_frames(self):
        frames = ["pfx:0:40000"] + ["zeros:10000"] * 4
        r = self.run_frames(*frames)
        self.assertEqual(grpc_status(r), 0)
        self.assertEqual(r["data"], 40005)

    def test_two_messages_is_internal(self):
        r = self.run_frames("msg:one", "msg:two")
        self.assertEqual(grpc_status(r), 13)
        self.assertIn("more than one message", r["headers"]["grpc-message"])

    def test_two_messages_in_one_frame_is_internal(self):
        r = self.run_frames("hex:0000000001610000000001" + "62")
        self.assertEqual(grpc_status(r), 13)

    def test_no_message_is_internal(self):
        r = self.run_frames()
        self.assertEqual(grpc_status(r), 13)
        self.assertIn("without a message", r["headers"]["grpc-message"])

    def test_truncated_prefix_is_internal(self):
        r = self.run_frames("hex:000000")
        self.assertEqual(grpc_status(r), 13)
        self.assertIn("prefix", r["headers"]["grpc-message"])

    def test_truncated_message_is_internal(self):
        r = self.run_frames("pfx:0:10", "raw:abc")
        self.assertEqual(grpc_status(r), 13)
        self.assertIn("truncated (3 of 10 bytes)", r["headers"]["grpc-message"])

    def test_bad_flags_is_internal(self):
        r = self.run_frames("pfx:2:1", "raw:a")
        self.assertEqual(grpc_status(r), 13)
        self.assertIn("flags 0x02", r["headers"]["grpc-message"])

    def test_compressed_flag_is_unimplemented(self):
        r = self.run_frames("pfx:1:3", "raw:abc", extra=["--header", "grpc-encoding=gzip"])
        self.assertEqual(grpc_status(r), 12)
        self.assertIn("grpc-encoding: gzip", r["headers"]["grpc-message"])
        self.assertEqual(r["headers"]["grpc-accept-encoding"], "identity")

    def test_identity_encoding_header_accepted(self):
        r = self.run_frames("msg:abc", extra=["--header", "grpc-encoding=identity"])
        self.assertEqual(grpc_status(r), 0)

    def test_compressed_by_a_real_client(self):
        ch = self.channel()
        with self.assertRaises(grpc.RpcError) as cm:
            call(ch, "Echo", b"z" * 4096, timeout=5, compression=grpc.Compression.Gzip)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("gzip", cm.exception.details())
        self.assertEqual(call(ch, "Echo", b"plain", timeout=5), b"plain")

    def test_get_is_405(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo", "--method", "GET")
        self.assertEqual(reqs[0]["headers"][":status"], "405")

    def test_wrong_content_type_is_415(self):
        r = self.run_frames("msg:abc", extra=["--ctype", "application/json"])
        self.assertEqual(r["headers"][":status"], "415")
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo", "--ctype", "", "--frame", "msg:a")
        self.assertEqual(reqs[0]["headers"][":status"], "415")

    def test_rejections_are_counted(self):
        before = stats(self.addr)["calls_rejected"]
        self.run_frames("msg:one", "msg:two")
        self.assertEqual(stats(self.addr)["calls_rejected"], before + 1)


# ---------------------------------------------------------------------------
class CancelTest(ServerTest):
    def settle(self, key, want):
        return wait_for(lambda: (s := stats(self.addr))[key] >= want and s, f"{key} >= {want}")

    def test_client_deadline(self):
        before = stats(self.addr)
        ch = self.channel()
        t0 = time.monotonic()
        with self.assertRaises(grpc.RpcError) as cm:
            call(ch, "Slow", b"1000", timeout=0.1)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertLess(time.monotonic() - t0, 0.9)
        # the late reply is dropped, and the server serves on
        after = self.settle("finished_after_cancel", before["finished_after_cancel"] + 1)
        self.assertGreaterEqual(
            after["deadline_exceeded"] + after["resets_received"],
            before["deadline_exceeded"] + before["resets_received"] + 1)
        self.assertEqual(call(ch, "Echo", b"alive", timeout=5), b"alive")

    def test_server_sends_deadline_exceeded_itself(self):
        before = stats(self.addr)
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Slow",
                        "--header", "grpc-timeout=100m", "--frame", "msg:1000",
                        "--req", "/test.Echo/Echo", "--frame", "msg:x")
        r = reqs[0]
        self.assertEqual(grpc_status(r), 4)
        self.assertEqual(r["headers"]["grpc-message"], "deadline exceeded")
        self.assertTrue(80 <= r["ms"] < 600, r["ms"])
        self.assertEqual(grpc_status(reqs[1]), 0)
        after = self.settle("finished_after_cancel", before["finished_after_cancel"] + 1)
        self.assertEqual(after["deadline_exceeded"], before["deadline_exceeded"] + 1)

    def test_client_cancellation_mid_call(self):
        before = stats(self.addr)
        ch = self.channel()
        fut = ch.unary_unary("/test.Echo/Slow").future(b"500", timeout=10)
        time.sleep(0.15)
        self.assertTrue(fut.cancel())
        self.assertTrue(fut.cancelled())
        after = self.settle("finished_after_cancel", before["finished_after_cancel"] + 1)
        self.assertEqual(after["resets_received"], before["resets_received"] + 1)
        self.assertEqual(call(ch, "Echo", b"alive", timeout=5), b"alive")

    def test_rst_stream_mid_upload_and_mid_call(self):
        before = stats(self.addr)
        reqs, _ = probe(self.addr, "--parallel",
                        "--req", "/test.Echo/Echo", "--frame", "pfx:0:100", "--open",
                        "--rst-ms", "50",
                        "--req", "/test.Echo/Slow", "--frame", "msg:300", "--rst-ms", "50")
        self.assertEqual(reqs[0]["closed"], 8)  # CANCEL
        self.assertEqual(reqs[1]["closed"], 8)
        after = self.settle("finished_after_cancel", before["finished_after_cancel"] + 1)
        self.assertEqual(after["resets_received"], before["resets_received"] + 2)

    def test_connection_dropped_mid_call(self):
        before = stats(self.addr)
        _, other = probe(self.addr, "--close-ms", "100", "--parallel",
                         "--req", "/test.Echo/Slow", "--frame", "msg:300",
                         "--req", "/test.Echo/Hold", "--frame", "msg:h")
        self.assertIn("dropped", other)
        after = self.settle("finished_after_cancel", before["finished_after_cancel"] + 1)
        self.assertEqual(after["held"], before["held"] + 1)  # released at shutdown

    def test_deadline_while_the_request_is_still_coming(self):
        reqs, _ = probe(self.addr, "--req", "/test.Echo/Echo", "--header", "grpc-timeout=100m",
                        "--frame", "pfx:0:100", "--frame", "zeros:10", "--open",
                        "--req", "/test.Echo/Echo", "--frame", "msg:next")
        self.assertEqual(grpc_status(reqs[0]), 4)
        self.assertEqual(reqs[0].get("rst"), 0)
        self.assertTrue(80 <= reqs[0]["ms"] < 600, reqs[0]["ms"])
        self.assertEqual(grpc_status(reqs[1]), 0)

    def test_a_few_resets_are_fine(self):
        before = stats(self.addr)["resets_received"]
        reqs, other = probe(self.addr, "--parallel", "--req", "/test.Echo/Slow",
                            "--frame", "msg:100", "--rst-ms", "0", "--repeat", "50")
        self.assertEqual([r["closed"] for r in reqs.values()], [8] * 50)
        self.assertFalse([line for line in other if line.startswith("goaway")])
        self.assertEqual(stats(self.addr)["resets_received"], before + 50)

    def test_rapid_reset_flood_gets_goaway(self):
        # CVE-2023-44487: nghttp2's limiter (burst 1000, 33/s) ends the session
        _, other = probe(self.addr, "--parallel", "--timeout-ms", "20000",
                         "--req", "/test.Echo/Slow", "--frame", "msg:1000",
                         "--rst-ms", "0", "--repeat", "1500", timeout=30)
        goaways = [line.split() for line in other if line.startswith("goaway")]
        self.assertTrue(goaways, other)
        self.assertEqual(goaways[0][1], "2")  # INTERNAL_ERROR
        self.assertEqual(call(self.channel(), "Echo", b"alive", timeout=5), b"alive")

    def test_continuation_flood_gets_goaway(self):
        # CVE-2024-28182: a header block in more than 8 CONTINUATION frames
        big = []
        for i in range(60):
            big += ["--header", f"x-h{i}=" + "a" * 10000]
        _, other = probe(self.addr, "--req", "/test.Echo/Echo", *big, "--frame", "msg:x")
        self.assertIn("goaway 11 1", other)  # ENHANCE_YOUR_CALM
        self.assertEqual(call(self.channel(), "Echo", b"alive", timeout=5), b"alive")


# ---------------------------------------------------------------------------
class LoadTest(ServerTest):
    def test_1000_concurrent_calls_on_one_channel(self):
        ch = self.channel()
        before = stats(self.addr)["connections_total"]
        slow = ch.unary_unary("/test.Echo/Slow")
        t0 = time.monotonic()
        futs = [slow.future(b"300", timeout=30) for _ in range(1000)]
        self.assertTrue(all(f.result() == b"300" for f in futs))
        # 1000 x 300 ms in well under 1000 x 300 ms: they ran side by side
        self.assertLess(time.monotonic() - t0, 10)
        echo = ch.unary_unary("/test.Echo/Echo")
        futs = [(i, echo.future(b"%d" % i, timeout=30)) for i in range(1000)]
        self.assertTrue(all(f.result() == b"%d" % i for i, f in futs))
        self.assertEqual(stats(self.addr)["connections_total"], before + 2)

    def test_1000_calls_across_50_channels(self):
        before = stats(self.addr)["connections_total"]
        chans = [self.channel() for _ in range(50)]
        futs = []
        for i in range(1000):
            payload = b"c%d-%d" % (i % 50, i)
            futs.append((payload, chans[i % 50].unary_unary("/test.Echo/Echo")
                         .future(payload, timeout=30)))
        for payload, f in futs:
            self.assertEqual(f.result(), payload)
        self.assertEqual(stats(self.addr)["connections_total"], before + 50 + 1)

    def test_large_replies_in_parallel(self):
        ch = self.channel(**{"grpc.max_receive_message_length": -1})
        big = ch.unary_unary("/test.Echo/Big")
        futs = [big.future(b"%d" % (3 * MiB), timeout=60) for _ in range(20)]
        self.assertTrue(all(len(f.result()) == 3 * MiB for f in futs))

    def test_slow_reader_is_held_back_and_others_are_served(self):
        # a client with huge flow-control windows that does not read: the
        # server must stop producing at its write limit, not queue 80 MiB
        pid = self.server.proc.pid
        result = {}

        def run_probe():
            result["reqs"], _ = probe(
                self.addr, "--big-window", "--parallel", "--stall-ms", "2000",
                "--timeout-ms", "30000", "--req", "/test.Echo/Big",
                "--frame", "msg:%d" % (4 * MiB), "--repeat", "20", timeout=60)
        rss0 = rss_kib(pid)
        t = threading.Thread(target=run_probe)
        t.start()
        time.sleep(1.0)
        t0 = time.monotonic()
        self.assertEqual(call(self.channel(), "Echo", b"other", timeout=5), b"other")
        self.assertLess(time.monotonic() - t0, 0.5)
        grown = rss_kib(pid) - rss0
        t.join(60)
        self.assertEqual([r["data"] for r in result["reqs"].values()],
                         [4 * MiB + 5] * 20)
        # 20 replies of 4 MiB are held as one copy each (80 MiB); the write
        # queue adds little on top (measured: +83 MiB; +121 MiB without the
        # write limit, the kernel's socket buffers absorbing the rest)
        if not self.server.sanitized():
            self.assertLess(grown, 100 * 1024, f"RSS grew by {grown} KiB")

    def test_h2load(self):
        h2load = shutil.which("h2load")
        if not h2load:
            self.skipTest("h2load (nghttp2-client) is not installed")
        before = stats(self.addr)["calls_total"]
        with tempfile.NamedTemporaryFile(suffix=".bin") as body:
            msg = b"h2load-payload"
            body.write(b"\0" + len(msg).to_bytes(4, "big") + msg)
            body.flush()
            out = subprocess.run(
                [h2load, "-n", "5000", "-c", "4", "-m", "10", "-t", "1", "-d", body.name,
                 "-H", "content-type: application/grpc", "-H", "te: trailers",
                 f"http://{self.addr}/test.Echo/Echo"],
                capture_output=True, text=True, timeout=120).stdout
        self.assertIn("Application protocol: h2c", out)
        self.assertIn("5000 succeeded, 0 failed, 0 errored", out)
        # h2load ignores trailers: check the server did answer every call
        self.assertEqual(stats(self.addr)["calls_total"], before + 5000 + 1)


# ---------------------------------------------------------------------------
class ListenTest(unittest.TestCase):
    def test_several_addresses_and_ipv6(self):
        args = ["--listen", "127.0.0.1:0"]
        if socket.has_ipv6:
            try:
                socket.create_server(("::1", 0), family=socket.AF_INET6).close()
                args += ["--listen", "[::1]:0"]
            except OSError:
                pass
        server = EchoServer(*args)
        try:
            self.assertEqual(len(server.addrs), len(args) // 2)
            for addr in server.addrs:
                with grpc.insecure_channel(addr) as ch:
                    self.assertEqual(call(ch, "Echo", addr.encode(), timeout=5), addr.encode())
        finally:
            server.stop()
        server.assert_clean(self)

    def test_bad_address_is_named(self):
        r = subprocess.run([SERVER, "--listen", "127.0.0.1:0", "--listen", "nonsense:1"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nonsense:1", r.stderr)

    def test_port_in_use_fails_all_or_nothing(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            busy = f"127.0.0.1:{s.getsockname()[1]}"
            r = subprocess.run([SERVER, "--listen", "127.0.0.1:0", "--listen", busy],
                               capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"listen {busy}: address already in use", r.stderr)
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, r.stderr)


# ---------------------------------------------------------------------------
class ShutdownTest(unittest.TestCase):
    def test_graceful_drain(self):
        server = EchoServer()
        ch = grpc.insecure_channel(server.addr)
        try:
            slow = ch.unary_unary("/test.Echo/Slow").future(b"1000", timeout=10)
            held = ch.unary_unary("/test.Echo/Hold").future(b"h", timeout=10)
            time.sleep(0.3)
            probe_out = {}

            def run_probe():
                probe_out["reqs"], probe_out["other"] = probe(
                    server.addr, "--req", "/test.Echo/Slow", "--frame", "msg:800")
            prober = threading.Thread(target=run_probe)
            prober.start()
            time.sleep(0.2)
            server.send_signal(signal.SIGTERM)
            self.assertEqual(server.proc.stdout.readline().strip(), "DRAINING")
            # new connections are refused at once
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
            # in-flight calls finish normally; held ones are released
            self.assertEqual(slow.result(), b"1000")
            self.assertEqual(held.exception().code(), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(held.exception().details(), "server draining")
            prober.join(10)
            r = probe_out["reqs"][0]
            self.assertEqual(grpc_status(r), 0)
            goaways = [line for line in probe_out["other"] if line.startswith("goaway")]
            self.assertEqual(goaways[0], "goaway 0 2147483647")  # the shutdown notice
            self.assertEqual(goaways[-1], "goaway 0 1")  # final: stream 1 was processed
            self.assertEqual(server.proc.wait(timeout=10), 0)
        finally:
            ch.close()
            server.stop()
        self.assertIn("DRAINED", server.out)
        server.assert_clean(self)

    def test_hard_close_inside_a_dispatch(self):
        server = EchoServer()
        reqs, other = probe(server.addr, "--parallel",
                            "--req", "/test.Echo/Hold", "--frame", "msg:h",
                            "--req", "/test.Echo/Slow", "--frame", "msg:200",
                            "--req", "/test.Echo/Die", "--frame", "msg:bye",
                            "--req", "/test.Echo/Echo", "--frame", "msg:late")
        self.assertIn("eof", other)
        self.assertEqual(server.proc.wait(timeout=10), 0)
        server.stop()
        self.assertIn("CLOSED", server.out)
        server.assert_clean(self)

    def test_drain_inside_a_dispatch(self):
        server = EchoServer()
        with grpc.insecure_channel(server.addr, options=[OWN_CONNECTION]) as ch:
            slow = ch.unary_unary("/test.Echo/Slow").future(b"300", timeout=10)
            time.sleep(0.1)
            self.assertEqual(call(ch, "Drain", b"now", timeout=5), b"now")
            self.assertEqual(slow.result(), b"300")
        self.assertEqual(server.proc.wait(timeout=10), 0)
        server.stop()
        self.assertIn("DRAINED", server.out)
        server.assert_clean(self)

    def test_stream_limit(self):
        server = EchoServer("--max-streams", "2")
        try:
            # a raw client that sends before it has the server's SETTINGS
            reqs, _ = probe(server.addr, "--parallel", "--req", "/test.Echo/Slow",
                            "--frame", "msg:300", "--repeat", "5")
            codes = sorted(r["closed"] for r in reqs.values())
            self.assertEqual(codes, [0, 0, 7, 7, 7])  # REFUSED_STREAM
            # refused streams leave nothing behind while the connection lives
            result = {}
            holder = threading.Thread(target=lambda: result.update(probe(
                server.addr, "--parallel", "--timeout-ms", "1500", "--req",
                "/test.Echo/Hold", "--frame", "msg:h", "--repeat", "5")[0]))
            holder.start()
            time.sleep(0.5)
            now = stats(server.addr)
            self.assertEqual((now["streams_active"], now["held"]), (2 + 1, 2))
            holder.join(10)
            self.assertEqual(sorted(r.get("closed") for r in result.values()
                                    if "closed" in r), [7, 7, 7])
            # a real client waits for a free stream
            with grpc.insecure_channel(server.addr, options=[OWN_CONNECTION]) as ch:
                futs = [ch.unary_unary("/test.Echo/Slow").future(b"50", timeout=20)
                        for _ in range(20)]
                self.assertTrue(all(f.result() == b"50" for f in futs))
        finally:
            server.stop()
        server.assert_clean(self)

    def test_client_goaway_closes_the_connection(self):
        server = EchoServer()
        try:
            ch = grpc.insecure_channel(server.addr, options=[OWN_CONNECTION])
            call(ch, "Echo", b"x", timeout=5)
            self.assertGreaterEqual(stats(server.addr)["connections_open"], 2)
            ch.close()
            wait_for(lambda: stats(server.addr)["connections_open"] == 1,
                     "the closed channel's connection to go")
        finally:
            server.stop()
        server.assert_clean(self)

    def test_drain_with_idle_connections(self):
        server = EchoServer()
        chans = [grpc.insecure_channel(server.addr, options=[OWN_CONNECTION]) for _ in range(5)]
        try:
            for ch in chans:
                call(ch, "Echo", b"x", timeout=5)
            t0 = time.monotonic()
            self.assertEqual(server.stop(timeout=10), 0)
            self.assertLess(time.monotonic() - t0, 3)
        finally:
            for ch in chans:
                ch.close()
        server.assert_clean(self)

    def test_hard_close_with_calls_in_flight(self):
        server = EchoServer()
        ch = grpc.insecure_channel(server.addr)
        try:
            slow = [ch.unary_unary("/test.Echo/Slow").future(b"500", timeout=10)
                    for _ in range(10)]
            held = [ch.unary_unary("/test.Echo/Hold").future(b"h", timeout=10)
                    for _ in range(10)]
            time.sleep(0.3)
            self.assertEqual(server.stop(signal.SIGUSR1, timeout=10), 0)
            for f in slow + held:
                self.assertEqual(f.exception().code(), grpc.StatusCode.UNAVAILABLE)
        finally:
            ch.close()
        self.assertIn("CLOSED", server.out)
        # every held or slow call was finished after the close: only freed
        self.assertIn("finished_after_cancel=20", server.out)
        server.assert_clean(self)


# ---------------------------------------------------------------------------


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="stratus-grpc-tls-")
        make_pki(cls.dir)
        cls.ca = read(cls.dir, "ca.pem")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, *extra):
        server = EchoServer("--tls-cert", self.path("server.pem"),
                            "--tls-key", self.path("server.key"), *extra)
        self.addCleanup(lambda: (server.stop(), server.assert_clean(self)))
        return server

    def secure(self, server, client=None):
        creds = grpc.ssl_channel_credentials(
            root_certificates=self.ca,
            private_key=read(self.dir, f"{client}.key") if client else None,
            certificate_chain=read(self.dir, f"{client}.pem") if client else None)
        ch = grpc.secure_channel(server.addr, creds, options=[OWN_CONNECTION])
        self.addCleanup(ch.close)
        return ch

    def test_tls(self):
        server = self.start()
        ch = self.secure(server)
        self.assertEqual(call(ch, "Echo", b"secret", timeout=5), b"secret")
        payload = os.urandom(4 * MiB)
        self.assertEqual(call(ch, "Echo", payload, timeout=20), payload)
        futs = [ch.unary_unary("/test.Echo/Echo").future(b"%d" % i, timeout=30)
                for i in range(500)]
        self.assertTrue(all(f.result() == b"%d" % i for i, f in enumerate(futs)))
        with self.assertRaises(grpc.RpcError) as cm:
            call(ch, "Fail", b"\x07denied", timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_localhost_name(self):
        server = self.start()
        creds = grpc.ssl_channel_credentials(root_certificates=self.ca)
        with grpc.secure_channel(f"localhost:{server.port}", creds) as ch:
            self.assertEqual(call(ch, "Echo", b"named", timeout=5), b"named")

    def test_plaintext_client_on_tls_port_fails(self):
        server = self.start()
        with grpc.insecure_channel(server.addr) as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                call(ch, "Echo", b"x", timeout=3)
        self.assertIn(cm.exception.code(), (grpc.StatusCode.UNAVAILABLE,
                                            grpc.StatusCode.DEADLINE_EXCEEDED))

    def tls_connect(self, server, alpn):
        ctx = ssl.create_default_context(cafile=self.path("ca.pem"))
        if alpn is not None:
            ctx.set_alpn_protocols(alpn)
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        return ctx.wrap_socket(raw, server_hostname="localhost")

    def test_alpn_must_be_h2(self):
        server = self.start()
        with self.tls_connect(server, ["h2", "http/1.1"]) as s:
            self.assertEqual(s.selected_alpn_protocol(), "h2")
        with self.assertRaises(ssl.SSLError):
            self.tls_connect(server, ["http/1.1"])
        # no ALPN at all: the handshake completes, then the server hangs up
        with self.tls_connect(server, None) as s:
            self.assertIsNone(s.selected_alpn_protocol())
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            self.assertEqual(s.recv(100), b"")
        with grpc.secure_channel(server.addr, grpc.ssl_channel_credentials(self.ca)) as ch:
            self.assertEqual(call(ch, "Echo", b"still", timeout=5), b"still")

    def test_mtls(self):
        server = self.start("--tls-client-ca", self.path("ca.pem"), "--verify-client")
        with self.assertRaises(grpc.RpcError) as cm:
            call(self.secure(server), "Echo", b"anon", timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
        with self.assertRaises(grpc.RpcError) as cm:
            call(self.secure(server, "stranger"), "Echo", b"who", timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(call(self.secure(server, "client"), "Echo", b"me", timeout=5), b"me")

    def test_tls_drain(self):
        server = EchoServer("--tls-cert", self.path("server.pem"),
                            "--tls-key", self.path("server.key"))
        ch = self.secure(server)
        fut = ch.unary_unary("/test.Echo/Slow").future(b"500", timeout=10)
        time.sleep(0.2)
        self.assertEqual(server.stop(timeout=10), 0)
        self.assertEqual(fut.result(), b"500")
        server.assert_clean(self)

    def test_bad_key_is_named(self):
        r = subprocess.run([SERVER, "--tls-cert", self.path("server.pem"),
                            "--tls-key", self.path("client.key")],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("client.key", r.stderr)


if __name__ == "__main__":
    unittest.main()
