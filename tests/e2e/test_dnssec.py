# SPDX-License-Identifier: GPL-3.0-or-later
"""DNSSEC serving, end to end: zones signed at test time (signing.py) in
every variant (NSEC, NSEC3, NSEC3 opt-out, RSA, signed by ldns), compiled
by xdpdns-zonec and served by xdpdns-server.

- delv, with the zone's KSK as its only trust anchor, must validate every
  answer the server gives: each name and type of the zones, empty
  non-terminals, names that do not exist and names under the wildcard.
  The same checks run against knotd serving the same signed files, which
  shows the checks themselves are right.
- Differential: the same DO=1 queries to the server and to knotd must give
  the same RCODE, flags, OPT, answer and authority sections; the
  differences allowed are listed in allowed_difference().
- DO=0 responses carry no DNSSEC records the query did not ask for.
- An answer that fits 512 bytes alone but not with its RRSIG is truncated
  when DO=1 (RFC 4035 section 3.1.1), as knotd does."""
import os
import random
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.zone
import pytest

import signing
from conftest import ZONEC, ZONES, Knotd, Server, need
from dnscompare import differing_sections, intended_difference, summary

SIGNED_ZONES = os.path.join(ZONES, "signed")
RRSIG = dns.rdatatype.RRSIG
DNSSEC_TYPES = {dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3}
# Types asked at every name in the differential test (delv asks the types
# each name has and one it has not).
DIFF_TYPES = ["A", "AAAA", "NS", "SOA", "MX", "TXT", "CNAME", "DS",
              "DNSKEY", "NSEC", "NSEC3PARAM", "SRV", "TYPE1234"]
ABSENT_CHOICES = ["A", "AAAA", "MX", "TXT", "SRV", "CAA", "SOA", "NS"]
DELV_WORKERS = 4
RANDOM_NAMES = 20
MAX_FAILURES = 8


class Model:
    """What the served zones hold, read back from the signed files with
    dnspython: which zone answers a query and whether the answer is
    positive, NODATA or NXDOMAIN, and synthesized from a wildcard."""

    def __init__(self, zones):
        self.zones = {}
        for origin, path in zones:
            o = dns.name.from_text(origin)
            self.zones[o] = dns.zone.from_file(path, origin=o,
                                               relativize=False,
                                               check_origin=False)

    def signed(self, origin):
        return self.zones[origin].get_rdataset(
            origin, dns.rdatatype.DNSKEY) is not None

    def zone_for(self, qname, rdtype=None):
        """The origin of the zone that answers qname/rdtype: the deepest
        one, but DS at a child's apex comes from the parent (RFC 4035
        section 3.1.4.1)."""
        cands = sorted((o for o in self.zones if qname.is_subdomain(o)),
                       key=len, reverse=True)
        if not cands:
            return None
        if rdtype == dns.rdatatype.DS and cands[0] == qname and \
                len(cands) > 1:
            return cands[1]
        return cands[0]

    @staticmethod
    def real_types(node):
        """The types a node holds as data (NSEC3 owner names hold only
        NSEC3 and its RRSIG: those are no names of the zone's data)."""
        if node is None:
            return set()
        return {rds.rdtype for rds in node.rdatasets
                if rds.rdtype not in (RRSIG, dns.rdatatype.NSEC3)}

    def names(self):
        """Every name with data and every empty non-terminal, sorted."""
        out = set()
        for o, z in self.zones.items():
            for name, node in z.nodes.items():
                if not self.real_types(node):
                    continue
                n = name
                while n != o:
                    out.add(n)
                    n = n.parent()
                out.add(o)
        return sorted(out)

    def exists(self, origin, name):
        z = self.zones[origin]
        if self.real_types(z.get_node(name)):
            return True
        return any(n.is_subdomain(name) and n != name and
                   self.real_types(z.get_node(n)) for n in z.nodes)

    def types_at(self, name):
        o = self.zone_for(name)
        t = self.real_types(self.zones[o].get_node(name))
        if name == o and self.zone_for(name, dns.rdatatype.DS) != o:
            t.add(dns.rdatatype.DS)
        return t

    def lookup(self, qname, rdtype):
        """(origin, kind, wildcard): kind "answer" (data or a CNAME),
        "nodata" or "nxdomain"."""
        o = self.zone_for(qname, rdtype)
        z = self.zones[o]
        node_types = self.real_types(z.get_node(qname))
        if node_types:
            hit = rdtype in node_types or dns.rdatatype.CNAME in node_types
            return o, "answer" if hit else "nodata", False
        if self.exists(o, qname):
            return o, "nodata", False
        ce = qname.parent()
        while ce != o and not self.exists(o, ce):
            ce = ce.parent()
        wild = z.get_node(dns.name.Name((b"*",) + ce.labels))
        wtypes = self.real_types(wild)
        if wtypes:
            hit = rdtype in wtypes or dns.rdatatype.CNAME in wtypes
            return o, "answer" if hit else "nodata", True
        return o, "nxdomain", False


