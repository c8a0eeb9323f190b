# SPDX-License-Identifier: GPL-3.0-or-later
"""xdpdns-server against one client that tries to take it all, on
loopback with small limits so that each case takes seconds: many
connections from one address trickling bytes (only --tcp-max-per-client
of them kept, each closed at --tcp-msg-timeout, another address still
answered); a length of 65535 with nothing behind it; pipelined queries
whose replies are never read (reading stops, memory stays bounded, the
connections go after --tcp-idle); the per-client limit counted over two
workers; IPv6 clients counted by /64; and a UDP batch in which some
replies have no route, the others all sent (root: a namespace of the
test's own)."""
import contextlib
import ctypes
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import dns.message

from conftest import (BUILD, Server, _recv_all, free_port, need, sh,
                      zone_files)
from test_server import stderr_until

ZONES = ["%s=%s" % (o, p) for o, p in zone_files()]
LEGIT = "127.0.0.2"  # the attacker connects from 127.0.0.1


def query_wire(qid, name="www.basic.example.", rdtype="A"):
    m = dns.message.make_query(name, rdtype, use_edns=False)
    m.id = qid
    return m.to_wire()


def framed(wire):
    return struct.pack("!H", len(wire)) + wire


def connect(addr, port, src=None, timeout=2.0, rcvbuf=None):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    c = socket.socket(family, socket.SOCK_STREAM)
    c.settimeout(timeout)
    if rcvbuf:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src:
        c.bind((src, 0))
    c.connect((addr, port))
    return c


def ask_tcp(addr, port, qid, src=None, timeout=2.0):
    """The id of the reply to a query over a new connection from src;
    None when the connection is closed or nothing comes in time."""
    try:
        with connect(addr, port, src, timeout) as c:
            c.sendall(framed(query_wire(qid)))
            n = struct.unpack("!H", _recv_all(c, 2))[0]
            return dns.message.from_wire(_recv_all(c, n)).id
    except (OSError, RuntimeError):
        return None


def served(c, qid, timeout=1.0):
    """Whether a query on open connection c is answered."""
    c.settimeout(timeout)
    try:
        c.sendall(framed(query_wire(qid)))
        n = struct.unpack("!H", _recv_all(c, 2))[0]
        return dns.message.from_wire(_recv_all(c, n)).id == qid
    except (OSError, RuntimeError):
        return False


def closed_now(c):
    """Whether the server has closed c (an end or a reset waiting)."""
    if not select.select([c], [], [], 0)[0]:
        return False
    try:
        return c.recv(1, socket.MSG_DONTWAIT) == b""
    except ConnectionResetError:
        return True
    except BlockingIOError:
        return False


def seconds_to_close(c, limit):
    """Seconds until the server closes c, reading nothing else; None
    when it is still open after limit seconds."""
    t0 = time.monotonic()
    c.settimeout(limit)
    try:
        got = c.recv(1)
    except ConnectionResetError:
        got = b""
    except socket.timeout:
        return None
    assert got == b"", "the server sent bytes on a connection it should close"
    return time.monotonic() - t0


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def server_recv_queues(port):
    """Unread bytes (Recv-Q) of each established server-side socket of
    port, from ss(8)."""
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", "( sport = :%d )" % port],
        capture_output=True, text=True, check=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if line]


