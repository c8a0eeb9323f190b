#!/usr/bin/env python3
"""Interleaved A/B of builds of xdp-bench (bench/tools/README.md).

usage: ab.py [--rounds N] [--case TEXT] BUILD...

Each BUILD is a build directory (make BUILD=DIR ...) holding
bench/xdp-bench and bpf/restore.bpf.o. Round after round, every build's
xdp-bench runs once in turn (--case TEXT: only the rows whose query has
TEXT), so that a slow spell of the machine weighs on every build alike.
For each row: the median and minimum over the rounds of its best-batch
cost, every round's best batch, and the median of its median costs.
Run as root, on an otherwise idle machine.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROW = re.compile(r"\| ([^|]+?) \| (TX|PASS|DROP|mixed) \| (\d+) \| (\d+) \| (-?\d+) \| (-?\d+) \|")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--case", default=None)
    ap.add_argument("builds", nargs="+")
    a = ap.parse_args()
    res = {b: {} for b in a.builds}
    for b in a.builds:
        for f in ("bench/xdp-bench", "bpf/restore.bpf.o"):
            if not os.path.exists(os.path.join(b, f)):
                sys.exit(f"ab.py: {b} has no {f}: build it first")
    for _ in range(a.rounds):
        for b in a.builds:
            cmd = [os.path.join(b, "bench/xdp-bench"), os.path.join(b, "bpf/restore.bpf.o")]
            if a.case:
                cmd += ["--case", a.case]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"ab.py: {cmd[0]} failed:\n{r.stderr}")
            for line in r.stdout.splitlines():
                m = ROW.match(line)
                if m:
                    res[b].setdefault(m.group(1), []).append((int(m.group(6)), int(m.group(5))))
    for b in a.builds:
        print(b)
        for what, v in res[b].items():
            best = sorted(x[0] for x in v)
            med = statistics.median(x[1] for x in v)
            print(f"  {what[:44]:44s} best: median {statistics.median(best):6.1f} "
                  f"min {best[0]:4d}  {best}  median cost {med:6.1f}")


if __name__ == "__main__":
    main()
