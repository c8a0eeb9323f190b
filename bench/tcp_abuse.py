#!/usr/bin/env python3
"""Figures of xdpdns-server under the attacks of the hardening review,
for one binary or several side by side (before and after a change), each
with its default limits, one worker, on loopback:

  slowloris  one address keeps up to 1000 connections, each sent a byte
             every 5 s (reconnecting those closed); another address asks
             a TCP query every 0.5 s: how many are answered
  length     1000 connections from 50 addresses, each sent a length of
             65535 and nothing after: resident memory, how long they are
             held, the other address's queries answered meanwhile
  unread     250 connections from 13 addresses send 6000 pipelined
             queries each (a 1.5 KB answer) and never read: peak resident
             memory, the other address's queries answered meanwhile
  udp        (root) 20 queries from a source that loses its route while
             they wait, 20 from one that keeps it, alternating in the
             server's socket: replies to the routable one

Not a test: nothing is asserted, the figures are printed (and written as
JSON with --json). Every load is bounded in count and time.

Usage: bench/tcp_abuse.py [--seconds S] [--json FILE] [--only NAME]...
                          SERVER [SERVER...]
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import dns.message  # noqa: E402

from netns import free_port  # noqa: E402

ZONES = []
for f in sorted(os.listdir(os.path.join(ROOT, "tests", "zones"))):
    if f.endswith(".zone"):
        path = os.path.join(ROOT, "tests", "zones", f)
        with open(path) as fh:
            origin = next(line.split()[1] for line in fh
                          if line.startswith("$ORIGIN"))
        ZONES.append("%s=%s" % (origin, path))

LEGIT = "127.0.0.2"


class Served:
    """The server binary on 127.0.0.1:port (or the given listen address),
    one worker, its default limits."""

    def __init__(self, binary, listen=None):
        self.port = free_port()
        self.addr = "127.0.0.1"
        listen = listen or "%s:%d" % (self.addr, self.port)
        args = [binary, "--workers", "1", "--quiet", "--listen", listen]
        if os.geteuid() == 0:
            args += ["--user", "root"]
        self.proc = subprocess.Popen(args + ZONES, stderr=subprocess.DEVNULL)

    def wait(self, addr, port):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((addr, port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def query(qid, name="www.basic.example.", rdtype="A"):
    m = dns.message.make_query(name, rdtype, use_edns=False)
    m.id = qid
    w = m.to_wire()
    return struct.pack("!H", len(w)) + w


def ask(port, qid, timeout=1.0):
    """A TCP query from LEGIT: answered (True) or not."""
    try:
        with socket.socket() as c:
            c.settimeout(timeout)
            c.bind((LEGIT, 0))
            c.connect(("127.0.0.1", port))
            c.sendall(query(qid))
            data = b""
            while len(data) < 2 or len(data) < 2 + struct.unpack(
                    "!H", data[:2])[0]:
                chunk = c.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return dns.message.from_wire(data[2:]).id == qid
    except OSError:
        return False


def attacker(src, rcvbuf=None):
    c = socket.socket()
    c.settimeout(1)
    if rcvbuf:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    c.bind((src, 0))
    c.connect(("127.0.0.1", PORT[0]))
    return c


PORT = [0]


def server_conns(port, peer_prefix):
    """Established server-side connections of port from peers whose
    address starts with peer_prefix (ss(8))."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", "( sport = :%d )" % port],
        capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines()
               if line.split()[3].startswith(peer_prefix))


def drop_closed(conns):
    """The connections of conns the server has not closed."""
    if not conns:
        return conns
    gone = set()
    for c in select.select(conns, [], [], 0)[0]:
        try:
            if c.recv(65536, socket.MSG_DONTWAIT) == b"":
                gone.add(c)
        except BlockingIOError:
            pass
        except OSError:
            gone.add(c)
    for c in gone:
        c.close()
    return [c for c in conns if c not in gone]


