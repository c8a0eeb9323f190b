#!/usr/bin/env python3
"""Map profile samples to JITed instructions and source lines.

usage: annotate.py DIR

DIR holds what profile.sh leaves there: jit.s (objdump of the program's
machine code), lineinfo.txt (xdp-jitinfo's offset, file:line and source
per line-info record) and offsets.txt (one sample's offset in hex per
line). Writes DIR/annotated.txt and DIR/lines.txt and prints the busiest
twenty lines.
"""
import bisect
import collections
import os
import re
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    d = sys.argv[1]
    samples = collections.Counter()
    for line in open(os.path.join(d, "offsets.txt")):
        line = line.strip()
        if line:
            samples[int(line, 16)] += 1
    info = []
    for line in open(os.path.join(d, "lineinfo.txt")):
        p = line.rstrip("\n").split(" ", 2)
        if len(p) >= 2:
            info.append((int(p[0], 16), p[1], p[2].strip() if len(p) > 2 else ""))
    info.sort()
    starts = [x[0] for x in info]
    total = sum(samples.values())
    by_line = collections.Counter()
    source = {}
    with open(os.path.join(d, "annotated.txt"), "w") as out:
        last = None
        for line in open(os.path.join(d, "jit.s")):
            m = re.match(r"\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)", line)
            if not m:
                continue
            off = int(m.group(1), 16)
            i = bisect.bisect_right(starts, off) - 1
            where = info[i][1] if i >= 0 else "?"
            if i >= 0 and where != last:
                out.write(f"            ; {where} {info[i][2][:90]}\n")
                last = where
            n = samples.get(off, 0)
            by_line[where] += n
            source[where] = info[i][2] if i >= 0 else ""
            out.write(f"{n:7d} {off:6x}: {m.group(2)}\n")
    with open(os.path.join(d, "lines.txt"), "w") as out:
        for where, n in by_line.most_common():
            out.write(f"{n:7d} {where} {source[where][:90]}\n")
    print(f"{total} samples in the program")
    for where, n in by_line.most_common(20):
        print(f"{100 * n / max(total, 1):5.1f}% {where:24s} {source[where][:70]}")


if __name__ == "__main__":
    main()
