"""Interop with grpc C++: starts a real stratusd serving the rpcprobe fixture
(and the servers registry, which is always on), runs grpcxx_client
(GRPCXX_CLIENT, set by CMake) against it, and checks that every check
passed, that the daemon counted the calls it served and that it exits 0."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from stratusd import Stratusd, build_path  # noqa: E402

FIXTURES = build_path("fixtures")
CLIENT = os.environ.get("GRPCXX_CLIENT", build_path("tests", "grpcxx_client"))

# rpcprobe serves the mail calls. The game server the client registers has
# nothing behind its healthPort: health checks are pushed out past the run.
SECTIONS = """[plugin.rpcprobe]
label = interop

[health]
interval = 1h
metrics_interval = 1h
"""

CHECKS = [
    "register_game_server",
    "game_server_maps_loaded",
    "mail_by_id_ok",
    "mail_by_id_invalid_argument",
    "mail_by_id_not_found_unicode",
    "guilds_unimplemented",
    "deadline_exceeded",
    "channel_after_deadline",
    "send_5mib_resource_exhausted",
    "send_1mib_ok",
    "send_gzip_refused",
    "async_1000_one_channel",
    "channels_50x20",
]

# MailByID answered OK: ids 5 and 6, 1,000 on one channel, 50 x 20.
MAIL_BY_ID_OK = 2 + 1000 + 50 * 20
# Everything that reached rpcprobe's handlers: those, mailID 0 and -5, the
# slow MailsForPlayer and the 1 MiB Send. The 5 MiB and the gzip Send are
# refused by the transport before any handler runs.
PROBE_SERVED = MAIL_BY_ID_OK + 2 + 1 + 1
MAIL_BY_ID = "/v1.MailService/MailByID"


class GrpcxxInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Stratusd(sections=SECTIONS, plugin_dir=FIXTURES).start()
        try:
            cls.run_ = subprocess.run([CLIENT, cls.d.grpc_target], capture_output=True,
                                      text=True, timeout=300)
        except BaseException:
            cls.d.stop()
            raise
        print(cls.run_.stdout, end="", file=sys.stderr)
        print(cls.run_.stderr, end="", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-3000:]}"
        cls.d.cleanup()

    def test_client_exits_0(self):
        self.assertEqual(self.run_.returncode, 0,
                         f"grpcxx_client failed:\n{self.run_.stdout}{self.run_.stderr}")

    def test_every_check_passed(self):
        passed = [line.split(":")[0][len("PASS "):]
                  for line in self.run_.stdout.splitlines() if line.startswith("PASS ")]
        self.assertEqual(passed, CHECKS, self.run_.stderr)

    def test_rpcprobe_counted_the_calls(self):
        served = self.d.metrics().get("fixture_rpcprobe_served", {})
        self.assertEqual(sum(served.values()), PROBE_SERVED)

    def test_daemon_counted_the_statuses(self):
        def requests(method, code):
            return self.d.metric("stratus_grpc_requests_total", method=method, code=code)
        self.assertEqual(requests(MAIL_BY_ID, "OK"), MAIL_BY_ID_OK)
        self.assertEqual(requests(MAIL_BY_ID, "INVALID_ARGUMENT"), 1)
        self.assertEqual(requests(MAIL_BY_ID, "NOT_FOUND"), 1)
        self.assertEqual(requests("/v1.MailService/Send", "OK"), 1)
        registry = "/v1.ServersRegistryService/"
        self.assertEqual(requests(registry + "RegisterGameServer", "OK"), 1)
        self.assertEqual(requests(registry + "GameServerMapsLoaded", "OK"), 1)

    def test_transport_saw_the_connections_and_refusals(self):
        # One channel for most checks plus 50 with their own connections.
        self.assertGreaterEqual(self.d.metric("stratus_grpc_connections_total"), 51)
        # The 5 MiB and the gzip Send.
        self.assertGreaterEqual(self.d.metric("stratus_grpc_transport_rejected_total"), 2)


if __name__ == "__main__":
    unittest.main()
