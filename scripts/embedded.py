"""The embedded default: a private MariaDB and nats-server on loopback, the
project's AzerothCore schema fixture, Stratus's and the plugins' migrations loaded,
and stratusd with every plugin built in build/plugins enabled, serving a
cluster of two realms (one characters database each, one auth database) so
that the crossrealm paths work out of the box. State lives under
build/embedded/ (the databases survive restarts; --fresh starts empty).

    scripts/run-embedded [--fresh] [--realms 2] [--grpc-port 8999] [--http-port 8900]
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, "build")
RUN = os.path.join(BUILD, "embedded")
sys.path.insert(0, os.path.join(REPO, "tests", "support"))

from mariadb import MariaDB  # noqa: E402
from natsserver import NatsServer  # noqa: E402



def databases(realms):
    """[db.<name>] section -> (database, fixture file)."""
    dbs = {"auth": ("acore_auth", "auth.sql"),
           "world": ("acore_world", "world.sql")}  # item_template for the auction house
    for realm in range(1, realms + 1):
        dbs[f"characters.{realm}"] = (f"acore_characters{realm}", "characters.sql")
    return dbs


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--grpc-port", type=int, default=8999)
    ap.add_argument("--http-port", type=int, default=8900)
    ap.add_argument("--realms", type=int, default=2, choices=range(1, 65), metavar="N",
                    help="realms in the cluster, 1..64 (default 2)")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--fresh", action="store_true", help="start with empty databases")
    return ap.parse_args()


def load_schema(db, dbs):
    """Create the databases once and load the fixture into each."""
    for name, (database, fixture) in dbs.items():
        if db.query("information_schema", "SELECT 1 FROM SCHEMATA WHERE SCHEMA_NAME = %s",
                    (database,)):
            continue
        db.create_database(database)
        db.load_sql_file(database, os.path.join(REPO, "sql", "fixture", fixture))
        print(f"embedded: created {database} from sql/fixture/{fixture}", flush=True)


def config_text(args, db, nats, dbs):
    plugin_dir = os.path.join(BUILD, "plugins")
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(plugin_dir, "*.so")))
    sections = [f"; written by scripts/embedded.py\n[host]\nplugin_dir = {plugin_dir}\n",
                f"[log]\nlevel = {args.log_level}\n",
                f"[http]\nlisten = 127.0.0.1:{args.http_port}\nadmin_socket = {RUN}/stratusd.sock\n",
                f"[grpc]\nlisten = 127.0.0.1:{args.grpc_port}\n",
                f"[bus]\nnats_url = {nats.url}\n",
                f"[discovery]\nrealms = {', '.join(str(r) for r in range(1, args.realms + 1))}\n"]
    for name, (database, _) in dbs.items():
        sections.append(f"[db.{name}]\nsocket = {db.socket}\nuser = root\n"
                        f"database = {database}\npool_size = 4\n")
    sections += [f"[plugin.{name}]\nenabled = yes\n" for name in names]
    return "\n".join(sections), names


def migrate(config):
    """Stratus's migrations (sql/) and every plugin's (plugins/<name>/sql/)."""
    subprocess.run([os.path.join(BUILD, "bin", "stratusctl"), "-c", config, "migrate",
                    "--sql-dir", os.path.join(REPO, "sql"),
                    "--plugin-sql", os.path.join(REPO, "plugins")], check=True)


def run_daemon(config):
    daemon = subprocess.Popen([os.path.join(BUILD, "bin", "stratusd"), "-c", config])
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: daemon.send_signal(s))
    return daemon.wait()


def main():
    args = parse_args()
    if args.fresh:
        shutil.rmtree(os.path.join(RUN, "mariadb"), ignore_errors=True)
    os.makedirs(RUN, exist_ok=True)
    with MariaDB(dir=os.path.join(RUN, "mariadb")) as db, \
            NatsServer(dir=os.path.join(RUN, "nats")) as nats:
        dbs = databases(args.realms)
        load_schema(db, dbs)
        config = os.path.join(RUN, "stratus.ini")
        text, names = config_text(args, db, nats, dbs)
        with open(config, "w") as f:
            f.write(text)
        migrate(config)
        print(f"embedded: MariaDB on {db.socket} (port {db.port}), NATS at {nats.url}, "
              f"realms 1..{args.realms}", flush=True)
        print(f"embedded: {config}: {len(names)} plugins ({', '.join(names)})", flush=True)
        print(f"embedded: gRPC 127.0.0.1:{args.grpc_port}, http://127.0.0.1:{args.http_port}/status, "
              f"build/bin/stratusctl -c {config} status; Ctrl-C stops", flush=True)
        code = run_daemon(config)
    sys.exit(code)


if __name__ == "__main__":
    main()
