"""A raid of 40 characters from three realms (create, convert, fill, move,
swap, ready check, disband), the offline-leader promotion, and rosters that
survive a stratusd restart."""

import unittest

import grpc

from groupenv import GroupCase, pb, scoped

PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


class Raid(GroupCase):
    CHARACTERS = {1: 25, 2: 12, 3: 12}

    def wire(self, realm, guid):
        return guid if realm == 1 else scoped(realm, guid)

    def subgroups(self, gid):
        return {m.guid: m.subGroup for m in self.get_group(1, gid).members}

    def move(self, who, sub, swap=False):
        return self.call("ChangeMemberSubGroup", pb.ChangeMemberSubGroupRequest(
            realmID=1, updaterGUID=1, memberGUID=who, subGroup=sub | (0x80 if swap else 0)))

    def test_raid_of_40_from_three_realms(self):
        members = ([(1, g) for g in range(2, 21)] + [(2, g) for g in range(1, 11)] +
                   [(3, g) for g in range(1, 11)])
        home, gid = self.form(1, 1, members[:4])
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=1, invited=members[4][1]),
                   PRECONDITION, "full")
        self.ok("ConvertToRaid", pb.ConvertToRaidParams(realmID=1, player=1))
        self.form(1, 1, members[4:])
        g = self.get_group(1, gid)
        self.assertEqual(len(g.members), 40)
        self.assertEqual(g.groupType & 0x02, 0x02)
        self.assertEqual(sorted(m.realmID for m in g.members).count(2), 10)
        self.assertEqual(sorted(m.realmID for m in g.members).count(3), 10)
        subs = self.subgroups(gid)
        self.assertEqual(sorted(list(subs.values()).count(s) for s in range(8)), [5] * 8)
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=1, invited=21), PRECONDITION,
                   "full")
        self.assertEqual(len(self.events.wait("group.created")), 1)
        self.assertEqual(len(self.events.wait("group.member.added", 38)), 38)
        self.events.one("group.converted.raid")
        for realm, guid in members:
            self.assertEqual(self.group_of(realm, guid), (1, gid))

        # a full subgroup refuses a plain move; the 0x80 pair swaps two members
        by_sub = {}
        for guid, s in subs.items():
            by_sub.setdefault(s, []).append(guid)
        a, b = by_sub[0][1], by_sub[1][0]
        code, details = self.move(a, 1)
        self.assertEqual(code, PRECONDITION, details)
        self.assertEqual(self.move(a, 1, swap=True)[0], grpc.StatusCode.OK)
        self.assertEqual(self.events.none("group.member.subgroup.changed"), [])
        self.assertEqual(self.move(b, 0, swap=True)[0], grpc.StatusCode.OK)
        swapped = self.events.wait("group.member.subgroup.changed", 2)
        self.assertEqual(sorted((e["MemberGUID"], e["SubGroup"]) for e in swapped),
                         sorted([(a, 1), (b, 0)]))
        subs = self.subgroups(gid)
        self.assertEqual((subs[a], subs[b]), (1, 0))

        # one leaves (a realm 2 character): its subgroup has room for a plain move
        gone = scoped(2, 5)
        freed = subs[gone]
        self.ok("Leave", pb.GroupLeaveParams(realmID=2, player=5))
        self.assertEqual(self.events.one("group.member.left")["MemberGUID"], gone)
        mover = by_sub[7][0] if freed != 7 else by_sub[6][0]
        self.assertEqual(self.move(mover, freed)[0], grpc.StatusCode.OK)
        ev = self.events.one("group.member.subgroup.changed")
        self.assertEqual((ev["MemberGUID"], ev["SubGroup"]), (mover, freed))

        # a ready check: members of all three realms answer
        self.ok("StartReadyCheck", pb.StartReadyCheckRequest(realmID=1, leaderGUID=1))
        started = self.events.one("group.readycheck.started")
        self.assertEqual(started["DurationMs"], 35000)
        self.events.forget()
        for realm, guid in ((1, 2), (2, 1), (3, 1)):
            self.ok("SetReadyCheckMemberState", pb.SetReadyCheckMemberStateRequest(
                realmID=realm, memberGUID=guid, state=1))
        answers = self.events.wait("group.readycheck.member.state", 3)
        self.assertEqual(sorted(e["MemberGUID"] for e in answers),
                         sorted([2, scoped(2, 1), scoped(3, 1)]))
        self.ok("FinishReadyCheck", pb.FinishReadyCheckRequest(realmID=1, playerGUID=1))
        self.events.one("group.readycheck.finished")

        # everyone leaves: the last two disband the raid, nothing is left behind
        g = self.get_group(1, gid)
        for m in g.members[:-1]:  # two left: the group is disbanded with the last leave
            self.ok("Leave", pb.GroupLeaveParams(realmID=m.realmID, player=m.guid & 0xFFFFFFFF))
        self.assertEqual(len(self.events.wait("group.member.left", 37)), 37)
        self.assertEqual(self.events.one("group.disband")["GroupID"], gid)
        last = g.members[-1]
        self.assertEqual(self.group_of(last.realmID, last.guid & 0xFFFFFFFF), (0, 0))
        for realm, where in ((1, "groupRealm = 0"), (2, "groupRealm = 1"), (3, "groupRealm = 1")):
            self.assertEqual(list(self.world.query(
                realm, f"SELECT * FROM stratus_group_player WHERE {where} AND groupId = {gid}")),
                [])
        for table in ("groups", "group_member", "stratus_group_member_foreign"):
            self.assertEqual(list(self.world.query(1, f"SELECT * FROM {table} WHERE guid = {gid}")),
                             [])

    def test_offline_leader_promoted_after_the_delay(self):
        home, gid = self.form(1, 22, [(2, 11), (3, 11)])
        self.ok("ConvertToRaid", pb.ConvertToRaidParams(realmID=1, player=22))
        self.ok("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=22, memberGUID=scoped(3, 11), flags=0x01))
        for realm, guid in ((1, 22), (2, 11), (3, 11)):
            self.login(realm, guid)
        if not self.presence(3, 11):
            self.skipTest("needs the characters plugin's presence owner (SDK 1.1 port)")
        self.events.forget()
        self.logout(1, 22)
        off = self.events.one("group.member.online.changed")
        self.assertEqual((off["MemberGUID"], off["IsOnline"]), (22, False))
        ev = self.events.one("group.leader.changed", timeout=10)
        self.assertEqual((ev["PreviousLeader"], ev["NewLeader"]), (22, scoped(3, 11)))
        self.assertEqual(self.events.none("group.leader.changed", 1.0), [])
        self.assertEqual(self.get_group(1, gid).leader, scoped(3, 11))


class TwoInstances(GroupCase):
    """Two stratusd on the same databases and NATS: the offline leader is
    promoted once (the conditional UPDATE decides), and either serves the
    group."""
    CHARACTERS = {1: 6, 2: 2, 3: 2}

    def test_promotion_fires_once(self):
        second = self.world.daemon(self.GROUP_CONFIG)
        second.start()
        self.addCleanup(second.cleanup)
        self.addCleanup(second.stop)
        home, gid = self.form(1, 1, [(2, 1), (3, 1)])
        import grpc as _grpc
        from groupenv import pbg
        channel = _grpc.insecure_channel(second.grpc_target)
        self.addCleanup(channel.close)
        other = pbg.GroupServiceStub(channel)
        self.assertEqual(other.GetGroup(pb.GetGroupRequest(realmID=1, groupID=gid),
                                        timeout=10).group.leader, 1)
        for realm, guid in ((1, 1), (2, 1), (3, 1)):
            self.login(realm, guid)
        if not self.presence(2, 1):
            self.skipTest("needs the characters plugin's presence owner (SDK 1.1 port)")
        self.events.forget()
        self.logout(1, 1)
        ev = self.events.one("group.leader.changed", timeout=10)
        self.assertEqual(ev["PreviousLeader"], 1)
        self.assertEqual(self.events.none("group.leader.changed", 1.5), [])
        leader = other.GetGroup(pb.GetGroupRequest(realmID=1, groupID=gid), timeout=10).group.leader
        self.assertEqual(leader, ev["NewLeader"])


class Restart(GroupCase):
    CHARACTERS = {1: 10, 2: 5, 3: 5}

    def test_rosters_survive_a_restart(self):
        home, gid = self.form(1, 1, [(1, 2), (2, 1), (3, 1)])
        self.ok("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=1, memberGUID=2, flags=0x03))
        self.invite(1, 1, 3)  # pending across the restart
        before = self.get_group(1, gid)
        self.stop_daemon()
        self.start_daemon()
        after = self.get_group(1, gid)
        self.assertEqual(after, before)
        self.assertEqual(self.group_of(2, 1), (1, gid))
        self.accept(1, 3)
        self.assertEqual(len(self.get_group(1, gid).members), 5)
        self.ok("Leave", pb.GroupLeaveParams(realmID=3, player=1))
        self.assertEqual(self.group_of(3, 1), (0, 0))


if __name__ == "__main__":
    unittest.main()
