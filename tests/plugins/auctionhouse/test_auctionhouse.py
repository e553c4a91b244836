"""AuctionHouseService against real MariaDB, nats-server and stratusd with
grpcio: every RPC's success and error classes, the raw auctionhouse.* events
as ToCloud9's Go consumers decode them, settlement through mail exactly once
(outbid refunds, buyouts, cancels, expiry). A refused call changes nothing."""

import time
import unittest

import grpc

import ahenv as ae
from ahenv import pb
from natsclient import NatsClient

OK = grpc.StatusCode.OK
ALICE, BOB, CAROL = 1, 2, 3
AUCTION_MAIL = 2


class AuctionCase(unittest.TestCase):
    KIND = "fixture"
    next_item = 20_000

    @classmethod
    def setUpClass(cls):
        if cls.KIND == "real" and not ae.mailenv.schema.azerothcore_dir():
            raise unittest.SkipTest("no ../shared/azerothcore (the real AzerothCore schema)")
        cls.w = ae.World(cls.KIND)
        try:
            cls.d = cls.w.daemon("expiry_interval = 200ms\nsale_mail_delay = 2s\n")
        except BaseException:
            cls.w.stop()
            raise
        cls.channel = grpc.insecure_channel(cls.d.grpc_target)
        cls.stub = ae.pbg.AuctionHouseServiceStub(cls.channel)
        cls.mail = ae.mailpbg.MailServiceStub(cls.channel)
        cls.gw = NatsClient(cls.w.nats.url, name="fake-auctionhouse-replica")
        cls.gw.subscribe("auctionhouse.>")
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

    # -- helpers ---------------------------------------------------------------------------
    def item(self, owner, entry=2589, count=5, realm=1):
        AuctionCase.next_item += 1
        self.w.add_item(realm, AuctionCase.next_item, owner, entry=entry, count=count)
        return AuctionCase.next_item

    REQ = {"Hello": "AuctionHelloRequest", "SellItem": "AuctionSellItemRequest",
           "PlaceBid": "AuctionPlaceBidRequest", "CancelAuction": "AuctionCancelRequest",
           "ListItems": "AuctionListItemsRequest", "ListOwnerItems": "AuctionListOwnerItemsRequest",
           "ListBidderItems": "AuctionListBidderItemsRequest",
           "ListPendingSales": "AuctionListPendingSalesRequest"}

    def call(self, method, key=None, **fields):
        return ae.call(self.stub, method, getattr(pb, self.REQ[method])(**fields), key)

    def ok(self, method, key=None, **fields):
        code, resp = self.call(method, key, **fields)
        self.assertEqual(code, OK, resp)
        return resp

    def refused(self, method, code, text, realm=1, key=None, **fields):
        before = self.w.snapshot(realm)
        got, details = self.call(method, key, **fields)
        self.assertEqual(got, code, details)
        self.assertIn(text, details)
        self.assertEqual(self.w.snapshot(realm), before)

    def sell(self, seller=ALICE, entry=2589, start=100, buyout=0, deposit=10, secs=3600,
             house=7, realm=1, **kw):
        item = self.item(seller, entry, realm=realm)
        r = self.ok("SellItem", realmID=realm, playerGuid=seller, houseID=house, itemEntry=entry,
                    itemGuid=item, itemCount=5, startBid=start, buyout=buyout,
                    expireTimeSecs=secs, deposit=deposit, **kw)
        return r.auctionID, item

    def auction(self, auction_id, realm=1):
        rows = self.w.q(realm, "SELECT itemowner, buyguid, lastbid FROM auctionhouse WHERE id = %s",
                        (auction_id,))
        return rows[0] if rows else None

    def mails_to(self, receiver, realm=1, subject_like="%"):
        return self.w.q(realm, "SELECT id, sender, money, subject, body, deliver_time, messageType, "
                               "(SELECT GROUP_CONCAT(item_guid) FROM mail_items WHERE mail_id = id) "
                               "FROM mail WHERE receiver = %s AND messageType = %s AND subject LIKE %s "
                               "ORDER BY id", (receiver, AUCTION_MAIL, subject_like))

    # -- Hello, SellItem -----------------------------------------------------------------------
    def test_hello(self):
        self.assertEqual(self.ok("Hello", realmID=2, houseID=7).houseID, 7)
        code, details = self.call("Hello", realmID=5, houseID=7)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("unknown realm 5", details)

    def test_sell_lists_and_announces(self):
        auction_id, item = self.sell(entry=15427, start=500, buyout=900, deposit=40, flags=3,
                                     enchantments=[pb.AuctionEnchantment(id=1, duration=2,
                                                                         charges=3)])
        self.assertEqual(self.auction(auction_id), (ALICE, 0, 0))
        self.assertEqual(self.w.q(1, "SELECT name, item_class, quality, required_level FROM "
                                     "stratus_auction_info WHERE auction_id = %s", (auction_id,)),
                         (("Dread Blade", 2, 2, 35),))
        got = ae.raw_events(self.gw, "auctionhouse.", 1)
        self.assertEqual(len(got), 1)
        subj, ev, keys = got[0]
        self.assertEqual(subj, "auctionhouse.auction.created")
        self.assertEqual(keys, ae.CREATED_KEYS)
        self.assertEqual((ev["realm_id"], ev["auction_id"], ev["house_id"], ev["item_guid"],
                          ev["item_owner"], ev["buyout_price"], ev["start_bid"], ev["deposit"],
                          ev["item_entry"], ev["item_count"], ev["enchantments"], ev["flags"]),
                         (1, auction_id, 7, item, ALICE, 900, 500, 40, 15427, 5, "1:2:3 ", 3))
        for k in ae.CREATED_KEYS:
            self.assertIs(type(ev[k]), str if k == "enchantments" else int, k)
        # a retried sale of the same item is the same auction, announced once
        again = self.ok("SellItem", realmID=1, playerGuid=ALICE, houseID=7, itemEntry=15427,
                        itemGuid=item, itemCount=5, startBid=500, buyout=900,
                        expireTimeSecs=3600, deposit=40)
        self.assertEqual(again.auctionID, auction_id)
        self.assertEqual(ae.raw_events(self.gw, "auctionhouse.", 1, timeout=0.5), [])
        listed = self.ok("ListOwnerItems", realmID=1, playerGuid=ALICE, houseID=7).items
        mine = [a for a in listed if a.auctionID == auction_id][0]
        self.assertEqual((mine.itemEntry, mine.itemGuid, mine.buyout, mine.deposit,
                          [(e.id, e.duration, e.charges) for e in mine.enchantments]),
                         (15427, item, 900, 40, [(1, 2, 3)]))

    def test_auction_ids_unique_across_realms(self):
        a1, _ = self.sell(realm=1)
        a2, _ = self.sell(realm=2, seller=BOB)
        a3, _ = self.sell(realm=1)
        self.assertEqual(len({a1, a2, a3}), 3)

    def test_sell_bad_input(self):
        mine, theirs = self.item(ALICE), self.item(BOB)
        base = dict(realmID=1, playerGuid=ALICE, houseID=7, itemEntry=2589, itemGuid=mine,
                    itemCount=5, startBid=10, buyout=0, expireTimeSecs=3600, deposit=1)
        INVALID, PRECOND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION
        cases = [
            (INVALID, "unknown realm 4", dict(base, realmID=4)),
            (INVALID, "of realm 2, not of realm 1", dict(base, playerGuid=2 << 32 | ALICE)),
            (INVALID, "not a character GUID", dict(base, playerGuid=0)),
            (INVALID, "startBid 0", dict(base, startBid=0)),
            (INVALID, "at most buyout", dict(base, startBid=50, buyout=20)),
            (INVALID, "overflows 32-bit", dict(base, startBid=2**32 - 1, deposit=1)),
            (INVALID, "overflows 32-bit", dict(base, buyout=2**32 - 1, deposit=2**32 - 1)),
            (INVALID, "expireTimeSecs 0", dict(base, expireTimeSecs=0)),
            (INVALID, "expireTimeSecs 172801", dict(base, expireTimeSecs=172801)),
            (INVALID, "houseID 9", dict(base, houseID=9)),
            (INVALID, "do not name an item", dict(base, itemGuid=0)),
            (INVALID, "do not name an item", dict(base, itemGuid=2**32)),
            (PRECOND, "owner differs", dict(base, itemGuid=theirs)),
            (PRECOND, "no such item", dict(base, itemGuid=9_999_999)),
            (PRECOND, "is entry 2589, not 2592", dict(base, itemEntry=2592)),
            (PRECOND, "not in item_template", dict(base, itemEntry=424242)),
        ]
        for code, text, fields in cases:
            with self.subTest(text=text):
                self.refused("SellItem", code, text, **fields)
        taken, _ = self.sell()
        self.refused("SellItem", PRECOND, "already on auction", **dict(
            base, playerGuid=BOB, itemGuid=self.w.q(1, "SELECT itemguid FROM auctionhouse WHERE "
                                                       "id = %s", (taken,))[0][0]))

    # -- PlaceBid ------------------------------------------------------------------------------------
    def test_bids_refund_once(self):
        auction_id, item = self.sell(start=100, buyout=10_000)
        r = self.ok("PlaceBid", key="bob-1", realmID=1, playerGuid=BOB, houseID=7,
                    auctionID=auction_id, price=100)
        self.assertEqual((r.isBuyout, r.moneyToDeduct, r.auctionID), (False, 100, auction_id))
        self.assertEqual(self.auction(auction_id), (ALICE, BOB, 100))
        # the same call retried: the same answer, no second bid
        r = self.ok("PlaceBid", key="bob-1", realmID=1, playerGuid=BOB, houseID=7,
                    auctionID=auction_id, price=100)
        self.assertEqual(r.moneyToDeduct, 100)
        self.refused("PlaceBid", grpc.StatusCode.FAILED_PRECONDITION, "below the minimum 105",
                     realmID=1, playerGuid=CAROL, houseID=7, auctionID=auction_id, price=104)
        self.gw.drain_messages(0.2)
        r = self.ok("PlaceBid", realmID=1, playerGuid=CAROL, houseID=7, auctionID=auction_id,
                    price=105)
        self.assertEqual(r.moneyToDeduct, 105)
        refunds = self.mails_to(BOB, subject_like="%:0")
        self.assertEqual([(m[2], m[6]) for m in refunds], [(100, AUCTION_MAIL)])
        events = ae.raw_events(self.gw, "auctionhouse.", 1)
        subj, ev, keys = events[0]
        self.assertEqual(subj, "auctionhouse.bid.placed")
        self.assertEqual(keys, ae.BID_KEYS + ["old_bidder", "old_bid"])
        self.assertEqual((ev["buy_guid"], ev["last_bid"], ev["is_buyout"], ev["old_bidder"],
                          ev["old_bid"]), (CAROL, 105, False, BOB, 100))
        # raising one's own bid costs the difference and refunds nothing
        r = self.ok("PlaceBid", realmID=1, playerGuid=CAROL, houseID=7, auctionID=auction_id,
                    price=200)
        self.assertEqual(r.moneyToDeduct, 95)
        self.assertEqual(self.mails_to(CAROL, subject_like="%:0"), ())
        # the first bid event of an auction has no old bidder (omitempty)
        other, _ = self.sell(start=10)
        self.gw.drain_messages(0.2)
        self.ok("PlaceBid", realmID=1, playerGuid=BOB, houseID=7, auctionID=other, price=10)
        self.assertEqual(ae.raw_events(self.gw, "auctionhouse.bid", 1)[0][2], ae.BID_KEYS)

    def test_bid_refusals(self):
        auction_id, _ = self.sell(start=100)
        NF, PRE = grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION
        base = dict(realmID=1, playerGuid=BOB, houseID=7, auctionID=auction_id, price=100)
        self.refused("PlaceBid", PRE, "AH_BID_OWN", **dict(base, playerGuid=ALICE))
        self.refused("PlaceBid", NF, "character 77 not found", **dict(base, playerGuid=77))
        self.refused("PlaceBid", NF, "auction 99999999 not found", **dict(base, auctionID=99999999))
        self.refused("PlaceBid", NF, "in this auction house", **dict(base, houseID=2))
        self.refused("PlaceBid", grpc.StatusCode.INVALID_ARGUMENT, "price 0", **dict(base, price=0))
        self.refused("PlaceBid", grpc.StatusCode.INVALID_ARGUMENT, "unknown realm",
                     **dict(base, realmID=3))
        dep, _ = self.sell(start=100, deposit=2**31)
        self.refused("PlaceBid", grpc.StatusCode.INVALID_ARGUMENT, "overflows",
                     **dict(base, auctionID=dep, price=2**32 - 1))

    def test_buyout_settles_through_mail(self):
        auction_id, item = self.sell(start=100, buyout=1000, deposit=30)
        self.ok("PlaceBid", realmID=1, playerGuid=CAROL, houseID=7, auctionID=auction_id, price=150)
        self.gw.drain_messages(0.2)
        r = self.ok("PlaceBid", key="bob-buyout", realmID=1, playerGuid=BOB, houseID=7,
                    auctionID=auction_id, price=5000)
        self.assertEqual((r.isBuyout, r.moneyToDeduct), (True, 1000))
        self.assertIsNone(self.auction(auction_id))
        won = self.mails_to(BOB, subject_like="%:1")
        self.assertEqual([(m[2], m[7]) for m in won if m[7] == str(item)], [(0, str(item))])
        cut = 1000 * 15 // 100
        sold = [m for m in self.mails_to(ALICE, subject_like="%:2") if m[4].startswith("2:1000")]
        self.assertEqual([m[2] for m in sold], [1000 - cut + 30])
        self.assertGreater(sold[0][5], time.time())  # a pending sale until sale_mail_delay
        self.assertEqual(self.ok("ListPendingSales", realmID=1, playerGuid=ALICE).count, 1)
        refund = [m for m in self.mails_to(CAROL, subject_like="%:0") if m[2] == 150]
        self.assertEqual(len(refund), 1)
        # the buyer reads the won item through the mail plugin
        mails = ae.call(self.mail, "MailsForPlayer", ae.mailpb.MailsForPlayerRequest(
            realmID=1, playerGuid=BOB))[1].mails
        self.assertIn(item, [a.guid for m in mails for a in m.attachments])
        # a retry of the buyout answers the same and sends nothing more
        again = self.ok("PlaceBid", key="bob-buyout", realmID=1, playerGuid=BOB, houseID=7,
                        auctionID=auction_id, price=5000)
        self.assertEqual((again.isBuyout, again.moneyToDeduct), (True, 1000))
        self.assertEqual(len(self.mails_to(BOB, subject_like="%:1")), len(won))
        subjects = [e[0] for e in ae.raw_events(self.gw, "auctionhouse.", 1)]
        self.assertEqual(subjects, ["auctionhouse.bid.placed"])
        time.sleep(2.2)
        self.assertEqual(self.ok("ListPendingSales", realmID=1, playerGuid=ALICE).count, 0)

    # -- CancelAuction -----------------------------------------------------------------------------------
    def test_cancel(self):
        auction_id, item = self.sell(start=100, house=1)
        self.ok("PlaceBid", realmID=1, playerGuid=BOB, houseID=1, auctionID=auction_id, price=200)
        self.refused("CancelAuction", grpc.StatusCode.PERMISSION_DENIED, "not player 2's",
                     realmID=1, playerGuid=BOB, houseID=1, auctionID=auction_id)
        self.gw.drain_messages(0.2)
        r = self.ok("CancelAuction", realmID=1, playerGuid=ALICE, houseID=1, auctionID=auction_id)
        self.assertEqual((r.auctionID, r.auctionCut), (auction_id, 10))  # 5% in a faction house
        self.assertIsNone(self.auction(auction_id))
        back = [m for m in self.mails_to(ALICE, subject_like="%:5") if m[7] == str(item)]
        self.assertEqual(len(back), 1)
        self.assertEqual([m[2] for m in self.mails_to(BOB, subject_like="%:4")], [200])
        self.assertEqual([e[0] for e in ae.raw_events(self.gw, "auctionhouse.", 1)],
                         ["auctionhouse.auction.canceled"])
        self.refused("CancelAuction", grpc.StatusCode.NOT_FOUND, "not found", realmID=1,
                     playerGuid=ALICE, houseID=1, auctionID=auction_id)

    # -- lists -----------------------------------------------------------------------------------------------
    def test_list_items_filters_and_pages(self):
        house = 3
        made = {}
        for entry in ae.TEMPLATES:
            for k in range(3):
                made.setdefault(entry, []).append(
                    self.sell(seller=CAROL, entry=entry, start=10 + k, buyout=1000 * (k + 1),
                              house=house)[0])
        def ids(**f):
            base = dict(realmID=1, playerGuid=BOB, houseID=house, inventoryType=ae.ANY,
                        itemClass=ae.ANY, itemSubClass=ae.ANY, quality=ae.ANY)
            base.update(f)
            r = self.ok("ListItems", **base)
            return [a.auctionID for a in r.items], r.totalCount, r.searchDelay
        got, total, delay = ids()
        self.assertEqual((total, len(got), delay), (21, 21, 300))
        self.assertEqual(ids(searchedName="cloth")[1], 9)
        self.assertEqual(sorted(ids(searchedName="SILK")[0]), sorted(made[4306]))
        self.assertEqual(ids(itemClass=2)[1], 9)
        self.assertEqual(sorted(ids(itemClass=2, itemSubClass=7)[0]), sorted(made[15427]))
        self.assertEqual(sorted(ids(quality=2)[0]), sorted(made[15427] + made[19019]))
        self.assertEqual(sorted(ids(levelMin=30, levelMax=40)[0]), sorted(made[15427]))
        self.assertEqual(ids(inventoryType=13)[1], 9)
        self.assertEqual(ids(searchedName="100%")[1], 0)  # LIKE wildcards are literal
        # paging: page_size 50 would hold all; listFrom skips
        page, total, _ = ids(listFrom=20)
        self.assertEqual((len(page), total), (1, 21))
        # sorting by buyout (column 2) descending, then by ID
        page, _, _ = ids(sorting=[pb.AuctionSortOrder(column=2, isDesc=True)])
        buyouts = [self.w.q(1, "SELECT buyoutprice FROM auctionhouse WHERE id = %s", (i,))[0][0]
                   for i in page]
        self.assertEqual(buyouts, sorted(buyouts, reverse=True))
        self.assertEqual(len(ids(getAll=True)[0]), 21)

    def test_owner_bidder_lists(self):
        a1, _ = self.sell(seller=CAROL, house=5, start=10)
        a2, _ = self.sell(seller=CAROL, house=5, start=10)
        self.ok("PlaceBid", realmID=1, playerGuid=BOB, houseID=5, auctionID=a1, price=10)
        owner = self.ok("ListOwnerItems", realmID=1, playerGuid=CAROL, houseID=5)
        self.assertEqual(sorted(a.auctionID for a in owner.items), sorted([a1, a2]))
        self.assertEqual(owner.totalCount, 2)
        bidder = self.ok("ListBidderItems", realmID=1, playerGuid=BOB, houseID=5)
        self.assertEqual([a.auctionID for a in bidder.items], [a1])
        self.assertEqual((bidder.items[0].bid, bidder.items[0].bidderGuid), (10, BOB))
        both = self.ok("ListBidderItems", realmID=1, playerGuid=BOB, houseID=5,
                       outbiddedAuctionIDs=[a2])
        self.assertEqual(sorted(a.auctionID for a in both.items), sorted([a1, a2]))
        code, details = self.call("ListBidderItems", realmID=1, playerGuid=BOB,
                                  outbiddedAuctionIDs=list(range(1, 200)))
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)

    # -- expiry --------------------------------------------------------------------------------------------------
    def test_expiry_returns_or_sells(self):
        unsold, item1 = self.sell(seller=ALICE, start=10, secs=1, deposit=5)
        sold, item2 = self.sell(seller=ALICE, start=10, secs=1, deposit=5)
        self.ok("PlaceBid", realmID=1, playerGuid=BOB, houseID=7, auctionID=sold, price=40)
        self.gw.drain_messages(0.05)
        self.d.wait_for(lambda: self.auction(unsold) is None and self.auction(sold) is None,
                        "expiry", timeout=10)
        back = [m for m in self.mails_to(ALICE, subject_like="%:3") if m[7] == str(item1)]
        self.assertEqual(len(back), 1)
        won = [m for m in self.mails_to(BOB, subject_like="%:1") if m[7] == str(item2)]
        self.assertEqual(len(won), 1)
        proceeds = [m[2] for m in self.mails_to(ALICE, subject_like="%:2")
                    if m[4].startswith("2:40:")]
        self.assertEqual(proceeds, [40 - 40 * 15 // 100 + 5])
        events = ae.raw_events(self.gw, "auctionhouse.auction.expired", 2)
        self.assertEqual(sorted(e[1]["auction_id"] for e in events), sorted([unsold, sold]))
        self.assertEqual(events[0][2], ["realm_id", "auction_id"])


class AuctionRealSchemaCase(AuctionCase):
    """The same against AzerothCore's own characters schema."""
    KIND = "real"


if __name__ == "__main__":
    unittest.main()
