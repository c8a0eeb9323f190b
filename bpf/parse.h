/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet parsing, stage by stage: the frame's headers (Ethernet with up
 * to two VLAN tags, IPv4 without options or fragments, IPv6 without
 * extension headers, UDP to port 53), the DNS header, and after the
 * question (qname.h) its EDNS record. Every read is bounds-checked first.
 *
 * A stage returns true when it took the packet's verdict (in *v: a pass,
 * counted and limited, or a drop, counted), false to let it go on.
 */
#ifndef XDPDNS_BPF_PARSE_H
#define XDPDNS_BPF_PARSE_H

#include "maps.h"
#include "mem.h"
#include "rrl.h"
#include "stats.h"
#include "verifier.h"

/* Whether an IPv4 header without options sums to all ones, as its
 * checksum makes a header that arrived intact. */
static __always_inline int ipv4_csum_ok(const struct iphdr *ip)
{
	const __u32 *w = (const __u32 *)ip;
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Source ports that no DNS client uses: replies would hit a service. */
static __always_inline int reflection_port(__u16 port)
{
	switch (port) {
	case 0:
	case 7: /* echo */
	case 13: /* daytime */
	case 17: /* qotd */
	case 19: /* chargen */
	case 37: /* time */
	case 111: /* portmap */
	case 123: /* ntp */
	case 137: /* netbios */
	case 161: /* snmp */
	case 389: /* cldap */
	case 1900: /* ssdp */
	case 11211: /* memcached */
		return 1;
	}
	return 0;
}

static __always_inline int ipv6_ext(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return 1;
	}
	return 0;
}

/* ---- the frame --------------------------------------------------------- */

/* A position in the frame, as an offset from its start: the helpers
 * below read the header there, bounds-checked, and move past it. */
struct cursor {
	void *data, *end;
	__u32 off;
};

/* The header of n bytes at the cursor, or NULL when the frame ends
 * first. */
static __always_inline void *cursor_at(const struct cursor *c, __u32 n)
{
	void *p = c->data + c->off;

	return p + n > c->end ? NULL : p;
}

/* Ethernet and up to two VLAN tags (802.1Q, 802.1ad): the protocol they
 * carry (network order), -1 when the frame ends first. */
static __always_inline int parse_ethhdr(struct cursor *c)
{
	struct ethhdr *eth = cursor_at(c, sizeof(*eth));

	if (!eth)
		return -1;
	__u16 proto = load16(&eth->h_proto); /* packed: one load anyway */
	c->off = sizeof(*eth);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *v = cursor_at(c, sizeof(*v));
		if (!v)
			return -1;
		proto = v->encap_proto;
		c->off += sizeof(*v);
	}
	return proto;
}

/* What the IP layer holds: the transport protocol, the payload's length,
 * whether the IPv4 header checksum fails. */
struct ip_info {
	__u32 l4;
	__u32 payload;
	__u32 bad_csum;
};

/*
 * The frame up to the DNS header, for a UDP datagram to port 53 (the
 * query's offsets in pk, its header's flags and counts in h); any other
 * packet gets its verdict: passed (what is not DNS, TCP, and, limited,
 * what may carry a query the program does not read: IP options,
 * fragments, IPv6 extension headers) or dropped (malformed, from a
 * reflection port, a response, an IPv4 header checksum that fails).
 */
struct dns_head {
	__u16 flags; /* flags1 low, flags2 high, as in memory */
	__u16 arcount; /* big-endian */
	__u64 counts; /* the four counts, as in memory */
};

static __always_inline int parse_frame(struct xdp_md *ctx, struct pkt *pk,
				       struct dns_head *h, int *v)
{
	struct cursor c = { (void *)(long)ctx->data,
			    (void *)(long)ctx->data_end, 0 };
	struct ip_info ip = { 0 };
	__u32 ipv6 = 0;
	int proto = parse_ethhdr(&c);

