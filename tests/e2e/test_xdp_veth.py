# SPDX-License-Identifier: GPL-3.0-or-later
"""The XDP program on a real veth pair, with queries from a socket in
another network namespace: the frames the notes warn about (tail growth
often refused), answered through the head-room fallback. Every reply must
be byte-identical to the answer engine's; what is not answered must be
counted under its reason. Needs root; in CI it runs."""
import os
import subprocess

import pytest

from conftest import (BUILD, NODE4, NODE6, ROOT, ZONES, Engine, VethPair,
                      ask, need, query)
from conftest import attach_stats as stats
from netns import end_process

TEST_ZONES = ["basic.example.=basic.zone", "wildcard.example.=wildcard.zone",
              "delegation.example.=delegation.zone",
              "trunc.example.=trunc.zone"]


@pytest.fixture(scope="module")
def setup():
    need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
    exe = os.path.join(BUILD, "tests", "xdp-attach")
    need(os.path.exists(exe), "build/tests/xdp-attach not built")
    specs = []
    for s in TEST_ZONES:
        origin, f = s.split("=")
        specs.append("%s=%s" % (origin, os.path.join(ZONES, f)))
    pair = VethPair()
    attach = client = None
    try:
        attach = subprocess.Popen([exe, pair.node] + specs, cwd=ROOT,
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert attach.stdout.readline().strip() == "ready"
        client = subprocess.Popen(
            ["ip", "netns", "exec", pair.ns, "/usr/bin/python3",
             os.path.join(ROOT, "tests", "e2e", "udp_client.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        engine = Engine(specs)
        yield attach, client, engine
        engine.close()
    finally:
        for p in (client, attach):
            end_process(p)
        pair.close()


CASES = [
    # (what, name, type, EDNS, counter the answer moves)
    ("A hit", "www.basic.example.", "A", False, "answer_positive"),
    ("mixed case", "WwW.BaSiC.ExAmPlE.", "A", False, "answer_positive"),
    ("EDNS", "www.basic.example.", "A", True, "answer_positive"),
    ("NODATA", "www.basic.example.", "TXT", False, "answer_nodata"),
    ("NXDOMAIN three below", "x.y.nope.basic.example.", "A", True,
     "answer_nxdomain"),
    ("referral with glue", "x.child.delegation.example.", "A", False,
     "answer_referral"),
    ("wildcard", "anything.w.wildcard.example.", "A", True,
     "answer_positive"),
]


@pytest.mark.parametrize("addr", [NODE4, NODE6])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_answered_like_the_engine(setup, addr, case):
    attach, client, engine = setup
    what, name, rdtype, edns, counter = case
    wire = query(name, rdtype, edns)
    before = stats(attach)
    reply = ask(client, addr, wire)
    after = stats(attach)
    assert reply is not None, "%s: no reply (counters moved: %s)" % (
        what, {k: after[k] - before[k] for k in after
               if after[k] != before[k]})
    assert reply == engine.ask(wire), what
    assert after[counter] == before[counter] + 1


def test_growth_on_veth_is_answered(setup):
    """Tail growth is refused often on veth for frames from a socket; the
    program grows these replies at the front, into the headroom, and must
    answer every one."""
    attach, client, engine = setup
    wire = query("x.child.delegation.example.", "A")
    before = stats(attach)
    for i in range(40):
        assert ask(client, NODE4, wire) == engine.ask(wire), i
    after = stats(attach)
    assert after["answer_referral"] - before["answer_referral"] == 40
    assert after["pass_no_room"] == before["pass_no_room"]


def test_too_big_for_the_room_is_passed_and_counted(setup):
    """An answer of about a kilobyte needs more room than veth gives a
    socket's frame at either end: answered identically, or passed (nobody
    listens here, so no reply) and counted as pass_no_room."""
    attach, client, engine = setup
    wire = query("many.trunc.example.", "A", edns=True)
    full = engine.ask(wire)
    assert len(full) > 600
    for _ in range(10):
        before = stats(attach)
        reply = ask(client, NODE4, wire)
        after = stats(attach)
        if reply is not None:
            assert reply == full
        else:
            assert after["pass_no_room"] == before["pass_no_room"] + 1


def test_miss_is_passed(setup):
    attach, client, _ = setup
    before = stats(attach)
    assert ask(client, NODE4, query("www.example.org.", "A")) is None
    after = stats(attach)
    assert after["pass_miss"] == before["pass_miss"] + 1
