"""The guild plugin's use of presence, with the test fixture presence_standin
as the owner (logins and logouts through the gateways' NATS events): roster
status, receivers of every event kind (officer texts only to those who may
read them), charter offers, and realm isolation of receivers. The same tests
run against the characters plugin in test_guild and test_charter once it
owns presence."""

import unittest

import grpc

from guildenv import GuildStack
import test_charter
import test_guild


class PresenceCase(GuildStack):
    PRESENCE = "standin"

    def logout(self, realm, guid):
        from natsclient import envelope
        self.gw.publish("gw.char.logged-out", envelope("0.0.1", 2, {
            "RealmID": realm, "GatewayID": "gw-1", "CharGUID": guid, "CharName": "",
            "CharGuildID": 0, "AccountID": guid}))
        self.gw.flush()

    def online(self, realm, gid, guid, status):
        self.d.wait_for(lambda: {m.guid: m.status for m in self.ok(
            "GetRosterInfo", realmID=realm, guildID=gid).guild.members}[guid] == status,
            f"roster status {status} of {guid}")


class ReceiversTest(PresenceCase):
    test_events_name_only_their_realm = test_guild.GuildRealmTest.test_events_name_only_their_realm

    def test_roster_status_follows_presence(self):
        gid, guids, names = self.squad(1, "Sta")
        self.x(1, "UPDATE characters SET online = 1 WHERE guid = %s", (guids[3],))  # stale column
        self.login(1, guids[1], names[1])
        self.online(1, gid, guids[1], 1)
        statuses = {m.guid: m.status for m in self.ok("GetRosterInfo", realmID=1,
                                                       guildID=gid).guild.members}
        self.assertEqual(statuses, {guids[0]: 0, guids[1]: 1, guids[2]: 0, guids[3]: 0,
                                    guids[4]: 0})
        self.logout(1, guids[1])
        self.online(1, gid, guids[1], 0)

    def test_members_online_and_officer_receivers(self):
        gid, (leader, officer, veteran, member, initiate), names = self.squad(1, "Rec")
        for guid, name in ((leader, names[0]), (veteran, names[2]), (initiate, names[4])):
            self.login(1, guid, name)
        self.online(1, gid, initiate, 1)
        self.ok("SetMessageOfTheDay", realmID=1, changerGUID=leader, messageOfTheDay="m")
        self.assertEqual(self.event("guild.motd.updated", GuildID=gid)["MembersOnline"],
                         sorted([leader, veteran, initiate]))
        # Officer notes go only to ranks that may view them.
        self.ok("SetMemberOfficerNote", realmID=1, changerGUID=leader, targetGUID=member, note="o")
        self.assertEqual(self.event("guild.member.officernoteupdated",
                                    GuildID=gid)["MembersOnline"], [leader])
        self.ok("SetMemberPublicNote", realmID=1, changerGUID=leader, targetGUID=member, note="p")
        self.assertEqual(self.event("guild.member.noteupdated", GuildID=gid)["MembersOnline"],
                         sorted([leader, veteran, initiate]))
        self.ok("SendGuildMessage", realmID=1, senderGUID=veteran, message="all")
        self.assertEqual(self.event("guild.message.new", GuildID=gid)["Receivers"],
                         sorted([leader, veteran, initiate]))
        self.ok("SendGuildMessage", realmID=1, senderGUID=leader, message="off",
                isOfficerMessage=True)
        self.assertEqual(self.event("guild.message.new", GuildID=gid, ForOfficers=True)[
            "Receivers"], [leader])
        # The one who leaves hears it; the kicked one too.
        self.ok("Leave", realmID=1, leaver=initiate)
        self.assertEqual(self.event("guild.member.left", GuildID=gid)["MembersOnline"],
                         sorted([leader, veteran, initiate]))
        self.ok("Kick", realmID=1, kicker=leader, target=veteran)
        self.assertEqual(self.event("guild.member.kicked", GuildID=gid)["MembersOnline"],
                         sorted([leader, veteran]))
        self.ok("AddRank", realmID=1, changerGUID=leader, rankName="New")
        self.assertEqual(self.event("guild.rank.created", GuildID=gid)["MembersOnline"], [leader])


class OfferTest(PresenceCase, test_charter.CharterStack):
    test_offer = test_charter.CharterTest.test_offer
    test_full_flow_to_native_turn_in = test_charter.CharterTest.test_full_flow_to_native_turn_in

    def test_offer_refusals(self):
        owner, target, orc, invited, leader = self.people(1, "Ref", 5)
        self.x(1, "UPDATE characters SET race = 2 WHERE guid = %s", (orc,))
        self.guild(1, leader, "RefGuild")
        guid, pid = self.charter(1, owner, "Ref Guild", signers=[])
        self.ok("InviteMember", realmID=1, inviter=leader, invitee=invited)
        for g, name, race in ((target, "Refb", 1), (orc, "Refc", 2), (invited, "Refd", 1)):
            self.login(1, g, name, race=race)
        self.d.wait_for(lambda: self.call("OfferGuildPetition", realmID=1, ownerGUID=owner,
                                          targetGUID=invited, petitionGUID=guid)[0] ==
                        grpc.StatusCode.OK, "the logins")
        Offer = test_charter.Offer
        self.assertEqual(self.ok("OfferGuildPetition", realmID=1, ownerGUID=owner,
                                 targetGUID=invited, petitionGUID=guid).status,
                         Offer.TargetAlreadyInvited)
        self.refused("OfferGuildPetition", grpc.StatusCode.FAILED_PRECONDITION, "other faction",
                     realmID=1, ownerGUID=owner, targetGUID=orc, petitionGUID=guid)
        self.no_event("guild.petition.offered", TargetGUID=orc)
        # Signatures travel with the offer.
        self.assertEqual(self.sign(guid, target), test_charter.Sign.Ok)
        self.assertEqual(self.ok("OfferGuildPetition", realmID=1, ownerGUID=owner,
                                 targetGUID=target, petitionGUID=guid).status, Offer.Ok)
        p = self.event("guild.petition.offered", TargetGUID=target)
        self.assertEqual(p["Signatures"], [{"PlayerGUID": target, "PlayerAccount": target + 100000}])


if __name__ == "__main__":
    unittest.main()
