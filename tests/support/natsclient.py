"""A small synchronous NATS client for tests, written from the NATS text protocol.

    c = NatsClient(nats.url)
    c.subscribe("group.>")                 # wildcards are matched by the server
    c.flush()                              # the SUB is registered once PONG is back
    other.publish("group.created", envelope("0.0.1", 2, {"RealmID": 1}))
    subject, data = c.next_message(timeout=2)
    p = parse_envelope(data)["p"]

Protocol handled: INFO, CONNECT, PUB, SUB, UNSUB, MSG, HMSG (headers are
skipped), PING/PONG (the server's PINGs are answered whenever the client reads),
+OK, -ERR (raised as NatsError). One socket, no threads: the client only reads
when a method waits for something, so call flush()/next_message() now and then
on a long-idle connection (the server closes a client that misses 2 PINGs).

envelope()/parse_envelope() build and check ToCloud9 event envelopes
{"v": "0.0.1", "t": <int>, "p": {...}} (reference/tocloud9.md §3.1).
"""

import collections
import json
import socket
import time
import urllib.parse

_CRLF = b"\r\n"
_MAX_CONTROL_LINE = 64 * 1024

Message = collections.namedtuple("Message", "subject data")


class NatsError(RuntimeError):
    """A -ERR from the server, or a protocol violation."""


