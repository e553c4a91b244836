"""Bounds on stratusd's listeners (issue 20, item 1), against a real daemon:
memory stays bounded under an HTTP pipeline flood, slow and silent HTTP
clients are closed by the configured timeouts, a full listener makes room by
closing idle connections, gRPC connections that never call are drained, and
new calls are served while 2,000 idle sockets are open under a 1,024
descriptor limit. Each test asserts an outcome, never a duration: the
timeouts below only bound how long the test waits."""

import os
import resource
import socket
import sys
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from stratusd import Stratusd, build_path  # noqa: E402

from mail import mail_pb2 as m, mail_pb2_grpc as mg  # noqa: E402

FIXTURES = build_path("fixtures")
MIB = 1024 * 1024
PROBE = "[plugin.rpcprobe]\nlabel = edge\n"
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
METRICS_REQ = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def closed_by_peer(sock, wait=30):
    """True once the server closes sock (EOF or reset); reads and drops data."""
    sock.settimeout(wait)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        return False
    return True


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= n


class PipelineFlood(unittest.TestCase):
    def test_rss_bounded_under_pipelined_requests_never_read(self):
        """4 connections pipeline GET /metrics and never read: the daemon
        stops reading them once 1 MiB per connection waits to be written, so
        its peak RSS stays within 64 MiB of where it started (it grew to
        1.7 GB before)."""
        # under ASan, freed memory waits in a 256 MiB quarantine: keep it small
        asan = "detect_leaks=1:abort_on_error=0:exitcode=23:quarantine_size_mb=8"
        with Stratusd(log_level="info", extra_env={"ASAN_OPTIONS": asan}) as d:
            pid = d.proc.pid
            base = rss_kib(pid, "VmRSS")
            chunk = METRICS_REQ * 1000
            socks = [connect(d.http_port) for _ in range(4)]
            sent = [0] * 4

            def flood(i):
                s = socks[i]
                s.settimeout(3)  # a send blocked this long: the daemon stopped reading
                try:
                    for _ in range(300):  # 300,000 requests, as in the report
                        s.sendall(chunk)
                        sent[i] += 1000
                except socket.timeout:
                    pass

            threads = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            peak = rss_kib(pid, "VmHWM")
            self.assertLess(peak - base, 64 * 1024,
                            f"peak RSS {peak} KiB from {base} KiB after {sent} requests")
            self.assertLess(min(sent), 300000, "the daemon read every request of a flood")
            # the daemon still answers others, and counted the pauses
            self.assertEqual(d.http_get("/healthcheck")[0], 200)
            self.assertGreaterEqual(d.metric("stratus_http_reads_paused_total"), 4)
            for s in socks:
                s.close()
            self.assertEqual(d.http_get("/ready")[0], 200)

    def test_pipelined_requests_all_answered_in_order(self):
        """Backpressure delays answers, never drops them: a client that
        pipelines 3,000 requests and reads gets 3,000 responses."""
        with Stratusd(log_level="info") as d:
            s = connect(d.http_port)
            reqs = b"".join(b"GET /healthcheck?%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
                            for i in range(3000))
            done = threading.Event()
            threading.Thread(target=lambda: (s.sendall(reqs), done.set())).start()
            data = b""
            s.settimeout(30)
            while data.count(b"HTTP/1.1 200 OK") < 3000:
                chunk = s.recv(1 << 20)
                self.assertTrue(chunk, "connection closed early")
                data += chunk
            self.assertTrue(done.wait(30))
            s.close()


    def test_nothing_answered_after_connection_close(self):
        """Pipelined requests after one with Connection: close get no answer,
        whatever order the writes finish in."""
        with Stratusd(log_level="info") as d:
            for _ in range(20):
                s = connect(d.http_port)
                s.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n"
                          b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                          b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                s.settimeout(10)
                while chunk := s.recv(65536):
                    data += chunk
                s.close()
                self.assertEqual(data.count(b"HTTP/1.1 "), 2, data[:500])
                self.assertNotIn(b"# HELP", data)


