"""GuidService.GetGUIDPool in a real stratusd against a real MariaDB, with
the project's fixture schema and with the real AzerothCore schema: ranges
and the reservation rows in the database, the MAX() bump, the ToCloud9
double hand-out scenario, bad input with nothing written, the end of the id
space, missing migration or row, an unreachable or restarted database, a
full job queue, metrics, reload and restart."""

import concurrent.futures
import time
import unittest

import grpc

from guidtest import (CHARACTER, INSTANCE, ITEM, LAST, MIGRATION, TYPES, TYPE_NAMES,
                      Client, daemon, db_section, insert_id, load_schema, migrate,
                      plugin_section, reservations, reset)
from mariadb import MariaDB

INVALID = grpc.StatusCode.INVALID_ARGUMENT


class GuidServiceBase:
    """The tests; the subclasses pick the schema. Realms 1 and 2 are migrated,
    realm 3 is not, realm 9 points at a closed port."""
    real = False

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.names = {realm: f"chars{realm}" for realm in (1, 2, 3)}
        for realm, name in cls.names.items():
            if not load_schema(cls.db, name, cls.real):
                cls.db.stop()
                raise unittest.SkipTest("no AzerothCore schema here")
            if realm != 3:
                migrate(cls.db, name)
        sections = "".join(db_section(cls.db, realm, name) for realm, name in cls.names.items())
        sections += ("[db.characters.9]\nhost = 127.0.0.1\nport = 1\nuser = root\n"
                     "database = nothing\npool_size = 1\n\n")
        cls.sections = sections
        cls.d = daemon(sections).start()
        cls.client = Client(cls.d.grpc_target)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        code = cls.d.stop()
        cls.db.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-3000:]}"
        cls.d.cleanup()

    def setUp(self):
        for realm in (1, 2):
            reset(self.db, self.names[realm])

    def rows(self, realm=1):
        return reservations(self.db, self.names[realm])

    def marks(self, realm=1):
        """{type: (next_guid, ranges_reserved, guids_reserved)}"""
        return {t: r[:3] for t, r in self.rows(realm).items()}

    def one(self, realm, guid_type, size):
        ranges = self.client.ranges(realm, guid_type, size)
        self.assertEqual(len(ranges), 1, ranges)
        return ranges[0]

    # -- success paths ------------------------------------------------------
    def test_first_ranges_start_at_one_per_realm_and_type(self):
        for realm in (1, 2):
            for t in TYPES:
                self.assertEqual(self.one(realm, t, 10), (1, 10))
        for realm in (1, 2):
            self.assertEqual(self.marks(realm), {t: (11, 1, 10) for t in TYPES})

    def test_ranges_follow_each_other_and_are_recorded(self):
        self.assertEqual(self.one(1, ITEM, 10000), (1, 10000))
        self.assertEqual(self.one(1, ITEM, 1), (10001, 10001))
        self.assertEqual(self.one(1, ITEM, 200), (10002, 10201))
        self.assertEqual(self.one(1, CHARACTER, 50), (1, 50))
        m = self.marks()
        self.assertEqual(m[ITEM], (10202, 3, 10201))
        self.assertEqual(m[CHARACTER], (51, 1, 50))
        self.assertEqual(m[INSTANCE], (1, 0, 0))
        self.assertEqual(self.marks(2), {t: (1, 0, 0) for t in TYPES})

    def test_response_fills_the_api_field(self):
        r = self.client.pool(1, INSTANCE, 5)
        self.assertTrue(r.api)
        self.assertEqual(len(r.receiverGUID), 1)

    def test_starts_above_each_azerothcore_table(self):
        # distinct maxima catch a seed read from the wrong table (ToCloud9
        # seeded the item counter with the instance maximum before PR #37)
        insert_id(self.db, self.names[1], CHARACTER, 500)
        insert_id(self.db, self.names[1], ITEM, 7000)
        insert_id(self.db, self.names[1], INSTANCE, 42)
        self.assertEqual(self.one(1, CHARACTER, 10), (501, 510))
        self.assertEqual(self.one(1, ITEM, 10), (7001, 7010))
        self.assertEqual(self.one(1, INSTANCE, 10), (43, 52))
        self.assertEqual(self.marks(), {CHARACTER: (511, 1, 10), ITEM: (7011, 1, 10),
                                        INSTANCE: (53, 1, 10)})
        self.assertEqual(self.one(2, ITEM, 10), (1, 10), "realm 2 has its own ids")

    def test_tocloud9_double_hand_out_scenario(self):
        """tocloud9.md §6: after non-contiguous blocks [1..10] and [100..110], a
        request for 12 and then one for 3 got 1..3 again from guidserver."""
        handed = [self.one(1, CHARACTER, 10)]
        insert_id(self.db, self.names[1], CHARACTER, 99)  # a worldserver outside the cluster
        handed.append(self.one(1, CHARACTER, 11))
        self.assertEqual(handed, [(1, 10), (100, 110)])
        handed.append(self.one(1, CHARACTER, 12))  # larger than what is left of any block
        handed.append(self.one(1, CHARACTER, 3))
        self.assertEqual(handed[2:], [(111, 122), (123, 125)])
        guids = [g for start, end in handed for g in range(start, end + 1)]
        self.assertEqual(len(guids), len(set(guids)), "a GUID was handed out twice")
        self.assertEqual(self.marks()[CHARACTER], (126, 4, 36))

    def test_ids_written_while_reserving_raise_the_next_range(self):
        self.assertEqual(self.one(1, INSTANCE, 100), (1, 100))
        insert_id(self.db, self.names[1], INSTANCE, 50)  # inside the range: no bump
        self.assertEqual(self.one(1, INSTANCE, 1), (101, 101))
        insert_id(self.db, self.names[1], INSTANCE, 5000)
        self.assertEqual(self.one(1, INSTANCE, 1), (5001, 5001))
        self.assertEqual(self.marks()[INSTANCE], (5002, 3, 102))

    def test_the_largest_allowed_pool(self):
        self.assertEqual(self.one(1, ITEM, 1000000), (1, 1000000))
        self.assertEqual(self.marks()[ITEM], (1000001, 1, 1000000))

    def test_migration_reruns_without_touching_the_marks(self):
        self.assertIn("at version 1, 0 pending", migrate(self.db, self.names[1]))
        self.one(1, ITEM, 10)
        before = self.rows()
        self.db.load_sql_file(self.names[1], MIGRATION)  # the file itself, run again
        self.assertEqual(self.rows(), before)
        self.assertEqual(self.one(1, ITEM, 1), (11, 11))

    # -- bad input: a status, a message, nothing written ---------------------
    def test_bad_input_writes_nothing(self):
        before = {realm: self.rows(realm) for realm in (1, 2)}
        ranges_before = self.d.metrics().get("stratus_guid_ranges_total", {})
        cases = [
            ((7, ITEM, 10), "realm 7 has no [db.characters.7]"),
            ((0, ITEM, 10), "realm 0 has no [db.characters.0]"),
            ((1, 3, 10), "guidType 3 is not Character (0), Item (1) or Instance (2)"),
            ((1, 1000, 10), "guidType 1000 is not Character (0), Item (1) or Instance (2)"),
            ((1, ITEM, 0), "desiredPoolSize must be at least 1"),
            ((2, CHARACTER, 0), "desiredPoolSize must be at least 1"),
            ((1, ITEM, 1000001), "desiredPoolSize 1000001 is above max_pool_size 1000000"),
            ((1, ITEM, 2 ** 64 - 1),
             "desiredPoolSize 18446744073709551615 is above max_pool_size 1000000"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                self.assertEqual(self.client.error(*args), (INVALID, message))
        self.assertEqual({realm: self.rows(realm) for realm in (1, 2)}, before)
        self.assertEqual(self.d.metrics().get("stratus_guid_ranges_total", {}), ranges_before)

    def test_end_of_the_id_space_is_all_or_nothing(self):
        name = self.names[1]
        self.db.execute(name, "UPDATE stratus_guid_range SET next_guid = %s WHERE guid_type = %s",
                        (LAST - 5, ITEM))
        before = self.rows()
        code, message = self.client.error(1, ITEM, 7)
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(message, "realm 1 has no room for 7 more item GUIDs "
                                  f"(the last is {LAST})")
        self.assertEqual(self.rows(), before, "a refused range wrote something")
        self.assertEqual(self.one(1, ITEM, 6), (LAST - 5, LAST))
        self.assertEqual(self.marks()[ITEM], (LAST + 1, 1, 6))
        before = self.rows()
        self.assertEqual(self.client.error(1, ITEM, 1)[0], grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(self.rows(), before)

    def test_ids_at_the_column_maximum_exhaust_the_type(self):
        insert_id(self.db, self.names[1], CHARACTER, 0xFFFFFFFF)  # int unsigned's maximum
        before = self.rows()
        self.assertEqual(self.client.error(1, CHARACTER, 1)[0],
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(self.rows(), before)
        self.assertEqual(self.one(1, ITEM, 1), (1, 1), "only the character space is full")

    # -- missing schema, missing row, unreachable database -------------------
    def test_realm_without_the_migration(self):
        code, message = self.client.error(3, ITEM, 10)
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("database characters.3: ", message)
        self.assertIn("stratus_guid_range", message)
        self.assertIn("run `stratusctl migrate`", message)
        self.assertFalse(self.db.query(None, "SELECT 1 FROM information_schema.TABLES WHERE "
                                             "TABLE_NAME = 'stratus_guid_range' AND "
                                             "TABLE_SCHEMA = %s", (self.names[3],)))

    def test_missing_row_is_refused_and_not_recreated(self):
        self.one(1, INSTANCE, 10)
        self.db.execute(self.names[1], "DELETE FROM stratus_guid_range WHERE guid_type = 2")
        code, message = self.client.error(1, INSTANCE, 10)
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(message, "realm 1: stratus_guid_range has no row for guid_type 2 "
                                  "(instance); restore it with next_guid above every "
                                  "instance GUID handed out")
        self.assertNotIn(INSTANCE, self.rows())
        self.assertEqual(self.one(1, ITEM, 1), (1, 1))

    def test_unreachable_database(self):
        code, message = self.client.error(9, ITEM, 10)
        self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)
        self.assertIn("database characters.9: service unavailable", message)

    # -- operations ---------------------------------------------------------
    def test_metrics_per_realm_and_type(self):
        def sample(name, realm, t):
            return self.d.metric(name, realm=str(realm), type=TYPE_NAMES[t]) or 0
        before = {(r, t): (sample("stratus_guid_ranges_total", r, t),
                           sample("stratus_guid_guids_total", r, t))
                  for r in (1, 2) for t in TYPES}
        self.one(1, ITEM, 100)
        self.one(1, ITEM, 50)
        self.one(2, INSTANCE, 7)
        want = {(1, ITEM): (2, 150), (2, INSTANCE): (1, 7)}
        for (r, t), (ranges, guids) in before.items():
            got = (sample("stratus_guid_ranges_total", r, t) - ranges,
                   sample("stratus_guid_guids_total", r, t) - guids)
            self.assertEqual(got, want.get((r, t), (0, 0)), (r, t))
        self.assertEqual(self.d.metric("stratus_guid_remaining", realm="1", type="item"),
                         LAST - 150)
        self.assertEqual(self.d.metric("stratus_guid_remaining", realm="2", type="instance"),
                         LAST - 7)

    def test_reload_changes_max_pool_size_in_place(self):
        generation = self.d.plugin("guid")["generation"]
        try:
            self.reload(plugin_section(max_pool_size=50))
            self.assertEqual(self.client.error(1, ITEM, 51),
                             (INVALID, "desiredPoolSize 51 is above max_pool_size 50"))
            self.assertEqual(self.one(1, ITEM, 50), (1, 50))
            self.assertEqual(self.d.plugin("guid")["generation"], generation)
        finally:
            self.reload(plugin_section())
        self.assertEqual(self.one(1, ITEM, 1000000), (51, 1000050))

    def reload(self, plugin):
        seq = self.d.status()["last_reload"]["seq"]
        self.d.write_config(plugin)
        self.d.hup()
        self.assertEqual(self.d.wait_reload(seq)["outcome"], "ok")

    def test_restart_continues_above_what_was_handed_out(self):
        self.assertEqual(self.one(1, CHARACTER, 10000), (1, 10000))
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.client.close()
        type(self).client = Client(self.d.grpc_target)
        self.assertEqual(self.one(1, CHARACTER, 10000), (10001, 20000))
        self.assertEqual(self.marks()[CHARACTER], (20001, 2, 20000))


class FixtureSchema(GuidServiceBase, unittest.TestCase):
    real = False


class RealAzerothCoreSchema(GuidServiceBase, unittest.TestCase):
    real = True


class DatabaseOutage(unittest.TestCase):
    """The characters database goes down and comes back: UNAVAILABLE while it
    is down, then ranges continue above everything handed out before. A full
    job queue answers UNAVAILABLE and reserves nothing."""

    def test_full_queue_is_unavailable_and_reserves_nothing(self):
        with MariaDB() as db:
            load_schema(db, "chars", False)
            migrate(db, "chars")
            with daemon(db_section(db, 1, "chars", pool_size=1, max_queue=1)) as d:
                client = Client(d.grpc_target)

                def call(_):
                    try:
                        return client.ranges(1, ITEM, 10)
                    except grpc.RpcError as e:
                        return e.code(), e.details()
                with concurrent.futures.ThreadPoolExecutor(32) as pool:
                    got = list(pool.map(call, range(200)))
                client.close()
                ok = [r for r in got if isinstance(r, list)]
                refused = [r for r in got if not isinstance(r, list)]
                self.assertTrue(refused, "the queue never filled")
                self.assertEqual(set(refused), {(grpc.StatusCode.UNAVAILABLE,
                                                 "GetGUIDPool: database characters.1 has too "
                                                 "many queued jobs (max_queue)")})
                next_guid, ranges, guids, _ = reservations(db, "chars")[ITEM]
                self.assertEqual((ranges, guids, next_guid), (len(ok), 10 * len(ok),
                                                              10 * len(ok) + 1))

    def test_database_killed_and_restarted(self):
        with MariaDB() as db:
            load_schema(db, "chars", False)
            migrate(db, "chars")
            with daemon(db_section(db, 1, "chars", pool_size=2, job_timeout="2s")) as d:
                client = Client(d.grpc_target)
                self.assertEqual(client.ranges(1, ITEM, 100), [(1, 100)])
                db.kill()
                code, message = client.error(1, ITEM, 100)
                self.assertEqual(code, grpc.StatusCode.UNAVAILABLE, message)
                self.assertIn("database characters.1: service unavailable", message)
                db.restart()
                got = None
                for _ in range(200):
                    try:
                        got = client.ranges(1, ITEM, 100)
                        break
                    except grpc.RpcError as e:
                        self.assertEqual(e.code(), grpc.StatusCode.UNAVAILABLE, e.details())
                        time.sleep(0.05)
                self.assertIsNotNone(got, "no range after the database came back")
                self.assertGreater(got[0][0], 100)
                next_guid, ranges, guids, _ = reservations(db, "chars")[ITEM]
                self.assertEqual(next_guid, got[0][1] + 1)
                client.close()


if __name__ == "__main__":
    unittest.main()
