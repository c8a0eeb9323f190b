# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential test: the answer engine against knotd, same zones, same
query bytes. For every name in the test zones (empty non-terminals
included), a nonexistent child of each, names under each wildcard and below
each zone cut, times a list of types, with and without EDNS, the two
responses must agree on RCODE, flags, OPT and every section as a set of
records. The intended difference is listed in docs/answers.md and checked by
intended_difference() in dnscompare.py, with the RFCs that allow it."""
import random

import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.zone
import pytest

from conftest import zone_files
from dnscompare import differing_sections, intended_difference, summary

TYPES = ["A", "AAAA", "NS", "SOA", "MX", "TXT", "CNAME", "SRV", "CAA",
         "ANY", "DS", "TYPE1234"]


def all_names():
    names = set()
    wild_parents, cuts = set(), set()
    for origin, path in zone_files():
        apex = dns.name.from_text(origin)
        z = dns.zone.from_file(path, origin=apex, relativize=False,
                               check_origin=False)
        for name, node in z.nodes.items():
            n = name
            while n != apex and n.is_subdomain(apex):
                names.add(n)
                n = n.parent()
            names.add(apex)
            if name.labels[0] == b"*":
                wild_parents.add(name.parent())
            if name != apex and node.get_rdataset(1, dns.rdatatype.NS):
                cuts.add(name)
    extra = set()
    for n in names:
        if n.labels[0] != b"*":
            extra.add(dns.name.Name((b"nx-child",) + n.labels))
    for w in wild_parents:
        extra.add(dns.name.Name((b"foo",) + w.labels))
        extra.add(dns.name.Name((b"a", b"b") + w.labels))
    for c in cuts:
        extra.add(dns.name.Name((b"host",) + c.labels))
        extra.add(dns.name.Name((b"a", b"b") + c.labels))
    extra.add(dns.name.from_text("www.example.org."))
    extra.add(dns.name.from_text("example."))
    return sorted(names | extra)


def queries():
    rnd = random.Random(1)
    out = []
    for name in all_names():
        for t in TYPES:
            for edns in (None, 1232):
                out.append((name, t, edns))
    # Case kept as sent (0x20), and small/large buffers on the big names.
    for name in all_names():
        text = "".join(c.upper() if rnd.random() < 0.5 else c
                       for c in name.to_text())
        out.append((dns.name.from_text(text), "A", None))
    for name in all_names()[::7]:
        out.append((name, "A", "do"))
    for n in ("many", "bigtxt", "alias", "mx", "big", "huge",
              "host.big", "x.big"):
        for edns in (0, 512, 600, 1232, 4096):
            for t in ("A", "TXT", "MX", "NS"):
                out.append((dns.name.from_text(n + ".trunc.example."), t,
                            edns))
    return out


def make_wire(name, t, edns, qid):
    if edns == "do":
        q = dns.message.make_query(name, t, want_dnssec=True)
    else:
        q = dns.message.make_query(name, t, use_edns=edns is not None,
                                   payload=edns or 1232)
    q.id = qid
    q.flags = dns.flags.RD if qid % 3 == 0 else 0
    return q.to_wire()


def test_engine_matches_knotd(engine, knotd):
    failures = []
    qs = queries()
    assert len(qs) > 3000
    for i, (name, t, edns) in enumerate(qs):
        wire = make_wire(name, t, edns, i & 0xffff)
        ours = summary(engine.ask(wire))
        theirs = summary(knotd.ask(wire))
        if ours == theirs:
            continue
        tcp = summary(knotd.ask(wire, tcp=True))
        if intended_difference(ours, theirs, tcp):
            continue
        failures.append((name.to_text(), t, edns, ours, theirs))
    if failures:
        lines = ["%d of %d queries differ" % (len(failures), len(qs))]
        for name, t, edns, ours, theirs in failures[:15]:
            lines.append("%s %s edns=%s" % (name, t, edns))
            lines.extend(differing_sections(ours, theirs))
        pytest.fail("\n".join(lines))


def test_tcp_matches_knotd(engine, knotd):
    """Over TCP there is no size limit: big answers arrive whole."""
    for n in ("many", "bigtxt", "alias", "mx", "big", "huge"):
        for t in ("A", "TXT", "MX", "NS"):
            wire = make_wire(dns.name.from_text(n + ".trunc.example."), t,
                             1232, 7)
            ours = summary(engine.ask(wire, tcp=True))
            theirs = summary(knotd.ask(wire, tcp=True))
            assert ours == theirs, (n, t)
