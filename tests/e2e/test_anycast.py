# SPDX-License-Identifier: GPL-3.0-or-later
"""An anycast service in namespaces: a router running BIRD, two nodes
each running BIRD, xdpdns (the XDP program attached to the link to the
router, a zone applied, xdpdns-server with its own NSID) and
xdpdns-health announcing the same service address (IPv4 and IPv6) over
eBGP; a client behind the router. The router prefers node A (local
preference), so A answers while it is healthy.

While the client queries without pause, node A is broken (its server
stopped, or its XDP path serving a serial the server does not); the
router must lose A's route within the hysteresis time and B must answer
(its NSID says so); A restored, the route and the answers come back.
The failover and recovery times and the unanswered queries are printed
and bounded. Then --peers compares the nodes' serials and NSIDs, and
'xdpdns-loader status' shows the health state.

Only namespaces and veth pairs made here, names unique to the run,
addresses from 198.18.0.0/15 and 2001:db8::/32, private ASNs. Needs
root and BIRD 2; in CI it runs."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, ROOT, attach_args, need, secret_file

LOADER = os.path.join(BUILD, "xdpdns-loader")
ZONEC = os.path.join(BUILD, "xdpdns-zonec")
SERVER = os.path.join(BUILD, "xdpdns-server")
HEALTH = os.path.join(BUILD, "xdpdns-health")
XDP_PASS = os.path.join(BUILD, "bpf", "xdp_pass.bpf.o")
CLIENT = os.path.join(ROOT, "tests", "e2e", "anycast_client.py")

SERVICE4, SERVICE6 = "198.18.100.53", "2001:db8:100::53"
ZONE = "anycast.test."
NAME_ADDRESS = "198.18.100.80"  # www's A record
ROUTER_AS, AS = 65000, {"a": 65001, "b": 65002}
# Link of each node to the router: (router end, node end), per family.
LINK4 = {"a": ("198.18.1.1", "198.18.1.2"), "b": ("198.18.2.1", "198.18.2.2")}
LINK6 = {"a": ("2001:db8:1::1", "2001:db8:1::2"),
         "b": ("2001:db8:2::1", "2001:db8:2::2")}
CLIENT4, CLIENT6 = ("198.18.3.1", "198.18.3.2"), ("2001:db8:3::1",
                                                  "2001:db8:3::2")
# Health settings: a round every 0.2 s, 3 failed rounds to withdraw, 3
# good ones to announce again.
INTERVAL, FALL, RISE = 0.2, 3, 3
# Bounds asserted: fall x interval plus BGP propagation and a slow spell
# of this machine; rise x interval likewise.
FAILOVER_MAX_S, RECOVERY_MAX_S = 3.0, 3.0
QUERY_GAP_S, QUERY_TIMEOUT_S = 0.01, 0.25
# A stopped server's queries are refused at once (ICMP), so the client
# loses up to one query per gap during the failover: bounded by the
# failover bound.
UNANSWERED_MAX = 60


def zone_text(serial):
    return ("$ORIGIN %s\n$TTL 300\n@ SOA ns hostmaster %d 7200 3600 "
            "1209600 300\n@ NS ns\nns A 198.18.100.53\n"
            "www A %s\n" % (ZONE, serial, NAME_ADDRESS))


def run(*args, ok=True, timeout=30):
    p = subprocess.run(args, capture_output=True, text=True,
                       timeout=timeout)
    if ok and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def router_conf(tag):
    lines = [
        "router id %s;" % LINK4["a"][0],
        "protocol device { scan time 1; }",
        # Only what BGP learned goes to the kernel: the service routes.
        "protocol kernel k4 { ipv4 { export where source = RTS_BGP; }; }",
        "protocol kernel k6 { ipv6 { export where source = RTS_BGP; }; }",
        "template bgp node { local as %d; hold time 3; keepalive time 1;"
        " connect delay time 1; connect retry time 1;"
        " error wait time 1, 2; }" % ROUTER_AS,
    ]
    for n, pref in (("a", 200), ("b", 100)):
        for fam, link, net in (("ipv4", LINK4, SERVICE4 + "/32"),
                               ("ipv6", LINK6, SERVICE6 + "/128")):
            lines.append(
                "protocol bgp %s_%s from node { neighbor %s as %d; "
                "%s { import filter { if net = %s then { "
                "bgp_local_pref = %d; accept; } reject; }; export none; };"
                " }" % (n, fam, link[n][1], AS[n], fam, net, pref))
    return "\n".join(lines) + "\n"


def node_conf(n):
    """The shipped snippet with this node's definitions and test timers."""
    values = {"xdpdns_service4": SERVICE4 + "/32",
              "xdpdns_service6": SERVICE6 + "/128",
              "xdpdns_local_as": AS[n], "xdpdns_peer_as": ROUTER_AS,
              "xdpdns_peer4": LINK4[n][0], "xdpdns_peer6": LINK6[n][0]}
    out = ["router id %s;" % LINK4[n][1], "protocol device { scan time 1; }"]
    with open(os.path.join(ROOT, "health", "bird-xdpdns.conf")) as f:
        for line in f:
            words = line.split()
            if len(words) > 1 and words[0] == "define":
                assert words[1] in values, line
                line = "define %s = %s;\n" % (words[1], values[words[1]])
            out.append(line.rstrip("\n"))
    conf = "\n".join(out) + "\n"
    # This kernel has no dummy interfaces: the addresses go on lo.
    assert 'interface "xdpdns0";' in conf
    conf = conf.replace('interface "xdpdns0";', 'interface "lo";')
    timers = "hold time 9; keepalive time 3;"
    assert timers in conf
    return conf.replace(timers, "hold time 3; keepalive time 1; connect "
                        "delay time 1; connect retry time 1; error wait "
                        "time 1, 2;")


