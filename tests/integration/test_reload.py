"""Reload scenarios against a real stratusd with real fixture plugins.

Each test starts its own daemon on free loopback ports, changes its config
file, sends SIGHUP (or asks over the admin socket) and checks what /status,
/metrics and the log say afterwards.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from stratusd import BUILD, REPO, Stratusd, build_path  # noqa: E402

FIXTURES = build_path("fixtures")
ROUNDS = int(os.environ.get("STRATUS_RELOAD_ROUNDS", "100"))


def counter(path=None, **keys):
    lines = ["[plugin.counter]"]
    if path:
        lines.append(f"path = {path}")
    lines += [f"{k} = {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def install(src_name, dest):
    """Replace dest atomically with a fixture, as a package upgrade does."""
    tmp = dest + ".new"
    shutil.copyfile(os.path.join(FIXTURES, src_name), tmp)
    os.replace(tmp, dest)


class ReloadTest(unittest.TestCase):
    def daemon(self, sections, **kw):
        return Stratusd(sections=sections, plugin_dir=FIXTURES, **kw)

    def reload(self, d, sections=None, raw=None):
        before = d.status()["last_reload"]["seq"]
        if raw is not None or sections is not None:
            d.write_config(sections or "", raw=raw)
        d.hup()
        return d.wait_reload(before)

    def counter_value(self, d):
        return d.metric("fixture_counter") or 0

    def wait_counting(self, d, above):
        return d.wait_for(lambda: (v := self.counter_value(d)) > above and v,
                          f"counter above {above}")

    def wait_drained(self, d):
        d.wait_for(lambda: not d.status()["draining"], "old generations to drain")

    # -----------------------------------------------------------------------
    def test_valid_change_makes_a_new_generation_that_keeps_the_state(self):
        with self.daemon(counter(step=1)) as d:
            before = self.wait_counting(d, 5)
            r = self.reload(d, counter(step=5))
            self.assertEqual(r["outcome"], "ok", r)
            self.assertIn("counter 1->2", r["message"])
            self.assertEqual(d.plugin("counter")["generation"], 2)
            self.assertEqual(d.metric("fixture_counter_step"), 5)
            self.assertGreaterEqual(self.counter_value(d), before)
            self.wait_counting(d, before + 20)
            self.wait_drained(d)
            self.assertEqual(d.metric("stratus_plugin_generation", plugin="counter"), 2)
            self.assertIn("state handed over from generation 1 to 2", d.log_text())

    def test_syntax_error_keeps_the_old_config(self):
        with self.daemon(counter(step=2)) as d:
            self.wait_counting(d, 2)
            raw = d.config_text(counter(step=3)) + "this line is broken\n"
            broken_line = raw.count("\n")
            r = self.reload(d, raw=raw)
            self.assertEqual(r["outcome"], "rejected")
            self.assertIn(f"{d.config}:{broken_line}: syntax error", r["errors"][0])
            self.assertEqual(d.plugin("counter")["generation"], 1)
            self.assertEqual(d.metric("fixture_counter_step"), 2)
            self.assertEqual(d.metric("stratus_reloads_total", outcome="rejected"), 1)
            v = self.counter_value(d)
            self.wait_counting(d, v)  # still serving

    def test_unknown_key_and_bad_value_are_rejected_with_file_line(self):
        with self.daemon(counter()) as d:
            r = self.reload(d, counter(stepp=3, interval="fast"))
            self.assertEqual(r["outcome"], "rejected")
            text = "\n".join(r["errors"])
            self.assertRegex(text, r"stratus\.ini:\d+: unknown key 'stepp' in \[plugin\.counter\]")
            self.assertRegex(text, r"stratus\.ini:\d+: \[plugin\.counter\]: interval: 'fast' is not a duration")
            self.assertEqual(d.plugin("counter")["generation"], 1)

    def test_failing_init_of_a_new_generation_keeps_the_old_one_serving(self):
        with self.daemon(counter(step=1)) as d:
            self.wait_counting(d, 3)
            r = self.reload(d, counter(step=4, fail_init="yes"))
            self.assertEqual(r["outcome"], "partial")
            self.assertIn("plugin 'counter' generation 2: init failed", r["errors"][0])
            self.assertEqual(d.plugin("counter")["generation"], 1)
            self.assertEqual(d.metric("fixture_counter_step"), 1)
            v = self.counter_value(d)
            self.wait_counting(d, v + 3)
            r = self.reload(d, counter(step=4, fail_start="yes"))
            self.assertEqual(r["outcome"], "partial")
            self.assertIn("generation 3: start failed", r["errors"][0])
            self.assertEqual(d.plugin("counter")["generation"], 1)
            r = self.reload(d, counter(step=4))
            self.assertEqual(r["outcome"], "ok")
            self.assertEqual(d.plugin("counter")["generation"], 4)

    def test_restart_only_key_is_reported_and_not_applied(self):
        with self.daemon(counter(label="first")) as d:
            r = self.reload(d, counter(label="second"))
            self.assertEqual(r["outcome"], "unchanged")
            self.assertIn("counter restart needed for label", r["message"])
            self.assertIn("need a restart", d.log_text())
            self.assertEqual(d.plugin("counter")["generation"], 1)
            self.assertEqual(d.metric("fixture_counter_build", version="1", label="first"), 1)
            self.assertIsNone(d.metric("fixture_counter_build", version="1", label="second"))
            # other keys in the same section still apply; the label stays
            r = self.reload(d, counter(label="second", step=3))
            self.assertEqual(r["outcome"], "ok")
            self.assertEqual(d.metric("fixture_counter_step"), 3)
            self.assertEqual(d.metric("fixture_counter_build", version="1", label="first"), 1)

    def test_enable_and_disable_at_runtime(self):
        tuner = "[plugin.tuner]\nlevel = 2\n"
        with self.daemon(tuner) as d:
            self.assertIsNone(d.plugin("counter"))
            r = self.reload(d, tuner + counter())
            self.assertIn("counter enabled (generation 1)", r["message"])
            self.wait_counting(d, 2)
            r = self.reload(d, tuner + counter(enabled="no"))
            self.assertIn("counter disabled (generation 1 draining)", r["message"])
            self.assertIsNone(d.plugin("counter"))
            self.wait_drained(d)
            self.assertIsNone(d.metric("fixture_counter"))  # its metrics went with it
            self.assertEqual(d.plugin("tuner")["generation"], 1)
            r = self.reload(d, tuner + counter())
            self.assertIn("counter enabled (generation 2)", r["message"])
            r = self.reload(d, counter())  # section removed: disabled too
            self.assertIsNone(d.plugin("tuner"))

    def test_reconfigure_applies_in_place(self):
        with self.daemon("[plugin.tuner]\nlevel = 1\n") as d:
            r = self.reload(d, "[plugin.tuner]\nlevel = 7\n")
            self.assertIn("tuner reconfigured (generation 1)", r["message"])
            self.assertEqual(d.metric("fixture_tuner_level"), 7)
            r = self.reload(d, "[plugin.tuner]\nlevel = 9\nreject = yes\n")
            self.assertEqual(r["outcome"], "partial")
            self.assertIn("reconfigure failed", r["errors"][0])
            self.assertEqual(d.metric("fixture_tuner_level"), 7)
            self.assertEqual(d.plugin("tuner")["generation"], 1)

    def test_upgraded_so_is_loaded_fresh_and_keeps_counting(self):
        with self.daemon("") as d:
            so = os.path.join(d.dir, "counter.so")
            install("counter.so", so)
            r = self.reload(d, counter(path=so))
            before = self.wait_counting(d, 10)
            self.assertEqual(d.plugin("counter")["version"], "1")
            install("counter-v2.so", so)
            r = self.reload(d, counter(path=so))  # same config, new code
            self.assertEqual(r["outcome"], "ok", r)
            p = d.plugin("counter")
            self.assertEqual((p["version"], p["generation"]), ("2", 2))
            self.assertEqual(d.metric("fixture_counter_build", version="2", label="first"), 1)
            self.assertGreaterEqual(self.counter_value(d), before)
            self.wait_counting(d, before + 10)
            # an unchanged file is not reloaded
            r = self.reload(d, counter(path=so))
            self.assertEqual(r["outcome"], "unchanged")
            self.assertEqual(d.plugin("counter")["generation"], 2)

    def test_restart_only_key_keeps_its_running_value_across_a_code_upgrade(self):
        with self.daemon("") as d:
            so = os.path.join(d.dir, "counter.so")
            install("counter.so", so)
            self.reload(d, counter(path=so))
            r = self.reload(d, counter(path=so, label="second"))
            self.assertIn("counter restart needed for label", r["message"])
            install("counter-v2.so", so)
            r = self.reload(d, counter(path=so, label="second"))  # new code, same waiting change
            self.assertEqual(r["outcome"], "ok", r)
            self.assertIn("counter restart needed for label", r["message"])
            self.assertIn("counter 1->2", r["message"])
            self.assertEqual(d.plugin("counter")["version"], "2")
            self.assertEqual(d.metric("fixture_counter_build", version="2", label="first"), 1)
            self.assertIsNone(d.metric("fixture_counter_build", version="2", label="second"))
            self.assertEqual(d.log_text().count("changed key(s) label need a restart"), 2)

    def test_sighup_burst_ends_in_one_consistent_state(self):
        with self.daemon(counter(step=1)) as d:
            for step in range(2, 52):  # 50 config changes, 50 signals
                d.write_config(counter(step=step))
                d.hup()
            d.wait_for(lambda: d.metric("fixture_counter_step") == 51, "the last config")
            self.wait_drained(d)
            status = d.status()
            active = [p for p in status["plugins"] if p["name"] == "counter"]
            self.assertEqual(len(active), 1)
            self.assertEqual(active[0]["state"], "active")
            gen = active[0]["generation"]
            self.assertEqual(d.metric("stratus_plugin_generation", plugin="counter"), gen)
            self.assertEqual(d.metric("stratus_plugin_instances", plugin="counter", state="active"), 1)
            self.assertEqual(d.metric("stratus_plugin_instances", plugin="counter", state="stopping"), 0)
            self.assertLessEqual(gen, 51)
            self.assertEqual(d.metric("stratus_reloads_total", outcome="rejected"), None)
            self.assertEqual(d.metric("stratus_reloads_total", outcome="partial"), None)

    def test_many_reloads_and_upgrades(self):
        """ROUNDS upgrades of an unload-safe plugin's .so plus config flips:
        under ASan, stratusd exits non-zero if anything leaked."""
        with self.daemon("") as d:
            so = os.path.join(d.dir, "counter.so")
            install("counter-safe.so", so)
            self.reload(d, counter(path=so, step=1) + "[plugin.tuner]\n")
            for i in range(ROUNDS):
                if i % 2:
                    install("counter-safe.so", so)  # a new file each time
                r = self.reload(d, counter(path=so, step=1 + i % 3) +
                                f"[plugin.tuner]\nlevel = {i % 50}\n")
                self.assertIn(r["outcome"], ("ok", "unchanged"), r)
            self.wait_drained(d)
            self.assertEqual(len(d.status()["plugins"]), 2)

    def test_reload_over_the_admin_socket_and_stratusctl(self):
        with self.daemon(counter()) as d:
            d.write_config(counter(step=2))
            code, body = d.admin("POST", "/reload")
            self.assertEqual(code, 200, body)
            self.assertIn('"outcome": "ok"', body)
            code, _ = d.admin("GET", "/status")
            self.assertEqual(code, 200)
            # /reload is refused on the TCP listener
            self.assertEqual(d.http_get("/reload")[0], 403)
            ctl = build_path("bin", "stratusctl")
            out = subprocess.run([ctl, "-c", d.config, "status"], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertRegex(out.stdout, r"counter\s+1\s+gen 2\s+active")
            d.write_config(counter(step=3, fail_init="yes"))
            out = subprocess.run([ctl, "-c", d.config, "reload"], capture_output=True, text=True)
            self.assertEqual(out.returncode, 1)
            self.assertIn("init failed", out.stdout)
            d.write_config(raw="[log\n")
            out = subprocess.run([ctl, "-s", d.admin_socket, "reload"], capture_output=True, text=True)
            self.assertEqual(out.returncode, 1)
            self.assertIn("stratus.ini:1: malformed section header", out.stdout)


class LifecycleTest(unittest.TestCase):
    def test_health_ready_and_pid_file_and_stop_order(self):
        pid_file = None
        sections = "[plugin.tuner]\n" + counter()
        with Stratusd(sections=sections, plugin_dir=FIXTURES) as d:
            pid_file = os.path.join(d.dir, "stratusd.pid")
            d.host_extra = f"pid_file = {pid_file}"
            d.write_config(sections)
            d.stop()
            d.start()
            with open(pid_file) as f:
                self.assertEqual(int(f.read()), d.proc.pid)
            self.assertEqual(d.http_get("/healthcheck"), (200, '{"status":"OK"}\n'))
            self.assertEqual(d.http_get("/ready")[0], 200)
            self.assertEqual(d.http_get("/nope")[0], 404)
            self.assertEqual(d.stop(), 0)
            self.assertFalse(os.path.exists(pid_file))
            log = d.log_text()
            # stopped in reverse order of start
            self.assertLess(log.rindex("stopping plugin 'counter'"), log.rindex("stopping plugin 'tuner'"))

    def test_startup_refuses_a_plugin_that_cannot_load_or_init(self):
        cases = [
            ("[plugin.ghost]\n", "plugin 'ghost': cannot open"),
            (counter(fail_init="yes"), "plugin 'counter' generation 1: init failed"),
            ("[plugin.abi_major]\n", "was built for ABI 2.0"),
            ("[plugin.abi_name]\n", "describes itself as 'someone_else'"),
            ("[plugin.contracts_other]\n", "was built against contracts 0000000000000001"),
        ]
        for sections, message in cases:
            with self.subTest(message=message):
                d = Stratusd(sections=sections, plugin_dir=FIXTURES)
                d.start(wait_ready=False)
                code = d.proc.wait(20)
                self.assertEqual(code, 1)
                self.assertIn(message, d.log_text())
                d.cleanup()

    def test_check_config(self):
        stratusd = build_path("bin", "stratusd")
        env = dict(os.environ, STRATUS_PLUGIN_DIR=build_path("plugins"))
        sample = os.path.join(REPO, "etc", "stratus.ini")
        out = subprocess.run([stratusd, "--check-config", sample], capture_output=True,
                             text=True, env=env)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("configuration OK", out.stdout)
        d = Stratusd(sections=counter(step=0, colour="red"), plugin_dir=FIXTURES)
        out = subprocess.run([stratusd, "--check-config", d.config], capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stdout, r"stratus\.ini:\d+: \[plugin\.counter\]: step: value out of range \(1\.\.1000\)")
        self.assertRegex(out.stdout, r"stratus\.ini:\d+: unknown key 'colour' in \[plugin\.counter\]")
        ctl = subprocess.run([build_path("bin", "stratusctl"), "check-config", d.config],
                             capture_output=True, text=True)
        self.assertEqual(ctl.returncode, 1)
        self.assertIn("unknown key 'colour'", ctl.stdout)
        d.cleanup()

    def test_describe_config(self):
        """Every host section and every plugin's keys, from stratusd and from
        stratusctl, which runs the same printer."""
        d = Stratusd(sections=counter(), plugin_dir=FIXTURES)
        try:
            out = subprocess.run([build_path("bin", "stratusd"), "--describe-config", "-c", d.config],
                                 capture_output=True, text=True)
            ctl = subprocess.run([build_path("bin", "stratusctl"), "-c", d.config, "config"],
                                 capture_output=True, text=True)
        finally:
            d.cleanup()
        self.assertEqual(ctl.stdout, out.stdout)
        text = out.stdout
        for section in ["[host]", "[log]", "[http]", "[grpc]", "[tls]", "[grpc.upstream]", "[bus]",
                        "[discovery]", "[health]", "[db.<name>]", "[plugin.<name>]",
                        "[plugin.counter]"]:
            self.assertIn(f"\n{section}\n", text)
        self.assertIn("; max_message_size (size, 1KiB..64MiB, restart-only)\n"
                      ";   largest request or reply message\n;max_message_size = 4MiB\n", text)
        self.assertIn("; password (string, at most 255 characters, secret, reloadable)\n", text)
        self.assertIn("; user (string, at most 80 characters, required, reloadable)\n", text)
        counter_part = text[text.index("[plugin.counter]"):]
        self.assertIn("; counter 1: ", counter_part)
        self.assertIn("; step (int, 1..1000, reloadable)\n;step = 1\n", counter_part)
        self.assertIn("; label (string, restart-only)\n;label = first\n", counter_part)
        self.assertIn("; interval (duration, 1ms..1m, reloadable)\n;interval = 20ms\n", counter_part)
        # a plugin that cannot load is named on stderr; the rest still prints
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn("abi_major", out.stderr)
        bad = subprocess.run([build_path("bin", "stratusd"), "--describe-config", "-c",
                              "/nonexistent.ini"], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("/nonexistent.ini: cannot open", bad.stderr)

    def test_version(self):
        out = subprocess.run([build_path("bin", "stratusd"), "--version"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"stratusd \d+\.\d+\.\d+ \(plugin ABI 1\.\d+\)")


class HelloTest(unittest.TestCase):
    def test_hello_counts_across_reloads(self):
        hello = "[plugin.hello]\ninterval = 20ms\ngreeting = {}\n"
        with Stratusd(sections=hello.format("one")) as d:
            d.wait_for(lambda: (d.metric("stratus_hello_greetings") or 0) > 5, "greetings")
            before = d.metric("stratus_hello_greetings")
            d.write_config(hello.format("two"))
            d.hup()
            d.wait_for(lambda: d.plugin("hello")["generation"] == 2, "generation 2")
            self.assertGreaterEqual(d.metric("stratus_hello_greetings"), before)
            d.wait_for(lambda: "[hello#2] two (greeting #" in d.log_text(), "a greeting from #2")


if __name__ == "__main__":
    unittest.main()
