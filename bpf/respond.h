/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Building the reply in place: the template's bytes go after the client's
 * question, the DNS header and the OPT record are rewritten, addresses and
 * ports swapped, lengths and checksums set.
 */
#ifndef XDPDNS_BPF_RESPOND_H
#define XDPDNS_BPF_RESPOND_H

#include "maps.h"
#include "parse.h"
#include "stats.h"

#define OPT_LEN 11
#define HEADERS_MAX 352 /* Ethernet, 2 VLAN tags, IPv6, UDP, DNS, question */

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Make the frame exactly want bytes long. Growing at the tail is cheap but
 * often refused on veth for frames that came from a socket; then grow at
 * the front into the headroom and move the headers and the question
 * (hdr bytes) there. Returns 0, or -1 when neither works.
 */
static __always_inline int resize(struct xdp_md *ctx, struct xd_scratch *s,
				  __u32 want, __u32 hdr)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int have = (int)(end - data);
	int grow = (int)want - have;

	if (grow == 0)
		return 0;
	if (bpf_xdp_adjust_tail(ctx, grow) == 0)
		return 0;
	if (grow < 0 || hdr > HEADERS_MAX || hdr == 0)
		return -1;
	/* The verifier needs the bound in the register it checks. */
	barrier_var(hdr);
	hdr &= 511;
	if (!hdr || bpf_xdp_load_bytes(ctx, 0, s->move, hdr) < 0)
		return -1;
	if (bpf_xdp_adjust_head(ctx, -grow) < 0)
		return -1;
	if (bpf_xdp_store_bytes(ctx, 0, s->move, hdr) < 0)
		return -1;
	return 0;
}

static __always_inline __u32 load32(const void *p)
{
	__u32 v;

	asm volatile("%0 = *(u32 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

/*
 * The UDP checksum over the pseudo header, UDP header and payload,
 * summed here in 32-bit words (cheaper than helper calls at this size).
 */
static __always_inline __u16 udp_csum(struct xdp_md *ctx, struct pkt *p,
				      __u32 ulen)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 sum = 0;

	if (p->ipv6) {
		struct ipv6hdr *ip6 = data + (p->l3 & 0xff);
		if ((void *)(ip6 + 1) > end)
			return 0;
		const __u32 *a = (const __u32 *)&ip6->saddr;
#pragma unroll
		for (int i = 0; i < 8; i++)
			sum += load32(a + i);
	} else {
		struct iphdr *ip = data + (p->l3 & 0xff);
		if ((void *)(ip + 1) > end)
			return 0;
		sum += load32(&ip->saddr);
		sum += load32(&ip->daddr);
	}
	sum += bpf_htons(IPPROTO_UDP) + bpf_htons((__u16)ulen);

	__u8 *b = data + (p->l4 & 0x1ff);
	__u32 words = ulen / 4;
	for (__u32 i = 0; i < (1232 + 8 + 64) / 4; i++) {
		if (i >= words)
			break;
		__u8 *w = b + ((i * 4) & 0x7ff);
		if ((void *)(w + 4) > end)
			return 0;
		sum += load32(w);
	}
	/* The last one to three bytes, padded with zeros. */
	__u32 left = ulen & 3;
	if (left) {
		__u8 *t = b + ((words * 4) & 0x7ff);
		__u32 word = 0;
		if ((void *)(t + 1) > end)
			return 0;
		word = t[0];
		if (left > 1) {
			if ((void *)(t + 2) > end)
				return 0;
			word |= (__u32)t[1] << 8;
		}
		if (left > 2) {
			if ((void *)(t + 3) > end)
				return 0;
			word |= (__u32)t[2] << 16;
		}
		sum += word;
	}
	__u16 c = (__u16)~csum_fold(sum);
	return c ? c : 0xffff;
}

static __always_inline __u16 ipv4_csum(struct iphdr *ip)
{
	__u64 sum = 0;
	__u16 *w = (__u16 *)ip;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	return (__u16)~csum_fold(sum);
}

/* Swap addresses and ports, set lengths, TTL and checksums. */
static __always_inline int finish(struct xdp_md *ctx, struct pkt *p,
				  __u32 frame_len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > end)
		return -1;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	__u32 ulen = frame_len - p->l4;
	struct udphdr *udp = data + (p->l4 & 0x1ff);
	if ((void *)(udp + 1) > end)
		return -1;
	__be16 port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons((__u16)ulen);
	udp->check = 0;

	if (p->ipv6) {
		struct ipv6hdr *ip6 = data + (p->l3 & 0xff);
		if ((void *)(ip6 + 1) > end)
			return -1;
		struct in6_addr a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->payload_len = bpf_htons((__u16)ulen);
		ip6->hop_limit = 64;
	} else {
		struct iphdr *ip = data + (p->l3 & 0xff);
		if ((void *)(ip + 1) > end)
			return -1;
		__be32 a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->tot_len = bpf_htons((__u16)(frame_len - p->l3));
		ip->ttl = 64;
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000); /* DF */
		ip->check = 0;
		ip->check = ipv4_csum(ip);
	}
	__u16 c = udp_csum(ctx, p, ulen);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	udp = data + (p->l4 & 0x1ff);
	if ((void *)(udp + 1) > end || !c)
		return -1;
	udp->check = c;
	return 0;
}

#endif
