"""Chaos: 20 clients bid on 30 auctions with keyed retries through random
deadlines, cancelled calls and dropped connections, against two stratusd
that both run the expiry tick on one database, with one MariaDB restart
midway. At the end every item GUID is in exactly one place (an auction or
one mail) and the copper balances: what players paid in (bids, deposits)
equals what went back out by mail, what live auctions hold and the house's
cut (and the deposits of unsold auctions)."""

import random
import threading
import time
import unittest

import grpc

import ahenv as ae
from ahenv import pb

CLIENTS = 20
BIDS = 15
SELLERS = range(100, 110)
BIDDERS = range(110, 130)
TERMINAL = {grpc.StatusCode.OK, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED}


class Chaos(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.w = ae.World()
        cls.daemons = []
        try:
            for _ in range(2):
                cls.daemons.append(cls.w.daemon("expiry_interval = 150ms\nsale_mail_delay = 0s\n"))
        except BaseException:
            for d in cls.daemons:
                d.stop()
            cls.w.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        codes = [d.stop() for d in cls.daemons]
        cls.w.stop()
        for d, code in zip(cls.daemons, codes):
            assert code == 0, f"stratusd exited with {code}:\n{d.log_text()[-4000:]}"
            d.cleanup()

    def list_auctions(self):
        auctions = {}
        stub = ae.pbg.AuctionHouseServiceStub(grpc.insecure_channel(self.daemons[0].grpc_target))
        rng = random.Random(99)
        for n in range(30):  # the last 6 get no bids: some expire unsold
            seller = SELLERS[n % len(SELLERS)]
            item = 30_000 + n
            self.w.add_item(1, item, seller, entry=2589)
            house = rng.choice([1, 7])
            buyout = rng.choice([0, 0, 1500])
            secs = rng.choice([2, 3, 3600])
            r = stub.SellItem(pb.AuctionSellItemRequest(
                realmID=1, playerGuid=seller, houseID=house, itemEntry=2589, itemGuid=item,
                itemCount=5, startBid=rng.randint(10, 100), buyout=buyout, expireTimeSecs=secs,
                deposit=7), timeout=10)
            auctions[r.auctionID] = {"item": item, "house": house, "deposit": 7,
                                     "ends": time.time() + secs}
        return auctions

    def attempt(self, rng, request, key):
        d = rng.choice(self.daemons)
        channel = grpc.insecure_channel(d.grpc_target)
        stub = ae.pbg.AuctionHouseServiceStub(channel)
        try:
            fut = stub.PlaceBid.future(request, timeout=rng.choice([0.003, 0.02, 0.3, 5, 5]),
                                       metadata=(("x-idempotency-key", key),))
            r = rng.random()
            if r < 0.1:
                time.sleep(rng.random() * 0.01)
                fut.cancel()
            elif r < 0.15:
                time.sleep(rng.random() * 0.01)
                channel.close()
            try:
                return grpc.StatusCode.OK, fut.result()
            except grpc.FutureCancelledError:
                return grpc.StatusCode.CANCELLED, None
            except grpc.RpcError as e:
                return e.code(), e.details()
        finally:
            channel.close()

    def client(self, i, ids, answers, stats, errors):
        rng = random.Random(1000 + i)
        bidder = BIDDERS[i]
        try:
            for n in range(BIDS):
                key = f"b{i}-{n}"
                req = pb.AuctionPlaceBidRequest(realmID=1, playerGuid=bidder,
                                                auctionID=rng.choice(ids),
                                                price=rng.randint(20, 2500))
                while True:
                    code, resp = self.attempt(rng, req, key)
                    stats[code.name] = stats.get(code.name, 0) + 1
                    if code in TERMINAL:
                        break
                    time.sleep(rng.random() * 0.05)
                if code == grpc.StatusCode.OK:
                    answers[key] = (resp.auctionID, resp.isBuyout, resp.moneyToDeduct)
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {i}: {e!r}")

    def test_bids_conserve_items_and_money(self):
        auctions = self.list_auctions()
        answers, stats, errors = {}, {}, []
        threads = [threading.Thread(target=self.client,
                                    args=(i, list(auctions)[:24], answers, stats, errors))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        self.w.db.restart()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads))
        self.assertEqual(errors, [])
        short = max(a["ends"] for a in auctions.values() if a["ends"] < time.time() + 60)
        time.sleep(max(0.0, short + 1 - time.time()))
        self.daemons[0].wait_for(lambda: not self.w.q(
            1, "SELECT 1 FROM auctionhouse WHERE time < UNIX_TIMESTAMP() LIMIT 1"),
            "settlement of the ended auctions", timeout=20)
        self.check(auctions, answers, stats)

    def check(self, auctions, answers, stats):
        live = {r[0]: r for r in self.w.q(1, "SELECT id, itemguid, lastbid, deposit FROM auctionhouse")}
        mails = self.w.q(1, "SELECT id, sender, money, subject, body FROM mail WHERE messageType = 2")
        in_mail = {}
        for mail_id, item in self.w.q(1, "SELECT mail_id, item_guid FROM mail_items"):
            in_mail.setdefault(item, []).append(mail_id)
        # items: in a live auction or in exactly one mail
        for aid, a in auctions.items():
            places = len(in_mail.get(a["item"], [])) + int(aid in live)
            self.assertEqual(places, 1, f"auction {aid} item {a['item']}")
        # money
        paid = sum(m for _, _, m in answers.values()) + sum(a["deposit"] for a in auctions.values())
        mailed = sum(m[2] for m in mails)
        held = sum(r[2] + r[3] for r in live.values())
        house = 0
        sold = expired = 0
        for mail_id, sender, money, subject, body in mails:
            kind = subject.rsplit(":", 1)[1]
            if kind == "1":  # won: "ownerhex:bid:buyout" in a mail from house `sender`
                bid = int(body.split(":")[1])
                house += bid * (15 if sender == 7 else 5) // 100
                sold += 1
            elif kind == "3":  # expired unsold: the house keeps the deposit
                house += 7
                expired += 1
        self.assertEqual(paid, mailed + held + house,
                         f"paid {paid} != mailed {mailed} + held {held} + house {house}")
        settled = sum(sum(v for _, v in d.metrics().get("stratus_auction_settled_total", {}).items())
                      for d in self.daemons)
        buyouts = sum(1 for _, b, _ in answers.values() if b)
        self.assertEqual(settled, sold + expired - buyouts)
        print(f"\nauction chaos: {len(auctions)} auctions, {len(answers)} bids accepted "
              f"({buyouts} buyouts), calls by outcome {dict(sorted(stats.items()))}; "
              f"{len(live)} live, {sold} sold, {expired} expired unsold; copper paid {paid} = "
              f"mailed {mailed} + held {held} + house {house}", flush=True)


if __name__ == "__main__":
    unittest.main()
