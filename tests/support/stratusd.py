"""Drive a real stratusd process in integration tests.

    with Stratusd(sections=PLUGINS) as d:       # writes stratus.ini, starts, waits for /ready
        d.status()                              # GET /status as a dict
        d.metric("fixture_counter")             # one sample from GET /metrics
        d.write_config(sections=NEW); d.hup()   # change the config and reload
        d.wait_for(lambda: ..., "why")          # poll a condition
    Stratusd(prefix=["prlimit", "--nofile=1024", "--"])  # run it under a wrapper that execs

The daemon listens on free loopback ports; its log is d.log_text(). On exit
the process is stopped with SIGTERM and must exit 0 (under ASan a leak makes
it exit non-zero, which fails the test).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import _proc
import ports

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("STRATUS_BUILD_DIR", os.path.join(REPO, "build"))


def build_path(*parts):
    return os.path.join(BUILD, *parts)


class StratusdError(RuntimeError):
    pass


class Stratusd:
    def __init__(self, sections="", log_level="debug", plugin_dir=None, host_extra="",
                 extra_env=None, binary=None, prefix=None):
        self.dir = tempfile.mkdtemp(prefix="stratusd-", dir=os.environ.get("STRATUS_TEST_TMP"))
        self.config = os.path.join(self.dir, "stratus.ini")
        self.admin_socket = os.path.join(self.dir, "admin.sock")
        self.log_path = os.path.join(self.dir, "stratusd.log")
        self.http_port = ports.free_port()
        self.grpc_port = ports.free_port()
        self.grpc_extra = ""
        self.sections_extra = ""
        self.plugin_dir = plugin_dir or build_path("plugins")
        self.log_level = log_level
        self.host_extra = host_extra
        self.binary = binary or build_path("bin", "stratusd")
        self.extra_env = extra_env or {}
        self.prefix = list(prefix or [])  # e.g. ["prlimit", "--nofile=1024", "--"]
        self.proc = None
        self.write_config(sections)

    # -- config --------------------------------------------------------------
    def config_text(self, sections):
        return (f"[host]\nplugin_dir = {self.plugin_dir}\nshutdown_timeout = 10s\n"
                f"{self.host_extra}\n"
                f"[log]\nlevel = {self.log_level}\n\n"
                f"[http]\nlisten = 127.0.0.1:{self.http_port}\n"
                f"admin_socket = {self.admin_socket}\n\n"
                f"[grpc]\nlisten = 127.0.0.1:{self.grpc_port}\n{self.grpc_extra}\n"
                f"{self.sections_extra}\n{sections}\n")

    def write_config(self, sections="", raw=None):
        """Replace the config file atomically (a reload never sees half a file)."""
        tmp = self.config + ".tmp"
        with open(tmp, "w") as f:
            f.write(raw if raw is not None else self.config_text(sections))
        os.replace(tmp, self.config)

    # -- process -------------------------------------------------------------
    def env(self):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23")
        env.setdefault("TSAN_OPTIONS", "suppressions=" + os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tsan.supp"))
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        env.update(self.extra_env)
        return env

    def start(self, wait_ready=True, timeout=20):
        self._log_start = _proc.file_size(self.log_path)
        self.proc = _proc.spawn(self.prefix + [self.binary, "-c", self.config], self.log_path, env=self.env())
        _proc.track(self)
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise StratusdError(f"stratusd exited with {self.proc.returncode}:\n"
                                    f"{_proc.tail(self.log_path, 40)}")
            try:
                if self.http_get("/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise StratusdError(f"stratusd not ready after {timeout}s:\n{_proc.tail(self.log_path, 40)}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def hup(self):
        self.signal(signal.SIGHUP)

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit code (None if it was not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _proc.hard_kill(self.proc)
                raise StratusdError(f"stratusd did not stop within {timeout}s:\n"
                                    f"{_proc.tail(self.log_path, 40)}")
        _proc.untrack(self)
        return self.proc.returncode

    def cleanup(self):
        if os.environ.get("STRATUS_TEST_KEEP"):
            return
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        code = self.stop()
        if exc_type is None and code not in (0, None):
            raise StratusdError(f"stratusd exited with {code}:\n{_proc.tail(self.log_path, 60)}")
        if exc_type is None:
            self.cleanup()
        else:
            print(f"stratusd log ({self.log_path}):\n{_proc.tail(self.log_path, 60)}")

    # -- observation ---------------------------------------------------------
    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def http_get(self, path, timeout=5):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}",
                                        timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def status(self):
        code, body = self.http_get("/status")
        if code != 200:
            raise StratusdError(f"/status answered {code}: {body}")
        return json.loads(body)

    def admin(self, method, path):
        """An HTTP request over the admin unix socket (what stratusctl uses)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(60)
            s.connect(self.admin_socket)
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode()

    def metrics(self):
        """GET /metrics parsed by prometheus_client: {name: {labels-tuple: value}}."""
        from prometheus_client.parser import text_string_to_metric_families
        code, body = self.http_get("/metrics")
        if code != 200:
            raise StratusdError(f"/metrics answered {code}")
        out = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                key = tuple(sorted(sample.labels.items()))
                out.setdefault(sample.name, {})[key] = sample.value
        return out

    def metric(self, name, **labels):
        """One sample's value, or None when absent."""
        series = self.metrics().get(name, {})
        return series.get(tuple(sorted(labels.items())))

    def plugin(self, name):
        """The active plugin entry of /status, or None."""
        for p in self.status()["plugins"]:
            if p["name"] == name:
                return p
        return None

    def wait_for(self, predicate, what, timeout=10, interval=0.02):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if not self.running():
                raise StratusdError(f"stratusd exited while waiting for {what}:\n"
                                    f"{_proc.tail(self.log_path, 40)}")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"timed out waiting for {what}\n{_proc.tail(self.log_path, 30)}")
            time.sleep(interval)

    @property
    def grpc_target(self):
        return f"127.0.0.1:{self.grpc_port}"

    def wait_reload(self, previous_seq, timeout=10):
        """Wait until /status shows a reload after the one numbered `previous_seq`."""
        return self.wait_for(
            lambda: (lambda r: r if r["seq"] > previous_seq else None)(self.status()["last_reload"]),
            "a reload", timeout)
