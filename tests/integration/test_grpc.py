"""gRPC through a real stratusd, called by Python grpcio with the project's
protos: statuses, limits, deadlines, concurrency, TLS, in-process and
upstream calls between services, and reloads under load."""

import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from pki import make_pki, read  # noqa: E402
from stratusd import Stratusd, build_path  # noqa: E402

from guid import guid_pb2, guid_pb2_grpc  # noqa: E402
from mail import mail_pb2 as m, mail_pb2_grpc as mg  # noqa: E402
from worldserver import worldserver_pb2, worldserver_pb2_grpc  # noqa: E402

FIXTURES = build_path("fixtures")
MIB = 1024 * 1024


def probe_daemon(label="one", path=None, **kw):
    lines = ["[plugin.rpcprobe]", f"label = {label}"]
    if path:
        lines.append(f"path = {path}")
    return Stratusd(sections="\n".join(lines) + "\n", plugin_dir=FIXTURES, **kw)


def code_of(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = probe_daemon().start()
        cls.channel = grpc.insecure_channel(cls.d.grpc_target, options=[
            ("grpc.max_send_message_length", 8 * MIB),
            ("grpc.max_receive_message_length", 8 * MIB)])
        cls.mail = mg.MailServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        code = cls.d.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-3000:]}"
        cls.d.cleanup()

    def test_success_fills_the_api_field(self):
        r = self.mail.MailByID(m.MailByIDRequest(realmID=1, mailID=5), timeout=5)
        self.assertEqual((r.mail.id, r.mail.subject, r.mail.body), (5, "gen 1", "one"))
        self.assertEqual(r.api, "stratus-1.0")

    def test_every_status_with_its_message(self):
        for code in grpc.StatusCode:
            if code == grpc.StatusCode.OK:
                continue
            n = code.value[0]
            got = code_of(self.mail.MailByID, m.MailByIDRequest(mailID=-n), timeout=5)
            self.assertEqual(got, (code, f"status {n}: ünïcödé 100% sure"))
        got = code_of(self.mail.MailByID, m.MailByIDRequest(mailID=0), timeout=5)
        self.assertEqual(got, (grpc.StatusCode.INVALID_ARGUMENT, "mailID must be > 0"))

    def test_unknown_method(self):
        stub = guid_pb2_grpc.GuidServiceStub(self.channel)
        code, msg = code_of(stub.GetGUIDPool, guid_pb2.GetGUIDPoolRequest(realmID=1), timeout=5)
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("/v1.GuidService/GetGUIDPool", msg)
        raw = self.channel.unary_unary("/v1.Nothing/Here")
        self.assertEqual(code_of(raw, b"", timeout=5)[0], grpc.StatusCode.UNIMPLEMENTED)

    def test_message_size_limit(self):
        body = "x" * (4 * MIB - 64)
        r = self.mail.Send(m.SendRequest(realmID=1, body=body), timeout=10)
        self.assertEqual(r.mailID, len(body))
        code, msg = code_of(self.mail.Send, m.SendRequest(body="x" * (4 * MIB + 1)), timeout=10)
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED, msg)
        self.test_success_fills_the_api_field()  # the connection still works

    def test_malformed_request(self):
        raw = self.channel.unary_unary("/v1.MailService/MailByID")
        code, msg = code_of(raw, b"\x1a\xff\xff\xff\xff\xff", timeout=5)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("malformed request", msg)

    def test_wrong_reply_type_is_internal(self):
        code, msg = code_of(self.mail.RemoveMailMoney, m.RemoveMailMoneyRequest(), timeout=5)
        self.assertEqual(code, grpc.StatusCode.INTERNAL)
        self.assertIn("wrong message type", msg)

    def test_deadline(self):
        code, _ = code_of(self.mail.MailsForPlayer,
                          m.MailsForPlayerRequest(realmID=1, playerGuid=1500), timeout=0.2)
        self.assertEqual(code, grpc.StatusCode.DEADLINE_EXCEEDED)
        r = self.mail.MailsForPlayer(m.MailsForPlayerRequest(realmID=3, playerGuid=10), timeout=5)
        self.assertEqual([x.id for x in r.mails], [1, 2, 3])

    def test_thousand_concurrent_calls_on_one_connection(self):
        futures = [self.mail.MailByID.future(m.MailByIDRequest(mailID=i + 1), timeout=30)
                   for i in range(1000)]
        self.assertEqual(sorted(f.result().mail.id for f in futures), list(range(1, 1001)))

    def test_thousand_calls_across_fifty_connections(self):
        channels = [grpc.insecure_channel(self.d.grpc_target,
                                          options=[("grpc.use_local_subchannel_pool", 1)])
                    for _ in range(50)]
        try:
            futures = [mg.MailServiceStub(channels[i % 50]).MailByID.future(
                m.MailByIDRequest(mailID=i + 1), timeout=30) for i in range(1000)]
            self.assertEqual(sorted(f.result().mail.id for f in futures), list(range(1, 1001)))
        finally:
            for ch in channels:
                ch.close()
        opened = self.d.metric("stratus_grpc_connections_total")
        self.assertGreaterEqual(opened, 51)

    def test_in_process_calls_between_services(self):
        self.assertEqual(code_of(self.mail.DeleteMail, m.DeleteMailRequest(mailID=3), timeout=5),
                         (grpc.StatusCode.OK, ""))
        code, msg = code_of(self.mail.DeleteMail, m.DeleteMailRequest(mailID=-7), timeout=5)
        self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(msg, "inner call: status 7: ünïcödé 100% sure")
        code, msg = code_of(self.mail.DeleteMail, m.DeleteMailRequest(realmID=1), timeout=5)
        self.assertEqual((code, msg), (grpc.StatusCode.DEADLINE_EXCEEDED,
                                       "inner call: deadline exceeded"))

    def test_no_upstream_configured(self):
        code, msg = code_of(self.mail.MarkAsReadForPlayer,
                            m.MarkAsReadForPlayerRequest(realmID=2), timeout=5)
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("[grpc.upstream] has no address for v1.GuidService", msg)

    def test_metrics(self):
        before = self.d.metric("stratus_grpc_requests_total",
                               method="/v1.MailService/MailByID", code="OK") or 0
        for i in range(5):
            self.mail.MailByID(m.MailByIDRequest(mailID=i + 1), timeout=5)
        after = self.d.metric("stratus_grpc_requests_total",
                              method="/v1.MailService/MailByID", code="OK")
        self.assertEqual(after, before + 5)
        count = self.d.metric("stratus_grpc_request_duration_seconds_count",
                              method="/v1.MailService/MailByID")
        self.assertGreaterEqual(count, after)
        code_of(self.mail.MailByID, m.MailByIDRequest(mailID=-5), timeout=5)
        self.assertGreaterEqual(self.d.metric("stratus_grpc_requests_total",
                                              method="/v1.MailService/MailByID",
                                              code="NOT_FOUND"), 1)


