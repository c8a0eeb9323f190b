# SPDX-License-Identifier: GPL-3.0-or-later
"""xdpdns-server on loopback: the same bytes as the answer engine over UDP
and TCP, RFC 8906 behaviour, TCP per RFC 7766 (pipelining, idle timeout,
connection cap), truncation over UDP completed over TCP, NSID, SIGHUP
reloads that keep the old zones when the new ones are refused, a compiled
file written over in place that changes nothing until SIGHUP, and the pid
file: root's and locked while the server runs as xdpdns, so that neither
rewriting nor replacing it redirects apply's SIGHUP, a stale one refused,
a second server refused."""
import os
import pwd
import select
import stat
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest

import rfc8906
from conftest import (BUILD, LOADER, ZONEC, Server, _recv_all, attach_args,
                      need, secret_file, zone_files)
from netns import NODE4, VethPair, free_port
from test_differential import make_wire, queries


def until(check, timeout=10.0):
    """Ask check() again until it is true or timeout seconds have passed;
    its last value. For what a server does in its own time (a reload),
    without waiting longer than it takes."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.02)


def stderr_until(proc, text, timeout=10.0):
    """What proc writes on its standard error (a pipe), read until text
    shows or timeout seconds have passed."""
    fd = proc.stderr.fileno()
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        seen += chunk.decode(errors="replace")
    return seen


@pytest.fixture(scope="module")
def server():
    s = Server(["%s=%s" % (o, p) for o, p in zone_files()],
               extra=["--nsid", "test-node"])
    yield s
    s.close()


def test_same_bytes_as_the_engine(server, engine):
    qs = queries()
    diffs = []
    for i, (name, t, edns) in enumerate(qs):
        wire = make_wire(name, t, edns, i & 0xffff)
        tcp = i % 5 == 0
        got = server.ask(wire, tcp=tcp)
        want = engine.ask(wire, tcp=tcp)
        if got != want:
            diffs.append("%s %s %s %s" % (name, t, edns,
                                          "tcp" if tcp else "udp"))
    assert not diffs, "%d differ, first: %s" % (len(diffs), diffs[:5])


def test_rfc8906(server):
    fails = rfc8906.check_all(server.ask)
    assert not fails, "\n".join(fails)


def test_tcp_pipelined(server):
    names = ["www.basic.example.", "mail.basic.example.",
             "nope.basic.example.", "ns1.basic.example."] * 5
    msgs = []
    for i, n in enumerate(names):
        m = dns.message.make_query(n, "A")
        m.id = 100 + i
        msgs.append(m.to_wire())
    with socket.create_connection((server.addr, server.port),
                                  timeout=5) as s:
        s.sendall(b"".join(struct.pack("!H", len(w)) + w for w in msgs))
        ids = []
        for _ in msgs:
            n = struct.unpack("!H", _recv_all(s, 2))[0]
            ids.append(dns.message.from_wire(_recv_all(s, n)).id)
    assert sorted(ids) == [100 + i for i in range(len(msgs))]


def test_truncated_over_udp_complete_over_tcp(server):
    m = dns.message.make_query("bigtxt.trunc.example.", "TXT", use_edns=0,
                               payload=1232)
    udp = server.ask(m.to_wire())
    r = dns.message.from_wire(udp)
    assert r.flags & dns.flags.TC and len(udp) <= 1232
    tcp = dns.message.from_wire(server.ask(m.to_wire(), tcp=True))
    assert not tcp.flags & dns.flags.TC
    assert sum(len(rr) for rr in tcp.answer) == 7
    assert len(tcp.to_wire()) > 1232


def test_nsid(server):
    m = dns.message.make_query("www.basic.example.", "A", use_edns=0,
                               options=[dns.edns.GenericOption(3, b"")])
    r = dns.message.from_wire(server.ask(m.to_wire()))
    nsid = [o for o in r.options if o.otype == 3]
    assert nsid and nsid[0].to_wire() == b"test-node"
    plain = dns.message.make_query("www.basic.example.", "A", use_edns=0)
    r = dns.message.from_wire(server.ask(plain.to_wire()))
    assert not r.options


def test_sighup_reload():
    d = tempfile.mkdtemp(prefix="xdpdns-reload-")
    try:
        path = os.path.join(d, "z.zone")
        text = ("$ORIGIN reload.test.\n$TTL 300\n"
                "@ SOA ns hm %d 1 1 1 1\n@ NS ns\nns A 198.18.0.1\n")
        with open(path, "w") as f:
            f.write(text % 1)
        s = Server(["reload.test.=" + path])
        try:
            def serial():
                w = dns.message.make_query("reload.test.", "SOA").to_wire()
                return dns.message.from_wire(s.ask(w)).answer[0][0].serial
            assert serial() == 1
            with open(path, "w") as f:
                f.write(text % 2)
            s.signal(signal.SIGHUP)
            assert until(lambda: serial() == 2), "not reloaded"
            with open(path, "w") as f:
                f.write(text % 3 + "ns CNAME other\n")  # refused
            s.signal(signal.SIGHUP)
            # Done when it says so (it logs refusals even with --quiet).
            assert "reload refused" in stderr_until(s.proc, "reload refused")
            assert serial() == 2, "a refused reload changed what is served"
            assert s.proc.poll() is None
        finally:
            s.close()
    finally:
        shutil.rmtree(d)


def compiled_zone(path, serial, hosts, extra=""):
    """Compile a zone of hosts A records (serial given) into path, through
    a file renamed over it; path's bytes."""
    text = ("$ORIGIN inplace.test.\n$TTL 300\n@ SOA ns hm %d 1 1 1 1\n"
            "@ NS ns\nns A 198.18.0.1\n" % serial +
            "".join("h%d A 198.18.7.%d\n" % (i, i % 250)
                    for i in range(hosts)) + extra)
    with open(path + ".zone", "w") as f:
        f.write(text)
    subprocess.run([ZONEC, "compile", "-q", "-o", path,
                    "inplace.test.=" + path + ".zone"], check=True)
    os.unlink(path + ".zone")
    with open(path, "rb") as f:
        return f.read()


