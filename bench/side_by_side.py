#!/usr/bin/env python3
"""make bench, side by side: xdpdns against knotd and NSD on one veth pair,
the same zone and query mix, one after the other in one run (root).

The test bed: two network namespaces made for the run, joined by a
single-queue veth pair; the node's end (the server under test) in one,
the client's end (the load generator) in the other. Addresses from
198.18.0.0/15 and 2001:db8::/32 only. Everything made is removed at the
end, on failure and on Ctrl-C too.

Rows, in the order measured:
  reflector            a bare XDP_TX reflector on the node (no DNS logic),
                       driven by xdp-livegen: the ceiling of the machine
  xdpdns XDP (livegen) xdpdns-loader attach + xdpdns-zonec apply, driven
                       by xdp-livegen
  xdpdns XDP (kxdpgun) the same, driven by kxdpgun (AF_XDP, copy mode)
  knotd XDP (kxdpgun)  knotd's XDP mode on the node's veth
  xdpdns-server        alone (no XDP), dnsperf
  knotd UDP            dnsperf
  nsd                  dnsperf

Throughput is the highest offered rate at which at least 99% of the
queries got a correct reply. xdp-livegen checks every reply in BPF (its
length and its first 48 bytes after the ID against the answer engine's
reply to that template) and sweeps offered rates down from the most it
can send. kxdpgun and dnsperf count replies by rcode: a reply counts as
correct up to the number of queries of the mix that should get that
rcode; kxdpgun's rate is swept like livegen's, dnsperf runs closed-loop
(its rate is what the server sustains with 4 clients and 200 queries
outstanding). Latency percentiles come from a second, shorter dnsperf
run at half that rate with every reply logged (dnsperf -v); the other
generators report none.

On veth the node's XDP program runs in the NAPI poll of the node's end,
in the softirq of the CPU that sent the frame: with xdp-livegen the
generator, the program under test and the reply check share CPU 0 and
take turns, so a livegen row is the rate of that whole loop and never
loses a frame (it is marked as generator-bound); the reflector row, made
the same way, gives the loop's own cost, and the ratio between the two
compares the node's work per query. BENCH_SIDE_NAPI=threaded moves the
node's NAPI to a thread pinned to CPU 1 instead (frames that find the
veth's ring full are then lost and the sweep finds where). Socket servers
and knotd run pinned to CPU 1, dnsperf and kxdpgun on CPU 0.

Usage: bench/side_by_side.py [--records N] [--seconds S] [--rows A,B..]
                             [--json FILE] [--png FILE]
Rows (--rows, comma-separated): reflector, xdpdns-xdp-livegen,
xdpdns-xdp-kxdpgun, knotd-xdp, xdpdns-server, knotd-udp, nsd.
From the environment: BENCH_SIDE_SECONDS (one step of a sweep, default
2), BENCH_SIDE_RECORDS (default 100000), BENCH_SIDE_BUDGET (seconds after
which sweeps stop refining, default 240), BENCH_SIDE_ROUNDS (rounds of the
reflector and xdpdns (livegen) rows taking turns, default 9),
BENCH_SIDE_KXDP_SWEEPS (sweeps of each kxdpgun row, their median the
figure, default 3), BENCH_SIDE_NAPI (threaded).
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import ORIGIN, knotd_conf, nsd_conf, parse_dnsperf  # noqa: E402
NODE4, CLIENT4 = "198.18.0.2", "198.18.0.1"
NODE6, CLIENT6 = "2001:db8:0:1::2", "2001:db8:0:1::1"
PORT_BASE = 40000  # bench/livegen.h LG_PORT_BASE
N_TEMPLATES = 200  # at most LG_TEMPLATES
GEN_CPU = 0
OTHER_CPU = 1 if (os.cpu_count() or 1) > 1 else 0
ROWS = ["reflector", "xdpdns-xdp-livegen", "xdpdns-xdp-kxdpgun",
        "knotd-xdp", "xdpdns-server", "knotd-udp", "nsd"]
LABEL = {
    "reflector": "bare XDP_TX reflector (livegen)",
    "xdpdns-xdp-livegen": "xdpdns XDP (livegen)",
    "xdpdns-xdp-kxdpgun": "xdpdns XDP (kxdpgun)",
    "knotd-xdp": "knotd XDP (kxdpgun)",
    "xdpdns-server": "xdpdns-server alone (dnsperf)",
    "knotd-udp": "knotd UDP (dnsperf)",
    "nsd": "nsd (dnsperf)",
}


def log(msg):
    print("  " + msg, file=sys.stderr, flush=True)


def run(*args, check=True, timeout=120):
    p = subprocess.run(args, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(args),
                                              (p.stderr or p.stdout)[-800:]))
    return p


class Bed:
    """Two namespaces and a single-queue veth pair between them."""

    def __init__(self):
        tag = "%04x%02x" % (os.getpid() & 0xffff, random.randrange(256))
        self.node_ns, self.client_ns = "xdsn" + tag, "xdsc" + tag
        self.node, self.client = "xsn" + tag, "xsc" + tag
        self.procs = []
        self.made = []
        self.napi_how = ""
        try:
            self._make()
        except BaseException:  # what was made goes, then the error
            self.close()
            raise

    def _make(self):
        for ns in (self.node_ns, self.client_ns):
            run("ip", "netns", "add", ns)
            self.made.append(ns)
        run("ip", "link", "add", self.node, "netns", self.node_ns,
            "numtxqueues", "1", "numrxqueues", "1", "type", "veth", "peer",
            "name", self.client, "netns", self.client_ns, "numtxqueues", "1",
            "numrxqueues", "1")
        for ns, dev, a4, a6 in ((self.node_ns, self.node, NODE4, NODE6),
                                (self.client_ns, self.client, CLIENT4,
                                 CLIENT6)):
            n = ("ip", "-n", ns)
            run(*n, "addr", "add", a4 + "/24", "dev", dev)
            run(*n, "-6", "addr", "add", a6 + "/64", "dev", dev, "nodad")
            run(*n, "link", "set", "lo", "up")
            run(*n, "link", "set", dev, "up")
        self.node_mac = self.mac(self.node_ns, self.node)
        self.client_mac = self.mac(self.client_ns, self.client)
        # Static neighbours: no ARP or ND while an XDP program drops or
        # redirects everything.
        run("ip", "-n", self.client_ns, "neigh", "replace", NODE4, "lladdr",
            self.node_mac, "dev", self.client, "nud", "permanent")
        run("ip", "-n", self.client_ns, "neigh", "replace", NODE6, "lladdr",
            self.node_mac, "dev", self.client, "nud", "permanent")
        run("ip", "-n", self.node_ns, "neigh", "replace", CLIENT4, "lladdr",
            self.client_mac, "dev", self.node, "nud", "permanent")
        run("ip", "-n", self.node_ns, "neigh", "replace", CLIENT6, "lladdr",
            self.client_mac, "dev", self.node, "nud", "permanent")
        self.client_pass()

    @staticmethod
    def mac_here(dev):
        with open("/sys/class/net/%s/address" % dev) as f:
            return f.read().strip()

    @staticmethod
    def mac(ns, dev):
        out = run("ip", "-n", ns, "-j", "link", "show", dev).stdout
        return json.loads(out)[0]["address"]

    def in_node(self, *args):
        """A command in the node's network namespace only: the mount
        namespace stays, so /sys/fs/bpf and its pins stay visible."""
        return ["nsenter", "--net=/var/run/netns/" + self.node_ns] + \
            list(args)

    def in_client(self, *args):
        return ["nsenter", "--net=/var/run/netns/" + self.client_ns] + \
            list(args)

    def client_pass(self):
        """XDP_TX frames reach the client's end only while it has an XDP
        program: a pass-everything one between the rows."""
        run("ip", "-n", self.client_ns, "link", "set", "dev", self.client,
            "xdpdrv", "obj", os.path.join(BUILD, "bpf", "xdp_pass.bpf.o"),
            "sec", "xdp")

    def client_xdp_off(self):
        run("ip", "-n", self.client_ns, "link", "set", "dev", self.client,
            "xdp", "off", check=False)

    def node_xdp_off(self):
        run("ip", "-n", self.node_ns, "link", "set", "dev", self.node,
            "xdp", "off", check=False)

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def thread_napi(self):
        """Where the node's veth does its work. By default on the CPU that
        sent the frame (veth runs the receiver's NAPI in the sender's
        softirq); with BENCH_SIDE_NAPI=threaded in a NAPI thread pinned to
        the other CPU. Returns what was done, for the output."""
        self.napi_how = (
            "Node's NAPI not threaded: on veth the node's XDP program and "
            "the client's reply check run in the softirq of the CPU that "
            "sent the frame, so the generator (CPU %d), the XDP program "
            "under test and the check share that core, one batch after "
            "another; the XDP rows are the rate of that whole loop, and "
            "their ratios compare the node's per-query work. Socket "
            "servers and knotd are pinned to the other CPU."
            % GEN_CPU)
        if os.environ.get("BENCH_SIDE_NAPI") != "threaded":
            return self.napi_how
        if (os.cpu_count() or 1) < 2:
            return self.napi_how + " (one CPU: threaded NAPI not tried)"
        p = run("ip", "netns", "exec", self.node_ns, "sh", "-c",
                "echo 1 > /sys/class/net/%s/threaded" % self.node,
                check=False)
        if p.returncode != 0:
            return self.napi_how + " (threaded NAPI refused: %s)" % \
                p.stderr.strip()
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % d) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm.startswith("napi/" + self.node):
                pids.append(d)
        for pid in pids:
            run("taskset", "-p", "-c", str(OTHER_CPU), pid, check=False)
            # Real-time, so that a busy CPU does not leave the ring full
            # while the thread waits its turn.
            run("chrt", "-f", "-p", "50", pid, check=False)
        if not pids:
            return self.napi_how + " (threaded NAPI set, no thread found)"
        self.napi_how = (
            "BENCH_SIDE_NAPI=threaded: the node's NAPI (its XDP program, "
            "and the client's reply check it triggers) runs in a thread "
            "pinned to CPU %d at real-time priority, the generator on CPU "
            "%d; frames that find the veth's ring full are lost."
            % (OTHER_CPU, GEN_CPU))
        return self.napi_how

    def close(self):
        for p in list(self.procs):
            self.stop(p)
        for ns in reversed(self.made):
            run("ip", "netns", "del", ns, check=False)


# --- the query mix ---------------------------------------------------

KINDS = ["A", "AAAA", "MX", "NXDOMAIN", "referral"]


def mix(records, n, seed):
    """n queries (name, type, edns, ipv6) in the mix: A, AAAA and MX hits,
    NXDOMAIN, referrals; every other round of the five with EDNS; a
    quarter over IPv6. Names as gen_zone.py makes them."""
    rnd = random.Random(seed)
    n_a = int(records * 0.35)
    n_aaaa = int(records * 0.25)
    n_deleg = int(records * 0.20) // 4
    n_mx = int(records * 0.10)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        edns = (i // len(KINDS)) % 2 == 1
        v6 = (i // (2 * len(KINDS))) % 4 == 3
        if kind == "A":
            q = ("h%d.%s" % (rnd.randrange(n_a), ORIGIN), "A")
        elif kind == "AAAA":
            q = ("h%d.%s" % (rnd.randrange(n_aaaa), ORIGIN), "AAAA")
        elif kind == "MX":
            q = ("m%d.%s" % (rnd.randrange(n_mx), ORIGIN), "MX")
        elif kind == "NXDOMAIN":
            q = ("nx%d.%s" % (rnd.randrange(10 ** 9), ORIGIN), "A")
        else:
            q = ("www.d%d.%s" % (rnd.randrange(n_deleg), ORIGIN), "A")
        out.append((q[0], q[1], edns, v6))
    return out


def query_wire(name, rdtype, edns, qid):
    import dns.flags
    import dns.message
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False,
                               payload=1232)
    q.flags &= ~dns.flags.RD
    q.id = qid
    return q.to_wire()


class Engine:
    """The answer engine (tests/engine-pipe): the replies xdpdns gives."""

    def __init__(self, zone):
        self.p = subprocess.Popen(
            [os.path.join(BUILD, "tests", "engine-pipe"),
             ORIGIN + "=" + zone], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)

    def ask(self, wire):
        frame = b"\0" + wire
        self.p.stdin.write(struct.pack("!H", len(frame)) + frame)
        self.p.stdin.flush()
        n = struct.unpack("!H", self.p.stdout.read(2))[0]
        return self.p.stdout.read(n) if n else None

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(bed, v6, sport, payload):
    """Ethernet + IP + UDP to the node's port 53, checksums valid."""
    dmac = bytes.fromhex(bed.node_mac.replace(":", ""))
    smac = bytes.fromhex(bed.client_mac.replace(":", ""))
    ulen = 8 + len(payload)
    if v6:
        src = socket.inet_pton(socket.AF_INET6, CLIENT6)
        dst = socket.inet_pton(socket.AF_INET6, NODE6)
        pseudo = src + dst + struct.pack("!IxxxB", ulen, 17)
    else:
        src = socket.inet_aton(CLIENT4)
        dst = socket.inet_aton(NODE4)
        pseudo = src + dst + struct.pack("!xBH", 17, ulen)
    udp = struct.pack("!HHHH", sport, 53, ulen, 0) + payload
    c = csum16(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + src + dst
        eth = dmac + smac + b"\x86\xdd"
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000,
                         64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
        eth = dmac + smac + b"\x08\x00"
    frame = eth + ip + udp
    id_off = len(eth) + len(ip) + 8
    return frame, id_off, len(eth) + len(ip) + 6


def write_templates(bed, engine, queries, path, reflect):
    """xdp-livegen's templates: template i from port PORT_BASE + i, its
    DNS ID's high byte i; the reply it must get: the engine's (or, for
    the reflector, the query itself)."""
    kinds = {}
    with open(path, "w") as f:
        for i, (name, rdtype, edns, v6) in enumerate(queries):
            wire = query_wire(name, rdtype, edns, (i & 0xff) << 8)
            reply = wire if reflect else engine.ask(wire)
            if reply is None:
                raise RuntimeError("the engine does not answer %s %s"
                                   % (name, rdtype))
            frame, id_off, csum_off = udp_frame(bed, v6, PORT_BASE + i, wire)
            f.write("%d %d %s %s\n" % (id_off, csum_off, frame.hex(),
                                       reply.hex()))
            kinds[(rdtype, edns, v6)] = kinds.get((rdtype, edns, v6), 0) + 1
    return kinds


# --- generators ------------------------------------------------------

def livegen(bed, templates, rate, seconds):
    args = bed.in_client(os.path.join(BUILD, "bench", "xdp-livegen"),
                         "--dev", bed.client, "--templates", templates,
                         "--rate", str(int(rate)), "--seconds",
                         str(seconds), "--cpu", str(GEN_CPU))
    p = run(*args, timeout=seconds + 30)
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["offered"] = r["sent"] / r["seconds"] if r["seconds"] else 0
    r["correct"] = r["ok"] / r["sent"] if r["sent"] else 0
    return r


def sweep(measure, seconds, max_rate=0, deadline=None):
    """Throughput: the highest offered rate with >= 99% correct. First as
    fast as the generator goes; then down by tenths of that rate until
    one passes, then halving the gap to the lowest failing rate three
    times. Returns (throughput, points, generator_bound); raises when no
    rate passed (all tenths failed, or the time budget ran out first), so
    that a row says so instead of showing 0."""
    points = []

    def step(rate):
        r = measure(rate, seconds)
        points.append({"rate": rate, "offered": r["offered"],
                       "correct": r["correct"], "raw": r})
        log("offered %9.0f/s  correct %6.2f%%" % (r["offered"],
                                                   100 * r["correct"]))
        return r

    top = step(max_rate)
    most = top["offered"]
    if top["correct"] >= 0.99:
        return most, points, True
    good, bad, cut = None, most, False
    for k in range(9, 0, -1):
        if deadline and time.monotonic() > deadline:
            cut = True
            break
        r = step(most * k / 10)
        if r["correct"] >= 0.99:
            good = r["offered"]
            break
        bad = r["offered"]
    if good is None:
        last = points[-1]
        raise RuntimeError(
            "no offered rate got >= 99%% correct replies (%s; the lowest "
            "tried, %.0f/s, got %.2f%%)" % (
                "the time budget ran out" if cut else
                "down to a tenth of the top rate", last["offered"],
                100 * last["correct"]))
    lo, hi = good, bad
    for _ in range(3):
        if deadline and time.monotonic() > deadline:
            break
        mid = (lo + hi) / 2
        r = step(mid)
        if r["correct"] >= 0.99:
            lo = max(lo, r["offered"])
        else:
            hi = mid
    return lo, points, False


def rcode_share(engine, queries):
    """The share of each rcode the mix must get, from the engine."""
    import dns.message
    import dns.rcode
    counts = {}
    for name, rdtype, edns, _ in queries:
        r = dns.message.from_wire(engine.ask(query_wire(name, rdtype,
                                                        edns, 1)))
        c = dns.rcode.to_text(r.rcode())
        counts[c] = counts.get(c, 0) + 1
    return {k: v / len(queries) for k, v in counts.items()}


def correct_by_rcode(sent, got, share):
    """Replies that can be correct: per rcode, no more than the mix asks
    for."""
    return sum(min(got.get(k, 0), share[k] * sent) for k in share)


def kxdpgun(bed, qfile, share, rate, seconds):
    rate = int(rate) if rate else 5000000
    args = bed.in_client("kxdpgun", "-t", str(seconds), "-Q", str(rate),
                         "-i", qfile, "-I", bed.client, "-F",
                         str(GEN_CPU), NODE4)
    # The AF_XDP socket of the step before may still be going away: its
    # queue is then "busy" for a moment. A few bounded retries.
    for attempt in range(5):
        try:
            p = run(*args, timeout=seconds + 30)
        finally:
            bed.client_xdp_off()  # kxdpgun leaves its program attached
        out = p.stdout + p.stderr
        if "resource is busy" not in out:
            break
        time.sleep(0.5 * (attempt + 1))
    m = re.search(r"total queries:\s+(\d+)", out)
    if not m:
        raise RuntimeError("kxdpgun said: " + out[-600:])
    sent = int(m.group(1))
    got = {m.group(1): int(m.group(2)) for m in
           re.finditer(r"responded (\w+):\s+(\d+)", out)}
    took = seconds
    m = re.search(r"duration:\s+(\d+)\s+s", out)
    if m:
        took = float(m.group(1))
    ok = correct_by_rcode(sent, got, share)
    return {"sent": sent, "rcodes": got, "seconds": took,
            "offered": sent / took, "correct": ok / sent if sent else 0,
            "output": out[-1500:]}


def dnsperf(bed, qfile, share, seconds, rate=0, verbose=False):
    args = ["dnsperf", "-s", NODE4, "-d", qfile, "-l", str(seconds),
            "-c", "4", "-q", "200", "-t", "1"]
    if rate:
        args += ["-Q", str(int(rate))]
    if verbose:
        args.append("-v")
    p = run(*bed.in_client("taskset", "-c", str(GEN_CPU), *args),
            timeout=seconds + 30)
    out = p.stdout
    r = parse_dnsperf(out, p.stderr)
    sent = r["sent"]
    r["offered"] = r["qps"]
    r["correct"] = (correct_by_rcode(sent, r["rcodes"], share) / sent
                    if sent else 0)
    if verbose:
        lat = sorted(float(m.group(1)) for m in
                     re.finditer(r"^> \w+ .* ([\d.]+)$", out, re.M))
        if lat:
            r["p50_ms"] = 1000 * lat[len(lat) // 2]
            r["p99_ms"] = 1000 * lat[min(len(lat) - 1,
                                         int(len(lat) * 0.99))]
    return r


# --- servers ---------------------------------------------------------

def peak_rss_mib(pid):
    """VmHWM of a process and its children, MiB."""
    total = 0
    pids = [str(pid)]
    try:
        kids = run("pgrep", "-P", str(pid), check=False).stdout.split()
        pids += kids
    except Exception:
        pass
    for p in pids:
        try:
            with open("/proc/%s/status" % p) as f:
                m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
                total += int(m.group(1)) if m else 0
        except OSError:
            pass
    return total / 1024


def maps_mib(dev):
    """Memory of xdpdns's pinned maps (bpftool's memlock), MiB."""
    d = "/sys/fs/bpf/xdpdns/" + dev
    total = 0
    for root, _, files in os.walk(d):
        for f in files:
            p = run("bpftool", "-j", "map", "show", "pinned",
                    os.path.join(root, f), check=False)
            try:
                total += int(json.loads(p.stdout).get("bytes_memlock", 0))
            except (ValueError, AttributeError):
                pass
    return total / (1 << 20)


def wait_answer(addr, port=53, deadline=30, proc=None, bed=None):
    """Wait until the server in the node's namespace answers the SOA."""
    end = time.monotonic() + deadline
    q = query_wire(ORIGIN, "SOA", False, 7).hex()
    probe = ("import socket,sys\ns=socket.socket(socket.AF_INET,"
             "socket.SOCK_DGRAM)\ns.settimeout(0.5)\n"
             "s.sendto(bytes.fromhex('%s'),('%s',%d))\n"
             "try:\n print(s.recv(4096).hex())\n"
             "except Exception:\n print('none')\n" % (q, addr, port))
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %d" % proc.returncode)
        p = run(*bed.in_client("/usr/bin/python3", "-c", probe),
                check=False)
        if p.stdout.strip() not in ("", "none"):
            return bytes.fromhex(p.stdout.strip())
        time.sleep(0.2)
    raise RuntimeError("no answer from %s" % addr)


def spot_check(bed, engine, queries, exact):
    """Ask 20 queries of the mix over a socket and compare with the
    engine: byte for byte when exact, else rcode and answer sections."""
    import dns.message
    bad = 0
    sample = queries[:20]
    lines = []
    for name, rdtype, edns, v6 in sample:
        wire = query_wire(name, rdtype, edns, 4242)
        lines.append("%s %s" % ("6" if v6 else "4", wire.hex()))
    prog = ("import socket,sys\n"
            "for l in sys.stdin:\n"
            " fam,w=l.split()\n"
            " a=('%s',53) if fam=='4' else ('%s',53)\n"
            " s=socket.socket(socket.AF_INET if fam=='4' else "
            "socket.AF_INET6,socket.SOCK_DGRAM)\n"
            " s.settimeout(1)\n s.sendto(bytes.fromhex(w),a)\n"
            " try:\n  print(s.recv(4096).hex())\n"
            " except Exception:\n  print('none')\n" % (NODE4, NODE6))
    p = subprocess.run(bed.in_client("/usr/bin/python3", "-c", prog),
                       input="\n".join(lines) + "\n", capture_output=True,
                       text=True, timeout=60)
    replies = p.stdout.split()
    for (name, rdtype, edns, _), got in zip(sample, replies):
        want = engine.ask(query_wire(name, rdtype, edns, 4242))
        if got == "none":
            bad += 1
            continue
        got = bytes.fromhex(got)
        if exact:
            bad += got != want
            continue
        a, b = dns.message.from_wire(got), dns.message.from_wire(want)
        if a.rcode() != b.rcode() or \
                sorted(map(str, a.answer)) != sorted(map(str, b.answer)):
            bad += 1
    return len(sample) - bad, len(sample)


# --- the run ---------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int,
                    default=int(os.environ.get("BENCH_SIDE_RECORDS",
                                               100000)))
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("BENCH_SIDE_SECONDS", 2)))
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--json")
    ap.add_argument("--png")
    a = ap.parse_args()
    rows = a.rows.split(",")
    for r in rows:
        if r not in ROWS:
            ap.error("unknown row %s (rows: %s)" % (r, ", ".join(ROWS)))
    # Ctrl-C or a TERM: clean up through the finally clauses.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # The whole section is bounded: a sweep stops refining past this.
    budget_end = time.monotonic() + float(os.environ.get(
        "BENCH_SIDE_BUDGET", 240))
    tmp = tempfile.mkdtemp(prefix="xdpdns-side-")
    bed = engine = None
    results = {}
    notes = []
    share = {}
    try:
        zone = os.path.join(tmp, "bench.zone")
        run(sys.executable, os.path.join(ROOT, "bench", "gen_zone.py"),
            str(a.records), zone, ORIGIN)
        queries = mix(a.records, N_TEMPLATES, 7)
        engine = Engine(zone)
        share = rcode_share(engine, queries)
        text_mix = os.path.join(tmp, "queries.txt")
        with open(text_mix, "w") as f:
            for name, rdtype, edns, _ in queries:
                f.write("%s %s%s\n" % (name, rdtype, " E" if edns else ""))
        # dnsperf sets EDNS for all or none: the mix without it, as
        # dnsperf's file format has no per-line flag.
        plain_mix = os.path.join(tmp, "queries-plain.txt")
        with open(plain_mix, "w") as f:
            for name, rdtype, _, _ in queries:
                f.write("%s %s\n" % (name, rdtype))
        bed = Bed()
        t_dns = os.path.join(tmp, "templates-dns.txt")
        t_ref = os.path.join(tmp, "templates-reflect.txt")
        write_templates(bed, engine, queries, t_dns, reflect=False)
        write_templates(bed, engine, queries, t_ref, reflect=True)
        for row in rows:
            log("%s:" % LABEL[row])
            try:
                results[row] = ROW_FN[row](bed, engine, queries, share,
                                           zone, tmp, a, budget_end,
                                           t_dns, t_ref, text_mix,
                                           plain_mix)
            except Exception as e:  # one row failing must not hide the rest
                log("%s failed: %s" % (row, e))
                results[row] = {"qps": None, "error": str(e)[-600:]}
            finally:
                bed.node_xdp_off()
                bed.client_xdp_off()
                bed.client_pass()
        more_rounds(bed, zone, a, results, t_dns, t_ref, budget_end)
    finally:
        if engine:
            engine.close()
        if bed:
            for p in list(bed.procs):
                bed.stop(p)
            bed.node_xdp_off()
            run(os.path.join(BUILD, "xdpdns-loader"), "detach", "--dev",
                bed.node, check=False)
            bed.close()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"napi": bed.napi_how if bed else "", "cpus": os.cpu_count(),
            "kernel": os.uname().release, "mix": share,
            "templates": N_TEMPLATES}
    report(results, notes, a, rows, meta)
    if a.json:
        write_json(a.json, results, a, meta)
    if a.png:
        plot(a.png, results, rows)


