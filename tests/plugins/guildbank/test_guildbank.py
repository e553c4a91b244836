"""The guild bank methods of GuildService in a real stratusd (guid and
guildbank plugins) against a real MariaDB: every method's success and
refusals, idempotent replays, at-most-once rollbacks, stacking from
item_template, splits under new GUIDs from GuidService, and bad input that
changes nothing."""

import unittest

import grpc

from banktest import (BAD_TAB, FAILED, FULL, GM, GUILD, HEARTH, LIMIT, LINEN, MEMBER, NO_ITEM,
                      NO_MONEY, NO_RIGHTS, NOT_IN_GUILD, OFFICER, OK, OTHER_GUILD, OUTSIDER,
                      STRANGER, Bank, daemon, db_sections, grant_tab, item, load_world, migrate,
                      seed_guild, snapshot)
from mariadb import MariaDB
import schema

INVALID = grpc.StatusCode.INVALID_ARGUMENT
CHARS, WORLD = "gb_chars", "gb_world"


class GuildBankTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        schema.load_fixture(cls.db, None, CHARS)
        migrate(cls.db, CHARS)
        load_world(cls.db, WORLD)
        cls.d = daemon(db_sections(cls.db, CHARS, WORLD)).start()
        cls.bank = Bank(cls.d.grpc_target)

    @classmethod
    def tearDownClass(cls):
        cls.bank.close()
        code = cls.d.stop()
        cls.db.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-3000:]}"
        cls.d.cleanup()

    def setUp(self):
        seed_guild(self.db, CHARS)

    # -- helpers --------------------------------------------------------------
    def money(self, guild=GUILD):
        return self.db.query(CHARS, "SELECT BankMoney FROM guild WHERE guildid = %s", (guild,))[0][0]

    def withdrawn(self, guid, column="money"):
        rows = self.db.query(CHARS, f"SELECT {column} FROM guild_member_withdraw WHERE guid = %s",
                             (guid,))
        return rows[0][0] if rows else 0

    def slots(self, tab=0):
        return {s: (g, e, c) for s, g, e, c in self.db.query(
            CHARS, "SELECT b.SlotId, i.guid, i.itemEntry, i.count FROM guild_bank_item b "
                   "JOIN item_instance i ON i.guid = b.item_guid WHERE b.guildid = %s AND "
                   "b.TabId = %s", (GUILD, tab))}

    def buy_tabs(self, n=2):
        for tab in range(n):
            self.assertEqual(self.bank.call("BuyGuildBankTab", memberGUID=GM, tabID=tab).status, OK)
            grant_tab(self.db, CHARS, tab)

    def unchanged(self, fn):
        before = snapshot(self.db, CHARS)
        result = fn()
        self.assertEqual(snapshot(self.db, CHARS), before)
        return result

    # -- money ------------------------------------------------------------------
    def test_deposit_withdraw_and_rollback_money(self):
        r = self.bank.call("DepositGuildBankMoney", memberGUID=MEMBER, amount=5000)
        self.assertEqual((r.status, self.money()), (OK, 5000))
        self.assertGreater(r.logGUID, 0)
        w = self.bank.call("WithdrawGuildBankMoney", memberGUID=OFFICER, amount=300)
        self.assertEqual((w.status, self.money(), self.withdrawn(OFFICER)), (OK, 4700, 300))
        self.assertNotEqual(w.logGUID, r.logGUID)
        rb = self.bank.call("RollbackGuildBankMoneyWithdraw", memberGUID=OFFICER, amount=300,
                            logGUID=w.logGUID)
        self.assertEqual((rb.status, self.money(), self.withdrawn(OFFICER)), (OK, 5000, 0))
        # a second rollback of the same withdraw: OK and nothing more
        again = self.unchanged(lambda: self.bank.call(
            "RollbackGuildBankMoneyWithdraw", memberGUID=OFFICER, amount=300, logGUID=w.logGUID))
        self.assertEqual(again.status, OK)

    def test_money_refusals_change_nothing(self):
        self.bank.call("DepositGuildBankMoney", memberGUID=GM, amount=2000)
        cases = [(MEMBER, 10, NO_RIGHTS), (OFFICER, 1001, LIMIT), (GM, 2001, NO_MONEY),
                 (STRANGER, 10, NOT_IN_GUILD), (OUTSIDER, 10, NOT_IN_GUILD)]
        for member, amount, status in cases:
            with self.subTest(member=member):
                r = self.unchanged(lambda: self.bank.call("WithdrawGuildBankMoney",
                                                          memberGUID=member, amount=amount))
                self.assertEqual(r.status, status)
        self.bank.call("WithdrawGuildBankMoney", memberGUID=OFFICER, amount=800)
        r = self.unchanged(lambda: self.bank.call("WithdrawGuildBankMoney", memberGUID=OFFICER,
                                                  amount=201))
        self.assertEqual(r.status, LIMIT)
        r = self.unchanged(lambda: self.bank.call("DepositGuildBankMoney", guild=99, memberGUID=GM,
                                                  amount=1))
        self.assertNotEqual(r.status, OK)

    def test_rollback_of_an_unknown_withdraw_is_not_found(self):
        self.bank.call("DepositGuildBankMoney", memberGUID=GM, amount=2000)
        w = self.bank.call("WithdrawGuildBankMoney", memberGUID=OFFICER, amount=100)
        for fields in ({"logGUID": w.logGUID + 50, "amount": 100},
                       {"logGUID": w.logGUID, "amount": 99}):
            with self.subTest(**fields):
                code, msg = self.unchanged(lambda: self.bank.error(
                    "RollbackGuildBankMoneyWithdraw", memberGUID=OFFICER, **fields))
                self.assertEqual(code, grpc.StatusCode.NOT_FOUND, msg)

    def test_retried_money_calls_with_a_key_apply_once(self):
        first = self.bank.call("DepositGuildBankMoney", key="dep-1", memberGUID=MEMBER, amount=700)
        second = self.bank.call("DepositGuildBankMoney", key="dep-1", memberGUID=MEMBER, amount=700)
        self.assertEqual((first.logGUID, self.money()), (second.logGUID, 700))
        w1 = self.bank.call("WithdrawGuildBankMoney", key="wd-1", memberGUID=OFFICER, amount=200)
        w2 = self.bank.call("WithdrawGuildBankMoney", key="wd-1", memberGUID=OFFICER, amount=200)
        self.assertEqual((w1.logGUID, self.money(), self.withdrawn(OFFICER)), (w2.logGUID, 500, 200))
        # without a key each call is its own deposit
        self.bank.call("DepositGuildBankMoney", memberGUID=MEMBER, amount=1)
        self.bank.call("DepositGuildBankMoney", memberGUID=MEMBER, amount=1)
        self.assertEqual(self.money(), 502)

    # -- tabs -------------------------------------------------------------------
    def test_tabs_are_bought_in_order_by_the_guild_master(self):
        r = self.unchanged(lambda: self.bank.call("BuyGuildBankTab", memberGUID=OFFICER, tabID=0))
        self.assertEqual(r.status, NO_RIGHTS)
        r = self.bank.call("BuyGuildBankTab", memberGUID=GM, tabID=0)
        self.assertEqual((r.status, r.tabCost), (OK, 100 * 10000))
        for tab in (0, 2):
            with self.subTest(tab=tab):
                r = self.unchanged(lambda: self.bank.call("BuyGuildBankTab", memberGUID=GM, tabID=tab))
                self.assertEqual((r.status, r.tabCost), (BAD_TAB, 0))
        self.assertEqual(self.bank.call("BuyGuildBankTab", memberGUID=GM, tabID=1).tabCost,
                         250 * 10000)
        rights = self.db.query(CHARS, "SELECT rid, gbright FROM guild_bank_right WHERE "
                                      "guildid = %s AND TabId = 1 ORDER BY rid", (GUILD,))
        self.assertEqual(rights, [(0, 255), (1, 0), (2, 0)])

    def test_tab_name_icon_and_text(self):
        self.buy_tabs(1)
        r = self.bank.call("UpdateGuildBankTab", memberGUID=OFFICER, tabID=0, name="x", icon="y")
        self.assertEqual(r.status, NO_RIGHTS)
        r = self.bank.call("UpdateGuildBankTab", memberGUID=GM, tabID=0, name="Mats", icon="INV_1")
        self.assertEqual(r.status, OK)
        self.assertEqual(self.bank.call("SetGuildBankTabText", memberGUID=OFFICER, tabID=0,
                                        text="no").status, NO_RIGHTS)
        self.assertEqual(self.bank.call("SetGuildBankTabText", memberGUID=GM, tabID=0,
                                        text="Raid mats <only>").status, OK)
        t = self.bank.call("GetGuildBankTabText", memberGUID=MEMBER, tabID=0)
        self.assertEqual((t.status, t.text), (OK, "Raid mats <only>"))
        g = self.bank.call("GetGuildBank", memberGUID=MEMBER, tabID=0, fullUpdate=True)
        self.assertEqual([(x.tabID, x.name, x.icon) for x in g.tabs], [(0, "Mats", "INV_1")])
        code, _ = self.unchanged(lambda: self.bank.error("UpdateGuildBankTab", memberGUID=GM,
                                                         tabID=0, name="x" * 17))
        self.assertEqual(code, INVALID)
        self.assertEqual(self.bank.call("SetGuildBankTabText", memberGUID=GM, tabID=3,
                                        text="t").status, BAD_TAB)

    # -- items --------------------------------------------------------------------
    def test_deposit_stacks_merges_and_replays(self):
        self.buy_tabs(1)
        r = self.bank.call("DepositGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=5,
                           item=item(1001, count=5))
        self.assertEqual((r.status, r.item.slot, list(r.changedSlots)), (OK, 5, [5]))
        r = self.bank.call("DepositGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=5,
                           item=item(1002, count=10))
        self.assertEqual((r.status, r.item.itemGUID, r.item.count), (OK, 1001, 15))
        r = self.bank.call("DepositGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=5,
                           item=item(1003, count=10))  # 25 > 20: the first free slot
        self.assertEqual((r.status, r.item.slot), (OK, 0))
        self.assertEqual(self.slots(), {5: (1001, LINEN, 15), 0: (1003, LINEN, 10)})
        replay = self.unchanged(lambda: self.bank.call(
            "DepositGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=5, item=item(1003, count=10)))
        self.assertEqual((replay.status, replay.item.slot), (OK, 0))
        self.assertEqual(self.db.query(CHARS, "SELECT COUNT(*) FROM item_instance WHERE guid = 1002"),
                         [(0,)])  # merged away

    def test_item_refusals_change_nothing(self):
        self.buy_tabs(1)
        self.db.execute(CHARS, "INSERT INTO item_instance (guid, itemEntry, owner_guid, count, "
                               "enchantments) VALUES (4242, %s, %s, 1, '')", (LINEN, OFFICER))
        cases = [("member has no put right", dict(memberGUID=MEMBER, item=item(1100)), NO_RIGHTS),
                 ("tab not bought", dict(memberGUID=GM, tabID=1, item=item(1101)), BAD_TAB),
                 ("not in the guild", dict(memberGUID=STRANGER, item=item(1102)), NOT_IN_GUILD),
                 ("another player's item", dict(memberGUID=GM, item=item(4242)), FAILED)]
        for what, fields, status in cases:
            with self.subTest(what):
                fields.setdefault("tabID", 0)
                r = self.unchanged(lambda: self.bank.call("DepositGuildBankItem", slotID=0, **fields))
                self.assertEqual(r.status, status)
        self.bank.call("DepositGuildBankItem", memberGUID=GM, tabID=0, slotID=0, item=item(1200))
        r = self.unchanged(lambda: self.bank.call("WithdrawGuildBankItem", memberGUID=MEMBER,
                                                  tabID=0, slotID=0, count=1))
        self.assertEqual(r.status, LIMIT)  # the member may view but take 0 a day
        r = self.unchanged(lambda: self.bank.call("WithdrawGuildBankItem", memberGUID=GM,
                                                  tabID=0, slotID=7, count=1))
        self.assertEqual(r.status, NO_ITEM)

    def test_other_guilds_item_is_refused(self):
        self.buy_tabs(1)
        self.db.execute(CHARS, "INSERT INTO guild_bank_tab (guildid, TabId) VALUES (%s, 0)",
                        (OTHER_GUILD,))
        r = self.bank.call("DepositGuildBankItem", guild=OTHER_GUILD, memberGUID=STRANGER, tabID=0,
                           slotID=0, item=item(1300))
        self.assertEqual(r.status, OK)
        r = self.unchanged(lambda: self.bank.call("DepositGuildBankItem", memberGUID=GM, tabID=0,
                                                  slotID=0, item=item(1300)))
        self.assertEqual(r.status, FAILED)

    def test_a_keyed_refusal_is_replayed_as_the_same_refusal(self):
        self.buy_tabs(1)
        self.db.execute(CHARS, "INSERT INTO guild_bank_item (guildid, TabId, SlotId, item_guid) "
                               "VALUES " + ", ".join(f"({GUILD}, 0, {s}, {5000 + s})" for s in range(98)))
        r = self.bank.call("DepositGuildBankItem", key="full-1", memberGUID=GM, tabID=0, slotID=0,
                           item=item(1700, HEARTH))
        self.assertEqual(r.status, FULL)  # the gateway gives the item back to the player...
        self.db.execute(CHARS, "DELETE FROM guild_bank_item WHERE guildid = %s AND SlotId = 3",
                        (GUILD,))
        again = self.unchanged(lambda: self.bank.call(  # ...so a late retry must not bank it
            "DepositGuildBankItem", key="full-1", memberGUID=GM, tabID=0, slotID=0,
            item=item(1700, HEARTH)))
        self.assertEqual(again.status, FULL)

    def test_partial_withdraw_takes_a_new_guid_and_rolls_back_once(self):
        self.buy_tabs(1)
        self.bank.call("DepositGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=0,
                       item=item(1001, count=15))
        w = self.bank.call("WithdrawGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=0, count=5)
        self.assertEqual((w.status, w.item.count, w.item.entry), (OK, 5, LINEN))
        self.assertNotIn(w.item.itemGUID, (0, 1001))
        self.assertEqual(self.slots(), {0: (1001, LINEN, 10)})
        self.assertEqual(self.withdrawn(OFFICER, "tab0"), 1)
        owner = self.db.query(CHARS, "SELECT owner_guid, count FROM item_instance WHERE guid = %s",
                              (w.item.itemGUID,))
        self.assertEqual(owner, [(OFFICER, 5)])
        rb = self.bank.call("RollbackGuildBankItemWithdraw", memberGUID=OFFICER, tabID=0, slotID=0,
                            item=w.item, logGUID=w.logGUID)
        self.assertEqual((rb.status, self.slots()), (OK, {0: (1001, LINEN, 15)}))
        self.assertEqual(self.withdrawn(OFFICER, "tab0"), 0)
        again = self.unchanged(lambda: self.bank.call(
            "RollbackGuildBankItemWithdraw", memberGUID=OFFICER, tabID=0, slotID=0, item=w.item,
            logGUID=w.logGUID))
        self.assertEqual(again.status, OK)

    def test_full_withdraw_limit_and_keyed_retry(self):
        self.buy_tabs(1)
        for guid, slot in ((1401, 0), (1402, 1), (1403, 2)):
            self.bank.call("DepositGuildBankItem", memberGUID=GM, tabID=0, slotID=slot,
                           item=item(guid, HEARTH))
        w1 = self.bank.call("WithdrawGuildBankItem", key="w-1", memberGUID=OFFICER, tabID=0,
                            slotID=0, count=1)
        w1b = self.bank.call("WithdrawGuildBankItem", key="w-1", memberGUID=OFFICER, tabID=0,
                             slotID=0, count=1)
        self.assertEqual((w1.status, w1.item.itemGUID), (OK, 1401))
        self.assertEqual((w1b.item.itemGUID, w1b.logGUID), (1401, w1.logGUID))
        self.assertEqual(self.withdrawn(OFFICER, "tab0"), 1)
        self.assertEqual(self.bank.call("WithdrawGuildBankItem", memberGUID=OFFICER, tabID=0,
                                        slotID=1).status, OK)
        self.assertEqual(self.bank.call("WithdrawGuildBankItem", memberGUID=OFFICER, tabID=0,
                                        slotID=2).status, LIMIT)
        self.assertEqual(self.slots(), {2: (1403, HEARTH, 1)})

    def test_moves_swap_split_and_merge(self):
        self.buy_tabs(2)
        bank = self.bank
        bank.call("DepositGuildBankItem", memberGUID=GM, tabID=0, slotID=0, item=item(1501, count=12))
        bank.call("DepositGuildBankItem", memberGUID=GM, tabID=0, slotID=1, item=item(1502, HEARTH))
        r = bank.call("MoveGuildBankItem", memberGUID=GM, sourceTabID=0, sourceSlotID=0,
                      destinationTabID=0, destinationSlotID=1)  # swap
        self.assertEqual(r.status, OK)
        self.assertEqual(self.slots(), {0: (1502, HEARTH, 1), 1: (1501, LINEN, 12)})
        r = bank.call("MoveGuildBankItem", memberGUID=GM, sourceTabID=0, sourceSlotID=1,
                      destinationTabID=0, destinationSlotID=3, count=4)  # split
        self.assertEqual((r.status, r.item.count), (OK, 4))
        split_guid = r.item.itemGUID
        self.assertEqual(self.slots()[3], (split_guid, LINEN, 4))
        r = bank.call("MoveGuildBankItem", memberGUID=GM, sourceTabID=0, sourceSlotID=3,
                      destinationTabID=0, destinationSlotID=1)  # merge back
        self.assertEqual((r.status, r.item.count), (OK, 12))
        self.assertEqual(self.slots(), {0: (1502, HEARTH, 1), 1: (1501, LINEN, 12)})
        r = bank.call("MoveGuildBankItem", memberGUID=GM, sourceTabID=0, sourceSlotID=1,
                      destinationTabID=1, destinationSlotID=0)  # to another tab
        self.assertEqual(r.status, OK)
        self.assertEqual(self.slots(1), {0: (1501, LINEN, 12)})
        r = bank.call("MoveGuildBankItem", memberGUID=GM, sourceTabID=0, sourceSlotID=0,
                      destinationTabID=1, destinationSlotID=0, count=1)
        self.assertEqual(r.status, OK)  # the whole hearthstone onto linen: a swap
        self.assertEqual((self.slots(0), self.slots(1)),
                         ({0: (1501, LINEN, 12)}, {0: (1502, HEARTH, 1)}))
        r = self.unchanged(lambda: bank.call("MoveGuildBankItem", memberGUID=GM, sourceTabID=0,
                                             sourceSlotID=0, destinationTabID=1,
                                             destinationSlotID=0, count=5))
        self.assertEqual(r.status, FAILED)  # part of a stack onto another item
        r = self.unchanged(lambda: bank.call("MoveGuildBankItem", memberGUID=MEMBER, sourceTabID=0,
                                             sourceSlotID=0, destinationTabID=0,
                                             destinationSlotID=5))
        self.assertEqual(r.status, NO_RIGHTS)

    def test_bank_view_and_log(self):
        self.buy_tabs(1)
        self.bank.call("DepositGuildBankMoney", memberGUID=GM, amount=1234)
        self.bank.call("DepositGuildBankItem", memberGUID=OFFICER, tabID=0, slotID=2,
                       item=item(1601, count=3))
        g = self.bank.call("GetGuildBank", memberGUID=OFFICER, tabID=0, fullUpdate=True)
        self.assertEqual((g.status, g.money, g.withdrawalsRemaining), (OK, 1234, 2))
        self.assertEqual([(i.slot, i.itemGUID, i.count) for i in g.items], [(2, 1601, 3)])
        self.assertEqual(self.bank.call("GetGuildBank", memberGUID=GM, tabID=0).withdrawalsRemaining, -1)
        items_log = self.bank.call("GetGuildBankLog", memberGUID=MEMBER, tabID=0)
        self.assertEqual([(e.playerGUID, e.entryType, e.itemID, e.count) for e in items_log.entries],
                         [(OFFICER, 1, LINEN, 3)])
        money_log = self.bank.call("GetGuildBankLog", memberGUID=MEMBER, tabID=100)
        self.assertEqual([(e.entryType, e.money) for e in money_log.entries][0], (4, 1234))
        self.assertEqual(self.bank.call("GetGuildBank", memberGUID=STRANGER, tabID=0).status,
                         NOT_IN_GUILD)

    # -- bad input ----------------------------------------------------------------
    def test_bad_input_is_invalid_argument_and_changes_nothing(self):
        self.buy_tabs(1)
        cases = [("DepositGuildBankMoney", dict(memberGUID=GM, amount=0)),
                 ("DepositGuildBankMoney", dict(guild=0, memberGUID=GM, amount=1)),
                 ("DepositGuildBankMoney", dict(guild=1 << 33, memberGUID=GM, amount=1)),
                 ("DepositGuildBankMoney", dict(memberGUID=(2 << 32) | GM, amount=1)),
                 ("DepositGuildBankMoney", dict(memberGUID=0, amount=1)),
                 ("DepositGuildBankMoney", dict(realm=7, memberGUID=GM, amount=1)),
                 ("WithdrawGuildBankItem", dict(memberGUID=GM, tabID=6, slotID=0)),
                 ("WithdrawGuildBankItem", dict(memberGUID=GM, tabID=0, slotID=98)),
                 ("DepositGuildBankItem", dict(memberGUID=GM, tabID=0, slotID=0, item=item(0))),
                 ("DepositGuildBankItem", dict(memberGUID=GM, tabID=0, slotID=0)),
                 ("DepositGuildBankItem", dict(memberGUID=GM, tabID=0, slotID=0,
                                               item=item(1 << 33))),
                 ("RollbackGuildBankMoneyWithdraw", dict(memberGUID=GM, amount=5, logGUID=0)),
                 ("MoveGuildBankItem", dict(memberGUID=GM, sourceTabID=0, sourceSlotID=1,
                                            destinationTabID=0, destinationSlotID=1)),
                 ("SetGuildBankTabText", dict(memberGUID=GM, tabID=0, text="x" * 501)),
                 ("GetGuildBankLog", dict(memberGUID=GM, tabID=7))]
        for method, fields in cases:
            with self.subTest(method=method, fields=fields):
                code, msg = self.unchanged(lambda: self.bank.error(method, **fields))
                self.assertEqual(code, INVALID, msg)
                self.assertTrue(msg)
        code, msg = self.unchanged(lambda: self.bank.error(
            "DepositGuildBankMoney", key="bad key!", memberGUID=GM, amount=1))
        self.assertEqual(code, INVALID, msg)


if __name__ == "__main__":
    unittest.main()
