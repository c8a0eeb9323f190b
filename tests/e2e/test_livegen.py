# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench's live-frames generator (bench/xdp-livegen) on a real veth
pair against the XDP program with the test zones: every frame it sends
is a query the program answers, and the client's end sees exactly that
many correct replies; a template whose expected reply is wrong by one
byte gets exactly that many wrong ones. Counts, not rates: nothing here is
timed. Needs root; in CI it runs."""
import json
import os
import subprocess
import sys

import pytest

from conftest import BUILD, ROOT, ZONES, Engine, VethPair, attach_stats, need
from netns import end_process

sys.path.insert(0, os.path.join(ROOT, "bench"))
import side_by_side as sbs  # noqa: E402

SPECS = ["basic.example.=basic.zone", "delegation.example.=delegation.zone"]
QUERIES = [
    # (name, type, EDNS, IPv6)
    ("www.basic.example.", "A", False, False),
    ("www.basic.example.", "A", True, True),
    ("x.y.nope.basic.example.", "A", True, False),
    ("x.child.delegation.example.", "A", False, False),
]
FRAMES = 4000


@pytest.fixture(scope="module")
def node():
    need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
    for exe in ("tests/xdp-attach", "bench/xdp-livegen"):
        need(os.path.exists(os.path.join(BUILD, exe)),
             "build/%s not built" % exe)
    specs = ["%s=%s" % (s.split("=")[0], os.path.join(ZONES,
                                                       s.split("=")[1]))
             for s in SPECS]
    pair = VethPair()
    attach = None
    engine = Engine(specs)
    try:
        attach = subprocess.Popen(
            [os.path.join(BUILD, "tests", "xdp-attach"), pair.node] + specs,
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        assert attach.stdout.readline().strip() == "ready"
        pair.node_mac = sbs.Bed.mac_here(pair.node)
        pair.client_mac = sbs.Bed.mac(pair.ns, pair.client)
        yield pair, engine, attach
    finally:
        engine.close()
        end_process(attach)
        pair.close()


def answered(attach):
    return sum(v for k, v in attach_stats(attach).items()
               if k.startswith("answer_"))


def templates(pair, engine, path, spoil=None):
    with open(path, "w") as f:
        for i, (name, rdtype, edns, v6) in enumerate(QUERIES):
            wire = sbs.query_wire(name, rdtype, edns, (i & 0xff) << 8)
            reply = bytearray(engine.ask(wire))
            if spoil == i:
                reply[7] ^= 1  # the answer count, one off
            frame, id_off, csum_off = sbs.udp_frame(pair, v6,
                                                    sbs.PORT_BASE + i, wire)
            f.write("%d %d %s %s\n" % (id_off, csum_off, frame.hex(),
                                       bytes(reply).hex()))


def livegen(pair, path, count):
    p = subprocess.run(
        ["ip", "netns", "exec", pair.ns,
         os.path.join(BUILD, "bench", "xdp-livegen"), "--dev", pair.client,
         "--templates", path, "--count", str(count), "--seconds", "20"],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_every_frame_answered_and_checked(node, tmp_path):
    pair, engine, attach = node
    path = str(tmp_path / "templates")
    templates(pair, engine, path)
    before = answered(attach)
    r = livegen(pair, path, FRAMES)
    assert r["sent"] == FRAMES
    assert r["ok"] == FRAMES, r
    assert r["bad"] == 0, r
    assert answered(attach) - before == FRAMES


def test_a_wrong_reply_is_counted_as_wrong(node, tmp_path):
    """The check is real: one template expects an answer count one off,
    so its quarter of the frames is counted wrong, the rest right."""
    pair, engine, attach = node
    path = str(tmp_path / "templates")
    templates(pair, engine, path, spoil=2)
    r = livegen(pair, path, FRAMES)
    assert r["sent"] == FRAMES
    assert r["bad"] == FRAMES // len(QUERIES), r
    assert r["ok"] == FRAMES - FRAMES // len(QUERIES), r