def write_in_place(path, data, truncate=True):
    """Write data over the file at path as cp (truncate first) or rsync
    --inplace (no truncation) do: the same inode, new bytes."""
    ino = os.stat(path).st_ino
    fd = os.open(path, os.O_WRONLY | (os.O_TRUNC if truncate else 0))
    try:
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)
    assert os.stat(path).st_ino == ino


def test_compiled_file_written_over_in_place():
    """A compiled file written over in place while served: shorter, same
    size with another serial, longer. The server answers the zone it
    loaded, byte for byte, until SIGHUP loads the new file; a damaged
    file is refused at SIGHUP and the zone loaded before still served."""
    d = tempfile.mkdtemp(prefix="xdpdns-inplace-")
    try:
        path = os.path.join(d, "z.xdc")
        other = os.path.join(d, "other.xdc")
        first = compiled_zone(path, 1, 1000)
        assert len(first) > 16 * 4096  # many pages: SIGBUS when mapped
        s = Server([path])
        try:
            wires = [make_wire(n, t, None, 7)
                     for n, t in (("inplace.test.", "SOA"),
                                  ("h0.inplace.test.", "A"),
                                  ("h999.inplace.test.", "A"),
                                  ("nope.inplace.test.", "A"))]

            def answers():
                return [s.ask(w) for w in wires]

            def serial():
                r = s.ask(wires[0])
                return r and dns.message.from_wire(r).answer[0][0].serial

            before = answers()
            assert serial() == 1
            versions = [
                ("shorter", compiled_zone(other, 2, 3), True),
                ("same size", compiled_zone(other, 3, 1000), False),
                ("longer", compiled_zone(other, 4, 1000,
                                         "more A 198.18.7.1\n"), True),
            ]
            assert len(versions[0][1]) < len(first)
            assert len(versions[1][1]) == len(first)
            assert versions[1][1] != first
            assert len(versions[2][1]) > len(first)
            for what, data, truncate in versions:
                write_in_place(path, data, truncate)
                assert answers() == before, "answers changed: " + what
                assert s.proc.poll() is None, "server died: " + what
            # SIGHUP: now the file as it is, the longer one, serial 4.
            s.signal(signal.SIGHUP)
            assert until(lambda: serial() == 4), "not reloaded"
            # Damaged files written in place are refused at SIGHUP.
            good = versions[2][1]
            damaged = [
                ("checksum mismatch",
                 good[:-10] + bytes([good[-10] ^ 0x5a]) + good[-9:]),
                ("file size does not match its header",
                 good[:len(good) // 2]),
            ]
            for why, data in damaged:
                write_in_place(path, data)
                s.signal(signal.SIGHUP)
                log = stderr_until(s.proc, "reload refused")
                assert "%s: %s" % (path, why) in log, log
                assert "reload refused" in log, log
                assert serial() == 4
            assert s.proc.poll() is None
        finally:
            s.close()
    finally:
        shutil.rmtree(d)


def served_connection(s, timeout=10.0):
    """A TCP connection to s on which a query was answered, connected
    again while s closes it (over --tcp-max)."""
    w = make_wire("www.basic.example.", "A", False, 8)
    deadline = time.monotonic() + timeout
    while True:
        c = socket.create_connection((s.addr, s.port), timeout=5)
        try:
            c.sendall(struct.pack("!H", len(w)) + w)
            n = struct.unpack("!H", _recv_all(c, 2))[0]
            if _recv_all(c, n)[:2] == w[:2]:
                return c
        except (OSError, RuntimeError):  # closed at accept
            pass
        c.close()
        assert time.monotonic() < deadline, "no connection served"
        time.sleep(0.02)


def closed_at_once(c, within=0.9):
    """Whether the server closes connection c (FIN or reset) within
    `within` seconds, not later by a timeout."""
    c.settimeout(within + 1)
    t0 = time.monotonic()
    try:
        got = c.recv(1)
    except ConnectionResetError:
        got = b""
    except socket.timeout:
        return False
    return got == b"" and time.monotonic() - t0 < within


def test_tcp_idle_timeout_and_cap():
    """At --tcp-max, a new connection takes the place of the longest idle
    one; with none idle it is closed at once; busy connections are left
    alone; an idle one is closed after --tcp-idle from its last reply."""
    s = Server(["%s=%s" % (o, p) for o, p in zone_files()],
               extra=["--tcp-idle", "2", "--tcp-max", "2",
                      "--tcp-msg-timeout", "20"])
    w = make_wire("www.basic.example.", "A", False, 7)
    framed = struct.pack("!H", len(w)) + w
    try:
        # Two connections the server counts: each answered once (until
        # the start-up probe's connection is released, the second one
        # is over the cap and closed: asked again).
        a = served_connection(s)
        b = served_connection(s)
        # b busy: the first byte of its next query, so a is the only idle
        # one. A third connection takes a's place: a is closed at once,
        # not by the idle timeout, and the third is served.
        b.sendall(framed[:1])
        c = served_connection(s, timeout=2)
        assert closed_at_once(a), "the idle connection was kept at the cap"
        # c busy too: a fourth finds none idle and is closed at once.
        c.sendall(framed[:1])
        d = socket.create_connection((s.addr, s.port), timeout=5)
        assert closed_at_once(d), "a connection over the cap was kept"
        d.close()
        # The busy ones were left alone: their queries are answered.
        for x in (b, c):
            x.sendall(framed[1:])
            n = struct.unpack("!H", _recv_all(x, 2))[0]
            assert _recv_all(x, n)[:2] == w[:2]
        t_answered = time.monotonic()
        # Idle from their last reply: closed after --tcp-idle, not before.
        for x in (b, c):
            x.settimeout(5)
            assert x.recv(1) == b""
            idle = time.monotonic() - t_answered
            assert 1.8 < idle < 4, "idle connection closed after %.1f s" % idle
        for x in (a, b, c):
            x.close()
    finally:
        s.close()


def test_cookies():
    """RFC 7873: a client cookie gets the client cookie back with a server
    cookie (RFC 9018 form, made with the configured secret); returned, it
    is answered the same way; a malformed one is FORMERR."""
    secret = "e5e973e5a6b2a43f48e7dc849e37bfcf"
    s = Server(["%s=%s" % (o, p) for o, p in zone_files()],
               extra=["--cookie-secret-file", secret_file(secret)])
    try:
        cc = bytes.fromhex("2464c4abcf10c957")
        m = dns.message.make_query("www.basic.example.", "A")
        m.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, cc)])
        r = dns.message.from_wire(s.ask(m.to_wire()))
        cookie = [o for o in r.options if o.otype == 10][0].to_wire()
        assert len(cookie) == 24 and cookie[:8] == cc
        assert cookie[8] == 1 and cookie[9:12] == b"\0\0\0"
        assert abs(struct.unpack("!I", cookie[12:16])[0] - time.time()) < 5
        assert r.answer
        m.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, cookie)])
        r2 = dns.message.from_wire(s.ask(m.to_wire(), tcp=True))
        assert r2.answer
        assert [o for o in r2.options if o.otype == 10][0].to_wire()[:8] == cc
        m.use_edns(0, 0, 1232,
                   options=[dns.edns.GenericOption(10, cc[:7])])
        r3 = dns.message.from_wire(s.ask(m.to_wire()))
        assert r3.rcode() == dns.rcode.FORMERR and not r3.answer
    finally:
        s.close()


