"""Self-test of the integration-test support (tests/support) and the schema fixture.

Run from the repository root:
    /usr/bin/python3 -m unittest tests/support_selftest/test_support.py -v
    /usr/bin/python3 -m unittest discover -s tests/support_selftest -v

Starts private mariadbd and nats-server processes on 127.0.0.1 and stops them.
The "fixture agrees with the real schema" tests skip when ../shared/azerothcore
(or $STRATUS_AZEROTHCORE_DIR) is missing.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from unittest import mock

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUPPORT = os.path.join(REPO, "tests", "support")
sys.path.insert(0, SUPPORT)

import ports  # noqa: E402
import schema  # noqa: E402
from mariadb import MariaDB, MariaDBError  # noqa: E402
from natsclient import NatsClient, envelope, parse_envelope  # noqa: E402
from natsserver import NatsServer  # noqa: E402
from jsonlines import read_complete  # noqa: E402
from natscluster import NatsCluster  # noqa: E402

PY = "/usr/bin/python3"

AUTH_TABLES = ["account", "account_access", "realmcharacters", "realmlist"]
# The brief's list minus auctionhouse, which the reference doc has no column facts
# for (see sql/fixture/characters.sql).
CHARS_TABLES = [
    "account_data", "arena_team", "auctionhouse", "arena_team_member", "channels", "channels_bans",
    "channels_rights", "character_account_data", "character_arena_stats", "character_banned",
    "character_declinedname", "character_instance", "character_pet",
    "character_social", "characters", "group_member", "groups", "guild",
    "guild_bank_eventlog", "guild_bank_item", "guild_bank_right", "guild_bank_tab",
    "guild_eventlog", "guild_member", "guild_member_withdraw", "guild_rank", "instance",
    "item_instance", "lfg_data", "mail", "mail_items", "petition", "petition_sign",
]


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def read_json_line(proc, timeout=30.0):
    """First stdout line of `proc` as JSON (the CLI serve modes print one)."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        raise TimeoutError("no JSON line from serve")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"serve exited: {proc.stderr.read()}")
    return json.loads(line)


class Timed(unittest.TestCase):
    def setUp(self):
        self._t0 = time.monotonic()

    def tearDown(self):
        if os.environ.get("STRATUS_SELFTEST_TIMES"):
            print(f"  [{time.monotonic() - self._t0:5.2f}s] {self.id()}", file=sys.stderr)


