"""realid is optional: the characters plugin runs without any auth database,
the Real ID methods answer UNIMPLEMENTED while realid is off, and enabling
or disabling it with SIGHUP while clients keep calling never fails a call
that was accepted (every answer is OK or UNIMPLEMENTED). Also: enabling it
without [db.auth] or without the migration fails with a clear message."""

import threading
import time

import grpc

import charsupport as cs
from stack import StackCase

OK = grpc.StatusCode.OK
UNIMPLEMENTED = grpc.StatusCode.UNIMPLEMENTED
CHARS = "[plugin.characters]\nenabled = yes\n"
REALID = "[plugin.realid]\nenabled = yes\nmax_requests_per_hour = 0\n"


class RealIDReloadTest(StackCase):
    @classmethod
    def seed(cls, db):
        db.drop_database("auth_bare")
        db.create_database("auth_bare")
        cs.schema.load_fixture(db, "auth_bare")  # the AzerothCore tables, no migration
        cs.migrate(db, "auth")
        for account in (1, 2):
            db.execute("auth", "INSERT INTO account (id, username, salt, verifier, email) VALUES "
                               "(%s, %s, %s, %s, %s)",
                       (account, f"U{account}", b"s" * 32, b"v" * 32, f"u{account}@example.com"))

    def reload(self, sections, auth=None, outcome=("ok", "unchanged")):
        base = (cs.db_section(self.db, "characters.1", "chars1") +
                cs.db_section(self.db, "characters.2", "chars2") +
                cs.db_section(self.db, "world", "world") + cs.bus_section(self.nats.url))
        self.d.sections_extra = base + (cs.db_section(self.db, "auth", auth) if auth else "")
        before = self.d.status()["last_reload"]["seq"]
        self.d.write_config(sections)
        self.d.hup()
        r = self.d.wait_reload(before)
        self.assertIn(r["outcome"], (outcome,) if isinstance(outcome, str) else outcome, r)
        return r

    def are_friends(self):
        return self.call("AreRealIDFriends", accountID=1, friendAccountID=2)

    def test_a_characters_runs_without_an_auth_database(self):
        with open(self.d.config) as f:
            self.assertNotIn("[db.auth]", f.read())
        code, details = self.are_friends()
        self.assertEqual(code, UNIMPLEMENTED)
        self.assertIn("/v1.CharactersService/AreRealIDFriends", details)
        for method in ("AddRealIDFriendByEmail", "AcceptRealIDFriend"):
            self.assertEqual(self.call(method, realmID=1, playerGUID=1)[0], UNIMPLEMENTED)
        self.ok("GetOnlineCharacters", realmID=1)
        # Enabling realid without [db.auth] is refused; the rest keeps running.
        r = self.reload(CHARS + REALID, outcome="partial")
        self.assertIn("Real ID needs the auth database: add a [db.auth] section",
                      self.d.log_text())
        self.assertEqual(self.are_friends()[0], UNIMPLEMENTED, r)
        self.ok("GetOnlineCharacters", realmID=1)
        self.reload(CHARS)

    def test_b_missing_migration_is_explained(self):
        self.reload(CHARS + REALID, auth="auth_bare")
        details = self.fails("AreRealIDFriends", grpc.StatusCode.FAILED_PRECONDITION,
                             "run `stratusctl migrate`", accountID=1, friendAccountID=2)
        self.assertIn("stratus_realid_friends", details)
        self.reload(CHARS)

    def test_c_toggling_under_load_fails_no_call(self):
        # Online before realid starts: its presence comes from the characters plugin.
        self.login(realm=1, gateway="gw", guid=101, name="Early", account=1)
        codes, stop = [], threading.Event()

        def client(n):
            i = 0
            while not stop.is_set():
                i += 1
                if n % 2:
                    codes.append(self.are_friends()[0])
                else:
                    codes.append(self.call("AddRealIDFriendByEmail", realmID=1, playerGUID=101,
                                           email=f"nobody{n}-{i}@example.com")[0])

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        try:
            for _ in range(4):
                self.reload(CHARS + REALID, auth="auth")
                time.sleep(0.4)
                self.reload(CHARS, auth="auth")
                time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join()
        counts = {c: codes.count(c) for c in set(codes)}
        print(f"\n  calls during 4 enable/disable cycles: {counts}")
        self.assertEqual(set(counts), {OK, UNIMPLEMENTED}, counts)
        self.assertGreater(counts[OK], 50, counts)
        self.assertGreater(counts[UNIMPLEMENTED], 50, counts)
        self.reload(CHARS + REALID, auth="auth")
        r = self.ok("AddRealIDFriendByEmail", realmID=1, playerGUID=101, email="u2@example.com")
        self.assertTrue(r.pending)
        self.assertEqual(self.db.query("auth", "SELECT state, requester FROM "
                                               "stratus_realid_friends"), [(1, 1)])