class Family:
    """One variant of the signed zones, served by xdpdns-server (compiled)
    and by knotd (the signed files)."""

    def __init__(self, variant, d):
        self.variant = variant
        self.parent, self.child, self.zones = signing.sign_family(
            SIGNED_ZONES, d, variant)
        self.model = Model(self.zones)
        self.compiled = os.path.join(d, "zones.xdz")
        p = subprocess.run([ZONEC, "compile", "-o", self.compiled] +
                           ["%s=%s" % z for z in self.zones],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "zonec compile failed:\n" + p.stderr
        self.server = self.knotd = None
        try:
            self.server = Server([self.compiled])
            self.knotd = Knotd(self.zones)
        except BaseException:
            self.close()
            raise

    def close(self):
        for s in (self.server, self.knotd):
            if s:
                s.close()


@pytest.fixture(scope="module", params=list(signing.VARIANTS))
def family(request, tmp_path_factory):
    variant = request.param
    signer = signing.VARIANTS[variant][0]
    missing = signing.tools_missing(signer)
    need(not missing, "not installed: " + " ".join(missing))
    need(shutil.which("delv"), "delv not installed (Debian bind9-dnsutils)")
    need(os.path.exists(ZONEC), "build/xdpdns-zonec not built")
    f = Family(variant, str(tmp_path_factory.mktemp("dnssec-" + variant)))
    yield f
    f.close()


def random_label(rnd):
    n = rnd.randint(1, 12)
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                   for _ in range(n)).encode()


def random_names(model, rnd):
    """RANDOM_NAMES names that do not exist (under the apexes, empty
    non-terminals and names with data) and RANDOM_NAMES under the
    wildcard *.wild, each with a type."""
    apex = dns.name.from_text("signed.example.")
    wild = dns.name.from_text("wild.signed.example.")
    parents = [apex, apex, dns.name.from_text("c.signed.example."),
               dns.name.from_text("b.c.signed.example."),
               dns.name.from_text("www.signed.example."),
               dns.name.from_text("secure.signed.example."),
               dns.name.from_text("insecure.signed.example.")]
    types = ["A", "AAAA", "TXT", "MX"]
    nx, wc = [], []
    for _ in range(1000):
        if len(nx) >= RANDOM_NAMES:
            break
        name = dns.name.Name((random_label(rnd),) +
                             rnd.choice(parents).labels)
        t = rnd.choice(types)
        if model.lookup(name, dns.rdatatype.from_text(t))[1] == "nxdomain":
            nx.append((name, t))
    for _ in range(1000):
        if len(wc) >= RANDOM_NAMES:
            break
        labels = (random_label(rnd),)
        if rnd.random() < 0.25:
            labels += (random_label(rnd),)
        name = dns.name.Name(labels + wild.labels)
        t = rnd.choice(types)
        if model.lookup(name, dns.rdatatype.from_text(t))[2]:
            wc.append((name, t))
    assert len(nx) == len(wc) == RANDOM_NAMES
    return nx, wc


def delv_queries(model, variant):
    """(name, type) for every name and type the zones hold, one type each
    name has not, DS at each child's apex, and the random names."""
    rnd = random.Random("delv-" + variant)
    out = []
    for name in model.names():
        present = model.types_at(name)
        for t in sorted(present):
            out.append((name, dns.rdatatype.to_text(t)))
        absent = [t for t in ABSENT_CHOICES
                  if dns.rdatatype.from_text(t) not in present]
        out.append((name, rnd.choice(absent)))
    nx, wc = random_names(model, rnd)
    out += [(dns.name.from_text("nowhere.signed.example."), "A")]
    return out + nx + wc


