# SPDX-License-Identifier: GPL-3.0-or-later
"""The test network for XDP on veth, shared by the end-to-end tests and
make bench: a veth pair made for the run, the node's end in this
namespace, the client's end in a namespace of its own with a
pass-everything XDP program (XDP_TX frames reach a veth peer only when it
has one). Addresses from 198.18.0.0/15 and 2001:db8::/32 only."""
import os
import random
import socket
import subprocess

import dns.flags
import dns.message

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))

NODE4, CLIENT4 = "198.18.0.2", "198.18.0.1"
NODE6, CLIENT6 = "2001:db8:0:1::2", "2001:db8:0:1::1"


def sh(*args):
    """Run a command that must succeed (set-up of the test network)."""
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class VethPair:
    """A veth pair made for this run: the node's end in this namespace with
    the XDP program, the client's end in a namespace of its own."""

    made_count = 0

    def __init__(self):
        VethPair.made_count += 1
        tag = "%x%x" % (os.getpid() & 0xffff, VethPair.made_count & 0xf)
        self.ns = "xdpdns-t" + tag
        self.node, self.client = "xdn" + tag, "xdc" + tag
        self.made = []
        sh("ip", "netns", "add", self.ns)
        self.made.append(("netns", self.ns))
        sh("ip", "link", "add", self.node, "type", "veth", "peer", "name",
           self.client)
        self.made.append(("link", self.node))
        sh("ip", "link", "set", self.client, "netns", self.ns)
        sh("ip", "addr", "add", NODE4 + "/24", "dev", self.node)
        sh("ip", "-6", "addr", "add", NODE6 + "/64", "dev", self.node,
           "nodad")
        sh("ip", "link", "set", self.node, "up")
        n = ["ip", "-n", self.ns]
        sh(*n, "addr", "add", CLIENT4 + "/24", "dev", self.client)
        sh(*n, "-6", "addr", "add", CLIENT6 + "/64", "dev", self.client,
           "nodad")
        sh(*n, "link", "set", self.client, "up")
        sh(*n, "link", "set", "lo", "up")
        sh(*n, "link", "set", "dev", self.client, "xdp", "obj",
           os.path.join(BUILD, "bpf", "xdp_pass.bpf.o"), "sec", "xdp")

    def close(self):
        for kind, name in reversed(self.made):
            if kind == "link":
                subprocess.run(["ip", "link", "del", name],
                               stderr=subprocess.DEVNULL)
            else:
                subprocess.run(["ip", "netns", "del", name],
                               stderr=subprocess.DEVNULL)


def end_process(p, timeout=10):
    """Stop a helper process that exits when its input closes: close it,
    wait, and kill it when it will not go, so that whatever the caller
    made (namespaces, links) is still cleaned up after it."""
    if p is None:
        return
    try:
        if p.stdin:
            p.stdin.close()
        p.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, OSError):
        p.kill()
        p.wait()


def ask(client, addr, wire, tcp=False, timeout=1.0):
    """Send one query through the client namespace's udp_client.py."""
    client.stdin.write("%s %s %s%s\n" % (addr, wire.hex(),
                                          "tcp " if tcp else "", timeout))
    client.stdin.flush()
    line = client.stdout.readline().strip()
    return None if line == "none" else bytes.fromhex(line)


def query(name, rdtype, edns=False, size=1232):
    """A query without RD, with or without EDNS (no options)."""
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False,
                               payload=size)
    q.flags &= ~dns.flags.RD
    return q.to_wire()


def free_port():
    """A port free for both UDP and TCP on loopback, outside the
    ephemeral range (32768-60999), where client sockets cannot take it
    between this check and the server's bind."""
    rnd = random.Random()
    for _ in range(200):
        port = rnd.randrange(20000, 30000)
        socks = []
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")