# --------------------------------------------------------------------------- ports
class PortsTest(Timed):
    def test_free_port_is_bindable(self):
        p = ports.free_port()
        with socket.socket() as s:
            s.bind(("127.0.0.1", p))

    def test_wait_for_tcp_times_out(self):
        p = ports.free_port()
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError):
            ports.wait_for_tcp("127.0.0.1", p, timeout=0.2)
        self.assertLess(time.monotonic() - t0, 2)

    def test_wait_for_tcp_sees_listener(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            ports.wait_for_tcp("127.0.0.1", s.getsockname()[1], timeout=2)


# --------------------------------------------------------------------------- MariaDB + schema
class MariaDBSchemaTest(Timed):
    """One server for the schema tests: fixture and real AzerothCore, two databases each."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        schema.load_fixture(cls.db, "fixture_auth", "fixture_chars")
        cls.have_real = schema.load_real_azerothcore(cls.db, "ac_auth", "ac_chars")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def need_real(self):
        if not self.have_real:
            self.skipTest("no ../shared/azerothcore (set STRATUS_AZEROTHCORE_DIR)")

    def test_fixture_has_exactly_the_listed_tables(self):
        self.assertEqual(sorted(schema.list_tables(self.db, "fixture_auth")), sorted(AUTH_TABLES))
        self.assertEqual(sorted(schema.list_tables(self.db, "fixture_chars")), sorted(CHARS_TABLES))

    def test_fixture_auth_agrees_with_real_schema(self):
        self.need_real()
        diffs = schema.compare_tables(self.db, "fixture_auth", "ac_auth", AUTH_TABLES)
        self.assertEqual(diffs, [], "\n" + "\n".join(map(str, diffs)))

    def test_fixture_characters_agrees_with_real_schema(self):
        self.need_real()
        diffs = schema.compare_tables(self.db, "fixture_chars", "ac_chars", CHARS_TABLES)
        self.assertEqual(diffs, [], "\n" + "\n".join(map(str, diffs)))

    def test_compare_finds_deliberate_differences(self):
        db = self.db
        db.drop_database("scratch")
        db.create_database("scratch")
        self.addCleanup(db.drop_database, "scratch")
        for t in ("guild", "guild_member", "characters", "channels", "mail", "realmlist"):
            src = "fixture_auth" if t == "realmlist" else "fixture_chars"
            db.execute("scratch", f"CREATE TABLE `{t}` LIKE `{src}`.`{t}`")
        base = {t: "fixture_chars" for t in ("guild", "guild_member", "characters",
                                             "channels", "mail")}
        # identical copies first
        self.assertEqual(schema.compare_tables(db, "scratch", "fixture_chars", list(base)), [])
        alters = [
            ("guild", "MODIFY `info` VARCHAR(501) NOT NULL DEFAULT ''",
             "column `info` COLUMN_TYPE"),
            ("guild", "MODIFY `motd` VARCHAR(128) NULL DEFAULT ''", "column `motd` IS_NULLABLE"),
            ("guild", "ALTER `createdate` SET DEFAULT 1", "column `createdate` COLUMN_DEFAULT"),
            ("guild_member", "DROP INDEX `guid_key`", "unique key guid_key"),
            ("guild_member", "ADD PRIMARY KEY (`guid`)", "primary key"),
            ("characters", "MODIFY `name` VARCHAR(12) COLLATE utf8mb4_unicode_ci NOT NULL",
             "column `name` COLLATION_NAME"),
            ("characters", "MODIFY `race` TINYINT UNSIGNED NOT NULL DEFAULT 0 AFTER `level`",
             "column order"),
            ("channels", "MODIFY `channelId` INT UNSIGNED NOT NULL", "column `channelId` EXTRA"),
            ("mail", "ADD COLUMN `realm` INT NOT NULL DEFAULT 0", "column `realm`"),
            ("mail", "DROP INDEX `idx_receiver`", "index idx_receiver"),
        ]
        for table, alter, _ in alters:
            db.execute("scratch", f"ALTER TABLE `{table}` {alter}")
        found = [str(d) for d in schema.compare_tables(db, "scratch", "fixture_chars", list(base))]
        for table, alter, expect in alters:
            self.assertTrue(any(f.startswith(f"{table}: {expect}") for f in found),
                            f"{table} {alter!r}: no '{expect}' in\n" + "\n".join(found))
        db.execute("scratch", "ALTER TABLE `realmlist` DROP CONSTRAINT `realmlist_chk_1`")
        found = [str(d) for d in schema.compare_tables(db, "scratch", "fixture_auth",
                                                       ["realmlist", "nosuchtable"])]
        self.assertTrue(any("check constraints" in f for f in found), found)
        self.assertTrue(any(f.startswith("nosuchtable: table exists") for f in found), found)

    def test_query_execute_dsn_and_tcp(self):
        db = self.db
        n = db.execute("fixture_chars", "INSERT INTO guild (guildid, name, leaderguid) "
                                        "VALUES (%s, %s, %s), (%s, %s, %s)",
                       (1, "Alpha", 10, 2, "Beta", 20))
        self.addCleanup(db.execute, "fixture_chars", "DELETE FROM guild")
        self.assertEqual(n, 2)
        self.assertEqual(db.query("fixture_chars", "SELECT guildid, name FROM guild ORDER BY 1"),
                         [(1, "Alpha"), (2, "Beta")])
        d = db.dsn("fixture_chars")
        self.assertEqual((d["host"], d["port"], d["user"], d["password"], d["database"]),
                         ("127.0.0.1", db.port, "root", "", "fixture_chars"))
        self.assertEqual(d["url"], f"mysql://root@127.0.0.1:{db.port}/fixture_chars")
        self.assertTrue(os.path.exists(d["socket"]))
        conn = db.connect_tcp("fixture_chars")
        try:
            with conn.cursor() as c:
                c.execute("SELECT COUNT(*) FROM guild")
                self.assertEqual(c.fetchone(), (2,))
        finally:
            conn.close()
        conn = db.connect("fixture_chars")
        try:
            self.assertTrue(conn.get_autocommit())
        finally:
            conn.close()

    def test_load_sql_file_fails_loudly(self):
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write("CREATE TABLE ok1 (a INT);\nCREATE TABLEE broken (a INT);\n")
        self.addCleanup(os.unlink, f.name)
        self.db.create_database("loadfail")
        self.addCleanup(self.db.drop_database, "loadfail")
        with self.assertRaises(MariaDBError) as cm:
            self.db.load_sql_file("loadfail", f.name)
        self.assertIn("ERROR 1064", str(cm.exception))
        self.assertIn(f.name, str(cm.exception))


class MariaDBLifecycleTest(Timed):
    def test_kill_restart_keeps_data_port_and_socket(self):
        with MariaDB() as db:
            db.create_database("life")
            db.execute("life", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB")
            db.execute("life", "INSERT INTO t VALUES (1, 'committed')")
            port, sock, pid = db.port, db.socket, db.pid
            db.kill()
            self.assertFalse(pid_alive(pid))
            self.assertFalse(ports.tcp_accepts("127.0.0.1", port))
            db.restart()
            self.assertEqual((db.port, db.socket), (port, sock))
            self.assertNotEqual(db.pid, pid)
            self.assertEqual(db.query("life", "SELECT v FROM t"), [("committed",)])
            # a clean restart while running
            pid2 = db.pid
            db.restart()
            self.assertFalse(pid_alive(pid2))
            self.assertEqual(db.query("life", "SELECT COUNT(*) FROM t"), [(1,)])
            tmp = db.dir
        self.assertFalse(os.path.exists(tmp), "temp dir should be removed by stop()")

    def test_start_failure_reports_error_log(self):
        db = MariaDB(extra_args=["--no-such-option-for-test"])
        self.addCleanup(db.stop)
        with self.assertRaises(MariaDBError) as cm:
            db.start()
        self.assertIn("no-such-option-for-test", str(cm.exception))
        self.assertIn("mariadbd.err", str(cm.exception))

    def test_port_taken_is_retried_or_reported(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            taken = busy.getsockname()[1]
            real_free_port = ports.free_port
            picks = iter([taken])
            with mock.patch.object(ports, "free_port",
                                   lambda host="127.0.0.1": next(picks, None) or real_free_port()):
                db = MariaDB().start()
                self.addCleanup(db.stop)
                self.assertNotEqual(db.port, taken)
                self.assertEqual(db.query(None, "SELECT 1"), [(1,)])
            fixed = MariaDB(port=taken)
            self.addCleanup(fixed.stop)
            with self.assertRaises(MariaDBError) as cm:
                fixed.start()
            self.assertIn("Address already in use", str(cm.exception))

    def _child(self, body):
        code = textwrap.dedent(f"""
            import sys, os
            sys.path.insert(0, {SUPPORT!r})
            from mariadb import MariaDB
            db = MariaDB().start()
            print(db.pid, db.dir, flush=True)
        """) + textwrap.dedent(body)
        p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
        pid, tmp = p.stdout.split()[:2]
        return int(pid), tmp, p

    def test_no_server_left_after_failing_test_process(self):
        pid, tmp, p = self._child("raise SystemExit('simulated failing test')")
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(wait_gone(pid), f"mariadbd {pid} still running after its test died")
        self.assertFalse(os.path.exists(tmp))

    def test_no_server_left_after_sigkilled_test_process(self):
        pid, tmp, p = self._child("os.kill(os.getpid(), 9)")
        self.assertEqual(p.returncode, -9)
        self.assertTrue(wait_gone(pid), f"mariadbd {pid} survived SIGKILL of its test")
        # its temp dir is swept by the next start
        MariaDB().start().stop()
        self.assertFalse(os.path.exists(tmp))

    def test_cli_serve(self):
        with tempfile.TemporaryDirectory() as d:
            proc = subprocess.Popen([PY, os.path.join(SUPPORT, "mariadb.py"), "serve",
                                     "--dir", d], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                info = read_json_line(proc)
                self.assertTrue({"socket", "port", "pid"} <= set(info))
                import pymysql
                conn = pymysql.connect(host="127.0.0.1", port=info["port"], user="root")
                with conn.cursor() as c:
                    c.execute("SELECT 1")
                    self.assertEqual(c.fetchone(), (1,))
                conn.close()
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                self.assertTrue(wait_gone(info["pid"]))
                self.assertTrue(os.path.isdir(os.path.join(d, "data")), "--dir is kept")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
                proc.stderr.close()

    def test_template_built_once_by_parallel_processes(self):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, STRATUS_TEST_CACHE=cache)
            argv = [PY, os.path.join(SUPPORT, "mariadb.py"), "template"]
            procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
                     for _ in range(3)]
            outs = [p.communicate(timeout=60)[0].strip() for p in procs]
            self.assertEqual([p.returncode for p in procs], [0, 0, 0])
            self.assertEqual(len(set(outs)), 1, outs)
            self.assertTrue(os.path.isdir(os.path.join(outs[0], "mysql")))
            entries = sorted(os.listdir(cache))
            self.assertEqual(len([e for e in entries if not e.endswith(".lock")]), 1, entries)


# --------------------------------------------------------------------------- NATS
class NatsTest(Timed):
    @classmethod
    def setUpClass(cls):
        # fast server PINGs, to prove the client answers them
        cls.nats = NatsServer(config='ping_interval: "200ms"\nping_max: 2\n').start()

    @classmethod
    def tearDownClass(cls):
        cls.nats.stop()

    def client(self):
        c = NatsClient(self.nats.url)
        self.addCleanup(c.close)
        return c

    def test_url_and_monitoring(self):
        self.assertEqual(self.nats.url, f"nats://127.0.0.1:{self.nats.port}")
        self.assertIn("server_id", self.nats.monitor("varz"))

    def test_wildcard_subscribe_publish_receive(self):
        sub, pub = self.client(), self.client()
        sub.subscribe("group.>")
        sub.subscribe("gw.char.*")
        sub.flush()
        for subject in ("group.created", "group.member.added", "gw.char.logged-in",
                        "gw.char.deep.nested", "guild.member.added"):
            pub.publish(subject, subject.encode())
        pub.flush()
        self.assertEqual(sub.next_message(2), ("group.created", b"group.created"))
        got = sub.drain_messages(0.3)
        self.assertEqual(sorted(s for s, _ in got), ["group.member.added", "gw.char.logged-in"])
        self.assertTrue(all(s.encode() == d for s, d in got))

    def test_next_message_timeout(self):
        c = self.client()
        c.subscribe("nothing.here")
        c.flush()
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError):
            c.next_message(0.2)
        self.assertLess(time.monotonic() - t0, 1.5)

    def test_server_pings_are_answered(self):
        c = self.client()
        c.pump(0.9)  # > ping_max * ping_interval: without PONGs the server drops us
        self.assertGreaterEqual(c.pings_answered, 2)
        c.flush()
        self.assertTrue(c.connected)

    def test_unsubscribe_and_queue_groups(self):
        a, b, pub = self.client(), self.client(), self.client()
        sid = a.subscribe("one.shot")
        a.unsubscribe(sid, max_msgs=1)
        a.subscribe("work", queue="q")
        b.subscribe("work", queue="q")
        a.flush()
        b.flush()
        for i in range(3):
            pub.publish("one.shot", b"%d" % i)
        for i in range(20):
            pub.publish("work", b"%d" % i)
        pub.flush()
        got_a = a.drain_messages(0.3)
        got_b = b.drain_messages(0.1)
        self.assertEqual([m for m in got_a if m.subject == "one.shot"], [("one.shot", b"0")])
        work = [m for m in got_a + got_b if m.subject == "work"]
        self.assertEqual(len(work), 20, "each queue message goes to exactly one member")

    def test_envelope_round_trip_over_nats(self):
        sub, pub = self.client(), self.client()
        sub.subscribe("group.>")
        sub.flush()
        payload = {"ServiceID": "", "RealmID": 1, "GroupID": 7, "Updater": 0,
                   "DungeonDifficulty": 1, "Receivers": None, "Note": "<a&b>"}
        pub.publish("group.difficulty.changed", envelope("0.0.1", 12, payload, go_escape=True))
        subject, data = sub.next_message(2)
        self.assertEqual(subject, "group.difficulty.changed")
        self.assertIn(b"\\u003ca\\u0026b\\u003e", data)
        self.assertTrue(data.startswith(b'{"v":"0.0.1","t":12,"p":{"ServiceID":""'))
        self.assertEqual(parse_envelope(data), {"v": "0.0.1", "t": 12, "p": payload})

    def test_restart_same_port_and_reconnect(self):
        srv = NatsServer().start()
        self.addCleanup(srv.stop)
        c = NatsClient(srv.url)
        self.addCleanup(c.close)
        pub = NatsClient(srv.url)
        self.addCleanup(pub.close)
        c.subscribe("sr.gs.>")
        c.flush()
        port, pid = srv.port, srv.pid
        srv.restart()
        self.assertEqual(srv.port, port)
        self.assertNotEqual(srv.pid, pid)
        with self.assertRaises((ConnectionError, OSError)):
            c.flush(2)
        c.reconnect()   # re-sends SUB with the same sid
        pub.reconnect()
        pub.publish("sr.gs.added", b"back")
        self.assertEqual(c.next_message(2), ("sr.gs.added", b"back"))
        pid = srv.pid
        srv.kill()
        self.assertFalse(pid_alive(pid))
        self.assertFalse(ports.tcp_accepts("127.0.0.1", port))

    def test_port_taken_is_retried(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            taken = busy.getsockname()[1]
            real_free_port = ports.free_port
            picks = iter([taken])
            with mock.patch.object(ports, "free_port",
                                   lambda host="127.0.0.1": next(picks, None) or real_free_port()):
                srv = NatsServer().start()
                self.addCleanup(srv.stop)
            self.assertNotEqual(srv.port, taken)
            NatsClient(srv.url).close()

    def test_cli_serve(self):
        proc = subprocess.Popen([PY, os.path.join(SUPPORT, "natsserver.py"), "serve"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            info = read_json_line(proc)
            self.assertEqual(info["url"], f"nats://127.0.0.1:{info['port']}")
            c = NatsClient(info["url"])
            c.subscribe("x")
            c.publish("x", b"y")
            self.assertEqual(c.next_message(2), ("x", b"y"))
            c.close()
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(10), 0)
            self.assertTrue(wait_gone(info["pid"]))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()


class EnvelopeTest(Timed):
    def test_round_trip(self):
        b = envelope("0.0.1", 3, {"RealmID": 1, "GatewayID": "42", "Updates": [{"i": 5, "l": 10}]})
        self.assertEqual(b, b'{"v":"0.0.1","t":3,"p":{"RealmID":1,"GatewayID":"42",'
                            b'"Updates":[{"i":5,"l":10}]}}')
        self.assertEqual(parse_envelope(b)["p"]["Updates"], [{"i": 5, "l": 10}])

    def test_parses_go_escapes(self):
        p = parse_envelope(b'{"v":"0.0.1","t":1,"p":{"Msg":"\\u003cb\\u003e \\u0026"}}')
        self.assertEqual(p["p"]["Msg"], "<b> &")

    def test_strict_rejects_malformed(self):
        for bad in (b'[]', b'{"v":"0.0.1","t":1}', b'{"v":1,"t":1,"p":{}}',
                    b'{"v":"0.0.1","t":"1","p":{}}', b'{"v":"0.0.1","t":true,"p":{}}',
                    b'{"v":"0.0.1","t":1,"p":[]}', b'{"v":"0.0.1","t":1,"p":{},"x":0}'):
            with self.assertRaises(ValueError, msg=bad):
                parse_envelope(bad)

    def test_lenient_takes_whole_message_without_p(self):
        self.assertEqual(parse_envelope(b'{"realm_id":1,"auction_id":9}', strict=False)["p"],
                         {"realm_id": 1, "auction_id": 9})

    def test_envelope_argument_checks(self):
        with self.assertRaises(TypeError):
            envelope("0.0.1", "1", {})
        with self.assertRaises(TypeError):
            envelope("0.0.1", 1, [])



class JetStreamCluster(unittest.TestCase):
    """natscluster.py: 3 routed JetStream nodes; an R3 key-value bucket keeps
    taking writes with one node down and refuses them without a quorum."""

    STREAM = {"name": "KV_reg", "subjects": ["$KV.reg.>"], "max_msgs_per_subject": 1,
              "discard": "new", "allow_rollup_hdrs": True, "deny_delete": True,
              "num_replicas": 3, "storage": "file"}

    @staticmethod
    def api(client, subject, body):
        return json.loads(client.request(subject, json.dumps(body).encode(), timeout=5))

    def put(self, client, value):
        return json.loads(client.request("$KV.reg.k", value, timeout=3))

    def get(self, client):
        import base64
        r = self.api(client, "$JS.API.STREAM.MSG.GET.KV_reg", {"last_by_subj": "$KV.reg.k"})
        return base64.b64decode(r["message"]["data"])

    def test_quorum_writes_and_reads_through_any_node(self):
        with NatsCluster(3) as c:
            self.assertIn(c.meta_leader(), ("n0", "n1", "n2"))
            a, b = NatsClient(c.nodes[0].url), NatsClient(c.nodes[2].url)
            try:
                created = self.api(a, "$JS.API.STREAM.CREATE.KV_reg", self.STREAM)
                self.assertNotIn("error", created)
                self.assertEqual(created["config"]["num_replicas"], 3)
                self.assertEqual(self.put(a, b"one")["seq"], 1)
                self.assertEqual(self.get(b), b"one")
                c.kill(1)                                  # 2 of 3: still a quorum
                ack = {}
                deadline = time.monotonic() + 20
                while "seq" not in ack and time.monotonic() < deadline:
                    try:
                        ack = self.put(b, b"two")
                    except TimeoutError:
                        pass
                self.assertEqual(ack.get("seq"), 2)
                self.assertEqual(self.get(a), b"two")
                c.kill(0)                                  # 1 of 3: no quorum, no write
                a.close()
                try:
                    ack = self.put(b, b"three")
                except TimeoutError:
                    ack = {"error": "no answer"}
                self.assertNotIn("seq", ack)
            finally:
                a.close()
                b.close()


class JsonLines(unittest.TestCase):
    def test_a_partial_last_line_is_left_for_the_next_read(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rec.jsonl")
            self.assertEqual(read_complete(path), [])
            with open(path, "wb") as f:
                f.write(b'{"A": 1}\n{"B": "unfinish')
            self.assertEqual(read_complete(path), [{"A": 1}])
            with open(path, "ab") as f:
                f.write(b'ed"}\n')
            self.assertEqual(read_complete(path), [{"A": 1}, {"B": "unfinished"}])

if __name__ == "__main__":
    unittest.main()