def attach_reflector(bed):
    run(*bed.in_node("ip", "link", "set", "dev", bed.node, "xdpdrv", "obj",
                     os.path.join(BUILD, "bpf", "reflect.bpf.o"), "sec",
                     "xdp"))


def row_reflector(bed, engine, queries, share, zone, tmp, a, end, t_dns,
                  t_ref, text_mix, plain_mix):
    attach_reflector(bed)
    how = bed.thread_napi()
    qps, points, capped = sweep(
        lambda r, s: livegen(bed, t_ref, r, s), a.seconds, deadline=end)
    return {"qps": qps, "points": points, "generator_bound": capped,
            "napi": how, "step_s": a.seconds}


def more_rounds(bed, zone, a, results, t_dns, t_ref, end):
    """Measure the reflector and xdpdns (livegen) rows again at the
    generator's full rate, taking turns, BENCH_SIDE_ROUNDS rounds in all
    (default 9; the sweeps' first steps are the first round when both
    were bound by the generator), which of the two goes first
    alternating: a slow spell of this machine then hits both, each row's
    figure is the median of its rounds, and their ratio and the
    per-query difference the medians of the rounds' own (each round's
    two runs are seconds apart; the medians of the rows can come from
    rounds minutes apart). A round where either side answered less than
    99% correctly (the loop can lose frames when the kernel leaves the
    veth's work to ksoftirqd for a moment) is left out and counted; when
    every round is, the sweeps' figures stand."""
    ref = results.get("reflector") or {}
    lx = results.get("xdpdns-xdp-livegen") or {}
    if not (ref.get("qps") and lx.get("qps")):
        return
    both = ref.get("generator_bound") and lx.get("generator_bound")
    ref["rounds"], lx["rounds"] = ([ref["qps"]], [lx["qps"]]) if both \
        else ([], [])
    for row in (ref, lx):
        row["sweep_qps"] = row["qps"]
        row["sweep_bound"] = bool(row.get("generator_bound"))
    lx["rounds_failed"] = lx["rounds_run"] = 0

    def reflector():
        attach_reflector(bed)
        try:
            return livegen(bed, t_ref, 0, a.seconds)
        finally:
            bed.node_xdp_off()

    def xdpdns():
        try:
            attach_xdpdns(bed, zone, a.records)
            return livegen(bed, t_dns, 0, a.seconds)
        finally:
            detach_xdpdns(bed)
            bed.node_xdp_off()

    try:
        for i in range(int(os.environ.get("BENCH_SIDE_ROUNDS", 9)) -
                       (1 if both else 0)):
            if time.monotonic() > end:
                break
            lx["rounds_run"] += 1
            if i % 2:
                x = xdpdns()
                r = reflector()
            else:
                r = reflector()
                x = xdpdns()
            for row, res in ((ref, r), (lx, x)):
                row["points"].append({"rate": 0, "offered": res["offered"],
                                      "correct": res["correct"],
                                      "raw": res})
            log("round: reflector %.0f/s (%.2f%%), xdpdns %.0f/s (%.2f%%)"
                % (r["offered"], 100 * r["correct"], x["offered"],
                   100 * x["correct"]))
            if min(r["correct"], x["correct"]) < 0.99:
                lx["rounds_failed"] += 1
                continue
            ref["rounds"].append(r["offered"])
            lx["rounds"].append(x["offered"])
    except Exception as e:  # the rounds measured so far still count
        log("a round failed: %s" % e)
        lx["rounds_error"] = str(e)[-300:]
    if not ref["rounds"]:
        return
    for row in (ref, lx):
        row["qps"] = statistics.median(row["rounds"])
        row["generator_bound"] = True  # every round at the full rate
    pairs = list(zip(ref["rounds"], lx["rounds"]))
    lx["round_ratios"] = [x / r for r, x in pairs]
    lx["vs_reflector"] = statistics.median(lx["round_ratios"])
    lx["round_ns"] = [(1e9 / r, 1e9 / x) for r, x in pairs]


