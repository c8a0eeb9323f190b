#!/usr/bin/env python3
"""Cut-point builds of the XDP program (bench/tools/README.md).

usage: cuts.py N...

Builds, for each N, a variant of the working tree (bench/tools/variant.sh)
whose program returns XDP_DROP at cut point N of the table below, and
prints the variants' build directories: give them to ab.py with the
working tree's own build last. A row's best-batch cost at cut N is what
the program costs up to that point; the step from one cut to the next is
that stretch's share (out-of-order execution overlaps the stretches, so
the shares are approximate). An anchor is a stretch of the program's source
the cut goes in front of: when the source changes, cuts.py says which
anchor it no longer finds.
"""
import os
import subprocess
import sys
import tempfile

# A cut: the file, the stretch it goes in front of, and how the program
# leaves there (an entry or reply function returns a verdict; a stage
# function says it took one, through stop()).
RET = "\tjoin_states();\n\treturn XDP_DROP;\n"
STOP = "\tjoin_states();\n\treturn stop(v, XDP_DROP);\n"
ANCHORS = {
    # Ethernet to the DNS header
    1: ("bpf/xdpdns.bpf.c", "\tconst struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);", RET),
    # settings, header checks, the name's length guessed or walked
    2: ("bpf/qname.h", "\tif (hash_qname(s, data, end, cfg->gen[gen].seed, q) < 0)", STOP),
    # the name's pass
    3: ("bpf/qname.h", "\ts->f.probe = LOOKUP_ABSENT;", STOP),
    # the probe of a guessed name, type, class, EDNS
    4: ("bpf/xdpdns.bpf.c", "\t/* Its answer (lookup.h)", RET),
    # lookup, node, template
    5: ("bpf/xdpdns.bpf.c", "\treturn respond(ctx, s, cfg, gen, &a);", RET),
    # template header, cut, cookies, rate limiting
    6: ("bpf/respond.h", "\tint from = resize(ctx, frame);", RET),
    # growing the frame
    7: ("bpf/respond.h", "\ts->r.from = from;", RET),
    # headers, question
    8: ("bpf/respond.h", "\tint delta = s->r.delta;\n\t__u32 qend = s->pk.qend & XD_BOUND_QEND;", RET),
    # copying the answer
    9: ("bpf/respond.h", "\tif (delta && move_pointers(", RET),
    # relocations
    10: ("bpf/respond.h", "\tif (p->edns && write_opt(", RET),
    # OPT
    11: ("bpf/respond.h", "\tstruct udphdr *udp = data + (p->l4 & XD_BOUND_HDR);", RET),
}

EDIT = '''
import sys
p = {path!r}
t = open(p).read()
anchor = {anchor!r}
if t.count(anchor) != 1:
    sys.exit("cuts.py: anchor {n} not found once in " + p)
t = t.replace(anchor, {cut!r} + anchor)
open(p, "w").write(t)
'''


def main():
    if len(sys.argv) < 2 or not all(a.isdigit() and int(a) in ANCHORS for a in sys.argv[1:]):
        sys.exit(__doc__.split("\n\n")[1] + "\nN: " + " ".join(str(k) for k in ANCHORS))
    here = os.path.dirname(os.path.abspath(__file__))
    for a in sys.argv[1:]:
        n = int(a)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            path, anchor, cut = ANCHORS[n]
            f.write(EDIT.format(path=path, anchor=anchor, cut=cut, n=n))
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