def expected_status(model, variant, name, t):
    """delv's first line for name/t: validated, or unsigned in the zone
    that has no keys. Opt-out: a wildcard answer rests on an NSEC3 with
    the opt-out flag for the next closer name, so an unsigned delegation
    could be hidden there and validators (delv) call the answer insecure
    (RFC 5155 sections 6 and 8.8); knotd's answers get the same."""
    o, kind, wild = model.lookup(name, dns.rdatatype.from_text(t))
    neg = "; negative response, " if kind != "answer" else "; "
    if not model.signed(o):
        return neg + "unsigned answer"
    if wild and kind == "answer" and variant == "nsec3-optout":
        return "; unsigned answer"
    return neg + "fully validated"


def delv(port, signed, name, t):
    args = ["delv", "@127.0.0.1", "-p", str(port), "-a", signed.anchor,
            "+root=" + signed.origin, name.to_text(), t]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return args, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return args, str(e.stdout or ""), "timed out"


def dig_text(ask, name, t, payload=1232, do=True, tcp=False):
    """The response to name/t as text, for failure reports."""
    q = dns.message.make_query(name, t, use_edns=0, payload=payload,
                               want_dnssec=do)
    try:
        wire = ask(q.to_wire(), tcp=tcp)
    except OSError as e:
        return "(%s)" % e
    if wire is None:
        return "(no response)"
    try:
        return dns.message.from_wire(wire).to_text()
    except Exception as e:  # a response dnspython cannot parse
        return "(unparsable: %s) %s" % (e, wire.hex())


def run_delv(family, port, ask, who, every=1):
    """Run delv on the queries (every every-th one) in DELV_WORKERS
    threads, in order; stop at MAX_FAILURES failures (a server that
    fails them all would otherwise take minutes: delv retries) and report
    those with delv's output and the server's response."""
    qs = delv_queries(family.model, family.variant)[::every]
    assert len(qs) > 80 // every
    start = time.monotonic()
    failures, done = [], 0
    with ThreadPoolExecutor(DELV_WORKERS) as ex:
        futures = [ex.submit(delv, port, family.parent, n, t)
                   for n, t in qs]
        for (name, t), fut in zip(qs, futures):
            args, out, err = fut.result()
            done += 1
            want = expected_status(family.model, family.variant, name, t)
            lines = out.splitlines()
            got = lines[0] if lines else ""
            if got != want:
                failures.append((name, t, want, args, out, err))
            if len(failures) >= MAX_FAILURES:
                for f in futures:
                    f.cancel()
                break
    if failures:
        text = ["%s, %s: %d of the first %d of %d delv checks failed "
                "(%.1f s)" % (who, family.variant, len(failures), done,
                              len(qs), time.monotonic() - start)]
        for name, t, want, args, out, err in failures:
            text += ["", "%s %s: want %r" % (name, t, want),
                     "$ " + " ".join(args), out.rstrip(), err.rstrip(),
                     ";; %s's response (DO=1, 1232):" % who,
                     dig_text(ask, name, t)]
        pytest.fail("\n".join(text))


def test_delv_validates_server(family):
    """Every answer from xdpdns-server validates (or is unsigned where the
    zone is)."""
    run_delv(family, family.server.port, family.server.ask, "xdpdns-server")


def test_delv_validates_knotd(family):
    """The same checks against knotd serving the same files: proof that
    the checks and the zones are right. Every fourth query, to keep the
    run short (delv takes about 0.1 s of CPU a query);
    XDPDNS_DNSSEC_FULL=1 asks them all."""
    every = 1 if os.environ.get("XDPDNS_DNSSEC_FULL") == "1" else 4
    run_delv(family, family.knotd.port, family.knotd.ask, "knotd", every)


def diff_names(family):
    rnd = random.Random("diff-" + family.variant)
    nx, wc = random_names(family.model, rnd)
    return family.model.names() + [n for n, _ in nx[:8] + wc[:8]]


