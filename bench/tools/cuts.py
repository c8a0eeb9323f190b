#!/usr/bin/env python3
"""Cut-point builds of the XDP program (bench/tools/README.md).

usage: cuts.py N...

Builds, for each N, a variant of the working tree (bench/tools/variant.sh)
whose program returns XDP_DROP at cut point N of the table below, and
prints the variants' build directories: give them to ab.py with the
working tree's own build last. A row's best-batch cost at cut N is what
the program costs up to that point; the step from one cut to the next is
that stretch's share (out-of-order execution overlaps the stretches, so
the shares are approximate). An anchor is a stretch of bpf/xdpdns.bpf.c
the cut goes in front of: when the source changes, cuts.py says which
anchor it no longer finds.
"""
import os
import subprocess
import sys
import tempfile

ANCHORS = {
    1: "\tstruct pkt *pk = &s->pk;\n\tpk->l3 = l3;",  # Ethernet to the DNS header
    2: "\t__u32 nlen = s->nlen & 0x1ff;\n\tif (nlen > XD_NAME_MAX",  # scratch, settings, length guessed or walked
    3: "\t__u64 qhash = xd_hash_end(h);",  # the name's pass
    4: "\t/* The name itself, else its closest existing ancestor",  # type, class, EDNS
    5: "\treturn respond(ctx, s, cfg, gen, tref, walked);",  # lookup, node, template
    6: "\tint from = resize(ctx, frame);",  # template header and cut
    7: "\ts->from = from;",  # growing the frame
    8: "\tasm volatile(\"\" ::: \"memory\");\n\tdelta = s->delta;",  # headers, question
    9: "\t/* Relocations: compression pointers move",  # copying the answer
    10: "\tclen = cut_len(s);\n\tif (p->edns) {",  # relocations
    11: "\tstruct udphdr *udp = data + (p->l4 & 0x7f);\n\tif ((void *)(udp + 1) > end)\n\t\treturn DROP",  # OPT
}

EDIT = '''
import sys
p = "bpf/xdpdns.bpf.c"
t = open(p).read()
anchor = {anchor!r}
if t.count(anchor) != 1:
    sys.exit("cuts.py: anchor {n} not found once in " + p)
t = t.replace(anchor, "\\tasm volatile(\\"\\" ::: \\"memory\\");\\n\\treturn XDP_DROP;\\n" + anchor)
open(p, "w").write(t)
'''


def main():
    if len(sys.argv) < 2 or not all(a.isdigit() and int(a) in ANCHORS for a in sys.argv[1:]):
        sys.exit(__doc__.split("\n\n")[1] + "\nN: " + " ".join(str(k) for k in ANCHORS))
    here = os.path.dirname(os.path.abspath(__file__))
    for a in sys.argv[1:]:
        n = int(a)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(EDIT.format(anchor=ANCHORS[n], n=n))
        try:
            r = subprocess.run([os.path.join(here, "variant.sh"), f"cut{n}", f.name],
                               capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        if r.returncode:
            sys.exit(r.stderr)
        print(r.stdout.strip())


if __name__ == "__main__":
    main()