def test_no_query_lost_during_reloads():
    """Queries sent without pause while the server reloads its zones
    several times (SIGHUP): every one answered, with the old serial or
    the new, never going back."""
    d = tempfile.mkdtemp(prefix="xdpdns-reload-load-")
    try:
        path = os.path.join(d, "z.zone")
        body = "".join("h%d A 198.18.6.%d\n" % (i, i % 250)
                       for i in range(20000))
        text = ("$ORIGIN busy.test.\n$TTL 300\n@ SOA ns hm %d 1 1 1 1\n"
                "@ NS ns\nns A 198.18.0.1\n" + body)
        with open(path, "w") as f:
            f.write(text % 1)
        s = Server(["busy.test.=" + path])
        try:
            q = dns.message.make_query("busy.test.", "SOA").to_wire()
            seen, lost, serial = [], 0, 1
            deadline = time.monotonic() + 30
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(1.0)
            reloads = 0
            i = 0
            while reloads < 4 and time.monotonic() < deadline:
                if i % 300 == 0:
                    serial += 1
                    with open(path + ".tmp", "w") as f:
                        f.write(text % serial)
                    os.replace(path + ".tmp", path)
                    s.signal(signal.SIGHUP)
                    reloads += 1
                sock.sendto(q, (s.addr, s.port))
                try:
                    r = dns.message.from_wire(sock.recv(65535))
                    seen.append(r.answer[0][0].serial)
                except socket.timeout:
                    lost += 1
                i += 1
            # Keep asking until the last reload shows.
            while seen[-1] != serial and time.monotonic() < deadline:
                sock.sendto(q, (s.addr, s.port))
                seen.append(dns.message.from_wire(
                    sock.recv(65535)).answer[0][0].serial)
            sock.close()
            assert lost == 0, "%d queries lost" % lost
            assert seen == sorted(seen), "a serial went back"
            assert seen[-1] == serial
        finally:
            s.close()
    finally:
        shutil.rmtree(d)