class Anycast:
    def __init__(self):
        tag = "%x" % (os.getpid() & 0xfffff)
        self.tag = tag
        self.ns = {k: "xdpdns-any%s%s" % (tag, k) for k in "rabc"}
        # Node ends carry xdpdns and its pins: names unique to the run.
        self.dev = {"a": "xha%s" % tag, "b": "xhb%s" % tag}
        self.dummy = "lo"  # no dummy interfaces in this kernel
        self.tmp = tempfile.mkdtemp(prefix="xdpdns-anycast-")
        self.made_ns = []
        self.procs = {}
        self.logs = {}
        self.attached = []
        self.state_files = []
        # xdpdns-health makes /run/xdpdns; remove it after if it was not
        # there before.
        self.made_run_dir = not os.path.exists("/run/xdpdns")
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    # -- helpers --
    def nsx(self, n, *args):
        """Argv running args in namespace n with the host's mounts (bpffs
        stays visible: 'ip netns exec' would hide it)."""
        return ["nsenter", "--net=/run/netns/" + self.ns[n]] + list(args)

    def ip(self, n, *args):
        run("ip", "-n", self.ns[n], *args)

    def start(self, key, argv):
        log = open(os.path.join(self.tmp, key + ".log"), "w")
        self.logs[key] = log
        self.procs[key] = subprocess.Popen(argv, stdout=log, stderr=log)

    def stop(self, key):
        p = self.procs.pop(key, None)
        if not p:
            return
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def log(self, key):
        path = os.path.join(self.tmp, key + ".log")
        if os.path.exists(path):
            with open(path) as f:
                return f.read()[-3000:]
        return ""

    def birdc(self, n, *args):
        return run("birdc", "-s", os.path.join(self.tmp, "bird-%s.ctl" % n),
                   *args).stdout

    def route_via(self, family):
        """The next hop the router's kernel uses for the service address,
        or None."""
        addr = SERVICE4 if family == 4 else SERVICE6
        p = run("ip", "-n", self.ns["r"], "-%d" % family, "route", "show",
                addr, ok=False)
        for word_i, w in enumerate(p.stdout.split()):
            if w == "via":
                return p.stdout.split()[word_i + 1]
        return None

    def wait(self, cond, what, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s\n%s" % (
            what, "\n".join("== %s ==\n%s" % (k, self.log(k))
                            for k in sorted(self.logs))))

    def zone_file(self, n):
        return os.path.join(self.tmp, "zone-%s" % n)

    def write_zone(self, path, serial):
        with open(path, "w") as f:
            f.write(zone_text(serial))

    # -- the network --
    def _build(self):
        for k in "rabc":
            run("ip", "netns", "add", self.ns[k])
            self.made_ns.append(self.ns[k])
            self.ip(k, "link", "set", "lo", "up")
        r = self.ns["r"]
        for n in "ab":
            rend = "r%s%s" % (n, self.tag)
            run("ip", "link", "add", rend, "netns", r, "type", "veth",
                "peer", "name", self.dev[n], "netns", self.ns[n])
            self.ip("r", "addr", "add", LINK4[n][0] + "/24", "dev", rend)
            self.ip("r", "-6", "addr", "add", LINK6[n][0] + "/64", "dev",
                    rend, "nodad")
            self.ip("r", "link", "set", rend, "up")
            # XDP_TX from the node reaches a veth peer with a program.
            self.ip("r", "link", "set", "dev", rend, "xdp", "obj", XDP_PASS,
                    "sec", "xdp")
            d = self.dev[n]
            self.ip(n, "addr", "add", LINK4[n][1] + "/24", "dev", d)
            self.ip(n, "-6", "addr", "add", LINK6[n][1] + "/64", "dev", d,
                    "nodad")
            self.ip(n, "link", "set", d, "up")
            # Replies from the server find the client through the router.
            self.ip(n, "route", "add", "198.18.3.0/24", "via", LINK4[n][0])
            self.ip(n, "-6", "route", "add", "2001:db8:3::/64", "via",
                    LINK6[n][0])
        rc = "rc" + self.tag
        run("ip", "link", "add", rc, "netns", r, "type", "veth", "peer",
            "name", "c" + self.tag, "netns", self.ns["c"])
        self.ip("r", "addr", "add", CLIENT4[0] + "/24", "dev", rc)
        self.ip("r", "-6", "addr", "add", CLIENT6[0] + "/64", "dev", rc,
                "nodad")
        self.ip("r", "link", "set", rc, "up")
        c = "c" + self.tag
        self.ip("c", "addr", "add", CLIENT4[1] + "/24", "dev", c)
        self.ip("c", "-6", "addr", "add", CLIENT6[1] + "/64", "dev", c,
                "nodad")
        self.ip("c", "link", "set", c, "up")
        self.ip("c", "route", "add", "198.18.0.0/15", "via", CLIENT4[0])
        self.ip("c", "-6", "route", "add", "2001:db8::/32", "via",
                CLIENT6[0])
        for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                    "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0"):
            run("ip", "netns", "exec", r, "sysctl", "-q", "-w", key)

        # BIRD everywhere, each with its own socket.
        confs = {"r": router_conf(self.tag)}
        for n in "ab":
            confs[n] = node_conf(n)
        for k, text in confs.items():
            path = os.path.join(self.tmp, "bird-%s.conf" % k)
            with open(path, "w") as f:
                f.write(text)
            run("bird", "-p", "-c", path)  # syntax check
            self.start("bird-" + k, [
                "ip", "netns", "exec", self.ns[k], "bird", "-f", "-c", path,
                "-s", os.path.join(self.tmp, "bird-%s.ctl" % k),
                "-P", os.path.join(self.tmp, "bird-%s.pid" % k)])

        # xdpdns on each node: attach, apply, server, health.
        for n in "ab":
            d = self.dev[n]
            run(*self.nsx(n, LOADER, "attach", "--dev", d, "--memory", "16",
                          *attach_args()))
            self.attached.append(n)
            run(*self.nsx(n, LOADER, "config", "--dev", d, "set", "rrl=off"))
            self.write_zone(self.zone_file(n), 1)
            run(*self.nsx(n, ZONEC, "apply", "--dev", d, "-q",
                          "%s=%s" % (ZONE, self.zone_file(n))))
            self.start_server(n)
            self.state_files.append("/run/xdpdns/health-%s.state" % d)
            self.start("health-" + n, self.nsx(
                n, HEALTH, "--dev", d, "--announce-dev", self.dummy,
                "--service", SERVICE4, "--service", SERVICE6,
                "--interval", str(INTERVAL), "--timeout", "0.15",
                "--max-latency", "0.1", "--fall", str(FALL),
                "--rise", str(RISE)))
        self.wait(lambda: self.route_via(4) == LINK4["a"][1] and
                  self.route_via(6) == LINK6["a"][1] and
                  self.b_route_known(), "the router to prefer node A")

    def b_route_known(self):
        out = self.birdc("r", "show", "route", "protocol", "b_ipv4")
        out6 = self.birdc("r", "show", "route", "protocol", "b_ipv6")
        return SERVICE4 in out and SERVICE6 in out6

    def start_server(self, n):
        self.start("server-" + n, self.nsx(
            n, SERVER, "--workers", "1", "--quiet", "--user", "root",
            "--cookie-secret-file", secret_file(),
            "--nsid", "node-" + n, "--option", "rrl=off",
            "%s=%s" % (ZONE, self.zone_file(n))))
        self.wait(lambda: run(*self.nsx(
            n, "kdig", "+short", "+tcp", "+time=1", "+retry=0",
            "@127.0.0.1", ZONE, "SOA"), ok=False).stdout.strip() != "",
            "xdpdns-server on node " + n)

    def client(self, family, addr, seconds):
        stop = os.path.join(self.tmp, "stop-client%d" % family)
        if os.path.exists(stop):
            os.unlink(stop)
        log = open(os.path.join(self.tmp, "client%d.out" % family), "w+")
        p = subprocess.Popen(
            ["ip", "netns", "exec", self.ns["c"], "/usr/bin/python3", CLIENT,
             addr, "www." + ZONE, str(QUERY_GAP_S), str(QUERY_TIMEOUT_S),
             str(seconds), stop, NAME_ADDRESS], stdout=log,
            stderr=subprocess.PIPE)
        return p, stop, log

    def close(self):
        for k in list(self.procs):
            if k.startswith("health-"):
                self.stop(k)
        for k in list(self.procs):
            self.stop(k)
        for log in self.logs.values():
            log.close()
        for n in self.attached:
            subprocess.run(self.nsx(n, LOADER, "detach", "--dev",
                                    self.dev[n]), capture_output=True)
        for ns in reversed(self.made_ns):
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)
        for f in self.state_files:
            for path in (f, f + ".tmp"):
                if os.path.exists(path):
                    os.unlink(path)
        if self.made_run_dir and self.state_files:
            try:
                os.rmdir(os.path.dirname(self.state_files[0]))
            except OSError:
                pass  # something else keeps state there too
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def anycast():
    need(os.geteuid() == 0, "needs root (network namespaces, XDP, BIRD)")
    need(shutil.which("bird") and shutil.which("birdc"),
         "BIRD 2 not installed (Debian bird2)")
    need(shutil.which("nsenter"), "nsenter not installed (util-linux)")
    need(shutil.which("kdig"), "kdig not installed (knot-dnsutils)")
    for exe in (LOADER, ZONEC, SERVER, HEALTH):
        need(os.path.exists(exe), exe + " not built")
    if not os.path.ismount("/sys/fs/bpf"):
        run("mount", "-t", "bpf", "bpf", "/sys/fs/bpf")
    a = Anycast()
    yield a
    a.close()