def settle(port, timeout=3.0):
    """Waits until the server on port holds no connection (the start-up
    probe's is closed), so that what follows is counted alone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-Htan", "( sport = :%d )" % port],
                             capture_output=True, text=True,
                             check=True).stdout
        if all(line.split()[0] in ("LISTEN", "TIME-WAIT")
               for line in out.splitlines() if line):
            return
        time.sleep(0.02)
    raise AssertionError("the server still holds connections")


def test_slowloris_from_one_address():
    """40 connections from one address, each trickling a byte every
    0.3 s: 5 kept (--tcp-max-per-client), each closed 1 s after its first
    byte (--tcp-msg-timeout), never by the idle time the bytes would have
    renewed; meanwhile another address is answered over TCP."""
    s = Server(ZONES, extra=["--tcp-max", "30", "--tcp-max-per-client", "5",
                             "--tcp-msg-timeout", "1", "--tcp-idle", "3"])
    conns = []
    first_byte = {}
    try:
        settle(s.port)
        for _ in range(40):
            c = connect(s.addr, s.port)
            c.sendall(b"\xff")  # a length of 65535, never completed
            first_byte[c] = time.monotonic()
            conns.append(c)
        time.sleep(0.3)
        kept = [c for c in conns if not closed_now(c)]
        assert len(kept) == 5, "%d of one address's connections kept" % \
            len(kept)
        closed_after = {}
        answered, asked = 0, 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(closed_after) < len(kept):
            for c in kept:
                if c in closed_after:
                    continue
                if closed_now(c):
                    closed_after[c] = time.monotonic() - first_byte[c]
                    continue
                try:
                    c.send(b"x")
                except OSError:
                    closed_after[c] = time.monotonic() - first_byte[c]
            if asked < 3:  # within the first second
                asked += 1
                answered += ask_tcp(s.addr, s.port, 500 + asked,
                                    src=LEGIT) == 500 + asked
            time.sleep(0.3)
        assert answered == asked == 3, \
            "the other address answered %d of %d" % (answered, asked)
        assert len(closed_after) == len(kept), \
            "trickling connections kept past 5 s"
        for t in closed_after.values():
            assert 0.9 < t < 2.0, "closed %.2f s after its first byte" % t
    finally:
        for c in conns:
            c.close()
        s.close()


def test_length_alone_closed_at_the_query_deadline():
    """A length of 65535 and nothing (or a little) after it, and a lone
    first byte: each connection closed at --tcp-msg-timeout (1 s), not
    at --tcp-idle (6 s)."""
    s = Server(ZONES, extra=["--tcp-msg-timeout", "1", "--tcp-idle", "6"])
    try:
        for what in (b"\xff\xff", b"\xff\xff" + b"x" * 100, b"\x00"):
            c = connect(s.addr, s.port)
            c.sendall(what)
            t = seconds_to_close(c, 4)
            c.close()
            assert t is not None, "%r: still open after 4 s" % what
            assert 0.9 < t < 2.0, "%r: closed after %.2f s" % (what, t)
        assert ask_tcp(s.addr, s.port, 77) == 77
    finally:
        s.close()


def test_unread_replies_stop_reading_and_memory_stays_bounded():
    """30 connections (3 addresses) send 5000 pipelined queries each for a
    1.5 KB answer and never read: the server stops reading every one of
    them (their queries wait in its socket), its resident memory grows by
    less than 16 MiB (the replies it would hold: 30 x 7 MB), another
    client is answered, and the connections are closed after --tcp-idle.
    """
    s = Server(ZONES, extra=["--tcp-idle", "3", "--tcp-max", "100"])
    conns = []
    try:
        base = rss_kib(s.proc.pid)
        q = framed(query_wire(9, "bigtxt.trunc.example.", "TXT"))
        for i in range(30):
            c = connect(s.addr, s.port, src="127.0.0.%d" % (11 + i % 3),
                        rcvbuf=4096)
            c.setblocking(False)
            conns.append([c, q * 5000])
        peak = base
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(x[1] for x in conns):
            for x in conns:
                if x[1]:
                    try:
                        x[1] = x[1][x[0].send(x[1]):]
                    except BlockingIOError:
                        pass
            peak = max(peak, rss_kib(s.proc.pid))
            time.sleep(0.01)
        assert not any(x[1] for x in conns), "queries not taken in 20 s"
        sent = time.monotonic()
        while time.monotonic() < sent + 1:
            peak = max(peak, rss_kib(s.proc.pid))
            time.sleep(0.05)
        unread = server_recv_queues(s.port)
        assert len(unread) == 30 and all(n > 0 for n in unread), \
            "connections still read: unread bytes %s" % unread
        assert peak - base < 16 * 1024, \
            "resident memory grew by %d KiB" % (peak - base)
        assert ask_tcp(s.addr, s.port, 88, src=LEGIT) == 88
        # Unread for --tcp-idle since their last whole query: closed.
        while time.monotonic() < sent + 6 and server_recv_queues(s.port):
            time.sleep(0.1)
        assert server_recv_queues(s.port) == [], "kept past --tcp-idle"
    finally:
        for x in conns:
            x[0].close()
        s.close()


def test_per_client_limit_over_two_workers():
    """--tcp-max-per-client 4 with two workers: of 12 connections from
    one address (spread over both workers' sockets by the kernel), 4 are
    served and 8 closed at accept; another address is served; a place
    given back by a close is taken again."""
    s = Server(ZONES, extra=["--workers", "2", "--tcp-max-per-client", "4"])
    kept = []
    try:
        settle(s.port)
        refused = 0
        for i in range(12):
            c = connect(s.addr, s.port)
            if served(c, 100 + i):
                kept.append(c)
            else:
                refused += 1
                c.close()
        assert (len(kept), refused) == (4, 8)
        assert ask_tcp(s.addr, s.port, 200, src=LEGIT) == 200
        kept.pop().close()
        deadline = time.monotonic() + 3
        again = None
        while again is None and time.monotonic() < deadline:
            c = connect(s.addr, s.port)
            if served(c, 300):
                again = c
            else:
                c.close()
                time.sleep(0.05)
        assert again is not None, "the place of a closed connection stayed"
        kept.append(again)
        extra = connect(s.addr, s.port)
        assert not served(extra, 301), "a fifth connection was served"
        extra.close()
    finally:
        for c in kept:
            c.close()
        s.close()


def test_limits_from_a_config_file():
    """The limits under their option names in a config file; a bad value
    there is refused, naming the option and what it may be."""
    d = tempfile.mkdtemp(prefix="xdpdns-limits-")
    try:
        conf = os.path.join(d, "server.conf")
        with open(conf, "w") as f:
            f.write("tcp-max-per-client = 1\ntcp-client-prefix4 = 24\n"
                    "tcp-msg-timeout = 0.5\ntcp-output-max = 16K\n"
                    "tcp-memory = 8M\n")
        s = Server(ZONES, extra=["--config", conf])
        try:
            settle(s.port)
            a = connect(s.addr, s.port)
            assert served(a, 1)
            b = connect(s.addr, s.port, src="127.0.0.3")  # the same /24
            assert not served(b, 2), "a second connection of one /24"
            b.close()
            a.sendall(b"\xff")
            t = seconds_to_close(a, 3)
            a.close()
            assert t is not None and 0.4 < t < 1.2, "closed after %s s" % t
        finally:
            s.close()
        for line, why in (
                ("tcp-output-max = 100", "bad value for 'tcp-output-max': "
                 "a size from 4K to 16M"),
                ("tcp-max-per-client = -1", "bad value for "
                 "'tcp-max-per-client': a number from 1 to 1000000, or 0"),
                ("tcp-msg-timeout = soon", "bad value for "
                 "'tcp-msg-timeout': seconds, from 0.01 to 3600")):
            with open(conf, "w") as f:
                f.write(line + "\n")
            r = subprocess.run([os.path.join(BUILD, "xdpdns-server"),
                                "--config", conf] + ZONES,
                               capture_output=True, text=True, timeout=10)
            assert r.returncode == 2, line
            assert "%s:1: %s" % (conf, why) in r.stderr, r.stderr
    finally:
        shutil.rmtree(d)


# ---- in a namespace of the test's own (root) -----------------------------

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class Netns:
    """A network namespace made for the test: lo up, with the given IPv6
    addresses (2001:db8::/32). Sockets and processes made inside()
    belong to it."""

    made = 0

    def __init__(self, addrs):
        need(os.geteuid() == 0, "needs root (network namespaces)")
        Netns.made += 1
        self.name = "xdpdns-ab%x%x" % (os.getpid() & 0xffff, Netns.made)
        sh("ip", "netns", "add", self.name)
        try:
            sh("ip", "-n", self.name, "link", "set", "lo", "up")
            for a in addrs:
                self.addr(a, True)
        except Exception:
            self.close()
            raise

    def addr(self, a, present):
        sh("ip", "-n", self.name, "-6", "addr", "add" if present else "del",
           a + "/128", "dev", "lo", *(["nodad"] if present else []))

    @contextlib.contextmanager
    def inside(self):
        here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open("/var/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(there, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + self.name)
            yield
        finally:
            if _libc.setns(here, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
            os.close(here)
            os.close(there)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name],
                       stderr=subprocess.DEVNULL)


def test_ipv6_clients_counted_by_prefix():
    """--tcp-max-per-client 2: 2001:db8:5::2 and ::3 are one client (one
    /64), 2001:db8:5:1::2 another; with --tcp-client-prefix6 128 each
    address is a client of its own."""
    node, a2, a3, other = ("2001:db8:5::1", "2001:db8:5::2",
                           "2001:db8:5::3", "2001:db8:5:1::2")
    ns = Netns([node, a2, a3, other])
    try:
        # (prefix length, connections from, served or closed at accept)
        cases = (("64", [a2, a3, a2, other], [True, True, False, True]),
                 ("128", [a2, a3, a2, a2], [True, True, True, False]))
        for prefix, srcs, want in cases:
            with ns.inside():
                port = free_port()
                s = Server(ZONES, listen=["[%s]:%d" % (node, port)],
                           port=port,
                           extra=["--tcp-max-per-client", "2",
                                  "--tcp-client-prefix6", prefix])
                conns = []
                try:
                    settle(port)
                    got = []
                    for i, src in enumerate(srcs):
                        c = connect(node, port, src=src)
                        conns.append(c)
                        got.append(served(c, 10 + i))
                    assert got == want, "/%s: served %s" % (prefix, got)
                finally:
                    for c in conns:
                        c.close()
                    s.close()
    finally:
        ns.close()


def stop(pid, timeout=5.0):
    """SIGSTOP pid, returning once every thread of it is stopped."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    tasks = "/proc/%d/task" % pid
    while time.monotonic() < deadline:
        states = []
        for t in os.listdir(tasks):
            with open("%s/%s/stat" % (tasks, t)) as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        if all(st in "tT" for st in states):
            return
        time.sleep(0.01)
    raise RuntimeError("pid %d did not stop" % pid)


def test_udp_batch_with_unroutable_sources():
    """Queries from 2001:db8:7::2 and ::3 alternate in the server's
    socket (stopped while they are sent); ::3 is then removed, so that
    the replies to it have no route (ENETUNREACH) and fail in the same
    sendmmsg batches as the others: all 20 replies to ::2 arrive, and
    the refusals are counted and logged."""
    node, legit, doomed = "2001:db8:7::1", "2001:db8:7::2", "2001:db8:7::3"
    ns = Netns([node, legit, doomed])
    s = None
    try:
        with ns.inside():
            port = free_port()
            s = Server(ZONES, listen=["[%s]:%d" % (node, port)], port=port,
                       quiet=False)
            a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            a.bind((legit, 0))
            b.bind((doomed, 0))
        try:
            stop(s.proc.pid)
            for i in range(20):
                a.sendto(query_wire(1000 + i), (node, port))
                b.sendto(query_wire(2000 + i), (node, port))
            ns.addr(doomed, False)
            s.signal(signal.SIGCONT)
            ids = set()
            a.settimeout(0.5)
            deadline = time.monotonic() + 5
            while len(ids) < 20 and time.monotonic() < deadline:
                try:
                    ids.add(dns.message.from_wire(a.recv(4096)).id)
                except socket.timeout:
                    pass
            assert ids == set(range(1000, 1020)), \
                "%d of 20 replies to the routable source" % len(ids)
            log = stderr_until(s.proc, "refused to send", 5)
            assert "UDP replies the kernel refused to send" in log
        finally:
            a.close()
            b.close()
    finally:
        if s:
            s.signal(signal.SIGCONT)
            s.close()
        ns.close()
