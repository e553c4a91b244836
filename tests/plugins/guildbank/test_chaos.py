"""Guild bank chaos: 20 members on 3 tabs run deposits, withdraws, moves,
splits, merges and rollbacks for a bounded time, with random client
disconnects and deadlines, a duplicate of every call (same key), and one
MariaDB restart midway. Afterwards: every item unit and every copper is
accounted for, each withdrawn item GUID left by exactly one withdraw, no
GUID is in two slots, and no member went over a daily limit. Prints the
counts it checked."""

import os
import random
import threading
import time
import unittest

import grpc

from banktest import (GM, GUILD, HEARTH, LINEN, OK, Bank, daemon, db_sections, grant_tab, item,
                      load_world, migrate, seed_guild)
from guid import guid_pb2, guid_pb2_grpc
from mariadb import MariaDB
import schema

CHARS, WORLD = "chaos_chars", "chaos_world"
SECONDS = float(os.environ.get("STRATUS_CHAOS_SECONDS", "30"))
OFFICERS = list(range(1000, 1019))  # 19 officers and the guild master: 20 members
TABS = 3
SLOTS_PER_DAY = 400
MONEY_PER_DAY = 200000


class Ledger:
    """What the members were told, operation by operation."""

    def __init__(self):
        self.lock = threading.Lock()
        self.money_in = self.money_out = self.money_back = 0
        self.units = {}  # entry -> units the bank should hold
        self.withdrawn = {}  # item GUID -> (entry, count), withdrawn and not put back
        self.ops = {}
        self.duplicates = 0

    def count(self, op):
        with self.lock:
            self.ops[op] = self.ops.get(op, 0) + 1

    def units_add(self, entry, n):
        with self.lock:
            self.units[entry] = self.units.get(entry, 0) + n


