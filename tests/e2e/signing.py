# SPDX-License-Identifier: GPL-3.0-or-later
"""Zones signed at test time, for the DNSSEC tests: keys made with
dnssec-keygen or ldns-keygen in a temporary directory, the zone signed with
dnssec-signzone or ldns-signzone, signatures valid from an hour ago to 30
days ahead. xdpdns never signs; it serves what these tools made."""
import base64
import os
import shutil
import subprocess
import time
from dataclasses import dataclass

import dns.rdata

# The variants the tests sign a zone in: (signer, algorithm, denial).
# denial: "nsec", "nsec3" (no salt, 0 extra iterations, RFC 9276) or
# "nsec3-optout" (the same with the opt-out flag: unsigned delegations
# get no NSEC3 of their own).
VARIANTS = {
    "nsec": ("bind", 13, "nsec"),
    "nsec3": ("bind", 13, "nsec3"),
    "nsec3-optout": ("bind", 13, "nsec3-optout"),
    "rsa-nsec": ("bind", 8, "nsec"),
    "ldns-nsec": ("ldns", 13, "nsec"),
}

INCEPTION_AGO = 3600
VALIDITY = 30 * 86400


@dataclass
class Signed:
    origin: str  # the zone's name, absolute, lower case
    path: str  # the signed zone file
    ksk: str  # the KSK's DNSKEY record, as text (owner ... DNSKEY 257 ...)
    anchor: str  # a delv -a file naming the KSK as a static trust anchor
    ds: str  # the KSK's DS record (SHA-256), for the parent zone
    denial: str  # "nsec", "nsec3" or "nsec3-optout"


def tools_missing(signer="bind"):
    """The tools a signer needs that are not installed (empty: none)."""
    tools = {"bind": ["dnssec-keygen", "dnssec-signzone", "dnssec-dsfromkey"],
             "ldns": ["ldns-keygen", "ldns-signzone", "dnssec-dsfromkey"]}
    return [t for t in tools[signer] if not shutil.which(t)]


def zone_origin(path):
    with open(path) as f:
        for line in f:
            if line.startswith("$ORIGIN"):
                return line.split()[1].lower()
    raise ValueError("%s: no $ORIGIN line" % path)


def _run(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" %
                           (" ".join(args), p.returncode, p.stdout,
                            p.stderr))
    return p.stdout


def _keygen(signer, alg, origin, ksk, d):
    """A key for origin in d; returns its base name (K<name>+<alg>+<id>)."""
    if signer == "bind":
        args = ["dnssec-keygen", "-q", "-K", d, "-a", str(alg), "-n", "ZONE"]
        if alg == 8:
            args += ["-b", "2048"]
        if ksk:
            args += ["-f", "KSK"]
        return _run(args + [origin], d).strip()
    args = ["ldns-keygen", "-a", {13: "ECDSAP256SHA256",
                                  8: "RSASHA256"}[alg]]
    if alg == 8:
        args += ["-b", "2048"]
    if ksk:
        args.append("-k")
    return _run(args + [origin], d).strip()


def _key_record(d, base):
    """The DNSKEY record of a key file, comments and blank lines left out."""
    with open(os.path.join(d, base + ".key")) as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith(";")]
    assert len(lines) == 1, lines
    return lines[0].strip()


def anchor_file(path, origin, ksk_record):
    """Write a delv -a file naming ksk_record as origin's static trust
    anchor (named.conf's trust-anchors syntax)."""
    fields = ksk_record.split()
    i = [f.upper() for f in fields].index("DNSKEY")
    key = dns.rdata.from_text("IN", "DNSKEY", " ".join(fields[i + 1:]))
    text = 'trust-anchors {\n\t"%s" static-key %d %d %d "%s";\n};\n' % (
        origin, key.flags, key.protocol, key.algorithm,
        base64.b64encode(key.key).decode())
    with open(path, "w") as f:
        f.write(text)
    return path


def sign_zone(src, d, variant="nsec", extra=()):
    """Sign the zone file src in directory d (which must exist) as variant
    names (VARIANTS); extra: records to add first (a child's DS).
    Returns a Signed."""
    signer, alg, denial = VARIANTS[variant]
    origin = zone_origin(src)
    ksk = _keygen(signer, alg, origin, True, d)
    zsk = _keygen(signer, alg, origin, False, d)
    unsigned = os.path.join(d, origin + "unsigned")
    shutil.copy(src, unsigned)
    with open(unsigned, "a") as f:
        f.write("\n")
        for rr in extra:
            f.write(rr + "\n")
        if signer == "bind":
            # dnssec-signzone signs with the keys named but publishes
            # only the DNSKEY records the zone holds.
            for base in (ksk, zsk):
                f.write(_key_record(d, base) + "\n")
    out = os.path.join(d, origin + "signed")
    now = int(time.time())
    start, end = now - INCEPTION_AGO, now + VALIDITY
    if signer == "bind":
        args = ["dnssec-signzone", "-q", "-K", d, "-o", origin, "-f", out,
                "-s", str(start), "-e", str(end), "-x"]
        if denial != "nsec":
            args += ["-3", "-", "-H", "0"]
        if denial == "nsec3-optout":
            args.append("-A")
        _run(args + [unsigned, ksk, zsk], d)
    else:
        assert denial == "nsec", "ldns variants here are NSEC only"
        _run(["ldns-signzone", "-o", origin, "-f", out, "-i", str(start),
              "-e", str(end), unsigned, ksk, zsk], d)
    ksk_rr = _key_record(d, ksk)
    ds = _run(["dnssec-dsfromkey", "-2", os.path.join(d, ksk + ".key")],
              d).strip()
    anchor = anchor_file(os.path.join(d, origin + "anchor"), origin, ksk_rr)
    return Signed(origin, out, ksk_rr, anchor, ds, denial)


def sign_family(zdir, d, variant="nsec"):
    """Sign the test zones of zdir (tests/zones/signed) in directory d: the
    child secure.signed.example. (NSEC, ECDSA, always), then
    signed.example. as variant with the child's DS added at the cut.
    insecure.signed.example. stays unsigned. Returns (parent Signed, child
    Signed, [(origin, file) of every zone to serve])."""
    os.makedirs(d, exist_ok=True)
    cdir = os.path.join(d, "child")
    pdir = os.path.join(d, "parent")
    os.makedirs(cdir)
    os.makedirs(pdir)
    child = sign_zone(os.path.join(zdir, "secure.signed.example.zone"),
                      cdir, "nsec")
    parent = sign_zone(os.path.join(zdir, "signed.example.zone"), pdir,
                       variant, extra=[child.ds])
    insecure = os.path.join(zdir, "insecure.signed.example.zone")
    zones = [(parent.origin, parent.path), (child.origin, child.path),
             (zone_origin(insecure), insecure)]
    return parent, child, zones

