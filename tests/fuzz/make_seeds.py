"""Write the seed corpora of tests/fuzz/corpus/<target>/ (run by hand when a
format changes; the files are committed). HTTP/2 seeds are the bytes a real
grpcio client sends, captured on a loopback socket."""

import os
import socket
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "build", "python-proto"))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def capture_grpc(call):
    """Bytes a grpcio client sends for one call, against a server that only
    sends its SETTINGS."""
    import grpc
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got = bytearray()

    def serve():
        c, _ = srv.accept()
        c.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))  # empty SETTINGS
        c.settimeout(1.0)
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                got.extend(b)
                if len(got) > 9 and b"\x00\x00\x00\x04\x01" in got:  # our SETTINGS acked
                    c.sendall(bytes([0, 0, 0, 4, 1, 0, 0, 0, 0]))
        except socket.timeout:
            pass
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    with grpc.insecure_channel(f"127.0.0.1:{srv.getsockname()[1]}") as ch:
        try:
            call(ch)
        except grpc.RpcError:
            pass
    t.join()
    srv.close()
    return bytes(got)


def h2_seeds():
    from mail import mail_pb2 as m, mail_pb2_grpc as mg
    from guid import guid_pb2, guid_pb2_grpc
    put("fuzz_h2_server", "mail_by_id", capture_grpc(
        lambda ch: mg.MailServiceStub(ch).MailByID(m.MailByIDRequest(realmID=1, mailID=5),
                                                   timeout=0.5)))
    put("fuzz_h2_server", "guid_pool_deadline", capture_grpc(
        lambda ch: guid_pb2_grpc.GuidServiceStub(ch).GetGUIDPool(
            guid_pb2.GetGUIDPoolRequest(realmID=1), timeout=0.3)))
    put("fuzz_h2_server", "preface_only", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(9)[:3] +
        b"\x04" + bytes(5))


def prefixed(msg, flag=0):
    return bytes([flag]) + struct.pack(">I", len(msg)) + msg


def simple_seeds():
    from mail import mail_pb2 as m
    req = m.MailByIDRequest(realmID=1, mailID=5).SerializeToString()
    put("fuzz_grpc_msg", "one", bytes([255, 3]) + prefixed(req))
    put("fuzz_grpc_msg", "two", bytes([255, 0]) + prefixed(req) + prefixed(b""))
    put("fuzz_grpc_msg", "compressed", bytes([1, 7]) + prefixed(req, 1))
    put("fuzz_methods", "mail_by_id", bytes([6, 0]) + req)
    put("fuzz_methods", "strings", bytes([2, 1]) + b"\x0a\x05hello\x10\x01\x1a\x02hi")
    put("fuzz_http", "get", b"\x10GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    put("fuzz_http", "pipeline", b"\x42GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /reload HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"
        b"HEAD /ready HTTP/1.0\r\n\r\n")
    put("fuzz_http", "chunked", b"\x07POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n")
    put("fuzz_envelope", "event", '{"v":"stratus-1.0","t":3,"p":{"Name":"Ann","RealmID":1}}')
    put("fuzz_envelope", "nested", '{"p":{"a":[1,{"b":"\\u00e9\\"x"}]},"t":-1,"v":""}')
    put("fuzz_envelope", "subjects", "guild.*.bank.>\nguild.7.bank.deposit")
    put("fuzz_envelope", "raw", "not json")
    put("fuzz_ini", "hosts", open(os.path.join(REPO, "etc", "stratus.ini")).read())
    put("fuzz_ini", "sections",
        "[host]\nreserve_fds = 10\n[grpc]\nlisten = 127.0.0.1:1, [::1]:2\nidle_timeout = 5m\n"
        "max_message_size = 1MiB\n[db.characters.1]\nuser = u\ndatabase = c\npool_size = 0\n"
        "[discovery]\nlayers = 0:2, 530:x\n[log]\nlevel = loud\n[plugin.chat]\nenabled = yes\n")
    put("fuzz_migration", "guild", "-- a comment\nCREATE TABLE stratus_x (id INT);\n"
        "/* block\n comment */ ALTER TABLE guild ADD COLUMN stratus_y INT;\n"
        "# hash\nDROP TABLE characters;\nALTER TABLE guild DROP COLUMN name;\n")
    for kind in ("characters", "auth"):
        d = os.path.join(REPO, "sql", kind)
        for f in [x for x in sorted(os.listdir(d)) if x.endswith(".sql")][:2] if os.path.isdir(d) else []:
            put("fuzz_migration", f"{kind}_{f}", open(os.path.join(d, f)).read())


if __name__ == "__main__":
    simple_seeds()
    h2_seeds()
