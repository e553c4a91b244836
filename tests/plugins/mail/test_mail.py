"""MailService against real MariaDB, nats-server and stratusd with grpcio:
every RPC's success and error classes, mail.incoming as ToCloud9's gateway
decodes it, idempotent Send and claim-once takes. A refused call leaves the
database exactly as it was."""

import time
import unittest

import grpc

import mailenv as me
from mailenv import pb
from natsclient import NatsClient

OK = grpc.StatusCode.OK
ALICE, BOB, CAROL = 1, 2, 3


class MailCase(unittest.TestCase):
    KIND = "fixture"
    next_item = 5000

    @classmethod
    def setUpClass(cls):
        if cls.KIND == "real" and not me.schema.azerothcore_dir():
            raise unittest.SkipTest("no ../shared/azerothcore (the real AzerothCore schema)")
        cls.w = me.World(cls.KIND)
        try:
            cls.d = cls.w.daemon()
        except BaseException:
            cls.w.stop()
            raise
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.stub = me.pbg.MailServiceStub(cls.channel)
        cls.gw = NatsClient(cls.w.nats.url, name="fake-gateway")
        cls.gw.subscribe("mail.incoming")
        cls.gw.flush()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.gw.close()
        code = cls.d.stop()
        cls.w.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}"
        cls.d.cleanup()

    def setUp(self):
        self.gw.drain_messages(0.05)

    # -- helpers ------------------------------------------------------------------------
    def items(self, owner, n=1, realm=1):
        out = []
        for _ in range(n):
            MailCase.next_item += 1
            self.w.add_item(realm, MailCase.next_item, owner)
            out.append(MailCase.next_item)
        return out

    def call(self, method, key=None, **fields):
        request = getattr(pb, {"MailByID": "MailByIDRequest"}.get(method, method + "Request"))(
            **fields)
        return me.call(self.stub, method, request, key)

    def ok(self, method, key=None, **fields):
        code, resp = self.call(method, key, **fields)
        self.assertEqual(code, OK, resp)
        return resp

    def refused(self, method, code, text, realm=1, key=None, **fields):
        """The call fails with `code` and a message containing `text`, and changes nothing."""
        before = self.w.snapshot(realm)
        got, details = self.call(method, key, **fields)
        self.assertEqual(got, code, details)
        self.assertIn(text, details)
        self.assertEqual(self.w.snapshot(realm), before)
        return details

    def send(self, sender=ALICE, receiver=BOB, items=(), money=0, cod=0, key=None, realm=1, **kw):
        fields = dict(realmID=realm, senderGuid=sender, receiverGuid=receiver, subject="Hi",
                      body="Body text", moneyToSend=money, cashOnDelivery=cod,
                      attachments=[me.item(g) for g in items], stationery=pb.StDefault)
        fields.update(kw)
        return self.ok("Send", key, **fields).mailID

    def mail_row(self, mail_id, realm=1):
        rows = self.w.q(realm, "SELECT sender, receiver, money, cod, checked, has_items "
                               "FROM mail WHERE id = %s", (mail_id,))
        return rows[0] if rows else None

    # -- Send and reads -------------------------------------------------------------------
    def test_send_reads_and_event(self):
        items = self.items(ALICE, 2)
        now = int(time.time())
        mail_id = self.send(items=items, money=1500)
        self.assertGreater(mail_id, 0)
        got = me.incoming(self.gw, 1)
        self.assertEqual(len(got), 1)
        env, raw = got[0]
        self.assertEqual(env["t"], 1)
        self.assertEqual(list(raw["p"].keys()), me.INCOMING_KEYS)
        p = env["p"]
        self.assertEqual((p["RealmID"], p["SenderGUID"], p["ReceiverGUID"], p["MailID"]),
                         (1, ALICE, BOB, mail_id))
        for k in me.INCOMING_KEYS:
            self.assertIs(type(p[k]), int, k)
        # delivery_delay (5 s) and default_expiry (30 days) when the caller gives none
        self.assertTrue(now + 4 <= p["DeliveryTimestamp"] <= now + 7, p)
        mail = self.ok("MailByID", realmID=1, mailID=mail_id).mail
        self.assertEqual((mail.id, mail.sender, mail.receiverGuid, mail.moneyToSend),
                         (mail_id, ALICE, BOB, 1500))
        self.assertEqual((mail.subject, mail.body, mail.stationery), ("Hi", "Body text",
                                                                      pb.StDefault))
        self.assertTrue(now + 30 * 86400 - 2 <= mail.expirationTimestamp <= now + 30 * 86400 + 2)
        self.assertEqual(sorted(a.guid for a in mail.attachments), items)
        a = mail.attachments[0]
        self.assertEqual((a.entry, a.count, a.charges, a.durability, a.flags, a.text),
                         (100, 1, 3, 55, 1, "hello"))
        # the items now belong to the receiver, as AzerothCore keeps mailed items
        owners = self.w.q(1, "SELECT DISTINCT owner_guid FROM item_instance WHERE guid IN "
                             "(%s, %s)", tuple(items))
        self.assertEqual(owners, ((BOB,),))
        mails = self.ok("MailsForPlayer", realmID=1, playerGuid=BOB).mails
        self.assertIn(mail_id, [m.id for m in mails])
        listed = [m for m in mails if m.id == mail_id][0]
        self.assertEqual(len(listed.attachments), 2)

    def test_explicit_times_and_types(self):
        t = int(time.time()) + 100
        mail_id = self.send(sender=7, receiver=CAROL, type=pb.Creature, deliveryTimestamp=t,
                            expirationTimestamp=t + 1000, templateID=3, flagsMask=0x10)
        mail = self.ok("MailByID", realmID=1, mailID=mail_id).mail
        self.assertEqual((mail.deliveryTimestamp, mail.expirationTimestamp, mail.type,
                          mail.templateID, mail.flags, mail.sender),
                         (t, t + 1000, pb.Creature, 3, 0x10, 7))

    def test_mail_for_player_is_per_realm(self):
        m2 = self.send(realm=2, sender=CAROL, receiver=ALICE, money=7)
        self.assertEqual(self.w.q(2, "SELECT money FROM mail WHERE id = %s", (m2,)), ((7,),))
        self.assertEqual(self.w.q(1, "SELECT COUNT(*) FROM mail WHERE sender = %s AND money = 7",
                                  (CAROL,)), ((0,),))
        ids2 = [m.id for m in self.ok("MailsForPlayer", realmID=2, playerGuid=ALICE).mails]
        self.assertIn(m2, ids2)
        self.assertNotIn((CAROL, 7), [(m.sender, m.moneyToSend) for m in self.ok(
            "MailsForPlayer", realmID=1, playerGuid=ALICE).mails])
        # realm-scoped GUID of the same realm is the same character
        ids = [m.id for m in self.ok("MailsForPlayer", realmID=2, playerGuid=2 << 32 | ALICE).mails]
        self.assertEqual(ids, ids2)
        self.assertEqual(len(self.ok("MailsForPlayer", realmID=1, playerGuid=99).mails), 0)

    # -- exactly-once Send ------------------------------------------------------------------
    def test_send_with_key_is_idempotent(self):
        first = self.send(money=10, key="gw1-send-1")
        self.gw.drain_messages(0.2)
        again = self.send(money=10, key="gw1-send-1")
        self.assertEqual(again, first)
        self.assertEqual(self.w.q(1, "SELECT COUNT(*) FROM mail WHERE id = %s", (first,)), ((1,),))
        self.assertEqual(me.incoming(self.gw, 1, timeout=0.5), [])  # no second notification
        self.assertNotEqual(self.send(money=10, key="gw1-send-2"), first)

    def test_send_key_from_items(self):
        items = self.items(ALICE, 3)
        first = self.send(items=items)
        self.assertEqual(self.send(items=list(reversed(items))), first)
        self.assertEqual(self.w.q(1, "SELECT COUNT(*) FROM mail_items WHERE mail_id = %s",
                                  (first,)), ((3,),))
        # once the receiver took every item, the same items may be mailed again
        for it in items:
            self.ok("RemoveMailItem", realmID=1, playerGuid=BOB, mailID=first, itemGuid=it)
        self.w.x(1, "UPDATE item_instance SET owner_guid = %s WHERE guid IN (%s, %s, %s)",
                 (ALICE, *items))
        again = self.send(items=items)
        self.assertNotEqual(again, first)
        self.assertEqual(self.send(items=items), again)

    def test_item_in_at_most_one_mail(self):
        items = self.items(ALICE, 2)
        self.send(items=items[:1])
        self.refused("Send", grpc.StatusCode.FAILED_PRECONDITION, "already attached",
                     realmID=1, senderGuid=ALICE, receiverGuid=BOB, attachments=[
                         me.item(items[1]), me.item(items[0])])

    # -- bad input ------------------------------------------------------------------------------
    def test_send_bad_input(self):
        mine, theirs = self.items(ALICE)[0], self.items(CAROL)[0]
        base = dict(realmID=1, senderGuid=ALICE, receiverGuid=BOB)
        INVALID = grpc.StatusCode.INVALID_ARGUMENT
        cases = [
            (INVALID, "unknown realm 9", dict(base, realmID=9)),
            (INVALID, "unknown realm 0", dict(base, realmID=0)),
            (grpc.StatusCode.NOT_FOUND, "receiver 77 not found", dict(base, receiverGuid=77)),
            (grpc.StatusCode.NOT_FOUND, "sender 78 not found", dict(base, senderGuid=78)),
            (INVALID, "of realm 2, not of realm 1", dict(base, receiverGuid=2 << 32 | BOB)),
            (INVALID, "not a character GUID", dict(base, receiverGuid=0)),
            (INVALID, "not a character GUID", dict(base, receiverGuid=1 << 50)),
            (INVALID, "must not be negative", dict(base, moneyToSend=-1)),
            (INVALID, "must not be negative", dict(base, moneyToSend=-2**31)),
            (INVALID, "must not be negative", dict(base, cashOnDelivery=-5,
                                                   attachments=[me.item(mine)])),
            (INVALID, "needs at least one attached item", dict(base, cashOnDelivery=5)),
            (INVALID, "not an item GUID", dict(base, attachments=[me.item(2**32)])),
            (INVALID, "attached twice", dict(base, attachments=[me.item(mine), me.item(mine)])),
            (INVALID, "at most 12", dict(base, attachments=[me.item(i) for i in range(1, 14)])),
            (INVALID, "not a unix time", dict(base, deliveryTimestamp=-3)),
            (INVALID, "not a unix time", dict(base, expirationTimestamp=2**40)),
            (INVALID, "limited to", dict(base, body="x" * 9000)),
            (grpc.StatusCode.FAILED_PRECONDITION, "is not the sender's",
             dict(base, attachments=[me.item(theirs)])),
            (grpc.StatusCode.FAILED_PRECONDITION, "does not exist",
             dict(base, attachments=[me.item(4_000_000)])),
        ]
        for code, text, fields in cases:
            with self.subTest(text=text, fields=fields):
                self.refused("Send", code, text, **fields)
        self.refused("Send", INVALID, "x-idempotency-key is", key="k" * 300, **base)

    # -- MarkAsReadForPlayer ------------------------------------------------------------------
    def test_mark_as_read(self):
        mail_id = self.send()
        self.ok("MarkAsReadForPlayer", realmID=1, playerGuid=BOB, mailID=mail_id)
        self.assertEqual(self.mail_row(mail_id)[4] & me.READ, me.READ)
        other = self.send()
        self.refused("MarkAsReadForPlayer", grpc.StatusCode.PERMISSION_DENIED,
                     "not addressed to player 3", realmID=1, playerGuid=CAROL, mailID=other)
        self.refused("MarkAsReadForPlayer", grpc.StatusCode.NOT_FOUND, "mail 9999999 not found",
                     realmID=1, playerGuid=BOB, mailID=9999999)
        self.refused("MarkAsReadForPlayer", grpc.StatusCode.INVALID_ARGUMENT, "not a mail ID",
                     realmID=1, playerGuid=BOB, mailID=-4)

    # -- RemoveMailItem ---------------------------------------------------------------------------
    def test_remove_item_claims_once(self):
        items = self.items(ALICE, 2)
        mail_id = self.send(items=items)
        self.ok("RemoveMailItem", key="take-1", realmID=1, playerGuid=BOB, mailID=mail_id,
                itemGuid=items[0])
        self.assertEqual(self.w.q(1, "SELECT item_guid FROM mail_items WHERE mail_id = %s",
                                  (mail_id,)), ((items[1],),))
        self.assertEqual(self.mail_row(mail_id)[5], 1)
        # the same call again (a retry): the first answer; another call: refused
        self.ok("RemoveMailItem", key="take-1", realmID=1, playerGuid=BOB, mailID=mail_id,
                itemGuid=items[0])
        self.refused("RemoveMailItem", grpc.StatusCode.FAILED_PRECONDITION, "already taken",
                     realmID=1, playerGuid=BOB, mailID=mail_id, itemGuid=items[0])
        self.refused("RemoveMailItem", grpc.StatusCode.PERMISSION_DENIED, "not addressed",
                     realmID=1, playerGuid=CAROL, mailID=mail_id, itemGuid=items[1])
        self.refused("RemoveMailItem", grpc.StatusCode.FAILED_PRECONDITION, "not attached",
                     realmID=1, playerGuid=BOB, mailID=mail_id, itemGuid=12345678)
        self.refused("RemoveMailItem", grpc.StatusCode.INVALID_ARGUMENT, "not an item GUID",
                     realmID=1, playerGuid=BOB, mailID=mail_id, itemGuid=2**33)
        self.refused("RemoveMailItem", grpc.StatusCode.NOT_FOUND, "not found",
                     realmID=1, playerGuid=BOB, mailID=88888888, itemGuid=items[1])
        # without playerGuid there is no receiver check (ToCloud9's optional field)
        self.ok("RemoveMailItem", realmID=1, mailID=mail_id, itemGuid=items[1])
        self.assertEqual(self.mail_row(mail_id)[5], 0)

    def test_cod_payback_once(self):
        items = self.items(ALICE, 2)
        mail_id = self.send(items=items, cod=700)
        self.gw.drain_messages(0.2)
        for it in items:
            self.ok("RemoveMailItem", realmID=1, playerGuid=BOB, mailID=mail_id, itemGuid=it,
                    handleCashOnDelivery=True)
        paybacks = self.w.q(1, "SELECT id, sender, receiver, money, checked FROM mail "
                               "WHERE receiver = %s AND checked = %s AND sender = %s",
                            (ALICE, me.COD_PAYMENT, BOB))
        mine = [r for r in paybacks if r[3] == 700]
        self.assertEqual(len(mine), 1, paybacks)
        self.assertEqual(self.mail_row(mail_id)[3], 0)  # the COD is settled
        got = me.incoming(self.gw, 2, timeout=1)
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0][0]["p"]["ReceiverGUID"], got[0][0]["p"]["MailID"]),
                         (ALICE, mine[0][0]))

    # -- RemoveMailMoney -----------------------------------------------------------------------------
    def test_remove_money_claims_once(self):
        mail_id = self.send(money=2**31 - 1)
        r = self.ok("RemoveMailMoney", key="money-1", realmID=1, playerGuid=BOB, mailID=mail_id)
        self.assertEqual(r.moneyRemoved, 2**31 - 1)
        self.assertEqual(self.mail_row(mail_id)[2], 0)
        r = self.ok("RemoveMailMoney", key="money-1", realmID=1, playerGuid=BOB, mailID=mail_id)
        self.assertEqual(r.moneyRemoved, 2**31 - 1)  # the retry's answer is the first one
        self.refused("RemoveMailMoney", grpc.StatusCode.FAILED_PRECONDITION, "already taken",
                     realmID=1, playerGuid=BOB, mailID=mail_id)
        self.refused("RemoveMailMoney", grpc.StatusCode.FAILED_PRECONDITION, "already taken",
                     key="money-2", realmID=1, playerGuid=BOB, mailID=mail_id)
        empty = self.send()
        self.assertEqual(self.ok("RemoveMailMoney", realmID=1, playerGuid=BOB,
                                 mailID=empty).moneyRemoved, 0)
        other = self.send(money=5)
        self.refused("RemoveMailMoney", grpc.StatusCode.PERMISSION_DENIED, "not addressed",
                     realmID=1, playerGuid=ALICE, mailID=other)
        self.refused("RemoveMailMoney", grpc.StatusCode.INVALID_ARGUMENT, "unknown realm",
                     realmID=3, playerGuid=BOB, mailID=other)

    # -- DeleteMail ------------------------------------------------------------------------------------
    def test_delete_mail(self):
        items = self.items(ALICE, 2)
        mail_id = self.send(items=items, money=3)
        self.ok("RemoveMailItem", realmID=1, playerGuid=BOB, mailID=mail_id, itemGuid=items[0])
        self.ok("DeleteMail", realmID=1, mailID=mail_id)
        self.assertIsNone(self.mail_row(mail_id))
        self.assertEqual(self.w.q(1, "SELECT COUNT(*) FROM mail_items WHERE mail_id = %s",
                                  (mail_id,)), ((0,),))
        # the attached item is deleted with the mail; the one taken before is not
        self.assertEqual(self.w.q(1, "SELECT guid FROM item_instance WHERE guid IN (%s, %s)",
                                  tuple(items)), ((items[0],),))
        self.refused("DeleteMail", grpc.StatusCode.NOT_FOUND, "not found", realmID=1,
                     mailID=mail_id)
        self.refused("DeleteMail", grpc.StatusCode.INVALID_ARGUMENT, "not a mail ID", realmID=1,
                     mailID=0)
        self.refused("MailByID", grpc.StatusCode.NOT_FOUND, "not found", realmID=1, mailID=mail_id)


