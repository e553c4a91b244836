"""stratusd with [db.*] pools against a real MariaDB: the pool metrics on
/metrics, a SIGHUP that resizes a pool while a plugin keeps submitting jobs
(no job lost), a section removed on reload, and TLS to a server whose
account requires it (server certificate verified, wrong CA refused)."""

import os
import shutil
import tempfile
import unittest

from mariadb import MariaDB
from pki import make_pki
from stratusd import Stratusd, build_path

FIXTURES = build_path("fixtures")


def db_section(db, name="x", pool_size=2, **extra):
    lines = [f"[db.{name}]", "host = 127.0.0.1", f"port = {db.port}", "user = root",
             "database = stratus_test", f"pool_size = {pool_size}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n\n"


def probe(total, batch=10, interval="10ms", pool="x"):
    return (f"[plugin.dbprobe]\nenabled = yes\npool = {pool}\ntotal = {total}\n"
            f"batch = {batch}\ninterval = {interval}\n")


class DbDaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.create_database("stratus_test")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def daemon(self, sections):
        return Stratusd(sections=sections, plugin_dir=FIXTURES)

    def reload(self, d, sections):
        before = d.status()["last_reload"]["seq"]
        d.write_config(sections)
        d.hup()
        r = d.wait_reload(before)
        self.assertEqual(r["outcome"], "ok", r)
        return r

    def completed(self, d, result="ok"):
        return d.metric("fixture_dbprobe_completed_total", result=result) or 0

    def test_pool_metrics_and_resize_on_sighup(self):
        total = 4000
        with self.daemon(db_section(self.db, pool_size=2) + probe(total)) as d:
            d.wait_for(lambda: d.metric("stratus_db_connections_open", pool="x") == 2,
                       "2 connections open")
            self.assertEqual(d.metric("stratus_db_pool_size", pool="x"), 2)
            d.wait_for(lambda: self.completed(d) >= 500, "500 jobs done")
            m = d.metrics()
            for family in ["stratus_db_busy_workers", "stratus_db_queue_length",
                           "stratus_db_job_duration_seconds_count", "stratus_db_jobs_total",
                           "stratus_db_reconnects_total"]:
                self.assertIn((("pool", "x"),), m.get(family, {}), family)

            self.reload(d, db_section(self.db, pool_size=5) + probe(total))
            d.wait_for(lambda: d.metric("stratus_db_connections_open", pool="x") == 5,
                       "5 connections open after the reload")
            self.assertEqual(d.metric("stratus_db_pool_size", pool="x"), 5)
            self.assertLess(self.completed(d), total, "the load ended before the reload")
            self.assertEqual(d.plugin("dbprobe")["generation"], 1,
                             "a pool change restarted the plugin")

            self.reload(d, db_section(self.db, pool_size=1) + probe(total))
            d.wait_for(lambda: d.metric("stratus_db_connections_open", pool="x") == 1,
                       "1 connection open after shrinking")
            d.wait_for(lambda: self.completed(d) == total, f"all {total} jobs done", timeout=60)
            self.assertEqual(d.metric("fixture_dbprobe_submitted_total"), total)
            self.assertIsNone(d.metric("fixture_dbprobe_completed_total", result="unavailable"))
            self.assertIsNone(d.metric("fixture_dbprobe_completed_total", result="other"))
            self.assertIsNone(d.metric("fixture_dbprobe_refused_total"))
            self.assertEqual(d.metric("stratus_db_jobs_total", pool="x"), total)
            self.assertEqual(d.metric("stratus_db_job_duration_seconds_count", pool="x"), total)
            self.assertIsNone(d.metric("stratus_db_errors_total", pool="x", kind="sql"))

    def test_unknown_pool_is_refused_and_removed_pool_closes(self):
        sections = db_section(self.db, "x") + db_section(self.db, "y", pool_size=3)
        with self.daemon(sections + probe(0)) as d:
            d.wait_for(lambda: d.metric("stratus_db_connections_open", pool="y") == 3,
                       "pool y open")
            self.reload(d, db_section(self.db, "x") + probe(0))
            d.wait_for(lambda: d.metric("stratus_db_connections_open", pool="y") == 0,
                       "pool y closed")
            self.assertEqual(d.metric("stratus_db_connections_open", pool="x"), 2)
            self.reload(d, db_section(self.db, "x") + probe(200, pool="nope"))
            d.wait_for(lambda: (d.metric("fixture_dbprobe_refused_total") or 0) > 0,
                       "a refused submission")
            self.assertIn("db.y: section removed; closing its pool", d.log_text())

    def test_password_file_and_bad_one_on_reload(self):
        pw = os.path.join(self.db.dir, "pw")
        with open(pw, "w") as f:
            f.write("\n")
        with self.daemon(db_section(self.db, password_file=pw) + probe(100)) as d:
            d.wait_for(lambda: self.completed(d) == 100, "100 jobs done")
            before = d.status()["last_reload"]["seq"]
            d.write_config(db_section(self.db, password_file=pw + ".missing") + probe(100))
            d.hup()
            r = d.wait_reload(before)
            self.assertEqual(r["outcome"], "partial", r)
            self.assertIn("keeping its running settings", " ".join(r["errors"]))
            self.assertEqual(d.metric("stratus_db_connections_open", pool="x"), 2)


if __name__ == "__main__":
    unittest.main()


class DbTlsTest(unittest.TestCase):
    """A MariaDB with a certificate from the test CA and an account that
    REQUIRE SSL: the pool reaches it only over verified TLS."""

    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="stratus-dbtls-")
        make_pki(cls.pki)
        cls.db = MariaDB(extra_args=[f"--ssl-cert={cls.pki}/server.pem",
                                     f"--ssl-key={cls.pki}/server.key",
                                     f"--ssl-ca={cls.pki}/ca.pem"]).start()
        cls.db.create_database("stratus_test")
        for sql in ("CREATE USER 'tls'@'127.0.0.1' IDENTIFIED BY 'secret' REQUIRE SSL",
                    "GRANT ALL ON stratus_test.* TO 'tls'@'127.0.0.1'"):
            cls.db.execute("stratus_test", sql)
        cls.password = os.path.join(cls.pki, "pw")
        with open(cls.password, "w") as f:
            f.write("secret\n")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        shutil.rmtree(cls.pki, ignore_errors=True)

    def section(self, **tls):
        lines = ["[db.x]", "host = 127.0.0.1", f"port = {self.db.port}", "user = tls",
                 f"password_file = {self.password}", "database = stratus_test",
                 "pool_size = 2", "connect_timeout = 2s"]
        return "\n".join(lines + [f"{k} = {v}" for k, v in tls.items()]) + "\n\n"

    def test_verified_tls_serves_jobs(self):
        section = self.section(tls="yes", tls_ca=f"{self.pki}/ca.pem", tls_verify="yes")
        with Stratusd(sections=section + probe(200), plugin_dir=FIXTURES) as d:
            d.wait_for(lambda: d.metric("fixture_dbprobe_completed_total", result="ok") == 200,
                       "200 jobs over TLS", timeout=30)
            self.assertEqual(d.metric("stratus_db_connections_open", pool="x"), 2)
            # The account REQUIRE SSL: these two sessions are TLS ones.
            rows = self.db.query("stratus_test", "SELECT COUNT(*) FROM "
                                 "information_schema.PROCESSLIST WHERE USER = 'tls'")
            self.assertEqual(rows[0][0], 2)
            self.assertFalse(d.metric("stratus_db_connect_failures_total", pool="x"))

    def refused(self, section, what):
        with Stratusd(sections=section + probe(0), plugin_dir=FIXTURES) as d:
            d.wait_for(lambda: (d.metric("stratus_db_connect_failures_total", pool="x")
                                or 0) > 0, what, timeout=30)
            self.assertEqual(d.metric("stratus_db_connections_open", pool="x"), 0)
            return d.log_text()

    def test_without_tls_the_account_is_refused(self):
        log = self.refused(self.section(), "a refused plain connection")
        self.assertIn("Access denied", log)

    def test_a_server_certificate_from_another_ca_is_refused(self):
        log = self.refused(self.section(tls="yes", tls_ca=f"{self.pki}/other-ca.pem",
                                        tls_verify="yes"), "a refused certificate")
        self.assertRegex(log, r"TLS/SSL error: .*certificate")

