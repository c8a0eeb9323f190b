#!/usr/bin/env python3
"""Generate a benchmark zone of exactly N records (default 1,000,000):
A and AAAA names, delegations with glue, MX and TXT, in the proportions
35% A, 25% AAAA, 20% delegation records (2 NS + 2 glue each), 10% MX,
10% TXT. Deterministic: the same N gives the same file.
With a fourth argument "a-only": the apex, then N A records only (for
the memory cost of an A record in the XDP maps)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    out = sys.argv[2] if len(sys.argv) > 2 else "-"
    origin = sys.argv[3] if len(sys.argv) > 3 else "bench.example."
    f = sys.stdout if out == "-" else open(out, "w")
    w = f.write
    w("$ORIGIN %s\n$TTL 3600\n" % origin)
    w("@ SOA ns1 hostmaster 2026112601 7200 3600 1209600 300\n")
    w("@ NS ns1\n@ NS ns2\nns1 A 198.51.100.1\nns2 A 198.51.100.2\n")
    if len(sys.argv) > 4 and sys.argv[4] == "a-only":
        for i in range(n):
            w("h%d A 198.%d.%d.%d\n" % (i, 18 + (i >> 16 & 1), i >> 8 & 255,
                                        i & 255))
        if f is not sys.stdout:
            f.close()
        return
    left = n - 5
    n_a = int(n * 0.35)
    n_aaaa = int(n * 0.25)
    n_deleg = int(n * 0.20) // 4
    n_mx = int(n * 0.10)
    n_txt = left - n_a - n_aaaa - 4 * n_deleg - n_mx
    for i in range(n_a):
        w("h%d A 198.%d.%d.%d\n" % (i, 18 + (i >> 16 & 1), i >> 8 & 255,
                                    i & 255))
    for i in range(n_aaaa):
        w("h%d AAAA 2001:db8:%x::%x\n" % (i, i >> 16, i & 0xffff))
    for i in range(n_deleg):
        w("d%d NS ns1.d%d\nd%d NS ns2.d%d\n" % (i, i, i, i))
        w("ns1.d%d A 198.18.%d.%d\n" % (i, i >> 8 & 255, i & 255))
        w("ns2.d%d AAAA 2001:db8:ffff::%x\n" % (i, i & 0xffff))
    for i in range(n_mx):
        w("m%d MX 10 h%d\n" % (i, i))
    for i in range(n_txt):
        w('t%d TXT "v=bench%d record"\n' % (i, i))
    if f is not sys.stdout:
        f.close()


if __name__ == "__main__":
    main()
