"""The arena-team methods of CharactersService in a real stratusd (arenateam
plugin) against a real MariaDB and nats-server: every method's success and
refusals, the charter flow with two signers, invites that survive a restart,
the queue lock-out through MatchmakingService, events as the Go gateway
decodes them, and bad input that changes nothing."""

import unittest

import grpc

import schema
from arenatest import (CHARS, CREATE, EV_DISBANDED, EV_JOIN, EV_LEADER_CHANGED, EV_LEAVE,
                       EV_REMOVE, GET, INVITE_CREATED, M, NATIVE_EVENT, PETITION, QUEUE, REALM,
                       Stack, add_character, add_charter, clear, go_decode, snapshot)

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NATIVE, INVITED = "char.arena-team.native-event", "char.arena-team.invite-created"
PLAYERS = {1: "Capa", 2: "Signa", 3: "Signb", 4: "Joiner", 5: "Other", 6: "Sixth",
           7: "Seventh", 8: "Eighth", 9: "Ninth", 10: "Tenth"}
START = dict(startRating=1500, startPersonalRating=1200, startMatchmakerRating=1400)


class ArenaTeamTest(unittest.TestCase):
    KIND = "fixture"

    @classmethod
    def setUpClass(cls):
        if cls.KIND == "real" and not schema.azerothcore_dir():
            raise unittest.SkipTest("no ../shared/azerothcore (the real AzerothCore schema)")
        cls.s = Stack(kind=cls.KIND)
        for guid, name in PLAYERS.items():
            add_character(cls.s.db, guid, name, level=70 + guid, cls=guid % 9 + 1)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def setUp(self):
        clear(self.s.db)
        self.s.mm.queued.clear()
        self.s.sub.drain_messages(0.05)

    # -- helpers ------------------------------------------------------------------------
    def q(self, sql, args=()):
        return self.s.db.query(CHARS, sql, args)

    def create(self, captain=1, petition=500, name="Gladiators", type_=2, signers=(2,), **kw):
        add_charter(self.s.db, captain, petition, name, type_, signers)
        fields = dict(START, captainGUID=captain, petitionGUID=petition, arenaType=type_,
                      backgroundColor=11, emblemStyle=12, emblemColor=13, borderStyle=14,
                      borderColor=15)
        fields.update(kw)
        return self.s.call("CreateArenaTeamFromPetition", **fields)

    def team(self, **kw):
        r = self.create(**kw)
        self.assertEqual(r.status, CREATE.Ok)
        return r.arenaTeamID

    def members(self, team):
        return [g for (g,) in self.q("SELECT guid FROM arena_team_member WHERE arenaTeamId = %s "
                                     "ORDER BY guid", (team,))]

    def unchanged(self, fn):
        before = snapshot(self.s.db)
        result = fn()
        self.assertEqual(snapshot(self.s.db), before)
        return result

    def native(self):
        return go_decode(self.s.next_event(NATIVE), 3, NATIVE_EVENT)

    # -- charters ---------------------------------------------------------------------------
    def test_charter_with_two_signers_becomes_a_team(self):
        add_charter(self.s.db, 2, 600, "Signer charter", 3)       # signer's own 3v3 charter
        add_charter(self.s.db, 3, 601, "Other kind", 2, (5,))     # 2v2: not of the type
        add_charter(self.s.db, 4, 602, "Signed by 2", 3, (2, 5))  # signer 2 signed it
        add_charter(self.s.db, 1, 500, "Three Kings", 3, (2, 3))
        p = self.s.call("GetArenaTeamPetition", petitionGUID=500)
        self.assertEqual((p.status, p.petition.ownerGUID, p.petition.name, p.petition.arenaType,
                          p.petition.signatures, p.petition.petitionID),
                         (PETITION.Ok, 1, "Three Kings", 3, 2, 500))
        r = self.s.call("CreateArenaTeamFromPetition", captainGUID=1, petitionGUID=500,
                        arenaType=3, backgroundColor=7, borderColor=9, **START)
        self.assertEqual(r.status, CREATE.Ok)
        self.assertGreater(r.arenaTeamID, 0)
        row = self.q("SELECT name, captainGuid, type, rating, backgroundColor, borderColor "
                     "FROM arena_team WHERE arenaTeamId = %s", (r.arenaTeamID,))
        self.assertEqual(row, [("Three Kings", 1, 3, 1500, 7, 9)])
        self.assertEqual(self.q("SELECT guid, personalRating FROM arena_team_member "
                                "ORDER BY guid"), [(1, 1200), (2, 1200), (3, 1200)])
        self.assertEqual(self.q("SELECT guid, slot, matchMakerRating FROM character_arena_stats "
                                "ORDER BY guid"), [(1, 1, 1400), (2, 1, 1400), (3, 1, 1400)])
        # the charter, the members' other 3v3 charters and signatures are gone; 2v2 ones stay
        self.assertEqual(self.q("SELECT petitionguid FROM petition ORDER BY petitionguid"),
                         [(601,), (602,)])
        self.assertEqual(self.q("SELECT petitionguid, playerguid FROM petition_sign "
                                "ORDER BY petitionguid, playerguid"), [(601, 5), (602, 5)])
        p = self.s.call("GetArenaTeamPetition", petitionGUID=500)
        self.assertEqual(p.status, PETITION.NotFound)
        # the gateway lost the answer and sends the call again: the same team, nothing more
        again = self.unchanged(lambda: self.s.call(
            "CreateArenaTeamFromPetition", captainGUID=1, petitionGUID=500, arenaType=3, **START))
        self.assertEqual((again.status, again.arenaTeamID), (CREATE.Ok, r.arenaTeamID))
        other = self.unchanged(lambda: self.s.call(
            "CreateArenaTeamFromPetition", captainGUID=2, petitionGUID=500, arenaType=3, **START))
        self.assertEqual((other.status, other.arenaTeamID), (CREATE.NotFound, 0))
        g = self.s.call("GetArenaTeam", arenaTeamID=r.arenaTeamID)
        self.assertEqual((g.status, g.team.name, g.team.captainGUID, g.team.type, g.team.rating,
                          g.team.backgroundColor), (GET.Ok, "Three Kings", 1, 3, 1500, 7))
        self.assertEqual([(m.playerGUID, m.name, m.level, getattr(m, "class"), m.personalRating,
                           m.matchmakerRating) for m in g.team.members],
                         [(1, "Capa", 71, 2, 1200, 1400), (2, "Signa", 72, 3, 1200, 1400),
                          (3, "Signb", 73, 4, 1200, 1400)])
        # the same ID with this realm in the top byte names the same team
        g2 = self.s.call("GetArenaTeam", arenaTeamID=REALM << 24 | r.arenaTeamID)
        self.assertEqual(g2.team.name, "Three Kings")

    def test_create_refusals_change_nothing(self):
        existing = self.team(captain=5, petition=400, name="Taken", signers=(6,))
        add_charter(self.s.db, 1, 501, "Few", 3, (2,))          # 3v3 needs 2 signers
        add_charter(self.s.db, 1, 502, "Free name", 2, (6,))    # 6 is in a 2v2 team
        add_charter(self.s.db, 2, 503, "Taken", 2, (3,))        # the name exists
        add_charter(self.s.db, 3, 504, " Spaced", 2, (4,))      # not a valid name
        add_charter(self.s.db, 4, 505, "Guild", 9, (7,))        # a guild charter
        cases = [
            (dict(captainGUID=1, petitionGUID=999, arenaType=2), CREATE.NotFound),
            (dict(captainGUID=2, petitionGUID=501, arenaType=3), CREATE.NotOwner),
            (dict(captainGUID=1, petitionGUID=501, arenaType=2), CREATE.InvalidType),
            (dict(captainGUID=1, petitionGUID=501, arenaType=4), CREATE.InvalidType),
            (dict(captainGUID=4, petitionGUID=505, arenaType=2), CREATE.InvalidType),
            (dict(captainGUID=1, petitionGUID=501, arenaType=3), CREATE.NotEnoughSignatures),
            (dict(captainGUID=1, petitionGUID=502, arenaType=2), CREATE.AlreadyInTeam),
            (dict(captainGUID=5, petitionGUID=502, arenaType=2), CREATE.NotOwner),
            (dict(captainGUID=2, petitionGUID=503, arenaType=2), CREATE.NameExists),
            (dict(captainGUID=3, petitionGUID=504, arenaType=2), CREATE.InvalidName),
        ]
        for fields, status in cases:
            with self.subTest(**fields):
                r = self.unchanged(lambda: self.s.call("CreateArenaTeamFromPetition",
                                                       **dict(START, **fields)))
                self.assertEqual((r.status, r.arenaTeamID), (status, 0))
        self.assertEqual(self.members(existing), [5, 6])

    def test_get_petition_and_team_refusals(self):
        add_charter(self.s.db, 4, 505, "Guild", 9, (7, 8))
        self.assertEqual(self.s.call("GetArenaTeamPetition", petitionGUID=505).status,
                         PETITION.NotArena)
        self.assertEqual(self.s.call("GetArenaTeamPetition", petitionGUID=77).status,
                         PETITION.NotFound)
        g = self.s.call("GetArenaTeam", arenaTeamID=4242)
        self.assertEqual((g.status, g.HasField("team")), (GET.NotFound, False))

    def test_bad_input_is_invalid_argument_and_changes_nothing(self):
        team = self.team()
        other_realm = 2 << 24 | team
        cases = [
            ("GetArenaTeam", dict(arenaTeamID=0)),
            ("GetArenaTeam", dict(arenaTeamID=other_realm)),
            ("GetArenaTeam", dict(realmID=9, arenaTeamID=team)),
            ("GetArenaTeamPetition", dict(petitionGUID=0)),
            ("CreateArenaTeamFromPetition", dict(captainGUID=0, petitionGUID=1, arenaType=2)),
            ("CreateArenaTeamFromPetition", dict(captainGUID=1, petitionGUID=1 << 40,
                                                 arenaType=2)),
            ("InviteArenaTeamMember", dict(arenaTeamID=team, inviterGUID=1, targetGUID=1)),
            ("InviteArenaTeamMember", dict(arenaTeamID=team, inviterGUID=1,
                                           targetGUID=1 << 48 | 4)),
            ("InviteArenaTeamMember", dict(arenaTeamID=team, inviterGUID=1,
                                           targetGUID=2 << 32 | 4)),
            ("InviteArenaTeamMember", dict(arenaTeamID=team, inviterGUID=1, targetGUID=4,
                                           targetName="Abcdefghijklm")),
            ("AcceptArenaTeamInvite", dict(playerGUID=0)),
            ("DeclineArenaTeamInvite", dict(playerGUID=0)),
            ("AddArenaTeamMember", dict(arenaTeamID=other_realm, playerGUID=4)),
            ("RemoveArenaTeamMember", dict(arenaTeamID=team, playerGUID=2, actorGUID=0)),
            ("DisbandArenaTeam", dict(arenaTeamID=0, actorGUID=1)),
            ("SetArenaTeamCaptain", dict(arenaTeamID=team, captainGUID=0, actorGUID=1)),
            ("SetArenaTeamName", dict(arenaTeamID=team, name="x", actorGUID=0)),
            ("SaveArenaTeamStats", dict(arenaTeamID=team, slot=3)),
            ("SaveArenaTeamStats", dict(arenaTeamID=team, weekGames=1, weekWins=2)),
            ("SaveArenaTeamStats", dict(arenaTeamID=team, rating=70000)),
            ("ValidateArenaTeamCharacterDelete", dict(playerGUID=0)),
            ("RemovePlayerFromArenaTeams", dict(playerGUID=0)),
            ("ArenaTeamQueueDataForRatedArena", dict(leaderGUID=0, arenaType=2,
                                                     playerGUIDs=[1, 2])),
            ("DeleteAllArenaTeams", dict(realmID=9)),
        ]
        for method, fields in cases:
            with self.subTest(method=method, **fields):
                code, details = self.unchanged(lambda: self.s.error(method, **fields))
                self.assertEqual(code, INVALID, details)
                self.assertTrue(details)

    # -- invites --------------------------------------------------------------------------------
    def test_invite_accept_and_events(self):
        team = self.team()
        r = self.s.call("InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1,
                        inviterName="Capa", targetGUID=4, targetName="Joiner")
        self.assertEqual((r.status, r.team.arenaTeamID, r.team.name), (M.Value(
            "ARENA_TEAM_MUTATION_OK"), team, "Gladiators"))
        p = go_decode(self.s.next_event(INVITED), 2, INVITE_CREATED)
        self.assertEqual(p, {"RealmID": REALM, "TargetGUID": 4, "TargetName": "Joiner",
                             "InviterGUID": 1, "InviterName": "Capa", "ArenaTeamID": team,
                             "TeamName": "Gladiators"})
        self.assertEqual(self.q("SELECT target_guid, arenaTeamId, inviter_guid FROM "
                                "stratus_arena_team_invite"), [(4, team, 1)])
        a = self.s.call("AcceptArenaTeamInvite", playerGUID=4, playerName="Joiner",
                        personalRating=1100)
        self.assertEqual(a.status, M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual([m.playerGUID for m in a.team.members], [1, 2, 4])
        self.assertEqual(self.members(team), [1, 2, 4])
        self.assertEqual(self.q("SELECT personalRating FROM arena_team_member WHERE guid = 4"),
                         [(1100,)])
        self.assertEqual(self.q("SELECT * FROM stratus_arena_team_invite"), [])
        e = self.native()
        self.assertEqual(e, {"RealmID": REALM, "ReceiverGUIDs": [1, 2, 4], "ArenaTeamID": team,
                             "Event": EV_JOIN, "EventGUID": 4, "Args": ["Joiner", "Gladiators"]})
        # no invite left
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "AcceptArenaTeamInvite", playerGUID=4).status), M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))

    def test_invite_refusals(self):
        team = self.team()
        self.team(captain=5, petition=501, name="Others", signers=(6,))
        self.s.db.execute(CHARS, "INSERT INTO character_social (guid, friend, flags) "
                                 "VALUES (7, 1, 2)")
        invite = lambda inviter, target: self.s.call(  # noqa: E731
            "InviteArenaTeamMember", arenaTeamID=team, inviterGUID=inviter, inviterName="x",
            targetGUID=target, targetName="y").status
        for inviter, target, status in ((2, 4, "PERMISSION_DENIED"), (1, 6, "ALREADY_IN_TEAM"),
                                        (1, 7, "IGNORING_YOU")):
            with self.subTest(inviter=inviter, target=target):
                self.assertEqual(self.unchanged(lambda: invite(inviter, target)),
                                 M.Value(f"ARENA_TEAM_MUTATION_{status}"))
        self.assertEqual(self.s.call("InviteArenaTeamMember", arenaTeamID=4242, inviterGUID=1,
                                     targetGUID=4).status,
                         M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))
        self.assertEqual(invite(1, 4), M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.unchanged(lambda: invite(1, 4)),
                         M.Value("ARENA_TEAM_MUTATION_ALREADY_INVITED"))

    def test_decline(self):
        team = self.team()
        self.s.call("InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1, targetGUID=4)
        p = go_decode(self.s.next_event(INVITED), 2, INVITE_CREATED)  # names from characters
        self.assertEqual((p["InviterName"], p["TargetName"]), ("Capa", "Joiner"))
        self.assertEqual(self.s.call("DeclineArenaTeamInvite", playerGUID=4).status,
                         M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.q("SELECT * FROM stratus_arena_team_invite"), [])
        self.assertEqual(self.members(team), [1, 2])
        self.assertEqual(self.unchanged(lambda: self.s.call("DeclineArenaTeamInvite",
                                                            playerGUID=4).status),
                         M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))

    def test_invite_survives_a_restart(self):
        team = self.team()
        self.s.call("InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1, targetGUID=4)
        self.s.restart()
        a = self.s.call("AcceptArenaTeamInvite", playerGUID=4, personalRating=1000)
        self.assertEqual(a.status, M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.members(team), [1, 2, 4])

    def test_roster_full_at_twice_the_size(self):
        team = self.team()  # 2v2: at most 4
        for guid in (3, 4):
            self.assertEqual(self.s.call("AddArenaTeamMember", arenaTeamID=team, playerGUID=guid,
                                         personalRating=1000).status,
                             M.Value("ARENA_TEAM_MUTATION_OK"))
            self.assertEqual(self.native()["Event"], EV_JOIN)
        full = M.Value("ARENA_TEAM_MUTATION_ROSTER_FULL")
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "AddArenaTeamMember", arenaTeamID=team, playerGUID=5).status), full)
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1, targetGUID=5).status), full)
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "AddArenaTeamMember", arenaTeamID=team, playerGUID=3).status),
            M.Value("ARENA_TEAM_MUTATION_ALREADY_IN_TEAM"))
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "AddArenaTeamMember", arenaTeamID=999, playerGUID=6).status),
            M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))

    def test_accept_into_a_full_roster_keeps_the_invite(self):
        team = self.team()
        self.s.call("InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1, targetGUID=5)
        for guid in (3, 4):
            self.s.call("AddArenaTeamMember", arenaTeamID=team, playerGUID=guid)
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "AcceptArenaTeamInvite", playerGUID=5).status),
            M.Value("ARENA_TEAM_MUTATION_ROSTER_FULL"))

    # -- leave, remove, disband ---------------------------------------------------------------------
    def test_leave_and_remove(self):
        team = self.team(type_=3, signers=(2, 3))
        self.s.call("AddArenaTeamMember", arenaTeamID=team, playerGUID=4)
        self.s.sub.drain_messages(0.2)
        st = lambda m, a: self.s.call("RemoveArenaTeamMember", arenaTeamID=team,  # noqa: E731
                                      playerGUID=m, actorGUID=a).status
        self.assertEqual(self.unchanged(lambda: st(1, 1)), M.Value("ARENA_TEAM_MUTATION_LEADER_LEAVE"))
        self.assertEqual(self.unchanged(lambda: st(3, 2)),
                         M.Value("ARENA_TEAM_MUTATION_PERMISSION_DENIED"))
        self.assertEqual(self.unchanged(lambda: st(7, 1)),
                         M.Value("ARENA_TEAM_MUTATION_MEMBER_MISMATCH"))
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "RemoveArenaTeamMember", arenaTeamID=999, playerGUID=2, actorGUID=2).status),
            M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))
        self.assertEqual(st(2, 2), M.Value("ARENA_TEAM_MUTATION_OK"))  # leaves
        e = self.native()
        self.assertEqual((e["Event"], e["EventGUID"], e["Args"], sorted(e["ReceiverGUIDs"])),
                         (EV_LEAVE, 2, ["Signa", "Gladiators"], [1, 2, 3, 4]))
        self.assertEqual(st(3, 1), M.Value("ARENA_TEAM_MUTATION_OK"))  # removed by the captain
        e = self.native()
        self.assertEqual((e["Event"], e["Args"], sorted(e["ReceiverGUIDs"])),
                         (EV_REMOVE, ["Signb", "Gladiators", "Capa"], [1, 3, 4]))
        self.assertEqual(self.members(team), [1, 4])

    def test_disband(self):
        team = self.team()
        self.s.call("InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1, targetGUID=4)
        self.s.sub.drain_messages(0.2)
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "DisbandArenaTeam", arenaTeamID=team, actorGUID=2).status),
            M.Value("ARENA_TEAM_MUTATION_PERMISSION_DENIED"))
        self.assertEqual(self.s.call("DisbandArenaTeam", arenaTeamID=team, actorGUID=1).status,
                         M.Value("ARENA_TEAM_MUTATION_OK"))
        for t in ("arena_team", "arena_team_member", "stratus_arena_team_invite"):
            self.assertEqual(self.q(f"SELECT COUNT(*) FROM {t}"), [(0,)], t)
        e = self.native()
        self.assertEqual((e["Event"], e["ArenaTeamID"], e["Args"], e["ReceiverGUIDs"]),
                         (EV_DISBANDED, team, ["Capa", "Gladiators"], [1, 2]))
        self.assertEqual(self.s.call("DisbandArenaTeam", arenaTeamID=team, actorGUID=1).status,
                         M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))

    def test_queue_lockout(self):
        team = self.team(type_=3, signers=(2, 3))
        self.s.mm.queued.add(3)
        for method, fields in (("RemoveArenaTeamMember", dict(playerGUID=2, actorGUID=2)),
                               ("RemoveArenaTeamMember", dict(playerGUID=3, actorGUID=1)),
                               ("DisbandArenaTeam", dict(actorGUID=1))):
            with self.subTest(method=method, **fields):
                code, details = self.unchanged(lambda: self.s.error(method, arenaTeamID=team,
                                                                    **fields))
                self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION, details)
                self.assertIn("queued", details)
        self.s.mm.queued.clear()
        self.assertEqual(self.s.call("RemoveArenaTeamMember", arenaTeamID=team, playerGUID=2,
                                     actorGUID=2).status, M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertIn((REALM, 3), self.s.mm.asked)

    # -- captain and name -----------------------------------------------------------------------------
    def test_captain(self):
        team = self.team()
        st = lambda c, a: self.s.call("SetArenaTeamCaptain", arenaTeamID=team,  # noqa: E731
                                      captainGUID=c, actorGUID=a).status
        self.assertEqual(self.unchanged(lambda: st(2, 2)),
                         M.Value("ARENA_TEAM_MUTATION_PERMISSION_DENIED"))
        self.assertEqual(self.unchanged(lambda: st(5, 1)),
                         M.Value("ARENA_TEAM_MUTATION_MEMBER_MISMATCH"))
        self.assertEqual(st(2, 1), M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.q("SELECT captainGuid FROM arena_team"), [(2,)])
        e = self.native()
        self.assertEqual((e["Event"], e["EventGUID"], e["Args"]),
                         (EV_LEADER_CHANGED, 2, ["Capa", "Signa", "Gladiators"]))
        # the old captain may now leave
        self.assertEqual(self.s.call("RemoveArenaTeamMember", arenaTeamID=team, playerGUID=1,
                                     actorGUID=1).status, M.Value("ARENA_TEAM_MUTATION_OK"))

    def test_name(self):
        team = self.team()
        self.team(captain=5, petition=501, name="Others", signers=(6,))
        st = lambda n, a=1: self.s.call("SetArenaTeamName", arenaTeamID=team,  # noqa: E731
                                        name=n, actorGUID=a).status
        self.assertEqual(self.unchanged(lambda: st("New", 2)),
                         M.Value("ARENA_TEAM_MUTATION_PERMISSION_DENIED"))
        for bad in ("", " lead", "x" * 25, "tab\there"):
            self.assertEqual(self.unchanged(lambda: st(bad)),
                             M.Value("ARENA_TEAM_MUTATION_INVALID_NAME"), bad)
        self.assertEqual(self.unchanged(lambda: st("Others")),
                         M.Value("ARENA_TEAM_MUTATION_NAME_EXISTS"))
        self.assertEqual(st("Ünïcode Team"), M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.q("SELECT name FROM arena_team WHERE arenaTeamId = %s", (team,)),
                         [("Ünïcode Team",)])

    # -- stats and queue data ---------------------------------------------------------------------------
    def test_save_stats_and_queue_data(self):
        team = self.team(type_=3, signers=(2, 3))
        Member = __import__("characters.characters_pb2", fromlist=["x"]).ArenaTeamStatsMember
        members = [Member(playerGUID=1, personalRating=1300, weekGames=3, weekWins=2,
                          seasonGames=5, seasonWins=4, matchmakerRating=1600, maxMMR=1650,
                          saveArenaStats=True),
                   Member(playerGUID=2, personalRating=1250, weekGames=3, weekWins=1,
                          seasonGames=3, seasonWins=1, matchmakerRating=1000, maxMMR=1000,
                          saveArenaStats=False)]
        save = lambda **kw: self.s.call("SaveArenaTeamStats", **dict(  # noqa: E731
            dict(arenaTeamID=team, rating=1550, weekGames=3, weekWins=2, seasonGames=5,
                 seasonWins=4, rank=7, slot=1, members=members), **kw)).status
        self.assertEqual(self.unchanged(lambda: save(slot=0)),
                         M.Value("ARENA_TEAM_MUTATION_INVALID_TYPE"))
        stranger = [Member(playerGUID=9, weekGames=1)]
        self.assertEqual(self.unchanged(lambda: save(members=members + stranger)),
                         M.Value("ARENA_TEAM_MUTATION_MEMBER_MISMATCH"))
        self.assertEqual(self.unchanged(lambda: save(arenaTeamID=999)),
                         M.Value("ARENA_TEAM_MUTATION_NOT_FOUND"))
        self.assertEqual(save(), M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.q("SELECT rating, weekGames, weekWins, seasonGames, seasonWins, "
                                "`rank` FROM arena_team"), [(1550, 3, 2, 5, 4, 7)])
        self.assertEqual(self.q("SELECT guid, personalRating, weekGames, weekWins, seasonGames, "
                                "seasonWins FROM arena_team_member ORDER BY guid"),
                         [(1, 1300, 3, 2, 5, 4), (2, 1250, 3, 1, 3, 1), (3, 1200, 0, 0, 0, 0)])
        # only member 1 asked for its MMR to be saved
        self.assertEqual(self.q("SELECT guid, matchMakerRating, maxMMR FROM "
                                "character_arena_stats WHERE slot = 1 ORDER BY guid"),
                         [(1, 1600, 1650), (2, 1400, 1400), (3, 1400, 1400)])
        qd = lambda **kw: self.s.call("ArenaTeamQueueDataForRatedArena", **dict(  # noqa: E731
            dict(leaderGUID=1, arenaType=3, playerGUIDs=[1, 2, 3], startMatchmakerRating=1500),
            **kw))
        r = qd()
        self.assertEqual((r.status, r.arenaTeamID, r.teamRating, r.matchmakerRating),
                         (QUEUE.Ok, team, 1550, (1600 + 1400 + 1400) // 3))
        self.assertEqual(qd(arenaType=4).status, QUEUE.InvalidType)
        self.assertEqual(qd(playerGUIDs=[1, 2]).status, QUEUE.InvalidPartySize)
        self.assertEqual(qd(playerGUIDs=[1, 2, 5]).status, QUEUE.MemberMismatch)
        self.assertEqual(qd(playerGUIDs=[1, 2, 2]).status, QUEUE.MemberMismatch)
        self.assertEqual(qd(arenaType=2, playerGUIDs=[1, 2]).status, QUEUE.NotFound)
        self.assertEqual(qd(leaderGUID=5, playerGUIDs=[5, 6, 7]).status, QUEUE.NotFound)

    # -- character deletion and delete-all ------------------------------------------------------------------
    def test_character_delete(self):
        two = self.team()
        three = self.team(captain=5, petition=501, name="Trio", type_=3, signers=(2, 6))
        self.s.call("InviteArenaTeamMember", arenaTeamID=three, inviterGUID=5, targetGUID=4)
        self.s.sub.drain_messages(0.2)
        v = lambda g: self.s.call("ValidateArenaTeamCharacterDelete", playerGUID=g).status  # noqa
        self.assertEqual(v(1), M.Value("ARENA_TEAM_MUTATION_LEADER_LEAVE"))
        self.assertEqual(v(2), M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(v(9), M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.unchanged(lambda: self.s.call(
            "RemovePlayerFromArenaTeams", playerGUID=5).status),
            M.Value("ARENA_TEAM_MUTATION_LEADER_LEAVE"))
        self.assertEqual(self.s.call("RemovePlayerFromArenaTeams", playerGUID=2).status,
                         M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual((self.members(two), self.members(three)), ([1], [5, 6]))
        events = sorted((e["ArenaTeamID"], e["Event"], sorted(e["ReceiverGUIDs"]))
                        for e in (self.native(), self.native()))
        self.assertEqual(events, sorted([(two, EV_LEAVE, [1, 2]), (three, EV_LEAVE, [2, 5, 6])]))
        self.assertEqual(self.s.call("RemovePlayerFromArenaTeams", playerGUID=4).status,
                         M.Value("ARENA_TEAM_MUTATION_OK"))
        self.assertEqual(self.q("SELECT * FROM stratus_arena_team_invite"), [])

    def test_delete_all(self):
        team = self.team()
        self.s.call("InviteArenaTeamMember", arenaTeamID=team, inviterGUID=1, targetGUID=4)
        self.assertEqual(self.s.call("DeleteAllArenaTeams").status,
                         M.Value("ARENA_TEAM_MUTATION_OK"))
        for t in ("arena_team", "arena_team_member", "stratus_arena_team_invite"):
            self.assertEqual(self.q(f"SELECT COUNT(*) FROM {t}"), [(0,)], t)
        # a new team after that gets a new ID (never MAX()+1 of an empty table)
        self.assertGreater(self.team(petition=502), team)


class ArenaTeamRealSchemaTest(ArenaTeamTest):
    """The same, on AzerothCore's own characters schema."""
    KIND = "real"


if __name__ == "__main__":
    unittest.main()
