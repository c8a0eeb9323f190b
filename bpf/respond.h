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

/* The same for a sum of at most 65537 16-bit words (under 2^32). */
static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Make the frame exactly want bytes long. Growing at the front costs half
 * what growing at the tail does (the tail's new bytes are zeroed first),
 * and veth often refuses the tail for frames that came from a socket:
 * grow into the headroom, and at the tail when the headroom is short
 * (large answers) or the frame shrinks. Returns how many bytes the front
 * grew (the query's bytes now start that far in; headers() moves what is
 * kept), or -1 when neither end has the room.
 */
static __always_inline int resize(struct xdp_md *ctx, __u32 want)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int have = (int)(end - data);
	int grow = (int)want - have;

	if (grow == 0)
		return 0;
	if (grow > 0 && bpf_xdp_adjust_head(ctx, -grow) == 0)
		return grow;
	return bpf_xdp_adjust_tail(ctx, grow) == 0 ? 0 : -1;
}

static __always_inline __u32 load32(const void *p)
{
	__u32 v;

	asm volatile("%0 = *(u32 *)(%1 + 0)" : "=r"(v) : "r"(p));
	return v;
}

/*
 * The UDP checksum of the reply, reading none of what was just written
 * (reading it back would stall on the stores): the pseudo header's and
 * the UDP and DNS headers' part from headers() (s->hsum), the
 * question's from the parse, the template's from the loader (in s->cut)
 * as moved by the relocations (s->rsum), and the OPT record's from
 * make_opt(). Sums are of native
 * (little-endian) 16-bit words at even offsets from the UDP header; a
 * part that starts at an odd offset has its sum byte-swapped.
 */
