"""Every group.* subject of ToCloud9 (with PR #37's) comes out of one
session of calls, each payload decoded as the Go gateway and libsidecar-cpp
decode it (GroupCase.tearDown), published after its transaction committed."""

import unittest

from groupenv import EVENTS, GroupCase, pb, scoped


class EverySubject(GroupCase):
    CHARACTERS = {1: 10, 2: 5, 3: 5}

    def test_every_subject(self):
        seen = set()

        def take(subject, **kw):
            p = self.events.one(subject, **kw)
            seen.add(subject)
            return p

        self.login_all([(1, 1), (1, 2), (2, 1)])
        self.invite(1, 1, 2)
        take("group.invite.created")
        self.accept(1, 2)
        created = take("group.created")
        # published after commit: the group is there when the event is
        self.assertEqual(self.get_group(1, created["GroupID"]).leader, 1)
        gid = created["GroupID"]
        self.invite(1, 1, scoped(2, 1))
        self.accept(2, 1)
        take("group.member.added")
        self.invite(1, 1, 3)
        self.ok("DeclineInvite", pb.DeclineInviteParams(realmID=1, player=3))
        take("group.invite.declined")
        self.ok("ConvertToRaid", pb.ConvertToRaidParams(realmID=1, player=1))
        take("group.converted.raid")
        self.ok("SetLootMethod", pb.SetLootMethodRequest(realmID=1, playerGUID=1, method=1))
        take("group.loot.changed")
        self.ok("SetGroupTargetIcon", pb.SetGroupTargetIconRequest(realmID=1, setterGUID=1,
                                                                   iconID=1, targetGUID=77))
        take("group.targeticons.new")
        self.ok("SetRaidDifficulty", pb.SetRaidDifficultyRequest(realmID=1, playerGUID=1,
                                                                 difficulty=1))
        take("group.difficulty.changed")
        self.ok("SendMessage", pb.SendGroupMessageParams(realmID=1, senderGUID=2, message="o/"))
        take("group.message.new")
        self.ok("SetMemberFlags", pb.SetMemberFlagsRequest(realmID=1, updaterGUID=1,
                                                           memberGUID=2, flags=4))
        take("group.member.flags.changed")
        self.ok("ChangeMemberSubGroup", pb.ChangeMemberSubGroupRequest(
            realmID=1, updaterGUID=1, memberGUID=2, subGroup=3))
        take("group.member.subgroup.changed")
        self.ok("StartReadyCheck", pb.StartReadyCheckRequest(realmID=1, leaderGUID=1))
        take("group.readycheck.started")
        self.ok("SetReadyCheckMemberState", pb.SetReadyCheckMemberStateRequest(
            realmID=1, memberGUID=2, state=1))
        take("group.readycheck.member.state")
        self.ok("FinishReadyCheck", pb.FinishReadyCheckRequest(realmID=1, playerGUID=1))
        take("group.readycheck.finished")
        self.ok("UpdateMemberState", pb.UpdateMemberStateRequest(realmID=1, memberGUID=2,
                                                                 online=True, maxHealth=5))
        take("group.member.state.changed")
        self.ok("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, sourceGatewayID="gw-1", sourceWorldserverID="ws-1",
            snapshots=[pb.PlayerStateSnapshot(memberGUID=1, online=True, maxHealth=9,
                                              timestampMs=1)]))
        take("group.member.states.changed")
        self.ok("ResetInstance", pb.ResetInstanceRequest(realmID=1, playerGUID=1, mapID=33))
        take("group.instance.reset.request")
        self.ok("SetInstanceBindExtension", pb.SetInstanceBindExtensionRequest(
            realmID=1, playerGUID=1, mapID=33, extended=False))
        ext = take("group.instance.bind.extension.request")
        self.assertIs(ext["Extended"], False)
        self.ok("ChangeLeader", pb.ChangeLeaderParams(realmID=1, player=1, newLeader=2))
        take("group.leader.changed")
        # a logout (gateway event, or the presence owner's report of it)
        self.login(1, 1)
        self.wait_online(1, 1)
        self.logout(1, 1)
        off = take("group.member.online.changed", match=lambda p: not p["IsOnline"])
        self.assertEqual((off["GroupID"], off["MemberGUID"]), (gid, 1))
        self.ok("Leave", pb.GroupLeaveParams(realmID=2, player=1))
        take("group.member.left")
        self.ok("Leave", pb.GroupLeaveParams(realmID=1, player=1))
        take("group.disband")
        self.assertEqual(seen, set(EVENTS))


if __name__ == "__main__":
    unittest.main()
