"""characters plugin: the online cache fed by real NATS events. 10,000
characters log in through three gateways; who queries must return exactly
the sets computed here; one gateway is removed by the registry
(sr.gw.removed.unhealthy): only its characters go offline and
char.chars.unhealthy.gw lists exactly them. Also: event ordering (stale
logins and logouts), updates, and the cache surviving a code upgrade."""

import os
import random
import shutil
import time
import unittest

import charsupport as cs
from stack import StackCase

N = 10000
GATEWAYS = ("gw-alpha", "gw-beta", "gw-gamma")
ALL = 0xFFFFFFFF


def team(race):
    return 0 if race in cs.ALLIANCE else 1 if race in cs.HORDE else 2


def population():
    rnd = random.Random(1234)
    chars = []
    for i in range(N):
        guild = rnd.choice([0, 0] + list(range(1, 21)))
        chars.append({"guid": i + 1, "name": f"C{i:05d}", "race": rnd.choice(cs.ALLIANCE + cs.HORDE),
                      "cls": rnd.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 11]), "level": rnd.randint(1, 80),
                      "zone": rnd.choice([12, 14, 85, 141, 1519, 1637, 3703, 4395]),
                      "guild": guild, "gender": rnd.randint(0, 1),
                      "gateway": GATEWAYS[i % 3], "account": 100000 + i})
    return chars


def guild_name(g):
    return f"Guild {g}" if g else ""


