"""The gRPC client transport (host/grpc/client.h) against real servers.

tests/grpc/grpc_client_driver makes the calls and prints one line per call.
The servers: Debian's grpcio (a generic handler in this process), the
project's own grpc_echo_server, h2stub.py (raw HTTP/2 frames, for answers no
real server gives), a TCP proxy (to swap servers under one address), and
sockets that refuse, stay silent or speak HTTP/1.1. Run with /usr/bin/python3;
binaries come from $GRPC_CLIENT_DRIVER / $GRPC_ECHO_SERVER or
$STRATUS_BUILD_DIR/bin.
"""

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("STRATUS_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
DRIVER = os.environ.get("GRPC_CLIENT_DRIVER", os.path.join(BUILD, "bin", "grpc_client_driver"))
SERVER = os.environ.get("GRPC_ECHO_SERVER", os.path.join(BUILD, "bin", "grpc_echo_server"))
STUB = os.path.join(HERE, "h2stub.py")
MiB = 1024 * 1024
SANITIZER_MARKS = ("Sanitizer", "runtime error:")
OK, CANCELLED, UNKNOWN, DEADLINE, RESOURCE, PERMISSION = 0, 1, 2, 4, 8, 7
UNIMPLEMENTED, INTERNAL, UNAVAILABLE, UNAUTHENTICATED = 12, 13, 14, 16
UTF8_TEXT = "100% s\u00fbr: caf\u00e9 \u65e5\u672c \u2713\nline2 %41"


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return f"{h:016x}"


def size_payload(n):
    return bytes(k % 251 for k in range(n))


class Result:
    def __init__(self, line):
        _, index, status, ms, length, fnv, reply, message = line.split(" ")
        self.index, self.status, self.ms = int(index), int(status), float(ms)
        self.len, self.fnv = int(length), fnv
        self.reply = b"" if reply == "-" else bytes.fromhex(reply)
        self.message = "" if message == "-" else bytes.fromhex(message).decode()

    def __repr__(self):
        return f"<{self.index}: {self.status} {self.message!r} {self.ms}ms {self.reply[:40]!r}>"


class Run:
    """The parsed output of one driver run."""

    def __init__(self, out, err, rc):
        self.out, self.err, self.rc = out, err, rc
        self.results, self.rcs, self.stats = {}, {}, {}
        for line in out.splitlines():
            if line.startswith("RESULT "):
                r = Result(line)
                assert r.index not in self.results, f"two results for {r.index}"
                self.results[r.index] = r
            elif line.startswith("RC "):
                _, index, rc_ = line.split()
                self.rcs[int(index)] = int(rc_)
            elif line.startswith("STATS "):
                self.stats = {k: int(v) for k, v in
                              (kv.split("=") for kv in line.split()[1:])}

    def check_clean(self, test):
        test.assertEqual(self.rc, 0, self.out[-3000:] + self.err[-3000:])
        test.assertIn("EXIT clean", self.out)
        for mark in SANITIZER_MARKS:
            test.assertNotIn(mark, self.err)

    def only(self):
        assert len(self.results) == 1, self.results
        return next(iter(self.results.values()))

    def statuses(self):
        return [self.results[i].status for i in sorted(self.results)]


def driver_args(target, path, messages=(), calls=1, concurrency=None, timeout=5000,
                interval=None, extra=()):
    args = [DRIVER, "--stats", "--calls", str(calls), "--timeout", str(timeout)]
    for m in ([messages] if isinstance(messages, str) else messages):
        args += ["--message", m]
    if concurrency:
        args += ["--concurrency", str(concurrency)]
    if interval:
        args += ["--interval", str(interval)]
    return args + list(extra) + [target, path]


def drive(test, target, path, messages=(), run_timeout=120, **kw):
    run = subprocess.run(driver_args(target, path, messages, **kw), capture_output=True,
                         text=True, timeout=run_timeout)
    r = Run(run.stdout, run.stderr, run.returncode)
    r.check_clean(test)
    return r


class LiveDriver:
    """A driver whose results are read as they come (to act mid-run)."""

    def __init__(self, target, path, messages=(), **kw):
        self.proc = subprocess.Popen(driver_args(target, path, messages, **kw),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []

    def wait_results(self, n, timeout=30):
        end = time.monotonic() + timeout
        while sum(line.startswith("RESULT") for line in self.lines) < n:
            if time.monotonic() > end:
                raise AssertionError(f"only {self.lines} after {timeout} s")
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"the driver ended early: {self.lines}")
            self.lines.append(line.rstrip("\n"))

    def finish(self, test, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        r = Run("\n".join(self.lines) + "\n" + out, err, self.proc.returncode)
        r.check_clean(test)
        return r


# ---------------------------------------------------------------------------
# servers

class EchoServer:
    """One grpc_echo_server process."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line}{self.proc.communicate()}")
        self.addr = line.split()[1]
        self.port = int(self.addr.rsplit(":", 1)[1])
        self.out = self.err = ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out
        self.err += err
        return self.proc.returncode

    def assert_clean(self, test=None):
        bad = self.proc.returncode != 0 or "EXIT clean" not in self.out or any(
            mark in self.err for mark in SANITIZER_MARKS)
        if bad:
            raise AssertionError(f"the echo server did not exit clean: "
                                 f"rc={self.proc.returncode}\n{self.out}\n{self.err}")


def echo_stats(addr):
    with grpc.insecure_channel(addr, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
        text = ch.unary_unary("/test.Echo/Stats")(b"", timeout=5).decode()
    return {k: int(v) for k, v in (kv.split("=") for kv in text.split())}


class Stub:
    """h2stub.py; lines() is what it printed so far."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, STUB, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.proc.kill()
            raise RuntimeError(f"stub did not start: {line}{self.proc.communicate()}")
        self.port = int(line.split()[1])
        self.addr = f"127.0.0.1:{self.port}"
        self.out = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.out.append(line.rstrip("\n"))

    def stop(self):
        self.proc.terminate()
        self.proc.communicate(timeout=10)
        self.reader.join(5)

    def lines(self, kind):
        return [line.split() for line in list(self.out) if line.split()[0] == kind]

    def wait(self, fn, what, timeout=5.0):
        """Its output is read by a thread: wait until fn() holds."""
        end = time.monotonic() + timeout
        while not fn():
            if time.monotonic() > end:
                raise AssertionError(f"the stub never showed {what}: {self.out}")
            time.sleep(0.02)


class Proxy:
    """A TCP proxy whose backend can be switched; connections already made
    stay with the backend they were made to."""

    def __init__(self, backend):
        self.backend = backend
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            host, port = self.backend.rsplit(":", 1)
            try:
                server = socket.create_connection((host, int(port)))
            except OSError:
                client.close()
                continue
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        a.close()  # the other direction's thread closes b

    def close(self):
        self.closed = True
        self.sock.close()


STATUS_BY_NUMBER = {c.value[0]: c for c in grpc.StatusCode}


class GrpcioHandler(grpc.GenericRpcHandler):
    def __init__(self, owner):
        self.owner = owner

    def service(self, details):
        fn = getattr(self, "do_" + details.method.rsplit("/", 1)[-1], None)
        if not details.method.startswith("/test.Echo/") or fn is None:
            return None  # grpcio answers UNIMPLEMENTED
        return grpc.unary_unary_rpc_method_handler(fn)

    def do_Echo(self, req, ctx):
        return req

    def do_Fail(self, req, ctx):
        ctx.abort(STATUS_BY_NUMBER[req[0]], req[1:].decode())

    def do_FailAfterHeaders(self, req, ctx):
        ctx.send_initial_metadata([("x-stage", "headers")])
        ctx.abort(STATUS_BY_NUMBER[req[0]], req[1:].decode())

    def do_Slow(self, req, ctx):
        time.sleep(int(req) / 1000)
        return req

    def do_Hang(self, req, ctx):
        end = time.monotonic() + 10
        while ctx.is_active() and time.monotonic() < end:
            time.sleep(0.01)
        if not ctx.is_active():
            self.owner.cancelled.set()
        return b""

    def do_Big(self, req, ctx):
        return b"x" * int(req)

    def do_Meta(self, req, ctx):
        md = dict(ctx.invocation_metadata())
        return (f"ua={md.get('user-agent', '-')} remaining={ctx.time_remaining():.3f} "
                f"authority={md.get(':authority', '-')}").encode()


# ---------------------------------------------------------------------------

class GrpcioTest(unittest.TestCase):
    """Against a real gRPC implementation (grpcio 1.51, C core)."""

    @classmethod
    def setUpClass(cls):
        cls.cancelled = threading.Event()
        cls.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=32),
                                 handlers=[GrpcioHandler(cls)])
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.addr = f"127.0.0.1:{port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(None)

    def test_echo(self):
        r = drive(self, self.addr, "/test.Echo/Echo", "text:hello").only()
        self.assertEqual((r.status, r.reply, r.message), (OK, b"hello", ""))

    def test_empty_request_and_reply(self):
        r = drive(self, self.addr, "/test.Echo/Echo").only()
        self.assertEqual((r.status, r.len), (OK, 0))

    def test_binary_1mb_roundtrip(self):
        r = drive(self, self.addr, "/test.Echo/Echo", "size:1000000").only()
        self.assertEqual((r.status, r.len), (OK, 1000000))
        self.assertEqual(r.fnv, fnv1a(size_payload(1000000)))

    def test_error_status_with_utf8_message(self):
        for code in (3, 5, 7, 9, 14, 16):
            with self.subTest(code=code):
                body = bytes([code]) + UTF8_TEXT.encode()
                r = drive(self, self.addr, "/test.Echo/Fail", "hex:" + body.hex()).only()
                self.assertEqual((r.status, r.message, r.len), (code, UTF8_TEXT, 0))

    def test_error_in_trailers_after_headers(self):
        body = bytes([9]) + b"after headers"
        r = drive(self, self.addr, "/test.Echo/FailAfterHeaders", "hex:" + body.hex()).only()
        self.assertEqual((r.status, r.message), (9, "after headers"))

    def test_unknown_method(self):
        r = drive(self, self.addr, "/test.Echo/Nope").only()
        self.assertEqual(r.status, UNIMPLEMENTED)

    def test_slow_reply_within_deadline(self):
        r = drive(self, self.addr, "/test.Echo/Slow", "text:300", timeout=3000).only()
        self.assertEqual((r.status, r.reply), (OK, b"300"))
        self.assertGreaterEqual(r.ms, 290)

    def test_no_reply_is_deadline_exceeded_and_cancelled(self):
        self.cancelled.clear()
        r = drive(self, self.addr, "/test.Echo/Hang", timeout=300).only()
        # the server may notice the deadline first: then its message
        self.assertEqual(r.status, DEADLINE, r.message)
        self.assertTrue(r.message in ("Deadline Exceeded", "deadline exceeded after 300 ms "
                                      f"waiting for the reply from {self.addr}"), r.message)
        self.assertTrue(250 <= r.ms < 2000, r.ms)
        self.assertTrue(self.cancelled.wait(5), "the server never saw the call end")

    def test_oversized_reply(self):
        r = drive(self, self.addr, "/test.Echo/Big", f"text:{4 * MiB + 1}").only()
        self.assertEqual(r.status, RESOURCE, r.message)
        self.assertIn("larger than max", r.message)
        r = drive(self, self.addr, "/test.Echo/Big", f"text:{4 * MiB}").only()
        self.assertEqual((r.status, r.len), (OK, 4 * MiB))

    def test_request_headers(self):
        r = drive(self, self.addr, "/test.Echo/Meta", timeout=7000).only()
        fields = dict(kv.split("=", 1) for kv in r.reply.decode().split())
        self.assertTrue(fields["ua"].startswith("stratus/"), fields)
        self.assertTrue(6.0 < float(fields["remaining"]) <= 7.0, fields)

    def test_1000_concurrent_calls_on_one_connection(self):
        run = drive(self, self.addr, "/test.Echo/Echo", "id:c", calls=1000)
        self.assertEqual(len(run.results), 1000)
        for i, r in run.results.items():
            self.assertEqual((r.status, r.reply), (OK, f"c-{i}".encode()))
        self.assertEqual(run.stats["connects_total"], 1)
        self.assertEqual(run.stats["calls_failed"], 0)