class FakeGuid(guid_pb2_grpc.GuidServiceServicer):
    def __init__(self):
        self.seen = []

    def GetGUIDPool(self, request, context):
        self.seen.append((request.realmID, request.api))
        return guid_pb2.GetGUIDPoolRequestResponse(
            receiverGUID=[guid_pb2.GetGUIDPoolRequestResponse.GuidDiapason(start=1, end=10)])


class FakeWorld(worldserver_pb2_grpc.WorldServerServiceServicer):
    def GetMoneyForPlayer(self, request, context):
        return worldserver_pb2.GetMoneyForPlayerResponse(money=request.playerGuid * 10)


class UpstreamTest(unittest.TestCase):
    def test_calls_to_a_game_server_at_its_address(self):
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
        worldserver_pb2_grpc.add_WorldServerServiceServicer_to_server(FakeWorld(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with probe_daemon() as d, grpc.insecure_channel(d.grpc_target) as ch:
                stub = mg.MailServiceStub(ch)
                req = m.RemoveMailItemRequest(playerGuid=7, mailID=70, itemGuid=port)
                self.assertEqual(code_of(stub.RemoveMailItem, req, timeout=5)[0],
                                 grpc.StatusCode.OK)
                req.mailID = 71
                self.assertEqual(code_of(stub.RemoveMailItem, req, timeout=5),
                                 (grpc.StatusCode.FAILED_PRECONDITION, "money 70"))
                server.stop(0).wait()
                self.assertEqual(code_of(stub.RemoveMailItem, req, timeout=5)[0],
                                 grpc.StatusCode.UNAVAILABLE)
        finally:
            server.stop(0)

    def test_calls_go_to_the_configured_upstream(self):
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(4))
        fake = FakeGuid()
        guid_pb2_grpc.add_GuidServiceServicer_to_server(fake, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        d = probe_daemon()
        d.sections_extra = f"[grpc.upstream]\nguid = 127.0.0.1:{port}\n"
        d.write_config("[plugin.rpcprobe]\n")
        try:
            with d, grpc.insecure_channel(d.grpc_target) as ch:
                stub = mg.MailServiceStub(ch)
                stub.MarkAsReadForPlayer(m.MarkAsReadForPlayerRequest(realmID=4), timeout=5)
                self.assertEqual(fake.seen, [(4, "stratus-1.0")])
                server.stop(0).wait()
                code, msg = code_of(stub.MarkAsReadForPlayer,
                                    m.MarkAsReadForPlayerRequest(realmID=4), timeout=5)
                self.assertEqual(code, grpc.StatusCode.UNAVAILABLE, msg)
        finally:
            server.stop(0)


class ReloadUnderLoadTest(unittest.TestCase):
    ROUNDS = int(os.environ.get("STRATUS_GRPC_RELOAD_ROUNDS", "100"))

    def test_upgrades_under_load_fail_no_call(self):
        tmp = tempfile.mkdtemp(prefix="stratus-rpcprobe-")
        so = os.path.join(tmp, "rpcprobe.so")
        shutil.copyfile(os.path.join(FIXTURES, "rpcprobe.so"), so)
        d = probe_daemon(label="g0", path=so)
        with d, grpc.insecure_channel(d.grpc_target) as ch:
            stub = mg.MailServiceStub(ch)
            stop = threading.Event()
            sent, failures, lock = [0], [], threading.Lock()

            def load(slow):
                while not stop.is_set():
                    try:
                        if slow:  # held across generation switches
                            stub.MailsForPlayer(m.MailsForPlayerRequest(realmID=1, playerGuid=30),
                                                timeout=10)
                        else:
                            stub.MailByID(m.MailByIDRequest(mailID=7), timeout=10)
                    except grpc.RpcError as e:
                        failures.append((e.code(), e.details()))
                    with lock:
                        sent[0] += 1

            threads = [threading.Thread(target=load, args=(i % 3 == 0,)) for i in range(6)]
            for t in threads:
                t.start()
            try:
                for i in range(self.ROUNDS):
                    if i % 2:  # new code on disk: a fresh mapping
                        tmp_so = so + ".new"
                        shutil.copyfile(os.path.join(FIXTURES, "rpcprobe.so"), tmp_so)
                        os.replace(tmp_so, so)
                    before = d.status()["last_reload"]["seq"]
                    d.write_config(f"[plugin.rpcprobe]\npath = {so}\nlabel = g{i + 1}\n")
                    d.hup()
                    r = d.wait_reload(before)
                    self.assertEqual(r["outcome"], "ok", r)
                    time.sleep(0.02)  # let calls run on this generation
            finally:
                stop.set()
                for t in threads:
                    t.join()
            print(f"reload under load: {sent[0]} calls, {len(failures)} failed", file=sys.stderr)
            self.assertEqual(failures, [])
            d.wait_for(lambda: not d.status()["draining"], "old generations to drain", 30)
            served = sum(d.metrics().get("fixture_rpcprobe_served", {}).values())
            self.assertEqual(served, sent[0])
            self.assertEqual(d.plugin("rpcprobe")["generation"], self.ROUNDS + 1)
        shutil.rmtree(tmp, ignore_errors=True)

    def test_disabled_plugin_answers_unimplemented(self):
        with probe_daemon() as d, grpc.insecure_channel(d.grpc_target) as ch:
            stub = mg.MailServiceStub(ch)
            stub.MailByID(m.MailByIDRequest(mailID=1), timeout=5)
            before = d.status()["last_reload"]["seq"]
            d.write_config("[plugin.rpcprobe]\nenabled = no\n")
            d.hup()
            d.wait_reload(before)
            code, msg = code_of(stub.MailByID, m.MailByIDRequest(mailID=1), timeout=5)
            self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
            self.assertIn("no enabled plugin serves this method", msg)


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def closed_by_server(sock, within):
    """True when the server closes the socket within `within` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass  # the server's SETTINGS (and a GOAWAY) come first
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class ConnectionTimeoutTest(unittest.TestCase):
    """[grpc] handshake_timeout closes sockets that never greet; idle_timeout
    drains connections without calls, and a client reconnects."""

    def daemon(self, tls=False, idle="0s"):
        d = probe_daemon()
        d.grpc_extra = f"handshake_timeout = 300ms\nidle_timeout = {idle}\n"
        if tls:
            pki = tempfile.mkdtemp(prefix="stratus-tls-")
            self.addCleanup(shutil.rmtree, pki, True)
            make_pki(pki)
            d.grpc_extra += "tls = yes\n"
            d.sections_extra = f"[tls]\ncert = {pki}/server.pem\nkey = {pki}/server.key\n"
        d.write_config("[plugin.rpcprobe]\n")
        return d

    def connect(self, d):
        host, port = d.grpc_target.rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), timeout=5)
        self.addCleanup(sock.close)
        return sock

    def timed_out(self, d, reason):
        return d.metric("stratus_grpc_connections_timed_out_total", reason=reason) or 0

    def test_a_silent_socket_is_closed_and_a_greeting_one_kept(self):
        with self.daemon() as d:
            silent, greeted = self.connect(d), self.connect(d)
            greeted.sendall(PREFACE)
            self.assertTrue(closed_by_server(silent, 5))
            self.assertFalse(closed_by_server(greeted, 1.0))  # 3x the timeout, still open
            self.assertEqual(self.timed_out(d, "handshake"), 1)
            self.assertEqual(self.timed_out(d, "idle"), 0)  # idle_timeout is off

    def test_a_stalled_tls_handshake_is_closed(self):
        with self.daemon(tls=True) as d:
            sock = self.connect(d)
            sock.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
            self.assertTrue(closed_by_server(sock, 5))
            self.assertEqual(self.timed_out(d, "handshake"), 1)

    def test_idle_connections_are_drained_and_clients_reconnect(self):
        with self.daemon(idle="400ms") as d, grpc.insecure_channel(d.grpc_target) as ch:
            mail = mg.MailServiceStub(ch)
            # A call longer than idle_timeout is not cut: the connection has a call.
            r = mail.MailsForPlayer(m.MailsForPlayerRequest(realmID=1, playerGuid=900),
                                    timeout=10)
            self.assertEqual(len(r.mails), 1)
            self.assertEqual(self.timed_out(d, "idle"), 0)
            d.wait_for(lambda: self.timed_out(d, "idle") == 1, "an idle drain", timeout=5)
            d.wait_for(lambda: d.metric("stratus_grpc_connections_open") == 0,
                       "the drained connection closed", timeout=5)
            self.assertEqual(mail.MailByID(m.MailByIDRequest(mailID=3), timeout=5).mail.id, 3)
            self.assertEqual(d.metric("stratus_grpc_connections_total"), 2)

    def test_bad_values_are_config_errors(self):
        d = probe_daemon()
        d.grpc_extra = "handshake_timeout = 10ms\n"
        d.write_config("[plugin.rpcprobe]\n")
        r = subprocess.run([build_path("bin", "stratusd"), "--check-config", d.config],
                           capture_output=True, text=True, env=d.env())
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"stratus\.ini:\d+: \[grpc\]: handshake_timeout: "
                                   r"value out of range \(100\.\.300000 ms\)")
        d.cleanup()


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="stratus-tls-")
        make_pki(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def daemon(self, verify_client):
        d = probe_daemon()
        d.grpc_extra = "tls = yes\n"
        d.sections_extra = (f"[tls]\ncert = {self.dir}/server.pem\nkey = {self.dir}/server.key\n"
                            f"client_ca = {self.dir}/ca.pem\n"
                            f"verify_client = {'yes' if verify_client else 'no'}\n")
        d.write_config("[plugin.rpcprobe]\n")
        return d

    def call(self, d, client=None):
        key = read(self.dir, f"{client}.key") if client else None
        cert = read(self.dir, f"{client}.pem") if client else None
        creds = grpc.ssl_channel_credentials(read(self.dir, "ca.pem"), key, cert)
        with grpc.secure_channel(d.grpc_target, creds) as ch:
            return code_of(mg.MailServiceStub(ch).MailByID, m.MailByIDRequest(mailID=9), timeout=5)

    def test_tls(self):
        with self.daemon(verify_client=False) as d:
            self.assertEqual(self.call(d)[0], grpc.StatusCode.OK)
            with grpc.insecure_channel(d.grpc_target) as ch:  # plaintext is refused
                code, _ = code_of(mg.MailServiceStub(ch).MailByID, m.MailByIDRequest(mailID=1),
                                  timeout=3)
                self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)

    def test_mutual_tls(self):
        with self.daemon(verify_client=True) as d:
            self.assertEqual(self.call(d, "client")[0], grpc.StatusCode.OK)
            self.assertEqual(self.call(d)[0], grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(self.call(d, "stranger")[0], grpc.StatusCode.UNAVAILABLE)


if __name__ == "__main__":
    unittest.main()
