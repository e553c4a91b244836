"""Guild charters against real MariaDB, nats-server and stratusd: the
charter and its signatures, offers, every signing refusal, the full flow up
to a native turn-in and gw.guild.created, and 30 clients signing one charter
at once."""

import threading
import time
import unittest

import grpc

from guildenv import GuildStack, RANKS, envelope, pb

OK = grpc.StatusCode.OK
Offer = pb.OfferGuildPetitionResponse
Sign = pb.SignGuildPetitionResponse


class CharterStack(GuildStack):
    _next_petition = 5000

    def charter(self, realm, owner, name, type_=9, signers=()):
        """A charter as the worldserver writes it when bought (petition row;
        signatures [(guid, account)] as native signing writes them).
        Returns (petition item GUID, petition id)."""
        guid = CharterStack._next_petition
        CharterStack._next_petition += 1
        pid = guid + 70000
        self.x(realm, "INSERT INTO petition (ownerguid, petitionguid, petition_id, name, type) "
                      "VALUES (%s, %s, %s, %s, %s)", (owner, guid, pid, name, type_))
        for player, account in signers:
            self.x(realm, "INSERT INTO petition_sign VALUES (%s, %s, %s, %s, %s, %s)",
                   (owner, guid, pid, player, account, type_))
        return guid, pid

    def people(self, realm, prefix, n, race=1, accounts=None):
        guids = self.guids(n)
        for i, guid in enumerate(guids):
            self.character(realm, guid, f"{prefix}{chr(97 + i % 26)}{chr(97 + i // 26)}",
                           race=race, account=accounts[i] if accounts else guid + 100000)
        return guids

    def offer_once_online(self, **fields):
        """OfferGuildPetition, repeated while the target's login event is on
        its way to the presence owner."""
        deadline = time.monotonic() + 10
        while True:
            code, resp = self.call("OfferGuildPetition", **fields)
            if (code != OK or resp.status != Offer.TargetNotFound or
                    time.monotonic() > deadline):
                return code, resp
            time.sleep(0.05)

    def sign(self, petition, signer, account=0, guild=0, realm=1):
        return self.ok("SignGuildPetition", realmID=realm, signerGUID=signer,
                       signerAccountID=account, signerGuildID=guild, petitionGUID=petition).status

    def signatures(self, realm, pid):
        return self.q(realm, "SELECT playerguid, player_account FROM petition_sign WHERE "
                             "petition_id = %s ORDER BY playerguid", (pid,))


