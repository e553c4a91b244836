"""The real sidecar's first calls (reference/test-ground.md §1): a
RegisterGameServer with gamePort, healthPort, grpcPort, realmID and
availableMaps under a 5 s deadline, then GameServerMapsLoaded. Once with
grpcio (timeout=5 sends grpc-timeout), once byte for byte with the headers
grpc-c++ 1.51 sent (grpc-timeout: 5S, its user-agent) through the raw HTTP/2
probe. If the registration fails, the worldserver runs without the cluster,
so it must succeed well within the deadline."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import FakeGameServer, RegistryCase, build_path, pb, server_id  # noqa: E402

SIDECAR_HEADERS = ["te=trailers", "grpc-accept-encoding=identity, deflate, gzip",
                   "grpc-timeout=5S",
                   "user-agent=grpc-c++/1.51.1 grpc-c/29.0.0 (linux; chttp2)"]


def frame(msg):
    body = msg.SerializeToString()
    return "hex:00" + format(len(body), "08x") + body.hex()


def h2_call(addr, path, msg):
    """One unary call through grpc_h2_probe; returns (grpc-status, body bytes, ms)."""
    args = [build_path("bin", "grpc_h2_probe"), addr, "--req", path]
    for h in SIDECAR_HEADERS:
        args += ["--header", h]
    args += ["--frame", frame(msg)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=20).stdout
    status, body, ms = None, b"", None
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[1] in ("header", "trailer") and parts[2] == "grpc-status":
            status = int(parts[3])
        elif len(parts) >= 3 and parts[1] == "data" and len(parts) == 4:
            body += bytes.fromhex(parts[3])
        elif len(parts) >= 3 and parts[1] == "closed":
            ms = float(parts[3]) if len(parts) == 4 else None
    return status, body[5:], ms, out


class SidecarSequence(RegistryCase):
    def test_grpcio_with_a_5s_deadline(self):
        self.start()
        gs = self.game_server(register=False, maps="0,1,530,571")
        t0 = time.monotonic()
        resp = gs.register(timeout=5)
        took = time.monotonic() - t0
        self.assertLess(took, 1.0)
        self.assertEqual(resp.id, server_id(f"127.0.0.1:{gs.game_port}"))
        self.assertEqual(sorted(resp.assignedMaps), [0, 1, 530, 571])
        self.assertTrue(resp.alias)
        gs.maps_loaded([0, 1], timeout=5)
        self.assertEqual(self.lookup(0), [gs.id])
        self.assertEqual(self.lookup(571), [gs.id])

    def test_the_bytes_and_headers_of_grpc_cpp(self):
        self.start()
        http = FakeGameServer(self.d.grpc_target)   # for its health endpoint
        self.addCleanup(http.close)
        req = pb.RegisterGameServerRequest(api="1.0.0", gamePort=8085,
                                           healthPort=http.http.port, grpcPort=19501,
                                           realmID=1, availableMaps="0,1,530,571")
        path = "/v1.ServersRegistryService/"
        status, body, ms, out = h2_call(self.d.grpc_target, path + "RegisterGameServer", req)
        self.assertEqual(status, 0, out)
        resp = pb.RegisterGameServerResponse.FromString(body)
        self.assertEqual(resp.id, server_id("127.0.0.1:8085"))
        self.assertEqual(sorted(resp.assignedMaps), [0, 1, 530, 571])
        if ms is not None:
            self.assertLess(ms, 1000)
        loaded = pb.GameServerMapsLoadedRequest(api="1.0.0", gameServerID=resp.id,
                                                mapsLoaded=[0, 1])
        status, body, _, out = h2_call(self.d.grpc_target, path + "GameServerMapsLoaded", loaded)
        self.assertEqual(status, 0, out)
        self.assertEqual(self.lookup(1), [resp.id])
        s = self.servers()[resp.id]
        self.assertEqual((s.address, s.grpcAddress), ("127.0.0.1:8085", "127.0.0.1:19501"))


if __name__ == "__main__":
    unittest.main()
