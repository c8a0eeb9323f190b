# SPDX-License-Identifier: GPL-3.0-or-later
"""A bounded flood for the abuse-control tests, run in the client's
network namespace: DNS queries in raw Ethernet frames on IFACE, from
random addresses of SRC_PREFIX (a /24, local to the namespace) and random
ports, to DST:53, cycling through NAMES; at most COUNT frames, for at most
SECONDS. Meanwhile it reads every frame on IFACE and counts the replies
to the queries it sent (matched by address, port and ID; other clients
in the prefix are not counted): answers with records or NXDOMAIN,
slipped (TC=1, no records) and others. Prints one JSON line at the end.

Usage: flood.py IFACE SRC_MAC DST_MAC SRC_PREFIX DST COUNT SECONDS NAME...
       (NAME is name/type, e.g. www.basic.example./A, or name/type/nsid
       for a query with EDNS and an NSID option)

It also counts the bytes of the DNS messages it sent and of the replies
it got, for the amplification the prefix saw.
"""
import dns.edns
import json
import random
import socket
import struct
import sys
import time

import dns.message
import dns.rdatatype


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src_mac, dst_mac, src_ip, dst_ip, sport, payload):
    udp = struct.pack("!HHHH", sport, 53, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000,
                     64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def main():
    iface, smac, dmac, prefix, dst, count, seconds = sys.argv[1:8]
    names = [n.split("/") for n in sys.argv[8:]]
    smac = bytes.fromhex(smac.replace(":", ""))
    dmac = bytes.fromhex(dmac.replace(":", ""))
    base = socket.inet_aton(prefix.split("/")[0])[:3]
    dst_ip = socket.inet_aton(dst)
    count, seconds = int(count), float(seconds)
    rnd = random.Random(1)
    wires = []
    for n in names:
        nsid = len(n) > 2 and n[2] == "nsid"
        q = dns.message.make_query(
            n[0], dns.rdatatype.from_text(n[1]), use_edns=0 if nsid else False,
            options=[dns.edns.GenericOption(3, b"")] if nsid else None)
        q.flags = 0
        wires.append(q.to_wire())
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(0x0003))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((iface, 0))
    s.setblocking(False)
    sent = answered = slipped = other = out_bytes = in_bytes = 0
    asked = set()
    end = time.monotonic() + seconds

    def drain():
        nonlocal answered, slipped, other, in_bytes
        while True:
            try:
                f = s.recv(2048)
            except BlockingIOError:
                return
            # IPv4 UDP from port 53 to our prefix.
            if len(f) < 14 + 20 + 8 + 12 or f[12:14] != b"\x08\x00":
                continue
            if f[14 + 9] != 17 or f[14 + 16:14 + 19] != base:
                continue
            if struct.unpack("!H", f[34:36])[0] != 53:
                continue
            d = f[42:34 + struct.unpack("!H", f[38:40])[0]]
            key = (f[33], struct.unpack("!H", f[36:38])[0], d[:2])
            if key not in asked:
                continue
            asked.discard(key)
            in_bytes += len(d)
            tc = d[2] & 0x02
            # Answer and authority records (a slip keeps its OPT).
            records = sum(struct.unpack("!HH", d[6:10]))
            if tc and records == 0:
                slipped += 1
            elif records or (d[3] & 0xf) == 3:
                answered += 1
            else:
                other += 1

    while sent < count and time.monotonic() < end:
        for _ in range(64):
            w = wires[sent % len(wires)]
            qid = rnd.randrange(65536)
            last = rnd.randrange(1, 255)
            sport = rnd.randrange(1024, 65535)
            f = frame(smac, dmac, base + bytes([last]), dst_ip, sport,
                      struct.pack("!H", qid) + w[2:])
            try:
                s.send(f)
                sent += 1
                out_bytes += len(w)
                asked.add((last, sport, struct.pack("!H", qid)))
            except BlockingIOError:
                break
        drain()
    # The last replies.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        drain()
        time.sleep(0.01)
    print(json.dumps({"sent": sent, "answered": answered,
                      "slipped": slipped, "other": other,
                      "sent_bytes": out_bytes, "reply_bytes": in_bytes}))


main()
