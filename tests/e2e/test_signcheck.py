# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of signed zones (lib/engine/signcheck.c): zones signed here
with dnssec-signzone (NSEC, NSEC3 with and without salt, opt-out) are
accepted, and copies broken the ways a signer's mistake or a hand edit
breaks them are refused with the exact message and file:line."""
import base64
import hashlib
import re
import shutil
import subprocess
import time

import pytest

from conftest import ZONEC, need

ZONE = """$ORIGIN example.
$TTL 3600
@	SOA	ns1 hostmaster 1 7200 3600 1209600 3600
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.80
www	AAAA	2001:db8::80
a.b.c	TXT	"deep"
*.w	TXT	"wild"
sub	NS	ns.sub
ns.sub	A	192.0.2.53
sec	NS	ns.sec
sec	DS	12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.sec	A	192.0.2.54
d.e	NS	ns1
"""

DAY = 86400


def stamp(t):
    """An RRSIG time as dnssec-signzone takes it."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(t))


def date(t):
    """An RRSIG time as the checks print it."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def b32hex(data):
    return base64.b32encode(data).translate(bytes.maketrans(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        b"0123456789ABCDEFGHIJKLMNOPQRSTUV")).decode()


def nsec3_hash(name, salt=b"", iterations=0):
    """RFC 5155 5, for the test's own view of the chain."""
    wire = b"".join(bytes([len(l)]) + l.encode()
                    for l in name.lower().rstrip(".").split(".")) + b"\0"
    h = hashlib.sha1(wire + salt).digest()
    for _ in range(iterations):
        h = hashlib.sha1(h + salt).digest()
    return b32hex(h)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    for tool in ("dnssec-keygen", "dnssec-signzone"):
        need(shutil.which(tool), tool + " not installed (Debian "
             "bind9-utils)")
    d = tmp_path_factory.mktemp("keys")
    for extra in (["-f", "KSK"], []):
        subprocess.run(["dnssec-keygen", "-q", "-K", str(d), "-a",
                        "ECDSAP256SHA256"] + extra + ["example."],
                       check=True, capture_output=True)
    (d / "example.zone").write_text(ZONE)
    return d


def sign(keys, out, *args):
    """Sign ZONE into out, one record a line (-O full); returns its lines.
    -P: no verification, which would refuse dates outside now. Run in
    out's directory, where it leaves its dsset- file."""
    subprocess.run(["dnssec-signzone", "-q", "-S", "-P", "-K", str(keys),
                    "-O", "full", "-o", "example.", "-f", str(out)] +
                   list(args) + [str(keys / "example.zone")],
                   check=True, capture_output=True, cwd=str(out.parent))
    return out.read_text().splitlines()


