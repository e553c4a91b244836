"""Loopback port helpers for Stratus integration tests.

Everything here binds or connects to 127.0.0.1 only.
"""

import errno
import socket
import time

LOOPBACK = "127.0.0.1"


def free_port(host=LOOPBACK):
    """Return a TCP port that was free on `host` a moment ago.

    Binds port 0, reads the port the kernel picked and closes the socket.
    Another process may take the port before the caller binds it; callers
    that start a server retry with a new port when the bind fails.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tcp_accepts(host, port, timeout=0.2):
    """True when a TCP connection to host:port succeeds right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_tcp(host, port, timeout=10.0, alive=None, interval=0.02):
    """Wait until host:port accepts TCP connections.

    `alive` is an optional callable; when it returns False (e.g. the server
    process has exited) the wait stops early with RuntimeError.
    Raises TimeoutError after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError as e:
            last = e
        if alive is not None and not alive():
            raise RuntimeError(f"process exited before {host}:{port} accepted connections")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} did not accept TCP connections within "
                               f"{timeout:.1f}s (last error: {last})")
        time.sleep(interval)


def wait_port_free(host, port, timeout=5.0, interval=0.02):
    """Wait until `port` can be bound on `host` again (e.g. after a server stopped)."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
                return
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} still in use after {timeout:.1f}s")
        time.sleep(interval)