def measure(a, family, rows, t_break, t_moved, t_restore, what):
    """Failover and recovery of one family from the client's lines;
    asserts who answered when, and the bounds."""
    sent = [(float(t), kind, who) for t, kind, who in rows]
    # Every reply that came was the right one, whichever node sent it.
    bad = [(round(t - t_break, 2), kind, who) for t, kind, who in sent
           if who.startswith("bad:")]
    assert not bad, bad
    nsids = [(t, who) for t, kind, who in sent if kind == "nsid"]
    before = [w for t, w in nsids if t < t_break]
    first_b = next((t for t, w in nsids if t >= t_break and w == "node-b"),
                   None)
    first_a = next((t for t, w in nsids if t >= t_restore and w == "node-a"),
                   None)
    m = {
        "family": "IPv%d" % family,
        "queries": len(sent),
        "unanswered": sum(1 for _, _, w in sent if w == "none"),
        "failover_s": first_b - t_break if first_b else None,
        "route_moved_s": t_moved - t_break,
        "recovery_s": first_a - t_restore if first_a else None,
    }
    lost = [t for t, _, w in sent if w == "none"]
    m["unanswered_after_repair"] = sum(1 for t in lost if t >= t_restore)
    print("unanswered (kind, seconds after the break): %s" % " ".join(
        "%s%+.2f" % (k[0], t - t_break) for t, k, w in sent if w == "none"))
    print("\nanycast, %s, IPv%d: %d queries, %d unanswered; failover "
          "%.2f s (router's IPv%d route moved after %.2f s), recovery "
          "%.2f s" % (what, family, m["queries"], m["unanswered"],
                      m["failover_s"] or -1, family, m["route_moved_s"],
                      m["recovery_s"] or -1))
    # Before the break only A answered, between only B, after only A.
    assert before and set(before) == {"node-a"}, set(before)
    middle = {w for t, w in nsids
              if first_b and first_b <= t < t_restore and w != "none"}
    assert middle == {"node-b"}, middle
    after = {w for t, w in nsids if first_a and t >= first_a and w != "none"}
    assert after == {"node-a"}, after
    assert m["failover_s"] is not None and \
        m["failover_s"] < FAILOVER_MAX_S, m
    assert m["recovery_s"] is not None and \
        m["recovery_s"] < RECOVERY_MAX_S, m
    # Queries go unanswered only between the break and the first answer
    # from B: none before, none once B answers, none after the repair.
    assert all(t_break <= t < first_b for t in lost), (lost, t_break, m)
    # At most every query sent in that window (two gaps apart at least
    # per kind), and never more than the bound.
    assert m["unanswered"] <= m["failover_s"] / QUERY_GAP_S + 1, m
    assert m["unanswered"] <= UNANSWERED_MAX, m
    # The failover took at least the hysteresis: FALL failed rounds.
    assert m["route_moved_s"] >= (FALL - 1) * INTERVAL, m
    return m