def check(path, *opts):
    r = subprocess.run([ZONEC, "check"] + list(opts) + ["example.=%s" % path],
                       capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def find(lines, owner, rtype, rdata=""):
    """The 1-based line of the one record owner/rtype whose data starts
    with rdata (RRSIGs: with the type covered)."""
    hits = [i + 1 for i, l in enumerate(lines)
            if re.match(r"%s\s+\d+\s+IN\s+%s\s+%s" % (
                re.escape(owner), rtype, re.escape(rdata)), l)]
    assert len(hits) == 1, (owner, rtype, rdata, hits)
    return hits[0]


def drop(lines, *numbers):
    return [l for i, l in enumerate(lines) if i + 1 not in numbers]


def refused(result, errors, *messages):
    """A check's (status, stdout, stderr): refused, with each message and
    exactly errors errors."""
    rc, _, err = result
    assert rc == 1, err
    for m in messages:
        assert m in err, (m, err)
    assert re.search(r"refused: %d error\(s\)" % errors, err), err


VARIANTS = {
    "nsec": [],
    "nsec3": ["-3", "-"],
    "nsec3-salt": ["-3", "AABBCCDD", "-H", "3"],
    "nsec3-optout": ["-3", "-", "-A"],
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_signed_zones_are_accepted(keys, tmp_path, variant):
    path = tmp_path / "example.zone"
    lines = sign(keys, path, *VARIANTS[variant])
    rc, out, err = check(path)
    records = sum(1 for l in lines if l and not l.startswith(";"))
    assert rc == 0, err
    assert out.startswith("example. serial 1, %d records: ok\n" % records)
    assert "error" not in err and "signature" not in err, err
    rc = subprocess.run([ZONEC, "compile", "-q", "-o", str(tmp_path / "c"),
                         "example.=%s" % path],
                        capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    assert (tmp_path / "c").stat().st_size > 0


def test_rrset_without_rrsig(keys, tmp_path):
    lines = sign(keys, tmp_path / "signed")
    lines = drop(lines, find(lines, "www.example.", "RRSIG", "A "))
    path = write(tmp_path / "z", lines)
    line = find(lines, "www.example.", "A")
    refused(check(path), 1,
            "%s:%d: error: A RRset at www.example. has no RRSIG from a "
            "DNSKEY of the apex\n    www.example. 3600 IN A 192.0.2.80\n"
            % (path, line))


def test_rrsig_of_an_unknown_key(keys, tmp_path):
    """The zone-signing key's DNSKEY gone: what it signed is unsigned."""
    lines = sign(keys, tmp_path / "signed")
    zsk = find(lines, "example.", "DNSKEY", "256 ")
    lines = drop(lines, zsk)
    path = write(tmp_path / "z", lines)
    signed = [l.split()[0] for l in lines if re.search(r"IN\s+RRSIG", l)]
    line = find(lines, "ns1.example.", "A")
    # Every RRset but the DNSKEY one, which the KSK signs too.
    refused(check(path), len(signed) - 2,
            "%s:%d: error: A RRset at ns1.example. has no RRSIG from a "
            "DNSKEY of the apex" % (path, line))


def nsec_line(lines, owner):
    return find(lines, owner, "NSEC")


def test_nsec_next_name_changed(keys, tmp_path):
    lines = sign(keys, tmp_path / "signed")
    n = nsec_line(lines, "ns1.example.")
    assert lines[n - 1].endswith("NSEC\tsec.example. A RRSIG NSEC")
    lines[n - 1] = lines[n - 1].replace("sec.example.", "www.example.")
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: NSEC next name is www.example.; the next name "
            "of the zone in canonical order is sec.example.\n" % (path, n))


def test_nsec_chain_not_closed(keys, tmp_path):
    lines = sign(keys, tmp_path / "signed")
    n = nsec_line(lines, "www.example.")
    lines[n - 1] = lines[n - 1].replace("NSEC\texample.", "NSEC\tns1.example.")
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: NSEC next name is ns1.example.; the last NSEC "
            "of the chain must name the apex example.\n" % (path, n))


def test_nsec_type_list_wrong(keys, tmp_path):
    lines = sign(keys, tmp_path / "signed")
    n = nsec_line(lines, "www.example.")
    assert lines[n - 1].endswith("NSEC\texample. A AAAA RRSIG NSEC")
    lines[n - 1] = lines[n - 1].replace("A AAAA", "A MX")
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: NSEC type list for www.example. is wrong: lists "
            "MX, not there; omits AAAA\n" % (path, n))


def test_nsec_missing(keys, tmp_path):
    lines = sign(keys, tmp_path / "signed")
    lines = drop(lines, nsec_line(lines, "ns1.example."),
                 find(lines, "ns1.example.", "RRSIG", "NSEC "))
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: no NSEC record at ns1.example.\n"
            % (path, find(lines, "ns1.example.", "A")))


def chain(lines):
    """The NSEC3 owner hashes of a signed zone, in hash order."""
    return sorted(l.split(".")[0] for l in lines
                  if re.search(r"IN\s+NSEC3\s", l))


def nsec3_drop(lines, name):
    """lines without name's NSEC3 and its RRSIG; the hash of name, the
    hash that should follow the NSEC3 before it now, and that NSEC3's
    line."""
    h = nsec3_hash(name)
    hashes = chain(lines)
    i = hashes.index(h)
    assert 0 < i < len(hashes) - 1, "pick a name inside the chain"
    owner = "%s.example." % h
    lines = drop(lines, find(lines, owner, "NSEC3"),
                 find(lines, owner, "RRSIG", "NSEC3 "))
    before = find(lines, "%s.example." % hashes[i - 1], "NSEC3")
    return lines, h, hashes[i + 1], before


