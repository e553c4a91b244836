#!/usr/bin/python3
"""A private nats-server for Stratus integration tests.

    with NatsServer() as nats:
        client = NatsClient(nats.url)        # nats://127.0.0.1:<port>
        ...
        nats.restart()                       # same port: clients can reconnect

Listens on 127.0.0.1 only: client port and HTTP monitoring port (`-m`), both
free ports picked at start. Logs go to a temp dir (under $STRATUS_TEST_TMP, else
the system temp dir), removed at stop() unless STRATUS_TEST_KEEP=1.

CLI (used by the project's run script):
    /usr/bin/python3 tests/support/natsserver.py serve [--dir D] [--port N] [--jetstream]
prints one JSON line {"url":..., "port":..., "monitor_port":..., "pid":...} and
runs until SIGTERM/SIGINT, then stops the server.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request

try:
    from . import _proc, ports
except ImportError:
    import _proc
    import ports

NATS_SERVER = os.environ.get("STRATUS_NATS_SERVER", "nats-server")


class NatsServerError(RuntimeError):
    pass


class NatsServer:
    host = ports.LOOPBACK

    def __init__(self, dir=None, port=None, monitor_port=None, jetstream=False,
                 config=None, extra_args=(), keep=None, startup_timeout=15.0):
        """dir: where logs (and JetStream data) live; kept when given. config:
        optional nats-server config text (e.g. 'ping_interval: "200ms"').
        extra_args: more nats-server options."""
        self._given_dir = dir
        self._given_port = port
        self._given_mport = monitor_port
        self.jetstream = jetstream
        self.config = config
        self.extra_args = list(extra_args)
        self.keep = (os.environ.get("STRATUS_TEST_KEEP", "") not in ("", "0", "no")
                     if keep is None else keep)
        self.startup_timeout = startup_timeout
        self.dir = None
        self.port = None
        self.monitor_port = None
        self.proc = None
        self._removed = False

    @property
    def url(self):
        return f"nats://{self.host}:{self.port}"

    @property
    def monitor_url(self):
        return f"http://{self.host}:{self.monitor_port}"

    @property
    def log(self):
        return os.path.join(self.dir, "nats-server.log")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def __repr__(self):
        return f"<NatsServer {self.url} pid={self.pid}>"

    def _prepare_dir(self):
        if self._removed:
            raise NatsServerError("this NatsServer was stopped and its temp dir removed")
        if self.dir is not None:
            return
        if self._given_dir:
            self.dir = os.path.abspath(self._given_dir)
            os.makedirs(self.dir, exist_ok=True)
        else:
            base = os.environ.get("STRATUS_TEST_TMP") or tempfile.gettempdir()
            os.makedirs(base, exist_ok=True)
            _proc.sweep_stale(base, "stratus-nats-")
            self.dir = tempfile.mkdtemp(prefix="stratus-nats-", dir=base)
            if not self.keep:
                _proc.mark_owner(self.dir)

    def _argv(self):
        argv = [NATS_SERVER, "-a", self.host, "-p", str(self.port),
                "-m", str(self.monitor_port), "-P", os.path.join(self.dir, "nats-server.pid")]
        if self.config is not None:
            conf = os.path.join(self.dir, "nats-server.conf")
            with open(conf, "w") as f:
                f.write(self.config)
            argv += ["-c", conf]
        if self.jetstream:
            argv += ["-js", "-sd", os.path.join(self.dir, "jetstream")]
        return argv + self.extra_args

    def start(self):
        """Start the server and wait until it accepts connections. Returns self."""
        if self.running:
            return self
        self._prepare_dir()
        attempts = 1 if self._given_port else 4
        for attempt in range(attempts):
            if self.port is None or attempt > 0:
                self.port = self._given_port or ports.free_port(self.host)
                self.monitor_port = self._given_mport or ports.free_port(self.host)
            try:
                self._spawn_and_wait(port_retry=attempt + 1 < attempts)
                return self
            except _PortTaken:
                continue
        raise NatsServerError(f"could not bind free ports after {attempts} attempts")

    def _spawn_and_wait(self, port_retry=False):
        log_start = _proc.file_size(self.log)
        self.proc = _proc.spawn(self._argv(), self.log)
        _proc.track(self)
        try:
            ports.wait_for_tcp(self.host, self.port, self.startup_timeout,
                               alive=lambda: self.proc.poll() is None)
            ports.wait_for_tcp(self.host, self.monitor_port, self.startup_timeout,
                               alive=lambda: self.proc.poll() is None)
        except (RuntimeError, TimeoutError) as e:
            _proc.hard_kill(self.proc)
            self.proc = None
            out = _proc.tail(self.log, start=log_start)
            if port_retry and "address already in use" in out:
                raise _PortTaken() from None
            raise NatsServerError(f"nats-server did not start ({e}); {self.log} ends with:\n"
                                  f"{out}") from None

    def stop(self, timeout=10.0, cleanup=True):
        """SIGTERM (clean), SIGKILL after `timeout`. With cleanup, remove the temp dir."""
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.terminate()
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    print(f"stratus test support: nats-server pid {proc.pid} ignored "
                          f"SIGTERM for {timeout:.0f}s, killing it", file=sys.stderr)
                except ProcessLookupError:
                    pass
            _proc.hard_kill(proc)
            self.proc = None
        _proc.untrack(self)
        if cleanup and not self._given_dir and self.dir:
            if self.keep:
                print(f"stratus test support: kept nats dir {self.dir}", file=sys.stderr)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
                self._removed = True

    def kill(self):
        """SIGKILL the server (simulated crash)."""
        _proc.hard_kill(self.proc)
        self.proc = None
        _proc.untrack(self)

    def restart(self, down_for=0.0):
        """Stop (if running) and start again on the same ports. `down_for`
        seconds of downtime in between let clients notice the outage."""
        if self.running:
            self.stop(cleanup=False)
        if down_for:
            threading.Event().wait(down_for)
        if self.port is None:
            return self.start()
        ports.wait_port_free(self.host, self.port)
        self._spawn_and_wait()
        return self

    def monitor(self, endpoint="varz"):
        """GET a monitoring endpoint (varz, connz, subsz, healthz...) as a dict."""
        with urllib.request.urlopen(f"{self.monitor_url}/{endpoint}", timeout=5) as r:
            return json.loads(r.read())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class _PortTaken(Exception):
    pass


def _serve(args):
    srv = NatsServer(dir=args.dir, port=args.port, monitor_port=args.monitor_port,
                     jetstream=args.jetstream)
    info = lambda s: {"url": s.url, "host": s.host, "port": s.port,
                      "monitor_port": s.monitor_port, "pid": s.pid, "dir": s.dir, "log": s.log}
    return _proc.serve_until_signal(srv, info, "natsserver.py", lambda s: s.log)


def main(argv=None):
    p = argparse.ArgumentParser(description="private nats-server for Stratus tests")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="start a server, print a JSON line, run until SIGTERM/SIGINT")
    s.add_argument("--dir", help="directory for logs and JetStream data (kept)")
    s.add_argument("--port", type=int, help="client port on 127.0.0.1 (default: a free one)")
    s.add_argument("--monitor-port", type=int, help="monitoring port (default: a free one)")
    s.add_argument("--jetstream", action="store_true", help="enable JetStream (-js)")
    return _serve(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
