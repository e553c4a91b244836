"""Helpers for the characters and realid plugin tests: databases with the
AzerothCore schema (the project fixture or the real one), seed rows, config
sections, gateway events and gRPC stubs."""

import os
import subprocess
import sys
import tempfile
import time

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))

import schema  # noqa: E402
from natsclient import NatsClient, envelope, parse_envelope  # noqa: E402
from stratusd import build_path  # noqa: E402

from characters import characters_pb2 as pb  # noqa: E402,F401
from characters import characters_pb2_grpc as pbg  # noqa: E402

CTL = build_path("bin", "stratusctl")

# Races: Alliance 1 Human, 3 Dwarf, 4 Night Elf, 7 Gnome, 11 Draenei;
# Horde 2 Orc, 5 Undead, 6 Tauren, 8 Troll, 10 Blood Elf.
ALLIANCE = (1, 3, 4, 7, 11)
HORDE = (2, 5, 6, 8, 10)
ITEMS = {  # item_template entry -> (displayid, InventoryType)
    100: (5000, 1), 101: (5001, 5), 102: (5002, 13), 103: (5003, 18),
}


def schema_kinds():
    """("fixture", "real") when ../shared/azerothcore exists, else ("fixture",)."""
    return ("fixture", "real") if schema.azerothcore_dir() else ("fixture",)


def load_schema(db, kind, auth, chars, more_chars=()):
    """Fresh auth and characters databases of the given kind; more_chars are
    extra characters databases (other realms) with the same schema."""
    if kind == "real":
        if not schema.load_real_azerothcore(db, auth, chars):
            raise RuntimeError("no AzerothCore schema")
        for extra in more_chars:
            db.drop_database(extra)
            db.create_database(extra)
            for (table,) in db.query(None, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                           "WHERE TABLE_SCHEMA = %s", (chars,)):
                db.execute(extra, f"CREATE TABLE `{table}` LIKE `{chars}`.`{table}`")
    else:
        schema.load_fixture(db, auth, chars)
        for extra in more_chars:
            schema.load_fixture(db, None, extra)


def load_world(db, name):
    """A world database with the item_template columns the plugin reads."""
    db.drop_database(name)
    db.create_database(name)
    db.execute(name, "CREATE TABLE item_template (entry INT UNSIGNED NOT NULL PRIMARY KEY, "
                     "displayid INT UNSIGNED NOT NULL DEFAULT 0, "
                     "InventoryType TINYINT UNSIGNED NOT NULL DEFAULT 0)")
    for entry, (display, inv) in ITEMS.items():
        db.execute(name, "INSERT INTO item_template VALUES (%s, %s, %s)", (entry, display, inv))
    db.execute(name, "INSERT INTO item_template VALUES (999, 1, 0)")  # not equippable


def add_character(db, database, guid, account, name, race=1, cls=1, gender=0, level=10,
                  zone=12, map_=0, equipment="", deleted=False, **extra):
    cols = {"guid": guid, "account": 0 if deleted else account, "name": "" if deleted else name,
            "race": race, "class": cls, "gender": gender, "level": level, "zone": zone,
            "map": map_, "position_x": 1.5, "position_y": -2.25, "position_z": 3.0,
            "taximask": "", "innTriggerId": 0, "equipmentCache": equipment}
    if deleted:
        cols.update(deleteInfos_Account=account, deleteInfos_Name=name, deleteDate=1)
    cols.update(extra)
    names = ", ".join(f"`{k}`" for k in cols)
    marks = ", ".join(["%s"] * len(cols))
    db.execute(database, f"INSERT INTO characters ({names}) VALUES ({marks})", tuple(cols.values()))


def db_section(db, name, database, **extra):
    lines = [f"[db.{name}]", f"socket = {db.socket}", "user = root", f"database = {database}",
             "pool_size = 4"] + [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n\n"


def bus_section(url):
    return f"[bus]\nnats_url = {url}\nreconnect_wait = 200ms\n\n"


def migrate(db, auth_db):
    """Applies sql/auth (stratus_realid_friends) and plugins' auth migrations."""
    schema.migrate(db, {"auth": auth_db})


# ---- gateway events -------------------------------------------------------------------

def login_payload(realm, gateway, guid, name, race=1, cls=1, gender=0, level=10, zone=12,
                  map_=0, guild=0, account=1, time_ns=None):
    p = {"RealmID": realm, "GatewayID": gateway, "CharGUID": guid, "CharName": name,
         "CharRace": race, "CharClass": cls, "CharGender": gender, "CharLevel": level,
         "CharZone": zone, "CharMap": map_, "CharPosX": 1.5, "CharPosY": 2.5, "CharPosZ": 0,
         "CharGuildID": guild, "AccountID": account}
    if time_ns is not None:
        p["EventTimeUnixNano"] = time_ns
    return p


def publish_login(nc, **kw):
    nc.publish("gw.char.logged-in", envelope("0.0.1", 1, login_payload(**kw)))


def publish_logout(nc, realm, gateway, guid, name="", account=1, time_ns=None):
    p = {"RealmID": realm, "GatewayID": gateway, "CharGUID": guid, "CharName": name,
         "CharGuildID": 0, "AccountID": account}
    if time_ns is not None:
        p["EventTimeUnixNano"] = time_ns
    nc.publish("gw.char.logged-out", envelope("0.0.1", 2, p))


def publish_updates(nc, realm, gateway, updates):
    nc.publish("gw.char.chars-updates",
               envelope("0.0.1", 3, {"RealmID": realm, "GatewayID": gateway, "Updates": updates}))


def events(nc, subject, seconds=0.5):
    """Parsed envelopes received on `subject` within `seconds`."""
    return [parse_envelope(data) for subj, data in nc.drain_messages(seconds) if subj == subject]


def wait_events(nc, subject, count, timeout=10):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            subj, data = nc.next_message(timeout=max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        if subj == subject:
            got.append(parse_envelope(data))
    return got


def code_of(fn, *args, **kw):
    try:
        return grpc.StatusCode.OK, fn(*args, timeout=10, **kw)
    except grpc.RpcError as e:
        return e.code(), e.details()


def raw_call(channel, method, payload):
    """Calls /v1.CharactersService/<method> with hand-made request bytes (to
    send what the Python protobuf library refuses to encode, e.g. non-UTF-8
    strings) and returns (code, details)."""
    call = channel.unary_unary(f"/v1.CharactersService/{method}",
                               request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
    try:
        call(payload, timeout=10)
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as e:
        return e.code(), e.details()


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data
