# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 8906 (a common operational problem in DNS servers: failure to
communicate) checks, as functions of a way to ask: the server alone, and
the node with the XDP program in front of it, must both pass them."""
import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

ZONE = "basic.example."
BIG = "many.trunc.example."


def q(name=ZONE, t="SOA", use_edns=False, want_dnssec=False, payload=1232,
      ednsflags=0, options=None):
    """A query without RD; EDNS set explicitly (dnspython 2.3 drops the
    version given to make_query unless DO is set)."""
    m = dns.message.make_query(name, t)
    if use_edns is not False or want_dnssec or options:
        m.use_edns(use_edns or 0,
                   ednsflags | (dns.flags.DO if want_dnssec else 0),
                   payload, options=options or [])
    else:
        m.use_edns(False)
    m.flags = 0
    return m


def parse(wire):
    assert wire is not None, "no response"
    return dns.message.from_wire(wire)


def raw_header(wire, flags=None, qd=None, ar=None):
    """Rewrite header fields of a query in its bytes."""
    b = bytearray(wire)
    if flags is not None:
        b[2:4] = struct.pack("!H", flags)
    if qd is not None:
        b[4:6] = struct.pack("!H", qd)
    if ar is not None:
        b[10:12] = struct.pack("!H", ar)
    return bytes(b)


def check_all(ask):
    """ask(wire, tcp=False) -> response bytes or None. Returns failures."""
    fails = []

    def case(name, fn):
        try:
            fn()
        except AssertionError as e:
            fails.append("%s: %s" % (name, e))

    def plain_soa():
        r = parse(ask(q().to_wire()))
        assert r.rcode() == dns.rcode.NOERROR
        assert r.flags & dns.flags.AA
        assert r.answer and r.answer[0].rdtype == dns.rdatatype.SOA
        assert r.edns < 0, "OPT without EDNS in the query"
    case("plain SOA, no EDNS", plain_soa)

    def unknown_type(t):
        def f():
            r = parse(ask(q(t="TYPE%d" % t).to_wire()))
            assert r.rcode() == dns.rcode.NOERROR
            assert r.flags & dns.flags.AA
            assert not r.answer
        return f
    case("type 666", unknown_type(666))
    case("type 1000", unknown_type(1000))

    def flags_copied():
        m = q()
        m.flags = dns.flags.RD | dns.flags.CD | dns.flags.AD
        r = parse(ask(m.to_wire()))
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        assert r.flags & dns.flags.RD, "RD not copied"
        assert r.flags & dns.flags.CD, "CD not copied"
        assert not r.flags & dns.flags.RA, "RA set"
    case("RD, CD, AD set", flags_copied)

    def z_bit():
        r = parse(ask(raw_header(q().to_wire(), flags=0x0040)))
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        assert not r.flags & 0x0040, "Z set in the response"
    case("Z set", z_bit)

    def opcode15():
        w = raw_header(q().to_wire(), flags=15 << 11)
        r = ask(w)
        assert r is not None, "no response"
        assert len(r) >= 12
        assert (r[2] >> 3) & 0xf == 15, "opcode not echoed"
        assert r[3] & 0xf == dns.rcode.NOTIMP
        assert struct.unpack("!H", r[10:12])[0] == 0, "records in additional"
    case("opcode 15", opcode15)

    def soa_tcp(edns):
        def f():
            m = q(use_edns=edns)
            r = parse(ask(m.to_wire(), tcp=True))
            assert r.rcode() == dns.rcode.NOERROR and r.answer
            assert (r.edns >= 0) == (edns is not False)
        return f
    case("SOA over TCP", soa_tcp(False))
    case("SOA over TCP, EDNS", soa_tcp(0))

    def badvers(**kw):
        def f():
            m = q(use_edns=1, **kw)
            r = parse(ask(m.to_wire()))
            assert r.rcode() == dns.rcode.BADVERS, dns.rcode.to_text(
                r.rcode())
            assert r.edns == 0, "OPT version not 0"
            assert not r.answer
        return f
    case("EDNS version 1", badvers())
    case("EDNS version 1, unknown option",
         badvers(options=[dns.edns.GenericOption(100, b"")]))
    case("EDNS version 1, DO", badvers(want_dnssec=True))

    def unknown_option():
        m = q(use_edns=0, options=[dns.edns.GenericOption(100, b"\x01")])
        r = parse(ask(m.to_wire()))
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        assert not r.options, "option echoed"
    case("unknown EDNS option", unknown_option)

    def unknown_flag():
        m = q(use_edns=0, ednsflags=0x4000)
        r = parse(ask(m.to_wire()))
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        assert not r.ednsflags & 0x4000, "unknown flag echoed"
    case("unknown EDNS flag", unknown_flag)

    def do_bit():
        r = parse(ask(q(want_dnssec=True).to_wire()))
        assert r.rcode() == dns.rcode.NOERROR
        assert r.ednsflags & dns.flags.DO, "DO not echoed"
    case("DO=1", do_bit)

    def small_buffer():
        m = q(BIG, "A", use_edns=0, payload=512)
        w = ask(m.to_wire())
        r = parse(w)
        assert len(w) <= 512, "%d bytes" % len(w)
        assert r.flags & dns.flags.TC, "TC not set"
    case("buffer 512, large answer", small_buffer)

    def qdcount(n):
        def f():
            w = q().to_wire()
            if n == 0:
                w = raw_header(w[:12], qd=0)
            else:
                question = w[12:]
                w = raw_header(w, qd=2) + question
            r = ask(w)
            assert r is not None, "no response"
            assert r[3] & 0xf == dns.rcode.FORMERR
        return f
    case("QDCOUNT 0", qdcount(0))
    case("QDCOUNT 2", qdcount(2))

    def two_opts():
        w = q(use_edns=0).to_wire()
        opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
        w = raw_header(w, ar=2) + opt
        r = ask(w)
        assert r is not None, "no response"
        assert r[3] & 0xf == dns.rcode.FORMERR
    case("two OPT records", two_opts)

    def qr_set():
        w = raw_header(q().to_wire(), flags=0x8000)
        assert ask(w, timeout=0.5) is None, "a response to a response"
    case("QR=1", qr_set)
    return fails
