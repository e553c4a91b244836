"""Test environment of the auctionhouse plugin: the mail plugin's World (two
realms' characters databases with seeded characters, MariaDB, nats-server)
plus a world database with AzerothCore's item_template columns, migrated
with stratusctl; stratusd with the auctionhouse and mail plugins."""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "mail"))

import mailenv  # noqa: E402
from mailenv import call, env_for_tools  # noqa: E402,F401
from stratusd import REPO, build_path  # noqa: E402

from auctionhouse import auctionhouse_pb2 as pb, auctionhouse_pb2_grpc as pbg  # noqa: E402,F401
from mail import mail_pb2 as mailpb, mail_pb2_grpc as mailpbg  # noqa: E402,F401

WORLD = "ah_world"
# entry: (class, subclass, name, Quality, InventoryType, ItemLevel, RequiredLevel)
TEMPLATES = {
    2589: (7, 5, "Linen Cloth", 1, 0, 5, 0),
    2592: (7, 5, "Wool Cloth", 1, 0, 15, 0),
    4306: (7, 5, "Silk Cloth", 1, 0, 25, 0),
    2140: (2, 15, "Carving Knife", 1, 13, 11, 6),
    15427: (2, 7, "Dread Blade", 2, 13, 40, 35),
    19019: (2, 8, "Thunderfury, Blessed Blade of the Windseeker", 5, 13, 80, 60),
    6948: (15, 0, "Hearthstone", 1, 0, 1, 0),
}
CREATED_KEYS = ["realm_id", "auction_id", "house_id", "item_guid", "item_owner", "buyout_price",
                "time", "start_bid", "deposit", "item_entry", "item_count", "charges",
                "random_property_id", "suffix_factor", "enchantments", "flags"]
BID_KEYS = ["realm_id", "auction_id", "buy_guid", "last_bid", "is_buyout"]
ANY = 0xFFFFFFFF


class World(mailenv.World):
    def __init__(self, kind="fixture"):
        self.world_loaded = False
        super().__init__(kind)

    def migrate(self):
        if not self.world_loaded:
            self.db.drop_database(WORLD)
            self.db.create_database(WORLD)
            self.db.load_sql_file(WORLD, os.path.join(REPO, "sql", "fixture", "world.sql"))
            for entry, (cls, sub, name, q, inv, ilvl, req) in TEMPLATES.items():
                self.db.execute(WORLD, "INSERT INTO item_template (entry, class, subclass, name, "
                                       "Quality, InventoryType, ItemLevel, RequiredLevel) VALUES "
                                       "(%s, %s, %s, %s, %s, %s, %s, %s)",
                                (entry, cls, sub, name, q, inv, ilvl, req))
            self.world_loaded = True
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write(self.sections())
        try:
            r = subprocess.run([build_path("bin", "stratusctl"), "-c", f.name, "migrate",
                                "--sql-dir", os.path.join(REPO, "sql")],
                               capture_output=True, text=True, env=env_for_tools(), timeout=120)
        finally:
            os.unlink(f.name)
        if r.returncode != 0:
            raise RuntimeError(f"migrate failed: {r.stdout}\n{r.stderr}")

    def sections(self, pool_size=4):
        return (super().sections(pool_size) +
                f"[db.world]\nsocket = {self.db.socket}\nuser = root\ndatabase = {WORLD}\n"
                f"pool_size = 2\n\n")

    def daemon(self, plugin_extra="", extra="", pool_size=4):
        from stratusd import Stratusd
        d = Stratusd(log_level="info")
        d.sections_extra = (self.sections(pool_size) +
                            f"[bus]\nnats_url = {self.nats.url}\nreconnect_wait = 200ms\n\n" + extra)
        d.write_config("[plugin.mail]\nenabled = yes\n\n[plugin.auctionhouse]\nenabled = yes\n" +
                       plugin_extra)
        d.start()
        return d

    def snapshot(self, realm):
        snap = super().snapshot(realm)
        for t in ("auctionhouse", "stratus_auction_info", "stratus_auction_op"):
            snap[t] = sorted(self.q(realm, f"SELECT * FROM {t}"))
        return snap


def raw_events(nc, subject_prefix, count, timeout=5):
    """(subject, decoded object, key order) of raw auctionhouse.* messages."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            subj, data = nc.next_message(timeout=max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        if subj.startswith(subject_prefix):
            obj = json.loads(data)
            got.append((subj, obj, list(obj.keys())))
    return got