def failover(a, breaks, restores, what):
    """Query both service addresses while node A is broken, then
    restored; returns the measurements of each family."""
    clients = {f: a.client(f, SERVICE4 if f == 4 else SERVICE6, 25)
               for f in (4, 6)}
    moved = {}
    try:
        time.sleep(1.0)  # A answers
        t_break = time.monotonic()
        breaks()
        deadline = t_break + 10
        while len(moved) < 2 and time.monotonic() < deadline:
            for f, link in ((4, LINK4), (6, LINK6)):
                if f not in moved and a.route_via(f) == link["b"][1]:
                    moved[f] = time.monotonic()
            time.sleep(0.02)
        assert len(moved) == 2, "the router kept node A: %s" % moved
        # BIRD on the router has no route from A any more, B's is best.
        for fam, net in (("ipv4", SERVICE4), ("ipv6", SERVICE6)):
            assert net not in a.birdc("r", "show", "route", "protocol",
                                      "a_" + fam)
            assert net in a.birdc("r", "show", "route", "protocol",
                                  "b_" + fam, "primary")
        time.sleep(1.0)  # B answers
        t_restore = time.monotonic()
        restores()
        a.wait(lambda: a.route_via(4) == LINK4["a"][1] and
               a.route_via(6) == LINK6["a"][1],
               "the router to come back to node A", seconds=10)
        time.sleep(1.0)  # A answers again
    finally:
        rows = {}
        for f, (p, stop, out) in clients.items():
            open(stop, "w").close()
            p.wait(timeout=30)
            out.seek(0)
            rows[f] = [line.split() for line in out.read().splitlines()
                       if line]
            out.close()
            if not rows[f]:
                rows[f] = p.stderr.read().decode()
    # Checked after the clients are stopped, so that a failure above is
    # the one reported.
    for f in (4, 6):
        assert isinstance(rows[f], list), \
            "the IPv%d client printed nothing: %s" % (f, rows[f])
    return {f: measure(a, f, rows[f], t_break, moved[f], t_restore, what)
            for f in (4, 6)}