class OnlineCacheTest(StackCase):
    PLUGIN = "[plugin.characters]\nenabled = yes\nwho_max_results = 1000\n"
    SUBSCRIBE = ("char.>",)

    @classmethod
    def seed(cls, db):
        for g in range(1, 21):
            db.execute("chars1", "INSERT INTO guild (guildid, name) VALUES (%s, %s)", (g, guild_name(g)))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.chars = population()
        cls.by_guid = {c["guid"]: c for c in cls.chars}
        t0 = time.time_ns()
        for i, c in enumerate(cls.chars):
            cs.publish_login(cls.nc, realm=1, gateway=c["gateway"], guid=c["guid"], name=c["name"],
                             race=c["race"], cls=c["cls"], gender=c["gender"], level=c["level"],
                             zone=c["zone"], guild=c["guild"], account=c["account"],
                             time_ns=t0 + i)
        cls.nc.flush()
        cls.d.wait_for(lambda: cls.stub.GetOnlineCharacters(
            cs.pb.GetOnlineCharactersRequest(realmID=1), timeout=10).totalCount == N,
            f"{N} characters online", timeout=60)
        # Guild names load in the background; wait until every guild is known.
        cls.d.wait_for(lambda: cls.who(characterGUID=1, lvlMin=0, lvlMax=100, raceMask=ALL,
                                       classMask=ALL, guildName="guild").totalFound ==
                       len(cls.expected(1, guild_filter="guild")), "guild names", timeout=30)

    # -- the reference implementation of the filters ------------------------------------------
    @classmethod
    def expected(cls, requester, lvl=(0, 255), races=ALL, classes=ALL, zones=(), name="",
                 guild_filter="", strings=(), online=None):
        me = cls.by_guid[requester]
        out = set()
        for c in cls.chars if online is None else online:
            if team(c["race"]) != team(me["race"]):
                continue
            if not lvl[0] <= c["level"] <= lvl[1]:
                continue
            if not races & (1 << c["race"]) or not classes & (1 << c["cls"]):
                continue
            if zones and c["zone"] not in zones:
                continue
            cname, gname = c["name"].lower(), guild_name(c["guild"]).lower()
            if name and name.lower() not in cname:
                continue
            if guild_filter and guild_filter.lower() not in gname:
                continue
            if strings and not any(s.lower() in cname or s.lower() in gname for s in strings):
                continue
            out.add(c["name"])
        return out

    @classmethod
    def who(cls, **kw):
        return cls.stub.WhoQuery(cs.pb.WhoQueryRequest(realmID=1, **kw), timeout=10)

    def check(self, requester, query, **expect):
        r = self.who(characterGUID=requester, **query)
        want = self.expected(requester, **expect)
        self.assertEqual(r.totalFound, len(want))
        self.assertLessEqual(len(want), 1000, "pick a narrower query")
        got = {i.name for i in r.itemsToDisplay}
        self.assertEqual(got, want)
        for item in r.itemsToDisplay:
            c = self.by_guid[item.guid]
            self.assertEqual((item.name, item.lvl, getattr(item, "class"), item.race, item.gender,
                              item.zoneID, item.guild),
                             (c["name"], c["level"], c["cls"], c["race"], c["gender"], c["zone"],
                              guild_name(c["guild"])))
        return r

    # -- who -------------------------------------------------------------------------------------
    def test_who_level_race_class_and_zones(self):
        alliance, horde = next(c for c in self.chars if c["race"] == 1), \
            next(c for c in self.chars if c["race"] == 2)
        q = dict(lvlMin=10, lvlMax=20, raceMask=(1 << 1) | (1 << 3), classMask=ALL)
        self.check(alliance["guid"], q, lvl=(10, 20), races=(1 << 1) | (1 << 3))
        q = dict(lvlMin=70, lvlMax=100, raceMask=ALL, classMask=1 << 5, zones=[12, 1519])
        self.check(alliance["guid"], q, lvl=(70, 255), classes=1 << 5, zones=(12, 1519))
        self.check(horde["guid"], q, lvl=(70, 255), classes=1 << 5, zones=(12, 1519))
        q = dict(lvlMin=80, lvlMax=80, raceMask=1 << 2, classMask=ALL)
        self.check(alliance["guid"], q, lvl=(80, 80), races=1 << 2)  # Horde race: nobody

    def test_who_names_guilds_and_strings(self):
        me = self.chars[0]["guid"]
        every = dict(lvlMin=0, lvlMax=100, raceMask=ALL, classMask=ALL)
        self.check(me, dict(every, playerName="c0012"), name="c0012")
        self.check(me, dict(every, lvlMin=75, guildName="GUILD 1"), lvl=(75, 255),
                   guild_filter="guild 1")
        self.check(me, dict(every, strings=["c0999", "guild 20", ""]),
                   strings=("c0999", "guild 20"))
        self.check(me, dict(every, playerName="c01", guildName="uild 7", zones=[85]),
                   name="c01", guild_filter="uild 7", zones=(85,))

    def test_who_counts_everything_and_lists_a_bounded_number(self):
        me = self.chars[0]["guid"]
        r = self.who(characterGUID=me, lvlMin=0, lvlMax=100, raceMask=ALL, classMask=ALL)
        want = self.expected(me)
        self.assertEqual(r.totalFound, len(want))
        self.assertGreater(len(want), 1000)
        self.assertEqual(len(r.itemsToDisplay), 1000)
        self.assertTrue({i.name for i in r.itemsToDisplay} <= want)

    # -- ordering and updates ----------------------------------------------------------------------
    def test_updates_and_stale_events(self):
        c = self.chars[5]
        realm, guid, gw = 1, c["guid"], c["gateway"]
        other_gw = next(g for g in GATEWAYS if g != gw)
        cs.publish_updates(self.nc, realm, other_gw, [{"i": guid, "l": 77}])  # not its gateway
        cs.publish_updates(self.nc, realm, gw, [{"i": guid, "z": 4395, "m": 571},
                                                {"i": 99999999, "l": 5}])
        self.nc.flush()
        short = lambda: self.ok("ShortOnlineCharactersDataByGUIDs", realmID=1,  # noqa: E731
                                GUIDs=[guid]).characters[0]
        # The character may have been in zone 4395 already: wait for the map too.
        self.d.wait_for(lambda: (short().charZone, short().charMap) == (4395, 571),
                        "the zone and map update")
        self.assertEqual(short().charLvl, c["level"])
        cs.publish_updates(self.nc, realm, gw, [{"i": guid, "z": c["zone"], "m": 0}])
        # A logout stamped before the login it would end changes nothing.
        cs.publish_logout(self.nc, realm, gw, guid, time_ns=1)
        self.nc.flush()
        time.sleep(0.3)
        self.assertTrue(self.is_online(realm, guid))
        # A logout from a gateway that does not hold the character, without times: ignored.
        cs.publish_logout(self.nc, realm, other_gw, guid)
        self.nc.flush()
        time.sleep(0.3)
        self.assertTrue(self.is_online(realm, guid))

    def test_login_older_than_a_logout_stays_out(self):
        realm, guid = 1, N + 50
        now = time.time_ns()
        self.login(realm=realm, gateway="gw-alpha", guid=guid, name="Late", time_ns=now)
        self.logout(realm, "gw-alpha", guid, time_ns=now + 10)
        # The login of the session that just ended arrives again, late.
        cs.publish_login(self.nc, realm=realm, gateway="gw-alpha", guid=guid, name="Late",
                         time_ns=now + 5)
        self.nc.flush()
        time.sleep(0.3)
        self.assertFalse(self.is_online(realm, guid))
        self.login(realm=realm, gateway="gw-alpha", guid=guid, name="Late", time_ns=now + 20)
        self.logout(realm, "gw-alpha", guid, time_ns=now + 30)

    # -- a gateway dies -------------------------------------------------------------------------
    def test_zz_gateway_removed_takes_only_its_characters(self):
        dead = "gw-beta"
        gone = {c["guid"] for c in self.chars if c["gateway"] == dead}
        before = set(self.ok("GetOnlineCharacters", realmID=1).characterGUIDs)
        self.nc.publish("sr.gw.removed.unhealthy", cs.envelope("0.0.1", 2, {
            "ID": dead, "Address": "10.0.0.2:8085", "HealthCheckAddr": "10.0.0.2:8900",
            "RealmID": 1, "EventTimeUnixNano": time.time_ns()}))
        self.nc.flush()
        (ev,) = cs.wait_events(self.sub, "char.chars.unhealthy.gw", 1, timeout=20)
        self.assertEqual(ev["t"], 1)
        p = ev["p"]
        self.assertEqual((p["RealmID"], p["GatewayID"]), (1, dead))
        self.assertIsInstance(p["EventTimeUnixNano"], int)
        self.assertEqual(len(p["CharactersGUID"]), len(gone))
        self.assertEqual(set(p["CharactersGUID"]), gone)
        after = set(self.ok("GetOnlineCharacters", realmID=1).characterGUIDs)
        self.assertEqual(after, before - gone)
        sample = sorted(gone)[:5] + sorted(after)[:5]
        r = self.ok("ShortOnlineCharactersDataByGUIDs", realmID=1, GUIDs=sample)
        self.assertEqual({c.charGUID for c in r.characters}, set(sorted(after)[:5]))
        me = next(c for c in self.chars if c["gateway"] != dead)["guid"]
        online = [c for c in self.chars if c["guid"] in after]
        self.assertEqual(self.who(characterGUID=me, lvlMin=0, lvlMax=100, raceMask=ALL,
                                  classMask=ALL).totalFound, len(self.expected(me, online=online)))
        # The same removal again: nothing left to drop, nothing published.
        self.nc.publish("sr.gw.removed.unhealthy", cs.envelope("0.0.1", 2, {
            "ID": dead, "RealmID": 1, "EventTimeUnixNano": time.time_ns()}))
        self.nc.flush()
        self.assertEqual(cs.events(self.sub, "char.chars.unhealthy.gw", 0.5), [])


