"""Database pools and SQL helpers against a real MariaDB, through the C
harness (tests/db/db_harness): bound types, transactions, a provoked
deadlock, 10,000 jobs over 8 workers, job semantics, and the server killed
and restarted in the middle of a load."""

import os
import subprocess
import sys
import threading
import time
import unittest

from mariadb import MariaDB
from stratusd import build_path

HARNESS = build_path("tests", "db_harness")


def parse(out):
    checks, values, failures = {}, {}, []
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if parts[0] == "CHECK" and len(parts) >= 3:
            checks[parts[1]] = parts[2] == "ok"
            if parts[2] != "ok":
                failures.append(line)
        elif parts[0] == "VALUE" and len(parts) >= 3:
            values[parts[1]] = float(parts[2])
    return checks, values, failures


def harness_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


class DbPoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.create_database("stratus_test")

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def run_harness(self, test, timeout=300):
        r = subprocess.run([HARNESS, self.db.socket, "stratus_test", test],
                           capture_output=True, text=True, timeout=timeout, env=harness_env())
        return self.assert_harness(test, r.returncode, r.stdout, r.stderr)

    def assert_harness(self, test, rc, out, err):
        checks, values, failures = parse(out)
        self.assertFalse(failures, "\n".join(failures) + "\n" + err[-3000:])
        self.assertEqual(rc, 0, f"db_harness {test} exited {rc}\n{out[-3000:]}\n{err[-3000:]}")
        self.assertIn("SUMMARY checks=", out)
        self.assertTrue(checks, "no checks ran")
        return checks, values

    def test_bound_types_round_trip(self):
        checks, _ = self.run_harness("types")
        for name in ["blob_1mib_with_zeros", "uint64_max", "uint64_above_2^63", "utf8_name",
                     "long_text", "nulls", "double", "int64_min", "duplicate_key_conflict",
                     "where_uint64_max", "where_utf8_name", "same_sql_nested"]:
            self.assertTrue(checks.get(name), name)

    def test_transaction_rolled_back_on_error(self):
        checks, _ = self.run_harness("transactions")
        self.assertTrue(checks["body_failure_rolled_back"])
        self.assertTrue(checks["sql_error_rolled_back"])

    def test_deadlock_is_retried(self):
        checks, values = self.run_harness("deadlock")
        self.assertTrue(checks["deadlock_retried"])
        self.assertGreater(values["deadlock_retries"], 0)
        self.assertGreater(values["deadlock_body_calls"], 2)

    def test_failed_statement_is_not_reused(self):
        checks, _ = self.run_harness("stale", timeout=60)
        self.assertTrue(checks["stale_first_run_timed_out"])
        self.assertTrue(checks["stale_second_run_works"])

    def test_ten_thousand_jobs_exactly_once(self):
        checks, values = self.run_harness("load")
        self.assertEqual(values["load_completed"], 10000)
        self.assertEqual(values["load_duplicates"], 0)
        self.assertEqual(values["load_missing"], 0)
        self.assertTrue(checks["load_used_every_worker"])

    def test_job_semantics(self):
        checks, _ = self.run_harness("semantics")
        for name in ["timeout_never_ran", "queue_full_eagain", "close_cancels_queued",
                     "resize_loses_no_job", "unreachable_fails_fast", "repoint_back_works",
                     "password_file_used"]:
            self.assertTrue(checks.get(name), name)

    def test_server_killed_mid_load(self):
        proc = subprocess.Popen([HARNESS, self.db.socket, "stratus_test", "outage"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=harness_env())
        err_chunks = []
        threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()),
                         daemon=True).start()
        out = []
        killer = threading.Timer(180, proc.kill)
        killer.start()
        try:
            for line in proc.stdout:
                out.append(line)
                if line.strip() == "KILL_NOW":
                    self.db.kill()
                    proc.stdin.write("KILLED\n")
                    proc.stdin.flush()
                    time.sleep(1.0)
                    self.db.restart()
                    proc.stdin.write("RESTARTED\n")
                    proc.stdin.flush()
            rc = proc.wait(60)
        finally:
            killer.cancel()
            if proc.poll() is None:
                proc.kill()
        text = "".join(out)
        sys.stderr.write(text)
        _, values = self.assert_harness("outage", rc, text, "".join(err_chunks))
        self.assertGreater(values["outage_outage_submitted"], 0)
        self.assertEqual(values["outage_outage_unavailable"], values["outage_outage_submitted"])
        self.assertEqual(values["outage_after_ok"], 2000)
        self.assertEqual(values["outage_duplicates"], 0)
        self.assertEqual(values["outage_missing"], 0)


if __name__ == "__main__":
    unittest.main()