def status(a, n):
    return run(*a.nsx(n, LOADER, "status", "--dev", a.dev[n])).stdout


def test_server_stopped(anycast):
    a = anycast
    assert "health: announced since" in status(a, "a")
    seen = {}

    def breaks():
        a.stop("server-a")

    def restores():
        seen["status"] = status(a, "a")
        a.start_server("a")

    failover(a, breaks, restores, "server stopped")
    print(seen["status"])
    assert "health: withdrawn since" in seen["status"], seen["status"]
    assert "server 127.0.0.1:53: TCP: Connection refused" in \
        seen["status"], seen["status"]
    log = a.log("health-a")
    print(log)
    assert "WITHDRAWN 198.18.100.53 2001:db8:100::53: 3 failed rounds: " \
        "server 127.0.0.1:53: TCP: Connection refused" in log, log
    assert "ANNOUNCED 198.18.100.53 2001:db8:100::53: 3 good rounds" in \
        log, log


def test_zone_broken(anycast):
    """A's XDP path is given serial 2 while its server still serves 1."""
    a = anycast
    newer = os.path.join(a.tmp, "zone-a-2")
    a.write_zone(newer, 2)
    seen = {}

    def breaks():
        run(*a.nsx("a", ZONEC, "apply", "--dev", a.dev["a"], "-q",
                   "%s=%s" % (ZONE, newer)))

    def restores():
        seen["status"] = status(a, "a")
        # The server catches up: the node is consistent again.
        shutil.copy(newer, a.zone_file("a"))
        a.procs["server-a"].send_signal(signal.SIGHUP)

    failover(a, breaks, restores, "XDP ahead of the server")
    assert "server 127.0.0.1:53: anycast.test. serial 1, the last applied " \
        "is 2" in seen["status"], seen["status"]
    assert "health: announced since" in status(a, "a")