	if (proto < 0)
		return stop(v, PASS_UNLIMITED(pass_not_dns));
	__u32 l3 = c.off;
	pk->l3 = l3;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = cursor_at(&c, sizeof(*iph));
		if (!iph || iph->version != 4)
			return stop(v, PASS_UNLIMITED(pass_not_dns));
		pk->ipv6 = 0;
		/* Whatever may carry a query is limited as it is passed,
		 * from here on: the source address is known. */
		if (iph->ihl != 5)
			return stop(v, PASS_Q(ctx, pass_ip_options));
		if (iph->frag_off & bpf_htons(0x3fff))
			return stop(v, PASS_Q(ctx, pass_fragment));
		ip.bad_csum = !ipv4_csum_ok(iph);
		__u16 tot = bpf_ntohs(iph->tot_len);
		ip.l4 = iph->protocol;
		ip.payload = tot >= sizeof(*iph) ? tot - sizeof(*iph) : 0;
		c.off += sizeof(*iph);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cursor_at(&c, sizeof(*ip6));
		if (!ip6 || ip6->version != 6)
			return stop(v, PASS_UNLIMITED(pass_not_dns));
		pk->ipv6 = 1;
		ip.l4 = ip6->nexthdr;
		if (ipv6_ext(ip.l4))
			return stop(v, PASS_Q(ctx, pass_ipv6_ext));
		ip.payload = bpf_ntohs(ip6->payload_len);
		c.off += sizeof(*ip6);
		ipv6 = 1;
	} else {
		return stop(v, PASS_UNLIMITED(pass_not_dns));
	}

	/* TCP and UDP keep their ports at the same place. */
	__u32 udp_at = c.off;
	struct udphdr *udp = cursor_at(&c, sizeof(*udp));
	if (!udp)
		return stop(v, PASS_UNLIMITED(pass_not_dns));
	if (udp->dest != bpf_htons(53) ||
	    (ip.l4 != IPPROTO_UDP && ip.l4 != IPPROTO_TCP))
		return stop(v, PASS_UNLIMITED(pass_not_dns));
	if (ip.l4 == IPPROTO_TCP)
		return stop(v, PASS_UNLIMITED(pass_tcp));
	/* The kernel drops what fails the IPv4 header checksum; so do we,
	 * rather than answer a corrupt query. (The UDP checksum is left to
	 * the kernel, unchecked here: docs/abuse-control.md says why.) */
	if (ip.bad_csum)
		return stop(v, DROP(drop_ip_checksum));

	/* A UDP datagram to port 53: from here on, a DNS query. */
	__u32 ulen = bpf_ntohs(udp->len);
	if (ulen != ip.payload || ulen < sizeof(*udp) ||
	    c.data + udp_at + ulen > c.end)
		return stop(v, DROP(drop_malformed));
	if (reflection_port(bpf_ntohs(udp->source)))
		return stop(v, DROP(drop_reflection));
	c.off += sizeof(*udp);
	__u32 dns = c.off;
	struct dns_hdr *dh = cursor_at(&c, sizeof(*dh));
	if (!dh || sizeof(*dh) > ulen - sizeof(*udp))
		return stop(v, DROP(drop_malformed));
	/* Flags in one load (flags1 low, flags2 high), the four counts in
	 * another, as they lie in memory. */
	h->flags = LOAD_AT(16, dh, 2);
	h->counts = LOAD_AT(64, dh, 4);
	h->arcount = h->counts >> 48;
	if (h->flags & XD_FLAGS1_QR)
		return stop(v, DROP(drop_response));

	/* The parse lives in scratch memory from here on: the stages after
	 * this one and the rate limiter read it back. */
	pk->l4 = udp_at;
	pk->dns = dns;
	pk->end = udp_at + ulen;
	/* udp_size, ipv6, edns, do_bit, rd_cd and name_len in one store:
	 * no EDNS yet, RD and CD as the query has them. */
	store64(&pk->udp_size,
		(__u64)ipv6 << 16 | (__u64)(h->flags & XD_FLAGS1_RD) << 40 |
			(__u64)((h->flags >> 8) & XD_FLAGS2_CD) << 48);
	return false;
}

/* The settings, unless nothing is loaded or the fast path is off: then
 * every query goes to the kernel stack, limited as passed queries are. */
static __always_inline int check_serving(struct xdp_md *ctx,
					 const struct xd_config *cfg, int *v)
{
	if (!cfg || !cfg->enabled)
		return stop(v, PASS_Q(ctx, pass_not_loaded));
	if (cfg->disabled)
		return stop(v, PASS_Q(ctx, pass_disabled));
	return false;
}

