# SPDX-License-Identifier: GPL-3.0-or-later
"""xdpdns-loader and xdpdns-zonec apply on a real veth pair, as an operator
uses them: attach, apply zones, query with dig and kdig over IPv4 and IPv6
from another namespace, read the counters; swap zones under a stream of
queries; refused updates; the fast-path switch; detach leaves nothing.
Needs root; in CI it runs."""
import os
import subprocess
import tempfile

import pytest

from conftest import (LOADER, NODE4, NODE6, ROOT, ZONEC, ZONES,
                      Engine, Server, VethPair, ask, attach_args,
                      loader_counters, need, query, rrl_off)
from netns import end_process
PIN_ROOT = "/sys/fs/bpf/xdpdns"


def run(*args, ok=True):
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if ok and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (
            " ".join(args), p.returncode, p.stdout, p.stderr))
    return p


stats = loader_counters


def zone_text(serial, last_octet, extra=""):
    return ("$ORIGIN swap.test.\n$TTL 300\n"
            "@ SOA ns hostmaster %d 7200 3600 1209600 300\n"
            "@ NS ns\nns A 198.18.0.53\nwww A 198.18.2.%d\n%s"
            % (serial, last_octet, extra))


class Node:
    """A veth pair with xdpdns attached to the node's end by the loader."""

    def __init__(self, memory=None):
        need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
        need(os.path.exists(LOADER), "build/xdpdns-loader not built")
        self.pair = VethPair()
        self.dev = self.pair.node
        self.tmp = tempfile.mkdtemp(prefix="xdpdns-test-")
        args = [LOADER, "attach", "--dev", self.dev] + attach_args()
        if memory:
            args += ["--memory", str(memory)]
        try:
            run(*args)
            rrl_off(self.dev)
        except Exception:
            self.pair.close()
            raise
        self.client = subprocess.Popen(
            ["ip", "netns", "exec", self.pair.ns, "/usr/bin/python3",
             os.path.join(ROOT, "tests", "e2e", "udp_client.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def in_ns(self, *args, timeout=30):
        return subprocess.run(["ip", "netns", "exec", self.pair.ns] +
                              list(args), capture_output=True, text=True,
                              timeout=timeout)

    def write_zone(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def close(self):
        end_process(self.client)
        subprocess.run([LOADER, "detach", "--dev", self.dev],
                       capture_output=True)
        self.pair.close()
        subprocess.run(["rm", "-rf", self.tmp])


@pytest.fixture
def node():
    n = Node()
    yield n
    n.close()


TEST_ZONES = ["basic.example.=basic.zone", "wildcard.example.=wildcard.zone",
              "delegation.example.=delegation.zone"]


def specs():
    out = []
    for s in TEST_ZONES:
        origin, f = s.split("=")
        out.append("%s=%s" % (origin, os.path.join(ZONES, f)))
    return out


def test_attach_apply_query_detach(node):
    dev = node.dev
    st = run(LOADER, "status", "--dev", dev).stdout
    assert "attached" in st and "no zones loaded yet" in st
    again = run(LOADER, "attach", "--dev", dev, *attach_args(), ok=False)
    assert again.returncode == 1 and "already attached" in again.stderr

    out = run(ZONEC, "apply", "--dev", dev, *specs()).stdout
    assert "zone basic.example. serial 2024010101 (new)" in out
    assert "generation 0 now served" in out

    # Byte for byte as the engine, over both families.
    engine = Engine(specs())
    try:
        for addr in (NODE4, NODE6):
            for name, t in (("www.basic.example.", "A"),
                            ("x.y.nope.basic.example.", "A"),
                            ("x.child.delegation.example.", "A"),
                            ("a.w.wildcard.example.", "TXT")):
                wire = query(name, t)
                assert ask(node.client, addr, wire) == engine.ask(wire)
    finally:
        engine.close()

    # dig and kdig, as an operator would check. dig sends a cookie by
    # default, which the fast path answers too: cookies are on from attach.
    before = stats(dev)
    for tool in (["dig", "+tries=1", "+time=2"],
                 ["kdig", "+retry=0", "+timeout=2"]):
        for addr in (NODE4, NODE6):
            r = node.in_ns(*tool, "@" + addr, "+short",
                           "www.basic.example.", "A")
            assert r.returncode == 0, r.stderr
            assert sorted(r.stdout.split()) == ["198.51.100.80",
                                                "198.51.100.81"]
    after = stats(dev)
    assert after["answer_positive"] - before["answer_positive"] == 4

    st = run(LOADER, "status", "--dev", dev).stdout
    assert "zone basic.example. serial 2024010101" in st
    assert "serving generation 0" in st

    link = subprocess.run(["ip", "-d", "link", "show", "dev", dev],
                          capture_output=True, text=True).stdout
    prog_id = link.split("prog/xdp id ")[1].split()[0]
    run(LOADER, "detach", "--dev", dev)
    assert not os.path.exists(os.path.join(PIN_ROOT, dev))
    link = subprocess.run(["ip", "-d", "link", "show", "dev", dev],
                          capture_output=True, text=True).stdout
    assert "xdp" not in link.split("link/ether")[0]
    assert "prog/xdp" not in link
    # The program is unloaded, not just detached (its pins held it).
    r = subprocess.run(["bpftool", "prog", "show", "id", prog_id],
                       capture_output=True, text=True)
    assert r.returncode != 0, r.stdout
    assert "No such file or directory" in r.stderr, r.stderr
    # A query now reaches the kernel stack: nobody listens, no reply.
    assert ask(node.client, NODE4, query("www.basic.example.", "A")) is None


def test_swap_under_load(node):
    """Serials N, N+1, ... applied while a client queries without pause:
    every reply carries one serial's data, serials only move forward, and
    every query is answered."""
    dev = node.dev
    base = 100
    run(ZONEC, "apply", "--dev", dev,
        node.write_zone("v0.zone", zone_text(base, 0)))
    # To a file: a full pipe would stall the client while applies run.
    log = open(os.path.join(node.tmp, "stream.log"), "w+")
    stream = subprocess.Popen(
        ["ip", "netns", "exec", node.pair.ns, "/usr/bin/python3",
         os.path.join(ROOT, "tests", "e2e", "udp_client.py"), "stream",
         NODE4, "www.swap.test.", "200000", "30", "198.18.2.8"],
        stdout=log, text=True)
    for i in range(1, 9):
        run(ZONEC, "apply", "--dev", dev, "-q",
            node.write_zone("v%d.zone" % i, zone_text(base + i, i)))
    stream.wait(timeout=60)
    log.seek(0)
    lines = [line.split() for line in log.read().splitlines()]
    log.close()
    assert len(lines) >= 200
    unanswered = [x for x in lines if x[2] == "none"]
    assert not unanswered, "%d queries unanswered" % len(unanswered)
    last = -1
    for num, qtype, val, _, _ in lines:
        version = (int(val.split(".")[-1]) if qtype == "A"
                   else int(val) - base)
        assert 0 <= version <= 8, (num, qtype, val)
        assert version >= last, "went back from %d to %d at query %s" % (
            last, version, num)
        last = version
    assert last == 8, "the stream ended before the last swap"


def test_refused_updates_keep_the_old_zone(node):
    dev = node.dev
    good = node.write_zone("good.zone", zone_text(50, 50))
    run(ZONEC, "apply", "--dev", dev, good)
    want = ask(node.client, NODE4, query("www.swap.test.", "A"))
    assert want is not None

    lower = run(ZONEC, "apply", "--dev", dev,
                node.write_zone("lower.zone", zone_text(49, 49)), ok=False)
    assert lower.returncode == 1
    assert "serial 49 is not greater than the 50 served" in lower.stderr

    same = run(ZONEC, "apply", "--dev", dev,
               node.write_zone("same.zone", zone_text(50, 51)), ok=False)
    assert same.returncode == 1

    broken = run(ZONEC, "apply", "--dev", dev, node.write_zone(
        "broken.zone", zone_text(51, 51, "www CNAME other\n")), ok=False)
    assert broken.returncode == 1
    assert "nothing applied" in broken.stderr

    for _ in range(3):
        got = ask(node.client, NODE4, query("www.swap.test.", "A"))
        assert got[2:] == want[2:]  # the same reply but for the query id
    st = run(LOADER, "status", "--dev", dev).stdout
    assert "zone swap.test. serial 50" in st

    # --force takes a lower serial.
    run(ZONEC, "apply", "--dev", dev, "--force",
        node.write_zone("forced.zone", zone_text(49, 49)))
    assert "serial 49" in run(LOADER, "status", "--dev", dev).stdout


def test_over_budget_is_refused():
    n = Node(memory=1)
    try:
        small = n.write_zone("small.zone", zone_text(7, 7))
        run(ZONEC, "apply", "--dev", n.dev, small)
        want = ask(n.client, NODE4, query("www.swap.test.", "A"))
        assert want is not None
        big = zone_text(8, 8, "".join("h%d A 198.18.3.%d\n" % (i, i % 250)
                                      for i in range(20000)))
        r = run(ZONEC, "apply", "--dev", n.dev,
                n.write_zone("big.zone", big), ok=False)
        assert r.returncode == 1
        assert "more names than the node array holds" in r.stderr
        assert "--memory" in r.stderr
        got = ask(n.client, NODE4, query("www.swap.test.", "A"))
        assert got[2:] == want[2:]  # the same reply but for the query id
    finally:
        n.close()


def test_fast_path_switch(node):
    dev = node.dev
    run(ZONEC, "apply", "--dev", dev, node.write_zone("z.zone",
                                                      zone_text(1, 1)))
    wire = query("www.swap.test.", "A")
    assert ask(node.client, NODE4, wire) is not None
    assert run(LOADER, "config", "--dev", dev, "set",
               "fast-path=off").stdout.strip() == "fast-path=off"
    before = stats(dev)
    assert ask(node.client, NODE4, wire) is None  # no server listens
    assert stats(dev)["pass_disabled"] == before["pass_disabled"] + 1
    run(LOADER, "config", "--dev", dev, "set", "fast-path=on")
    assert ask(node.client, NODE4, wire) is not None
    bad = run(LOADER, "config", "--dev", dev, "set", "fast-path=maybe",
              ok=False)
    assert bad.returncode == 2


def test_pins_of_another_version_refused(node):
    """Pins whose map layouts differ from this version's (a node upgraded
    in place, the old program still attached) are refused by status and
    apply, which would otherwise read and write the config at the wrong
    offsets; the program keeps serving what it served, and detach still
    works, to attach again."""
    dev = node.dev
    run(ZONEC, "apply", "--dev", dev, node.write_zone("z.zone",
                                                      zone_text(1, 1)))
    wire = query("www.swap.test.", "A")
    want = ask(node.client, NODE4, wire)
    assert want is not None
    pin = "/sys/fs/bpf/xdpdns/%s/xd_config" % dev
    os.unlink(pin)  # the program keeps its map
    run("bpftool", "map", "create", pin, "type", "array", "key", "4",
        "value", "160", "entries", "1", "name", "xd_config")
    st = run(LOADER, "status", "--dev", dev, ok=False)
    assert st.returncode == 1
    assert "the pinned map xd_config was made by another version of " \
        "xdpdns" in st.stderr, st.stderr
    ap = run(ZONEC, "apply", "--dev", dev,
             node.write_zone("z2.zone", zone_text(2, 2)), ok=False)
    assert ap.returncode == 1
    assert "another version of xdpdns" in ap.stderr, ap.stderr
    got = ask(node.client, NODE4, wire)
    assert got is not None and got[2:] == want[2:]
    run(LOADER, "detach", "--dev", dev)
    assert not os.path.exists(os.path.dirname(pin))
    run(LOADER, "attach", "--dev", dev, *attach_args())
    assert "no zones loaded yet" in run(LOADER, "status", "--dev",
                                        dev).stdout


def test_stats_interval_and_help(node):
    out = run(LOADER, "stats", "--dev", node.dev, "--interval", "0.2",
              "--count", "2").stdout
    assert out.count("xdpdns on %s" % node.dev) == 2
    for cmd in ("attach", "detach", "status", "stats", "config"):
        h = run(LOADER, "help", cmd).stdout
        assert h.startswith("Usage: xdpdns-loader " + cmd)
    assert run(ZONEC, "help", "apply").stdout.startswith(
        "Usage: xdpdns-zonec apply")


def test_over_budget_with_hot_list_loads_part_never_wrong():
    """A zone bigger than the maps, with a hot list: the hot names are
    answered in XDP, the rest by the server (none listens here: no reply),
    and every reply the fast path does give is the engine's."""
    n = Node(memory=1)
    try:
        names = 6000
        body = "".join("h%d A 198.18.3.%d\nh%d TXT \"t%d\"\n" % (
            i, i % 250, i, i) for i in range(names))
        body += "sub.h5 A 198.18.4.5\n"
        zpath = n.write_zone("big.zone", zone_text(9, 9, body))
        hot = ["www.swap.test.", "h5.swap.test.", "h4321.swap.test."]
        hpath = n.write_zone("hot.txt", "# hottest first\n" +
                             "\n".join(hot) + "\nnot.in.any.zone.\n")
        r = run(ZONEC, "apply", "--dev", n.dev, "--hot", hpath, zpath)
        assert "hot list: 3 name(s) found, 1 not in these zones" in r.stdout
        assert "over capacity" in r.stdout
        engine = Engine(["swap.test.=" + zpath])
        try:
            before = stats(n.dev)
            answered = 0
            for qn, t, must in (
                    ("www.swap.test.", "A", True),
                    ("h5.swap.test.", "TXT", True),
                    ("h4321.swap.test.", "A", True),
                    ("h5.swap.test.", "MX", True),       # NODATA
                    # Below h5, whose child sub.h5 may not be loaded:
                    # passed unless everything below h5 is.
                    ("x.h5.swap.test.", "A", False),
                    ("sub.h5.swap.test.", "A", False),
                    # Not there: the apex cannot prove it when not all
                    # its names are loaded.
                    ("nope.swap.test.", "A", False),
                    ("h5999.swap.test.", "A", False)):
                wire = query(qn, t)
                got = ask(n.client, NODE4, wire)
                if must:
                    assert got is not None, qn
                if got is not None:
                    assert got == engine.ask(wire), qn
                    answered += 1
            # Every query: answered byte for byte, or passed and counted.
            after = stats(n.dev)
            # (The link's own traffic, ARP, neighbour discovery and MLD,
            # counts as pass_not_dns and pass_ipv6_ext.)
            moved = {k: after[k] - before[k] for k in after
                     if after[k] != before[k] and
                     k not in ("pass_not_dns", "pass_ipv6_ext")}
            assert sum(moved.values()) == 8, moved
            assert sum(v for k, v in moved.items()
                       if k.startswith("answer_")) == answered
            assert moved.get("pass_partial", 0) >= 1, moved
        finally:
            engine.close()
    finally:
        n.close()


def test_apply_updates_xdp_and_server_together(tmp_path):
    need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
    zone = tmp_path / "t.zone"
    pidfile = tmp_path / "server.pid"
    text = ("$ORIGIN together.test.\n$TTL 300\n"
            "@ SOA ns hm %d 1 1 1 1\n@ NS ns\nns A 198.18.0.1\n"
            "www A 198.18.5.%d\n")
    zone.write_text(text % (1, 1))
    pair = VethPair()
    server = client = None
    try:
        subprocess.run([LOADER, "attach", "--dev", pair.node, "--memory",
                        "16"] + attach_args(), check=True,
                       capture_output=True)
        rrl_off(pair.node)
        server = Server(["together.test.=%s" % zone],
                        listen=[NODE4 + ":53"], port=53,
                        extra=["--pidfile", str(pidfile)])
        client = subprocess.Popen(
            ["ip", "netns", "exec", pair.ns, "/usr/bin/python3",
             os.path.join(ROOT, "tests", "e2e", "udp_client.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        apply = [ZONEC, "apply", "--dev", pair.node, "--server", NODE4,
                 "--server-pidfile", str(pidfile), "--wait", "10"]

        def serials():
            """The SOA serial over UDP, answered by the XDP program (its
            counter shows it), and over TCP, by the server."""
            import dns.message
            w = dns.message.make_query("together.test.", "SOA").to_wire()
            before = stats(pair.node)["answer_positive"]
            udp = dns.message.from_wire(ask(client, NODE4, w))
            assert stats(pair.node)["answer_positive"] == before + 1
            tcp = dns.message.from_wire(ask(client, NODE4, w, tcp=True))
            return udp.answer[0][0].serial, tcp.answer[0][0].serial

        r = subprocess.run(apply + ["together.test.=%s" % zone],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "serves the same serials" in r.stdout
        assert serials() == (1, 1)  # XDP (UDP) and server (TCP)

        zone.write_text(text % (2, 2))
        r = subprocess.run(apply + ["together.test.=%s" % zone],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert serials() == (2, 2)

        third = tmp_path / "third.zone"
        third.write_text(text % (3, 3))

        def refused(pid, why):
            """apply with a pid file naming pid is refused for why, and
            nothing new is served."""
            path = tmp_path / ("%d.pid" % pid)
            path.write_text("%d\n" % pid)
            r = subprocess.run(
                apply[:apply.index("--server-pidfile") + 1] +
                [str(path), "--wait", "2", "together.test.=%s" % third],
                capture_output=True, text=True)
            assert r.returncode == 1
            assert why in r.stderr, r.stderr
            assert serials() == (2, 2)

        # A pid file that names another process, which holds no lock on
        # it: apply refuses to signal it (SIGHUP would stop a sleep).
        bystander = subprocess.Popen(["sleep", "30"])
        try:
            refused(bystander.pid, "no xdpdns-server holds")
            assert bystander.poll() is None
        finally:
            bystander.kill()
            bystander.wait()

        # A pid file left by a process that has ended: refused as such.
        gone = subprocess.Popen(["true"])
        gone.wait()
        refused(gone.pid, "no xdpdns-server holds")

        # A process that holds the lock on a file naming itself, but is
        # no xdpdns-server.
        path = tmp_path / "locker.pid"
        locker = subprocess.Popen(
            ["/usr/bin/python3", "-c",
             "import fcntl, os, sys, time\n"
             "f = open(sys.argv[1], 'w')\n"
             "f.write('%d\\n' % os.getpid()); f.flush()\n"
             "fcntl.lockf(f, fcntl.LOCK_EX)\n"
             "print('locked', flush=True); time.sleep(30)\n", str(path)],
            stdout=subprocess.PIPE, text=True)
        try:
            assert locker.stdout.readline().strip() == "locked"
            r = subprocess.run(
                apply[:apply.index("--server-pidfile") + 1] +
                [str(path), "--wait", "2", "together.test.=%s" % third],
                capture_output=True, text=True)
            assert r.returncode == 1
            assert "(pid %d) is not an xdpdns-server (/usr/bin/python3" % \
                locker.pid in r.stderr, r.stderr
            assert locker.poll() is None and serials() == (2, 2)
        finally:
            locker.kill()
            locker.wait()

        # The server reads another file: it never reaches serial 3, so
        # the XDP path stays on 2 and apply says why.
        other = tmp_path / "other.zone"
        other.write_text(text % (3, 3))
        r = subprocess.run(apply[:-2] + ["--wait", "2",
                                         "together.test.=%s" % other],
                           capture_output=True, text=True)
        assert r.returncode == 1
        assert "did not serve the new serials" in r.stderr
        assert serials() == (2, 2)
    finally:
        end_process(client)
        if server:
            server.close()
        subprocess.run([LOADER, "detach", "--dev", pair.node],
                       capture_output=True)
        pair.close()


def test_failed_attach_leaves_nothing():
    """Native mode where the driver has none (loopback): a clear error,
    and no program, no pin, no directory left behind."""
    need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
    ns = "xdpdns-f%x" % (os.getpid() & 0xffff)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        enter = ["nsenter", "--net=/var/run/netns/" + ns]
        r = subprocess.run(enter + [LOADER, "attach", "--dev", "lo"] +
                           attach_args(),
                           capture_output=True, text=True)
        assert r.returncode == 1
        assert "try --mode generic" in r.stderr
        assert not os.path.exists(os.path.join(PIN_ROOT, "lo"))
        link = subprocess.run(enter + ["ip", "-d", "link", "show", "lo"],
                              capture_output=True, text=True).stdout
        assert "prog/xdp" not in link
    finally:
        subprocess.run(["ip", "netns", "del", ns])
