# SPDX-License-Identifier: GPL-3.0-or-later
"""A node as it comes out of the box, nothing set (xdpdns-loader attach,
xdpdns-zonec apply, xdpdns-server with its defaults; the cookie secret
the test's own file, not the machine's), on a veth pair:
one spoofed source, flooding, gets at most the default rate of full
answers per response, whichever path answers it: the XDP program (a
plain answer), or xdpdns-server behind it (an answer too big for the
fast path, which it once passed unlimited at 23.4x amplification; a
query with an NSID option, 11.3x). What the flood gets back is smaller
than what it sends. Needs root; in CI it runs."""
import os

import pytest

from conftest import ROOT, ZONES, loader_counters
from conftest import moved as moved_by
from netns import NODE4
from test_abuse import flood_node, in_ns, mac, result

# The defaults (bpf/xdpdns.h): 10 responses a second per prefix and
# response, a full bucket to start with.
RATE, PASSED = 10, 1000
SECONDS = 3
# Victim prefixes, one per flood, routed back to the client's namespace:
# unique to the run (routes are shared by every run on the machine).
_NET = 3 * (os.getpid() % 80) + 1
VICTIMS = ["198.19.%d.0/24" % (_NET + i) for i in range(3)]


@pytest.fixture(scope="module")
def node():
    yield from flood_node(
        VICTIMS, ["%s.example.=%s" % (z, os.path.join(ZONES, z + ".zone"))
                  for z in ("basic", "trunc")])


def flood(pair, victim, name):
    """SECONDS of queries for name from addresses of victim, as fast as
    the flood goes; what came back."""
    return result(in_ns(pair, os.path.join(ROOT, "tests", "e2e", "flood.py"),
                        pair.client, mac(pair.ns, pair.client),
                        mac(None, pair.node), victim, NODE4, "200000",
                        str(SECONDS), name))


# (what, query, the XDP counters its queries move, at most, besides the
# limiter's)
CASES = [
    ("an answer from the fast path", "www.basic.example./A",
     ("answer_positive",)),
    ("an answer too big for the fast path (pass_template)",
     "mx.trunc.example./MX", ("pass_template",)),
    ("a query with an NSID option (pass_edns_option)",
     "www.basic.example./A/nsid", ("pass_edns_option",)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_one_spoofed_source_is_not_a_reflector(node, case):
    what, name, counted = CASES[case]
    before = loader_counters(node.node)
    f = flood(node, VICTIMS[case], name)
    moved = moved_by(before, loader_counters(node.node))
    assert f["sent"] > 3000, (what, f)
    # Full answers: a full bucket, then the rate, over the flood and
    # the second the flood waits for the last replies.
    assert 1 <= f["answered"] <= RATE + RATE * (SECONDS + 1), (what, f)
    # The rest dropped, or slipped (TC=1: the size of the query).
    assert f["slipped"] > 0, (what, f)
    # Smaller than what it sent: no amplification.
    assert f["reply_bytes"] < f["sent_bytes"], (what, f)
    for c in counted:
        assert moved.get(c, 0) > 0, (what, moved)
    # Whatever the fast path passed, at most its passed-query rate: a
    # full bucket, then the rate over the flood and a second.
    passed = sum(v for k, v in moved.items() if k.startswith("pass_") and
                 k not in ("pass_not_dns", "pass_ipv6_ext"))
    assert passed <= PASSED + PASSED * (SECONDS + 1), (what, moved)
