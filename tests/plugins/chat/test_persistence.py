"""The chat plugin's stored state: channels, members, flags, passwords,
moderation and bans survive a stratusd restart; AzerothCore's channels_rights and a channel the core
stored before are honoured; a configuration reload applies at once; with
the database down, changes answer UNAVAILABLE and nothing changes."""

import time
import unittest

import grpc

from chatcase import ChatCase
from chatenv import HORDE, MODERATOR, MUTED, OWNER, OWNER_CHANGED, code_of, pb
from natsclient import envelope

OK, NOT_MEMBER, NOT_ALLOWED = 0, 1, 2


class PersistenceTests(ChatCase):
    def restart(self):
        self.stop_daemon()
        self.d.cleanup()
        self.start_daemon()

    def test_restart_restores_channels(self):
        c, gen = self.chan("keep"), self.chan("General")
        eve = self.pname("Eve")
        self.world.add_character(1, self.guid(5), eve)
        for i, name in ((1, "Alice"), (2, "Bob"), (3, "Carol"), (4, "Dave"), (5, eve)):
            self.assertEqual(self.join(i, name, c).status, OK)
        self.assertEqual(self.target_op("SetChannelModerator", 1, c, "Bob"), OK)
        self.assertEqual(self.target_op("SetChannelMute", 1, c, "Carol"), OK)
        self.assertEqual(self.password(1, c, "pw"), OK)
        self.assertEqual(self.target_op("BanFromChannel", 1, c, eve), OK)
        self.assertEqual(self.toggle("ToggleChannelModeration", 1, c), (OK, True))
        for i, name in ((1, "Alice"), (2, "Bob")):
            self.assertEqual(self.join(i, name, gen, dbc=2, flags=0x3C).status, OK)
        self.assertEqual(self.join(7, "Hank", c, team=HORDE).status, OK)
        before = [self.members(1, c), self.members(1, gen), self.members(7, c, team=HORDE)]
        self.assertEqual(before[0][1], [(self.guid(1), "Alice", OWNER | MODERATOR),
                                        (self.guid(2), "Bob", MODERATOR),
                                        (self.guid(3), "Carol", MUTED),
                                        (self.guid(4), "Dave", 0)])

        self.restart()
        self.settle()
        after = [self.members(1, c), self.members(1, gen), self.members(7, c, team=HORDE)]
        self.assertEqual(after, before)
        r = self.join(2, "Bob", gen, dbc=2, flags=0x3C)
        self.assertEqual((r.channel.channelID, r.channel.flags, r.channel.numMembers),
                         (2, 0x3C, 2))
        self.assertEqual(self.say(3, "Carol", c), pb.SendChannelMessageResponse.Muted)
        self.assertEqual(self.say(4, "Dave", c), pb.SendChannelMessageResponse.Muted)  # moderated
        self.assertEqual(self.say(2, "Bob", c, "still a moderator"), OK)
        self.message(SenderGUID=self.guid(2))
        self.assertEqual(self.join(5, eve, c, password="pw").status, pb.JoinChannelResponse.Banned)
        self.assertEqual(self.join(6, "Fay", c).status, pb.JoinChannelResponse.WrongPassword)
        self.assertEqual(self.join(6, "Fay", c, password="pw").status, OK)
        self.settle()
        self.assertEqual(self.leave(1, c), OK)
        self.notify(OWNER_CHANGED, TargetGUID=self.guid(2))  # the moderator takes over
        self.assertEqual(self.toggle("ToggleChannelModeration", 2, c), (OK, False))

    def rights(self, channel, flags=0, delay=0, moderators=None):
        self.world.execute(1, "INSERT INTO channels_rights (name, flags, speakdelay, moderators) "
                           "VALUES (%s, %s, %s, %s)", (channel, flags, delay, moderators))

    def test_channel_rights(self):
        slow, mods, quiet, temp, nokick, hush = (
            self.chan(n) for n in ("slow", "mods", "quiet", "temp", "nokick", "hush"))
        bob, carol = self.pname("Bob"), self.pname("Carol")
        self.world.add_character(1, self.guid(2), bob, account=777000 + self.n)
        self.world.add_character(1, self.guid(3), carol, account=999000 + self.n)
        self.rights(slow.upper(), delay=2)
        self.rights(mods, moderators=f"1 {777000 + self.n} 5")
        self.rights(quiet, flags=0x001)   # force no announcements
        self.rights(temp, flags=0x100)    # do not preserve
        self.rights(nokick, flags=0x020)  # no kicks
        self.rights(hush, flags=0x008)    # nobody speaks

        self.join(1, "Alice", slow)
        self.assertEqual(self.say(1, "Alice", slow), OK)
        self.assertEqual(self.say(1, "Alice", slow), pb.SendChannelMessageResponse.Throttled)

        self.join(1, "Alice", mods)
        self.assertEqual(self.join(2, bob, mods).channel.memberFlags, MODERATOR)
        self.assertEqual(self.join(3, carol, mods).channel.memberFlags, 0)
        self.assertEqual(self.target_op("KickFromChannel", 1, mods, bob), NOT_ALLOWED)
        self.assertEqual(self.target_op("KickFromChannel", 2, mods, carol), OK)

        self.settle()
        self.assertEqual(self.join(1, "Alice", quiet).status, OK)
        self.assertEqual(self.join(2, bob, quiet).status, OK)
        self.assertEqual(self.toggle("ToggleChannelAnnouncements", 1, quiet), (NOT_ALLOWED, False))

        self.assertEqual(self.join(1, "Alice", temp).channel.memberFlags, 3)
        self.assertEqual(self.world.query(1, "SELECT COUNT(*) FROM stratus_chat_channel "
                                          "WHERE channel_key = %s", (temp.lower(),)), [(0,)])
        self.assertEqual(self.world.query(1, "SELECT COUNT(*) FROM channels WHERE name = %s",
                                          (temp,)), [(0,)])

        self.join(1, "Alice", nokick)
        self.join(2, bob, nokick)
        self.assertEqual(self.target_op("KickFromChannel", 1, nokick, bob), NOT_ALLOWED)

        self.assertEqual(self.join(1, "Alice", hush).channel.memberFlags, 3 | MUTED)
        self.assertEqual(self.say(1, "Alice", hush), pb.SendChannelMessageResponse.Muted)
        self.assertEqual(self.members(1, hush), (OK, []))  # the core lists nobody there
        self.gw.pull(0.3)
        joined = {e["p"]["ChannelName"] for s, e, _ in self.gw.events if s.endswith(".joined")}
        self.assertNotIn(quiet, joined)  # forced silent
        self.assertIn(nokick, joined)

    def test_adopts_a_channel_the_core_stored(self):
        c = self.chan("Legacy")
        ac_id = self.world.db.connect(self.world.databases[1])
        with ac_id.cursor() as cur:
            cur.execute("INSERT INTO channels (name, team, announce, ownership, password, lastUsed) "
                        "VALUES (%s, 0, 1, 1, 'pw', 0)", (c,))
            channel_id = cur.lastrowid
            cur.execute("INSERT INTO channels_bans (channelId, playerGUID, banTime) "
                        "VALUES (%s, %s, %s)", (channel_id, self.guid(9), int(time.time()) + 1000))
        ac_id.close()
        self.assertEqual(self.join(1, "Alice", c.lower()).status,
                         pb.JoinChannelResponse.WrongPassword)
        r = self.join(1, "Alice", c.lower(), password="pw")
        self.assertEqual((r.status, r.channel.name, r.channel.memberFlags), (OK, c, 3))
        self.assertEqual(self.join(9, "Zed", c, password="pw").status,
                         pb.JoinChannelResponse.Banned)
        self.assertEqual(self.world.query(1, "SELECT ac_channel_id FROM stratus_chat_channel "
                                          "WHERE channel_key = %s", (c.lower(),)), [(channel_id,)])
        rows = self.world.query(1, "SELECT channelId, lastUsed FROM channels WHERE name = %s", (c,))
        self.assertEqual(len(rows), 1)
        self.assertGreater(rows[0][1], 0)  # joining touches lastUsed, as the core does

    def test_reload_applies_new_limits(self):
        c = self.chan()
        self.join(1, "Alice", c)
        section = "[plugin.chat]\nenabled = yes\n"
        seq = self.d.status()["last_reload"]["seq"]
        self.d.write_config(section + "max_message_length = 10\n")
        self.d.hup()
        self.d.wait_reload(seq)
        try:
            self.assertEqual(self.say(1, "Alice", c, "0123456789"), OK)
            code, msg = code_of(self.chat.SendChannelMessage, pb.SendChannelMessageRequest(
                realmID=1, senderGUID=self.guid(1), senderName="Alice", channelName=c,
                message="0123456789a"))
            self.assertEqual((code, msg), (grpc.StatusCode.INVALID_ARGUMENT,
                                           "message is 11 bytes, more than max_message_length 10"))
            self.assertEqual(self.members(1, c)[1], [(self.guid(1), "Alice", 3)])  # same state
        finally:
            seq = self.d.status()["last_reload"]["seq"]
            self.d.write_config(section)
            self.d.hup()
            self.d.wait_reload(seq)