def make_wire(name, t, mode, qid):
    """mode: (DO, EDNS payload or None for no EDNS)."""
    do, payload = mode
    if payload is None:
        q = dns.message.make_query(name, t, use_edns=False)
    else:
        q = dns.message.make_query(name, t, use_edns=0, payload=payload,
                                   want_dnssec=do)
    q.id = qid
    q.flags = 0
    return q.to_wire()


def split_rrsigs(records):
    """(records that are no RRSIG, RRSIG records) of a summary section."""
    return ([r for r in records if r[2] != RRSIG],
            [r for r in records if r[2] == RRSIG])


def allowed_difference(ours, theirs, knot_tcp):
    """The differences from knotd allowed with DNSSEC, in the additional
    section only (RCODE, flags with TC, OPT, answer and authority must be
    the same):
    - docs/answers.md's intended difference (intended_difference()),
      judged on the records that are no RRSIG, knotd having left out
      records (data or signatures) it sends over TCP;
    - RRSIGs in the additional section: RFC 4035 section 3.1.1 asks for
      them with each additional RRset only as space permits and lets a
      server leave them out without setting TC, so ours may be fewer
      than knotd's; each we send must be one knotd sends over TCP (no size
      limit) and cover an RRset our additional section has;
    - the records of a truncated response (TC on both sides, with the same
      RCODE and OPT): a client asks again over TCP and does not use them,
      and knotd writes as many single records as fit while ours keeps whole
      RRsets with their signatures."""
    if not ours or not theirs or not knot_tcp:
        return False
    if "TC" in ours["flags"].split() and ours["flags"] == theirs["flags"]:
        return all(ours[k] == theirs[k] for k in ("rcode", "opt"))
    for k in ("rcode", "flags", "opt", "answer", "authority"):
        if ours[k] != theirs[k]:
            return False
    o_data, o_sigs = split_rrsigs(ours["additional"])
    t_data, _ = split_rrsigs(theirs["additional"])
    k_data, k_sigs = split_rrsigs(knot_tcp["additional"])
    if o_data != t_data:
        strip = {"additional": o_data}
        if not intended_difference(dict(ours, **strip),
                                   dict(theirs, additional=t_data),
                                   knot_tcp):
            return False
    covered = {(r[0], dns.rdatatype.to_text(r[2])) for r in o_data}
    for sig in o_sigs:
        if sig not in k_sigs:
            return False
        if (sig[0], sig[4].split()[0].upper()) not in covered:
            return False
    return True


DO_MODES = [(True, 1232), (True, 4096), (True, 512)]
PLAIN_MODES = [(False, 1232), (False, None)]


def compare(family, modes, types=DIFF_TYPES):
    failures, n = [], 0
    for name in diff_names(family):
        for t in types:
            for mode in modes:
                n += 1
                wire = make_wire(name, t, mode, n & 0xffff)
                ours = summary(family.server.ask(wire))
                theirs = summary(family.knotd.ask(wire))
                if ours == theirs:
                    continue
                tcp = summary(family.knotd.ask(wire, tcp=True))
                if allowed_difference(ours, theirs, tcp):
                    continue
                failures.append((name, t, mode, wire, ours, theirs))
    return failures, n


def report(family, failures, n):
    lines = ["%s: %d of %d queries differ from knotd" %
             (family.variant, len(failures), n)]
    shown = {}
    for f in failures:  # one query of each name and type
        shown.setdefault((f[0], f[1]), f)
    for name, t, mode, wire, ours, theirs in list(shown.values())[:10]:
        lines.append("")
        lines.append("%s %s DO=%d payload=%s" % (name, t, mode[0], mode[1]))
        lines.extend(differing_sections(ours, theirs))
        for who, s in (("xdpdns-server", family.server),
                       ("knotd", family.knotd)):
            r = s.ask(wire)
            lines.append(";; %s:" % who)
            lines.append(dns.message.from_wire(r).to_text() if r else
                         "(no response)")
    return "\n".join(lines)


def test_do_matches_knotd(family):
    """DO=1 with payloads 1232, 4096 and 512: same as knotd."""
    failures, n = compare(family, DO_MODES)
    assert n > 1000
    if failures:
        pytest.fail(report(family, failures, n))


