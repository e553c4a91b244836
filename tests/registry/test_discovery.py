"""The discovery API plugins use (stratus_host_api discovery_*), checked
through the discoprobe fixture plugin against registered fake processes."""

import unittest

from fakes import RegistryCase, build_path

FIXTURES = build_path("fixtures")


class DiscoveryApiTest(RegistryCase):
    plugin_dir = FIXTURES

    def probe(self, **keys):
        lines = ["[plugin.discoprobe]"] + [f"{k} = {v}" for k, v in keys.items()]
        return "\n".join(lines) + "\n"

    def servers_seen(self, realm=1, map_id=0):
        return self.d.metric("fixture_discovery_servers", realm=str(realm), map=str(map_id))

    def test_game_servers_gateways_and_lookup(self):
        self.start(sections=self.probe(map=530))
        self.d.wait_for(lambda: self.servers_seen(map_id=530) == 0, "an empty answer")
        a = self.game_server(maps="530")
        b = self.game_server(maps="530")
        self.gateway()
        self.d.wait_for(lambda: self.servers_seen(map_id=530) == 2, "both servers")
        self.d.wait_for(lambda: self.d.metric("fixture_discovery_gateways", realm="1") == 1,
                        "the gateway")
        # A degraded server is still visited, after the ones taking players.
        a.http.status = 503
        self.d.wait_for(lambda: self.d.metric("fixture_discovery_first", id=b.id,
                                              degraded="no") == 1, "the healthy one first")
        self.assertEqual(self.servers_seen(map_id=530), 2)

    def test_lookup_by_id(self):
        self.start(sections=self.probe(lookup_id="12345"))
        self.d.wait_for(lambda: self.d.metric("fixture_discovery_lookup", id="12345") == 0,
                        "not found")
        gs = self.game_server()
        self.reload(sections=self.probe(lookup_id=gs.id))
        self.d.wait_for(lambda: self.d.metric("fixture_discovery_lookup", id=gs.id) == 1,
                        "found")


if __name__ == "__main__":
    unittest.main()
