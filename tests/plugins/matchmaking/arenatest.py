"""Shared helpers of the matchmaking arena tests: a realm database with the
fixture schema and every migration, two 2v2 arena teams, stratusd with the
matchmaking plugin, and a grpcio client that plays the worldserver sidecar
(TC9FinishRatedArenaMatch)."""

import math

import grpc

import schema
from stratusd import Stratusd

from matchmaking import matchmaking_pb2, matchmaking_pb2_grpc

M = matchmaking_pb2
OK = M.MATCHMAKING_ARENA_TEAM_MUTATION_OK
NOT_FOUND = M.MATCHMAKING_ARENA_TEAM_MUTATION_NOT_FOUND
MISMATCH = M.MATCHMAKING_ARENA_TEAM_MUTATION_MEMBER_MISMATCH
BAD_TYPE = M.MATCHMAKING_ARENA_TEAM_MUTATION_INVALID_TYPE
ALLIANCE, HORDE, ANY = M.Alliance, M.Horde, M.Any

REALM = 1
GOLD, RED, THREES = 10, 20, 30          # 2v2, 2v2, 3v3 team IDs
GOLD_ROSTER, RED_ROSTER = (101, 102, 103), (201, 202)
START_MMR = 1500

PLUGIN = "[plugin.matchmaking]\nenabled = yes\n"
TABLES = ("arena_team", "arena_team_member", "character_arena_stats",
          "stratus_arena_match_result")


def prepare(db, name, real_schema=False):
    """The fixture, or AzerothCore's real characters schema (False when it
    is not on this machine), then every migration."""
    if real_schema:
        if not schema.load_real_azerothcore(db, name + "_auth", name):
            return False
    else:
        schema.load_fixture(db, None, name)
    schema.migrate(db, {"characters.1": name})
    return True


def seed(db, name):
    """GOLD (1500, members 101-103: 101 has MMR 1600/max 1650, the others no
    stats row), RED (1300, 201 and 202 with MMR 1400), THREES (3v3, 301)."""
    for t in TABLES:
        db.execute(name, f"DELETE FROM {t}")
    for team, tname, captain, ttype, rating in ((GOLD, "Gold", 101, 2, 1500),
                                               (RED, "Red", 201, 2, 1300),
                                               (THREES, "Three", 301, 3, 1500)):
        db.execute(name, "INSERT INTO arena_team (arenaTeamId, name, captainGuid, type, rating, "
                         "seasonGames, seasonWins, weekGames, weekWins) "
                         "VALUES (%s, %s, %s, %s, %s, 4, 2, 1, 1)",
                   (team, tname, captain, ttype, rating))
    for team, roster in ((GOLD, GOLD_ROSTER), (RED, RED_ROSTER), (THREES, (301,))):
        for guid in roster:
            db.execute(name, "INSERT INTO arena_team_member (arenaTeamId, guid, weekGames, "
                             "weekWins, seasonGames, seasonWins, personalRating) "
                             "VALUES (%s, %s, 1, 1, 4, 2, 1400)", (team, guid))
    db.execute(name, "INSERT INTO character_arena_stats VALUES (101, 0, 1600, 1650)")
    for guid in RED_ROSTER:
        db.execute(name, "INSERT INTO character_arena_stats VALUES (%s, 0, 1400, 1400)", (guid,))


def snapshot(db, name):
    """Everything a result can change, to show that a call changed nothing."""
    return {t: db.query(name, f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}


def daemon(db, name, extra=""):
    d = Stratusd(sections=PLUGIN + extra)
    d.sections_extra = (f"[db.characters.1]\nsocket = {db.socket}\nuser = root\n"
                        f"database = {name}\npool_size = 4\n\n")
    d.write_config(PLUGIN + extra)
    return d


class Sidecar:
    """MatchmakingService calls as the worldserver sidecar makes them."""

    def __init__(self, target):
        self.channel = grpc.insecure_channel(target)
        self.stub = matchmaking_pb2_grpc.MatchmakingServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def finish(self, winner=ALLIANCE, instance=7, alliance=GOLD, horde=RED, arena_type=2,
               participants=None, valid=True, realm=REALM, cross=False, a_mmr=1600, h_mmr=1400):
        if participants is None:
            participants = [(ALLIANCE, 101), (ALLIANCE, 102), (HORDE, 201), (HORDE, 202)]
        req = M.FinishRatedArenaMatchRequest(
            ownerRealmID=realm, isCrossRealm=cross, instanceID=instance, arenaType=arena_type,
            winnerTeam=winner, validArena=valid, allianceArenaTeamID=alliance,
            hordeArenaTeamID=horde, allianceArenaMatchmakerRating=a_mmr,
            hordeArenaMatchmakerRating=h_mmr,
            participants=[M.RatedArenaParticipant(team=t, playerGUID=g) for t, g in participants])
        return self.stub.FinishRatedArenaMatch(req, timeout=20)

    def error(self, **kw):
        try:
            r = self.finish(**kw)
        except grpc.RpcError as e:
            return e.code(), e.details()
        raise AssertionError(f"expected an error, got {r}")


# AzerothCore's formulas, written out again for the expectations.
def chance(own, opp):
    return 1 / (1 + 10 ** ((opp - own) / 650))


def rating_mod(own, opp, won):
    c = chance(own, opp)
    if not won:
        return math.ceil(24 * -c)
    if own < 1000:
        return math.ceil(48 * (1 - c))
    if own < 1300:
        return math.ceil((24 + 24 * (1300 - own) / 300) * (1 - c))
    return math.ceil(24 * (1 - c))


def mmr_mod(own, opp, won):
    return math.ceil(((1 if won else 0) - chance(own, opp)) * 24)