def test_do0_matches_knotd(family):
    """DO=0 (EDNS without DO, and no EDNS) to the signed zones: same as
    knotd."""
    failures, n = compare(family, PLAIN_MODES)
    if failures:
        pytest.fail(report(family, failures, n))


def test_do0_has_no_dnssec_records(family):
    """Without DO, no RRSIG anywhere and no NSEC or NSEC3 in the answer
    or authority section, unless the query asks for that type (RFC 4035
    section 3.2.1 and 3.1.1: they go with DO=1 only); checked on both
    servers."""
    bad = []
    for name in diff_names(family):
        for t in DIFF_TYPES:
            asked = dns.rdatatype.from_text(t)
            for mode in PLAIN_MODES:
                wire = make_wire(name, t, mode, 7)
                for who, s in (("xdpdns-server", family.server),
                               ("knotd", family.knotd)):
                    r = s.ask(wire)
                    assert r is not None, (who, name, t, mode)
                    m = dns.message.from_wire(r)
                    for sec, rrsets in (("answer", m.answer),
                                        ("authority", m.authority),
                                        ("additional", m.additional)):
                        for rrset in rrsets:
                            if rrset.rdtype == asked:
                                continue
                            if rrset.rdtype == RRSIG or (
                                    sec != "additional" and
                                    rrset.rdtype in DNSSEC_TYPES):
                                bad.append("%s %s %s: %s %s" % (
                                    who, name, t, sec, rrset))
    assert not bad, "\n".join(bad[:20])


def test_truncation_with_rrsig(family):
    """big.signed.example. TXT fits 512 bytes alone but not with its
    RRSIG: DO=1 with payload 512 sets TC (RFC 4035 section 3.1.1: the
    answer's RRSIGs are mandatory, so TC rather than leave them out), as
    knotd does; without DO it is answered whole; with DO over TCP and with
    payload 1232 the answer has the TXT records and their RRSIG."""
    name = dns.name.from_text("big.signed.example.")
    cases = [((True, 512), True), ((False, 512), False),
             ((True, 1232), False)]
    for mode, tc in cases:
        wire = make_wire(name, "TXT", mode, 42)
        # knotd first: its passing shows the expectations are right.
        for who, s in (("knotd", family.knotd),
                       ("xdpdns-server", family.server)):
            r = s.ask(wire)
            assert r is not None, (who, mode)
            m = dns.message.from_wire(r)
            info = "%s DO=%d payload=%d:\n%s" % (who, mode[0], mode[1],
                                                 m.to_text())
            assert bool(m.flags & dns.flags.TC) == tc, info
            if tc:
                continue
            assert len(r) <= mode[1], info
            types = sorted(dns.rdatatype.to_text(x.rdtype)
                           for x in m.answer)
            assert types == (["RRSIG", "TXT"] if mode[0] else ["TXT"]), info
            txt = m.find_rrset(m.answer, name, dns.rdataclass.IN,
                               dns.rdatatype.TXT)
            assert len(txt) == 6, info
        assert summary(family.server.ask(wire)) == \
            summary(family.knotd.ask(wire)), (mode, dig_text(
                family.server.ask, name, "TXT", mode[1], mode[0]))


def test_tcp_matches_knotd(family):
    """Over TCP with DO=1 the large RRsets come whole with their RRSIGs,
    as from knotd."""
    for n in ("big", "huge", "@", "www", "nx-tcp", "foo.wild"):
        name = dns.name.from_text(n + ".signed.example.") if n != "@" \
            else dns.name.from_text("signed.example.")
        for t in ("TXT", "DNSKEY", "A"):
            wire = make_wire(name, t, (True, 1232), 9)
            ours = summary(family.server.ask(wire, tcp=True))
            theirs = summary(family.knotd.ask(wire, tcp=True))
            assert ours == theirs, "%s %s\n;; xdpdns-server:\n%s\n" \
                ";; knotd:\n%s" % (name, t, dig_text(
                    family.server.ask, name, t, tcp=True), dig_text(
                    family.knotd.ask, name, t, tcp=True))
