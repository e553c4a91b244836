"""Shared by bench/mail and bench/auctionhouse: h2load drives one method of a
real stratusd, then bench/sql_bench runs the method's own statements
straight on a database pool of the same size (the raw baseline), and the
two are printed side by side.

Every h2load run is checked against the daemon's per-status counters
(h2load does not read grpc-status)."""

import os
import struct
import subprocess
import sys


def grpc_body(msg):
    data = msg.SerializeToString()
    return b"\x00" + struct.pack(">I", len(data)) + data


def percentiles(log_path):
    times = []
    with open(log_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                times.append(int(parts[2]))
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] / 1000.0  # noqa: E731
    return pick(0.50), pick(0.99)


def h2load(d, path, body, requests, level, tmp):
    conns, streams = (int(x) for x in level.split("x"))
    body_file = os.path.join(tmp, "body.bin")
    with open(body_file, "wb") as f:
        f.write(grpc_body(body))
    log = os.path.join(tmp, "h2load.log")
    ok_before = d.metric("stratus_grpc_requests_total", method=path, code="OK") or 0
    out = subprocess.run(["h2load", "-n", str(requests), "-c", str(conns), "-m", str(streams),
                          "-t", "1", "-d", body_file, "--log-file", log,
                          "-H", "content-type: application/grpc", "-H", "te: trailers",
                          f"http://{d.grpc_target}{path}"],
                         capture_output=True, text=True, check=True).stdout
    finished = next(line for line in out.splitlines() if line.startswith("finished in"))
    rps = float(finished.split(",")[1].split()[0])
    ok = (d.metric("stratus_grpc_requests_total", method=path, code="OK") or 0) - ok_before
    if ok != requests:
        sys.exit(f"{path}: only {int(ok)} of {requests} calls answered OK")
    return (rps, *percentiles(log))


def sql_bench(build, db, database, jobs, workers, inflight, value, statements):
    out = subprocess.run([os.path.join(build, "bin", "sql_bench"), db.socket, database,
                          str(jobs), str(workers), str(inflight), str(value), str(value),
                          *statements], capture_output=True, text=True, check=True).stdout
    line = out.strip().splitlines()[-1]
    rate = float(line.split(" jobs/s")[0].rsplit(" ", 1)[1])
    return rate, line


def compare(label, d, path, body, requests, level, tmp, build, db, database, workers, value,
            statements):
    conns, streams = (int(x) for x in level.split("x"))
    rps, p50, p99 = h2load(d, path, body, requests, level, tmp)
    raw, line = sql_bench(build, db, database, requests, workers, conns * streams, value,
                          statements)
    print(f"{label}: stratusd {rps:.0f} req/s (p50 {p50:.3f} ms, p99 {p99:.3f} ms), "
          f"pool raw {raw:.0f} jobs/s: {100 * rps / raw:.0f}% of raw")
    print(f"  {line}")
    return rps, raw