@pytest.mark.parametrize("name", ["www.example.", "ns1.example."])
def test_nsec3_missing(keys, tmp_path, name):
    lines, h, nxt, before = nsec3_drop(sign(keys, tmp_path / "s", "-3", "-"),
                                       name)
    path = write(tmp_path / "z", lines)
    refused(check(path), 2,
            "%s:%d: error: NSEC3 next hashed owner is %s; the next hash of "
            "the chain is %s\n" % (path, before, h, nxt),
            "%s:%d: error: no NSEC3 for %s (hash %s)\n"
            % (path, find(lines, name, "A"), name, h))


@pytest.mark.parametrize("optout", [[], ["-A"]])
def test_nsec3_missing_for_empty_non_terminal(keys, tmp_path, optout):
    """c.example. holds nothing but a.b.c.example. is below it, which is
    no insecure delegation: opt-out does not cover it."""
    lines = sign(keys, tmp_path / "s", "-3", "-", *optout)
    lines, h, nxt, before = nsec3_drop(lines, "c.example.")
    path = write(tmp_path / "z", lines)
    refused(check(path), 2,
            "%s:%d: error: NSEC3 next hashed owner is %s" % (path, before, h),
            "%s:%d: error: no NSEC3 for the empty non-terminal c.example. "
            "(hash %s)\n    a.b.c.example. 3600 IN TXT \"deep\"\n"
            % (path, find(lines, "a.b.c.example.", "TXT"), h))


def test_nsec3_opt_out_cleared(keys, tmp_path):
    """Opt-out lets the NSEC3 chain leave out insecure delegations and
    the empty non-terminals only they make (e.example.); without the
    flag on the NSEC3 that covers them, each is missing."""
    lines = sign(keys, tmp_path / "s", "-3", "-", "-A")
    hashes = chain(lines)
    insecure = {"sub.example.": "NS", "d.e.example.": "NS",
                "e.example.": None}
    for name in insecure:
        assert nsec3_hash(name) not in hashes

    def cover(h):
        return max([x for x in hashes if x < h] or [hashes[-1]])
    c = cover(nsec3_hash("e.example."))
    n = find(lines, "%s.example." % c, "NSEC3")
    assert "NSEC3\t1 1 0 - " in lines[n - 1]
    lines[n - 1] = lines[n - 1].replace("NSEC3\t1 1 0 - ", "NSEC3\t1 0 0 - ")
    path = write(tmp_path / "z", lines)
    expect = []
    for name, rtype in insecure.items():
        if cover(nsec3_hash(name)) != c:
            continue
        if rtype:
            expect.append("%s:%d: error: no NSEC3 for %s (hash %s)\n" % (
                path, find(lines, name, rtype), name, nsec3_hash(name)))
        else:
            expect.append(
                "%s:%d: error: no NSEC3 for the empty non-terminal %s "
                "(hash %s)\n" % (path, find(lines, "d.e.example.", "NS"),
                                  name, nsec3_hash(name)))
    refused(check(path), len(expect), *expect)


@pytest.mark.parametrize("salt", ["-", "AABBCCDD"])
def test_nsec3param_iterations_changed(keys, tmp_path, salt):
    lines = sign(keys, tmp_path / "s", "-3", salt)
    n = find(lines, "example.", "NSEC3PARAM")
    assert lines[n - 1].endswith("NSEC3PARAM\t1 0 0 %s" % salt)
    lines[n - 1] = lines[n - 1].replace("1 0 0 ", "1 0 5 ")
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: NSEC3PARAM does not match the chain, whose NSEC3 "
            "records have 0 iterations and salt %s\n" % (path, n, salt))


def test_nsec3param_without_nsec3(keys, tmp_path):
    lines = sign(keys, tmp_path / "s", "-3", "-")
    lines = [l for l in lines if not re.search(r"IN\s+NSEC3\s", l) and
             not re.search(r"IN\s+RRSIG\s+NSEC3 ", l)]
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: NSEC3PARAM at the apex, but the zone has no "
            "NSEC3 records\n" % (path, find(lines, "example.", "NSEC3PARAM")))