def held_by(path):
    """The pid holding a POSIX write lock on the file at path, from
    /proc/locks (0 when none)."""
    ino = os.stat(path).st_ino
    with open("/proc/locks") as f:
        for line in f:
            w = line.split()
            # "1: POSIX  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"
            if w[1] == "POSIX" and w[3] == "WRITE" and \
                    int(w[5].split(":")[2]) == ino:
                return int(w[4])
    return 0


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return int([ln for ln in f if ln.startswith("Uid:")][0].split()[2])


class PidNode:
    """A veth pair with xdpdns attached and a zone applied, and
    xdpdns-server on the node's address, started as root and dropping to
    xdpdns, with its pid file in a directory of root's (as
    /run/xdpdns-server): what 'xdpdns-zonec apply --server-pidfile' works
    on."""

    def __init__(self):
        need(os.geteuid() == 0, "needs root (XDP, dropping to a user)")
        need(_has_user("xdpdns"), "no user xdpdns (scripts/deps.sh test "
             "makes it)")
        self.dir = tempfile.mkdtemp(prefix="xdpdns-pid-")
        os.chmod(self.dir, 0o755)  # the zone is read again as xdpdns
        self.run = os.path.join(self.dir, "run")
        os.mkdir(self.run, 0o755)
        self.pidfile = os.path.join(self.run, "xdpdns-server.pid")
        self.zone = os.path.join(self.dir, "pid.zone")
        self.serial = 1
        self.write_zone()
        self.pair = VethPair()
        self.server = None
        try:
            subprocess.run([LOADER, "attach", "--dev", self.pair.node,
                            "--memory", "16"] + attach_args(), check=True,
                           capture_output=True)
            subprocess.run([ZONEC, "apply", "--dev", self.pair.node, "-q",
                            "pid.test.=" + self.zone], check=True,
                           capture_output=True)
            self.server = self.start()
        except BaseException:
            self.close()
            raise

    def write_zone(self):
        with open(self.zone, "w") as f:
            f.write("$ORIGIN pid.test.\n$TTL 300\n@ SOA ns hm %d 1 1 1 1\n"
                    "@ NS ns\nns A 198.18.0.1\n" % self.serial)
        os.chmod(self.zone, 0o644)

    def start(self, port=53):
        """A server with the pid file; waits until it names the server."""
        s = Server(["pid.test.=" + self.zone], listen=["%s:%d" % (NODE4,
                                                                 port)],
                   port=port, extra=["--user", "xdpdns", "--pidfile",
                                     self.pidfile])

        def written():
            try:
                with open(self.pidfile) as f:
                    return f.read() == "%d\n" % s.proc.pid
            except OSError:
                return False
        if not until(written):
            s.close()
            raise AssertionError("the server wrote no pid file")
        return s

    def served(self):
        """The serial xdpdns-server serves (TCP)."""
        w = dns.message.make_query("pid.test.", "SOA").to_wire()
        return dns.message.from_wire(
            self.server.ask(w, tcp=True)).answer[0][0].serial

    def apply(self, pidfile=None):
        """The next serial applied with the server's reload: the result."""
        self.serial += 1
        self.write_zone()
        return subprocess.run(
            [ZONEC, "apply", "--dev", self.pair.node, "--server", NODE4,
             "--server-pidfile", pidfile or self.pidfile, "--wait", "3",
             "pid.test.=" + self.zone], capture_output=True, text=True)

    def close(self):
        if self.server:
            self.server.close()
        subprocess.run([LOADER, "detach", "--dev", self.pair.node],
                       capture_output=True)
        self.pair.close()
        shutil.rmtree(self.dir)


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture
def pid_node():
    n = PidNode()
    yield n
    n.close()


