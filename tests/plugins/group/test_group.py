"""GroupService: every RPC with its success and its error classes, against a
real stratusd (characters and group plugins), MariaDB and nats-server. Each
test uses its own characters; bad input must change nothing."""

import unittest

import grpc

from groupenv import GroupCase, envelope, pb, scoped

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
DENIED = grpc.StatusCode.PERMISSION_DENIED


class GroupRpc(GroupCase):

    def rows(self, realm, table, where="1"):
        return list(self.world.query(realm, f"SELECT * FROM {table} WHERE {where}"))

    def snapshot(self):
        return {r: [self.rows(r, t) for t in ("groups", "group_member", "stratus_group_player",
                                              "stratus_group_invite",
                                              "stratus_group_member_foreign")]
                for r in (1, 2, 3)}

    def test_invite_accept_creates_group(self):
        r = self.invite(1, 1, 2, inviterName="x", invitedName="y")
        self.assertEqual(r.status, pb.InviteResponse.Ok)
        ev = self.events.one("group.invite.created")
        self.assertEqual((ev["RealmID"], ev["GroupID"], ev["InviterGUID"], ev["InviteeGUID"]),
                         (1, 0, 1, 2))
        self.assertEqual((ev["InviterName"], ev["InviteeName"]),
                         (self.names[(1, 1)], self.names[(1, 2)]))
        self.assertEqual(self.accept(1, 2).status, pb.AcceptInviteResponse.Ok)
        created = self.events.one("group.created")
        self.assertEqual(created["LeaderGUID"], 1)
        self.assertEqual(sorted(m["MemberGUID"] for m in created["Members"]), [1, 2])
        self.assertEqual((created["LootMethod"], created["LootThreshold"]), (3, 2))
        home, gid = self.group_of(1, 2)
        self.assertEqual((home, gid), self.group_of(1, 1))
        self.assertEqual((home, gid), (1, created["GroupID"]))
        g = self.get_group(1, gid)
        self.assertEqual((g.id, g.realmID, g.leader, g.groupType), (gid, 1, 1, 0))
        self.assertEqual(sorted((m.guid, m.name) for m in g.members),
                         [(1, self.names[(1, 1)]), (2, self.names[(1, 2)])])
        self.assertEqual(len(self.rows(1, "group_member", f"guid = {gid}")), 2)
        self.assertEqual(self.rows(1, "stratus_group_invite"), [])
        # a third member joins the same group through the leader's new invite
        self.invite(1, 1, 3)
        self.accept(1, 3)
        added = self.events.one("group.member.added")
        self.assertEqual((added["GroupID"], added["MemberGUID"]), (gid, 3))
        self.assertEqual(self.group_of(1, 3), (1, gid))

    def test_two_invites_before_any_accept_make_one_group(self):
        self.invite(1, 4, 5)
        self.invite(1, 4, 6)
        self.accept(1, 5)
        self.accept(1, 6)
        self.assertEqual(self.group_of(1, 5), self.group_of(1, 6))
        self.assertEqual(len(self.get_group(*self.group_of(1, 4)).members), 3)

    def test_invite_errors_change_nothing(self):
        home, gid = self.form(1, 7, [(1, 8), (1, 9), (1, 10), (1, 11)])  # a full party
        self.invite(1, 12, 13)
        before = self.snapshot()
        self.events.forget()
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=12, invited=12), INVALID,
                   "itself")
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=12, invited=900), NOT_FOUND,
                   "unknown character")
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=900, invited=12), NOT_FOUND)
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=12, invited=8), PRECONDITION,
                   "already in a group")
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=8, invited=14), DENIED,
                   "leader or an assistant")
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=7, invited=14), PRECONDITION,
                   "full")
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=12, invited=1 << 50), INVALID,
                   "not a player GUID")
        self.fails("Invite", pb.InviteParams(realmID=9, inviter=12, invited=13), INVALID,
                   "unknown realm 9")
        self.fails("Invite", pb.InviteParams(realmID=1, inviter=12, invited=scoped(7, 1)),
                   INVALID)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.events.none("group.invite.created"), [])

    def test_accept_and_decline(self):
        r = self.ok("AcceptInvite", pb.AcceptInviteParams(realmID=1, player=15))
        self.assertEqual(r.status, pb.AcceptInviteResponse.InviteNotFound)
        r = self.ok("DeclineInvite", pb.DeclineInviteParams(realmID=1, player=15))
        self.assertEqual(r.status, pb.DeclineInviteResponse.InviteNotFound)
        self.invite(1, 16, 15)
        r = self.ok("DeclineInvite", pb.DeclineInviteParams(realmID=1, player=15))
        self.assertEqual(r.status, pb.DeclineInviteResponse.Ok)
        ev = self.events.one("group.invite.declined")
        self.assertEqual((ev["RealmID"], ev["InviterGUID"], ev["InviteeGUID"],
                          ev["InviteeName"]), (1, 16, 15, self.names[(1, 15)]))
        r = self.ok("AcceptInvite", pb.AcceptInviteParams(realmID=1, player=15))
        self.assertEqual(r.status, pb.AcceptInviteResponse.InviteNotFound)
        self.assertEqual(self.group_of(1, 15), (0, 0))
        self.fails("AcceptInvite", pb.AcceptInviteParams(realmID=1, player=0), INVALID)

    def test_leave_promotes_and_disbands(self):
        home, gid = self.form(1, 17, [(1, 18), (1, 19)])
        self.ok("Leave", pb.GroupLeaveParams(realmID=1, player=19))
        left = self.events.one("group.member.left")
        self.assertEqual((left["MemberGUID"], left["NewLeaderID"]), (19, 0))
        self.assertIn(19, left["OnlineMembers"] or [19])  # the leaver hears it too
        self.ok("Leave", pb.GroupLeaveParams(realmID=1, player=17))  # the leader: 2 → disband
        dis = self.events.one("group.disband")
        self.assertEqual(dis["GroupID"], gid)
        for guid in (17, 18, 19):
            self.assertEqual(self.group_of(1, guid), (0, 0))
        self.assertEqual(self.rows(1, "groups", f"guid = {gid}"), [])
        self.assertEqual(self.rows(1, "stratus_group_player", f"groupId = {gid}"), [])
        self.fails("Leave", pb.GroupLeaveParams(realmID=1, player=17), PRECONDITION,
                   "not in a group")

    def test_leader_leaving_hands_over(self):
        home, gid = self.form(1, 20, [(1, 21), (1, 22)])
        self.ok("Leave", pb.GroupLeaveParams(realmID=1, player=20))
        left = self.events.one("group.member.left")
        self.assertIn(left["NewLeaderID"], (21, 22))
        self.assertEqual(self.get_group(1, gid).leader, left["NewLeaderID"])

    def test_uninvite(self):
        home, gid = self.form(1, 23, [(1, 24), (1, 25)])
        before = self.snapshot()
        self.fails("Uninvite", pb.UninviteParams(realmID=1, initiator=24, target=25), DENIED)
        self.fails("Uninvite", pb.UninviteParams(realmID=1, initiator=23, target=26),
                   PRECONDITION, "not in group")
        self.fails("Uninvite", pb.UninviteParams(realmID=1, initiator=24, target=23), DENIED)
        self.assertEqual(self.snapshot(), before)
        r = self.ok("Uninvite", pb.UninviteParams(realmID=1, initiator=23, target=25,
                                                  reason="afk"))
        self.assertEqual(r.status, pb.UninviteResponse.Ok)
        self.assertEqual(self.events.one("group.member.left")["MemberGUID"], 25)
        self.assertEqual(self.group_of(1, 25), (0, 0))

    def test_change_leader(self):
        home, gid = self.form(1, 26, [(1, 27)])
        self.fails("ChangeLeader", pb.ChangeLeaderParams(realmID=1, player=27, newLeader=27),
                   DENIED)
        self.fails("ChangeLeader", pb.ChangeLeaderParams(realmID=1, player=26, newLeader=28),
                   PRECONDITION)
        self.ok("ChangeLeader", pb.ChangeLeaderParams(realmID=1, player=26, newLeader=27))
        ev = self.events.one("group.leader.changed")
        self.assertEqual((ev["PreviousLeader"], ev["NewLeader"]), (26, 27))
        self.assertEqual(self.get_group(1, gid).leader, 27)

    def test_settings(self):
        home, gid = self.form(1, 29, [(1, 30)])
        before = self.snapshot()
        self.events.forget()
        self.fails("ConvertToRaid", pb.ConvertToRaidParams(realmID=1, player=30), DENIED)
        self.fails("SetLootMethod", pb.SetLootMethodRequest(realmID=1, playerGUID=29, method=9),
                   INVALID)
        self.fails("SetLootMethod", pb.SetLootMethodRequest(realmID=1, playerGUID=29, method=2,
                                                            lootMaster=31), PRECONDITION)
        self.fails("SetLootMethod", pb.SetLootMethodRequest(realmID=1, playerGUID=30, method=0),
                   DENIED)
        self.fails("SetGroupTargetIcon", pb.SetGroupTargetIconRequest(
            realmID=1, setterGUID=29, iconID=8, targetGUID=5), INVALID)
        self.fails("SetDungeonDifficulty", pb.SetDungeonDifficultyRequest(
            realmID=1, playerGUID=29, difficulty=5), INVALID)
        self.fails("SetRaidDifficulty", pb.SetRaidDifficultyRequest(
            realmID=1, playerGUID=30, difficulty=1), DENIED)
        self.assertEqual(self.snapshot(), before)
        self.ok("ConvertToRaid", pb.ConvertToRaidParams(realmID=1, player=29))
        self.assertEqual(self.events.one("group.converted.raid")["Leader"], 29)
        self.ok("SetLootMethod", pb.SetLootMethodRequest(realmID=1, playerGUID=29, method=2,
                                                         lootMaster=30, lootThreshold=4))
        ev = self.events.one("group.loot.changed")
        self.assertEqual((ev["NewLootType"], ev["NewLooterGUID"], ev["NewLooterThreshold"]),
                         (2, 30, 4))
        self.ok("SetGroupTargetIcon", pb.SetGroupTargetIconRequest(
            realmID=1, setterGUID=29, iconID=3, targetGUID=0xF130000000001234))
        ev = self.events.one("group.targeticons.new")
        self.assertEqual((ev["IconID"], ev["Target"], ev["Updater"]), (3, 0xF130000000001234, 29))
        r = self.ok("SetDungeonDifficulty", pb.SetDungeonDifficultyRequest(
            realmID=1, playerGUID=29, difficulty=1))
        self.assertEqual(r.status, pb.SetDungeonDifficultyResponse.Ok)
        ev = self.events.one("group.difficulty.changed")
        self.assertEqual(ev["DungeonDifficulty"], 1)
        self.assertNotIn("RaidDifficulty", ev)
        self.ok("SetRaidDifficulty", pb.SetRaidDifficultyRequest(realmID=1, playerGUID=29,
                                                                 difficulty=3))
        ev = self.events.one("group.difficulty.changed")
        self.assertEqual(ev["RaidDifficulty"], 3)
        self.assertNotIn("DungeonDifficulty", ev)
        g = self.get_group(1, gid)
        self.assertEqual((g.groupType, g.lootMethod, g.masterLooter, g.lootThreshold,
                          g.difficulty, g.raidDifficulty, g.targetIconsList[3]),
                         (2, 2, 30, 4, 1, 3, 0xF130000000001234))

    def test_difficulty_refused_inside_an_instance(self):
        home, gid = self.form(1, 31, [(1, 32)])
        self.ok("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, sourceGatewayID="gw-1", sourceWorldserverID="ws-1",
            snapshots=[pb.PlayerStateSnapshot(memberGUID=32, online=True, mapID=33,
                                              instanceID=7, maxHealth=10, health=5,
                                              timestampMs=1000)]))
        r = self.ok("SetDungeonDifficulty", pb.SetDungeonDifficultyRequest(
            realmID=1, playerGUID=31, difficulty=1))
        self.assertEqual(r.status, pb.SetDungeonDifficultyResponse.MemberIsInDungeon)
        self.assertEqual(self.get_group(1, gid).difficulty, 0)

    def test_send_message(self):
        self.fails("SendMessage", pb.SendGroupMessageParams(realmID=1, senderGUID=33,
                                                            message="hi"), PRECONDITION)
        self.login_all([(1, 33), (1, 34)])
        home, gid = self.form(1, 33, [(1, 34)])
        self.fails("SendMessage", pb.SendGroupMessageParams(realmID=1, senderGUID=33,
                                                            message=""), INVALID)
        self.fails("SendMessage", pb.SendGroupMessageParams(realmID=1, senderGUID=33,
                                                            message="x" * 256), INVALID)
        self.ok("SendMessage", pb.SendGroupMessageParams(realmID=1, senderGUID=34,
                                                         messageType=2, message="pull <now> & go",
                                                         language=7, senderChatTag=4))
        ev = self.events.one("group.message.new")
        self.assertEqual((ev["SenderGUID"], ev["SenderName"], ev["Msg"], ev["Language"],
                          ev["MessageType"], ev["SenderChatTag"]),
                         (34, self.names[(1, 34)], "pull <now> & go", 7, 2, 4))
        self.assertEqual(sorted(ev["Receivers"]), [33, 34])

    def test_member_flags(self):
        home, gid = self.form(1, 35, [(1, 36), (1, 37)])
        self.fails("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=35, memberGUID=36, flags=0x08), INVALID)
        self.fails("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=36, memberGUID=37, flags=1), DENIED)
        self.ok("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=35, memberGUID=36, flags=0x03, roles=2))
        ev = self.events.one("group.member.flags.changed")
        self.assertEqual((ev["MemberGUID"], ev["Flags"], ev["Roles"]), (36, 3, 2))
        # an assistant may set main tank but not the assistant bit
        self.fails("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=36, memberGUID=37, flags=0x01), DENIED)
        self.ok("SetMemberFlags", pb.SetMemberFlagsRequest(
            realmID=1, updaterGUID=36, memberGUID=37, flags=0x02))
        evs = self.events.wait("group.member.flags.changed", 2)
        self.assertEqual(sorted((e["MemberGUID"], e["Flags"]) for e in evs), [(36, 1), (37, 2)])
        flags = {m.guid: m.flags for m in self.get_group(1, gid).members}
        self.assertEqual(flags, {35: 0, 36: 1, 37: 2})

    def test_subgroups_need_a_raid(self):
        home, gid = self.form(1, 38, [(1, 39)])
        self.fails("ChangeMemberSubGroup", pb.ChangeMemberSubGroupRequest(
            realmID=1, updaterGUID=38, memberGUID=39, subGroup=8), INVALID, "0-7")
        self.fails("ChangeMemberSubGroup", pb.ChangeMemberSubGroupRequest(
            realmID=1, updaterGUID=38, memberGUID=39, subGroup=1), PRECONDITION, "not a raid")
        self.ok("ConvertToRaid", pb.ConvertToRaidParams(realmID=1, player=38))
        self.fails("ChangeMemberSubGroup", pb.ChangeMemberSubGroupRequest(
            realmID=1, updaterGUID=39, memberGUID=38, subGroup=1), DENIED)
        self.ok("ChangeMemberSubGroup", pb.ChangeMemberSubGroupRequest(
            realmID=1, updaterGUID=38, memberGUID=39, subGroup=6))
        ev = self.events.one("group.member.subgroup.changed")
        self.assertEqual((ev["MemberGUID"], ev["SubGroup"]), (39, 6))
        self.assertEqual({m.guid: m.subGroup for m in self.get_group(1, gid).members},
                         {38: 0, 39: 6})

    def test_ready_check(self):
        home, gid = self.form(1, 40, [(1, 41)])
        self.fails("StartReadyCheck", pb.StartReadyCheckRequest(realmID=1, leaderGUID=41),
                   DENIED)
        self.fails("StartReadyCheck", pb.StartReadyCheckRequest(realmID=1, leaderGUID=40,
                                                                durationMs=500000), INVALID)
        self.ok("StartReadyCheck", pb.StartReadyCheckRequest(realmID=1, leaderGUID=40,
                                                             durationMs=30000))
        ev = self.events.one("group.readycheck.started")
        self.assertEqual((ev["LeaderGUID"], ev["DurationMs"]), (40, 30000))
        self.ok("SetReadyCheckMemberState", pb.SetReadyCheckMemberStateRequest(
            realmID=1, memberGUID=41, state=7))
        states = self.events.wait("group.readycheck.member.state", 1,
                                  match=lambda p: p["MemberGUID"] == 41 and p["State"])
        self.assertEqual(states[0]["State"], 2)
        self.fails("FinishReadyCheck", pb.FinishReadyCheckRequest(realmID=1, playerGUID=41),
                   DENIED)
        self.ok("FinishReadyCheck", pb.FinishReadyCheckRequest(realmID=1, playerGUID=40))
        self.events.one("group.readycheck.finished")
        # the timer finishes a check nobody ends, once
        self.ok("StartReadyCheck", pb.StartReadyCheckRequest(realmID=1, leaderGUID=40,
                                                             durationMs=200))
        fin = self.events.one("group.readycheck.finished", timeout=10)
        self.assertEqual(fin["GroupID"], gid)
        self.assertEqual(self.events.none("group.readycheck.finished", 0.5), [])

    def test_instance_relays(self):
        self.login_all([(1, 42)])
        self.ok("ResetInstance", pb.ResetInstanceRequest(realmID=1, playerGUID=42, mapID=36,
                                                         difficulty=1))
        ev = self.events.one("group.instance.reset.request")
        self.assertEqual((ev["GroupID"], ev["PlayerGUID"], ev["MapID"], ev["Receivers"]),
                         (0, 42, 36, [42]))
        self.login_all([(1, 42), (1, 43)])
        home, gid = self.form(1, 42, [(1, 43)])
        self.fails("ResetInstance", pb.ResetInstanceRequest(realmID=1, playerGUID=43, mapID=36),
                   DENIED)
        self.fails("SetInstanceBindExtension", pb.SetInstanceBindExtensionRequest(
            realmID=1, playerGUID=42, mapID=36, difficulty=9), INVALID)
        self.ok("SetInstanceBindExtension", pb.SetInstanceBindExtensionRequest(
            realmID=1, playerGUID=42, mapID=603, difficulty=1, extended=True))
        ev = self.events.one("group.instance.bind.extension.request")
        self.assertEqual((ev["GroupID"], ev["MapID"], ev["Difficulty"], ev["Extended"]),
                         (gid, 603, 1, True))
        self.assertEqual(sorted(ev["Receivers"]), [42, 43])

    def test_member_states(self):
        self.login_all([(1, 44), (1, 45), (1, 46)])
        home, gid = self.form(1, 44, [(1, 45), (1, 46)])
        snap = pb.PlayerStateSnapshot(memberGUID=45, online=True, level=70, classID=1,
                                      zoneID=12, mapID=0, health=50, maxHealth=100, power=3,
                                      maxPower=100, timestampMs=5000, aurasKnown=True,
                                      auras=[pb.PlayerAuraSnapshot(slot=1, spellID=1243,
                                                                   flags=9)], dead=False)
        self.ok("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, sourceGatewayID="gw-1", sourceWorldserverID="ws-1", snapshots=[snap]))
        ev = self.events.one("group.member.states.changed")
        self.assertEqual((ev["GroupID"], ev["SourceGatewayID"], ev["SourceWorldserverID"]),
                         (gid, "gw-1", "ws-1"))
        st = ev["States"][0]
        self.assertEqual((st["MemberGUID"], st["Level"], st["Health"], st["MaxHealth"],
                          st["DeadKnown"], st["GhostKnown"]), (45, 70, 50, 100, True, False))
        self.assertEqual(st["Auras"], [{"Slot": 1, "SpellID": 1243, "Flags": 9}])
        # stale: older than what is held
        old = pb.PlayerStateSnapshot(memberGUID=45, online=True, level=1, timestampMs=4000)
        self.fails("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, snapshots=[old]), PRECONDITION, "stale")
        self.fails("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, snapshots=[pb.PlayerStateSnapshot(memberGUID=scoped(2, 1))]), INVALID)
        self.fails("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(realmID=1),
                   INVALID)
        self.fails("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, snapshots=[pb.PlayerStateSnapshot(memberGUID=45, level=256,
                                                         timestampMs=9000)]), INVALID, "bytes")
        # a partial snapshot keeps the vitals
        part = pb.PlayerStateSnapshot(memberGUID=45, online=True, zoneID=14, timestampMs=6000)
        self.ok("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, sourceGatewayID="gw-1", sourceWorldserverID="ws-1", snapshots=[part]))
        st = self.events.one("group.member.states.changed")["States"][0]
        self.assertEqual((st["ZoneID"], st["Health"], st["Level"]), (14, 50, 70))
        r = self.ok("GetMemberPlacements", pb.GetMemberPlacementsRequest(
            realmID=1, memberGUIDs=[45, 46]))
        p45, p46 = r.placements
        self.assertEqual((p45.memberGUID, p45.gatewayID, p45.worldserverID, p45.timestampMs,
                          p45.fresh), (45, "gw-1", "ws-1", 6000, True))
        self.assertEqual((p46.memberGUID, p46.gatewayID, p46.fresh), (46, "", False))
        self.ok("UpdateMemberState", pb.UpdateMemberStateRequest(
            realmID=1, memberGUID=46, online=True, level=12, health=9, maxHealth=20,
            instanceID=3))
        ev = self.events.one("group.member.state.changed")
        self.assertEqual((ev["MemberGUID"], ev["Level"], ev["Health"]), (46, 12, 9))
        self.assertEqual(sorted(ev["Receivers"]), [44, 45, 46])

    def test_state_fan_out_suppressed_on_one_worldserver(self):
        self.login_all([(1, 47), (1, 48)])
        home, gid = self.form(1, 47, [(1, 48)])
        snaps = [pb.PlayerStateSnapshot(memberGUID=g, online=True, mapID=1, maxHealth=10,
                                        health=10, timestampMs=100) for g in (47, 48)]
        self.ok("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, sourceGatewayID="gw-1", sourceWorldserverID="ws-9", snapshots=snaps))
        # both placed on ws-9, map 1: the worldserver shows them to each other
        self.assertEqual(self.events.none("group.member.states.changed"), [])
        moved = pb.PlayerStateSnapshot(memberGUID=48, online=True, mapID=530, maxHealth=10,
                                       health=4, timestampMs=200)
        self.ok("BulkUpdateMemberStates", pb.BulkUpdateMemberStatesRequest(
            realmID=1, sourceGatewayID="gw-1", sourceWorldserverID="ws-8", snapshots=[moved]))
        ev = self.events.one("group.member.states.changed")
        self.assertEqual([s["MemberGUID"] for s in ev["States"]], [48])

    def test_lookups(self):
        self.fails("GetGroup", pb.GetGroupRequest(realmID=1, groupID=0), INVALID)
        self.fails("GetGroup", pb.GetGroupRequest(realmID=1, groupID=99999), NOT_FOUND)
        self.fails("GetGroup", pb.GetGroupRequest(realmID=8, groupID=1), INVALID,
                   "unknown realm 8")
        r = self.ok("GetGroupByMember", pb.GetGroupByMemberRequest(realmID=1, player=49))
        self.assertFalse(r.HasField("group"))
        self.assertEqual(self.group_of(1, 49), (0, 0))
        self.fails("GetGroupByMember", pb.GetGroupByMemberRequest(realmID=1, player=999),
                   NOT_FOUND)
        home, gid = self.form(1, 49, [(1, 50)])
        r = self.ok("GetGroupByMember", pb.GetGroupByMemberRequest(realmID=1, player=50))
        self.assertEqual((r.group.id, r.group.leader), (gid, 49))

    def test_crossrealm_members(self):
        # realm 1's leader invites a realm 2 and a realm 3 character (realm-scoped GUIDs)
        home, gid = self.form(1, 51, [(2, 1), (3, 1)])
        self.assertEqual(home, 1)
        self.assertEqual(self.group_of(2, 1), (1, gid))
        self.assertEqual(self.group_of(1, scoped(3, 1)), (1, gid))
        g = self.get_group(1, gid)
        self.assertEqual(sorted((m.guid, m.realmID, m.name) for m in g.members),
                         [(51, 1, self.names[(1, 51)]),
                          (scoped(2, 1), 2, self.names[(2, 1)]),
                          (scoped(3, 1), 3, self.names[(3, 1)])])
        foreign = self.rows(1, "stratus_group_member_foreign", f"guid = {gid}")
        self.assertEqual(len(foreign), 2)
        # a realm 2 member leaves with its own realm's low GUID
        self.ok("Leave", pb.GroupLeaveParams(realmID=2, player=1))
        left = self.events.one("group.member.left")
        self.assertEqual(left["MemberGUID"], scoped(2, 1))
        self.assertEqual(self.group_of(2, 1), (0, 0))
        self.assertEqual(self.rows(2, "stratus_group_player", "memberGuid = 1"), [])
        # the foreign member invites someone of its own realm into the realm-1 group
        self.ok("ChangeLeader", pb.ChangeLeaderParams(realmID=1, player=51,
                                                      newLeader=scoped(3, 1)))
        self.ok("Invite", pb.InviteParams(realmID=3, inviter=1, invited=2))
        self.accept(3, 2)
        self.assertEqual(self.group_of(3, 2), (1, gid))
        self.assertEqual(self.get_group(1, gid).leader, scoped(3, 1))

    def test_gateway_loss(self):
        home, gid = self.form(1, 59, [(1, 60)])
        for realm, guid in ((1, 59), (1, 60), (2, 6)):
            self.login(realm, guid, gateway="gw-lost")
        for realm, guid in ((1, 59), (1, 60), (2, 6)):
            self.wait_online(realm, guid)
        self.invite(1, 59, scoped(2, 6))
        self.events.forget()
        for realm, guids in ((1, [60]), (2, [6])):
            self.gw.publish("char.chars.unhealthy.gw", envelope("0.0.1", 1, {
                "RealmID": realm, "GatewayID": "gw-lost", "CharactersGUID": guids}))
        self.gw.flush()
        off = self.events.one("group.member.online.changed", match=lambda p: not p["IsOnline"])
        self.assertEqual((off["GroupID"], off["MemberGUID"]), (gid, 60))
        self.assertNotIn(60, off["OnlineMembers"] or [])
        self.d.wait_for(lambda: self.ok("DeclineInvite", pb.DeclineInviteParams(
            realmID=2, player=6)).status == pb.DeclineInviteResponse.InviteNotFound,
            "the lost character's invite dropped")
        self.assertEqual(self.group_of(1, 60), (1, gid))  # still a member, offline

    def lfg_members(self, people, leader):
        return [pb.AcceptedLfgGroupMember(realmID=r, playerGUID=g, selectedRoles=8,
                                          assignedRole=2 if (r, g) == leader else 8,
                                          queueLeaderRealmID=leader[0],
                                          queueLeaderGUID=leader[1]) for r, g in people]

    def test_lfg_groups(self):
        people = [(1, 52), (2, 2), (3, 4), (1, 53), (1, 54)]
        req = pb.RegisterAcceptedLfgGroupRequest(
            realmID=1, proposalID=7, dungeonEntry=261, leaderRealmID=1, leaderGUID=52,
            crossRealm=True, members=self.lfg_members(people, (1, 52)))
        gid = self.ok("RegisterAcceptedLfgGroup", req).groupID
        created = self.events.one("group.created")
        self.assertEqual((created["GroupID"], created["LfgDungeonEntry"], created["LeaderGUID"]),
                         (gid, 261, 52))
        self.assertEqual(created["GroupType"] & 0x0C, 0x0C)
        self.assertEqual(sorted(m["MemberGUID"] for m in created["Members"]),
                         sorted([52, 53, 54, scoped(2, 2), scoped(3, 4)]))
        self.assertEqual(self.rows(1, "lfg_data", f"guid = {gid}"), [(gid, 261, 5)])
        for r, g in people:
            self.assertEqual(self.group_of(r, g), (1, gid))
        # the same proposal again: the same group, nothing new
        self.assertEqual(self.ok("RegisterAcceptedLfgGroup", req).groupID, gid)
        self.assertEqual(self.events.none("group.created"), [])
        # a member grouped elsewhere refuses the whole proposal; claims made are undone
        self.form(1, 55, [(1, 56)])
        before = self.snapshot()
        self.events.forget()
        bad = pb.RegisterAcceptedLfgGroupRequest(
            realmID=1, dungeonEntry=261, leaderRealmID=2, leaderGUID=3,
            members=self.lfg_members([(2, 3), (3, 3), (1, 56)], (2, 3)))
        self.fails("RegisterAcceptedLfgGroup", bad, PRECONDITION, "another group")
        self.assertEqual(self.snapshot(), before)
        self.fails("RegisterAcceptedLfgGroup", pb.RegisterAcceptedLfgGroupRequest(
            realmID=1, dungeonEntry=261, leaderGUID=57,
            members=self.lfg_members([(1, 58)], (1, 58))), INVALID, "leader is not a member")
        # the worldserver built its native group 900: the canonical group takes its settings
        self.world.execute(1, "INSERT INTO groups (guid, leaderGuid, lootMethod, looterGuid, "
                           "lootThreshold, icon1, icon2, icon3, icon4, icon5, icon6, icon7, "
                           "icon8, groupType, masterLooterGuid) VALUES (900, 52, 0, 0, 0, 0, "
                           "0, 0, 0, 0, 0, 0, 0, 8, 0)")
        self.ok("RegisterMaterializedLfgGroup", pb.RegisterMaterializedLfgGroupRequest(
            realmID=1, groupID=900, leaderGUID=52, groupType=0x08, difficulty=1,
            members=[pb.MaterializedLfgGroupMember(realmID=2, playerGUID=2, flags=2, roles=2,
                                                   subGroup=0, isOnline=True, name="x")]))
        self.assertEqual(self.rows(1, "groups", "guid = 900"), [])
        g = self.get_group(1, gid)
        self.assertEqual((g.groupType, g.difficulty), (0x08, 1))
        self.assertEqual({m.guid: (m.flags, m.roles) for m in g.members}[scoped(2, 2)], (2, 2))
        self.fails("RegisterMaterializedLfgGroup", pb.RegisterMaterializedLfgGroupRequest(
            realmID=1, groupID=901, leaderGUID=58), PRECONDITION, "no accepted group")
        # leaving keeps lfg_data until the group is gone
        for r, g in people[:-1]:
            self.ok("Leave", pb.GroupLeaveParams(realmID=r, player=g))
        self.assertEqual(self.rows(1, "lfg_data", f"guid = {gid}"), [])

if __name__ == "__main__":
    unittest.main()