def test_peers_serials_and_nsids(anycast):
    """After the last test A serves serial 2 and B serial 1: divergent;
    once B is updated too, consistent."""
    a = anycast
    peers = [LINK4["a"][1], "[%s]:53" % LINK6["b"][1]]
    p = run(*a.nsx("r", HEALTH, "--peers", "--zone", ZONE, *peers), ok=False)
    assert p.returncode == 1, p.stdout + p.stderr
    print(p.stdout)
    lines = p.stdout.splitlines()
    assert lines[0].startswith("peer 198.18.1.2:53 nsid node-a zone "
                               "anycast.test. serial 2 rtt "), lines
    assert lines[1].startswith("peer [2001:db8:2::2]:53 nsid node-b zone "
                               "anycast.test. serial 1 rtt "), lines
    assert lines[2] == "zone anycast.test. DIVERGENT: node-a=2 node-b=1", \
        lines

    newer = os.path.join(a.tmp, "zone-a-2")
    shutil.copy(newer, a.zone_file("b"))
    a.procs["server-b"].send_signal(signal.SIGHUP)
    run(*a.nsx("b", ZONEC, "apply", "--dev", a.dev["b"], "-q",
               "%s=%s" % (ZONE, a.zone_file("b"))))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        p = run(*a.nsx("r", HEALTH, "--peers", "--zone", ZONE, *peers),
                ok=False)
        if p.returncode == 0:
            break
        time.sleep(0.2)
    assert p.returncode == 0, p.stdout
    assert p.stdout.splitlines()[2] == \
        "zone anycast.test. consistent: serial 2 on all 2 peers", p.stdout

    # A peer that does not answer is reported, not guessed.
    p = run(*a.nsx("r", HEALTH, "--peers", "--zone", ZONE, "--timeout",
                   "0.2", LINK4["a"][1], "198.18.1.99"), ok=False)
    assert p.returncode == 1
    assert "peer 198.18.1.99:53 zone anycast.test. FAILED 198.18.1.99:53: " \
        "no answer within 200 ms (2 tries)" in p.stdout, p.stdout
    assert "zone anycast.test. INCOMPLETE (1 of 2 peers answered): " \
        "node-a=2 198.18.1.99:53=none" in p.stdout, p.stdout


