"""Layers: a group made by an invite sticks to the inviter's game server
(BindGroupToGameServer through the registry, in process), where the
registry alone would put it on the least loaded layer."""

import os
import sys
import unittest

from groupenv import GroupCase

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "registry"))
from fakes import FAST_HEALTH, FakeGameServer, section  # noqa: E402
from servers_registry import registry_pb2 as rpb, registry_pb2_grpc as rpbg  # noqa: E402


class Layers(GroupCase):
    CHARACTERS = {1: 6, 2: 1, 3: 1}
    EXTRA = (section("discovery", {"realms": "1, 2, 3", "layers": "0:2"}) +
             section("health", FAST_HEALTH))

    def server(self, load):
        s = FakeGameServer(self.d.grpc_target, maps="0")
        self.addCleanup(s.close)
        s.register()
        s.http.set_metrics(active_connections=load)
        return s

    def lookup(self, group):
        r = rpbg.ServersRegistryServiceStub(self.channel).AvailableGameServersForMapAndRealm(
            rpb.AvailableGameServersForMapAndRealmRequest(api="1", realmID=1, mapID=0,
                                                          groupID=group), timeout=5)
        return [s.id for s in r.gameServers]

    def test_new_group_stays_on_the_inviters_layer(self):
        busy, idle = self.server(50), self.server(5)
        registry = rpbg.ServersRegistryServiceStub(self.channel)

        def loads():
            r = registry.ListGameServersForRealm(rpb.ListGameServersForRealmRequest(
                api="1", realmID=1), timeout=5)
            return {s.ID: s.activeConnections for s in r.gameServers}

        self.d.wait_for(lambda: loads() == {busy.id: 50, idle.id: 5}, "the servers' load")
        self.invite(1, 1, 2, inviterMapID=0, inviterGameServerID=busy.id)
        self.accept(1, 2)
        home, gid = self.group_of(1, 1)
        self.d.wait_for(lambda: self.lookup(gid) == [busy.id], "the group on the inviter's layer")
        # an invite that names no game server: the registry's own choice
        home, other = self.form(1, 3, [(1, 4)])
        self.assertEqual(self.lookup(other), [idle.id])


if __name__ == "__main__":
    unittest.main()
