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
 * (large answers), the frame shrinks, or it grows by less than
 * XD_FRONT_MIN bytes (headers() relies on that; only a frame with bytes
 * after its datagram, such as Ethernet padding, can grow by so little).
 * Returns how many bytes the front grew (the query's bytes now start that
 * far in; headers() moves what is kept), or -1 when neither end has the
 * room.
 */
#define XD_FRONT_MIN 8

static __always_inline int resize(struct xdp_md *ctx, __u32 want)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int have = (int)(end - data);
	int grow = (int)want - have;

	if (grow == 0)
		return 0;
	if (grow >= XD_FRONT_MIN && bpf_xdp_adjust_head(ctx, -grow) == 0)
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
 * the UDP and DNS headers' part from headers() (s->r.hsum), the
 * question's from the parse, the template's from the loader (in s->r.cut)
 * as moved by the relocations (s->r.rsum), and the OPT record's from
 * make_opt(). Sums are of native
 * (little-endian) 16-bit words at even offsets from the UDP header; a
 * part that starts at an odd offset has its sum byte-swapped.
 */
static __always_inline __u16 udp_csum(const struct xd_scratch *s)
{
	const struct pkt *p = &s->pk;
	__u64 sum = s->r.hsum;

	/* The question, summed while parsing it. */
	__u32 qsize = p->qsize & 0x1ff;
	sum += p->qsum;

	/* The template's bytes right after the question, and the OPT record
	 * and its options (summed by make_opt()) after them: a part that
	 * starts at an odd offset is shifted 8 bits, which swaps the bytes
	 * of its sum modulo 0xffff. */
	sum += ((s->r.cut >> 48) + s->r.rsum) << (8 * (qsize & 1));
	if (p->edns)
		sum += (__u64)(s->r.osum & 0xffff)
		       << (8 * ((qsize + s->r.cut) & 1));
	__u16 c = (__u16)~csum_fold(sum);
	return c ? c : 0xffff;
}

/*
 * The reply's headers and question, in front of where its sections go:
 * the query's bytes start `from` bytes in (resize() grew the front by 0 or
 * at least XD_FRONT_MIN bytes). The headers are written whole at their
 * place, one after the other, each from its own fields read just before:
 * MACs, addresses and ports swapped, lengths, TTL 64, the IPv4 checksum,
 * the DNS header from the values. A store of at most 8 bytes lands `from`
 * bytes before the query's bytes at the same offset, on bytes read already.
 * The question moves down before the DNS header is written, 8 bytes a
 * step from its start, then its last 8 bytes. The UDP checksum's part of
 * all this goes to s->r.hsum; the checksum itself is stored last, by
 * respond(). headers() below calls this with the offsets as constants
 * for untagged frames.
 */