def test_pidfile_roots_and_locked(pid_node):
    """Written as root before the drop, left root's (0644), locked by the
    server for its life, while the server runs as xdpdns; apply signals
    it and it reloads."""
    n = pid_node
    st = os.lstat(n.pidfile)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and st.st_gid == 0
    assert stat.S_IMODE(st.st_mode) == 0o644
    assert held_by(n.pidfile) == n.server.proc.pid
    assert uid_of(n.server.proc.pid) == pwd.getpwnam("xdpdns").pw_uid
    r = n.apply()
    assert r.returncode == 0, r.stderr
    assert n.served() == 2


def test_pidfile_rewritten_does_not_redirect_sighup(pid_node):
    """The content changed to another pid, or the file replaced by another
    user naming a process of theirs: apply refuses, signals nothing (the
    server keeps its serial, the process named lives), and says why."""
    n = pid_node
    victim = subprocess.Popen(["sleep", "30"])
    try:
        # Rewritten in place, to name another process.
        with open(n.pidfile, "w") as f:
            f.write("%d\n" % victim.pid)
        r = n.apply()
        assert r.returncode == 1
        assert "%s does not name pid %d, which holds its lock" % (
            n.pidfile, n.server.proc.pid) in r.stderr, r.stderr
        assert victim.poll() is None and n.served() == 1

        # Replaced by another user (the directory lets nobody write): a
        # file of theirs naming their own process, locked by it.
        os.chmod(n.run, 0o777)
        nobody = pwd.getpwnam("nobody")
        script = ("import fcntl, os, sys, time\n"
                  "os.unlink(sys.argv[1])\n"
                  "f = open(sys.argv[1], 'w')\n"
                  "f.write('%d\\n' % os.getpid()); f.flush()\n"
                  "fcntl.lockf(f, fcntl.LOCK_EX)\n"
                  "print('locked', flush=True); time.sleep(30)\n")

        def as_nobody():
            os.setgid(nobody.pw_gid)
            os.setgroups([])
            os.setuid(nobody.pw_uid)
        attacker = subprocess.Popen(["/usr/bin/python3", "-c", script,
                                     n.pidfile], preexec_fn=as_nobody,
                                    stdout=subprocess.PIPE, text=True)
        try:
            assert attacker.stdout.readline().strip() == "locked"
            assert os.stat(n.pidfile).st_uid == nobody.pw_uid
            r = n.apply()
            assert r.returncode == 1
            assert "%s belongs to uid %d, not root" % (
                n.pidfile, nobody.pw_uid) in r.stderr, r.stderr
            assert attacker.poll() is None and n.served() == 1
        finally:
            attacker.kill()
            attacker.wait()
        # The server still holds its lock, on the file it wrote, which is
        # no longer at the path: nothing at the path names it.
        assert n.server.proc.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_pidfile_stale_is_refused(pid_node):
    """After a clean stop the server, no longer root, cannot remove the
    file from its directory of root's: it is left, root's, with no lock,
    and apply refuses it."""
    n = pid_node
    n.server.close()
    assert n.server.proc.returncode == 0, n.server.proc.stderr.read()
    n.server = None
    with open(n.pidfile) as f:
        pid = int(f.read())
    assert held_by(n.pidfile) == 0
    assert os.stat(n.pidfile).st_uid == 0
    r = n.apply()
    assert r.returncode == 1
    assert "no xdpdns-server holds %s: is it running?" % n.pidfile in \
        r.stderr, r.stderr
    # The next server takes the same file.
    n.server = n.start()
    assert n.server.proc.pid != pid and \
        held_by(n.pidfile) == n.server.proc.pid


