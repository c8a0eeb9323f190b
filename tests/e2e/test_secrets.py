# SPDX-License-Identifier: GPL-3.0-or-later
"""The DNS cookie secret: read from files only, never from a command line
(a watcher of /proc/*/cmdline never sees it while the server runs and the
loader sets it), the old forms refused with the option to use instead,
files others may read refused; cookies on out of the box with the default
secret, made once, root's and 0600, by whichever of the server and
'xdpdns-loader attach' starts first, so that the XDP program and the
server make the same cookie for a client (in a mount namespace of the
test's own, so that the machine's /var/lib is never touched)."""
import os
import shutil
import stat
import subprocess
import threading
import time

import dns.edns
import dns.message
import pytest

from conftest import (BUILD, LOADER, ROOT, ZONEC, ZONES, Server, moved,
                      need, secret_file)
from netns import NODE4, VethPair, ask, end_process

SERVER = os.path.join(BUILD, "xdpdns-server")
SECRET = "8c1f0e2d3b4a59687766554433221100"
BASIC = "basic.example.=" + os.path.join(ZONES, "basic.zone")


def server_refuses(*args):
    """xdpdns-server with args: its exit status and standard error."""
    r = subprocess.run([SERVER, "--listen", "127.0.0.1:1", *args, BASIC],
                       capture_output=True, text=True, timeout=20)
    return r.returncode, r.stderr


# ---- the server's options ----------------------------------------------

@pytest.mark.parametrize("args, option", [
    (["--cookie-secret", SECRET], "--cookie-secret"),
    (["--cookie-secret=" + SECRET], "--cookie-secret"),
    (["--cookie-secret-previous", SECRET], "--cookie-secret-previous"),
])
def test_server_refuses_a_secret_on_the_command_line(args, option):
    rc, err = server_refuses(*args)
    assert rc == 2, err
    assert ("xdpdns-server: %s takes no secret any more (a command line is "
            "visible to every user in /proc): put the 32 hex digits in a "
            "file only root may read (chmod 600) and give %s-file FILE\n"
            % (option, option)) in err, err


@pytest.mark.parametrize("name", ["cookie-secret", "cookie-secret-previous"])
def test_server_refuses_a_secret_in_its_config_file(tmp_path, name):
    conf = tmp_path / "server.conf"
    conf.write_text("nsid = a\n%s = %s\n" % (name, SECRET))
    rc, err = server_refuses("--config", str(conf))
    assert rc == 2, err
    assert "%s:2: %s takes no secret any more" % (conf, name) in err, err
    assert "give %s-file = FILE" % name in err, err


def test_server_refuses_unfit_secret_files(tmp_path):
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    user = ["--user", "root"] if os.geteuid() == 0 else []
    for mode in (0o640, 0o604, 0o660):
        os.chmod(path, mode)
        rc, err = server_refuses(*user, "--cookie-secret-file", str(path))
        assert rc == 1, err
        assert ("xdpdns-server: cookie secret: %s is open to group or "
                "others (mode %04o): a secret is for its owner alone: run "
                "'chmod 600 %s'\n" % (path, mode, path)) == err, err
    os.chmod(path, 0o600)
    os.symlink(path, tmp_path / "link")
    rc, err = server_refuses(*user, "--cookie-secret-file",
                             str(tmp_path / "link"))
    assert rc == 1 and "is a symbolic link" in err, err
    rc, err = server_refuses(*user, "--cookie-secret-file",
                             str(tmp_path / "missing"))
    assert rc == 1, err
    assert ("cookie secret: %s: no such file (only the default file, "
            "/var/lib/xdpdns/cookie-secret, is made when missing)"
            % (tmp_path / "missing")) in err, err
    (tmp_path / "short").write_text(SECRET[:30] + "\n")
    os.chmod(tmp_path / "short", 0o600)
    rc, err = server_refuses(*user, "--cookie-secret-previous-file",
                             str(tmp_path / "short"),
                             "--cookie-secret-file", str(path))
    assert rc == 1, err
    assert ("previous cookie secret: %s: expected 32 hex digits on one "
            "line (a 16-byte secret), found 30 bytes" % (tmp_path / "short")
            ) in err, err
    assert SECRET[:30] not in err


# ---- the loader ----------------------------------------------------------

def loader(*args):
    return subprocess.run([LOADER, *args], capture_output=True, text=True,
                          timeout=30)


@pytest.fixture(scope="module")
def pair():
    need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
    need(os.path.exists(LOADER), "build/xdpdns-loader not built")
    p = VethPair()
    yield p
    loader("detach", "--dev", p.node)
    p.close()