class MailRealSchemaCase(MailCase):
    """The same against AzerothCore's own characters schema."""
    KIND = "real"


class ExpiryCase(unittest.TestCase):
    """The expiry tick on both realms: expired mail without money or items is
    deleted, player mail with attachments is returned once, then deleted with
    its items at its second expiry."""

    @classmethod
    def setUpClass(cls):
        cls.w = me.World()
        try:
            cls.d = cls.w.daemon("expiry_interval = 200ms\n")
        except BaseException:
            cls.w.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.w.stop()
        assert code == 0, f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}"
        cls.d.cleanup()

    def insert(self, realm, mail_id, sender, receiver, money=0, items=(), checked=0, type_=0):
        past = int(time.time()) - 10
        self.w.x(realm, "INSERT INTO mail (id, messageType, sender, receiver, subject, body, "
                        "has_items, expire_time, deliver_time, money, cod, checked) VALUES "
                        "(%s, %s, %s, %s, 's', 'b', %s, %s, %s, %s, 0, %s)",
                 (mail_id, type_, sender, receiver, int(bool(items)), past, past - 100, money,
                  checked))
        for it in items:
            self.w.add_item(realm, it, receiver)
            self.w.x(realm, "INSERT INTO mail_items VALUES (%s, %s, %s)", (mail_id, it, receiver))

    def test_expiry_every_realm(self):
        for realm in me.REALMS:
            base = 1000 * realm
            self.insert(realm, base + 1, ALICE, BOB)                       # empty: deleted
            self.insert(realm, base + 2, ALICE, BOB, items=[base + 90])    # returned
            self.insert(realm, base + 3, ALICE, BOB, money=50)             # returned
            self.insert(realm, base + 4, 7, BOB, items=[base + 91], type_=3)  # creature: deleted
            self.insert(realm, base + 5, ALICE, BOB, items=[base + 92], checked=me.RETURNED)
        for realm in me.REALMS:
            base = 1000 * realm
            self.d.wait_for(lambda: self.w.q(realm, "SELECT COUNT(*) FROM mail WHERE expire_time"
                                                    " < UNIX_TIMESTAMP()")[0][0] == 0,
                            f"expiry on realm {realm}")
            rows = self.w.q(realm, "SELECT id, sender, receiver, checked, money FROM mail "
                                   "WHERE id BETWEEN %s AND %s ORDER BY id", (base, base + 9))
            self.assertEqual(rows, ((base + 2, BOB, ALICE, me.RETURNED, 0),
                                    (base + 3, BOB, ALICE, me.RETURNED, 50)))
            self.assertEqual(self.w.q(realm, "SELECT receiver FROM mail_items WHERE mail_id = %s",
                                      (base + 2,)), ((ALICE,),))
            self.assertEqual(self.w.q(realm, "SELECT guid, owner_guid FROM item_instance WHERE "
                                             "guid BETWEEN %s AND %s", (base + 90, base + 99)),
                             ((base + 90, ALICE),))
            # the second expiry deletes the returned mail and its item
            self.w.x(realm, "UPDATE mail SET expire_time = UNIX_TIMESTAMP() - 1 WHERE id = %s",
                     (base + 2,))
            self.d.wait_for(lambda: not self.w.q(realm, "SELECT 1 FROM mail WHERE id = %s",
                                                 (base + 2,)), "second expiry")
            self.assertEqual(self.w.q(realm, "SELECT COUNT(*) FROM item_instance WHERE guid = %s",
                                      (base + 90,)), ((0,),))
        returned = sum(self.d.metric("stratus_mail_expired_total", realm=str(r),
                                     outcome="returned") or 0 for r in me.REALMS)
        self.assertEqual(returned, 4)


if __name__ == "__main__":
    unittest.main()