class StratusServerTest(unittest.TestCase):
    """Against the project's own server transport."""

    @classmethod
    def setUpClass(cls):
        cls.server = EchoServer()
        cls.addr = cls.server.addr

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.assert_clean()

    def test_echo_authority_and_timeout(self):
        r = drive(self, self.addr, "/test.Echo/Echo", "text:hi").only()
        self.assertEqual((r.status, r.reply), (OK, b"hi"))
        r = drive(self, self.addr, "/test.Echo/Info", timeout=4000).only()
        info = dict(kv.split("=", 1) for kv in r.reply.decode().split())
        self.assertEqual(info["authority"], self.addr)
        self.assertTrue(3000 < int(info["remaining_ms"]) <= 4000, info)

    def test_every_status_with_utf8_message(self):
        for code in range(1, 17):
            with self.subTest(code=code):
                body = bytes([code]) + UTF8_TEXT.encode()
                r = drive(self, self.addr, "/test.Echo/Fail", "hex:" + body.hex()).only()
                self.assertEqual((r.status, r.message), (code, UTF8_TEXT))

    def test_1000_concurrent_calls_on_one_connection(self):
        before = echo_stats(self.addr)["connections_total"]
        run = drive(self, self.addr, "/test.Echo/Echo", "id:s", calls=1000)
        self.assertEqual(sorted(run.results), list(range(1000)))
        for i, r in run.results.items():
            self.assertEqual((r.status, r.reply), (OK, f"s-{i}".encode()))
        self.assertEqual(run.stats["connects_total"], 1)
        # one for the driver, one for this second stats call
        self.assertEqual(echo_stats(self.addr)["connections_total"] - before, 2)

    def test_deadline_ends_the_call_on_the_server(self):
        def ended():
            st = echo_stats(self.addr)
            return st["resets_received"] + st["deadline_exceeded"]
        before = ended()
        r = drive(self, self.addr, "/test.Echo/Hold", "text:held", timeout=200).only()
        # ours (and an RST_STREAM) or the server's own: they race by design
        self.assertEqual(r.status, DEADLINE)
        end = time.monotonic() + 5
        while ended() == before:
            self.assertLess(time.monotonic(), end, "the server never saw the call end")
            time.sleep(0.05)

    def test_big_reply_at_the_limit(self):
        r = drive(self, self.addr, "/test.Echo/Big", f"text:{4 * MiB}").only()
        self.assertEqual((r.status, r.len), (OK, 4 * MiB))


