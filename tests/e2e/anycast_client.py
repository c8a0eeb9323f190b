# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside the client's namespace by test_anycast.py.

anycast_client.py ADDRESS NAME GAP TIMEOUT SECONDS STOPFILE NAME_ADDRESS

Query ADDRESS:53 without pause (GAP seconds between the end of one query
and the next, each waiting TIMEOUT for its reply), in turn an A query
without EDNS (the XDP program answers it) and an SOA query asking for
NSID (options go to xdpdns-server, which says which node it is). Stop
after SECONDS, or as soon as STOPFILE exists. Print one line per query:
the monotonic time it was sent, its kind (a or nsid), and the NSID, "-"
for an answer without one, "none" when no answer came, or "bad:WHAT"
for a reply that is not the right one: the A query must get NOERROR and
exactly NAME_ADDRESS, the SOA query NOERROR and an SOA record (in the
authority section: NAME has no SOA of its own). A node must not answer
wrongly while the route moves."""
import os
import socket
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype


def wrong(m, kind, want):
    """What is wrong with reply m to a query of kind, or None."""
    if m.rcode() != dns.rcode.NOERROR:
        return "rcode-%d" % m.rcode()
    if kind == "a":
        got = [rd.address for rrset in m.answer for rd in rrset
               if rd.rdtype == dns.rdatatype.A]
        return None if got == [want] else "address-" + ",".join(got)
    soa = [rrset for rrset in m.answer + m.authority
           if rrset.rdtype == dns.rdatatype.SOA]
    return None if soa else "no-soa"


def main():
    addr, name = sys.argv[1], sys.argv[2]
    gap, timeout, seconds = (float(x) for x in sys.argv[3:6])
    stopfile, want = sys.argv[6], sys.argv[7]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.connect((addr, 53))
    plain = dns.message.make_query(name, "A", use_edns=False)
    nsid = dns.message.make_query(
        name, "SOA", use_edns=0,
        options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    for q in (plain, nsid):
        q.flags &= ~dns.flags.RD
    end = time.monotonic() + seconds
    out = []
    i = 0
    while time.monotonic() < end and not os.path.exists(stopfile):
        kind = "a" if i % 2 == 0 else "nsid"
        q = plain if kind == "a" else nsid
        q.id = i & 0xffff
        wire = q.to_wire()
        sent = time.monotonic()
        s.send(wire)
        who = "none"
        deadline = sent + timeout
        while time.monotonic() < deadline:
            try:
                r = s.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                break
            m = dns.message.from_wire(r)
            if m.id != q.id:
                continue  # a late reply to an earlier query
            who = "-"
            for o in m.options:
                if o.otype == dns.edns.NSID:
                    who = o.to_wire().decode("ascii", "replace") or "-"
            bad = wrong(m, kind, want)
            if bad:
                who = "bad:" + bad
            break
        out.append("%.6f %s %s" % (sent, kind, who))
        i += 1
        time.sleep(gap)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
