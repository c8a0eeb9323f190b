# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures for the end-to-end tests: paths, the engine over a pipe,
knotd on loopback with the test zones."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import dns.message
import dns.rdatatype
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
ZONES = os.path.join(ROOT, "tests", "zones")
IN_CI = (os.environ.get("XDPDNS_CI") == "1" or
         os.environ.get("CI") == "true")
LOADER = os.path.join(BUILD, "xdpdns-loader")
ZONEC = os.path.join(BUILD, "xdpdns-zonec")

# The cookie secret the tests give the server and 'xdpdns-loader attach'
# (--cookie-secret-file), so that no test makes the default file
# (/var/lib/xdpdns/cookie-secret) on the machine it runs on; the default
# file itself is made in a mount namespace of its own (test_secrets.py).
TEST_SECRET = "5d3a1c6e0b9f42e8a7c1d2b3e4f50617"
_secret_files = {}


def secret_file(hexdigits=TEST_SECRET):
    """A cookie secret file holding hexdigits, 0600, the caller's: one per
    value for the whole run (its name does not tell the secret), removed
    at exit."""
    import atexit
    if not _secret_files:
        d = tempfile.mkdtemp(prefix="xdpdns-secret-")
        _secret_files[None] = d
        atexit.register(shutil.rmtree, d, True)
    if hexdigits not in _secret_files:
        path = os.path.join(_secret_files[None],
                            "secret-%d" % len(_secret_files))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (hexdigits + "\n").encode())
        os.close(fd)
        _secret_files[hexdigits] = path
    return _secret_files[hexdigits]


def attach_args():
    """What every test's 'xdpdns-loader attach' adds: the test secret."""
    return ["--cookie-secret-file", secret_file()]


