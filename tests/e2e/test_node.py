# SPDX-License-Identifier: GPL-3.0-or-later
"""A whole node on a veth pair: the XDP program attached by the loader with
the test zones applied, xdpdns-server behind it on the node's addresses,
queried from another namespace. Every query of the differential test gets
the same bytes with the XDP program attached and with it detached (the
server alone), and the RFC 8906 checks pass through the node as they do
against the server alone. Needs root; in CI it runs."""
import os
import subprocess

import pytest

import rfc8906
from conftest import (LOADER, ROOT, ZONEC, Server, attach_args,
                      loader_counters, moved, need, rrl_off, zone_files)
from netns import NODE4, NODE6, VethPair, ask, end_process
from test_differential import make_wire, queries



@pytest.fixture(scope="module")
def node():
    need(os.geteuid() == 0, "needs root (network namespaces, XDP)")
    need(os.path.exists(LOADER), "build/xdpdns-loader not built")
    specs = ["%s=%s" % (o, p) for o, p in zone_files()]
    pair = VethPair()
    server = client = None
    try:
        subprocess.run([LOADER, "attach", "--dev", pair.node,
                        "--memory", "16"] + attach_args(), check=True,
                       capture_output=True)
        rrl_off(pair.node)
        subprocess.run([ZONEC, "apply", "--dev", pair.node, "-q"] + specs,
                       check=True, capture_output=True)
        server = Server(specs, listen=[NODE4 + ":53", "[%s]:53" % NODE6],
                        port=53)
        client = subprocess.Popen(
            ["ip", "netns", "exec", pair.ns, "/usr/bin/python3",
             os.path.join(ROOT, "tests", "e2e", "udp_client.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        yield pair, client
    finally:
        end_process(client)
        if server:
            server.close()
        subprocess.run([LOADER, "detach", "--dev", pair.node],
                       capture_output=True)
        pair.close()


def via(client, addr):
    return lambda wire, tcp=False, timeout=2.0: ask(client, addr, wire,
                                                    tcp, timeout)


@pytest.mark.parametrize("addr", [NODE4, NODE6])
def test_rfc8906_through_the_node(node, addr):
    pair, client = node
    before = loader_counters(pair.node)
    fails = rfc8906.check_all(via(client, addr))
    assert not fails, "\n".join(fails)
    # Through the node: the XDP program answered some of them itself.
    m = moved(before, loader_counters(pair.node))
    assert sum(v for k, v in m.items() if k.startswith("answer_")) > 0, m


def test_same_bytes_with_and_without_xdp(node):
    pair, client = node
    qs = queries()
    wires = [make_wire(name, t, edns, i & 0xffff)
             for i, (name, t, edns) in enumerate(qs)]
    before = loader_counters(pair.node)
    with_xdp = [ask(client, NODE4, w) for w in wires]
    after = loader_counters(pair.node)
    answered = sum(after[k] - before[k] for k in after
                   if k.startswith("answer_"))
    # Most of them the XDP program answered itself.
    assert answered > len(wires) // 2, (answered, len(wires))
    subprocess.run([LOADER, "detach", "--dev", pair.node], check=True,
                   capture_output=True)
    server_only = [ask(client, NODE4, w) for w in wires]
    diffs = [(qs[i], a, b) for i, (a, b) in
             enumerate(zip(with_xdp, server_only)) if a != b]
    assert not diffs, "%d of %d differ; first: %s" % (
        len(diffs), len(wires), diffs[0][0])
    assert all(r is not None for r in with_xdp)

