# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside the client's namespace by test_anycast.py.

anycast_client.py ADDRESS NAME GAP TIMEOUT SECONDS STOPFILE

Query ADDRESS:53 without pause (GAP seconds between the end of one query
and the next, each waiting TIMEOUT for its reply), in turn an A query
without EDNS (the XDP program answers it) and an SOA query asking for
NSID (options go to xdpdns-server, which says which node it is). Stop
after SECONDS, or as soon as STOPFILE exists. Print one line per query:
the monotonic time it was sent, its kind (a or nsid), and the NSID, "-"
for an answer without one, or "none" when no answer came."""
import os
import socket
import sys
import time

import dns.edns
import dns.flags
import dns.message


def main():
    addr, name = sys.argv[1], sys.argv[2]
    gap, timeout, seconds = (float(x) for x in sys.argv[3:6])
    stopfile = sys.argv[6]
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
            break
        out.append("%.6f %s %s" % (sent, kind, who))
        i += 1
        time.sleep(gap)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
