"""A scripted HTTP/2 (h2c) server for the gRPC client tests, speaking raw
frames so that it can misbehave in ways real servers do not: each request's
message (the bytes after the 5-byte prefix, as text) says how to answer.

  ok / anything else   echo the message back
  trailers-only:C:MSG  one HEADERS with grpc-status C (MSG percent-encoded)
  no-status:TEXT       HEADERS and DATA, END_STREAM without trailers
  no-message           HEADERS, then trailers grpc-status 0 without DATA
  compressed           a message with the compressed flag set
  two-messages         two messages, then grpc-status 0
  truncated            a prefix announcing 10 bytes, 5 bytes, grpc-status 0
  http:CODE            :status CODE, text/plain body, no grpc-status
  split:TEXT           the reply one byte per DATA frame
  rst:CODE             RST_STREAM(CODE) instead of a response
  headers-rst:CODE     response HEADERS, then RST_STREAM(CODE)
  status:VALUE         trailers-only with grpc-status VALUE (any text)
  late:MS:TEXT         reply after MS milliseconds, even to a reset stream
  slow:MS:TEXT         reply after MS milliseconds unless the stream was reset
  hang                 never answer
  freeze               stop reading this connection (PINGs go unanswered)

Options: --max-streams N (SETTINGS_MAX_CONCURRENT_STREAMS, 100), --goaway-after N
(on the first connection: once N requests are in, GOAWAY with the id of the
N/2-th as last_stream_id; only those are answered), --silent (accept TCP, send
nothing), --http1 LINE (answer any bytes with that status line and close), --raw HEX
(answer any bytes with those bytes and close),
--ping (PING every new connection), --trace (print every frame received).

Prints "READY <port>", then one line per event:
  CONN c | REQ c stream HEX (a request answered) | RST c stream code |
  GOAWAY c code | PINGACK c | EOF c | FRAME c type stream ms | VIOLATION ...
and "MAXOPEN n" (most streams open at once) after each request.
"""

import argparse
import socket
import struct
import sys
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST, SETTINGS, PUSH, PING, GOAWAY, WINDOW, CONT = 0, 1, 3, 4, 5, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
T0 = time.monotonic()
out_lock = threading.Lock()


def say(*parts):
    with out_lock:
        print(*parts, flush=True)


def hpack_int(n):
    if n < 127:
        return bytes([n])
    out, n = [127], n - 127
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return bytes(out)


def hpack(headers):
    """Literal fields without indexing and without Huffman: no state."""
    out = b""
    for name, value in headers:
        name, value = name.encode(), value.encode()
        out += b"\x00" + hpack_int(len(name)) + name + hpack_int(len(value)) + value
    return out


def pct(text):
    return "".join(c if 0x20 <= ord(c) <= 0x7e and c != "%" else
                   "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def prefixed(msg, flag=0):
    return struct.pack(">BI", flag, len(msg)) + msg


GRPC_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]


