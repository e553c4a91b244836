"""The base test case of the chat suites: one World and one stratusd per
class, a fake gateway per test, request helpers and event checks."""

import itertools
import time
import unittest

from chatenv import (ALLIANCE, JOINED_KEYS, LEFT_KEYS, MESSAGE_KEYS, NOTIFY_KEYS, Gateway,
                     World, code_of, pb, stub_for)

_counter = itertools.count(1)


class ChatCase(unittest.TestCase):
    kind = "fixture"          # or "ac": AzerothCore's real schema
    plugins = {"chat": ""}    # [plugin.<name>] sections: extra config lines
    migrate = True            # run stratusctl migrate on the realms' databases
    world = None

    @classmethod
    def setUpClass(cls):
        try:
            cls.world = World(cls.kind, cls.migrate)
        except FileNotFoundError:
            raise unittest.SkipTest("no AzerothCore schema (../shared/azerothcore)")
        cls.start_daemon()

    @classmethod
    def start_daemon(cls):
        cls.d = cls.world.daemon(cls.plugins)
        cls.d.start()
        cls.grpc_channel, cls.chat = stub_for(cls.d)

    @classmethod
    def stop_daemon(cls):
        cls.grpc_channel.close()
        code = cls.d.stop()
        if code != 0:
            raise AssertionError(f"stratusd exited with {code}:\n{cls.d.log_text()[-4000:]}")

    @classmethod
    def tearDownClass(cls):
        if cls.world is None:
            return
        try:
            cls.stop_daemon()
            cls.d.cleanup()
        finally:
            cls.world.stop()

    def setUp(self):
        self.n = next(_counter)
        self.prefix = f"t{self.n}-"
        self.guid0 = self.n * 1000
        self.gw = Gateway(self.world.nats.url, prefix=self.prefix)
        self.addCleanup(self.gw.close)

    # -- names ------------------------------------------------------------------
    def chan(self, suffix="chan"):
        return f"{self.prefix}{suffix}"

    def guid(self, i):
        return self.guid0 + i

    def pname(self, base):
        """A character name unique to this test (characters rows are shared)."""
        n, tag = self.n, ""
        while n:
            n, r = divmod(n, 26)
            tag += chr(ord("a") + r)
        return base + tag

    # -- requests ---------------------------------------------------------------
    def join(self, i, name, channel, team=ALLIANCE, realm=1, password="", dbc=0, flags=0):
        return self.chat.JoinChannel(pb.JoinChannelRequest(
            realmID=realm, playerGUID=self.guid(i), playerName=name, teamID=team,
            channelName=channel, channelID=dbc, password=password, channelFlags=flags),
            timeout=10)

    def leave(self, i, channel, team=ALLIANCE, realm=1):
        return self.chat.LeaveChannel(pb.LeaveChannelRequest(
            realmID=realm, playerGUID=self.guid(i), channelName=channel, teamID=team),
            timeout=10).status

    def say(self, i, name, channel, text="hello", team=ALLIANCE, realm=1, language=7, tag=0):
        return self.chat.SendChannelMessage(pb.SendChannelMessageRequest(
            realmID=realm, senderGUID=self.guid(i), senderName=name, channelName=channel,
            language=language, message=text, teamID=team, senderChatTag=tag), timeout=10).status

    def members(self, i, channel, team=ALLIANCE, realm=1):
        r = self.chat.GetChannelList(pb.GetChannelListRequest(
            realmID=realm, playerGUID=self.guid(i), channelName=channel, teamID=team), timeout=10)
        return r.status, [(m.guid, m.name, m.flags) for m in r.members]

    def target_op(self, method, i, channel, target, team=ALLIANCE, realm=1):
        """One of the nine (actor, channel, targetName) RPCs; returns the status."""
        actor = {"KickFromChannel": "kickerGUID", "BanFromChannel": "bannerGUID",
                 "UnbanFromChannel": "unbannerGUID", "SetChannelModerator": "setterGUID",
                 "UnsetChannelModerator": "setterGUID", "SetChannelMute": "muterGUID",
                 "UnsetChannelMute": "unmuterGUID", "SetChannelOwner": "setterGUID",
                 "InviteToChannel": "inviterGUID"}[method]
        req = getattr(pb, method + "Request")(realmID=realm, channelName=channel,
                                              targetName=target, teamID=team)
        setattr(req, actor, self.guid(i))
        return getattr(self.chat, method)(req, timeout=10).status

    def password(self, i, channel, password, team=ALLIANCE, realm=1):
        return self.chat.SetChannelPassword(pb.SetChannelPasswordRequest(
            realmID=realm, setterGUID=self.guid(i), channelName=channel, password=password,
            teamID=team), timeout=10).status

    def toggle(self, method, i, channel, team=ALLIANCE, realm=1):
        req = getattr(pb, method + "Request")(realmID=realm, togglerGUID=self.guid(i),
                                              channelName=channel, teamID=team)
        r = getattr(self.chat, method)(req, timeout=10)
        flag = r.moderationEnabled if method == "ToggleChannelModeration" else r.announcementsEnabled
        return r.status, flag

    def status_of(self, method, request):
        return code_of(getattr(self.chat, method), request)

    # -- events ---------------------------------------------------------------------
    def _event(self, subject, keys, **fields):
        """The first unconsumed event on `subject` whose payload has `fields`;
        its keys must be exactly `keys`, in order."""
        p = self.gw.expect(subject, lambda p: all(p.get(k) == v for k, v in fields.items()))
        self.assertEqual(list(p), keys)
        return p

    def joined(self, guid, **fields):
        p = self._event("chat.gw.ALL.channel.joined", JOINED_KEYS, PlayerGUID=guid, **fields)
        self.assertTrue(p["ServiceID"])
        return p

    def left(self, guid, **fields):
        return self._event("chat.gw.ALL.channel.left", LEFT_KEYS, PlayerGUID=guid, **fields)

    def notify(self, notify_type, **fields):
        fields.setdefault("ExtraData", "")
        return self._event("chat.gw.ALL.channel.notify", NOTIFY_KEYS, NotifyType=notify_type,
                           **fields)

    def message(self, **fields):
        return self._event("chat.gw.ALL.channel.message", MESSAGE_KEYS, **fields)

    def wait_until(self, predicate, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.02)

    def settle(self):
        """Drop the events of a test's set-up steps."""
        self.gw.pull(0.2)
        self.gw.forget()

    # -- database ---------------------------------------------------------------------
    def db_members(self, channel, realm=1, team=ALLIANCE):
        return self.world.query(realm, "SELECT guid, name, flags FROM stratus_chat_member "
                                "WHERE team = %s AND channel_key = %s ORDER BY join_seq",
                                (team, channel.lower()))

    def db_channel(self, channel, realm=1, team=ALLIANCE):
        """(announce, ownership, password, moderated, ac id) of a custom channel."""
        rows = self.world.query(realm, "SELECT c.announce, c.ownership, c.password, s.moderated, "
                                "c.channelId FROM stratus_chat_channel s JOIN channels c "
                                "ON c.channelId = s.ac_channel_id WHERE s.team = %s "
                                "AND s.channel_key = %s", (team, channel.lower()))
        return rows[0] if rows else None

    def db_bans(self, channel, realm=1, team=ALLIANCE):
        return self.world.query(realm, "SELECT b.playerGUID, b.banTime FROM channels_bans b "
                                "JOIN stratus_chat_channel s ON s.ac_channel_id = b.channelId "
                                "WHERE s.team = %s AND s.channel_key = %s",
                                (team, channel.lower()))
