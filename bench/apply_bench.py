#!/usr/bin/env python3
"""Live zone update benchmark (root): the time xdpdns-zonec apply takes for
a zone of RECORDS records (gen_zone.py), and what a client querying without
pause sees while the next serial is applied: queries lost, and the longest
gap between two replies.

The client runs in its own network namespace on a veth pair made for the
run (tests/e2e/netns.py) and asks, one query after the other, for a name
of the zone and for its SOA in turn; the XDP program answers all of them.

Usage: bench/apply_bench.py [--records N] [--json FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from netns import BUILD, NODE4, VethPair  # noqa: E402

LOADER = os.path.join(BUILD, "xdpdns-loader")
ZONEC = os.path.join(BUILD, "xdpdns-zonec")
ORIGIN = "bench.example."


def timed(*args):
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (args[1], p.stderr[-500:]))
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--json")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="xdpdns-apply-bench-")
    pair = None
    attached = False
    try:
        v1 = os.path.join(tmp, "v1.zone")
        v2 = os.path.join(tmp, "v2.zone")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench",
                                                     "gen_zone.py"),
                        str(a.records), v1, ORIGIN], check=True)
        with open(v1) as f, open(v2, "w") as g:
            for line in f:
                g.write(line.replace(" 2026112601 ", " 2026112602 ", 1)
                        if " SOA " in line else line)
        pair = VethPair()
        # About 600 bytes a name; the generated zone has ~0.6 names a
        # record.
        mib = max(64, a.records * 600 // (1 << 20))
        timed(LOADER, "attach", "--no-cookies", "--dev", pair.node,
              "--memory", str(mib))
        attached = True
        # One client streams queries through the swap: limits off.
        timed(LOADER, "config", "--dev", pair.node, "set", "rrl=off")
        first = timed(ZONEC, "apply", "--dev", pair.node, "-q",
                      ORIGIN + "=" + v1)
        # To a file: a pipe nobody reads while apply runs would stall
        # the client once full.
        log = open(os.path.join(tmp, "stream.log"), "w+")
        stream = subprocess.Popen(
            ["ip", "netns", "exec", pair.ns, "/usr/bin/python3",
             os.path.join(ROOT, "tests", "e2e", "udp_client.py"), "stream",
             NODE4, "h1." + ORIGIN, "2000000", "60", "2026112602"],
            stdout=log, text=True)
        time.sleep(0.5)  # the client is running before the swap starts
        second = timed(ZONEC, "apply", "--dev", pair.node, "-q",
                       ORIGIN + "=" + v2)
        stream.wait(timeout=120)
        log.seek(0)
        rows = [line.split() for line in log.read().splitlines()]
        log.close()
        lost = sum(1 for r in rows if r[2] == "none")
        times = [float(r[3]) for r in rows]
        gaps = [b - a for a, b in zip(times, times[1:])]
        rtts = [float(r[4]) for r in rows]
        serials = [r[2] for r in rows if r[1] == "SOA"]
        res = {
            "records": a.records,
            "apply_first_s": round(first, 3),
            "apply_under_load_s": round(second, 3),
            "queries": len(rows),
            "lost": lost,
            "max_gap_ms": round(1000 * max(gaps), 3) if gaps else None,
            "median_gap_ms": (round(1000 * statistics.median(gaps), 3)
                              if gaps else None),
            "max_rtt_ms": round(1000 * max(rtts), 3) if rtts else None,
            "saw_new_serial": "2026112602" in serials,
        }
    finally:
        if attached:
            subprocess.run([LOADER, "detach", "--dev", pair.node],
                           capture_output=True)
        if pair:
            pair.close()
        subprocess.run(["rm", "-rf", tmp])
    print("| %d records | seconds |" % res["records"])
    print("|---|---|")
    print("| apply (compile, fill, switch) | %.2f |" % res["apply_first_s"])
    print("| apply of the next serial, under queries | %.2f |"
          % res["apply_under_load_s"])
    print()
    print("client during the swap: %d queries, %d lost; longest round trip "
          "%.2f ms; longest gap between replies %.2f ms (median %.3f ms); "
          "new serial seen: %s"
          % (res["queries"], res["lost"], res["max_rtt_ms"],
             res["max_gap_ms"], res["median_gap_ms"],
             "yes" if res["saw_new_serial"] else "NO"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