class StreamLimitTest(unittest.TestCase):
    def test_calls_beyond_max_concurrent_streams_wait(self):
        server = EchoServer("--max-streams", "4")
        try:
            t0 = time.monotonic()
            run = drive(self, server.addr, "/test.Echo/Slow", "id:20", calls=100)
            elapsed = time.monotonic() - t0
            self.assertEqual(run.statuses(), [OK] * 100)
            self.assertEqual((run.stats["connects_total"], run.stats["retries"]), (1, 0))
            self.assertGreater(elapsed, 100 / 4 * 0.020 * 0.9)
        finally:
            server.stop()
        server.assert_clean(self)

    def test_stub_sees_at_most_the_limit(self):
        stub = Stub("--max-streams", "3")
        try:
            run = drive(self, stub.addr, "/x.Y/Z", "text:slow:30:ok", calls=60)
            self.assertEqual(run.statuses(), [OK] * 60)
            self.assertEqual((run.stats["connects_total"], run.stats["retries"]), (1, 0))
        finally:
            stub.stop()
        self.assertEqual(stub.lines("VIOLATION"), [])
        self.assertEqual(max(int(m[1]) for m in stub.lines("MAXOPEN")), 3)


class StubTest(unittest.TestCase):
    """Answers only a raw HTTP/2 server gives."""

    @classmethod
    def setUpClass(cls):
        cls.stub = Stub("--ping")

    @classmethod
    def tearDownClass(cls):
        cls.stub.stop()

    def call(self, text, timeout=3000):
        return drive(self, self.stub.addr, "/x.Y/Z", "text:" + text, timeout=timeout).only()

    def conns(self):
        """Connections the stub accepted so far (all previous drivers are done)."""
        n = len(self.stub.lines("CONN"))
        time.sleep(0.05)
        return max(n, len(self.stub.lines("CONN")))

    def wait_cancel(self, conn):
        """RST_STREAM(CANCEL) for stream 1 of the conn-th connection."""
        self.stub.wait(lambda: ["RST", str(conn), "1", "8"] in self.stub.lines("RST"),
                       f"RST_STREAM(CANCEL) on connection {conn}")

    def test_response_shapes(self):
        cases = [
            ("ok", OK, ""),
            ("trailers-only:5:" + UTF8_TEXT.replace("\n", " "), 5,
             UTF8_TEXT.replace("\n", " ")),
            ("no-status:x", INTERNAL, "without grpc-status"),
            ("no-message", INTERNAL, "no reply message"),
            ("compressed", INTERNAL, "compressed reply not negotiated"),
            ("two-messages", INTERNAL, "more than one"),
            ("truncated", INTERNAL, "truncated (5 of 10 bytes)"),
            ("status:abc", INTERNAL, "malformed grpc-status"),
            ("status:99", UNKNOWN, ""),
            ("split:hello", OK, ""),
        ]
        for text, status, message in cases:
            with self.subTest(text=text):
                r = self.call(text)
                self.assertEqual(r.status, status, r.message)
                self.assertIn(message, r.message)
        self.assertEqual(self.call("split:hello").reply, b"hello")

    def test_http_status_mapping(self):
        table = {400: INTERNAL, 401: UNAUTHENTICATED, 403: PERMISSION, 404: UNIMPLEMENTED,
                 429: UNAVAILABLE, 502: UNAVAILABLE, 503: UNAVAILABLE, 504: UNAVAILABLE,
                 500: UNKNOWN, 418: UNKNOWN}
        for http, status in table.items():
            with self.subTest(http=http):
                r = self.call(f"http:{http}")
                self.assertEqual(r.status, status, r.message)
                self.assertIn(f"HTTP status {http}", r.message)

    def test_stream_resets(self):
        for code, status in ((8, CANCELLED), (11, RESOURCE), (12, PERMISSION), (2, INTERNAL)):
            with self.subTest(code=code):
                self.assertEqual(self.call(f"rst:{code}").status, status)
        # refused before any response: retried, then given up
        r = self.call("rst:7")
        self.assertEqual(r.status, UNAVAILABLE)
        self.assertIn("retried 5 times", r.message)
        # refused after the response began: the server saw it, no retry
        run = drive(self, self.stub.addr, "/x.Y/Z", "text:headers-rst:7")
        self.assertEqual((run.only().status, run.stats["retries"]), (UNAVAILABLE, 0))

    def test_deadline_sends_rst_stream_cancel(self):
        # the stub ignores grpc-timeout: the deadline is the client's alone
        conns = self.conns()
        r = self.call("hang", timeout=200)
        self.assertEqual(r.status, DEADLINE)
        self.assertIn("deadline exceeded after 200 ms waiting for the reply from", r.message)
        self.wait_cancel(conns + 1)

    def test_ping_is_answered(self):
        before = len(self.stub.lines("PINGACK"))
        self.call("ok")
        self.stub.wait(lambda: len(self.stub.lines("PINGACK")) > before, "a PING ack")

    def test_late_reply_is_ignored(self):
        # call 0 passes its deadline at 400 ms; call 1 starts then, and call
        # 0's reply arrives (at 550 ms) while call 1 is in flight
        conns = self.conns()
        run = drive(self, self.stub.addr, "/x.Y/Z",
                    ["text:late:550:first", "text:slow:300:second"],
                    calls=2, interval=400, timeout=400)
        self.assertEqual(run.results[0].status, DEADLINE)
        self.assertEqual((run.results[1].status, run.results[1].reply), (OK, b"second"))
        self.assertEqual(run.stats["connects_total"], 1)
        self.wait_cancel(conns + 1)