class Member(threading.Thread):
    def __init__(self, test, guid, seed):
        super().__init__(daemon=True)
        self.t, self.guid, self.rng = test, guid, random.Random(seed)
        self.bank = Bank(test.d.grpc_target)
        self.my_money_withdraws, self.my_item_withdraws = [], []
        self.error = None

    # every call: maybe a dropped connection first, a random deadline on the
    # first try, retries with the same key until a definite answer, then a
    # duplicate that must answer the same
    def op(self, method, key, **fields):
        if self.rng.random() < 0.05:
            self.bank.close()
            self.bank.reconnect()
        if self.rng.random() < 0.1:
            try:
                self.bank.call(method, key, timeout=self.rng.choice((0.001, 0.01, 0.05)),
                               memberGUID=self.guid, **fields)
            except grpc.RpcError:
                pass
        first = self.bank.retry(method, key, memberGUID=self.guid, **fields)
        again = self.bank.retry(method, key, memberGUID=self.guid, **fields)
        if (first.status, getattr(first, "logGUID", 0)) != (again.status,
                                                            getattr(again, "logGUID", 0)):
            raise AssertionError(f"{method} {key}: {first} then {again}")
        self.t.ledger.duplicates += 1
        return first

    def key(self, what):
        return f"{what}-{self.guid}-{self.rng.getrandbits(48):x}"

    def deposit_money(self):
        amount = self.rng.randint(1, 500)
        if self.op("DepositGuildBankMoney", self.key("dm"), amount=amount).status == OK:
            with self.t.ledger.lock:
                self.t.ledger.money_in += amount

    def withdraw_money(self):
        amount = self.rng.randint(1, 300)
        r = self.op("WithdrawGuildBankMoney", self.key("wm"), amount=amount)
        if r.status == OK:
            with self.t.ledger.lock:
                self.t.ledger.money_out += amount
            self.my_money_withdraws.append((amount, r.logGUID))

    def rollback_money(self):
        if not self.my_money_withdraws:
            return
        amount, log = self.my_money_withdraws.pop(self.rng.randrange(len(self.my_money_withdraws)))
        r = self.op("RollbackGuildBankMoneyWithdraw", None, amount=amount, logGUID=log)
        if r.status == OK:
            with self.t.ledger.lock:
                self.t.ledger.money_back += amount

    def deposit_item(self):
        guid = self.t.take_guid()
        entry, count = (LINEN, self.rng.randint(1, 10)) if self.rng.random() < 0.8 else (HEARTH, 1)
        r = self.op("DepositGuildBankItem", self.key("di"), tabID=self.rng.randrange(TABS),
                    slotID=self.rng.randrange(98), item=item(guid, entry, count))
        if r.status == OK:
            self.t.ledger.units_add(entry, count)

    def withdraw_item(self):
        tab = self.rng.randrange(TABS)
        slot = self.t.occupied_slot(tab, self.rng)
        if slot is None:
            return
        r = self.op("WithdrawGuildBankItem", self.key("wi"), tabID=tab, slotID=slot,
                    count=self.rng.choice((0, 1, 2, 3)))
        if r.status == OK:
            self.t.ledger.units_add(r.item.entry, -r.item.count)
            with self.t.ledger.lock:
                if r.item.itemGUID in self.t.ledger.withdrawn:
                    raise AssertionError(f"item {r.item.itemGUID} withdrawn twice")
                self.t.ledger.withdrawn[r.item.itemGUID] = (r.item.entry, r.item.count)
            self.my_item_withdraws.append((tab, slot, r.item, r.logGUID))

    def rollback_item(self):
        if not self.my_item_withdraws:
            return
        tab, slot, it, log = self.my_item_withdraws.pop(self.rng.randrange(len(self.my_item_withdraws)))
        r = self.op("RollbackGuildBankItemWithdraw", None, tabID=tab, slotID=slot, item=it,
                    logGUID=log)
        if r.status == OK:
            self.t.ledger.units_add(it.entry, it.count)
            with self.t.ledger.lock:
                del self.t.ledger.withdrawn[it.itemGUID]

    def move(self):
        src, dst = (self.rng.randrange(TABS), self.rng.randrange(8)), \
            (self.rng.randrange(TABS), self.rng.randrange(8))
        if src != dst:
            self.op("MoveGuildBankItem", self.key("mv"), sourceTabID=src[0], sourceSlotID=src[1],
                    destinationTabID=dst[0], destinationSlotID=dst[1],
                    count=self.rng.choice((0, 0, 1, 2, 5)))

    def run(self):
        ops = [self.deposit_money, self.withdraw_money, self.rollback_money, self.deposit_item,
               self.deposit_item, self.withdraw_item, self.rollback_item, self.move]
        try:
            while time.monotonic() < self.t.end:
                fn = self.rng.choice(ops)
                fn()
                self.t.ledger.count(fn.__name__)
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.error = e
        finally:
            self.bank.close()


