# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside the client's network namespace by the veth tests.

Without arguments: for each line "ADDRESS HEXQUERY [tcp] [SECONDS]" on
stdin, send the query to port 53 of ADDRESS, over UDP or with "tcp" over
TCP, and print the reply in hex, or "none" after SECONDS (default 1).

With "loop ADDRESS SRC NAMES SECONDS [none|fresh|forged [QPS]]": queries
for NAMES from SRC for SECONDS, with or without a DNS cookie (loop()).

With "stream ADDRESS NAME COUNT SECONDS [LAST]": send at most COUNT
queries for NAME, A and SOA in turn, one after the other (each waits for
its reply or a second), for at most SECONDS, and print one line per query:
its number, the type, the address or serial of the reply (or "none"),
the monotonic time it came back and its round trip, in seconds. With LAST, stop 100
queries after the first reply whose address or serial is LAST."""
import binascii
import socket
import sys
import time

import dns.flags
import dns.message


def one(s, wire):
    s.send(wire)
    try:
        return s.recv(65535)
    except (socket.timeout, ConnectionRefusedError):
        return None


def ask(s, q, timeout=1.0):
    """Send q, return the reply with q's ID (parsed), or None after
    timeout: a late reply to an earlier query is read and dropped, not
    taken for this one's."""
    s.send(q.to_wire())
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            m = dns.message.from_wire(s.recv(65535))
        except (socket.timeout, ConnectionRefusedError):
            return None
        if m.id == q.id:
            return m


def value(reply, qtype):
    """Of a reply (parsed): the first answer's address (A), or the serial of the SOA in the
    answer or, for a name without one (NODATA), in the authority."""
    m = reply
    for rrset in m.answer + (m.authority if qtype == "SOA" else []):
        for rd in rrset:
            return rd.address if qtype == "A" else str(rd.serial)
    return "empty"


def stream(addr, name, count, seconds, last=None):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect((addr, 53))
    end = time.monotonic() + seconds
    stop = count
    for i in range(count):
        if time.monotonic() > end or i >= stop:
            break
        qtype = "A" if i % 2 == 0 else "SOA"
        q = dns.message.make_query(name, qtype, use_edns=False)
        q.flags &= ~dns.flags.RD
        q.id = i & 0xffff
        sent = time.monotonic()
        m = ask(s, q)
        got = time.monotonic()
        v = value(m, qtype) if m else "none"
        print("%d %s %s %.6f %.6f" % (i, qtype, v, got, got - sent))
        if last and v == last and stop == count:
            stop = i + 100
    sys.stdout.flush()


def loop(addr, src, names, seconds, cookie, qps=0.0):
    """Queries for names (comma-separated NAME or NAME/TYPE, in turn) from
    src, one after the other (at most qps a second when given), for
    seconds; with cookie "fresh" a DNS cookie learnt from a first
    exchange (then a line "ready"), "forged" a cookie whose server part
    is wrong. Prints a JSON line."""
    import json
    import os

    import dns.edns
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(1.0)
    s.connect((addr, 53))
    cc = os.urandom(8)
    held = cc
    sent = answered = slipped = lost = primed = 0
    todo = [(n.split("/") + ["A"])[:2] for n in names.split(",")]
    if cookie == "fresh":
        # Learn the server cookie first (not counted), then say so: the
        # caller may wait for this line before it starts a flood.
        q = dns.message.make_query(todo[0][0], todo[0][1], use_edns=0,
                                   options=[dns.edns.GenericOption(10, cc)])
        for _ in range(5):
            primed += 1
            r = one(s, q.to_wire())
            if r is None:
                continue
            for o in dns.message.from_wire(r).options:
                if o.otype == 10:
                    held = o.to_wire()
            break
        print("ready", flush=True)
    end = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < end:
        if qps:
            wait = start + sent / qps - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        name, rdtype = todo[sent % len(todo)]
        q = dns.message.make_query(name, rdtype, use_edns=False)
        q.flags = 0
        if cookie != "none":
            q.use_edns(0, 0, 1232,
                       options=[dns.edns.GenericOption(10, held)])
        q.id = sent & 0xffff
        sent += 1
        m = ask(s, q)
        if m is None:
            lost += 1
            continue
        if m.flags & dns.flags.TC and not m.answer:
            slipped += 1
        elif m.answer or m.authority:
            answered += 1
        for o in m.options:
            if o.otype == 10 and cookie == "fresh":
                held = o.to_wire()
            elif o.otype == 10 and cookie == "forged":
                w = bytearray(o.to_wire())
                w[-1] ^= 1
                held = bytes(w)
    print(json.dumps({"sent": sent, "answered": answered,
                      "slipped": slipped, "lost": lost, "primed": primed}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "loop":
        loop(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]),
             sys.argv[6] if len(sys.argv) > 6 else "none",
             float(sys.argv[7]) if len(sys.argv) > 7 else 0.0)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "stream":
        stream(sys.argv[2], sys.argv[3], int(sys.argv[4]),
               float(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else None)
        return
    for line in sys.stdin:
        words = line.split()
        addr, query = words[0], binascii.unhexlify(words[1])
        tcp = "tcp" in words[2:]
        wait = float(words[-1]) if len(words) > 2 and words[-1] != "tcp" \
            else 1.0
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        reply = None
        if tcp:
            try:
                with socket.create_connection((addr, 53),
                                              timeout=wait) as s:
                    s.sendall(len(query).to_bytes(2, "big") + query)
                    head = recv_all(s, 2)
                    if head:
                        reply = recv_all(s, int.from_bytes(head, "big"))
            except OSError:
                reply = None
        else:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.settimeout(wait)
            s.connect((addr, 53))
            reply = one(s, query)
            s.close()
        print(binascii.hexlify(reply).decode() if reply else "none")
        sys.stdout.flush()


def recv_all(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


main()
