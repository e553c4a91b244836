"""A fake worldserver with its sidecar as a process of its own, so that
tests and benchmarks can SIGKILL or SIGSTOP it like a real one:

    /usr/bin/python3 fake_sidecar.py GRPC_TARGET [--realm 1] [--maps 0,1]

It serves /healthcheck and /metrics on a free 127.0.0.1 port, registers
once (as the stock sidecar does: it never registers again), prints one JSON
line {"id", "alias", "assigned", "health_port", "game_port"} and serves
until it is killed."""

import argparse
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes import FakeGameServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("--realm", type=int, default=1)
    ap.add_argument("--maps", default="")
    ap.add_argument("--game-port", type=int, default=0)
    args = ap.parse_args()
    gs = FakeGameServer(args.target, realm=args.realm, maps=args.maps)
    if args.game_port:
        gs.game_port = args.game_port
    resp = gs.register()
    print(json.dumps({"id": resp.id, "alias": resp.alias, "assigned": list(resp.assignedMaps),
                      "health_port": gs.http.port, "game_port": gs.game_port}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
