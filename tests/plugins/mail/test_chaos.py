"""Chaos: 20 clients send mail with attachments and money, take the items and
the money, each call retried with its x-idempotency-key through random
deadlines, cancelled calls, dropped connections and one MariaDB restart,
against two stratusd instances that also run the expiry tick on the same
database. At the end every item GUID is in exactly one place, money is
conserved and no mail was returned twice."""

import random
import threading
import time
import unittest

import grpc

import mailenv as me
from mailenv import pb

CLIENTS = 20
ROUNDS = 12
TERMINAL = {grpc.StatusCode.OK, grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.INVALID_ARGUMENT}


class Chaos(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.w = me.World()
        cls.daemons = []
        try:
            for _ in range(2):
                cls.daemons.append(cls.w.daemon("expiry_interval = 150ms\n"))
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

    def returned_total(self):
        return sum(d.metric("stratus_mail_expired_total", realm="1", outcome="returned") or 0
                   for d in self.daemons)

    # -- one call, retried until it has a final answer -----------------------------------------
    def attempt(self, rng, method, request, key, stats):
        d = rng.choice(self.daemons)
        channel = grpc.insecure_channel(d.grpc_target)
        stub = me.pbg.MailServiceStub(channel)
        timeout = rng.choice([0.003, 0.02, 0.2, 5, 5, 5])
        try:
            fut = getattr(stub, method).future(request, timeout=timeout,
                                               metadata=(("x-idempotency-key", key),))
            r = rng.random()
            if r < 0.1:
                time.sleep(rng.random() * 0.01)
                fut.cancel()  # the client goes away (RST_STREAM)
            elif r < 0.15:
                time.sleep(rng.random() * 0.01)
                channel.close()  # the connection drops
            try:
                return grpc.StatusCode.OK, fut.result()
            except grpc.FutureCancelledError:
                return grpc.StatusCode.CANCELLED, "cancelled"
            except grpc.RpcError as e:
                return e.code(), e.details()
        finally:
            channel.close()

    def until_final(self, rng, method, request, key, stats):
        while True:
            code, resp = self.attempt(rng, method, request, key, stats)
            stats[code.name] = stats.get(code.name, 0) + 1
            if code in TERMINAL:
                return code, resp
            time.sleep(rng.random() * 0.05)

    def client(self, i, results, stats, errors):
        rng = random.Random(i)
        sender, receiver = 100 + i, 100 + (i + 1) % CLIENTS
        try:
            for n in range(ROUNDS):
                items = [10_000 + i * 100 + n * 2, 10_000 + i * 100 + n * 2 + 1]
                money = rng.randint(1, 100_000)
                expire = int(time.time()) + rng.choice([1, 2, 3600, 3600])
                key = f"c{i}-r{n}"
                req = pb.SendRequest(realmID=1, senderGuid=sender, receiverGuid=receiver,
                                     subject=key, moneyToSend=money, expirationTimestamp=expire,
                                     attachments=[me.item(g) for g in items])
                code, resp = self.until_final(rng, "Send", req, key, stats)
                if code != grpc.StatusCode.OK:
                    errors.append(f"{key}: Send {code}: {resp}")
                    continue
                r = {"key": key, "mail": resp.mailID, "money": money, "items": items,
                     "expire": expire,
                     "sender": sender, "receiver": receiver, "taken_money": 0, "taken": []}
                results.append(r)
                code, resp = self.until_final(
                    rng, "RemoveMailItem", pb.RemoveMailItemRequest(
                        realmID=1, playerGuid=receiver, mailID=resp.mailID, itemGuid=items[0]),
                    key + "-item", stats)
                if code == grpc.StatusCode.OK:
                    r["taken"].append(items[0])
                code, resp = self.until_final(
                    rng, "RemoveMailMoney", pb.RemoveMailMoneyRequest(
                        realmID=1, playerGuid=receiver, mailID=r["mail"]), key + "-money", stats)
                if code == grpc.StatusCode.OK:
                    r["taken_money"] = resp.moneyRemoved
        except Exception as e:  # noqa: BLE001  (reported by the test)
            errors.append(f"client {i}: {e!r}")

    def test_chaos_conserves_items_and_money(self):
        results, stats, errors = [], {}, []
        for i in range(CLIENTS):
            for n in range(ROUNDS):
                for k in range(2):
                    self.w.add_item(1, 10_000 + i * 100 + n * 2 + k, 100 + i)
        threads = [threading.Thread(target=self.client, args=(i, results, stats, errors))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        self.w.db.restart()  # midway: every pool loses its connections
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients did not finish")
        self.assertEqual(errors, [])
        self.assertEqual(len(results), CLIENTS * ROUNDS)
        # let the short-lived mails expire and be returned by both instances
        short = max(r["expire"] for r in results if r["expire"] < time.time() + 60)
        time.sleep(max(0.0, short + 1.1 - time.time()))
        self.daemons[0].wait_for(lambda: not self.w.q(
            1, "SELECT 1 FROM mail WHERE expire_time < UNIX_TIMESTAMP() LIMIT 1"),
            "expiry of the short-lived mails", timeout=20)
        self.check(results, stats)

    def check(self, results, stats):
        ids = [r["mail"] for r in results]
        self.assertEqual(len(set(ids)), len(ids), "two keys got one mail")
        rows = {row[0]: row for row in self.w.q(
            1, "SELECT id, sender, receiver, money, checked, subject FROM mail")}
        in_mail = {}
        for mail_id, item in self.w.q(1, "SELECT mail_id, item_guid FROM mail_items"):
            in_mail.setdefault(item, []).append(mail_id)
        claims = {(m, it): amount for m, it, amount in self.w.q(
            1, "SELECT mail_id, item_guid, amount FROM stratus_mail_claim")}
        sent = remaining = taken = observed = returned = 0
        placed = {"in a mail": 0, "taken": 0}
        for r in results:
            row = rows.get(r["mail"])
            self.assertIsNotNone(row, r)
            self.assertEqual(row[5], r["key"])  # exactly the mail of this key
            if row[4] & me.RETURNED:  # returned once: now addressed to its sender
                returned += 1
                self.assertEqual((row[1], row[2]), (r["receiver"], r["sender"]), r)
            else:
                self.assertEqual((row[1], row[2]), (r["sender"], r["receiver"]), r)
            sent += r["money"]
            remaining += row[3]
            taken += claims.get((r["mail"], 0), 0)
            observed += r["taken_money"]
            for it in r["items"]:
                where = in_mail.get(it, [])
                claimed = (r["mail"], it) in claims
                self.assertEqual(len(where) + int(claimed), 1, f"item {it}: {where} {claimed}")
                if where:
                    self.assertEqual(where, [r["mail"]])
                placed["taken" if claimed else "in a mail"] += 1
                self.assertEqual(claimed, it in r["taken"], f"item {it}")
        self.assertEqual(sent, taken + remaining)
        self.assertEqual(taken, observed)
        self.assertEqual(self.returned_total(), returned, "a mail was returned twice")
        print(f"\nchaos: {len(results)} mails, calls by outcome {dict(sorted(stats.items()))}; "
              f"items {placed}; copper sent {sent} = taken {taken} + in mails {remaining}; "
              f"returned {returned}", flush=True)

    def test_two_instances_expire_without_double_returns(self):
        past = int(time.time()) - 5
        first = 5_000_000
        before = self.returned_total()  # the instances return mails as they are inserted
        for k in range(300):
            mail_id = first + k
            sender, receiver = 100 + k % CLIENTS, 100 + (k + 1) % CLIENTS
            self.w.x(1, "INSERT INTO mail (id, sender, receiver, subject, body, has_items, "
                        "expire_time, deliver_time, money, cod, checked) VALUES "
                        "(%s, %s, %s, 'x', '', 1, %s, %s, 0, 0, 0)",
                     (mail_id, sender, receiver, past, past))
            self.w.add_item(1, 7_000_000 + k, receiver)
            self.w.x(1, "INSERT INTO mail_items VALUES (%s, %s, %s)",
                     (mail_id, 7_000_000 + k, receiver))
        self.daemons[0].wait_for(lambda: self.returned_total() - before >= 300,
                                 "300 returns", timeout=30)
        time.sleep(0.5)  # more ticks of both instances: nothing more may happen
        self.assertEqual(self.returned_total() - before, 300)
        rows = self.w.q(1, "SELECT id, sender, receiver, checked FROM mail WHERE id >= %s "
                           "ORDER BY id", (first,))
        self.assertEqual(len(rows), 300)
        for mail_id, sender, receiver, checked in rows:
            k = mail_id - first
            self.assertEqual((sender, receiver, checked),
                             (100 + (k + 1) % CLIENTS, 100 + k % CLIENTS, me.RETURNED))
        by = [sum(v for labels, v in d.metrics().get("stratus_mail_expired_total", {}).items()
                  if dict(labels).get("outcome") == "returned") for d in self.daemons]
        print(f"\nexpiry: 300 mails returned once, by instance {by}", flush=True)


if __name__ == "__main__":
    unittest.main()
