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
 * Make the frame exactly want bytes long; hdr is the headers' and the
 * question's length, which stay in front of what grows. Growing at the
 * front costs half what growing at the tail does (the tail's new bytes
 * are zeroed first), and veth often refuses the tail for frames that came
 * from a socket: grow into the headroom and move the first hdr bytes
 * down, 8 at a time; the tail when the headroom is short (large answers)
 * or the frame shrinks. Returns 0, or -1 when neither end has the room.
 */
static __always_inline int resize(struct xdp_md *ctx, __u32 want, __u32 hdr)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int have = (int)(end - data);
	int grow = (int)want - have;

	if (grow == 0)
		return 0;
	if (grow < 0 || hdr > HEADERS_MAX || hdr < 8 ||
	    bpf_xdp_adjust_head(ctx, -grow) < 0)
		return bpf_xdp_adjust_tail(ctx, grow) == 0 ? 0 : -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	/* Downwards, so a word is read before anything lands on it; the
	 * last 8 bytes (which overlap the word before when hdr is not a
	 * multiple of 8) first, as growth under 8 puts them in the way. */
	__u32 g = (__u32)grow & 0x7ff, last = (hdr - 8) & 0x1ff;
	__u8 *ls = data + g + last;
	if ((void *)(ls + 8) > end)
		return -1;
	__u64 lw = load64(ls);
	for (__u32 i = 0; i < HEADERS_MAX / 8; i++) {
		if (8 * i + 8 > hdr)
			break;
		__u8 *src = data + g + 8 * i;
		__u8 *dst = data + 8 * i;
		if ((void *)(src + 8) > end || (void *)(dst + 8) > end)
			return -1;
		store64(dst, load64(src));
	}
	__u8 *ld = data + last;
	if ((void *)(ld + 8) > end)
		return -1;
	store64(ld, lw);
	return 0;
}

static __always_inline __u32 load32(const void *p)
{
	__u32 v;

	asm volatile("%0 = *(u32 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

/*
 * The UDP checksum of the reply, reading none of what was just written
 * (reading it back would stall on the stores): the pseudo header and the
 * UDP header come from the values (sum), the DNS header's part from
 * respond() (s->hsum), the question's from the parse, the template's
 * part from the loader (in s->cut) as moved by the relocations (s->rsum),
 * and the OPT record's from make_opt(). Sums are of native
 * (little-endian) 16-bit words at even offsets from the UDP header; a
 * part that starts at an odd offset has its sum byte-swapped.
 */
static __always_inline __u16 udp_csum(const struct xd_scratch *s, __u64 sum)
{
	const struct pkt *p = &s->pk;

	sum += s->hsum;
	/* The question, summed while parsing it. */
	__u32 qsize = p->qsize & 0x1ff;
	sum += p->qsum;

	/* The template's bytes right after the question, and the OPT record
	 * and its options (summed by make_opt()) after them: a part that
	 * starts at an odd offset is shifted 8 bits, which swaps the bytes
	 * of its sum modulo 0xffff. */
	sum += ((s->cut >> 48) + s->rsum) << (8 * (qsize & 1));
	if (p->edns)
		sum += (__u64)(s->osum & 0xffff)
		       << (8 * ((qsize + s->cut) & 1));
	__u16 c = (__u16)~csum_fold(sum);
	return c ? c : 0xffff;
}

/*
 * Swap addresses and ports, set lengths, TTL and checksums. The IPv4
 * header checksum and the fixed part of the UDP one come from the values
 * read before the rewrite.
 */
static __always_inline int finish(struct xdp_md *ctx,
				  const struct xd_scratch *s, __u32 frame_len)
{
	const struct pkt *p = &s->pk;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return -1;
	/* The MACs swapped in two loads and two stores: a holds the
	 * destination and the source's first two bytes, b the rest. */
	__u64 a = load64(eth);
	__u32 b = load32((__u8 *)eth + 8);
	store64(eth, a >> 48 | (__u64)b << 16 | a << 48);
	*(__u32 *)((__u8 *)eth + 8) = (__u32)(a >> 16);

	__u32 ulen = frame_len - p->l4;
	struct udphdr *udp = data + (p->l4 & 0x1ff);
	if ((void *)(udp + 1) > end)
		return -1;
	__u32 ports = load32(udp);
	__u32 be_ulen = bpf_htons((__u16)ulen);
	/* Pseudo header's protocol and length; ports and length. */
	__u64 sum = bpf_htons(IPPROTO_UDP) + be_ulen + (ports & 0xffff) +
		    (ports >> 16) + be_ulen;
	*(__u32 *)udp = ports >> 16 | ports << 16;
	udp->len = (__u16)be_ulen;

	if (p->ipv6) {
		struct ipv6hdr *ip6 = data + (p->l3 & 0xff);
		if ((void *)(ip6 + 1) > end)
			return -1;
		__u32 a[8];
#pragma unroll
		for (int i = 0; i < 8; i++) {
			a[i] = load32((__u32 *)&ip6->saddr + i);
			sum += a[i];
		}
#pragma unroll
		for (int i = 0; i < 4; i++) {
			((__u32 *)&ip6->saddr)[i] = a[4 + i];
			((__u32 *)&ip6->daddr)[i] = a[i];
		}
		ip6->payload_len = (__u16)be_ulen;
		ip6->hop_limit = 64;
	} else {
		struct iphdr *ip = data + (p->l3 & 0xff);
		if ((void *)(ip + 1) > end)
			return -1;
		__u32 w0 = load32(ip); /* version, IHL, TOS, length */
		__u32 sa = load32(&ip->saddr), da = load32(&ip->daddr);
		__u32 tot = bpf_htons((__u16)(frame_len - p->l3));
		sum += (__u64)sa + da;
		ip->saddr = da;
		ip->daddr = sa;
		ip->tot_len = (__u16)tot;
		ip->ttl = 64;
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000); /* DF */
		__u64 isum = (w0 & 0xffff) + tot + bpf_htons(0x4000) +
			     (64 | IPPROTO_UDP << 8) + (sa & 0xffff) +
			     (sa >> 16) + (da & 0xffff) + (da >> 16);
		ip->check = (__u16)~csum_fold(isum);
	}
	udp->check = udp_csum(s, sum);
	return 0;
}

#endif
