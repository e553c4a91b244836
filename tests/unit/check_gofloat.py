#!/usr/bin/python3
"""gojson_float against an independent shortest-digits reference, for tens
of thousands of float64 and float32 values (random bit patterns, every power
of two, short decimals): the same digits as Python's repr (float64: the
shortest string that reads back, the nearest of those, as Go's strconv), and
for float32 the nearest of the shortest decimals that read back as the same
float32; 'e' notation exactly below 1e-6 and from 1e21 on, exponents as Go
writes them (e-7, e+21). Usage: check_gofloat.py DRIVER"""

import decimal
import random
import struct
import subprocess
import sys


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def shortest32(x):
    x = f32(x)
    for n in range(1, 10):
        near = decimal.Decimal("%.*e" % (n - 1, x))
        ulp = decimal.Decimal((0, (1,), near.as_tuple().exponent))
        ok = [c for c in (near, near - ulp, near + ulp) if f32(float(c)) == x]
        if ok:
            return min(ok, key=lambda c: abs(c - decimal.Decimal(x)))
    raise AssertionError(x)


def ndigits(d):
    return len(d.normalize().as_tuple().digits)


def form_problems(v, out, limit_lo, limit_hi):
    a = abs(v)
    problems = []
    if ("e" in out) != (a != 0 and (a < limit_lo or a >= limit_hi)):
        problems.append("notation")
    if "e-0" in out or ("e+" in out and len(out.split("e+")[1]) < 2):
        problems.append("exponent")
    return problems


def run(driver, lines):
    res = subprocess.run([driver], input="".join(lines), capture_output=True, text=True,
                         check=True)
    return res.stdout.split("\n")


def main():
    driver = sys.argv[1]
    rnd = random.Random(12)
    d64 = [2.0 ** e * s for e in range(-1074, 1024) for s in (1, -1)]
    d64 += [struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0] for _ in range(30000)]
    d64 += [round(rnd.uniform(-1e4, 1e4), rnd.randint(0, 6)) for _ in range(5000)]
    d64 += [0.0, -0.0, 1e21, 1e-6, 9.999999999999999e20, 1e-7, 5e-324, 1.7976931348623157e308]
    d64 = [v for v in d64 if v == v and abs(v) != float("inf")]
    d32 = [2.0 ** e for e in range(-149, 128)]
    d32 += [struct.unpack("f", struct.pack("I", rnd.getrandbits(32)))[0] for _ in range(20000)]
    d32 += [rnd.uniform(-1e4, 1e4) for _ in range(5000)]
    d32 = [v for v in d32 if v == v and abs(v) != float("inf")]
    bad = []
    for v, out in zip(d64, run(driver, [repr(v) + "\n" for v in d64])):
        want = decimal.Decimal(repr(v))
        got = decimal.Decimal(out)
        if got != want or ndigits(got) != ndigits(want):
            bad.append("float64 %r: %s" % (v, out))
        bad += ["float64 %r: %s %s" % (v, out, p) for p in form_problems(v, out, 1e-6, 1e21)]
    for v, out in zip(d32, run(driver, ["f%r\n" % v for v in d32])):
        want, got = shortest32(v), decimal.Decimal(out)
        if got != want or ndigits(got) != ndigits(want):
            bad.append("float32 %r: %s, want %s" % (v, out, want))
        bad += ["float32 %r: %s %s" % (v, out, p)
                for p in form_problems(f32(v), out, f32(1e-6), f32(1e21))]
    print("check_gofloat: %d float64 and %d float32 values" % (len(d64), len(d32)))
    for b in bad[:20]:
        print("  - " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