def test_loader_secret_from_files_only(pair, tmp_path):
    dev = pair.node
    # Attach with a secret others may read: refused, nothing attached.
    bad = tmp_path / "bad"
    bad.write_text(SECRET + "\n")
    os.chmod(bad, 0o640)
    r = loader("attach", "--dev", dev, "--cookie-secret-file", str(bad))
    assert r.returncode == 1
    assert ("xdpdns-loader: cookie secret: %s is open to group or others "
            "(mode 0640)" % bad) in r.stderr, r.stderr
    assert not os.path.exists("/sys/fs/bpf/xdpdns/" + dev)
    r = loader("attach", "--dev", dev, "--cookie-secret-file",
               str(tmp_path / "missing"))
    assert r.returncode == 1 and "no such file (only the default file" in \
        r.stderr, r.stderr

    r = loader("attach", "--dev", dev, "--no-cookies")
    assert r.returncode == 0, r.stderr
    assert "cookies: off (--no-cookies)" in r.stdout
    assert "  cookies off\n" in loader("status", "--dev", dev).stdout
    # Cookies without a secret: refused.
    r = loader("config", "--dev", dev, "set", "cookies=on")
    assert r.returncode == 2
    assert "cookies=on needs cookie-secret-file=PATH" in r.stderr
    # A secret on the command line: refused, with the key to use.
    for key in ("cookie-secret", "cookie-secret-previous"):
        r = loader("config", "--dev", dev, "set", "rrl-slip=1",
                   "%s=%s" % (key, SECRET), "cookies=on")
        assert r.returncode == 2
        assert ("xdpdns-loader: %s=%s: a secret is not given on the "
                "command line, which every user can read in /proc: put "
                "the 32 hex digits in a file only root may read (chmod "
                "600) and set %s-file=PATH; nothing changed\n"
                % (key, SECRET, key)) == r.stderr, r.stderr
    r = loader("config", "--dev", dev, "set", "cookie-secret-file=" +
               str(bad), "cookies=on")
    assert r.returncode == 2 and "chmod 600 %s" % bad in r.stderr
    assert loader("config", "--dev", dev, "get").stdout.count(
        "=none\n") == 2  # cookie-secret, cookie-secret-previous
    assert "rrl-slip=2" in loader("config", "--dev", dev, "get").stdout

    # From a file: set, and never printed back.
    r = loader("config", "--dev", dev, "set",
               "cookie-secret-file=" + secret_file(SECRET), "cookies=on",
               "cookie-secret-previous-file=" + secret_file())
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("cookie-secret=(set)\ncookies=on\n"
                        "cookie-secret-previous=(set)\n"), r.stdout
    assert "  cookies on, previous secret still accepted\n" in \
        loader("status", "--dev", dev).stdout
    r = loader("config", "--dev", dev, "set",
               "cookie-secret-previous-file=none")
    assert r.stdout == "cookie-secret-previous=none\n", r.stdout
    loader("detach", "--dev", dev)


def test_secret_never_on_a_command_line(pair):
    """While the server runs and the loader sets the secret again and
    again, every /proc/*/cmdline is read: the secret's digits never show,
    the secret file's path does (so the watcher saw them)."""
    dev = pair.node
    path = secret_file(SECRET)
    assert loader("attach", "--dev", dev, "--cookie-secret-file",
                  path).returncode == 0
    server = Server([BASIC], extra=["--cookie-secret-file", path])
    seen = {"server": 0, "loader": 0, "secret": []}
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(
                            errors="replace")
                except OSError:
                    continue
                if SECRET in cmd.lower():
                    seen["secret"].append(cmd)
                if path in cmd and "xdpdns-server" in cmd:
                    seen["server"] += 1
                if path in cmd and "xdpdns-loader" in cmd:
                    seen["loader"] += 1
    t = threading.Thread(target=watch)
    t.start()
    try:
        deadline = time.monotonic() + 20
        runs = 0
        while (runs < 50 or not seen["loader"]) and \
                time.monotonic() < deadline:
            r = loader("config", "--dev", dev, "set",
                       "cookie-secret-file=" + path,
                       "cookie-secret-previous-file=" + path)
            assert r.returncode == 0, r.stderr
            runs += 1
    finally:
        done.set()
        t.join()
        server.close()
        loader("detach", "--dev", dev)
    assert not seen["secret"], seen["secret"][:3]
    assert seen["server"] > 0 and seen["loader"] > 0, seen


# ---- cookies out of the box ----------------------------------------------

def cookie_query(cc, server_cookie=b""):
    m = dns.message.make_query("www.basic.example.", "A")
    m.flags = 0
    m.id = 4242
    m.use_edns(0, 0, 1232,
               options=[dns.edns.GenericOption(10, cc + server_cookie)])
    return m.to_wire()


def cookie_of(wire):
    m = dns.message.from_wire(wire)
    opts = [o.to_wire() for o in m.options if o.otype == 10]
    assert len(opts) == 1 and m.answer, m
    return opts[0]