/* A standard query with one question, no answers or authority, and at
 * most one additional record; a question that starts within the
 * message. */
static __always_inline int check_header(struct xdp_md *ctx, struct pkt *pk,
					const struct dns_head *h, int *v)
{
	if (h->flags & XD_FLAGS1_OPCODE)
		return stop(v, PASS_E(ctx, pass_opcode)); /* NOTIMP */
	/* QDCOUNT 1, ANCOUNT and NSCOUNT 0, ARCOUNT 0 or 1 (big-endian). */
	if ((h->counts & 0xffffffffffffull) != bpf_htons(1) ||
	    (h->arcount != 0 && h->arcount != bpf_htons(1)))
		return stop(v, PASS_Q(ctx, pass_shape));
	/* Through memory: the verifier then checks what follows once, not
	 * once per layer-2 and layer-3 combination. */
	join_states();
	pk->dns &= XD_BOUND_NAME_LEN;
	pk->end &= XD_BOUND_QUERY;
	if (pk->dns > pk->end)
		return stop(v, DROP(drop_malformed));
	return false;
}

/* ---- EDNS -------------------------------------------------------------- */

/*
 * After the question: at most one additional record, and then an OPT
 * with no option but a DNS cookie (when cookies are answered here); the
 * client's size, DO and cookies go to pk and s->ck.
 */
static __always_inline int parse_edns(struct xdp_md *ctx, struct xd_scratch *s,
				      const struct xd_config *cfg,
				      const struct dns_head *h, int *v)
{
	struct pkt *pk = &s->pk;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	pk->cookie = 0;
	if (!h->arcount) {
		if (pk->qend != pk->end)
			return stop(v, PASS_Q(ctx, pass_shape));
		return false;
	}
	__u8 *o = data + (pk->qend & XD_BOUND_QUERY);
	if ((void *)(o + XD_OPT_RR_LEN) > end ||
	    pk->qend + XD_OPT_RR_LEN > pk->end)
		return stop(v, PASS_Q(ctx, pass_shape));
	/* Root name, type, size, extended rcode, version and the flags'
	 * first byte in one load; the rest in another. */
	__u64 ow = load64(o);
	__u32 ox = load32(o + 7);
	if ((ow & 0xffffff) != XD_TYPE_OPT << 16)
		return stop(v, PASS_Q(ctx, pass_shape));
	if ((ow >> 48) & 0xff)
		return stop(v, PASS_E(ctx, pass_edns_version)); /* BADVERS */
	__u32 rdlen = ((ox >> 16) & 0xff) << 8 | ox >> 24;
	if (rdlen) {
		if (!(cfg->cookie_flags & XD_CK_ON) ||
		    (rdlen != 4 + XD_COOKIE_CLIENT &&
		     rdlen != 4 + XD_COOKIE_CLIENT + XD_COOKIE_SERVER))
			return stop(v, PASS_Q(ctx, pass_edns_option));
		__u8 *c = o + XD_OPT_RR_LEN;
		if ((void *)(c + 4 + XD_COOKIE_CLIENT) > end)
			return stop(v, PASS_Q(ctx, pass_shape));
		if (c[0] != 0 || c[1] != XD_OPT_COOKIE || c[2] != 0 ||
		    c[3] != rdlen - 4)
			return stop(v, PASS_Q(ctx, pass_edns_option));
		store64(s->ck.cookie, load64(c + 4));
		pk->cookie = 1;
		if (rdlen == 4 + XD_COOKIE_CLIENT + XD_COOKIE_SERVER) {
			__u8 *sc = c + 4 + XD_COOKIE_CLIENT;
			if ((void *)(sc + XD_COOKIE_SERVER) > end)
				return stop(v, PASS_Q(ctx, pass_shape));
			store64(s->ck.cookie + 8, load64(sc));
			store64(s->ck.cookie + 16, load64(sc + 8));
			pk->cookie = 2;
		}
	}
	if (pk->qend + XD_OPT_RR_LEN + rdlen != pk->end)
		return stop(v, PASS_Q(ctx, pass_shape));
	pk->edns = 1;
	pk->udp_size = (__u16)(((ow >> 24) & 0xff) << 8 | ((ow >> 32) & 0xff));
	pk->do_bit = ow >> 63;
	return false;
}

#endif