def test_stop_withdraws(anycast):
    """Stopping xdpdns-health withdraws the node: a node without its
    checker must not attract traffic."""
    a = anycast
    a.stop("health-a")
    a.wait(lambda: a.route_via(4) == LINK4["b"][1] and
           a.route_via(6) == LINK6["b"][1], "the router to drop node A",
           seconds=10)
    st = status(a, "a")
    assert "health: stopped since" in st and "addresses withdrawn" in st, st
    out = run("ip", "-n", a.ns["a"], "addr", "show", "dev", a.dummy).stdout
    assert SERVICE4 not in out and SERVICE6 not in out, out


def test_stale_state_shown(anycast):
    """A checker killed outright cannot withdraw: status says its state
    is stale rather than repeating it as current."""
    a = anycast
    p = a.procs.pop("health-b")
    p.kill()
    p.wait(timeout=10)
    st = status(a, "b")
    assert "health: STALE, xdpdns-health (pid %d) is gone; it last said " \
        "announced since " % p.pid in st, st


def test_check_once(anycast):
    """--check runs one round and says what passed or why not (node A,
    whose checker the last test stopped)."""
    a = anycast
    p = run(*a.nsx("a", HEALTH, "--check", "--dev", a.dev["a"]), ok=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == [
        "ok   xdp: anycast.test. SOA answered in XDP, serial 2",
        p.stdout.splitlines()[1],
        "good: 1 zone(s) answered by XDP and the server with the applied "
        "serials"], p.stdout
    assert re.fullmatch(r"ok   server 127\.0\.0\.1:53: anycast\.test\. "
                        r"serial 2 in \d+\.\d\d ms",
                        p.stdout.splitlines()[1]), p.stdout
    run(*a.nsx("a", LOADER, "config", "--dev", a.dev["a"], "set",
               "fast-path=off"))
    try:
        p = run(*a.nsx("a", HEALTH, "--check", "--dev", a.dev["a"]),
                ok=False)
    finally:
        run(*a.nsx("a", LOADER, "config", "--dev", a.dev["a"], "set",
                   "fast-path=on"))
    assert p.returncode == 1
    assert p.stdout == \
        "FAIL xdp: fast path switched off (config fast-path=off)\n"
    p = run(*a.nsx("a", HEALTH, "--check", "--dev", a.dev["a"], "--zone",
                   "other.test."), ok=False)
    assert p.returncode == 1
    assert p.stdout == "FAIL xdp: zone other.test. is not applied to %s\n" \
        % a.dev["a"]


def test_route_change_failure_shown(anycast):
    """An address the checker cannot add (IPv6 turned off on the
    announcing interface) is said in its state and by status, not hidden
    behind "announced"; retried every round, it is added once it can be,
    and status says nothing more."""
    a = anycast
    a.stop("health-a")  # stopped already when the tests run in order
    ns, knob = a.ns["a"], "net.ipv6.conf.%s.disable_ipv6" % a.dummy

    def addrs():
        return run("ip", "-n", ns, "addr", "show", "dev", a.dummy).stdout

    run("ip", "netns", "exec", ns, "sysctl", "-qw", knob + "=1")
    try:
        a.start("health-a2", a.nsx(
            "a", HEALTH, "--dev", a.dev["a"], "--announce-dev", a.dummy,
            "--service", SERVICE4, "--service", SERVICE6, "--interval",
            str(INTERVAL), "--timeout", "0.15", "--max-latency", "0.1",
            "--fall", str(FALL), "--rise", str(RISE)))
        failed = "health: service addresses FAILED: cannot add %s to %s: " \
            % (SERVICE6, a.dummy)
        a.wait(lambda: failed in status(a, "a"),
               "status to show the address that could not be added")
        st = status(a, "a")
        assert "health: announced since" in st, st
        assert SERVICE4 in addrs() and SERVICE6 not in addrs()
    finally:
        run("ip", "netns", "exec", ns, "sysctl", "-qw", knob + "=0")
    try:
        a.wait(lambda: SERVICE6 in addrs() and
               "FAILED" not in status(a, "a"),
               "the address added once it can be")
    finally:
        a.stop("health-a2")
    assert SERVICE4 not in addrs() and SERVICE6 not in addrs()
    # Said once when it began and once when it ended, not every round;
    # the retry that put it right is not taken for someone else's doing.
    with open(os.path.join(a.tmp, "health-a2.log")) as f:
        log = f.read()
    assert log.count("cannot add %s to %s: " % (SERVICE6, a.dummy)) == 1, log
    assert log.count("retrying every round") == 1, log
    assert log.count("the service addresses are all there now") == 1, log
    assert "someone else" not in log, log
    assert "stopped; withdrew" in log, log


@pytest.mark.parametrize("args,message", [
    (["--fall", "0"], "bad --fall '0': expected a count, 1 to 1000"),
    (["--interval", "1x"], "bad --interval '1x': expected seconds, "
     "0.05 to 3600"),
    (["--service", "198.18.0.0/24"], "bad --service '198.18.0.0/24'"),
    (["--dev", "eth0", "--service", "198.18.0.1"],
     "--announce-dev IF is required"),
    (["--dev", "eth0", "--announce-dev", "lo", "--service", "198.18.0.1",
      "--timeout", "2"], "--timeout must not exceed --interval"),
    (["--peers", "--zone", "x.test."], "--peers needs 1 to 64 addresses"),
    (["--peers", "--zone", "x.test.", "nonsense"], "bad peer 'nonsense'"),
    (["--peers", "198.18.0.1"], "--peers needs --zone APEX or --dev IF"),
    (["--check"], "--check needs --dev IF"),
    (["--config", "/nonexistent/health.conf"],
     "/nonexistent/health.conf: No such file or directory"),
])
def test_usage_errors(args, message):
    need(os.path.exists(HEALTH), HEALTH + " not built")
    p = run(HEALTH, *args, ok=False)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr, p.stderr
    assert p.stdout == ""


def test_help():
    need(os.path.exists(HEALTH), HEALTH + " not built")
    p = run(HEALTH, "--help")
    for word in ("--announce-dev", "--service", "--fall", "--rise",
                 "--peers", "--check", "BPF_PROG_TEST_RUN", "Exit status"):
        assert word in p.stdout, word
    assert max(len(line) for line in p.stdout.splitlines()) <= 79
