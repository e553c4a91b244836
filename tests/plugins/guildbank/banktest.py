"""Shared helpers of the guildbank tests: a realm database with the fixture
schema, the guid and guildbank migrations and one guild with three ranks, a
world database with item_template, stratusd with guid + guildbank, and a
grpcio client that plays the gateway (x-idempotency-key, retries)."""

import os
import shutil
import subprocess
import tempfile
import time

import grpc

import schema
from stratusd import REPO, Stratusd, build_path

from guilds import guilds_pb2, guilds_pb2_grpc

CTL = build_path("bin", "stratusctl")
MIGRATIONS = [os.path.join(REPO, "sql", "characters", f)
              for f in ("0001_guid_reservations.sql", "0400_guild_bank.sql")]

GUILD, OTHER_GUILD = 1, 2
GM, OFFICER, MEMBER, STRANGER, OUTSIDER = 100, 101, 102, 200, 300
LINEN, HEARTH = 2589, 6948  # stack 20, stack 1
STACKS = {LINEN: 20, HEARTH: 1}
RIGHT_WITHDRAW_GOLD = 0x00080000
OFFICER_MONEY_PER_DAY = 1000
OFFICER_SLOTS_PER_DAY = 2

S = guilds_pb2.GuildBankStatus
OK, FAILED, NO_GUILD, NOT_IN_GUILD, NO_RIGHTS, BAD_TAB, BAD_SLOT, NO_MONEY, FULL, LIMIT, \
    NO_ITEM = (S.Ok, S.Failed, S.GuildNotFound, S.NotInGuild, S.NotEnoughRights, S.InvalidTab,
               S.InvalidSlot, S.NotEnoughMoney, S.BankFull, S.WithdrawLimit, S.ItemNotFound)


def migrate(db, database):
    tmp = tempfile.mkdtemp(prefix="guildbank-migrate-")
    try:
        os.makedirs(os.path.join(tmp, "sql", "characters"))
        for m in MIGRATIONS:
            shutil.copy(m, os.path.join(tmp, "sql", "characters"))
        config = os.path.join(tmp, "stratus.ini")
        with open(config, "w") as f:
            f.write(f"[db.characters.1]\nsocket = {db.socket}\nuser = root\n"
                    f"database = {database}\n")
        r = subprocess.run([CTL, "-c", config, "migrate", "--sql-dir", os.path.join(tmp, "sql")],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"migrate failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_world(db, name):
    db.create_database(name)
    db.execute(name, "CREATE TABLE item_template (entry INT UNSIGNED NOT NULL PRIMARY KEY, "
                     "stackable INT NOT NULL DEFAULT 1)")
    for entry, stack in STACKS.items():
        db.execute(name, "INSERT INTO item_template VALUES (%s, %s)", (entry, stack))


def seed_guild(db, name, officer_slots=OFFICER_SLOTS_PER_DAY):
    """Guild 1 with a guild master, an officer (gold right, 1000 copper and
    `officer_slots` stacks a day, view+put on every tab) and a member (view
    only); guild 2 with one member. Bank empty, no tabs."""
    for t in ("guild", "guild_rank", "guild_member", "guild_bank_tab", "guild_bank_right",
              "guild_bank_item", "guild_bank_eventlog", "guild_member_withdraw",
              "item_instance", "stratus_guild_bank_op", "stratus_guild_bank_seq"):
        db.execute(name, f"DELETE FROM {t}")
    for guild, leader in ((GUILD, GM), (OTHER_GUILD, STRANGER)):
        db.execute(name, "INSERT INTO guild (guildid, name, leaderguid) VALUES (%s, %s, %s)",
                   (guild, f"g{guild}", leader))
    ranks = [(GUILD, 0, 0xFFFFFFFF, 0xFFFFFFFF), (GUILD, 1, RIGHT_WITHDRAW_GOLD, OFFICER_MONEY_PER_DAY),
             (GUILD, 2, 0, 0), (OTHER_GUILD, 0, 0xFFFFFFFF, 0xFFFFFFFF)]
    for guild, rid, rights, money in ranks:
        db.execute(name, "INSERT INTO guild_rank (guildid, rid, rname, rights, BankMoneyPerDay) "
                         "VALUES (%s, %s, %s, %s, %s)", (guild, rid, f"r{rid}", rights, money))
    for guild, guid, rank in ((GUILD, GM, 0), (GUILD, OFFICER, 1), (GUILD, MEMBER, 2),
                              (OTHER_GUILD, STRANGER, 0)):
        db.execute(name, "INSERT INTO guild_member (guildid, guid, `rank`) VALUES (%s, %s, %s)",
                   (guild, guid, rank))
    return officer_slots


def grant_tab(db, name, tab, officer_slots=OFFICER_SLOTS_PER_DAY):
    """After a tab is bought: the officer may view and put and take
    `officer_slots` stacks a day; the member may only view."""
    db.execute(name, "REPLACE INTO guild_bank_right VALUES (%s, %s, 1, 3, %s)",
               (GUILD, tab, officer_slots))
    db.execute(name, "REPLACE INTO guild_bank_right VALUES (%s, %s, 2, 1, 0)", (GUILD, tab))


def db_sections(db, chars, world):
    return (f"[db.characters.1]\nsocket = {db.socket}\nuser = root\ndatabase = {chars}\n"
            f"pool_size = 4\n\n[db.world]\nsocket = {db.socket}\nuser = root\n"
            f"database = {world}\npool_size = 2\n\n")


def daemon(sections, **kw):
    d = Stratusd(sections="[plugin.guid]\nenabled = yes\n\n[plugin.guildbank]\nenabled = yes\n",
                 **kw)
    d.sections_extra = sections
    d.write_config("[plugin.guid]\nenabled = yes\n\n[plugin.guildbank]\nenabled = yes\n")
    return d


FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 50),
                  ("grpc.min_reconnect_backoff_ms", 50),
                  ("grpc.max_reconnect_backoff_ms", 200)]

