"""The chat plugin's channel RPCs through a real stratusd, against a real
MariaDB (the project's fixture, then AzerothCore's real schema) and a real
nats-server whose subscriber plays the gateways: the channel life cycle,
every moderation RPC with its status values and its notify event (payload
fields by name), the database rows, Alliance/Horde and realm isolation,
built-in channels, bad input, concurrent calls, logouts and fan-out."""

import concurrent.futures
import time
import unittest

import grpc

from chatcase import ChatCase
from chatenv import (ALLIANCE, ANNOUNCEMENTS_OFF, ANNOUNCEMENTS_ON, HORDE, INVITE, MODE_CHANGE,
                     MODERATION_OFF, MODERATION_ON, MODERATOR, MUTED, OWNER, OWNER_CHANGED,
                     PASSWORD_CHANGED, PLAYER_BANNED, PLAYER_KICKED, PLAYER_UNBANNED, pb)
from natsclient import envelope

OK, NOT_MEMBER, NOT_ALLOWED, NO_TARGET = 0, 1, 2, 3


class ChannelTests(ChatCase):
    def owner_and(self, c, *names):
        """Alice (1) creates c and owns it; the others (2, 3...) join."""
        self.assertEqual(self.join(1, "Alice", c).channel.memberFlags, OWNER | MODERATOR)
        for i, name in enumerate(names, 2):
            self.assertEqual(self.join(i, name, c).status, OK)
        self.settle()

    # -- life cycle -------------------------------------------------------------------
    def test_life_cycle(self):
        c = self.chan("Lobby")
        g1, g2 = self.guid(1), self.guid(2)
        r = self.join(1, "Alice", c)
        self.assertEqual(r.status, OK)
        self.assertEqual((r.channel.name, r.channel.channelID, r.channel.flags,
                          r.channel.numMembers, r.channel.memberFlags),
                         (c, 0, 0x01, 1, OWNER | MODERATOR))
        self.joined(g1, RealmID=1, ChannelName=c, ChannelID=0, ChannelFlags=1, TeamID=0,
                    NumMembers=1, PlayerName="Alice", PlayerFlags=OWNER | MODERATOR)
        self.notify(MODE_CHANGE, RealmID=1, ChannelName=c, ChannelID=0, ChannelFlags=1, TeamID=0,
                    NumMembers=1, TargetGUID=g1, TargetName="Alice", SecondGUID=0,
                    OldFlags=MODERATOR, NewFlags=OWNER | MODERATOR, AffectsPlayer=0)

        r = self.join(2, "Bob", c.upper())  # names are case-insensitive
        self.assertEqual((r.status, r.channel.name, r.channel.numMembers, r.channel.memberFlags),
                         (OK, c, 2, 0))
        self.joined(g2, NumMembers=2, PlayerName="Bob", PlayerFlags=0)
        r = self.join(2, "Bob", c)  # a retry changes nothing
        self.assertEqual((r.status, r.channel.numMembers), (OK, 2))

        self.assertEqual(self.say(2, "Bob", c, "hi <b> & co", language=1, tag=2), OK)
        self.message(RealmID=1, ChannelName=c, ChannelID=0, TeamID=0, SenderGUID=g2,
                     SenderName="Bob", Language=1, Message="hi <b> & co", SenderChatTag=2)
        self.assertEqual(self.say(3, "Carol", c), NOT_MEMBER)
        self.assertEqual(self.members(1, c), (OK, [(g1, "Alice", 3), (g2, "Bob", 0)]))
        self.assertEqual(self.db_members(c), [(g1, "Alice", 3), (g2, "Bob", 0)])
        announce, ownership, password, moderated, _ = self.db_channel(c)
        self.assertEqual((announce, ownership, password, moderated), (1, 1, None, 0))

        # The owner leaves: the next member owns the channel.
        self.assertEqual(self.leave(1, c), OK)
        self.left(g1, NumMembers=1, PlayerName="Alice", Silent=False, ChannelFlags=1, TeamID=0)
        self.notify(MODE_CHANGE, TargetGUID=g2, OldFlags=MODERATOR, NewFlags=OWNER | MODERATOR)
        self.notify(OWNER_CHANGED, TargetGUID=g2, TargetName="Bob", NumMembers=1)
        self.assertEqual(self.leave(1, c), NOT_MEMBER)
        self.assertEqual(self.members(2, c), (OK, [(g2, "Bob", 3)]))
        self.assertEqual(self.db_members(c), [(g2, "Bob", 3)])
        self.assertEqual(self.leave(2, c), OK)
        self.left(g2, NumMembers=0)
        self.gw.assert_quiet()
        self.assertEqual(self.db_members(c), [])
        self.assertIsNotNone(self.db_channel(c))  # the core keeps custom channels
        self.assertEqual(self.join(3, "Carol", c).channel.memberFlags, OWNER | MODERATOR)

    def test_owner_leaving_prefers_a_moderator(self):
        c = self.chan()
        self.owner_and(c, "Bob", "Carol")
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Carol"), OK)
        self.settle()
        self.assertEqual(self.leave(1, c), OK)
        self.notify(OWNER_CHANGED, TargetGUID=self.guid(3))
        self.assertEqual(self.members(2, c)[1],
                         [(self.guid(2), "Bob", 0), (self.guid(3), "Carol", 3)])

    # -- moderation -----------------------------------------------------------------------
    def test_kick(self):
        c = self.chan()
        g1, g2, g3 = self.guid(1), self.guid(2), self.guid(3)
        self.owner_and(c, "Bob", "Carol")
        self.assertEqual(self.target_op("KickFromChannel", 9, c, "Bob"), NOT_MEMBER)
        self.assertEqual(self.target_op("KickFromChannel", 2, c, "Carol"), NOT_ALLOWED)
        self.assertEqual(self.target_op("KickFromChannel", 1, c, "Nobody"), NO_TARGET)
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Carol"), OK)
        self.settle()
        self.assertEqual(self.target_op("KickFromChannel", 3, c, "Alice"), NOT_ALLOWED)
        self.gw.assert_quiet()

        self.assertEqual(self.target_op("KickFromChannel", 3, c, "bob"), OK)
        self.notify(PLAYER_KICKED, TargetGUID=g2, TargetName="Bob", SecondGUID=g3, NumMembers=2,
                    AffectsPlayer=0)
        self.left(g2, Silent=True, NumMembers=2)
        self.gw.assert_quiet()
        self.assertEqual([g for g, _, _ in self.db_members(c)], [g1, g3])
        self.assertEqual(self.join(2, "Bob", c).status, OK)  # a kick is not a ban

        # The owner kicking itself hands the channel over (to the moderator).
        self.settle()
        self.assertEqual(self.target_op("KickFromChannel", 1, c, "Alice"), OK)
        self.notify(PLAYER_KICKED, TargetGUID=g1, SecondGUID=g1)
        self.left(g1, Silent=True)
        self.notify(OWNER_CHANGED, TargetGUID=g3)
        self.notify(MODE_CHANGE, TargetGUID=g3, OldFlags=MODERATOR, NewFlags=OWNER | MODERATOR)

    def test_ban_and_unban(self):
        c = self.chan()
        g1, g2 = self.guid(1), self.guid(2)
        bob = self.pname("Bob")
        self.world.add_character(1, g2, bob)
        self.owner_and(c, bob)
        self.assertEqual(self.target_op("BanFromChannel", 2, c, "Alice"), NOT_ALLOWED)
        self.assertEqual(self.target_op("BanFromChannel", 9, c, "Alice"), NOT_MEMBER)
        self.assertEqual(self.target_op("BanFromChannel", 1, c, "Nobody"), NO_TARGET)
        now = time.time()
        self.assertEqual(self.target_op("BanFromChannel", 1, c, bob.upper()), OK)
        self.notify(PLAYER_BANNED, TargetGUID=g2, TargetName=bob, SecondGUID=g1, NumMembers=1)
        self.left(g2, Silent=True, NumMembers=1)
        [(guid, until)] = self.db_bans(c)
        self.assertEqual(guid, g2)
        self.assertAlmostEqual(until, now + 60 * 86400, delta=120)  # the core's 60 days
        self.assertEqual(self.join(2, bob, c).status, pb.JoinChannelResponse.Banned)
        self.assertEqual(self.target_op("InviteToChannel", 1, c, bob),
                         pb.InviteToChannelResponse.PlayerBanned)
        self.gw.assert_quiet()

        self.assertEqual(self.target_op("UnbanFromChannel", 9, c, bob), NOT_MEMBER)
        self.assertEqual(self.target_op("UnbanFromChannel", 1, c, "Nobody"),
                         pb.UnbanFromChannelResponse.PlayerNotBanned)
        self.assertEqual(self.target_op("UnbanFromChannel", 1, c, bob.lower()), OK)
        self.notify(PLAYER_UNBANNED, TargetGUID=g2, TargetName=bob, SecondGUID=g1)
        self.assertEqual(self.db_bans(c), [])
        self.assertEqual(self.target_op("UnbanFromChannel", 1, c, bob),
                         pb.UnbanFromChannelResponse.PlayerNotBanned)
        self.assertEqual(self.join(2, bob, c).status, OK)

    def test_moderators(self):
        c = self.chan()
        g2, g3 = self.guid(2), self.guid(3)
        self.owner_and(c, "Bob", "Carol")
        self.assertEqual(self.target_op("SetChannelModerator", 2, c, "Carol"),
                         pb.SetChannelModeratorResponse.NotOwner)
        self.assertEqual(self.target_op("SetChannelModerator", 9, c, "Carol"), NOT_MEMBER)
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Nobody"),
                         pb.SetChannelModeratorResponse.PlayerNotFound)
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Bob"), OK)
        self.notify(MODE_CHANGE, TargetGUID=g2, TargetName="Bob", OldFlags=0, NewFlags=MODERATOR)
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Bob"), OK)  # no change
        self.gw.assert_quiet()
        self.assertIn((g2, "Bob", MODERATOR), self.db_members(c))
        # A moderator may mute; unsetting takes it back.
        self.assertEqual(self.target_op("SetChannelMute", 2, c, "Carol"), OK)
        self.notify(MODE_CHANGE, TargetGUID=g3, OldFlags=0, NewFlags=MUTED)
        self.assertEqual(self.target_op("UnsetChannelModerator", 2, c, "Bob"),
                         pb.UnsetChannelModeratorResponse.NotOwner)
        self.assertEqual(self.target_op("UnsetChannelModerator", 1, c, "Bob"), OK)
        self.notify(MODE_CHANGE, TargetGUID=g2, OldFlags=MODERATOR, NewFlags=0)
        self.assertEqual(self.target_op("UnsetChannelModerator", 1, c, "Alice"), OK)  # owner stays
        self.gw.assert_quiet()
        self.assertEqual(self.members(1, c)[1], [(self.guid(1), "Alice", 3), (g2, "Bob", 0),
                                                 (g3, "Carol", MUTED)])

    def test_mute(self):
        c = self.chan()
        g3 = self.guid(3)
        self.owner_and(c, "Bob", "Carol")
        self.assertEqual(self.target_op("SetChannelMute", 2, c, "Carol"), NOT_ALLOWED)
        self.assertEqual(self.target_op("SetChannelMute", 9, c, "Carol"), NOT_MEMBER)
        self.assertEqual(self.target_op("SetChannelMute", 1, c, "Nobody"), NO_TARGET)
        self.assertEqual(self.target_op("SetChannelMute", 1, c, "Carol"), OK)
        self.notify(MODE_CHANGE, TargetGUID=g3, OldFlags=0, NewFlags=MUTED)
        self.assertEqual(self.say(3, "Carol", c), pb.SendChannelMessageResponse.Muted)
        self.gw.assert_quiet()  # a muted member's message is not published
        self.assertIn((g3, "Carol", MUTED), self.db_members(c))
        self.assertEqual(self.target_op("UnsetChannelMute", 2, c, "Carol"), NOT_ALLOWED)
        self.assertEqual(self.target_op("UnsetChannelMute", 1, c, "Carol"), OK)
        self.notify(MODE_CHANGE, TargetGUID=g3, OldFlags=MUTED, NewFlags=0)
        self.assertEqual(self.say(3, "Carol", c, "back"), OK)
        self.message(SenderGUID=g3, Message="back")
        # A moderator cannot mute the owner.
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Bob"), OK)
        self.settle()
        self.assertEqual(self.target_op("SetChannelMute", 2, c, "Alice"), NOT_ALLOWED)
        self.gw.assert_quiet()

    def test_owner_transfer(self):
        c = self.chan()
        g1, g2 = self.guid(1), self.guid(2)
        self.owner_and(c, "Bob", "Carol")
        self.assertEqual(self.target_op("SetChannelOwner", 2, c, "Carol"),
                         pb.SetChannelOwnerResponse.NotOwner)
        self.assertEqual(self.target_op("SetChannelOwner", 9, c, "Carol"), NOT_MEMBER)
        self.assertEqual(self.target_op("SetChannelOwner", 1, c, "Nobody"),
                         pb.SetChannelOwnerResponse.PlayerNotFound)
        self.assertEqual(self.target_op("SetChannelOwner", 1, c, "Bob"), OK)
        self.notify(MODE_CHANGE, TargetGUID=g1, OldFlags=OWNER | MODERATOR, NewFlags=MODERATOR)
        self.notify(MODE_CHANGE, TargetGUID=g2, OldFlags=MODERATOR, NewFlags=OWNER | MODERATOR)
        self.notify(OWNER_CHANGED, TargetGUID=g2, TargetName="Bob")
        self.gw.assert_quiet()
        self.assertEqual(self.db_members(c)[:2], [(g1, "Alice", MODERATOR), (g2, "Bob", 3)])
        self.assertEqual(self.target_op("SetChannelOwner", 1, c, "Carol"),
                         pb.SetChannelOwnerResponse.NotOwner)

    def test_password(self):
        c = self.chan()
        g1 = self.guid(1)
        self.owner_and(c, "Bob")
        self.assertEqual(self.password(2, c, "x"), pb.SetChannelPasswordResponse.NotOwner)
        self.assertEqual(self.password(9, c, "x"), NOT_MEMBER)
        self.assertEqual(self.password(1, c, "secret"), OK)
        self.notify(PASSWORD_CHANGED, TargetGUID=g1, TargetName="Alice")
        self.assertEqual(self.db_channel(c)[2], "secret")
        self.assertEqual(self.join(3, "Carol", c).status, pb.JoinChannelResponse.WrongPassword)
        self.assertEqual(self.join(3, "Carol", c, password="Secret").status,
                         pb.JoinChannelResponse.WrongPassword)
        self.gw.assert_quiet()
        self.assertEqual(self.join(3, "Carol", c, password="secret").status, OK)
        self.assertEqual(self.join(2, "Bob", c).status, OK)  # members are in already
        self.assertEqual(self.password(1, c, ""), OK)
        self.assertIsNone(self.db_channel(c)[2])
        self.assertEqual(self.join(4, "Dave", c).status, OK)

    def test_toggle_moderation(self):
        c = self.chan()
        g1 = self.guid(1)
        self.owner_and(c, "Bob", "Carol")
        self.assertEqual(self.toggle("ToggleChannelModeration", 2, c), (NOT_ALLOWED, False))
        self.assertEqual(self.toggle("ToggleChannelModeration", 9, c), (NOT_MEMBER, False))
        self.assertEqual(self.toggle("ToggleChannelModeration", 1, c), (OK, True))
        self.notify(MODERATION_ON, TargetGUID=g1, TargetName="Alice")
        self.assertEqual(self.db_channel(c)[3], 1)
        self.assertEqual(self.say(2, "Bob", c), pb.SendChannelMessageResponse.Muted)
        self.assertEqual(self.say(1, "Alice", c, "mods only"), OK)
        self.message(SenderGUID=g1)
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Bob"), OK)
        self.settle()
        self.assertEqual(self.say(2, "Bob", c, "now me"), OK)
        self.message(SenderGUID=self.guid(2))
        self.assertEqual(self.toggle("ToggleChannelModeration", 2, c), (OK, False))
        self.notify(MODERATION_OFF, TargetGUID=self.guid(2))
        self.assertEqual(self.say(3, "Carol", c), OK)
        self.message(SenderGUID=self.guid(3))
        self.assertEqual(self.db_channel(c)[3], 0)

    def test_toggle_announcements(self):
        c = self.chan()
        g1, g2 = self.guid(1), self.guid(2)
        self.owner_and(c)
        self.assertEqual(self.toggle("ToggleChannelAnnouncements", 1, c), (OK, False))
        self.notify(ANNOUNCEMENTS_OFF, TargetGUID=g1)
        self.assertEqual(self.db_channel(c)[0], 0)
        self.assertEqual(self.join(2, "Bob", c).status, OK)
        self.assertEqual(self.leave(2, c), OK)
        self.gw.assert_quiet()  # no joined/left events while announcements are off
        self.assertEqual(self.join(2, "Bob", c).status, OK)
        self.assertEqual(self.toggle("ToggleChannelAnnouncements", 2, c), (NOT_ALLOWED, False))
        self.assertEqual(self.toggle("ToggleChannelAnnouncements", 1, c), (OK, True))
        self.notify(ANNOUNCEMENTS_ON, TargetGUID=g1)
        self.assertEqual(self.leave(2, c), OK)
        self.left(g2, Silent=False)

    def test_invite(self):
        c = self.chan()
        g1 = self.guid(1)
        bob, tom, hank, ivy = (self.pname(n) for n in ("Bob", "Tom", "Hank", "Ivy"))
        for i, name, race in ((2, bob, 1), (4, tom, 1), (5, hank, 2), (6, ivy, 3)):
            self.world.add_character(1, self.guid(i), name, race=race)
        self.world.execute(1, "INSERT INTO character_social (guid, friend, flags) VALUES "
                           "(%s, %s, 2)", (self.guid(6), g1))  # Ivy ignores Alice
        self.owner_and(c, bob)
        self.assertEqual(self.target_op("InviteToChannel", 9, c, tom), NOT_MEMBER)
        self.assertEqual(self.target_op("InviteToChannel", 1, c, "Nobody"),
                         pb.InviteToChannelResponse.PlayerNotFound)
        self.assertEqual(self.target_op("InviteToChannel", 1, c, hank),
                         pb.InviteToChannelResponse.WrongFaction)
        self.assertEqual(self.target_op("InviteToChannel", 1, c, bob.lower()),
                         pb.InviteToChannelResponse.PlayerAlreadyMember)
        self.gw.assert_quiet()
        self.assertEqual(self.target_op("InviteToChannel", 2, c, tom.lower()), OK)
        self.notify(INVITE, TargetGUID=self.guid(2), TargetName=tom,
                    AffectsPlayer=self.guid(4), SecondGUID=0)
        self.assertEqual(self.target_op("InviteToChannel", 1, c, ivy), OK)
        self.gw.assert_quiet()  # ignored: no notice

    # -- isolation ------------------------------------------------------------------------
    def test_alliance_and_horde_never_share_a_channel(self):
        c = self.chan("Trade")
        ga, gh = self.guid(1), self.guid(2)
        ra = self.join(1, "Alice", c, team=ALLIANCE)
        rh = self.join(2, "Hank", c.lower(), team=HORDE)
        self.assertEqual((ra.channel.memberFlags, ra.channel.numMembers), (3, 1))
        self.assertEqual((rh.channel.memberFlags, rh.channel.numMembers), (3, 1))
        self.joined(ga, TeamID=ALLIANCE)
        self.joined(gh, TeamID=HORDE)
        self.settle()
        self.assertEqual(self.say(1, "Alice", c, "for the alliance"), OK)
        m = self.message(SenderGUID=ga, TeamID=ALLIANCE)
        # A gateway delivers by (RealmID, TeamID, lower-case name): Hank's
        # scope (1, HORDE, name) does not match the event's.
        self.assertNotEqual((m["RealmID"], m["TeamID"], m["ChannelName"].lower()),
                            (1, HORDE, c.lower()))
        self.assertEqual(self.members(2, c, team=HORDE)[1], [(gh, "Hank", 3)])
        self.assertEqual(self.members(1, c)[1], [(ga, "Alice", 3)])
        self.assertEqual(self.say(1, "Alice", c, team=HORDE), NOT_MEMBER)
        self.assertEqual(self.members(1, c, team=HORDE)[0], NOT_MEMBER)
        self.assertEqual(self.target_op("KickFromChannel", 2, c, "Alice", team=HORDE), NO_TARGET)
        self.gw.assert_quiet()
        teams = self.world.query(1, "SELECT team FROM channels WHERE name = %s ORDER BY team", (c,))
        self.assertEqual(teams, [(0,), (1,)])

    def test_realms_never_share_a_channel(self):
        c = self.chan()
        self.assertEqual(self.join(1, "Alice", c, realm=1).channel.memberFlags, 3)
        self.assertEqual(self.join(2, "Bob", c, realm=2).channel.memberFlags, 3)
        self.joined(self.guid(1), RealmID=1)
        self.joined(self.guid(2), RealmID=2)
        self.assertEqual(self.members(1, c, realm=2)[0], NOT_MEMBER)
        self.assertEqual(self.say(2, "Bob", c, realm=2), OK)
        self.message(RealmID=2, SenderGUID=self.guid(2))
        self.assertEqual(self.db_members(c, realm=2), [(self.guid(2), "Bob", 3)])
        self.assertEqual(self.db_members(c, realm=1), [(self.guid(1), "Alice", 3)])

    def test_built_in_channel(self):
        c = self.chan("General - Elwynn Forest")
        r = self.join(1, "Alice", c, dbc=1, flags=0x18)
        self.assertEqual((r.status, r.channel.channelID, r.channel.flags, r.channel.memberFlags),
                         (OK, 1, 0x18, 0))  # no owner, no moderators
        # A password for a channel that has none is no obstacle (the core's rule).
        self.assertEqual(self.join(2, "Bob", c, dbc=1, flags=0x18, password="x").channel.numMembers,
                         2)
        self.gw.assert_quiet()  # built-in channels announce nothing
        self.assertEqual(self.say(2, "Bob", c, "lfg"), OK)
        self.message(ChannelID=1, SenderGUID=self.guid(2))
        self.assertEqual(self.target_op("KickFromChannel", 1, c, "Bob"), NOT_ALLOWED)
        self.assertEqual(self.password(1, c, "x"), pb.SetChannelPasswordResponse.NotOwner)
        self.assertEqual(self.toggle("ToggleChannelModeration", 1, c), (NOT_ALLOWED, False))
        self.assertEqual(self.leave(1, c), OK)
        self.gw.assert_quiet()
        row = self.world.query(1, "SELECT dbc_id, flags, ac_channel_id FROM stratus_chat_channel "
                               "WHERE channel_key = %s", (c.lower(),))
        self.assertEqual(row, [(1, 0x18, None)])
        self.assertEqual(self.world.query(1, "SELECT COUNT(*) FROM channels WHERE name = %s",
                                          (c,)), [(0,)])

    # -- refusals and bad input -------------------------------------------------------------
    def snapshot(self):
        return [self.world.query(r, f"SELECT COUNT(*) FROM {t}") for r in (1, 2)
                for t in ("stratus_chat_channel", "stratus_chat_member", "channels",
                          "channels_bans")]

    def test_non_members_and_unknown_channels_change_nothing(self):
        known = self.chan("known")
        self.owner_and(known, "Bob")
        before = self.snapshot()
        for c in (self.chan("never-joined"), known):
            self.assertEqual(self.leave(9, c), NOT_MEMBER)
            self.assertEqual(self.say(9, "Zed", c), NOT_MEMBER)
            self.assertEqual(self.members(9, c)[0], NOT_MEMBER)
            for method in ("KickFromChannel", "BanFromChannel", "UnbanFromChannel",
                           "SetChannelModerator", "UnsetChannelModerator", "SetChannelMute",
                           "UnsetChannelMute", "SetChannelOwner", "InviteToChannel"):
                self.assertEqual(self.target_op(method, 9, c, "Bob"), NOT_MEMBER, method)
            self.assertEqual(self.password(9, c, "x"), NOT_MEMBER)
            for method in ("ToggleChannelModeration", "ToggleChannelAnnouncements"):
                self.assertEqual(self.toggle(method, 9, c), (NOT_MEMBER, False))
        self.gw.assert_quiet()
        self.assertEqual(self.snapshot(), before)

    def test_bad_input_is_refused_and_changes_nothing(self):
        c = self.chan()
        self.owner_and(c, "Bob")
        before = self.snapshot()
        INVALID = grpc.StatusCode.INVALID_ARGUMENT

        def join(**kw):
            args = dict(realmID=1, playerGUID=self.guid(5), playerName="Eve", channelName=c)
            args.update(kw)
            return self.status_of("JoinChannel", pb.JoinChannelRequest(**args))

        def say(**kw):
            args = dict(realmID=1, senderGUID=self.guid(2), senderName="Bob", channelName=c,
                        message="hi")
            args.update(kw)
            return self.status_of("SendChannelMessage", pb.SendChannelMessageRequest(**args))

        self.assertEqual(join(channelName=""), (INVALID, "channelName is empty"))
        self.assertEqual(join(channelName="x" * 100),
                         (INVALID, "channelName is longer than 99 bytes"))
        self.assertEqual(join(channelName="1st"), (INVALID, "channelName starts with a digit"))
        self.assertEqual(join(channelName="a|Hitem|h")[0], INVALID)
        self.assertEqual(join(playerName=""), (INVALID, "playerName is empty"))
        self.assertEqual(join(playerName="Abcdefghijklm"),
                         (INVALID, "playerName is longer than 12 characters"))
        self.assertEqual(join(playerGUID=0), (INVALID, "playerGUID is 0"))
        self.assertEqual(join(playerGUID=(2 << 32) | 5),
                         (INVALID, "playerGUID carries another realm than realmID"))
        self.assertEqual(join(teamID=7), (INVALID, "teamID 7 is not a TeamID"))
        self.assertEqual(join(password="p" * 32), (INVALID, "password is longer than 31 bytes"))
        self.assertEqual(join(realmID=9), (grpc.StatusCode.NOT_FOUND,
                                           "realm 9 has no [db.characters.9]"))
        raw = pb.JoinChannelRequest(realmID=1, playerGUID=self.guid(5), playerName="Eve",
                                    channelName="XXXX").SerializeToString()
        call = self.grpc_channel.unary_unary("/v1.ChatService/JoinChannel")
        with self.assertRaises(grpc.RpcError) as e:
            call(raw.replace(b"XXXX", b"\xff\xfeXX"), timeout=10)
        self.assertEqual((e.exception.code(), e.exception.details()),
                         (INVALID, "channelName is not valid UTF-8"))
        self.assertEqual(say(message=""), (INVALID, "message is empty"))
        self.assertEqual(say(message="m" * 256),
                         (INVALID, "message is 256 bytes, more than max_message_length 255"))
        self.assertEqual(say(senderName="")[0], INVALID)
        self.assertEqual(say(senderChatTag=300), (INVALID, "senderChatTag exceeds 255"))
        for target in ("", "Abcdefghijklm"):
            code, _ = self.status_of("KickFromChannel", pb.KickFromChannelRequest(
                realmID=1, kickerGUID=self.guid(1), channelName=c, targetName=target))
            self.assertEqual(code, INVALID)
        code, _ = self.status_of("SetChannelPassword", pb.SetChannelPasswordRequest(
            realmID=1, setterGUID=self.guid(1), channelName=c, password="p" * 40))
        self.assertEqual(code, INVALID)
        self.gw.assert_quiet()
        self.assertEqual(self.snapshot(), before)
        # The limits themselves are fine: 12 characters, 255 bytes.
        self.assertEqual(join(playerName="Äbcdefghijkl")[0], grpc.StatusCode.OK)
        self.assertEqual(say(message="m" * 255)[0], grpc.StatusCode.OK)
        self.message(Message="m" * 255)

    # -- concurrency and fan-out ----------------------------------------------------------------
    def test_concurrent_joins_make_one_owner(self):
        c = self.chan()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            flags = list(pool.map(lambda i: self.join(i, f"P{i}", c).channel.memberFlags,
                                  range(1, 101)))
            again = list(pool.map(lambda i: self.join(1, "P1", c).status, range(10)))
        self.assertEqual(sorted(flags)[-1], 3)
        self.assertEqual(flags.count(3), 1)
        self.assertEqual(again, [OK] * 10)
        rows = self.db_members(c)
        self.assertEqual(len(rows), 100)
        self.assertEqual([f for _, _, f in rows].count(3), 1)
        owner = next(g for g, _, f in rows if f == 3)
        self.assertEqual(owner, rows[0][0])  # the first to join, in the stored order
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            kicks = list(pool.map(
                lambda _: self.target_op("KickFromChannel", owner - self.guid0, c, "P50"),
                range(8)))
        self.assertEqual(sorted(kicks), [OK] + [NO_TARGET] * 7)
        self.assertEqual(len(self.db_members(c)), 99)

    def test_a_thousand_members_one_event_per_message(self):
        c = self.chan("big")
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda i: self.join(i, f"M{i}", c).status, range(1, 1001)))
        self.assertEqual(statuses, [OK] * 1000)
        self.settle()
        self.assertEqual(self.say(500, "M500", c, "to all"), OK)
        self.message(SenderGUID=self.guid(500), Message="to all")
        self.gw.assert_quiet()  # one event, whatever the channel's size
        self.assertEqual(len(self.members(1, c)[1]), 1000)

class ChannelTestsRealSchema(ChannelTests):
    """The same suite on AzerothCore's real characters schema."""
    kind = "ac"


if __name__ == "__main__":
    unittest.main()