def loader_counters(dev):
    """The XDP program's counters on dev, by name (xdpdns-loader stats)."""
    import json
    out = subprocess.run([LOADER, "stats", "--dev", dev, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["counters"]


def rrl_off(dev, prefix=()):
    """Rate limiting off on dev's program (on from attach): for the tests
    that send many queries from one address and are not about limits.
    prefix: a command to run the loader under (a namespace's)."""
    subprocess.run(list(prefix) + [LOADER, "config", "--dev", dev, "set",
                                   "rrl=off"],
                   check=True, capture_output=True)


def attach_stats(attach):
    """The counters of a tests/xdp-attach process, by name (its "stats"
    command)."""
    attach.stdin.write("stats\n")
    attach.stdin.flush()
    line = attach.stdout.readline().strip()
    return {k: int(v) for k, v in (f.split("=") for f in line.split())}


def moved(before, after):
    """The counters that changed between two readings, by how much."""
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def need(condition, reason):
    """Skip (outside CI) or fail (in CI) when a prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail("prerequisite missing in CI: " + reason)
    pytest.skip(reason)


def zone_files():
    """(zone name, file) for every test zone; the apex is its $ORIGIN."""
    out = []
    for f in sorted(os.listdir(ZONES)):
        if not f.endswith(".zone"):
            continue
        path = os.path.join(ZONES, f)
        origin = None
        with open(path) as fh:
            for line in fh:
                if line.startswith("$ORIGIN"):
                    origin = line.split()[1]
                    break
        out.append((origin, path))
    return out


class Engine:
    """The answer engine behind tests/engine-pipe."""

    def __init__(self, sources):
        exe = os.path.join(BUILD, "tests", "engine-pipe")
        need(os.path.exists(exe), "build/tests/engine-pipe not built")
        self.proc = subprocess.Popen([exe] + sources, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)

    def ask(self, wire, tcp=False):
        frame = bytes([1 if tcp else 0]) + wire
        self.proc.stdin.write(struct.pack("!H", len(frame)) + frame)
        self.proc.stdin.flush()
        n = struct.unpack("!H", self._read(2))[0]
        return self._read(n) if n else None

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.proc.stdout.read(n - len(data))
            if not chunk:
                raise RuntimeError("engine-pipe exited")
            data += chunk
        return data

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def engine():
    specs = ["%s=%s" % (o, p) for o, p in zone_files()]
    e = Engine(specs)
    yield e
    e.close()


class Knotd:
    """knotd serving the test zones on 127.0.0.1, in a private directory."""

    def __init__(self, zones):
        need(shutil.which("knotd"), "knotd not installed (Debian knot)")
        self.dir = tempfile.mkdtemp(prefix="xdpdns-knot-")
        self.port = free_port()
        zdir = os.path.join(self.dir, "zones")
        os.makedirs(zdir)
        os.makedirs(os.path.join(self.dir, "run"))
        os.makedirs(os.path.join(self.dir, "db"))
        conf = [
            "server:",
            "    rundir: %s/run" % self.dir,
            "    listen: 127.0.0.1@%d" % self.port,
            "    udp-workers: 1",
            "    tcp-workers: 1",
            "    background-workers: 1",
            "database:",
            "    storage: %s/db" % self.dir,
            "log:",
            "  - target: stderr",
            "    any: error",
            "template:",
            "  - id: default",
            "    storage: %s" % zdir,
            "    semantic-checks: off",
            "    zonefile-sync: -1",
            "    zonefile-load: whole",
            "    journal-content: none",
            "zone:",
        ]
        for origin, path in zones:
            shutil.copy(path, zdir)
            conf.append("  - domain: %s" % origin)
            conf.append("    file: %s" % os.path.basename(path))
        self.conf = os.path.join(self.dir, "knot.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.log = open(os.path.join(self.dir, "knotd.log"), "w")
        self.proc = subprocess.Popen(["knotd", "-c", self.conf],
                                     stdout=self.log, stderr=self.log)
        self._wait([o for o, _ in zones])

    def _wait(self, origins):
        deadline = time.monotonic() + 20
        pending = list(origins)
        while pending and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("knotd exited: " + self.logtext())
            q = dns.message.make_query(pending[0], "SOA")
            r = self.ask(q.to_wire(), timeout=0.5)
            if r and dns.message.from_wire(r).answer:
                pending.pop(0)
            else:
                time.sleep(0.1)
        if pending:
            raise RuntimeError("knotd did not load %s: %s" %
                               (pending, self.logtext()))

    def logtext(self):
        self.log.flush()
        with open(os.path.join(self.dir, "knotd.log")) as f:
            return f.read()[-2000:]

    def ask(self, wire, tcp=False, timeout=2.0):
        if tcp:
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=timeout) as s:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                n = struct.unpack("!H", _recv_all(s, 2))[0]
                return _recv_all(s, n)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(wire, ("127.0.0.1", self.port))
            try:
                return s.recv(65535)
            except socket.timeout:
                return None

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _recv_all(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    return data


@pytest.fixture(scope="session")
def knotd():
    k = Knotd(zone_files())
    yield k
    k.close()


from netns import (CLIENT4, CLIENT6, NODE4, NODE6, VethPair, ask,  # noqa: E402,F401
                   free_port, query, sh)


class Server:
    """xdpdns-server on loopback (or given addresses) with the test zones,
    in the foreground, stopped at close(). Rate limiting off unless rrl
    (the tests send many queries from one address)."""

    def __init__(self, sources, listen=None, extra=(), port=None,
                 quiet=True, rrl=False):
        exe = os.path.join(BUILD, "xdpdns-server")
        need(os.path.exists(exe), "build/xdpdns-server not built")
        self.port = port or free_port()
        listen = listen or ["127.0.0.1:%d" % self.port]
        # Ready when its first address takes a TCP connection.
        self.addr = listen[0].rsplit(":", 1)[0].strip("[]")
        args = [exe, "--workers", "1"] + (["--quiet"] if quiet else [])
        if not rrl:
            args += ["--option", "rrl=off"]
        for a in listen:
            args += ["--listen", a]
        if os.geteuid() == 0:
            args += ["--user", "root"]  # the test's files stay readable
        if not any(a.startswith("--cookie-secret") for a in extra):
            args += ["--cookie-secret-file", secret_file()]
        self.proc = subprocess.Popen(args + list(extra) + list(sources),
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("xdpdns-server exited: " +
                                   self.proc.stderr.read())
            try:
                with socket.create_connection((self.addr, self.port),
                                              timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.close()  # never leave it running behind a failed test
        raise RuntimeError("xdpdns-server did not start")

    def ask(self, wire, tcp=False, timeout=2.0):
        if tcp:
            with socket.create_connection((self.addr, self.port),
                                          timeout=timeout) as s:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                n = struct.unpack("!H", _recv_all(s, 2))[0]
                return _recv_all(s, n)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(wire, (self.addr, self.port))
            try:
                return s.recv(65535)
            except socket.timeout:
                return None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