def test_nsec_and_nsec3_mixed(keys, tmp_path):
    """NSEC3 zone with the NSEC records (and signatures) of the same zone
    signed with NSEC added at the end."""
    lines = sign(keys, tmp_path / "s", "-3", "-")
    nsec = sign(keys, tmp_path / "n")
    lines += [l for l in nsec if re.search(r"IN\s+NSEC\s", l) or
              re.search(r"IN\s+RRSIG\s+NSEC ", l)]
    path = write(tmp_path / "z", lines)
    refused(check(path), 1,
            "%s:%d: error: NSEC record in a zone with NSEC3 (NSEC3PARAM at "
            "the apex): one denial method per zone\n"
            % (path, find(lines, "example.", "NSEC")))


def rrsig_lines(lines):
    return [i + 1 for i, l in enumerate(lines) if re.search(r"IN\s+RRSIG", l)]


def test_signatures_expired(keys, tmp_path):
    now = int(time.time())
    end = now - DAY
    lines = sign(keys, tmp_path / "z", "-s", stamp(now - 30 * DAY),
                 "-e", stamp(end))
    path = tmp_path / "z"
    sigs = rrsig_lines(lines)
    refused(check(path), len(sigs),
            *["%s:%d: error: signature expired on %s\n" % (path, n, date(end))
              for n in sigs])


def test_signatures_not_valid_yet(keys, tmp_path):
    now = int(time.time())
    start = now + 10 * DAY
    lines = sign(keys, tmp_path / "z", "-s", stamp(start),
                 "-e", stamp(start + 30 * DAY))
    path = tmp_path / "z"
    sigs = rrsig_lines(lines)
    refused(check(path), len(sigs),
            *["%s:%d: error: signature not valid until %s\n"
              % (path, n, date(start)) for n in sigs])


def test_signatures_expiring_soon_are_warned_about(keys, tmp_path):
    """Served, with one warning at the first signature (in the file) of
    those expiring first; --sig-warn shortens the notice."""
    now = int(time.time())
    end = now + 3 * DAY
    lines = sign(keys, tmp_path / "z", "-s", stamp(now - 3600),
                 "-e", stamp(end))
    path = tmp_path / "z"
    sigs = rrsig_lines(lines)
    rc, out, err = check(path)
    assert rc == 0, err
    assert err.count("warning: signature") == 1, err
    assert ("%s:%d: warning: signature expires on %s, within 7 days (the "
            "first of %d signatures of example. that do)\n    example. 3600 "
            "IN RRSIG SOA " % (path, sigs[0], date(end), len(sigs))) in err
    assert out.endswith("1 warning(s)\n")
    rc, out, err = check(path, "--sig-warn", "2")
    assert rc == 0 and "signature" not in err and "warning" not in out, err
    rc, out, err = check(path, "--sig-warn", "4")
    assert rc == 0 and "within 4 days" in err, err


def test_now_option(keys, tmp_path):
    """--now moves the time signatures are checked at."""
    now = int(time.time())
    lines = sign(keys, tmp_path / "z", "-s", stamp(now - 3600),
                 "-e", stamp(now + 30 * DAY))
    path = tmp_path / "z"
    sigs = rrsig_lines(lines)
    assert check(path, "--now", str(now + 29 * DAY))[0] == 0
    refused(check(path, "--now", str(now + 31 * DAY)), len(sigs),
            "%s:%d: error: signature expired on %s\n"
            % (path, sigs[0], date(now + 30 * DAY)))
    refused(check(path, "--now", str(now - 2 * 3600)), len(sigs),
            "%s:%d: error: signature not valid until %s\n"
            % (path, sigs[0], date(now - 3600)))
    r = subprocess.run([ZONEC, "compile", "--now", str(now + 31 * DAY),
                        "-o", str(tmp_path / "c"), "example.=%s" % path],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "signature expired on" in r.stderr
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("opt", [["--sig-warn", "0"], ["--sig-warn", "x"],
                                 ["--now", "-5"]])
def test_bad_option_values(opt, tmp_path):
    r = subprocess.run([ZONEC, "check"] + opt + [str(tmp_path / "none")],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert opt[0] in r.stderr