def test_default_secret_shared_by_xdp_and_server(pair):
    """A plain 'xdpdns-loader attach' and a plain server start (as root,
    becoming xdpdns), at the same time, on a node whose /var/lib is empty
    (a tmpfs in a mount namespace of the test's): one of them makes
    /var/lib/xdpdns/cookie-secret (0600 in 0700, root's), both use it,
    and the XDP program and the server give the same reply, server cookie
    included, to the same query; each accepts the other's cookie."""
    need(os.geteuid() == 0, "needs root (mount namespace, XDP)")
    need(shutil.which("unshare") and shutil.which("nsenter"),
         "unshare/nsenter (util-linux) missing")
    try:
        import pwd
        pwd.getpwnam("xdpdns")
    except KeyError:
        need(False, "no user xdpdns (scripts/deps.sh test makes it)")
    existed = os.path.exists("/var/lib/xdpdns")
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         "mount -t tmpfs -o mode=0755 xdpdns-test /var/lib && echo ready "
         "&& exec sleep 600"], stdout=subprocess.PIPE, text=True)
    server = client = None
    attached = False
    ns = ["nsenter", "--mount=/proc/%d/ns/mnt" % holder.pid, "--"]
    try:
        assert holder.stdout.readline().strip() == "ready"
        lib = "/proc/%d/root/var/lib" % holder.pid
        assert os.listdir(lib) == []
        server = subprocess.Popen(
            ns + [SERVER, "--workers", "1", "--listen", NODE4 + ":53",
                  BASIC], stderr=subprocess.PIPE, text=True)
        attach = subprocess.run(ns + [LOADER, "attach", "--dev", pair.node,
                                      "--memory", "16"],
                                capture_output=True, text=True, timeout=60)
        assert attach.returncode == 0, attach.stderr
        attached = True
        log = ""
        deadline = time.monotonic() + 20
        while "serving on" not in log and time.monotonic() < deadline:
            line = server.stderr.readline()
            assert line, "the server stopped: " + log
            log += line
        made = ["made a new cookie secret" in attach.stdout,
                "made a new cookie secret" in log]
        assert sum(made) == 1, (attach.stdout, log)
        assert "cookies: on, secret from /var/lib/xdpdns/cookie-secret" \
            in attach.stdout
        assert "as xdpdns" in log

        d = os.path.join(lib, "xdpdns")
        f = os.path.join(d, "cookie-secret")
        assert os.listdir(d) == ["cookie-secret"]
        ds, fs = os.stat(d), os.lstat(f)
        assert stat.S_IMODE(ds.st_mode) == 0o700 and ds.st_uid == 0
        assert stat.S_ISREG(fs.st_mode) and fs.st_uid == 0 and \
            fs.st_gid == 0 and stat.S_IMODE(fs.st_mode) == 0o600
        with open(f) as fh:
            text = fh.read()
        assert len(text) == 33 and text.endswith("\n")
        int(text[:32], 16)

        subprocess.run(ns + [ZONEC, "apply", "--dev", pair.node, "-q",
                             BASIC], check=True, capture_output=True)
        client = subprocess.Popen(
            ["ip", "netns", "exec", pair.ns, "/usr/bin/python3",
             os.path.join(ROOT, "tests", "e2e", "udp_client.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        cc = bytes.fromhex("2464c4abcf10c957")
        stats = (lambda: loader_counters_in(ns, pair.node))
        # UDP: the XDP program answers; TCP: the server. The same second
        # gives the same bytes (a second boundary between them: again).
        for _ in range(5):
            before = stats()
            by_xdp = ask(client, NODE4, cookie_query(cc))
            m = moved(before, stats())
            by_server = ask(client, NODE4, cookie_query(cc), tcp=True)
            assert by_xdp and by_server, (by_xdp, by_server, m)
            if cookie_of(by_xdp)[12:16] == cookie_of(by_server)[12:16]:
                break
        assert m.get("answer_positive") == 1, m
        xc, sc = cookie_of(by_xdp), cookie_of(by_server)
        assert xc[:8] == cc and len(xc) == 24 and xc[8] == 1
        assert xc == sc and by_xdp == by_server
        # The server takes the program's cookie as its own (sent back
        # unchanged), and the program the server's (counted valid).
        assert cookie_of(ask(client, NODE4, cookie_query(cc, xc[8:]),
                             tcp=True)) == xc
        before = stats()
        assert cookie_of(ask(client, NODE4, cookie_query(cc, sc[8:]))) == sc
        m = moved(before, stats())
        assert m.get("seen_cookie_valid") == 1 and \
            m.get("answer_positive") == 1, m
    finally:
        end_process(client)
        if server:
            server.terminate()
            server.wait(timeout=10)
        if attached:
            subprocess.run(ns + [LOADER, "detach", "--dev", pair.node],
                           capture_output=True)
        holder.kill()
        holder.wait()
    # Nothing of it outside the namespace.
    assert os.path.exists("/var/lib/xdpdns") == existed


def loader_counters_in(ns, dev):
    import json
    out = subprocess.run(ns + [LOADER, "stats", "--dev", dev, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["counters"]