class OnlineHandOverTest(StackCase):
    """The online cache survives a code upgrade (a new generation loaded from
    another copy of the .so takes the state over) and a config change."""

    def test_upgrade_keeps_who_is_online(self):
        for i in range(1, 201):
            cs.publish_login(self.nc, realm=1 + i % 2, gateway="gw", guid=i, name=f"Keep{i}",
                             guild=0, account=i)
        self.nc.flush()
        self.d.wait_for(lambda: self.ok("GetOnlineCharacters", realmID=1).totalCount == 100 and
                        self.ok("GetOnlineCharacters", realmID=2).totalCount == 100, "200 online")
        so = os.path.join(self.d.dir, "characters-copy.so")
        shutil.copyfile(cs.build_path("plugins", "characters.so"), so)
        before = self.d.status()["last_reload"]["seq"]
        self.d.write_config(f"[plugin.characters]\npath = {so}\nwho_max_results = 7\n")
        self.d.hup()
        r = self.d.wait_reload(before)
        self.assertEqual(r["outcome"], "ok", r)
        self.d.wait_for(lambda: self.d.plugin("characters")["generation"] == 2, "generation 2")
        self.assertEqual(self.ok("GetOnlineCharacters", realmID=1).totalCount, 100)
        c = self.ok("CharacterOnlineByName", realmID=2, characterName="keep1").character
        self.assertEqual((c.charGUID, c.gatewayID, c.accountID), (1, "gw", 1))
        who = self.ok("WhoQuery", realmID=1, characterGUID=2, lvlMin=0, lvlMax=100,
                      raceMask=ALL, classMask=ALL)
        self.assertEqual((who.totalFound, len(who.itemsToDisplay)), (100, 7))
        self.assertIn("took over 200 online characters", self.d.log_text())
        # A config change alone is applied in place (no new generation).
        before = self.d.status()["last_reload"]["seq"]
        self.d.write_config(f"[plugin.characters]\npath = {so}\nwho_max_results = 3\n")
        self.d.hup()
        self.d.wait_reload(before)
        self.assertEqual(self.d.plugin("characters")["generation"], 2)
        who = self.ok("WhoQuery", realmID=1, characterGUID=2, lvlMin=0, lvlMax=100,
                      raceMask=ALL, classMask=ALL)
        self.assertEqual((who.totalFound, len(who.itemsToDisplay)), (100, 3))


if __name__ == "__main__":
    unittest.main()
