# SPDX-License-Identifier: GPL-3.0-or-later
"""xdpdns-server on loopback: the same bytes as the answer engine over UDP
and TCP, RFC 8906 behaviour, TCP per RFC 7766 (pipelining, idle timeout,
connection cap), truncation over UDP completed over TCP, NSID, SIGHUP
reloads that keep the old zones when the new ones are refused, a compiled
file written over in place that changes nothing until SIGHUP, and the pid
file removed at a clean stop after the drop to --user."""
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
from conftest import ZONEC, Server, _recv_all, need, zone_files
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
               extra=["--cookie-secret", secret])
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


def pidfile_server(d):
    """A server started as root that drops to nobody, with its pid file in
    directory d; the pid file's path."""
    need(os.geteuid() == 0, "needs root (to drop to another user)")
    pf = os.path.join(d, "server.pid")
    s = Server(["%s=%s" % (o, p) for o, p in zone_files()],
               extra=["--user", "nobody", "--pidfile", pf])
    # It answers once its sockets listen, a moment before it writes the
    # pid file (and blocks the signals that stop it): wait for the file,
    # a file of its own with its pid, given to the user.
    nobody = pwd.getpwnam("nobody").pw_uid

    def written():
        try:
            st = os.lstat(pf)
            with open(pf) as f:
                return stat.S_ISREG(st.st_mode) and st.st_uid == nobody \
                    and f.read() == "%d\n" % s.proc.pid
        except OSError:
            return False
    if not until(written):
        s.close()
        raise AssertionError("the server wrote no pid file of its own")
    return s, pf


def test_pidfile_removed_after_the_drop():
    """Written as root, given to the user the server drops to, and removed
    by that user at SIGTERM: here from a sticky directory such as /tmp,
    where only the file's owner may remove it."""
    d = tempfile.mkdtemp(prefix="xdpdns-pid-", dir="/tmp")
    try:
        os.chmod(d, 0o1777)
        s, pf = pidfile_server(d)
        try:
            with open(pf) as f:
                assert f.read() == "%d\n" % s.proc.pid
            assert os.stat(pf).st_uid == pwd.getpwnam("nobody").pw_uid
        finally:
            s.close()
        assert s.proc.returncode == 0, s.proc.stderr.read()
        assert not os.path.exists(pf), "the pid file is left after a stop"
    finally:
        shutil.rmtree(d)


def test_pidfile_never_follows_a_link():
    """A symlink left where the pid file goes (the user may write to the
    directory) is replaced, not followed: the file it points to is neither
    truncated nor given to the user."""
    d = tempfile.mkdtemp(prefix="xdpdns-pid-", dir="/tmp")
    try:
        os.chmod(d, 0o1777)
        victim = os.path.join(d, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.symlink(victim, os.path.join(d, "server.pid"))
        s, pf = pidfile_server(d)
        try:
            assert not os.path.islink(pf)
            with open(pf) as f:
                assert f.read() == "%d\n" % s.proc.pid
        finally:
            s.close()
        with open(victim) as f:
            assert f.read() == "precious\n"
        assert os.stat(victim).st_uid == 0
    finally:
        shutil.rmtree(d)


def test_pidfile_emptied_where_it_cannot_be_removed():
    """In a directory only root may write to (as /run), the user cannot
    remove the file: it is emptied, so that no stale pid is left to be
    signalled, and the stop says why."""
    d = tempfile.mkdtemp(prefix="xdpdns-pid-", dir="/tmp")
    try:
        os.chmod(d, 0o755)
        s, pf = pidfile_server(d)
        s.close()
        assert s.proc.returncode == 0
        with open(pf) as f:
            assert f.read() == ""
        assert "emptied it instead" in s.proc.stderr.read()
    finally:
        shutil.rmtree(d)