class Conn:
    def __init__(self, server, sock, cid):
        self.server, self.sock, self.cid = server, sock, cid
        self.wlock = threading.Lock()
        self.bodies, self.open, self.reset = {}, set(), set()
        self.requests = 0
        self.frozen = False
        self.last_allowed = None  # after our GOAWAY: streams above are ignored

    def send(self, ftype, flags, stream, payload=b""):
        if ftype == RST or (ftype in (HEADERS, DATA) and flags & END_STREAM):
            self.close_stream(stream)  # before the client can see it closed
        head = struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
            struct.pack(">I", stream)
        with self.wlock:
            try:
                self.sock.sendall(head + payload)
            except OSError:
                pass

    def close_stream(self, stream):
        self.open.discard(stream)

    def headers(self, stream, hdrs, end=False):
        self.send(HEADERS, END_HEADERS | (END_STREAM if end else 0), stream, hpack(hdrs))

    def data(self, stream, payload, end=False):
        self.send(DATA, END_STREAM if end else 0, stream, payload)

    def trailers(self, stream, status="0", message=None):
        hdrs = [("grpc-status", status)]
        if message is not None:
            hdrs.append(("grpc-message", pct(message)))
        self.headers(stream, hdrs, end=True)

    def reply(self, stream, msg):
        self.headers(stream, GRPC_HEADERS)
        self.data(stream, prefixed(msg))
        self.trailers(stream)

    def answer(self, stream, body):
        msg = body[5:]
        text = msg.decode("utf-8", "replace")
        say("REQ", self.cid, stream, msg.hex() or "-")
        kind, _, arg = text.partition(":")
        if kind == "trailers-only":
            code, _, message = arg.partition(":")
            self.headers(stream, GRPC_HEADERS + [("grpc-status", code),
                                                 ("grpc-message", pct(message))], end=True)
        elif kind == "no-status":
            self.headers(stream, GRPC_HEADERS)
            self.data(stream, prefixed(arg.encode()), end=True)
        elif kind == "no-message":
            self.headers(stream, GRPC_HEADERS)
            self.trailers(stream)
        elif kind == "compressed":
            self.headers(stream, GRPC_HEADERS)
            self.data(stream, prefixed(b"zzz", flag=1))
            self.trailers(stream)
        elif kind == "two-messages":
            self.headers(stream, GRPC_HEADERS)
            self.data(stream, prefixed(b"one") + prefixed(b"two"))
            self.trailers(stream)
        elif kind == "truncated":
            self.headers(stream, GRPC_HEADERS)
            self.data(stream, struct.pack(">BI", 0, 10) + b"12345")
            self.trailers(stream)
        elif kind == "http":
            self.headers(stream, [(":status", arg), ("content-type", "text/plain")])
            self.data(stream, b"not a grpc answer", end=True)
        elif kind == "split":
            self.headers(stream, GRPC_HEADERS)
            for b in prefixed(arg.encode()):
                self.data(stream, bytes([b]))
            self.trailers(stream)
        elif kind == "rst":
            self.send(RST, 0, stream, struct.pack(">I", int(arg)))
        elif kind == "headers-rst":
            self.headers(stream, GRPC_HEADERS)
            self.send(RST, 0, stream, struct.pack(">I", int(arg)))
        elif kind == "status":
            self.headers(stream, GRPC_HEADERS + [("grpc-status", arg)], end=True)
        elif kind in ("late", "slow"):
            ms, _, rest = arg.partition(":")

            def later():
                if kind == "slow" and stream in self.reset:
                    return
                self.reply(stream, rest.encode())
            threading.Timer(int(ms) / 1000, later).start()
        elif kind == "hang":
            pass
        elif kind == "freeze":
            self.frozen = True
        else:
            self.reply(stream, msg)

    def on_request(self, stream):
        body = self.bodies.pop(stream, b"")
        self.requests += 1
        limit = self.server.goaway_after
        if limit and self.cid == 1 and self.last_allowed is None:
            self.pending = getattr(self, "pending", [])
            self.pending.append((stream, body))
            if len(self.pending) < limit:
                return
            self.last_allowed = self.pending[limit // 2 - 1][0]
            self.send(GOAWAY, 0, 0, struct.pack(">II", self.last_allowed, 0))
            for s, b in self.pending:
                if s <= self.last_allowed:
                    self.answer(s, b)
            return
        if self.last_allowed is not None and stream > self.last_allowed:
            return  # not processed: the client must retry it elsewhere
        self.answer(stream, body)

    def on_frame(self, ftype, flags, stream, payload):
        if self.server.trace:
            say("FRAME", self.cid, ftype, stream, f"{(time.monotonic() - T0) * 1000:.0f}")
        if ftype == SETTINGS and not flags & ACK:
            self.send(SETTINGS, ACK, 0)
        elif ftype == PING and flags & ACK:
            say("PINGACK", self.cid)
        elif ftype == PING:
            self.send(PING, ACK, 0, payload)
        elif ftype == HEADERS:
            self.open.add(stream)
            self.server.note_open(len(self.open))
            self.bodies.setdefault(stream, b"")
            if flags & END_STREAM:
                self.on_request(stream)
        elif ftype == DATA:
            self.bodies[stream] = self.bodies.get(stream, b"") + payload
            if payload:
                self.send(WINDOW, 0, 0, struct.pack(">I", len(payload)))
            if flags & END_STREAM:
                self.on_request(stream)
            elif payload:
                self.send(WINDOW, 0, stream, struct.pack(">I", len(payload)))
        elif ftype == RST:
            say("RST", self.cid, stream, struct.unpack(">I", payload)[0])
            self.reset.add(stream)
            self.close_stream(stream)
        elif ftype == GOAWAY:
            say("GOAWAY", self.cid, struct.unpack(">II", payload[:8])[1])

    def run(self):
        buf = b""
        settings = struct.pack(">HI", 3, self.server.max_streams) + struct.pack(">HI", 4, 1 << 24)
        self.send(SETTINGS, 0, 0, settings)
        self.send(WINDOW, 0, 0, struct.pack(">I", (1 << 24)))
        if self.server.ping:
            self.send(PING, 0, 0, b"stubping")
        try:
            while len(buf) < len(PREFACE):
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError
                buf += chunk
            if not buf.startswith(PREFACE):
                say("VIOLATION", self.cid, "bad preface")
                return
            buf = buf[len(PREFACE):]
            while True:
                while len(buf) >= 9:
                    length = int.from_bytes(buf[:3], "big")
                    if len(buf) < 9 + length:
                        break
                    ftype, flags = buf[3], buf[4]
                    stream = int.from_bytes(buf[5:9], "big") & 0x7fffffff
                    self.on_frame(ftype, flags, stream, buf[9:9 + length])
                    buf = buf[9 + length:]
                    if self.frozen:
                        threading.Event().wait()  # like a host that vanished
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except (EOFError, OSError):
            pass
        say("EOF", self.cid)
        self.sock.close()


class Server:
    def __init__(self, args):
        self.max_streams = args.max_streams
        self.goaway_after = args.goaway_after
        self.ping, self.trace = args.ping, args.trace
        self.maxopen = 0
        self.lock = threading.Lock()

    def note_open(self, n):
        with self.lock:
            if n > self.max_streams:
                say("VIOLATION", "open streams", n, ">", self.max_streams)
            if n > self.maxopen:
                self.maxopen = n
                say("MAXOPEN", n)


def silent(sock):
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    sock.close()


def answer_once(sock, data):
    try:
        sock.recv(65536)
        sock.sendall(data)
        time.sleep(0.2)
    except OSError:
        pass
    sock.close()


def http1_answer(line):
    return (f"{line}\r\nContent-Type: text/html\r\nContent-Length: 9\r\n"
            "Connection: close\r\n\r\nnot found").encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-streams", type=int, default=100)
    p.add_argument("--goaway-after", type=int, default=0)
    p.add_argument("--silent", action="store_true")
    p.add_argument("--http1")
    p.add_argument("--raw")
    p.add_argument("--ping", action="store_true")
    p.add_argument("--trace", action="store_true")
    args = p.parse_args()
    server = Server(args)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(64)
    say("READY", lsock.getsockname()[1])
    cid = 0
    while True:
        sock, _ = lsock.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid += 1
        say("CONN", cid)
        if args.silent:
            target = silent, (sock,)
        elif args.http1:
            target = answer_once, (sock, http1_answer(args.http1))
        elif args.raw:
            target = answer_once, (sock, bytes.fromhex(args.raw))
        else:
            target = Conn(server, sock, cid).run, ()
        threading.Thread(target=target[0], args=target[1], daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