static __always_inline __u16 udp_csum(const struct xd_scratch *s)
{
	const struct pkt *p = &s->pk;
	__u64 sum = s->hsum;

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
 * The reply's headers and question, in front of where its sections go:
 * the query's bytes start `from` bytes in (resize() grew the front). Every
 * header field kept is read first, then the question moves down (8 bytes
 * a step from its start, so each word is read before anything lands on
 * it; its last word read first, as a move under 8 puts it in the way),
 * then the headers are written whole at their place: MACs, addresses and
 * ports swapped, lengths, TTL 64, the IPv4 checksum, the DNS header from
 * the values. The UDP checksum's part of all this goes to s->hsum; the
 * checksum itself is stored last, by respond().
 */
static __always_inline int headers(struct xdp_md *ctx, struct xd_scratch *s,
				   __u32 from, __u32 frame_len, __u64 w0,
				   __u32 w1)
{
	const struct pkt *p = &s->pk;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3 = p->l3 & 0x1f, l4 = p->l4 & 0x7f, dns = p->dns & 0x7f;
	__u32 qsize = p->qsize & 0x1ff;
	__u8 *old = data + (from & 0x7ff);

	/* Ethernet: the MACs in two loads (a holds the destination and the
	 * source's first two bytes, b the rest), the type and up to two VLAN
	 * tags after them in two more (the second also reads into the IP
	 * header, rewritten after it). */
	if ((void *)(old + 22) > end)
		return -1;
	__u64 a = load64(old), tags = LOAD_AT(64, old, 14);
	__u32 b = LOAD_AT(32, old, 8);
	__u16 type = LOAD_AT(16, old, 12);
	__u8 *u = old + l4;
	if ((void *)(u + 8) > end)
		return -1;
	__u32 ports = load32(u);
	__u8 *ip = old + l3;
	if ((void *)(ip + 40) > end)
		return -1;
	/* The family read once: a second read, after the stores below,
	 * would be a path the verifier takes with sa[1..3] unset. */
	__u32 ipv6 = p->ipv6;
	__u32 v0 = load32(ip), sa[4], da[4];
	if (ipv6) {
		sa[0] = LOAD_AT(32, ip, 8);
		sa[1] = LOAD_AT(32, ip, 12);
		sa[2] = LOAD_AT(32, ip, 16);
		sa[3] = LOAD_AT(32, ip, 20);
		da[0] = LOAD_AT(32, ip, 24);
		da[1] = LOAD_AT(32, ip, 28);
		da[2] = LOAD_AT(32, ip, 32);
		da[3] = LOAD_AT(32, ip, 36);
	} else {
		sa[0] = LOAD_AT(32, ip, 12);
		da[0] = LOAD_AT(32, ip, 16);
	}
	__u8 *d = old + dns;
	if ((void *)(d + 2) > end)
		return -1;
	w0 |= load16(d); /* the client's ID */

	if (from) {
		__u32 q = dns + 12, last = (q + qsize - 8) & 0x1ff;
		__u8 *ls = old + last;
		if ((void *)(ls + 8) > end)
			return -1;
		__u64 lw = load64(ls);
		for (__u32 i = 0; i < (XD_NAME_MAX + 4) / 8; i++) {
			if (8 * i + 8 > qsize)
				break;
			__u8 *src = old + q + 8 * i;
			__u8 *dst = data + q + 8 * i;
			if ((void *)(src + 8) > end || (void *)(dst + 8) > end)
				return -1;
			store64(dst, load64(src));
		}
		__u8 *ld = data + last;
		if ((void *)(ld + 8) > end)
			return -1;
		store64(ld, lw);
	}

	__u8 *eth = data;
	if ((void *)(eth + 22) > end)
		return -1;
	if (l3 > ETH_HLEN)
		STORE64_AT(eth, 14, tags);
	store64(eth, a >> 48 | (__u64)b << 16 | a << 48);
	*(__u32 *)(eth + 8) = (__u32)(a >> 16);
	*(__u16 *)(eth + 12) = type;

	__u32 ulen = frame_len - l4;
	__u32 be_ulen = bpf_htons((__u16)ulen);
	/* Pseudo header's protocol and length; ports and length. */
	__u64 sum = bpf_htons(IPPROTO_UDP) + be_ulen + (ports & 0xffff) +
		    (ports >> 16) + be_ulen;
	__u8 *nip = data + l3;
	if ((void *)(nip + 40) > end)
		return -1;
	if (ipv6) {
		*(__u32 *)nip = v0;
		/* Payload length, next header UDP, hop limit 64. */
		*(__u32 *)(nip + 4) = be_ulen | IPPROTO_UDP << 16 | 64 << 24;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			sum += (__u64)sa[i] + da[i];
			*(__u32 *)(nip + 8 + 4 * i) = da[i];
			*(__u32 *)(nip + 24 + 4 * i) = sa[i];
		}
	} else {
		__u32 tot = bpf_htons((__u16)(frame_len - l3));
		/* ID 0, DF; TTL 64, protocol UDP. */
		__u64 isum = (v0 & 0xffff) + tot + bpf_htons(0x4000) +
			     (64 | IPPROTO_UDP << 8) + (sa[0] & 0xffff) +
			     (sa[0] >> 16) + (da[0] & 0xffff) + (da[0] >> 16);
		__u32 check = (__u16)~csum_fold32((__u32)isum);
		sum += (__u64)sa[0] + da[0];
		*(__u32 *)nip = (v0 & 0xffff) | tot << 16;
		*(__u32 *)(nip + 4) = bpf_htons(0x4000) << 16;
		*(__u32 *)(nip + 8) = 64 | IPPROTO_UDP << 8 | check << 16;
		*(__u32 *)(nip + 12) = da[0];
		*(__u32 *)(nip + 16) = sa[0];
	}
	__u8 *nu = data + l4;
	if ((void *)(nu + 8) > end)
		return -1;
	*(__u32 *)nu = ports >> 16 | ports << 16;
	*(__u32 *)(nu + 4) = be_ulen; /* and a zero checksum, for now */

	__u8 *nd = data + dns;
	if ((void *)(nd + 12) > end)
		return -1;
	store64(nd, w0);
	*(__u32 *)(nd + 8) = w1;
	s->hsum = sum + (w0 & 0xffffffff) + (w0 >> 32) + w1;
	return 0;
}

#endif