def test_pidfile_second_server_refuses(pid_node):
    """A second server given the same pid file stops before it binds, and
    says which server holds it; the first one's file is untouched."""
    n = pid_node
    r = subprocess.run([os.path.join(BUILD, "xdpdns-server"), "--quiet",
                        "--user", "xdpdns", "--listen", "127.0.0.1:%d" %
                        free_port(), "--cookie-secret-file", secret_file(),
                        "--pidfile", n.pidfile, "pid.test.=" + n.zone],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "another xdpdns-server (pid %d) holds %s" % (
        n.server.proc.pid, n.pidfile) in r.stderr, r.stderr
    with open(n.pidfile) as f:
        assert f.read() == "%d\n" % n.server.proc.pid
    assert held_by(n.pidfile) == n.server.proc.pid
    assert n.apply().returncode == 0 and n.served() == 2


def test_pidfile_never_follows_a_link():
    """A symlink left where the pid file goes (another user may write to
    the directory) is replaced, not followed: the file it points to is
    neither truncated nor locked."""
    need(os.geteuid() == 0, "needs root")
    d = tempfile.mkdtemp(prefix="xdpdns-pid-", dir="/tmp")
    try:
        os.chmod(d, 0o1777)
        victim = os.path.join(d, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        pf = os.path.join(d, "server.pid")
        os.symlink(victim, pf)
        s = Server(["%s=%s" % (o, p) for o, p in zone_files()],
                   extra=["--pidfile", pf])
        try:
            assert until(lambda: not os.path.islink(pf) and
                         held_by(pf) == s.proc.pid)
            with open(pf) as f:
                assert f.read() == "%d\n" % s.proc.pid
        finally:
            s.close()
        with open(victim) as f:
            assert f.read() == "precious\n"
        assert os.stat(victim).st_uid == 0
    finally:
        shutil.rmtree(d)