class HttpTimeouts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Stratusd(log_level="info")
        cls.d.sections_extra = ""
        cls.d.config_text_orig = cls.d.config_text
        cls.d.write_config(raw=cls.d.config_text("").replace(
            "admin_socket =",
            "header_timeout = 300ms\nhandshake_timeout = 300ms\nidle_timeout = 400ms\n"
            "admin_socket =", 1))
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0, cls.d.log_text()[-3000:]
        cls.d.cleanup()

    def test_slowloris_closed_after_header_timeout(self):
        socks = [connect(self.d.http_port) for _ in range(50)]
        for s in socks:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        # keep trickling header bytes: activity does not extend the request's time
        for i in range(3):
            for s in socks:
                try:
                    s.sendall(b"X-%d: y\r\n" % i)
                except OSError:
                    pass
            time.sleep(0.1)
        for s in socks:
            self.assertTrue(closed_by_peer(s), "a slowloris socket was kept open")
            s.close()
        self.assertGreaterEqual(
            self.d.metric("stratus_http_connections_timed_out_total", reason="header"), 50)

    def test_silent_connection_closed_after_handshake_timeout(self):
        s = connect(self.d.http_port)
        self.assertTrue(closed_by_peer(s))
        s.close()
        self.assertGreaterEqual(
            self.d.metric("stratus_http_connections_timed_out_total", reason="handshake"), 1)

    def test_keep_alive_connection_closed_after_idle_timeout(self):
        s = connect(self.d.http_port)
        s.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
        head = s.recv(4096)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertTrue(closed_by_peer(s))
        s.close()
        self.assertGreaterEqual(
            self.d.metric("stratus_http_connections_timed_out_total", reason="idle"), 1)

    def test_oversized_headers_refused(self):
        s = connect(self.d.http_port)
        s.sendall(b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n")
        s.settimeout(10)
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 431"))
        s.close()


class ConnectionCap(unittest.TestCase):
    def test_full_http_listener_closes_idle_connections_for_new_ones(self):
        d = Stratusd(log_level="info")
        d.write_config(raw=d.config_text("").replace(
            "admin_socket =", "max_connections = 8\nadmin_socket =", 1))
        with d.start():
            idle = [connect(d.http_port) for _ in range(8)]
            time.sleep(0.2)  # let the daemon accept them (not an assertion)
            served = []
            for _ in range(5):  # each new keep-alive client is served
                s = connect(d.http_port)
                s.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
                served.append(s)
            closed = sum(closed_by_peer(s, wait=10) for s in idle[:5])
            self.assertEqual(closed, 5, "the oldest idle connections make room")
            self.assertGreaterEqual(d.metric("stratus_connections_shed_total", listener="http"), 5)
            log = d.log_text()
            self.assertEqual(log.count("http: connection limit reached "
                                       "([http] max_connections = 8)"), 1, log[-2000:])
            for s in idle + served:
                s.close()


class GrpcFirstCall(unittest.TestCase):
    def test_preface_only_connection_drained(self):
        d = Stratusd(sections=PROBE, plugin_dir=FIXTURES, log_level="info")
        d.grpc_extra = "first_call_timeout = 300ms\n"
        d.write_config(PROBE)
        with d.start():
            s = connect(d.grpc_port)
            s.sendall(H2_PREFACE)
            self.assertTrue(closed_by_peer(s), "a connection without calls was kept")
            s.close()
            self.assertEqual(d.metric("stratus_grpc_connections_timed_out_total",
                                      reason="first_call"), 1)
            # a connection with calls is not affected
            with grpc.insecure_channel(d.grpc_target) as ch:
                stub = mg.MailServiceStub(ch)
                stub.MailByID(m.MailByIDRequest(realmID=1, mailID=5), timeout=10)
                time.sleep(0.6)  # longer than first_call_timeout (not an assertion)
                stub.MailByID(m.MailByIDRequest(realmID=1, mailID=6), timeout=10)
            self.assertEqual(d.metric("stratus_grpc_connections_timed_out_total",
                                      reason="first_call"), 1)


class DescriptorFlood(unittest.TestCase):
    """2,000 idle sockets against a daemon limited to 1,024 descriptors."""

    IDLE = 2000

    def setUp(self):
        if not raise_nofile(self.IDLE + 200):
            self.skipTest("the test process cannot open 2,200 descriptors")

    def flood(self, port, preface):
        socks = []
        for i in range(self.IDLE):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
        time.sleep(0.5)
        for s in socks if preface else []:
            try:
                s.send(H2_PREFACE)
            except OSError:
                pass  # already closed by the daemon to make room
        return socks

    def check_calls(self, d, what):
        with grpc.insecure_channel(d.grpc_target) as ch:
            stub = mg.MailServiceStub(ch)
            for i in range(1, 21):
                r = stub.MailByID(m.MailByIDRequest(realmID=1, mailID=i), timeout=30,
                                  wait_for_ready=True)
                self.assertEqual(r.mail.id, i, what)

    def test_new_calls_served_while_2000_idle_sockets_are_open(self):
        d = Stratusd(sections=PROBE, plugin_dir=FIXTURES, log_level="info",
                     prefix=["prlimit", "--nofile=1024:1024", "--"])
        with d:
            grpc_socks = self.flood(d.grpc_port, preface=True)
            self.check_calls(d, "gRPC flood")
            http_socks = self.flood(d.http_port, preface=False)
            self.check_calls(d, "HTTP flood")
            self.assertEqual(d.http_get("/healthcheck")[0], 200)
            shed = d.metric("stratus_connections_shed_total", listener="grpc")
            self.assertGreater(shed, 0)
            log = d.log_text()
            self.assertEqual(log.count("grpc: descriptors running out (1024 allowed"), 1, log[-3000:])
            for s in grpc_socks + http_socks:
                s.close()
            self.assertEqual(d.http_get("/ready")[0], 200)


if __name__ == "__main__":
    unittest.main()
