#!/usr/bin/env python3
"""Server benchmark: xdpdns-server alone (no XDP program) against knotd and
NSD, one worker each, the same zone and the same dnsperf settings, one
after the other in one run, on loopback.

The zone is gen_zone.py's (RECORDS records); the queries a mix of hits
(A, AAAA, MX), NXDOMAIN and referrals below the delegations.
dnsperf sends EDNS with every query or none, so each server is measured
twice: without EDNS and with it. Each run is ROUNDS
runs of SECONDS; the median queries per second is reported, with the
share of queries answered. dnsperf and the server share this machine's
CPUs: the figures are a ratio between servers, not a capacity.

Usage: bench/server_bench.py [--records N] [--seconds S] [--rounds R]
                             [--json FILE]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from netns import free_port  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import ORIGIN, knotd_conf, nsd_conf, parse_dnsperf  # noqa: E402
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))


def wait_soa(port, deadline=60):
    """Wait until something on port answers the zone's SOA (TCP)."""
    import dns.message
    import dns.query
    q = dns.message.make_query(ORIGIN, "SOA")
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=1)
            if r.answer:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError("server on port %d did not answer" % port)


class Xdpdns:
    name = "xdpdns-server"

    def __init__(self, zone, tmp, port):
        # A cookie secret of the run's own (not the machine's default).
        secret = os.path.join(tmp, "cookie-secret")
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (os.urandom(16).hex() + "\n").encode())
        os.close(fd)
        # dnsperf sends from one address: limits off, as the peers run.
        args = [os.path.join(BUILD, "xdpdns-server"), "--workers", "1",
                "--quiet", "--option", "rrl=off", "--listen",
                "127.0.0.1:%d" % port, "--cookie-secret-file", secret]
        if os.geteuid() == 0:
            args += ["--user", "root"]
        self.p = subprocess.Popen(args + [ORIGIN + "=" + zone])

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=20)


class Knotd:
    name = "knotd"

    def __init__(self, zone, tmp, port):
        conf, _ = knotd_conf(tmp, zone, "127.0.0.1@%d" % port)
        self.p = subprocess.Popen(["knotd", "-c", conf],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=20)


class Nsd:
    name = "nsd"

    def __init__(self, zone, tmp, port):
        conf = nsd_conf(tmp, zone, "127.0.0.1@%d" % port)
        self.p = subprocess.Popen(["nsd", "-d", "-c", conf],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=20)


def query_file(path, records, n=100000):
    """Hits, NXDOMAIN and referrals, as gen_zone.py names things."""
    rnd = random.Random(7)
    n_a = int(records * 0.35)
    n_aaaa = int(records * 0.25)
    n_deleg = int(records * 0.20) // 4
    n_mx = int(records * 0.10)
    with open(path, "w") as f:
        for i in range(n):
            k = rnd.random()
            if k < 0.4:
                f.write("h%d.%s A\n" % (rnd.randrange(n_a), ORIGIN))
            elif k < 0.55:
                f.write("h%d.%s AAAA\n" % (rnd.randrange(n_aaaa), ORIGIN))
            elif k < 0.65:
                f.write("m%d.%s MX\n" % (rnd.randrange(n_mx), ORIGIN))
            elif k < 0.85:
                f.write("nx%d.%s A\n" % (rnd.randrange(10 ** 9), ORIGIN))
            else:
                f.write("www.d%d.%s A\n" % (rnd.randrange(n_deleg),
                                            ORIGIN))


def dnsperf(port, qfile, seconds, edns):
    args = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile,
            "-l", str(seconds), "-c", "4", "-q", "200", "-t", "2"]
    if edns:
        args.append("-e")
    p = subprocess.run(args, capture_output=True, text=True,
                       timeout=seconds + 30)
    r = parse_dnsperf(p.stdout, p.stderr)
    return r["qps"], r["completed"] / r["sent"] if r["sent"] else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="xdpdns-server-bench-")
    results = {}
    try:
        zone = os.path.join(tmp, "bench.zone")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench",
                                                     "gen_zone.py"),
                        str(a.records), zone, ORIGIN], check=True)
        qfile = os.path.join(tmp, "queries.txt")
        query_file(qfile, a.records)
        for cls in (Xdpdns, Knotd, Nsd):
            port = free_port()
            srv = cls(zone, tmp, port)
            try:
                wait_soa(port)
                for edns in (False, True):
                    runs = [dnsperf(port, qfile, a.seconds, edns)
                            for _ in range(a.rounds)]
                    results[(cls.name, edns)] = (
                        statistics.median(r[0] for r in runs),
                        min(r[1] for r in runs))
            finally:
                srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| %d records, one worker, dnsperf -c 4 -q 200, median of %d x "
          "%d s | qps | qps with EDNS | answered (worst) | vs knotd |"
          % (a.records, a.rounds, a.seconds))
    print("|---|---|---|---|---|")
    k = results[("knotd", False)][0]
    ke = results[("knotd", True)][0]
    for name in ("xdpdns-server", "knotd", "nsd"):
        q, ok = results[(name, False)]
        qe, oke = results[(name, True)]
        print("| %s | %.0f | %.0f | %.2f%% | %.2fx / %.2fx |"
              % (name, q, qe, 100 * min(ok, oke), q / k, qe / ke))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"%s%s" % (n, " edns" if e else ""):
                       {"qps": v[0], "answered": v[1]}
                       for (n, e), v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
