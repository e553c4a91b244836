"""Process plumbing shared by the server helpers (mariadb.py, natsserver.py).

- spawn(): start a server process in its own session, with PR_SET_PDEATHSIG so
  the kernel signals it when the test process dies (even by SIGKILL, when no
  atexit handler runs).
- track()/untrack(): a registry of live helpers; an atexit hook stops them all.
- tail(): the last lines of a log file, for error messages.
"""

import atexit
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys

_PR_SET_PDEATHSIG = 1
_libc = None


def _load_libc():
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        except OSError:
            _libc = False
    return _libc


def _child_setup(parent_pid, sig):
    # Runs in the child between fork and exec: ask the kernel to send `sig`
    # when the parent thread dies. If the parent already died, leave now.
    libc = _load_libc()
    if libc:
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def spawn(argv, log_path, death_signal=signal.SIGTERM, env=None, cwd=None):
    """Start `argv` with stdout+stderr appended to `log_path`.

    The child gets its own session (a Ctrl-C in the terminal does not reach
    it; we stop it ourselves) and `death_signal` when this process dies.
    Note: PDEATHSIG fires when the *thread* that spawned the child exits, so
    start servers from the main thread or a thread that outlives them.
    """
    _load_libc()  # load in the parent; the child only calls into it
    parent = os.getpid()
    log = open(log_path, "ab")
    try:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env, cwd=cwd,
            preexec_fn=lambda: _child_setup(parent, death_signal))
    finally:
        log.close()


def hard_kill(proc):
    """SIGKILL `proc` if it still runs, and reap it (no zombie)."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass
    proc.wait()


def tail(path, lines=25, start=0):
    """Last `lines` lines of the file at `path` from byte offset `start`."""
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except OSError as e:
        return f"(cannot read {path}: {e})"
    text = data.decode("utf-8", "replace").rstrip("\n").splitlines()
    return "\n".join(text[-lines:]) if text else "(empty)"


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


_live = {}


def track(obj):
    _live[id(obj)] = obj


def untrack(obj):
    _live.pop(id(obj), None)


@atexit.register
def _stop_all():
    for obj in list(_live.values()):
        try:
            obj.stop()
        except Exception as e:  # keep stopping the others
            print(f"stratus test support: stopping {obj!r} at exit failed: {e}", file=sys.stderr)


# -- stale temp dirs ------------------------------------------------------
# A test process killed by SIGKILL runs no cleanup: its server dies through
# PDEATHSIG but its temp dir stays. Each temp dir records its owner (pid and
# process start time); the next run removes dirs whose owner is gone.
_OWNER = "OWNER"


def _proc_start_time(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2:].split()
        if fields[0] in (b"Z", b"X"):  # zombie or dead: gone for our purposes
            return None
        return fields[19].decode()
    except (OSError, ValueError, IndexError):
        return None


def mark_owner(path):
    pid = os.getpid()
    with open(os.path.join(path, _OWNER), "w") as f:
        f.write(f"{pid} {_proc_start_time(pid)}\n")


def sweep_stale(base, prefix):
    """Remove `base/prefix*` dirs whose recorded owner process no longer exists."""
    import shutil
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        path = os.path.join(base, name)
        try:
            with open(os.path.join(path, _OWNER)) as f:
                pid, start = f.read().split()
        except (OSError, ValueError):
            continue  # not ours, or kept on purpose
        if _proc_start_time(int(pid)) != start:
            _kill_leftover_servers(path)
            shutil.rmtree(path, ignore_errors=True)


def _kill_leftover_servers(path):
    """SIGKILL servers still running from a dead owner's dir: the pid in each
    *.pid file there, only when that process's command line names the dir
    (so a reused pid is never touched)."""
    import glob
    import time
    for pidfile in glob.glob(os.path.join(path, "*.pid")):
        try:
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if path.encode() not in cmdline:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 5
        while _proc_start_time(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.02)


def serve_until_signal(server, info, name, log_path):
    """The `serve` CLI of a server helper: start `server`, print `info` (a
    dict) as one JSON line, run until SIGTERM/SIGINT/SIGHUP or until the
    process dies, stop it. Returns the exit code."""
    import json
    import threading
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, lambda *_: stop.set())
    server.start()
    print(json.dumps(info(server)), flush=True)
    rc = 0
    while not stop.wait(0.2):
        if not server.running:
            print(f"{name} serve: the server exited unexpectedly (rc {server.proc.returncode}); "
                  f"log:\n{tail(log_path(server))}", file=sys.stderr)
            rc = 1
            break
    server.stop()
    return rc
