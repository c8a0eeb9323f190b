# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing two servers' responses: each response summed up as RCODE,
flags, OPT and every section as a set of records, and the one difference
from knotd docs/answers.md lists as intended. Shared by the differential
tests (test_differential.py, test_dnssec.py)."""
import dns.flags
import dns.message


def rrs(section):
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add((rrset.name.to_text().lower(), rrset.rdclass,
                     rrset.rdtype, rrset.ttl, rd.to_text().lower()))
    return sorted(out)


def summary(wire):
    if wire is None:
        return None
    m = dns.message.from_wire(wire)
    flags = dns.flags.to_text(m.flags & ~dns.flags.CD)
    opt = None
    if m.edns >= 0:
        opt = (m.edns, m.payload, bool(m.ednsflags & dns.flags.DO),
               sorted((o.otype, o.to_wire()) for o in m.options))
    return {
        "rcode": m.rcode(),
        "flags": flags,
        "opt": opt,
        "question": [(r.name.to_text(), r.rdtype) for r in m.question],
        "answer": rrs(m.answer),
        "authority": rrs(m.authority),
        "additional": rrs(m.additional),
    }


def intended_difference(ours, theirs, knot_tcp):
    """The one difference docs/answers.md lists as intended: when not every
    additional record fits, knotd also tries later, smaller RRsets after one
    failed; xdpdns keeps the longest prefix in the same order, so that the
    XDP path can cut precomputed bytes. Both set TC exactly when mandatory
    glue is lost (RFC 9471), and the additional section is optional
    otherwise (RFC 1035 4.1, RFC 2181 9). Allowed only when knotd itself
    left additional records out, and ours are a subset of its."""
    if not ours or not theirs or not knot_tcp:
        return False
    for k in ("rcode", "flags", "opt", "answer", "authority"):
        if ours[k] != theirs[k]:
            return False
    return (set(ours["additional"]) < set(theirs["additional"]) and
            len(knot_tcp["additional"]) > len(theirs["additional"]))


def differing_sections(ours, theirs):
    """Report lines for each part of two summaries that differs."""
    lines = []
    for k in ("rcode", "flags", "opt", "answer", "authority", "additional"):
        a = ours.get(k) if ours else None
        b = theirs.get(k) if theirs else None
        if a != b:
            lines.append("   %s: xdpdns %s" % (k, a))
            lines.append("   %s:  knotd %s" % (k, b))
    return lines