class GuildBankChaos(unittest.TestCase):
    def setUp(self):
        self.db = MariaDB().start()
        schema.load_fixture(self.db, None, CHARS)
        migrate(self.db, CHARS)
        load_world(self.db, WORLD)
        seed_guild(self.db, CHARS)
        for guid in OFFICERS:
            self.db.execute(CHARS, "INSERT INTO guild_member (guildid, guid, `rank`) VALUES "
                                   "(%s, %s, 1)", (GUILD, guid))
        self.db.execute(CHARS, "UPDATE guild_rank SET BankMoneyPerDay = %s WHERE guildid = %s "
                               "AND rid = 1", (MONEY_PER_DAY, GUILD))
        self.d = daemon(db_sections(self.db, CHARS, WORLD)).start()
        self.ledger = Ledger()
        bank = Bank(self.d.grpc_target)
        for tab in range(TABS):
            self.assertEqual(bank.call("BuyGuildBankTab", memberGUID=GM, tabID=tab).status, OK)
            grant_tab(self.db, CHARS, tab, SLOTS_PER_DAY)
            self.db.execute(CHARS, "UPDATE guild_bank_right SET gbright = 7 WHERE guildid = %s "
                                   "AND TabId = %s AND rid = 1", (GUILD, tab))
        bank.close()
        self.guids, self.guid_lock = self.reserve_guids(20000), threading.Lock()

    def tearDown(self):
        code = self.d.stop()
        self.db.stop()
        self.assertEqual(code, 0, self.d.log_text()[-3000:])
        self.d.cleanup()

    def reserve_guids(self, n):
        """Item GUIDs from GuidService, as a worldserver gets them."""
        channel = grpc.insecure_channel(self.d.grpc_target)
        r = guid_pb2_grpc.GuidServiceStub(channel).GetGUIDPool(guid_pb2.GetGUIDPoolRequest(
            realmID=1, guidType=1, desiredPoolSize=n), timeout=20)
        channel.close()
        return [g for d in r.receiverGUID for g in range(d.start, d.end + 1)]

    def take_guid(self):
        with self.guid_lock:
            return self.guids.pop()

    def occupied_slot(self, tab, rng):
        """A slot that holds something now (the test's own connection, shared
        by the members and reopened after the restart)."""
        with self.guid_lock:
            for _ in range(100):
                try:
                    rows = self.db.query(CHARS, "SELECT SlotId FROM guild_bank_item WHERE "
                                                "guildid = %s AND TabId = %s", (GUILD, tab))
                    return rng.choice(rows)[0] if rows else None
                except Exception:  # noqa: BLE001 (the server restarts midway)
                    self.db._close_conns()
                    time.sleep(0.1)
        return None

    def test_chaos_conserves_items_and_money(self):
        self.end = time.monotonic() + SECONDS
        members = [Member(self, guid, seed) for seed, guid in enumerate([GM] + OFFICERS)]
        for m in members:
            m.start()
        time.sleep(SECONDS / 3)
        self.db.restart()
        for m in members:
            m.join(SECONDS + 120)
        for m in members:
            self.assertIsNone(m.error, f"member {m.guid}: {m.error!r}")
        self.check_money()
        self.check_items()
        self.check_limits()
        print(f"\nchaos: {sum(self.ledger.ops.values())} operations {dict(sorted(self.ledger.ops.items()))}, "
              f"{self.ledger.duplicates} duplicates answered alike; money in {self.ledger.money_in}, "
              f"out {self.ledger.money_out}, back {self.ledger.money_back}; "
              f"{len(self.bank_items)} stacks in the bank, {len(self.ledger.withdrawn)} withdrawn GUIDs")

    def check_money(self):
        (money,), = self.db.query(CHARS, "SELECT BankMoney FROM guild WHERE guildid = %s", (GUILD,))
        l = self.ledger
        self.assertEqual(money, l.money_in - l.money_out + l.money_back)

    def check_items(self):
        self.bank_items = self.db.query(
            CHARS, "SELECT b.item_guid, i.itemEntry, i.count FROM guild_bank_item b JOIN "
                   "item_instance i ON i.guid = b.item_guid WHERE b.guildid = %s", (GUILD,))
        guids = [g for g, _, _ in self.bank_items]
        self.assertEqual(len(guids), len(set(guids)))
        units = {}
        for _, entry, count in self.bank_items:
            units[entry] = units.get(entry, 0) + count
        expected = {e: n for e, n in self.ledger.units.items() if n}
        self.assertEqual(units, expected)
        self.assertFalse(set(guids) & set(self.ledger.withdrawn))
        for guid, (entry, count) in self.ledger.withdrawn.items():
            row = self.db.query(CHARS, "SELECT itemEntry, count FROM item_instance WHERE guid = %s",
                                (guid,))
            self.assertEqual(row, [(entry, count)], f"withdrawn item {guid}")
        (logs,), = self.db.query(CHARS, "SELECT COUNT(*) FROM guild_bank_eventlog WHERE guildid = %s "
                                        "AND EventType = 2", (GUILD,))
        self.assertEqual(logs, len(self.ledger.withdrawn))  # one withdraw log per withdrawn GUID

    def check_limits(self):
        rows = self.db.query(CHARS, "SELECT guid, tab0, tab1, tab2, money FROM guild_member_withdraw")
        for guid, *tabs, money in rows:
            if guid == GM:
                continue
            self.assertLessEqual(max(tabs), SLOTS_PER_DAY, guid)
            self.assertLessEqual(money, MONEY_PER_DAY, guid)


if __name__ == "__main__":
    unittest.main()
