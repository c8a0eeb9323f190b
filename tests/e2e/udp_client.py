# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside the client's network namespace by test_xdp_veth.py: for each
line "ADDRESS HEXQUERY" on stdin, send the query over UDP to port 53 of
ADDRESS and print the reply in hex, or "none" after a second."""
import binascii
import socket
import sys

for line in sys.stdin:
    addr, query = line.split()
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect((addr, 53))
    s.send(binascii.unhexlify(query))
    try:
        reply = s.recv(65535)
        print(binascii.hexlify(reply).decode())
    except (socket.timeout, ConnectionRefusedError):
        print("none")
    s.close()
    sys.stdout.flush()
