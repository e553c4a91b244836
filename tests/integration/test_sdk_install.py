"""The installed SDK is enough to build a plugin out of tree, with
pkg-config and with CMake, and the installed daemon loads what it built."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from stratusd import BUILD, REPO, Stratusd  # noqa: E402


def run(argv, **kw):
    out = subprocess.run(argv, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out.stdout


def exported_symbols(so):
    lines = run(["nm", "-D", "--defined-only", so]).splitlines()
    return sorted(line.split()[-1] for line in lines if line.split()[1] != "A")


class SdkInstallTest(unittest.TestCase):
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

    def load_in_installed_daemon(self, so):
        env = {"LD_LIBRARY_PATH": self.libdir}
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
                      extra_env={"LD_LIBRARY_PATH": self.libdir}) as d:
            d.wait_for(lambda: (d.metric("heartbeat_beats_total") or 0) >= 2, "two beats")
            self.assertIn("[heartbeat#1] the realm is alive", d.log_text())


if __name__ == "__main__":
    unittest.main()