def slowloris(binary, seconds):
    s = Served(binary)
    s.wait(s.addr, s.port)
    PORT[0] = s.port
    conns, asked, answered, held = [], 0, 0, []
    try:
        end = time.monotonic() + seconds
        next_trickle = next_ask = time.monotonic()
        while time.monotonic() < end:
            conns = drop_closed(conns)
            for _ in range(min(200, 1000 - len(conns))):
                try:
                    c = attacker("127.0.0.1")
                    c.send(b"\xff")
                    conns.append(c)
                except OSError:
                    break
            now = time.monotonic()
            if now >= next_trickle:
                for c in conns:
                    try:
                        c.send(b"x")
                    except OSError:
                        pass
                next_trickle = now + 5
            if now >= next_ask:
                asked += 1
                answered += ask(s.port, asked)
                held.append(server_conns(s.port, "127.0.0.1:"))
                next_ask = now + 0.5
            time.sleep(0.05)
        return {"legit_answered": answered, "legit_asked": asked,
                "attacker_conns_served_median": sorted(held)[len(held) // 2]}
    finally:
        for c in conns:
            c.close()
        s.close()


def length_alone(binary, seconds):
    s = Served(binary)
    s.wait(s.addr, s.port)
    PORT[0] = s.port
    base = s.rss_kib()
    conns = []
    try:
        for i in range(1000):
            c = attacker("127.0.1.%d" % (1 + i % 50))
            c.send(b"\xff\xff")
            conns.append(c)
        t0 = time.monotonic()
        rss, asked, answered, open_at = 0, 0, 0, {}
        while time.monotonic() < t0 + seconds:
            conns = drop_closed(conns)
            rss = max(rss, s.rss_kib())
            asked += 1
            answered += ask(s.port, asked)
            for mark in (1, 3, 5, 11):
                if time.monotonic() - t0 >= mark and mark not in open_at:
                    open_at[mark] = len(conns)
            time.sleep(0.2)
        return {"rss_growth_kib": rss - base, "legit_answered": answered,
                "legit_asked": asked,
                "still_open": {"%ds" % k: v for k, v in open_at.items()}}
    finally:
        for c in conns:
            c.close()
        s.close()


def unread(binary, seconds):
    s = Served(binary)
    s.wait(s.addr, s.port)
    PORT[0] = s.port
    base = s.rss_kib()
    q = query(9, "bigtxt.trunc.example.", "TXT")
    conns = []
    try:
        for i in range(250):
            c = attacker("127.0.2.%d" % (1 + i % 13), rcvbuf=4096)
            c.setblocking(False)
            conns.append([c, q * 6000])
        peak, asked, answered = base, 0, 0
        t0 = time.monotonic()
        next_ask = t0
        while time.monotonic() < t0 + seconds:
            for x in conns:
                if x[1]:
                    try:
                        x[1] = x[1][x[0].send(x[1]):]
                    except (BlockingIOError, OSError):
                        pass
            peak = max(peak, s.rss_kib())
            if time.monotonic() >= next_ask:
                asked += 1
                answered += ask(s.port, asked)
                next_ask = time.monotonic() + 0.5
            time.sleep(0.02)
        return {"rss_peak_growth_kib": peak - base,
                "legit_answered": answered, "legit_asked": asked,
                "queries_unsent": sum(len(x[1]) for x in conns) // len(q)}
    finally:
        for x in conns:
            x[0].close()
        s.close()


def udp(binary, seconds):
    if os.geteuid() != 0:
        return {"skipped": "needs root"}
    from test_server_abuse import Netns, stop
    node, legit, doomed = "2001:db8:7::1", "2001:db8:7::2", "2001:db8:7::3"
    ns = Netns([node, legit, doomed])
    s = None
    try:
        with ns.inside():
            port = free_port()
            s = Served(binary, listen="[%s]:%d" % (node, port))
            s.wait(node, port)
            a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            a.bind((legit, 0))
            b.bind((doomed, 0))
        stop(s.proc.pid)
        for i in range(20):
            a.sendto(query(1000 + i)[2:], (node, port))
            b.sendto(query(2000 + i)[2:], (node, port))
        ns.addr(doomed, False)
        s.proc.send_signal(signal.SIGCONT)
        ids = set()
        a.settimeout(0.5)
        end = time.monotonic() + 3
        while len(ids) < 20 and time.monotonic() < end:
            try:
                ids.add(dns.message.from_wire(a.recv(4096)).id)
            except socket.timeout:
                pass
        a.close()
        b.close()
        return {"legit_replies": len(ids), "legit_sent": 20}
    finally:
        if s:
            s.close()
        ns.close()


SCENARIOS = {"slowloris": slowloris, "length": length_alone,
             "unread": unread, "udp": udp}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("servers", nargs="+", metavar="SERVER")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--json")
    ap.add_argument("--only", action="append", choices=sorted(SCENARIOS))
    args = ap.parse_args()
    results = {}
    for name in args.only or SCENARIOS:
        for binary in args.servers:
            r = SCENARIOS[name](binary, args.seconds)
            results.setdefault(name, {})[binary] = r
            print("%-10s %s: %s" % (name, binary, json.dumps(r)),
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
