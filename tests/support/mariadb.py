#!/usr/bin/python3
"""A private MariaDB server for Stratus integration tests.

    with MariaDB() as db:
        db.create_database("chars")
        db.load_sql_file("chars", "sql/fixture/characters.sql")
        db.execute("chars", "INSERT INTO guild (guildid, name) VALUES (%s, %s)", (1, "G"))
        print(db.query("chars", "SELECT name FROM guild"))   # [('G',)]

The server listens on 127.0.0.1:<free port> and on a unix socket in a temp dir
(under $STRATUS_TEST_TMP, else the system temp dir). Its datadir is a copy of a
template made once by mariadb-install-db and cached per mariadbd version under
$STRATUS_TEST_CACHE, else $XDG_CACHE_HOME/stratus-test, else
/tmp/stratus-test-cache. Set STRATUS_TEST_KEEP=1 to keep temp dirs (logs).

CLI (used by the project's run script):
    /usr/bin/python3 tests/support/mariadb.py serve --dir D [--port N] [--fresh]
prints one JSON line {"socket":..., "port":..., "pid":..., ...} and runs until
SIGTERM/SIGINT, then shuts the server down. D/data is kept and reused.
    /usr/bin/python3 tests/support/mariadb.py template
builds (or finds) the cached template datadir and prints its path.
"""

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    from . import _proc, ports
except ImportError:  # imported with tests/support on sys.path, or run as a script
    import _proc
    import ports

MARIADBD = os.environ.get("STRATUS_MARIADBD", "mariadbd")
INSTALL_DB = os.environ.get("STRATUS_MARIADB_INSTALL_DB", "mariadb-install-db")
CLIENT = os.environ.get("STRATUS_MARIADB_CLIENT", "mariadb")
ADMIN = os.environ.get("STRATUS_MARIADB_ADMIN", "mariadb-admin")

# Passed to install-db and mariadbd alike: a small redo log keeps the template
# (and every copy of it) at ~26 MB instead of ~120 MB.
_INNODB_ARGS = ["--innodb-log-file-size=8M"]
_SOCKET_MAX = 100  # AF_UNIX sun_path is 108 bytes; keep a margin


class MariaDBError(RuntimeError):
    pass


def _pymysql():
    try:
        import pymysql
    except ImportError as e:
        raise MariaDBError("pymysql is missing: apt-get install -y python3-pymysql, "
                           "and run the tests with /usr/bin/python3") from e
    return pymysql


def _root_args():
    return ["--user=root"] if os.geteuid() == 0 else []


def _keep_requested():
    return os.environ.get("STRATUS_TEST_KEEP", "") not in ("", "0", "no")


def cache_root():
    if os.environ.get("STRATUS_TEST_CACHE"):
        return os.environ["STRATUS_TEST_CACHE"]
    if os.environ.get("XDG_CACHE_HOME"):
        return os.path.join(os.environ["XDG_CACHE_HOME"], "stratus-test")
    return "/tmp/stratus-test-cache"