class NatsClient:
    def __init__(self, url="nats://127.0.0.1:4222", name="stratus-test", timeout=5.0,
                 verbose=False, echo=True):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("nats", ""):
            raise ValueError(f"unsupported NATS url {url!r}")
        self.url = url
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 4222
        self.name = name
        self.timeout = timeout
        self.verbose = verbose
        self.echo = echo
        self.server_info = None
        self._sock = None
        self._buf = bytearray()
        self._msgs = collections.deque()
        self._subs = {}  # sid -> (subject, queue)
        self._next_sid = 1
        self._pongs = 0
        self.pings_answered = 0
        self.connect()

    # -- connection ---------------------------------------------------------
    def connect(self):
        self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf.clear()
        deadline = time.monotonic() + self.timeout
        op, rest, _ = self._read_op(deadline)
        if op != b"INFO":
            raise NatsError(f"expected INFO from server, got {op!r}")
        self.server_info = json.loads(rest)
        opts = {"verbose": self.verbose, "pedantic": True, "tls_required": False,
                "name": self.name, "lang": "python-stratus-test", "version": "0.1.0",
                "protocol": 1, "echo": self.echo, "headers": False, "no_responders": False}
        self._send(b"CONNECT " + json.dumps(opts, separators=(",", ":")).encode() + _CRLF)
        self.flush()

    def reconnect(self, timeout=10.0):
        """Open a new connection (e.g. after a server restart), retrying until
        `timeout`, and re-send every live subscription with its old sid."""
        self._close_socket()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect()
                break
            except (OSError, NatsError):
                self._close_socket()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        for sid, (subject, queue) in self._subs.items():
            self._send_sub(subject, queue, sid)
        self.flush()

    def close(self):
        self._close_socket()

    def _close_socket(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def connected(self):
        return self._sock is not None

    # -- operations ---------------------------------------------------------
    def subscribe(self, subject, queue=None):
        """Subscribe; returns the sid. Call flush() before relying on it."""
        sid = str(self._next_sid)
        self._next_sid += 1
        self._subs[sid] = (subject, queue)
        self._send_sub(subject, queue, sid)
        return sid

    def _send_sub(self, subject, queue, sid):
        _check_token(subject, "subject")
        parts = [b"SUB", subject.encode()]
        if queue:
            _check_token(queue, "queue group")
            parts.append(queue.encode())
        parts.append(sid.encode())
        self._send(b" ".join(parts) + _CRLF)

    def unsubscribe(self, sid, max_msgs=None):
        """UNSUB now, or after `max_msgs` more messages."""
        sid = str(sid)
        line = b"UNSUB " + sid.encode()
        if max_msgs is not None:
            line += b" %d" % max_msgs
        else:
            self._subs.pop(sid, None)
        self._send(line + _CRLF)

    def publish(self, subject, data=b"", reply=None):
        if isinstance(data, str):
            data = data.encode()
        _check_token(subject, "subject")
        head = b"PUB " + subject.encode()
        if reply:
            _check_token(reply, "reply subject")
            head += b" " + reply.encode()
        self._send(head + b" %d\r\n" % len(data) + bytes(data) + _CRLF)

    def flush(self, timeout=None):
        """PING and wait for the PONG: everything sent before is processed by the server."""
        timeout = self.timeout if timeout is None else timeout
        want = self._pongs + 1
        self._send(b"PING\r\n")
        deadline = time.monotonic() + timeout
        while self._pongs < want:
            self._process_one(deadline)

    def next_message(self, timeout=2.0):
        """(subject, data) of the next message; TimeoutError when none arrives in time."""
        deadline = time.monotonic() + timeout
        while not self._msgs:
            self._process_one(deadline)
        return self._msgs.popleft()

    def drain_messages(self, timeout=0.5):
        """All messages already received plus those arriving within `timeout`
        seconds from now, as a list of (subject, data)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._process_one(deadline)
            except TimeoutError:
                break
        out = list(self._msgs)
        self._msgs.clear()
        return out

    def pump(self, seconds):
        """Keep reading for `seconds` (answering PINGs, queueing messages):
        use it instead of time.sleep() while a connection should stay alive."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._process_one(deadline)
            except TimeoutError:
                return

    def request(self, subject, data=b"", timeout=2.0):
        """Publish with a fresh inbox as reply subject; return the first reply's data."""
        inbox = f"_INBOX.stratus-test.{id(self):x}.{self._next_sid}"
        sid = self.subscribe(inbox)
        self.unsubscribe(sid, max_msgs=1)
        self.publish(subject, data, reply=inbox)
        deadline = time.monotonic() + timeout
        try:
            while True:
                for i, m in enumerate(self._msgs):
                    if m.subject == inbox:
                        del self._msgs[i]
                        return m.data
                self._process_one(deadline)
        finally:
            self._subs.pop(sid, None)

    # -- wire ---------------------------------------------------------------
    def _send(self, data):
        if self._sock is None:
            raise ConnectionError("NATS client is not connected")
        try:
            self._sock.sendall(data)
        except OSError:
            self._close_socket()
            raise

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from the NATS server in time")
        if self._sock is None:
            raise ConnectionError("NATS client is not connected")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data from the NATS server in time") from None
        except OSError:
            self._close_socket()
            raise
        if not chunk:
            self._close_socket()
            raise ConnectionError("NATS server closed the connection")
        self._buf += chunk

    def _take_op(self):
        """Remove one complete operation from the buffer: (op, args, payload),
        or None while it is incomplete (nothing is consumed then, so a timeout
        never leaves the stream half-read)."""
        i = self._buf.find(_CRLF)
        if i < 0:
            if len(self._buf) > _MAX_CONTROL_LINE:
                raise NatsError("control line too long")
            return None
        line = bytes(self._buf[:i])
        op, _, rest = line.partition(b" ")
        op, rest = op.upper(), rest.strip()
        payload = None
        end = i + 2
        if op in (b"MSG", b"HMSG"):
            try:
                n = int(rest.split()[-1])
            except (IndexError, ValueError):
                raise NatsError(f"bad {op.decode()} line {line!r}") from None
            if len(self._buf) < end + n + 2:
                return None
            payload = bytes(self._buf[end:end + n])
            if self._buf[end + n:end + n + 2] != _CRLF:
                raise NatsError("payload not followed by CRLF")
            end += n + 2
        del self._buf[:end]
        return op, rest, payload

    def _read_op(self, deadline):
        while True:
            got = self._take_op()
            if got is not None:
                return got
            self._fill(deadline)

    def _process_one(self, deadline):
        """Read and handle one protocol operation from the server."""
        op, rest, payload = self._read_op(deadline)
        if op == b"MSG":
            args = rest.split()  # subject sid [reply] bytes
            if len(args) not in (3, 4):
                raise NatsError(f"bad MSG line {rest!r}")
            self._deliver(args[1].decode(), args[0].decode(), payload)
        elif op == b"HMSG":
            args = rest.split()  # subject sid [reply] hdr_bytes total_bytes
            if len(args) not in (4, 5):
                raise NatsError(f"bad HMSG line {rest!r}")
            self._deliver(args[1].decode(), args[0].decode(), payload[int(args[-2]):])
        elif op == b"PING":
            self._send(b"PONG\r\n")
            self.pings_answered += 1
        elif op == b"PONG":
            self._pongs += 1
        elif op == b"+OK":
            pass
        elif op == b"-ERR":
            raise NatsError(f"server error: {rest.decode(errors='replace')}")
        elif op == b"INFO":
            self.server_info = json.loads(rest)  # async INFO (cluster updates)
        else:
            raise NatsError(f"unknown protocol operation {op!r}")

    def _deliver(self, sid, subject, data):
        self._msgs.append(Message(subject, data))


def _check_token(s, what):
    if not s or any(ch in s for ch in " \t\r\n"):
        raise ValueError(f"invalid NATS {what} {s!r}")


# -- ToCloud9 envelopes ------------------------------------------------------
ENVELOPE_VERSION = "0.0.1"


def envelope(v, t, payload, go_escape=False):
    """JSON bytes of {"v": v, "t": t, "p": payload}, compact like Go's encoding/json.

    go_escape=True also escapes <, >, & (and U+2028/U+2029) the way Go does,
    to test that consumers handle \\u escapes."""
    if not isinstance(t, int) or isinstance(t, bool):
        raise TypeError("envelope t must be an int")
    if not isinstance(payload, dict):
        raise TypeError("envelope payload must be a dict")
    text = json.dumps({"v": v, "t": t, "p": payload}, separators=(",", ":"),
                      ensure_ascii=False)
    if go_escape:
        for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                        ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(ch, esc)
    return text.encode("utf-8")


def parse_envelope(data, strict=True):
    """Parse an envelope; return {"v": str, "t": int, "p": dict}.

    strict (default): require exactly the keys v (string), t (integer) and
    p (object), as ToCloud9's Go producers emit. strict=False mirrors the C++
    sidecar: a message without "p" is taken whole as the payload."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")
    obj = json.loads(data)
    if not isinstance(obj, dict):
        raise ValueError("envelope is not a JSON object")
    if not strict and "p" not in obj:
        return {"v": obj.get("v"), "t": obj.get("t"), "p": obj}
    if set(obj) != {"v", "t", "p"}:
        raise ValueError(f"envelope keys are {sorted(obj)}, want ['p', 't', 'v']")
    if not isinstance(obj["v"], str):
        raise ValueError(f"envelope v must be a string, got {obj['v']!r}")
    if not isinstance(obj["t"], int) or isinstance(obj["t"], bool):
        raise ValueError(f"envelope t must be an integer, got {obj['t']!r}")
    if not isinstance(obj["p"], dict):
        raise ValueError(f"envelope p must be an object, got {type(obj['p']).__name__}")
    return {"v": obj["v"], "t": obj["t"], "p": obj["p"]}