def attach_xdpdns(bed, zone, records):
    loader = os.path.join(BUILD, "xdpdns-loader")
    mib = max(64, records * 600 // (1 << 20))
    # Cookies off, as in every run before they were on by default (the
    # generators send none), and no secret made on the machine.
    run(*bed.in_node(loader, "attach", "--no-cookies", "--dev", bed.node,
                     "--memory", str(mib)))
    # The generators send from a handful of addresses: limits off, as
    # the peers run (knotd's rrl-rate-limit 0); the limiter's own cost
    # is xdp_bench's RRL rows.
    run(*bed.in_node(loader, "config", "--dev", bed.node, "set", "rrl=off"))
    t0 = time.monotonic()
    run(*bed.in_node(os.path.join(BUILD, "xdpdns-zonec"), "apply", "--dev",
                     bed.node, "-q", ORIGIN + "=" + zone), timeout=300)
    return time.monotonic() - t0


def detach_xdpdns(bed):
    run(*bed.in_node(os.path.join(BUILD, "xdpdns-loader"), "detach",
                     "--dev", bed.node), check=False)


def row_xdpdns_livegen(bed, engine, queries, share, zone, tmp, a, end, t_dns,
                       t_ref, text_mix, plain_mix):
    applied = attach_xdpdns(bed, zone, a.records)
    try:
        how = bed.thread_napi()
        qps, points, capped = sweep(
            lambda r, s: livegen(bed, t_dns, r, s), a.seconds, deadline=end)
        return {"qps": qps, "points": points, "generator_bound": capped,
                "napi": how, "step_s": a.seconds,
                "maps_mib": maps_mib(bed.node),
                "apply_s": applied}
    finally:
        detach_xdpdns(bed)


def kxdpgun_sweep(bed, text_mix, share, a, end):
    """kxdpgun sweeps at the node as it is set up (the client's end left
    to kxdpgun's own XDP program), BENCH_SIDE_KXDP_SWEEPS of them (default
    3) while the time budget lasts: the row's qps is their median, as one
    sweep moves with the machine's spells (a stall of a few ms costs 1% of
    a step); every sweep's figure and points are kept."""
    how = bed.thread_napi()
    bed.client_xdp_off()
    secs = max(1, int(round(a.seconds)))
    n = max(1, int(os.environ.get("BENCH_SIDE_KXDP_SWEEPS", 3)))
    figures, points, bound = [], [], []
    for i in range(n):
        if i and time.monotonic() > end:
            break
        try:
            qps, pts, capped = sweep(
                lambda r, s: kxdpgun(bed, text_mix, share, r, secs), secs,
                deadline=end)
        except RuntimeError as e:
            if not figures:
                raise
            log("sweep %d of %d left out: %s" % (i + 1, n, e))
            continue
        figures.append(qps)
        points += pts
        bound.append(capped)
        if len(figures) > 1:
            log("sweep %d of %d: %.0f/s" % (i + 1, n, qps))
    return {"qps": statistics.median(figures), "sweeps": figures,
            "points": points, "generator_bound": all(bound), "napi": how,
            "step_s": secs}


def row_xdpdns_kxdpgun(bed, engine, queries, share, zone, tmp, a, end, t_dns,
                       t_ref, text_mix, plain_mix):
    attach_xdpdns(bed, zone, a.records)
    try:
        row = kxdpgun_sweep(bed, text_mix, share, a, end)
        row["maps_mib"] = maps_mib(bed.node)
        return row
    finally:
        detach_xdpdns(bed)


def row_knotd_xdp(bed, engine, queries, share, zone, tmp, a, end, t_dns,
                  t_ref, text_mix, plain_mix):
    conf, logf = knotd_conf(tmp, zone, NODE4 + "@53", xdp_dev=bed.node,
                            log_file=True)
    k = bed.spawn(bed.in_node("taskset", "-c", str(OTHER_CPU), "knotd",
                              "-c", conf),
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_answer(NODE4, proc=k, bed=bed)
        with open(logf) as f:
            xdp_log = [ln.strip() for ln in f if "XDP" in ln or "xdp" in ln]
        log("knotd: " + "; ".join(xdp_log[-3:]))
        row = kxdpgun_sweep(bed, text_mix, share, a, end)
        row.update(rss_mib=peak_rss_mib(k.pid), knotd_log=xdp_log[-5:])
        return row
    finally:
        bed.stop(k)


def socket_row(bed, engine, queries, share, a, proc, exact, end, plain_mix):
    wait_answer(NODE4, proc=proc, bed=bed)
    good, asked = spot_check(bed, engine, queries, exact)
    log("spot check: %d of %d replies as the engine's%s" % (
        good, asked, " (bytes)" if exact else " (rcode, answer)"))
    secs = max(2, int(round(2 * a.seconds)))
    r = dnsperf(bed, plain_mix, share, secs)
    log("closed loop: %.0f qps, correct %.2f%%" % (r["qps"],
                                                    100 * r["correct"]))
    points = [{"rate": 0, "offered": r["qps"], "correct": r["correct"],
               "raw": r}]
    qps = r["qps"] if r["correct"] >= 0.99 else 0.0
    if not qps:
        qps, more, _ = sweep(lambda rt, s: dnsperf(bed, plain_mix, share,
                                                   secs, rate=rt),
                             secs, max_rate=r["qps"], deadline=end)
        points += more
    lat = dnsperf(bed, plain_mix, share, 1, rate=max(1000, qps / 2),
                  verbose=True)
    return {"qps": qps, "points": points, "avg_ms_loaded": r.get("avg_ms"),
            "step_s": secs,
            "p50_ms": lat.get("p50_ms"),
            "p99_ms": lat.get("p99_ms"), "latency_at": max(1000, qps / 2),
            "rss_mib": peak_rss_mib(proc.pid),
            "spot_check": [good, asked]}


def row_xdpdns_server(bed, engine, queries, share, zone, tmp, a, end, t_dns,
                      t_ref, text_mix, plain_mix):
    # A cookie secret of the run's own (not the machine's default).
    secret = os.path.join(tmp, "cookie-secret")
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (os.urandom(16).hex() + "\n").encode())
    os.close(fd)
    args = [os.path.join(BUILD, "xdpdns-server"), "--workers", "1",
            "--quiet", "--option", "rrl=off", "--listen", NODE4 + ":53",
            "--listen", "[%s]:53" % NODE6, "--user", "root",
            "--cookie-secret-file", secret, ORIGIN + "=" + zone]
    p = bed.spawn(bed.in_node("taskset", "-c", str(OTHER_CPU), *args),
                  stdout=subprocess.DEVNULL)
    try:
        return socket_row(bed, engine, queries, share, a, p, True, end,
                          plain_mix)
    finally:
        bed.stop(p)


def row_knotd_udp(bed, engine, queries, share, zone, tmp, a, end, t_dns,
                  t_ref, text_mix, plain_mix):
    conf, _ = knotd_conf(tmp, zone, NODE4 + "@53", log_file=True)
    k = bed.spawn(bed.in_node("taskset", "-c", str(OTHER_CPU), "knotd",
                              "-c", conf),
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return socket_row(bed, engine, queries, share, a, k, False, end,
                          plain_mix)
    finally:
        bed.stop(k)


def row_nsd(bed, engine, queries, share, zone, tmp, a, end, t_dns, t_ref,
            text_mix, plain_mix):
    conf = nsd_conf(tmp, zone, NODE4 + "@53")
    n = bed.spawn(bed.in_node("taskset", "-c", str(OTHER_CPU), "nsd", "-d",
                              "-c", conf),
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return socket_row(bed, engine, queries, share, a, n, False, end,
                          plain_mix)
    finally:
        bed.stop(n)


ROW_FN = {
    "reflector": row_reflector,
    "xdpdns-xdp-livegen": row_xdpdns_livegen,
    "xdpdns-xdp-kxdpgun": row_xdpdns_kxdpgun,
    "knotd-xdp": row_knotd_xdp,
    "xdpdns-server": row_xdpdns_server,
    "knotd-udp": row_knotd_udp,
    "nsd": row_nsd,
}


def fmt_qps(v):
    return "%s" % format(int(round(v)), ",") if v else "-"


def report(results, notes, a, rows, meta):
    ref = (results.get("reflector") or {}).get("qps")
    kx = (results.get("knotd-xdp") or {}).get("qps")
    print("| %d records | qps, >= 99%% correct | p50 ms | "
          "p99 ms | peak memory | vs knotd XDP | vs reflector |"
          % a.records)
    steps = {}
    for row in rows:
        st = (results.get(row) or {}).get("step_s")
        if st:
            steps.setdefault("%g s" % st, []).append(LABEL[row])
    if steps:
        notes.append("Steps of a sweep: " + "; ".join(
            "%s for %s" % (k, ", ".join(v)) for k, v in steps.items()))
    if (results.get("reflector") or {}).get("rounds"):
        notes.append("reflector and xdpdns XDP (livegen): median of %d "
                     "rounds taking turns; their ratio is the median of the "
                     "rounds' ratios" % len(results["reflector"]["rounds"]))
    print("|---|---|---|---|---|---|---|")
    lxr = results.get("xdpdns-xdp-livegen") or {}

    def vs_ref(row, q):
        if row == "xdpdns-xdp-livegen" and lxr.get("vs_reflector"):
            return lxr["vs_reflector"]
        return q / ref if q and ref else None
    for row in rows:
        r = results.get(row) or {}
        q = r.get("qps")
        mem = "-"
        if r.get("rss_mib") is not None:
            mem = "%.0f MiB RSS" % r["rss_mib"]
        elif r.get("maps_mib") is not None:
            mem = "%.0f MiB maps" % r["maps_mib"]
        name = LABEL[row]
        if r.get("error"):
            name += " (failed: see below)"
        elif r.get("generator_bound"):
            name += " *"
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, fmt_qps(q),
            "%.3f" % r["p50_ms"] if r.get("p50_ms") is not None else "-",
            "%.3f" % r["p99_ms"] if r.get("p99_ms") is not None else "-",
            mem,
            "%.2fx" % (q / kx) if q and kx else "-",
            "%.0f%%" % (100 * vs_ref(row, q)) if vs_ref(row, q) else "-"))
    print()
    if any((results.get(r) or {}).get("generator_bound") for r in rows):
        print("\\* at least 99% of what the generator sent at its full "
              "rate was answered correctly: the generator (with the node "
              "sharing its CPU, see below) is the limit, the figure is a "
              "floor.")
    print(meta["napi"])
    for n in notes:
        print(n)
    for row in rows:
        r = results.get(row) or {}
        if len(r.get("sweeps") or []) > 1:
            print("%s: median of %d sweeps (%s)" % (
                LABEL[row], len(r["sweeps"]),
                ", ".join(fmt_qps(q) or "0" for q in r["sweeps"])))
    for row in rows:
        r = results.get(row) or {}
        if r.get("error"):
            print("%s failed: %s" % (LABEL[row], r["error"]))
        if r.get("spot_check"):
            print("%s: %d of %d spot-checked replies as the engine's" % (
                LABEL[row], r["spot_check"][0], r["spot_check"][1]))
    lx = (results.get("xdpdns-xdp-livegen") or {}).get("qps")
    srv = (results.get("xdpdns-server") or {}).get("qps")
    ku = (results.get("knotd-udp") or {}).get("qps")
    checks = []
    if lx and kx:
        checks.append("XDP path (livegen) vs knotd XDP: %.2fx (target "
                      ">= 10x): %s" % (lx / kx, "met" if lx >= 10 * kx
                                       else "NOT met"))
    if lx and ref:
        v = vs_ref("xdpdns-xdp-livegen", lx)
        if lxr.get("round_ratios"):
            print("XDP path vs bare reflector, round by round: %s; the "
                  "median is the figure" % ", ".join(
                      "%.0f%%" % (100 * x) for x in lxr["round_ratios"]))
        checks.append("XDP path vs bare reflector: %.1f%% (target >= "
                      "60%%): %s" % (100 * v, "met" if v >= 0.6
                                     else "NOT met"))
    if srv and ku:
        checks.append("xdpdns-server vs knotd UDP: %.2fx (target >= 1x): "
                      "%s" % (srv / ku, "met" if srv >= ku else "NOT met"))
    if lx and ref and os.environ.get("BENCH_SIDE_NAPI") != "threaded":
        ns = lxr.get("round_ns") or [(1e9 / ref, 1e9 / lx)]
        print("Per query, the whole loop on one core (generator, veth, the "
              "node's program, the reply check), medians of the rounds: "
              "reflector %.0f ns, xdpdns %.0f ns; the difference, %.0f ns, "
              "is what xdpdns's DNS work and its longer replies add." % (
                  statistics.median(r for r, _ in ns),
                  statistics.median(x for _, x in ns),
                  statistics.median(x - r for r, x in ns)))
    if lxr.get("rounds_failed"):
        print("%d round(s) left out: one side answered less than 99%% "
              "correctly" % lxr["rounds_failed"])
    rfr = results.get("reflector") or {}
    if "sweep_qps" in rfr and not rfr.get("rounds"):
        print("reflector and xdpdns XDP (livegen): %s; the sweeps' "
              "figures stand" % (
                  "no round at the full rate answered 99% correctly"
                  if lxr.get("rounds_run") else
                  "no round ran (the time budget was spent)"))
    elif rfr.get("rounds"):
        for key in ("reflector", "xdpdns-xdp-livegen"):
            r = results[key]
            if not r.get("sweep_bound"):
                print("%s: its sweep found %s/s (it lost frames at the "
                      "full rate); the rounds at the full rate replace "
                      "it" % (LABEL[key], fmt_qps(r["sweep_qps"])))
    for row in ("xdpdns-server", "knotd-udp", "nsd"):
        r = results.get(row) or {}
        if r.get("avg_ms_loaded") is not None:
            print("%s: average latency at full load %.3f ms (dnsperf); "
                  "p50/p99 above at half that rate, every reply logged "
                  "(dnsperf -v)" % (LABEL[row], r["avg_ms_loaded"]))
    for c in checks:
        print(c)


def write_json(path, results, a, meta):
    with open(path, "w") as f:
        json.dump({"records": a.records, "step_seconds": a.seconds,
                   "meta": meta, "rows": results}, f, indent=1,
                  default=str)


def plot(path, results, rows):
    """Correct replies against offered rate, a curve per row."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: python3-matplotlib is not installed)")
        return
    fig, (bars, ax) = plt.subplots(1, 2, figsize=(13, 5),
                                   gridspec_kw={"width_ratios": [1, 1.3]})
    shown = [r for r in rows if (results.get(r) or {}).get("qps")]
    bars.barh(range(len(shown)), [results[r]["qps"] for r in shown],
              color=["C%d" % rows.index(r) for r in shown])
    bars.set_yticks(range(len(shown)))
    bars.set_yticklabels([LABEL[r] for r in shown], fontsize=8)
    bars.invert_yaxis()
    bars.set_xscale("log")
    bars.set_xlabel("queries per second, >= 99% correct")
    bars.set_title("throughput")
    for i, r in enumerate(shown):
        bars.text(results[r]["qps"], i, " " + fmt_qps(results[r]["qps"]),
                  va="center", fontsize=8)
    for row in rows:
        pts = sorted((p["offered"], 100 * p["correct"]) for p in
                     (results.get(row) or {}).get("points", []))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-",
                    color="C%d" % rows.index(row), label=LABEL[row])
    ax.axhline(99, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("offered queries per second")
    ax.set_ylabel("correct replies, %")
    ax.set_title("correct replies against offered rate")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("make bench, side by side: one veth pair, one run")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("side_by_side: interrupted; what it made is removed",
              file=sys.stderr)
        sys.exit(130)
