"""The installed SDK is enough to build a plugin out of tree, with
pkg-config and with CMake, and the installed daemon loads what it built."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import schema  # noqa: E402
from stratusd import BUILD, REPO, Stratusd  # noqa: E402


def run(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out.stdout


def exported_symbols(so):
    lines = run(["nm", "-D", "--defined-only", so]).splitlines()
    return sorted(line.split()[-1] for line in lines if line.split()[1] != "A")


class InstalledPrefix(unittest.TestCase):
    """`cmake --install` of this build into a temporary prefix."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="stratus-sdk-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        run(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        pcs = glob.glob(os.path.join(cls.prefix, "**", "stratus-plugin.pc"), recursive=True)
        assert pcs, "stratus-plugin.pc was not installed"
        cls.pkgconfig_dir = os.path.dirname(pcs[0])
        cls.libdir = os.path.dirname(cls.pkgconfig_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)


class SdkInstallTest(InstalledPrefix):
    def test_layout(self):
        p = self.prefix
        for path in ["sbin/stratusd", "bin/stratusctl", "include/stratus/stratus.h",
                     "include/stratus/host.h", "include/stratus/proto/guid/guid.pb-c.h",
                     "share/stratus/proto/v1/guid/guid.proto",
                     "share/stratus/events/catalogue.txt", "etc/stratus/stratus.ini",
                     "etc/stratus/plugins.d/hello.ini"]:
            self.assertTrue(os.path.exists(os.path.join(p, path)), path)
        self.assertTrue(os.path.exists(os.path.join(self.libdir, "stratus", "plugins", "hello.so")))
        self.assertTrue(os.path.exists(os.path.join(self.libdir, "cmake", "StratusPlugin",
                                                    "StratusPluginConfig.cmake")))

    def test_installed_programs_run_where_they_lie(self):
        """No LD_LIBRARY_PATH, no STRATUS_PLUGIN_DIR: RUNPATH $ORIGIN/../<libdir>
        finds libstratus-proto, and the default config, plugin dir and SQL dir
        are the prefix's own."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_LIBRARY_PATH", "STRATUS_PLUGIN_DIR")}
        stratusd = os.path.join(self.prefix, "sbin", "stratusd")
        stratusctl = os.path.join(self.prefix, "bin", "stratusctl")
        libdir = os.path.relpath(self.libdir, self.prefix)
        for prog, up in ((stratusd, "sbin"), (stratusctl, "bin")):
            dyn = run(["readelf", "-d", prog])
            self.assertRegex(dyn, r"(RUNPATH|RPATH).*\[\$ORIGIN/\.\./" + re.escape(libdir) + r"\]")
        self.assertRegex(run([stratusd, "--version"], env=env), r"^stratusd \d+\.\d+\.\d+ ")
        config = os.path.join(self.prefix, "etc", "stratus", "stratus.ini")
        out = run([stratusd, "--check-config"], env=env)  # the default: the prefix's config
        self.assertIn(f"{config}: configuration OK", out)
        out = run([stratusctl, "check-config"], env=env)
        self.assertIn(f"{config}: configuration OK", out)
        described = run([stratusctl, "config"], env=env)
        self.assertIn(f"; from {self.libdir}/stratus/plugins/hello.so", described)
        self.assertIn(f";plugin_dir = {self.libdir}/stratus/plugins\n", described)
        plugin = os.path.join(self.libdir, "stratus", "plugins", "hello.so")
        self.assertIn("$ORIGIN/../..", run(["readelf", "-d", plugin]))

    def load_in_installed_daemon(self, so):
        env = {"LD_LIBRARY_PATH": ""}
        sections = f"[plugin.hello]\npath = {so}\ninterval = 20ms\ngreeting = built out of tree\n"
        with Stratusd(sections=sections, binary=os.path.join(self.prefix, "sbin", "stratusd"),
                      extra_env=env) as d:
            self.assertEqual(d.plugin("hello")["state"], "active")
            d.wait_for(lambda: "built out of tree (greeting #" in d.log_text(), "a greeting")

    def test_build_with_pkg_config(self):
        env = dict(os.environ, PKG_CONFIG_PATH=self.pkgconfig_dir)
        flags = run(["pkg-config", "--cflags", "--libs", "stratus-plugin"], env=env).split()
        so = os.path.join(self.tmp, "pkgconfig-hello.so")
        run(["cc", "-Wall", "-Wextra", "-Werror", "-o", so,
             os.path.join(REPO, "plugins", "hello", "hello.c")] + flags, env=env)
        self.assertEqual(exported_symbols(so), ["stratus_plugin_entry"])
        self.load_in_installed_daemon(so)

    def test_build_with_cmake_find_package(self):
        build = os.path.join(self.tmp, "cmake-hello")
        run(["cmake", "-S", os.path.join(REPO, "plugins", "hello"), "-B", build,
             f"-DCMAKE_PREFIX_PATH={self.prefix}", "-DCMAKE_BUILD_TYPE=Release"])
        run(["cmake", "--build", build])
        so = os.path.join(build, "hello.so")
        self.assertEqual(exported_symbols(so), ["stratus_plugin_entry"])
        self.load_in_installed_daemon(so)

    def test_the_readme_example_builds_and_runs(self):
        """sdk/README.md's complete plugin, exactly as written there."""
        import re
        with open(os.path.join(REPO, "sdk", "README.md")) as f:
            readme = f.read()
        c_code = re.search(r"```c\n(.*?)```", readme, re.S).group(1)
        cmake_code = re.search(r"```cmake\n(.*?)```", readme, re.S).group(1)
        src = os.path.join(self.tmp, "heartbeat")
        os.makedirs(src, exist_ok=True)
        with open(os.path.join(src, "heartbeat.c"), "w") as f:
            f.write(c_code)
        with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
            f.write(cmake_code)
        build = os.path.join(src, "build")
        run(["cmake", "-S", src, "-B", build, f"-DCMAKE_PREFIX_PATH={self.prefix}",
             "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"])
        run(["cmake", "--build", build])
        sections = (f"[plugin.heartbeat]\npath = {build}/heartbeat.so\nevery = 100ms\n"
                    "message = the realm is alive\n")
        with Stratusd(sections=sections, binary=os.path.join(self.prefix, "sbin", "stratusd"),
                      extra_env={"LD_LIBRARY_PATH": ""}) as d:
            d.wait_for(lambda: (d.metric("heartbeat_beats_total") or 0) >= 2, "two beats")
            self.assertIn("[heartbeat#1] the realm is alive", d.log_text())


class LedgerExampleTest(InstalledPrefix):
    """examples/ledger, a third party's plugin with its own .proto service, SQL
    migration, event and state, built against the installed SDK with CMake
    (and installed into the prefix) and with pkg-config, then run by the
    installed stratusd against a real MariaDB and nats-server."""

    EXAMPLE = os.path.join(REPO, "examples", "ledger")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from mariadb import MariaDB
        from natsserver import NatsServer
        cls.cmake_so = cls.build_with_cmake()
        cls.pkgconfig_so = cls.build_with_pkg_config()
        cls.pb, cls.pbg = cls.python_stubs()
        cls.db = MariaDB().start()
        cls.nats = NatsServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.nats.stop()
        cls.db.stop()
        super().tearDownClass()

    @classmethod
    def build_with_cmake(cls):
        build = os.path.join(cls.tmp, "ledger-cmake")
        run(["cmake", "-S", cls.EXAMPLE, "-B", build, f"-DCMAKE_PREFIX_PATH={cls.prefix}",
             "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror"])
        run(["cmake", "--build", build])
        run(["cmake", "--install", build, "--prefix", cls.prefix])  # .so and sql/
        return os.path.join(cls.libdir, "stratus", "plugins", "ledger.so")

    @classmethod
    def build_with_pkg_config(cls):
        """The recipe of examples/ledger/README.md."""
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(cls.libdir, "pkgconfig"))
        gen = os.path.join(cls.tmp, "ledger-pkgconfig")
        os.makedirs(gen)
        protodir = run(["pkg-config", "--variable=protodir", "stratus-plugin"], env=env).strip()
        sqldir = run(["pkg-config", "--variable=plugin_sqldir", "stratus-plugin"], env=env).strip()
        assert os.path.realpath(sqldir) == os.path.realpath(
            os.path.join(cls.prefix, "share", "stratus", "sql", "plugins")), sqldir
        run(["protoc-c", "-Iproto", f"-I{protodir}", f"--c_out={gen}",
             "proto/ledger/v1/ledger.proto"], cwd=cls.EXAMPLE)
        flags = run(["pkg-config", "--cflags", "--libs", "stratus-plugin", "jansson"],
                    env=env).split()
        so = os.path.join(gen, "ledger.so")
        run(["cc", "-Wall", "-Wextra", "-Werror", f"-I{gen}", "-o", so, "ledger.c", "ledger_rpc.c",
             os.path.join(gen, "ledger", "v1", "ledger.pb-c.c")] + flags, cwd=cls.EXAMPLE, env=env)
        return so

    @classmethod
    def python_stubs(cls):
        out = os.path.join(cls.tmp, "ledger-python")
        os.makedirs(out)
        run(["protoc", f"-I{cls.EXAMPLE}/proto", f"--python_out={out}", f"--grpc_python_out={out}",
             "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
             "ledger/v1/ledger.proto"])
        sys.path.insert(0, out)
        from ledger.v1 import ledger_pb2, ledger_pb2_grpc
        return ledger_pb2, ledger_pb2_grpc

    def migrate(self, database):
        config = os.path.join(self.tmp, "migrate.ini")
        with open(config, "w") as f:
            f.write(f"[db.auth]\nsocket = {self.db.socket}\nuser = root\ndatabase = {database}\n")
        # the installed stratusctl, with its default SQL dir: the prefix's
        return run([os.path.join(self.prefix, "bin", "stratusctl"), "-c", config, "migrate"],
                   env={k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"})

    def sections(self, database, so, label="main"):
        return (f"[db.auth]\nsocket = {self.db.socket}\nuser = root\ndatabase = {database}\n\n"
                f"[bus]\nnats_url = {self.nats.url}\n\n"
                f"[plugin.ledger]\npath = {so}\nlabel = {label}\n")

    def test_ledger_end_to_end(self):
        import grpc
        from natsclient import NatsClient, parse_envelope
        schema.load_fixture(self.db, "ledger_auth")
        out = self.migrate("ledger_auth")
        self.assertIn("db.auth plugin ledger: at version 0, 1 pending\n"
                      "  applied 0001_stratus_ledger_entries.sql", out)
        self.assertEqual(self.db.query("ledger_auth", "SELECT plugin, version FROM "
                                                      "stratus_plugin_schema_version"),
                         [("ledger", 1)])
        nats = NatsClient(self.nats.url)
        nats.subscribe("ledger.entry.recorded")
        nats.flush()
        binary = os.path.join(self.prefix, "sbin", "stratusd")
        with Stratusd(sections=self.sections("ledger_auth", self.cmake_so), binary=binary,
                      extra_env={"LD_LIBRARY_PATH": ""}) as d:
            channel = grpc.insecure_channel(f"127.0.0.1:{d.grpc_port}")
            stub = self.pbg.LedgerStub(channel)
            r = stub.Record(self.pb.RecordRequest(account="alice", amount=50, note="opening"))
            self.assertEqual((r.entry_id, r.balance), (1, 50))
            r = stub.Record(self.pb.RecordRequest(account="alice", amount=-20))
            self.assertEqual((r.entry_id, r.balance), (2, 30))
            for bad, why in [(self.pb.RecordRequest(account="al ice", amount=1), "account may hold"),
                             (self.pb.RecordRequest(account="bob", amount=0), "amount must not be 0")]:
                with self.assertRaises(grpc.RpcError) as e:
                    stub.Record(bad)
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(why, e.exception.details())
            self.assertEqual(self.db.query("ledger_auth", "SELECT account, amount, note FROM "
                                                          "stratus_ledger_entries ORDER BY id"),
                             [("alice", 50, "opening"), ("alice", -20, "")])
            events = [nats.next_message(timeout=5) for _ in range(2)]
            self.assertEqual([subject for subject, _ in events], ["ledger.entry.recorded"] * 2)
            self.assertEqual(parse_envelope(events[1][1]),
                             {"v": "0.0.1", "t": 1,
                              "p": {"EntryID": 2, "Account": "alice", "Amount": -20, "Balance": 30}})
            b = stub.Balance(self.pb.BalanceRequest(account="alice"))
            self.assertEqual((b.balance, b.entries), (30, 2))
            st = stub.Stats(self.pb.StatsRequest())
            self.assertEqual((st.recorded, st.generation, st.label), (2, 1, "main"))

            # SIGHUP onto the pkg-config build: a new generation of other code
            # takes the count over; the restart-only label keeps its value
            before = d.status()["last_reload"]["seq"]
            d.write_config(self.sections("ledger_auth", self.pkgconfig_so, label="other"))
            d.hup()
            r = d.wait_reload(before)
            self.assertEqual(r["outcome"], "ok", r)
            self.assertIn("ledger restart needed for label", r["message"])
            self.assertEqual(d.plugin("ledger")["generation"], 2)
            st = stub.Stats(self.pb.StatsRequest())
            self.assertEqual((st.recorded, st.generation, st.label), (2, 2, "main"))
            r = stub.Record(self.pb.RecordRequest(account="bob", amount=7))
            self.assertEqual(r.balance, 7)
            self.assertEqual(stub.Stats(self.pb.StatsRequest()).recorded, 3)
            self.assertEqual(parse_envelope(nats.next_message(timeout=5)[1])["p"]["Account"], "bob")
            self.assertIn("took over 2 recorded entries", d.log_text())
            channel.close()
        nats.close()

    def test_ledger_without_its_migration(self):
        import grpc
        schema.load_fixture(self.db, "ledger_bare")
        binary = os.path.join(self.prefix, "sbin", "stratusd")
        with Stratusd(sections=self.sections("ledger_bare", self.cmake_so), binary=binary) as d:
            with grpc.insecure_channel(f"127.0.0.1:{d.grpc_port}") as channel:
                with self.assertRaises(grpc.RpcError) as e:
                    self.pbg.LedgerStub(channel).Balance(self.pb.BalanceRequest(account="alice"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("run `stratusctl migrate`", e.exception.details())


if __name__ == "__main__":
    unittest.main()