class StubConnectionTest(unittest.TestCase):
    """Connection-level behaviour, one stub per test."""

    def stub(self, *args):
        stub = Stub(*args)
        self.addCleanup(stub.stop)
        return stub

    def test_goaway_retries_what_the_server_did_not_process(self):
        stub = self.stub("--goaway-after", "20")
        run = drive(self, stub.addr, "/x.Y/Z", "id:g", calls=40)
        self.assertEqual(sorted(run.results), list(range(40)))
        for i, r in run.results.items():
            self.assertEqual((r.status, r.reply), (OK, f"g-{i}".encode()), r.message)
        stub.wait(lambda: len(stub.lines("REQ")) >= 40, "40 requests")
        processed = [bytes.fromhex(line[3]).decode() for line in stub.lines("REQ")]
        self.assertEqual(sorted(processed), sorted(f"g-{i}" for i in range(40)))
        self.assertEqual(run.stats["connects_total"], 2)
        self.assertGreaterEqual(run.stats["retries"], 20)
        # the first connection processed the streams up to last_stream_id only
        per_conn = [line[1] for line in stub.lines("REQ")]
        self.assertEqual((per_conn.count("1"), per_conn.count("2")), (10, 30))

    def test_idle_is_quiet_and_idle_connections_close(self):
        stub = self.stub("--trace")
        run = drive(self, stub.addr, "/x.Y/Z", "text:ok", calls=2, interval=1500,
                    extra=["--idle-ms", "60000"])
        self.assertEqual(run.statuses(), [OK, OK])
        self.assertEqual(run.stats["connects_total"], 1)
        stub.wait(lambda: any(f[3] == "3" for f in stub.lines("FRAME")), "the second call")
        frames = [(int(f[2]), int(f[3]), int(f[4])) for f in stub.lines("FRAME")]
        first_end = max(ms for t, s, ms in frames if s == 1)
        second = min(ms for t, s, ms in frames if s == 3)
        quiet = [f for f in frames if first_end + 300 < f[2] < second]
        self.assertEqual(quiet, [], "the client sent frames while idle")
        self.assertGreater(second - first_end, 1000)

        stub2 = self.stub()
        run = drive(self, stub2.addr, "/x.Y/Z", "text:ok", calls=2, interval=1000,
                    extra=["--idle-ms", "300"])
        self.assertEqual(run.statuses(), [OK, OK])
        self.assertEqual(run.stats["connects_total"], 2)
        stub2.wait(lambda: len(stub2.lines("CONN")) == 2, "two connections")
        events = [line for line in list(stub2.out) if line.split()[0] in ("CONN", "GOAWAY", "EOF")]
        self.assertEqual(events[:3], ["CONN 1", "GOAWAY 1 0", "EOF 1"], events)

    def test_unresponsive_connection_is_dropped(self):
        # call 0 times out on a server that went silent; the PING sent then
        # goes unanswered, so call 1 gets a new connection
        stub = self.stub()
        run = drive(self, stub.addr, "/x.Y/Z", ["text:freeze", "text:ok"], calls=2,
                    interval=1500, timeout=300, extra=["--ping-ms", "500"])
        self.assertEqual(run.results[0].status, DEADLINE)
        self.assertEqual((run.results[1].status, run.results[1].reply), (OK, b"ok"))
        self.assertEqual(run.stats["connects_total"], 2)

    def test_silent_server_deadline(self):
        stub = self.stub("--silent")
        r = drive(self, stub.addr, "/x.Y/Z", timeout=400).only()
        self.assertEqual(r.status, DEADLINE, r.message)
        self.assertIn("connecting to", r.message)
        self.assertTrue(350 <= r.ms < 2000, r.ms)

    def test_tls_server(self):
        stub = self.stub("--raw", "15030100020246")  # a TLS protocol_version alert
        r = drive(self, stub.addr, "/x.Y/Z").only()
        self.assertEqual(r.status, UNAVAILABLE, r.message)
        self.assertEqual(r.message, f"{stub.addr} answered with TLS (the client speaks h2c only)")

    def test_http1_server(self):
        for line, status in (("HTTP/1.1 404 Not Found", UNIMPLEMENTED),
                             ("HTTP/1.1 400 Bad Request", INTERNAL),
                             ("HTTP/1.0 503 Service Unavailable", UNAVAILABLE)):
            with self.subTest(line=line):
                stub = self.stub("--http1", line)
                r = drive(self, stub.addr, "/x.Y/Z").only()
                self.assertEqual(r.status, status, r.message)
                self.assertIn(f'not an HTTP/2 server: it answered "{line}"', r.message)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FailureTest(unittest.TestCase):
    def test_nothing_listening(self):
        port = free_port()
        run = drive(self, f"127.0.0.1:{port}", "/a.B/C", calls=3, concurrency=1)
        for r in run.results.values():
            self.assertEqual(r.status, UNAVAILABLE)
            self.assertEqual(r.message, f"connect to 127.0.0.1:{port} refused")
            self.assertLess(r.ms, 1000)
        self.assertEqual((run.stats["connects_total"], run.stats["connect_failures"]), (3, 3))

    def test_backoff_doubles_and_calls_wait_for_it(self):
        run = drive(self, f"127.0.0.1:{free_port()}", "/a.B/C", calls=5, concurrency=1)
        ms = [run.results[i].ms for i in range(5)]
        self.assertLess(ms[0], 50)
        for i, want in enumerate((100, 200, 400, 800), start=1):
            self.assertTrue(want * 0.9 <= ms[i] < want + 300, ms)

    def test_deadline_shorter_than_the_backoff(self):
        run = drive(self, f"127.0.0.1:{free_port()}", "/a.B/C", calls=2, concurrency=1,
                    timeout=50)
        r = run.results[1]
        self.assertEqual(r.status, UNAVAILABLE)
        self.assertIn("refused (next attempt in", r.message)
        self.assertLess(r.ms, 20)
        self.assertEqual(run.stats["connects_total"], 1)

    def test_dns_failure(self):
        r = drive(self, "nonexistent.invalid:5000", "/a.B/C", timeout=15000).only()
        self.assertIn(r.status, (UNAVAILABLE, DEADLINE))
        if r.status == UNAVAILABLE:
            self.assertIn("resolve nonexistent.invalid", r.message)

    def test_localhost_name_and_ipv6(self):
        server = EchoServer("--listen", "127.0.0.1:0")
        try:
            r = drive(self, f"localhost:{server.port}", "/test.Echo/Echo", "text:dns").only()
            self.assertEqual((r.status, r.reply), (OK, b"dns"), r.message)
        finally:
            server.stop()
        server.assert_clean(self)
        try:
            server = EchoServer("--listen", "[::1]:0")
        except RuntimeError:
            self.skipTest("no IPv6 loopback")
        try:
            r = drive(self, f"[::1]:{server.port}", "/test.Echo/Echo", "text:v6").only()
            self.assertEqual((r.status, r.reply), (OK, b"v6"), r.message)
        finally:
            server.stop()
        server.assert_clean(self)

    def test_invalid_targets(self):
        for target in ("nonsense", "host:", ":80", "[::1", "[::1]80", "1.2.3.4:99999",
                       "1.2.3.4:0", "a b:80", "::1:80", "host:8x"):
            with self.subTest(target=target):
                run = drive(self, target, "/a.B/C")
                self.assertEqual(run.rcs, {0: -22})
                self.assertEqual(run.results, {})
        run = drive(self, "127.0.0.1:1", "no-slash")
        self.assertEqual(run.rcs, {0: -22})

    def test_server_killed_mid_call(self):
        server = EchoServer()
        live = LiveDriver(server.addr, "/test.Echo/Hold", "text:x", timeout=10000)
        time.sleep(0.5)
        server.proc.kill()
        server.proc.communicate()
        run = live.finish(self)
        r = run.only()
        self.assertEqual(r.status, UNAVAILABLE, r.message)
        self.assertIn(f"connection to {server.addr} lost", r.message)
        self.assertLess(r.ms, 5000)

    def test_server_restarted_on_the_same_port(self):
        server = EchoServer()
        live = LiveDriver(server.addr, "/test.Echo/Echo", "id:r", calls=40, concurrency=1,
                          interval=100, timeout=3000)
        live.wait_results(5)
        server.proc.kill()
        server.proc.communicate()
        time.sleep(0.6)
        server = EchoServer("--listen", server.addr)
        try:
            run = live.finish(self)
        finally:
            server.stop()
        self.assertEqual(sorted(run.results), list(range(40)))
        self.assertTrue(set(run.statuses()) <= {OK, UNAVAILABLE}, run.results)
        self.assertEqual(run.statuses()[:5], [OK] * 5)
        self.assertEqual(run.statuses()[-10:], [OK] * 10)
        self.assertGreaterEqual(run.stats["connects_total"], 2)
        for r in run.results.values():
            if r.status == OK:
                self.assertEqual(r.reply, f"r-{r.index}".encode())

    def test_drain_while_calls_run(self):
        """GOAWAY from a draining server: calls in flight finish there, new ones
        go to a new connection (a proxy sends it to the replacement)."""
        a = EchoServer()
        b = EchoServer()
        proxy = Proxy(a.addr)
        try:
            live = LiveDriver(proxy.addr, "/test.Echo/Slow", "id:150", calls=200,
                              concurrency=40, timeout=10000)
            live.wait_results(40)
            proxy.backend = b.addr
            a.proc.send_signal(signal.SIGTERM)
            run = live.finish(self)
            a.stop()
        finally:
            proxy.close()
            b.stop()
        a.assert_clean(self)
        b.assert_clean(self)
        self.assertIn("DRAINED", a.out)
        self.assertEqual(sorted(run.results), list(range(200)))
        for i, r in run.results.items():
            self.assertEqual((r.status, r.reply), (OK, f"150-{i}".encode()), r.message)
        self.assertEqual(run.stats["connects_total"], 2)

    def test_drain_without_replacement(self):
        server = EchoServer()
        live = LiveDriver(server.addr, "/test.Echo/Slow", "id:100", calls=100,
                          concurrency=20, timeout=10000)
        live.wait_results(20)
        server.proc.send_signal(signal.SIGTERM)
        run = live.finish(self)
        server.stop()
        server.assert_clean(self)
        self.assertEqual(sorted(run.results), list(range(100)))
        self.assertTrue(set(run.statuses()) <= {OK, UNAVAILABLE}, run.results)
        self.assertGreaterEqual(run.statuses().count(OK), 40)

    def test_shutdown_fails_pending_calls(self):
        server = EchoServer()
        try:
            run = drive(self, server.addr, "/test.Echo/Hold", "text:x", calls=5,
                        timeout=10000, extra=["--shutdown-after", "300"])
        finally:
            server.stop()
        self.assertEqual(run.statuses(), [UNAVAILABLE] * 5)
        for r in run.results.values():
            self.assertEqual(r.message, "shutting down")


if __name__ == "__main__":
    unittest.main()