class PersistenceTestsRealSchema(PersistenceTests):
    kind = "ac"


class DatabaseDownTests(ChatCase):
    def test_database_down(self):
        c = self.chan()
        for i, name in ((1, "Alice"), (2, "Bob")):
            self.assertEqual(self.join(i, name, c).status, OK)
        self.settle()
        self.world.db.kill()
        try:
            UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
            code, msg = code_of(self.chat.JoinChannel, pb.JoinChannelRequest(
                realmID=1, playerGUID=self.guid(3), playerName="Carol", channelName=c))
            self.assertEqual(code, UNAVAILABLE, msg)
            self.assertIn("realm 1 characters database", msg)
            code, _ = code_of(self.chat.KickFromChannel, pb.KickFromChannelRequest(
                realmID=1, kickerGUID=self.guid(1), channelName=c, targetName="Bob"))
            self.assertEqual(code, UNAVAILABLE)
            code, _ = code_of(self.chat.JoinChannel, pb.JoinChannelRequest(
                realmID=1, playerGUID=self.guid(3), playerName="Carol",
                channelName=self.chan("new")))
            self.assertEqual(code, UNAVAILABLE)  # cannot even be loaded
            # Messages need no database.
            self.assertEqual(self.say(2, "Bob", c, "still here"), OK)
            self.message(SenderGUID=self.guid(2))
            self.assertEqual(self.members(1, c)[1], [(self.guid(1), "Alice", 3),
                                                     (self.guid(2), "Bob", 0)])
            self.gw.assert_quiet()  # nothing announced for what failed
        finally:
            self.world.db.restart()
        deadline = time.monotonic() + 20
        while True:
            code, _ = code_of(self.chat.KickFromChannel, pb.KickFromChannelRequest(
                realmID=1, kickerGUID=self.guid(1), channelName=c, targetName="Bob"))
            if code == grpc.StatusCode.OK or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertEqual(self.db_members(c), [(self.guid(1), "Alice", 3)])


class WithoutMigrationTests(ChatCase):
    migrate = False

    def test_missing_tables_are_named(self):
        code, msg = code_of(self.chat.JoinChannel, pb.JoinChannelRequest(
            realmID=1, playerGUID=self.guid(1), playerName="Alice", channelName=self.chan()))
        self.assertEqual(code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("stratus_chat_channel", msg)
        self.assertIn("run `stratusctl migrate`", msg)


if __name__ == "__main__":
    unittest.main()