def server_version():
    out = subprocess.run([MARIADBD, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _template_key():
    full = server_version()
    m = re.search(r"Ver\s+(\S+)", full)
    short = re.sub(r"[^A-Za-z0-9._+-]", "_", m.group(1) if m else "unknown")
    digest = hashlib.sha256((full + "|" + " ".join(_INNODB_ARGS + _root_args()))
                            .encode()).hexdigest()[:10]
    return f"{short}-{digest}"


def template_datadir():
    """Path of the cached template datadir, building it once if needed.

    Safe with parallel test processes: the builder holds an flock, builds in a
    private temp dir and renames it into place; readers only trust a template
    whose marker file exists.
    """
    root = cache_root()
    final = os.path.join(root, "mariadb-" + _template_key())
    marker = os.path.join(final, "TEMPLATE_OK")
    if os.path.exists(marker):
        return os.path.join(final, "data")
    os.makedirs(root, exist_ok=True)
    with open(final + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(marker):
            return os.path.join(final, "data")
        work = tempfile.mkdtemp(prefix=".build-", dir=root)
        try:
            data = os.path.join(work, "data")
            argv = [INSTALL_DB, "--no-defaults", *_root_args(), f"--datadir={data}",
                    "--auth-root-authentication-method=normal", "--skip-test-db",
                    *_INNODB_ARGS]
            r = subprocess.run(argv, capture_output=True, text=True)
            if r.returncode != 0:
                raise MariaDBError(f"mariadb-install-db failed (rc {r.returncode}):\n"
                                   f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            with open(os.path.join(work, "TEMPLATE_OK"), "w") as f:
                f.write(server_version() + "\n")
            if os.path.exists(final):  # a half-made leftover without marker
                shutil.rmtree(final)
            os.rename(work, final)
            work = None
        finally:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
    return os.path.join(final, "data")


class MariaDB:
    """One private mariadbd. Use as a context manager, or start()/stop()."""

    host = ports.LOOPBACK
    user = "root"
    password = ""

    def __init__(self, dir=None, port=None, extra_args=(), keep=None,
                 startup_timeout=60.0):
        """dir: where datadir, socket and logs live (kept and reused when given;
        a temp dir removed at stop() otherwise). port: fixed TCP port (else a
        free one). extra_args: more mariadbd options."""
        self._given_dir = dir
        self._given_port = port
        self.extra_args = list(extra_args)
        self.keep = _keep_requested() if keep is None else keep
        self.startup_timeout = startup_timeout
        self.dir = None
        self.port = None
        self.socket = None
        self.proc = None
        self._sock_dir = None
        self._conns = {}
        self._removed = False

    # -- paths ------------------------------------------------------------
    @property
    def datadir(self):
        return os.path.join(self.dir, "data")

    @property
    def error_log(self):
        return os.path.join(self.dir, "mariadbd.err")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def __repr__(self):
        return f"<MariaDB {self.host}:{self.port} socket={self.socket} pid={self.pid}>"

    def _prepare_dir(self):
        if self._removed:
            raise MariaDBError("this MariaDB was stopped and its temp dir removed; "
                               "make a new one (or use stop(cleanup=False))")
        if self.dir is None:
            if self._given_dir:
                self.dir = os.path.abspath(self._given_dir)
                os.makedirs(self.dir, exist_ok=True)
            else:
                base = os.environ.get("STRATUS_TEST_TMP") or tempfile.gettempdir()
                os.makedirs(base, exist_ok=True)
                _proc.sweep_stale(base, "stratus-mariadb-")
                self.dir = tempfile.mkdtemp(prefix="stratus-mariadb-", dir=base)
                if not self.keep:
                    _proc.mark_owner(self.dir)
            sock = os.path.join(self.dir, "mysqld.sock")
            if len(sock.encode()) > _SOCKET_MAX:
                _proc.sweep_stale("/tmp", "stratus-sock-")
                self._sock_dir = tempfile.mkdtemp(prefix="stratus-sock-", dir="/tmp")
                _proc.mark_owner(self._sock_dir)
                sock = os.path.join(self._sock_dir, "mysqld.sock")
            self.socket = sock
        if not os.path.isdir(self.datadir):
            tmp = self.datadir + ".copying"
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run(["cp", "-a", template_datadir(), tmp], check=True)
            os.rename(tmp, self.datadir)

    # -- lifecycle --------------------------------------------------------
    def _argv(self):
        return [MARIADBD, "--no-defaults", *_root_args(),
                f"--datadir={self.datadir}", f"--socket={self.socket}",
                f"--pid-file={os.path.join(self.dir, 'mariadbd.pid')}",
                f"--bind-address={self.host}", f"--port={self.port}",
                f"--log-error={self.error_log}",
                "--innodb-buffer-pool-size=64M", "--skip-name-resolve",
                "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
                "--innodb-buffer-pool-dump-at-shutdown=0",
                "--innodb-buffer-pool-load-at-startup=0",
                *_INNODB_ARGS, *self.extra_args]

    def start(self):
        """Start the server and wait until it answers. Returns self."""
        if self.running:
            return self
        _pymysql()  # fail before spawning anything when it is missing
        self._prepare_dir()
        attempts = 1 if self._given_port else 4
        for attempt in range(attempts):
            if self.port is None or attempt > 0:
                self.port = self._given_port or ports.free_port(self.host)
            try:
                self._spawn_and_wait(port_retry=attempt + 1 < attempts)
                return self
            except _PortTaken:
                continue
        raise MariaDBError(f"could not bind a free port after {attempts} attempts")

    def _spawn_and_wait(self, port_retry=False):
        log_start = _proc.file_size(self.error_log)
        self.proc = _proc.spawn(self._argv(), os.path.join(self.dir, "mariadbd.out"))
        _proc.track(self)
        try:
            self._wait_ready(log_start, port_retry)
        except BaseException:
            _proc.hard_kill(self.proc)
            self.proc = None
            raise

    def _wait_ready(self, log_start, port_retry):
        pymysql = _pymysql()
        deadline = time.monotonic() + self.startup_timeout
        last = None
        while True:
            if self.proc.poll() is not None:
                log = _proc.tail(self.error_log, start=log_start)
                if port_retry and "Address already in use" in log:
                    raise _PortTaken()
                raise MariaDBError(f"mariadbd exited with rc {self.proc.returncode} during "
                                   f"start-up; {self.error_log} ends with:\n{log}")
            if os.path.exists(self.socket):
                try:
                    pymysql.connect(unix_socket=self.socket, user=self.user,
                                    password=self.password, connect_timeout=2).close()
                    return
                except pymysql.err.Error as e:
                    last = e
            if time.monotonic() >= deadline:
                raise MariaDBError(
                    f"mariadbd did not answer within {self.startup_timeout:.0f}s "
                    f"(last error: {last}); {self.error_log} ends with:\n"
                    f"{_proc.tail(self.error_log, start=log_start)}")
            time.sleep(0.02)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0, cleanup=True):
        """Clean shutdown, SIGKILL after `timeout`. With cleanup (default), a
        temp dir made by start() is removed (unless keep / STRATUS_TEST_KEEP)."""
        self._close_conns()
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                self._request_shutdown()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    print(f"stratus test support: mariadbd pid {proc.pid} ignored "
                          f"shutdown for {timeout:.0f}s, killing it", file=sys.stderr)
            _proc.hard_kill(proc)
            self.proc = None
        _proc.untrack(self)
        if cleanup:
            self._cleanup()

    def _request_shutdown(self):
        # The SHUTDOWN statement is the same server command `mariadb-admin
        # shutdown` sends; mariadb-admin then polls the pid file once a second,
        # which costs ~1 s per stop, so we send it ourselves and wait on the
        # process. Fallbacks: mariadb-admin, then SIGTERM (also clean).
        try:
            pymysql = _pymysql()
            conn = pymysql.connect(unix_socket=self.socket, user=self.user,
                                   password=self.password, connect_timeout=2)
            try:
                with conn.cursor() as c:
                    c.execute("SHUTDOWN")
            finally:
                try:
                    conn.close()
                except Exception:
                    pass
            return
        except Exception:
            pass
        try:
            r = subprocess.run([ADMIN, "--no-defaults", "-S", self.socket, "-u", self.user,
                                "--connect-timeout=2", "shutdown"],
                               capture_output=True, timeout=10)
            if r.returncode == 0:
                return
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            self.proc.terminate()
        except ProcessLookupError:
            pass

    def _cleanup(self):
        if self._given_dir or self.dir is None:
            return
        if self.keep:
            print(f"stratus test support: kept MariaDB dir {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
            self._removed = True
        if self._sock_dir:
            shutil.rmtree(self._sock_dir, ignore_errors=True)

    def kill(self):
        """SIGKILL the server (simulated crash). The datadir stays; restart() recovers."""
        self._close_conns()
        _proc.hard_kill(self.proc)
        self.proc = None
        _proc.untrack(self)

    def restart(self, timeout=30.0):
        """Start again on the same datadir, port and socket (stops it first if running)."""
        if self.running:
            self.stop(timeout=timeout, cleanup=False)
        if self.port is None:
            return self.start()
        self._prepare_dir()
        self._spawn_and_wait()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- client side ------------------------------------------------------
    def url(self, db=""):
        return f"mysql://{self.user}@{self.host}:{self.port}/{db}"

    def dsn(self, db=""):
        """Connection facts: host, port, socket, user, password, database, url."""
        return {"host": self.host, "port": self.port, "socket": self.socket,
                "user": self.user, "password": self.password, "database": db,
                "url": self.url(db)}

    def client_argv(self, db=None):
        """argv for the `mariadb` CLI client on our socket."""
        argv = [CLIENT, "--no-defaults", "-u", self.user, "-S", self.socket, "--batch"]
        return argv + ([db] if db else [])

    def connect(self, db=None, **kw):
        """A new pymysql connection over the unix socket, autocommit on."""
        pymysql = _pymysql()
        args = dict(unix_socket=self.socket, user=self.user, password=self.password,
                    database=db, autocommit=True, charset="utf8mb4", connect_timeout=5)
        args.update(kw)
        return pymysql.connect(**args)

    def connect_tcp(self, db=None, **kw):
        """Like connect() but over TCP 127.0.0.1:port."""
        return self.connect(db, unix_socket=None, host=self.host, port=self.port, **kw)

    def _conn(self, db):
        conn = self._conns.get(db)
        if conn is None or not conn.open:
            conn = self._conns[db] = self.connect(db)
        return conn

    def _close_conns(self):
        for conn in self._conns.values():
            try:
                conn.close()
            except Exception:
                pass
        self._conns.clear()

    def query(self, db, sql, args=None):
        """Run a statement; return all rows as a list of tuples."""
        with self._conn(db).cursor() as c:
            c.execute(sql, args)
            return list(c.fetchall())

    def execute(self, db, sql, args=None):
        """Run a statement; return the affected row count."""
        with self._conn(db).cursor() as c:
            return c.execute(sql, args)

    def create_database(self, name, charset="utf8mb4", collation="utf8mb4_unicode_ci"):
        self.execute(None, f"CREATE DATABASE IF NOT EXISTS `{_ident(name)}` "
                           f"DEFAULT CHARACTER SET {charset} COLLATE {collation}")

    def drop_database(self, name):
        self._conns.pop(name, None)
        self.execute(None, f"DROP DATABASE IF EXISTS `{_ident(name)}`")

    def load_sql(self, db, text, what="SQL"):
        """Feed `text` to the mariadb CLI client; raise MariaDBError with its stderr on failure."""
        r = subprocess.run(self.client_argv(db), input=text.encode(), capture_output=True)
        if r.returncode != 0:
            raise MariaDBError(f"loading {what} into {db!r} failed (rc {r.returncode}):\n"
                               f"{r.stderr.decode(errors='replace').strip()}")
        return r.stdout.decode(errors="replace")

    def load_sql_file(self, db, path):
        with open(path, "rb") as f:
            return self.load_sql(db, f.read().decode(), what=str(path))


class _PortTaken(Exception):
    pass


def _ident(name):
    if not re.fullmatch(r"[A-Za-z0-9_$-]{1,64}", name or ""):
        raise ValueError(f"unsafe database name {name!r}")
    return name


# -- CLI ------------------------------------------------------------------
def _serve(args):
    if args.fresh and args.dir:
        shutil.rmtree(os.path.join(os.path.abspath(args.dir), "data"), ignore_errors=True)
    info = lambda db: {"socket": db.socket, "port": db.port, "pid": db.pid, "host": db.host,
                       "user": db.user, "dir": db.dir, "datadir": db.datadir,
                       "error_log": db.error_log, "url": db.url()}
    return _proc.serve_until_signal(MariaDB(dir=args.dir, port=args.port), info,
                                    "mariadb.py", lambda db: db.error_log)


def main(argv=None):
    p = argparse.ArgumentParser(description="private MariaDB server for Stratus tests")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="start a server, print a JSON line, run until SIGTERM/SIGINT")
    s.add_argument("--dir", help="directory for datadir, socket and logs (kept); "
                                 "default: a temp dir removed at exit")
    s.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (default: a free one)")
    s.add_argument("--fresh", action="store_true", help="start from an empty datadir")
    sub.add_parser("template", help="build or find the cached template datadir; print its path")
    args = p.parse_args(argv)
    if args.cmd == "template":
        print(template_datadir())
        return 0
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