class CharterTest(CharterStack):
    def test_get_petition(self):
        owner, a, b = self.people(1, "Get", 3)
        guid, pid = self.charter(1, owner, "Get Guild", signers=[(a, 11), (b, 12)])
        p = self.ok("GetGuildPetition", realmID=1, petitionGUID=guid).petition
        self.assertEqual((p.petitionGUID, p.petitionID, p.ownerGUID, p.name, p.type),
                         (guid, pid, owner, "Get Guild", 9))
        self.assertEqual([(s.playerGUID, s.playerAccount) for s in p.signatures],
                         sorted([(a, 11), (b, 12)]))
        arena, _ = self.charter(1, a, "Arena Team", type_=2)
        self.refused("GetGuildPetition", grpc.StatusCode.NOT_FOUND, "no guild charter",
                     realmID=1, petitionGUID=arena)
        self.refused("GetGuildPetition", grpc.StatusCode.NOT_FOUND, "no guild charter",
                     realmID=2, petitionGUID=guid)
        self.refused("GetGuildPetition", grpc.StatusCode.INVALID_ARGUMENT, "petitionGUID 0",
                     realmID=1, petitionGUID=0)

    def test_offer(self):
        owner, target, member = self.people(1, "Off", 3)
        (foreign,) = self.people(2, "Foreign", 1)
        guid, pid = self.charter(1, owner, "Offer Guild")
        # A character of another realm is refused clearly, before anything else.
        self.refused("OfferGuildPetition", grpc.StatusCode.FAILED_PRECONDITION,
                     "character of realm 2", realmID=1, ownerGUID=owner,
                     targetGUID=(2 << 32) | foreign, petitionGUID=guid)
        self.login(1, target, "Offaa")
        code, details = self.offer_once_online(realmID=1, ownerGUID=owner, targetGUID=target,
                                               petitionGUID=guid)
        if not self.presence_available():
            self.assertEqual(code, grpc.StatusCode.UNAVAILABLE, details)
            self.assertIn("no presence owner", details)
            self.skipTest("no presence owner yet: offers need the characters plugin's port")
        self.assertEqual(code, OK, details)
        self.assertEqual(details.status, Offer.Ok)
        p = self.event("guild.petition.offered", PetitionGUID=guid)
        self.assertEqual((p["PetitionID"], p["OwnerGUID"], p["TargetGUID"], p["GuildName"],
                          p["RequiredSigns"], p["Signatures"]),
                         (pid, owner, target, "Offer Guild", 9, None))
        self.assertEqual(self.ok("OfferGuildPetition", realmID=1, ownerGUID=member,
                                 targetGUID=target, petitionGUID=guid).status, Offer.NotOwner)
        self.assertEqual(self.ok("OfferGuildPetition", realmID=1, ownerGUID=owner,
                                 targetGUID=target, petitionGUID=guid + 999).status,
                         Offer.NotFound)
        self.assertEqual(self.ok("OfferGuildPetition", realmID=1, ownerGUID=owner,
                                 targetGUID=member, petitionGUID=guid).status,
                         Offer.TargetNotFound)  # offline
        self.guild(1, target, "Already")
        self.assertEqual(self.ok("OfferGuildPetition", realmID=1, ownerGUID=owner,
                                 targetGUID=target, petitionGUID=guid).status,
                         Offer.TargetAlreadyInGuild)

    def test_sign_refusals(self):
        owner, leader, guilded, invited, signer, alt, other = self.people(
            1, "Sig", 7, accounts=[1, 2, 3, 4, 5, 5, 6])
        self.guild(1, leader, "SigHave", [(guilded, 4)])
        guid, pid = self.charter(1, owner, "Sign Guild")
        self.ok("InviteMember", realmID=1, inviter=leader, invitee=invited)
        self.assertEqual(self.sign(guid, owner), Sign.CantSignOwn)
        self.assertEqual(self.sign(guid, guilded), Sign.AlreadyInGuild)
        self.assertEqual(self.sign(guid, other, guild=9), Sign.AlreadyInGuild)  # the gateway's flag
        self.assertEqual(self.sign(guid, invited), Sign.AlreadyInvited)
        self.assertEqual(self.sign(guid + 999, signer), Sign.NotFound)
        self.refused("SignGuildPetition", grpc.StatusCode.INVALID_ARGUMENT, "not the account",
                     realmID=1, signerGUID=signer, signerAccountID=77, petitionGUID=guid)
        self.refused("SignGuildPetition", grpc.StatusCode.NOT_FOUND, "does not exist",
                     realmID=1, signerGUID=123456, petitionGUID=guid)
        self.refused("SignGuildPetition", grpc.StatusCode.INVALID_ARGUMENT,
                     "signerName is longer than 12 characters", realmID=1, signerGUID=signer,
                     signerName="Sigsigsigsigs", petitionGUID=guid)
        self.assertEqual(self.signatures(1, pid), [])

        self.assertEqual(self.sign(guid, signer, account=5), Sign.Ok)
        p = self.event("guild.petition.signed", SignerGUID=signer)
        self.assertEqual((p["PetitionGUID"], p["OwnerGUID"], p["SignerName"], p["NativeStatus"],
                          p["RequiredSigns"], p["RealmID"]),
                         (guid, owner, "Sigea", 0, 9, 1))
        self.assertEqual(self.sign(guid, signer), Sign.AlreadySigned)
        self.assertEqual(self.sign(guid, alt), Sign.AlreadySigned)  # the same account
        self.assertEqual(self.signatures(1, pid), [(signer, 5)])
        self.no_event("guild.petition.signed", SignerGUID=alt)

    def test_native_signature_counts(self):
        """A signature made natively blocks the account's other characters too."""
        owner, a, b, alt = self.people(1, "Nat", 4, accounts=[40, 41, 42, 41])
        guid, pid = self.charter(1, owner, "Native Sign", signers=[(a, 41)])
        self.assertEqual(self.sign(guid, alt), Sign.AlreadySigned)
        self.assertEqual(self.sign(guid, b), Sign.Ok)
        self.assertEqual(self.signatures(1, pid), [(a, 41), (b, 42)])

    def test_full_flow_to_native_turn_in(self):
        owner, *signers = self.people(1, "Flo", 11)
        guid, pid = self.charter(1, owner, "Flow Guild")
        # The owner offers the charter to the first signer (when a presence owner runs).
        self.login(1, signers[0], "Floba")
        code, resp = self.offer_once_online(realmID=1, ownerGUID=owner, targetGUID=signers[0],
                                            petitionGUID=guid)
        if code == OK:
            self.assertEqual(resp.status, Offer.Ok)
            self.event("guild.petition.offered", TargetGUID=signers[0])
        else:
            self.assertEqual(code, grpc.StatusCode.UNAVAILABLE, resp)
        for s in signers[:9]:
            self.assertEqual(self.sign(guid, s), Sign.Ok)
            self.event("guild.petition.signed", SignerGUID=s)
        self.assertEqual(self.sign(guid, signers[9]), Sign.Full)
        self.assertEqual(len(self.ok("GetGuildPetition", realmID=1,
                                     petitionGUID=guid).petition.signatures), 9)
        # The worldserver turns the charter in: the guild, its ranks, the
        # leader and the signers, then the charter is gone.
        gid = 880001
        self.x(1, "INSERT INTO guild (guildid, name, leaderguid, createdate) VALUES "
                  "(%s, 'Flow Guild', %s, 1)", (gid, owner))
        for rid, (rname, rights) in enumerate(RANKS):
            self.x(1, "INSERT INTO guild_rank VALUES (%s, %s, %s, %s, 0)", (gid, rid, rname, rights))
        self.x(1, "INSERT INTO guild_member (guildid, guid, `rank`) VALUES (%s, %s, 0)",
               (gid, owner))
        for s in signers[:9]:
            self.x(1, "INSERT INTO guild_member (guildid, guid, `rank`) VALUES (%s, %s, 4)",
                   (gid, s))
        self.x(1, "DELETE FROM petition_sign WHERE petition_id = %s", (pid,))
        self.x(1, "DELETE FROM petition WHERE petition_id = %s", (pid,))
        self.gw.publish("gw.guild.created", envelope("0.0.1", 4, {
            "RealmID": 1, "GatewayID": "gw-1", "LeaderGUID": owner, "GuildName": "Flow Guild"}))
        added = {self.event("guild.member.added", GuildID=gid)["MemberGUID"] for _ in range(10)}
        self.assertEqual(added, {owner, *signers[:9]})
        roster = self.ok("GetRosterInfo", realmID=1, guildID=gid).guild
        self.assertEqual(sorted(m.guid for m in roster.members), sorted([owner] + signers[:9]))
        self.assertEqual(self.q(1, "SELECT COUNT(*) FROM stratus_guild_petition_sign WHERE "
                                   "petition_id = %s", (pid,))[0][0], 0)
        # An unknown guild in the event changes nothing and is logged.
        self.gw.publish("gw.guild.created", envelope("0.0.1", 4, {
            "RealmID": 1, "GatewayID": "gw-1", "LeaderGUID": owner, "GuildName": "Nope"}))
        self.d.wait_for(lambda: "guild 'Nope' of leader" in self.d.log_text(), "the warning")

    def test_thirty_concurrent_signers(self):
        # 30 characters on 24 accounts: six accounts have two characters.
        accounts = [9000 + i for i in range(24)] + [9000 + i for i in range(6)]
        owner, *signers = self.people(1, "Con", 31, accounts=[8999] + accounts)
        guid, pid = self.charter(1, owner, "Rush Guild")
        results = [None] * len(signers)
        barrier = threading.Barrier(len(signers))

        def run(i):
            barrier.wait()
            results[i] = self.sign(guid, signers[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(signers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results.count(Sign.Ok), 9, results)
        self.assertEqual(results.count(Sign.Ok) + results.count(Sign.Full) +
                         results.count(Sign.AlreadySigned), 30, results)
        rows = self.signatures(1, pid)
        self.assertEqual(len(rows), 9)
        self.assertEqual(len({acc for _, acc in rows}), 9, rows)
        self.assertEqual({g for g, _ in rows}, {signers[i] for i, r in enumerate(results)
                                                 if r == Sign.Ok})


class CharterRealSchemaTest(CharterTest):
    """The same against AzerothCore's own characters schema."""
    KIND = "real"


if __name__ == "__main__":
    unittest.main()
