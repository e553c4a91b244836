"""Registration policy ([registry]): callers outside allow_from are refused
with PERMISSION_DENIED (the client reaches stratusd from 127.0.0.2 through a
relay that binds that source address); preferredHostName only when
preferred_hosts lists it; health checks go to the caller's address, so a
registration cannot make the daemon probe another host."""

import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import RegistryCase, pb, pbg  # noqa: E402
import grpc  # noqa: E402

DENIED = grpc.StatusCode.PERMISSION_DENIED


class SourceRelay:
    """Accepts on 127.0.0.1 and relays each connection to `target` from the
    source address `source` (a loopback address other than 127.0.0.1)."""

    def __init__(self, target, source):
        host, port = target.rsplit(":", 1)
        self.target, self.source = (host, int(port)), source
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket()
            upstream.bind((self.source, 0))
            upstream.connect(self.target)
            self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.listener.close()
        for s in self.socks:
            s.close()


class AllowFrom(RegistryCase):
    def test_registration_from_a_disallowed_address_is_refused(self):
        self.start(registry={"allow_from": "127.0.0.1/32"})
        relay = SourceRelay(self.d.grpc_target, "127.0.0.2")
        self.addCleanup(relay.close)
        channel = grpc.insecure_channel(relay.address)
        self.addCleanup(channel.close)
        stub = pbg.ServersRegistryServiceStub(channel)
        outsider = self.game_server(register=False)
        details = self.assertCode(DENIED, stub.RegisterGameServer, outsider.request(), timeout=5)
        self.assertIn("127.0.0.2", details)
        self.assertIn("allow_from", details)
        gw = self.gateway(register=False)
        self.assertCode(DENIED, stub.RegisterGateway, pb.RegisterGatewayRequest(
            api="1", gamePort=8085, healthPort=gw.http.port, realmID=1), timeout=5)
        mm = self.matchmaking(register=False)
        self.assertCode(DENIED, stub.RegisterMatchmakingServer,
                        pb.RegisterMatchmakingServerRequest(
                            api="1", servicePort=9000, healthPort=mm.http.port,
                            startedAtUnixMs=1), timeout=5)
        # queries are not registrations: they pass
        stub.ListAllGameServers(pb.ListAllGameServersRequest(api="1"), timeout=5)
        # an allowed caller registers; nothing of the refused ones exists or is probed
        inside = self.game_server()
        self.wait_for(lambda: inside.http.health_hits >= 3, "checks of the allowed one")
        self.assertEqual([s.ID for s in self.all_servers()], [inside.id])
        self.assertEqual(list(self.gateways()), [])
        self.assertEqual((outsider.http.health_hits, gw.http.health_hits, mm.http.health_hits),
                         (0, 0, 0))
        self.assertEqual(self.d.metric("stratus_grpc_requests_total",
                                       method="/v1.ServersRegistryService/RegisterGameServer",
                                       code="PERMISSION_DENIED"), 1)

    def test_reload_applies_a_new_allow_from(self):
        self.start(registry={"allow_from": "127.0.0.1/32"})
        a = self.game_server()
        r = self.reload(registry={"allow_from": "10.0.0.0/8"})
        self.assertIn(r["outcome"], ("ok", "unchanged"))
        b = self.game_server(register=False)
        self.assertCode(DENIED, b.register)
        self.assertEqual([s.ID for s in self.all_servers()], [a.id])   # registered ones stay
        self.reload(registry={"allow_from": "127.0.0.0/8"})
        b.register()
        self.assertEqual({s.ID for s in self.all_servers()}, {a.id, b.id})


class PreferredHost(RegistryCase):
    def test_preferred_host_refused_unless_listed(self):
        self.start(registry={"preferred_hosts": ""})
        gs = self.game_server(register=False)
        for host in ("internal.example.org", "169.254.169.254", "localhost"):
            details = self.assertCode(DENIED, gs.stub.RegisterGameServer,
                                      gs.request(preferredHostName=host), timeout=5)
            self.assertIn("preferred_hosts", details)
        self.assertEqual(self.all_servers(), [])
        gs.register()                                   # without a preferred name: fine
        self.assertEqual(len(self.all_servers()), 1)

    def test_listed_names_and_ranges_are_accepted_and_checks_go_to_the_caller(self):
        self.start(registry={"preferred_hosts": "*.example.org, 10.0.0.0/8"})
        a = self.game_server(preferred="World.Example.org")
        b = self.game_server(preferred="10.1.2.3")
        listed = {s.ID: s for s in self.all_servers()}
        self.assertEqual(listed[b.id].address, f"10.1.2.3:{b.game_port}")
        self.assertEqual(listed[b.id].healthAddress, f"127.0.0.1:{b.http.port}")
        self.assertEqual(listed[a.id].healthAddress, f"127.0.0.1:{a.http.port}")
        self.wait_for(lambda: a.http.health_hits >= 2 and b.http.health_hits >= 2,
                      "checks at the callers' address")
        c = self.game_server(register=False)
        for host in ("example.org.evil.net", "11.0.0.1", "x.example.org.net"):
            self.assertCode(DENIED, c.stub.RegisterGameServer,
                            c.request(preferredHostName=host), timeout=5)


if __name__ == "__main__":
    unittest.main()