RETRY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
         grpc.StatusCode.ABORTED, grpc.StatusCode.CANCELLED)


class Bank:
    """GuildService bank calls for realm 1, as a gateway makes them."""

    def __init__(self, target):
        self.target = target
        self.reconnect()

    def reconnect(self):
        self.channel = grpc.insecure_channel(self.target, options=FAST_RECONNECT)
        self.stub = guilds_pb2_grpc.GuildServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def call(self, method, key=None, timeout=10, **fields):
        params = getattr(guilds_pb2, f"{method}Params")(realmID=fields.pop("realm", 1),
                                                        guildID=fields.pop("guild", GUILD),
                                                        **fields)
        md = (("x-idempotency-key", key),) if key else None
        return getattr(self.stub, method)(params, metadata=md, timeout=timeout)

    def retry(self, method, key, deadline=60, **fields):
        """Calls until the server gives a definite answer (same key each time)."""
        end = time.monotonic() + deadline
        while True:
            try:
                return self.call(method, key, **fields)
            except grpc.RpcError as e:
                if e.code() not in RETRY or time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def error(self, method, key=None, **fields):
        try:
            r = self.call(method, key, **fields)
        except grpc.RpcError as e:
            return e.code(), e.details()
        raise AssertionError(f"{method}: expected an error, got {r}")


def item(guid, entry=LINEN, count=1):
    return guilds_pb2.GuildBankItem(itemGUID=guid, entry=entry, count=count)


def snapshot(db, name):
    """Everything the bank owns, to show that a refusal changed nothing."""
    out = {}
    for t, order in (("guild", "guildid"), ("guild_bank_tab", "guildid, TabId"),
                     ("guild_bank_item", "guildid, TabId, SlotId"),
                     ("guild_bank_eventlog", "guildid, LogGuid, TabId"),
                     ("guild_member_withdraw", "guid"), ("item_instance", "guid"),
                     ("stratus_guild_bank_op", "guildid, op_key")):
        out[t] = db.query(name, f"SELECT * FROM {t} ORDER BY {order}")
    return out
