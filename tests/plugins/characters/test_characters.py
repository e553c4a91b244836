"""characters plugin: login lists, account data, lookups by name and GUID,
online lookups and saved positions, through a real stratusd with grpcio,
against the project's schema fixture and the real AzerothCore schema."""

import math
import unittest

import grpc

import charsupport as cs
from charsupport import pb
from stack import StackCase

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
SCOPED = lambda realm, low: realm << 32 | low  # noqa: E731

# equipmentCache: "entry enchant" per slot; slot 2 is empty, 4 holds a bag.
EQUIPMENT = "100 0 101 7 0 0 102 0 103 0 999 0"


class CharactersTest(StackCase):
    @classmethod
    def seed(cls, db):
        add = cs.add_character
        add(db, "chars1", 1, 1, "Arthas", race=1, cls=2, level=80, zone=12, equipment=EQUIPMENT,
            playerFlags=32, at_login=4, extra_flags=8, skin=1, face=2, hairStyle=3, hairColor=4,
            facialStyle=5, gender=1)
        add(db, "chars1", 2, 1, "Jaina", race=1, cls=8, level=70, zone=1519)
        add(db, "chars1", 3, 1, "Ghost", deleted=True)
        add(db, "chars1", 4, 2, "Thrall", race=2, cls=7, level=80, zone=14, trans_x=5,
            transguid=9, taxi_path="1 2 3", orientation=0.5)
        add(db, "chars1", 5, 3, "\u00c4rthas", race=3, cls=1)
        add(db, "chars2", 1, 5, "Varian", race=1, cls=1, level=80, zone=1519)
        db.execute("chars1", "INSERT INTO guild (guildid, name, leaderguid) VALUES (9, 'Knights', 1)")
        db.execute("chars1", "INSERT INTO guild_member (guildid, guid, `rank`) VALUES (9, 1, 0)")
        db.execute("chars1", "INSERT INTO character_pet (id, entry, owner, modelid, level, slot) "
                             "VALUES (1, 555, 1, 777, 70, 0), (2, 556, 1, 778, 60, 1)")
        db.execute("chars1", "INSERT INTO character_banned VALUES (1, 10, 10, 'gm', 'x', 1), "
                             "(2, 10, 20, 'gm', 'old', 0)")
        db.execute("chars1", "INSERT INTO account_data VALUES (1, 0, 50, 'macros'), "
                             "(1, 2, 60, 'bindings')")

    # -- login lists ----------------------------------------------------------------------
    def test_characters_to_login_for_account(self):
        r = self.ok("CharactersToLoginForAccount", accountID=1, realmID=1)
        self.assertEqual([c.name for c in r.characters], ["Arthas", "Jaina"])  # Ghost is deleted
        a, j = r.characters
        self.assertEqual((a.GUID, a.race, getattr(a, "class"), a.gender, a.level, a.zone,
                          a.map, a.accountID), (1, 1, 2, 1, 80, 12, 0, 1))
        self.assertEqual((a.skin, a.face, a.hairStyle, a.hairColor, a.facialStyle), (1, 2, 3, 4, 5))
        self.assertEqual((a.positionX, a.positionY, a.positionZ), (1.5, -2.25, 3.0))
        self.assertEqual((a.guildID, a.playerFlags, a.atLogin, a.extraFlags), (9, 32, 4, 8))
        self.assertEqual((a.petEntry, a.petModelID, a.petLevel), (555, 777, 70))  # slot 0 only
        self.assertTrue(a.banned)
        self.assertFalse(j.banned)  # an inactive ban does not count
        self.assertEqual(len(a.equipments), 23)
        shown = [(e.DisplayInfoID, e.InventoryType) for e in a.equipments[:6]]
        self.assertEqual(shown, [(5000, 1), (5001, 5), (0, 0), (5002, 13), (5003, 18), (0, 0)])
        self.assertTrue(all(e.DisplayInfoID == 0 for e in a.equipments[6:]))
        self.assertEqual((j.petEntry, j.guildID), (0, 0))
        self.assertEqual(list(self.ok("CharactersToLoginForAccount", accountID=99, realmID=1).characters), [])
        varian = self.ok("CharactersToLoginForAccount", accountID=5, realmID=2).characters
        self.assertEqual([(c.GUID, c.name) for c in varian], [(1, "Varian")])

    def test_characters_to_login_by_guid(self):
        r = self.ok("CharactersToLoginByGUID", characterGUID=1, realmID=1, accountID=1)
        self.assertEqual((r.character.name, r.character.accountID), ("Arthas", 1))
        self.assertEqual(self.ok("CharactersToLoginByGUID", characterGUID=1, realmID=1).character.name,
                         "Arthas")  # no account (ToCloud9 master gateways)
        for guid, account in ((1, 2), (3, 0), (99, 0)):  # other account, deleted, unknown
            r = self.ok("CharactersToLoginByGUID", characterGUID=guid, realmID=1, accountID=account)
            self.assertFalse(r.HasField("character"), (guid, account))
        self.assertEqual(self.ok("CharactersToLoginByGUID", characterGUID=1, realmID=2).character.name,
                         "Varian")

    def test_login_bad_input(self):
        self.fails("CharactersToLoginForAccount", INVALID, "realmID is 0", accountID=1, realmID=0)
        self.fails("CharactersToLoginForAccount", NOT_FOUND, "realm 7 has no [db.characters.7]",
                   accountID=1, realmID=7)
        self.fails("CharactersToLoginForAccount", INVALID, "accountID is 0", accountID=0, realmID=1)
        self.fails("CharactersToLoginByGUID", INVALID, "characterGUID is 0", characterGUID=0,
                   realmID=1)
        self.fails("CharactersToLoginByGUID", INVALID, "not a player GUID",
                   characterGUID=0x4000 << 48 | 5, realmID=1)
        self.fails("CharactersToLoginByGUID", INVALID, "belongs to realm 2",
                   characterGUID=SCOPED(2, 1), realmID=1)

    # -- account data ------------------------------------------------------------------------
    def rows(self, account):
        return self.db.query("chars1", "SELECT type, time, CAST(data AS CHAR) FROM account_data "
                                       "WHERE accountId = %s ORDER BY type", (account,))

    def test_account_data_read_and_update(self):
        r = self.ok("AccountDataForAccount", accountID=1, realmID=1)
        self.assertEqual([(a.type, a.time, a.data) for a in r.accountData],
                         [(0, 50, "macros"), (2, 60, "bindings")])
        self.ok("UpdateAccountDataForAccount", accountID=7, realmID=1, type=4, time=100, data="é UI")
        self.assertEqual(self.rows(7), [(4, 100, "é UI")])
        self.ok("UpdateAccountDataForAccount", accountID=7, realmID=1, type=4, time=90, data="older")
        self.assertEqual(self.rows(7), [(4, 100, "é UI")])  # an older update does not win
        self.ok("UpdateAccountDataForAccount", accountID=7, realmID=1, type=4, time=100, data="retry")
        self.ok("UpdateAccountDataForAccount", accountID=7, realmID=1, type=4, time=120, data="newer")
        self.assertEqual(self.rows(7), [(4, 120, "newer")])
        r = self.ok("AccountDataForAccount", accountID=7, realmID=1)
        self.assertEqual([(a.type, a.time, a.data) for a in r.accountData], [(4, 120, "newer")])
        self.assertEqual(list(self.ok("AccountDataForAccount", accountID=8, realmID=1).accountData), [])

    def test_account_data_bad_input_writes_nothing(self):
        cases = [({"accountID": 0}, "accountID is 0"), ({"type": 8}, "type must be below 8"),
                 ({"time": -1}, "unix time"), ({"time": 1 << 32}, "unix time"),
                 ({"data": "x" * 65536}, "longer than 65535")]
        for fields, message in cases:
            req = dict(accountID=9, realmID=1, type=1, time=5, data="d")
            req.update(fields)
            self.fails("UpdateAccountDataForAccount", INVALID, message, **req)
        self.fails("UpdateAccountDataForAccount", NOT_FOUND, "realm 3", accountID=9, realmID=3)
        self.fails("AccountDataForAccount", INVALID, "accountID is 0", accountID=0, realmID=1)
        raw = (cs.field_varint(2, 9) + cs.field_varint(3, 1) + cs.field_varint(4, 1) +
               cs.field_varint(5, 5) + cs.field_bytes(6, b"\xff\xfe bad"))
        code, details = cs.raw_call(self.channel, "UpdateAccountDataForAccount", raw)
        self.assertEqual((code, details), (INVALID, "data is not valid UTF-8"))
        self.assertEqual(self.rows(9), [])

    # -- lookups -----------------------------------------------------------------------------
    def test_character_by_name_offline_and_online(self):
        r = self.ok("CharacterByName", realmID=1, characterName="aRtHaS")
        c = r.character
        self.assertEqual((c.realmID, c.isOnline, c.gatewayID, c.charGUID, c.charName, c.charRace,
                          c.charClass, c.charLvl, c.charZone, c.charGuildID, c.accountID),
                         (1, False, "", 1, "Arthas", 1, 2, 80, 12, 9, 1))
        self.assertEqual(self.ok("CharacterByName", realmID=1, characterName="\u00e4RTHAS")
                         .character.charGUID, 5)
        self.assertFalse(self.ok("CharacterByName", realmID=1, characterName="Nobody")
                         .HasField("character"))
        self.assertFalse(self.ok("CharacterByName", realmID=1, characterName="Ghost")
                         .HasField("character"))  # deleted
        self.assertEqual(self.ok("CharacterByName", realmID=2, characterName="varian")
                         .character.realmID, 2)
        self.assertFalse(self.ok("CharacterOnlineByName", realmID=1, characterName="Jaina")
                         .HasField("character"))
        self.login(realm=1, gateway="gw-a", guid=2, name="Jaina", cls=8, level=71, zone=1519,
                   account=1)
        try:
            c = self.ok("CharacterByName", realmID=1, characterName="JAINA").character
            self.assertEqual((c.isOnline, c.gatewayID, c.charGUID, c.charLvl), (True, "gw-a", 2, 71))
            c = self.ok("CharacterOnlineByName", realmID=1, characterName="jaina").character
            self.assertEqual((c.realmID, c.gatewayID, c.charGUID, c.charName, c.accountID),
                             (1, "gw-a", 2, "Jaina", 1))
            self.assertFalse(self.ok("CharacterOnlineByName", realmID=2, characterName="jaina")
                             .HasField("character"))
        finally:
            self.logout(1, "gw-a", 2)

    def test_names_bad_input(self):
        for method in ("CharacterByName", "CharacterOnlineByName"):
            self.fails(method, INVALID, "characterName is empty", realmID=1, characterName="")
            self.fails(method, INVALID, "13 characters", realmID=1, characterName="A" * 13)
            self.fails(method, NOT_FOUND, "realm 4 has no", realmID=4, characterName="Arthas")
            self.fails(method, INVALID, "realmID is 0", realmID=0, characterName="Arthas")
            raw = cs.field_varint(2, 1) + cs.field_bytes(3, b"Ar\xc3thas")
            self.assertEqual(cs.raw_call(self.channel, method, raw),
                             (INVALID, "characterName is not valid UTF-8"))
        self.ok("CharacterByName", realmID=1, characterName="\u00c4" * 12)  # 12 letters, 24 bytes

    def test_character_by_guid(self):
        c = self.ok("CharacterByGUID", realmID=1, characterGUID=4).character
        self.assertEqual((c.charName, c.isOnline, c.realmID, c.charGUID), ("Thrall", False, 1, 4))
        c = self.ok("CharacterByGUID", realmID=1, characterGUID=SCOPED(2, 1)).character
        self.assertEqual((c.charName, c.realmID, c.charGUID), ("Varian", 2, SCOPED(2, 1)))
        c = self.ok("CharacterByGUID", realmID=2, characterGUID=1).character
        self.assertEqual((c.charName, c.charGUID), ("Varian", 1))
        self.assertFalse(self.ok("CharacterByGUID", realmID=1, characterGUID=3).HasField("character"))
        self.fails("CharacterByGUID", INVALID, "characterGUID is 0", realmID=1, characterGUID=0)
        self.fails("CharacterByGUID", NOT_FOUND, "realm 7 has no", realmID=1,
                   characterGUID=SCOPED(7, 1))
        self.login(realm=2, gateway="gw-2", guid=1, name="Varian", account=5)
        try:
            c = self.ok("CharacterByGUID", realmID=1, characterGUID=SCOPED(2, 1)).character
            self.assertEqual((c.isOnline, c.gatewayID, c.charGUID), (True, "gw-2", SCOPED(2, 1)))
        finally:
            self.logout(2, "gw-2", 1)

    def test_short_online_data_and_online_list(self):
        self.login(realm=1, gateway="gw-a", guid=4, name="Thrall", race=2, cls=7, level=80,
                   zone=14, account=2, guild=0)
        self.login(realm=2, gateway="gw-2", guid=1, name="Varian", account=5)
        try:
            r = self.ok("ShortOnlineCharactersDataByGUIDs", realmID=1,
                        GUIDs=[4, 1, SCOPED(2, 1), 777])
            got = sorted((c.realmID, c.charGUID, c.charName, c.isOnline) for c in r.characters)
            self.assertEqual(got, [(1, 4, "Thrall", True), (2, SCOPED(2, 1), "Varian", True)])
            r = self.ok("ShortOnlineCharactersDataByGUIDs", realmID=2, GUIDs=[1])
            self.assertEqual([c.charGUID for c in r.characters], [1])
            self.fails("ShortOnlineCharactersDataByGUIDs", INVALID, "GUIDs[1] = 0", realmID=1,
                       GUIDs=[4, 0])
            self.fails("ShortOnlineCharactersDataByGUIDs", NOT_FOUND, "realm 9 has no",
                       realmID=9, GUIDs=[4])
            self.assertEqual(list(self.ok("ShortOnlineCharactersDataByGUIDs", realmID=1,
                                          GUIDs=[]).characters), [])
            r = self.ok("GetOnlineCharacters", realmID=1)
            self.assertEqual((list(r.characterGUIDs), r.totalCount), ([4], 1))
            self.assertEqual(list(self.ok("GetOnlineCharacters", realmID=2).characterGUIDs), [1])
            self.fails("GetOnlineCharacters", NOT_FOUND, "realm 9 has no", realmID=9)
            self.fails("GetOnlineCharacters", INVALID, "realmID is 0", realmID=0)
        finally:
            self.logout(1, "gw-a", 4)
            self.logout(2, "gw-2", 1)
        self.assertEqual(self.ok("GetOnlineCharacters", realmID=1).totalCount, 0)

    def test_who_query_basics(self):
        self.login(realm=1, gateway="gw-a", guid=1, name="Arthas", race=1, cls=2, level=80,
                   zone=12, guild=9)
        self.login(realm=1, gateway="gw-a", guid=4, name="Thrall", race=2, cls=7, level=80,
                   zone=14, account=2)
        self.login(realm=1, gateway="gw-b", guid=2, name="Jaina", race=1, cls=8, level=70,
                   zone=1519)
        try:
            every = dict(realmID=1, characterGUID=1, lvlMin=0, lvlMax=100, raceMask=0xFFFFFFFF,
                         classMask=0xFFFFFFFF)
            who = lambda **kw: self.ok("WhoQuery", **dict(every, **kw))  # noqa: E731
            r = who()
            self.assertEqual(r.totalFound, 2)  # Thrall is Horde: not listed to Arthas
            self.assertEqual(sorted(i.name for i in r.itemsToDisplay), ["Arthas", "Jaina"])
            item = next(i for i in r.itemsToDisplay if i.name == "Arthas")
            self.d.wait_for(lambda: next(i for i in who().itemsToDisplay if i.name == "Arthas")
                            .guild == "Knights", "the guild name")
            self.assertEqual((item.guid, item.lvl, item.race, item.zoneID), (1, 80, 1, 12))
            self.assertEqual([i.name for i in who(characterGUID=4).itemsToDisplay], ["Thrall"])
            self.assertEqual([i.name for i in who(lvlMax=75).itemsToDisplay], ["Jaina"])
            self.assertEqual([i.name for i in who(guildName="KNIG").itemsToDisplay], ["Arthas"])
            self.assertEqual([i.name for i in who(playerName="ain").itemsToDisplay], ["Jaina"])
            self.assertEqual([i.name for i in who(zones=[1519, 4]).itemsToDisplay], ["Jaina"])
            self.assertEqual([i.name for i in who(classMask=1 << 8).itemsToDisplay], ["Jaina"])
            self.assertEqual(sorted(i.name for i in who(strings=["jai", "nights"]).itemsToDisplay),
                             ["Arthas", "Jaina"])
            self.fails("WhoQuery", INVALID, "at most 10 zones", **dict(every, zones=list(range(11))))
            self.fails("WhoQuery", INVALID, "at most 10 zones and 4 strings",
                       **dict(every, strings=["a"] * 5))
            self.fails("WhoQuery", NOT_FOUND, "realm 9 has no", **dict(every, realmID=9))
            self.fails("WhoQuery", INVALID, "realmID is 0", **dict(every, realmID=0))
            self.fails("WhoQuery", INVALID, "longer than 96 bytes", **dict(every, guildName="g" * 97))
            self.fails("WhoQuery", INVALID, "characterGUID is 0", **dict(every, characterGUID=0))
            raw = (cs.field_varint(2, 1) + cs.field_varint(3, 1) + cs.field_bytes(6, b"\xc3("))
            self.assertEqual(cs.raw_call(self.channel, "WhoQuery", raw),
                             (INVALID, "playerName is not valid UTF-8"))
        finally:
            for guid, gw in ((1, "gw-a"), (4, "gw-a"), (2, "gw-b")):
                self.logout(1, gw, guid)

    # -- positions ---------------------------------------------------------------------------
    def position(self, database, guid):
        return self.db.query(database, "SELECT map, position_x, position_y, position_z, "
                                       "orientation, trans_x, transguid, taxi_path FROM characters "
                                       "WHERE guid = %s", (guid,))[0]

    def test_save_player_position(self):
        self.ok("SavePlayerPosition", realmID=1, charGUID=4, mapID=530, x=10.5, y=-20.25, z=7, o=1.5)
        self.assertEqual(self.position("chars1", 4), (530, 10.5, -20.25, 7.0, 1.5, 0.0, 0, ""))
        self.ok("SavePlayerPosition", realmID=1, charGUID=SCOPED(2, 1), mapID=1, x=1, y=2, z=3, o=0)
        self.assertEqual(self.position("chars2", 1)[:4], (1, 1.0, 2.0, 3.0))
        self.assertEqual(self.position("chars1", 1)[0], 0)  # realm 1's guid 1 untouched

    def test_save_player_position_refusals_write_nothing(self):
        before = self.position("chars1", 2)
        self.fails("SavePlayerPosition", NOT_FOUND, "character 99 not found on realm 1",
                   realmID=1, charGUID=99, mapID=1)
        self.fails("SavePlayerPosition", NOT_FOUND, "character 3 not found", realmID=1,
                   charGUID=3, mapID=1)  # deleted
        self.fails("SavePlayerPosition", INVALID, "charGUID is 0", realmID=1, charGUID=0)
        self.fails("SavePlayerPosition", INVALID, "not finite", realmID=1, charGUID=2,
                   x=math.nan)
        self.fails("SavePlayerPosition", INVALID, "not finite", realmID=1, charGUID=2,
                   o=math.inf)
        self.fails("SavePlayerPosition", INVALID, "above 65535", realmID=1, charGUID=2,
                   mapID=70000)
        self.fails("SavePlayerPosition", NOT_FOUND, "realm 5 has no", realmID=5, charGUID=2)
        self.assertEqual(self.position("chars1", 2), before)


class CharactersRealSchemaTest(CharactersTest):
    KIND = "real"


if __name__ == "__main__":
    unittest.main()