static __always_inline int build_headers(struct xdp_md *ctx,
					 struct xd_scratch *s, __u32 from,
					 __u32 frame_len, __u64 w0, __u32 w1,
					 __u32 l3, __u32 ipv6)
{
	_Static_assert(XD_FRONT_MIN >= 8, "headers() stores 8 bytes at most");
	const struct pkt *p = &s->pk;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l4 = l3 + (ipv6 ? 40 : 20), dns = l4 + 8;
	__u8 *old = data + (from & 0x7ff);
	/* When l3 and ipv6 are constants (headers() passes them so for
	 * untagged frames), every header lies at a fixed offset: one bounds
	 * check each for the query's bytes and the reply's covers them all.
	 * Otherwise each pointer is checked before its use. */
	int fixed = __builtin_constant_p(l3) && __builtin_constant_p(ipv6);
#define CHECK(ptr, n)                                      \
	do {                                               \
		if (!fixed && (void *)((ptr) + (n)) > end) \
			return -1;                         \
	} while (0)
	if (fixed && ((void *)(old + dns + 12) > end ||
		      (void *)((__u8 *)data + dns + 12) > end))
		return -1;

	/* Ethernet: the MACs in two loads (a holds the destination and the
	 * source's first two bytes, b the rest), the type and up to two VLAN
	 * tags after them in two more (the second also reads into the IP
	 * header, written after it). */
	CHECK(old, 22);
	__u64 a = load64(old);
	__u32 b = *(const __u32 *)(old + 8);
	__u16 type = *(const __u16 *)(old + 12);
	__u8 *eth = data;
	CHECK(eth, 22);
	if (l3 > ETH_HLEN)
		STORE64_AT(eth, 14, LOAD_AT(64, old, 14));
	store64(eth, a >> 48 | (__u64)b << 16 | a << 48);
	*(__u32 *)(eth + 8) = (__u32)(a >> 16);
	*(__u16 *)(eth + 12) = type;

	__u32 ulen = frame_len - l4;
	__u32 be_ulen = bpf_htons((__u16)ulen);
	/* Pseudo header's protocol and length, and the UDP length. */
	__u64 sum = bpf_htons(IPPROTO_UDP) + be_ulen + be_ulen;
	__u8 *ip = old + l3, *nip = (__u8 *)data + l3;
	CHECK(ip, 40);
	CHECK(nip, 40);
	__u32 v0 = *(const __u32 *)ip;
	if (ipv6) {
		__u64 s0 = LOAD_AT(64, ip, 8), s1 = LOAD_AT(64, ip, 16);
		__u64 d0 = LOAD_AT(64, ip, 24), d1 = LOAD_AT(64, ip, 32);
		sum += (s0 & 0xffffffff) + (s0 >> 32) + (s1 & 0xffffffff) +
		       (s1 >> 32) + (d0 & 0xffffffff) + (d0 >> 32) +
		       (d1 & 0xffffffff) + (d1 >> 32);
		*(__u32 *)nip = v0;
		/* Payload length, next header UDP, hop limit 64. */
		*(__u32 *)(nip + 4) = be_ulen | IPPROTO_UDP << 16 | 64 << 24;
		STORE64_AT(nip, 8, d0);
		STORE64_AT(nip, 16, d1);
		STORE64_AT(nip, 24, s0);
		STORE64_AT(nip, 32, s1);
	} else {
		__u32 sa = *(const __u32 *)(ip + 12),
		      da = *(const __u32 *)(ip + 16);
		__u32 tot = bpf_htons((__u16)(frame_len - l3));
		/* ID 0, DF; TTL 64, protocol UDP. */
		__u64 isum = (v0 & 0xffff) + tot + bpf_htons(0x4000) +
			     (64 | IPPROTO_UDP << 8) + (sa & 0xffff) +
			     (sa >> 16) + (da & 0xffff) + (da >> 16);
		__u32 check = (__u16)~csum_fold32((__u32)isum);
		sum += (__u64)sa + da;
		*(__u32 *)nip = (v0 & 0xffff) | tot << 16;
		*(__u32 *)(nip + 4) = bpf_htons(0x4000) << 16;
		*(__u32 *)(nip + 8) = 64 | IPPROTO_UDP << 8 | check << 16;
		*(__u32 *)(nip + 12) = da;
		*(__u32 *)(nip + 16) = sa;
	}

	__u8 *u = old + l4, *nu = (__u8 *)data + l4;
	CHECK(u, 8);
	CHECK(nu, 8);
	__u32 ports = *(const __u32 *)u;
	sum += (ports & 0xffff) + (ports >> 16);
	*(__u32 *)nu = ports >> 16 | ports << 16;
	*(__u32 *)(nu + 4) = be_ulen; /* and a zero checksum, for now */

	__u8 *d = old + dns;
	CHECK(d, 2);
	w0 |= *(const __u16 *)d; /* the client's ID */

	if (from) {
		__u32 qsize = p->qsize & 0x1ff;
		__u8 *qs = old + dns + 12, *qd = (__u8 *)data + dns + 12;
		for (__u32 i = 0; i < (XD_NAME_MAX + 4) / 8; i++) {
			if (8 * i + 8 > qsize)
				break;
			__u8 *src = qs + 8 * i, *dst = qd + 8 * i;
			if ((void *)(src + 8) > end || (void *)(dst + 8) > end)
				return -1;
			store64(dst, load64(src));
		}
		/* Its last 8 bytes, as an offset from the frame's start: for
		 * a question under 8 bytes they begin in the DNS header. */
		__u32 last = (dns + 12 + qsize - 8) & 0x1ff;
		__u8 *ls = old + last, *ld = (__u8 *)data + last;
		if ((void *)(ls + 8) > end || (void *)(ld + 8) > end)
			return -1;
		store64(ld, load64(ls));
	}
	/* The DNS header after the question: a question under 8 bytes has
	 * its last 8 start in the header. */
	__u8 *nd = (__u8 *)data + dns;
	CHECK(nd, 12);
	store64(nd, w0);
	*(__u32 *)(nd + 8) = w1;
	s->r.hsum = sum + (w0 & 0xffffffff) + (w0 >> 32) + w1;
	return 0;
#undef CHECK
}

/* build_headers() with fixed offsets for untagged frames, the common
 * case, and with the parse's for the rest. */
static __always_inline int headers(struct xdp_md *ctx, struct xd_scratch *s,
				   __u32 from, __u32 frame_len, __u64 w0,
				   __u32 w1)
{
	__u32 l3 = s->pk.l3 & 0x1f, ipv6 = s->pk.ipv6;

	if (l3 == ETH_HLEN && !ipv6)
		return build_headers(ctx, s, from, frame_len, w0, w1, ETH_HLEN,
				     0);
	if (l3 == ETH_HLEN)
		return build_headers(ctx, s, from, frame_len, w0, w1, ETH_HLEN,
				     1);
	return build_headers(ctx, s, from, frame_len, w0, w1, l3, ipv6);
}

#endif
