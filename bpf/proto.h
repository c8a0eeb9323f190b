/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The headers the program reads, and what the parse learns of a packet:
 * the layout shared by the parse (parse.h, qname.h), the lookup and the
 * reply.
 */
#ifndef XDPDNS_BPF_PROTO_H
#define XDPDNS_BPF_PROTO_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct dns_hdr {
	__be16 id;
	__u8 flags1; /* QR, opcode, AA, TC, RD */
	__u8 flags2; /* RA, Z, AD, CD, RCODE */
	__be16 qdcount;
	__be16 ancount;
	__be16 nscount;
	__be16 arcount;
};

/* What parsing learnt about the packet; offsets are from the frame start. */
struct pkt {
	__u32 l3; /* IP header */
	__u32 l4; /* UDP header */
	__u32 dns; /* DNS header */
	__u32 qend; /* end of the question */
	__u32 end; /* end of the DNS message */
	__u16 qsize; /* question bytes: name, type, class */
	__u16 qtype;
	__u16 udp_size; /* client's EDNS size */
	__u8 ipv6;
	__u8 edns;
	__u8 do_bit;
	__u8 rd_cd[2]; /* RD (flags1 bit 0) and CD (flags2 bit 4) */
	__u8 name_len;
	__u8 cookie; /* 0: none; 1: a client cookie; 2: and a server one */
	/* The question's sum for the UDP checksum, taken while parsing it:
	 * native 16-bit words from its first byte, not folded (under 2^47;
	 * the checksum folds it with the rest). */
	__u64 qsum;
};

/* The parse sets udp_size to name_len with one 8-byte store. */
_Static_assert(__builtin_offsetof(struct pkt, udp_size) % 8 == 0 &&
		       __builtin_offsetof(struct pkt, ipv6) ==
			       __builtin_offsetof(struct pkt, udp_size) + 2 &&
		       __builtin_offsetof(struct pkt, rd_cd) ==
			       __builtin_offsetof(struct pkt, udp_size) + 5 &&
		       __builtin_offsetof(struct pkt, name_len) ==
			       __builtin_offsetof(struct pkt, udp_size) + 7,
	       "pkt flags layout");

#endif
