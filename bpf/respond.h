/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Building the reply in place: the template's bytes go after the client's
 * question, the DNS header and the OPT record are rewritten, addresses and
 * ports swapped, lengths and checksums set.
 */
#ifndef XDPDNS_BPF_RESPOND_H
#define XDPDNS_BPF_RESPOND_H

#include "cookie.h"
#include "lookup.h"
#include "maps.h"
#include "mem.h"
#include "rrl.h"
#include "stats.h"
#include "verifier.h"

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
	__u32 qsize = p->qsize & XD_BOUND_NAME_LEN;
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
	__u8 *old = data + (from & XD_BOUND_FRAME);
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
		__u32 qsize = p->qsize & XD_BOUND_NAME_LEN;
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
	__u32 l3 = s->pk.l3 & XD_BOUND_L3, ipv6 = s->pk.ipv6;

	if (l3 == ETH_HLEN && !ipv6)
		return build_headers(ctx, s, from, frame_len, w0, w1, ETH_HLEN,
				     0);
	if (l3 == ETH_HLEN)
		return build_headers(ctx, s, from, frame_len, w0, w1, ETH_HLEN,
				     1);
	return build_headers(ctx, s, from, frame_len, w0, w1, l3, ipv6);
}

/* ---- the reply's plan ---------------------------------------------------- */

/* Entry idx of generation gen's templates in xd_chunks. */
static __always_inline const struct xd_chunk *chunk(const struct xd_config *cfg,
						    __u32 gen, __u32 idx)
{
	__u32 i = (gen ? cfg->chunks : 0) + idx;

	return bpf_map_lookup_elem(&xd_chunks, &i);
}

/*
 * The chunk of the template whose first chunk is xd_chunks entry tb that
 * holds its byte off: c itself while off is not at a chunk's start (the
 * caller walks the template forward and passed the chunk it holds, or
 * NULL), else looked up. NULL when outside the array.
 */
static __always_inline const struct xd_chunk *
tmpl_chunk(const struct xd_chunk *c, __u32 tb, __u32 off)
{
	if (c && (off & (XD_CHUNK - 1)))
		return c;
	__u32 i = tb + off / XD_CHUNK;
	return bpf_map_lookup_elem(&xd_chunks, &i);
}

/* A template's kind (1-4, positive to referral; struct xd_xtmpl read as
 * a word) as 0-3, anything else as a referral: the rate limiter's class
 * and the answer's counter both follow it. */
static __always_inline __u32 kind_of(__u64 th)
{
	__u32 k = (__u32)(th & 0xff) - 1u;

	return k < 4 ? k : 3;
}

/* The chosen cut's length, read afresh (see key_len in lookup.h). */
static __always_inline __u32 cut_len(const struct xd_scratch *s)
{
	join_states();
	return s->r.cut & XD_BOUND_FRAME;
}

/*
 * Template tref's header (in *th) and the longest of its cuts that
 * fits the client's limit (into s->r.cut: the empty one is implicit, TC
 * as the template says); the relocation's delta in *delta. Passes what a
 * template cannot answer here.
 */
static __always_inline int choose_cut(struct xdp_md *ctx, struct xd_scratch *s,
				      const struct xd_config *cfg, __u32 gen,
				      __u32 tref, int walked, int *delta,
				      __u64 *th, int *v)
{
	/* The parse, from memory: whatever path led here, the verifier
	 * checks the reply once. */
	join_states();
	struct pkt *p = &s->pk;

	const struct xd_chunk *c0 = chunk(cfg, gen, tref);
	if (!c0)
		return stop(v, PASS_Q(ctx, pass_template));
	*th = load64(c0->b); /* struct xd_xtmpl, kept as a word */
	struct xd_xtmpl h;
	__builtin_memcpy(&h, th, sizeof(h));
	if (h.len > XD_TMPL_MAX_BYTES || h.ncuts > XD_TMPL_MAX_CUTS ||
	    h.nrelocs > XD_TMPL_MAX_RELOCS)
		return stop(v, PASS_Q(ctx, pass_template));
	*delta = 0;
	if (h.flags & XD_XT_RELOC) {
		if (p->name_len < h.base_len)
			return stop(v, PASS_Q(ctx, pass_template));
		*delta = p->name_len - h.base_len;
	} else if (walked) {
		return stop(v, PASS_Q(ctx, pass_template));
	}

	/* The client's limit, as the engine computes it. */
	__u32 limit = 512;
	if (p->edns) {
		limit = p->udp_size < cfg->edns_udp ? p->udp_size :
						      cfg->edns_udp;
		if (limit < 512)
			limit = 512;
	}
	__u32 optlen = !p->edns	 ? 0 :
		       p->cookie ? XD_OPT_RR_LEN + 28 :
				   XD_OPT_RR_LEN;
	__u32 avail = limit - (XD_DNS_HEADER + p->qsize + optlen);

	/* The longest cut that fits, kept as the word it is read as. */
	s->r.cut = (h.flags & XD_XT_TC0) ? XD_XCUT_TC : 0;
	s->r.rsum = 0;
	s->r.has_cut = 0;
	for (__u32 k = 0; k < XD_TMPL_MAX_CUTS; k++) {
		if (k >= h.ncuts)
			break;
		__u32 off = 8 + 8 * (h.ncuts - 1 - k);
		const struct xd_chunk *c =
			off < XD_CHUNK ? c0 :
					 chunk(cfg, gen, tref + off / XD_CHUNK);
		if (!c)
			return stop(v, PASS_Q(ctx, pass_template));
		/* struct xd_xcut in one load: len, an, ns, ar, pad, sum. */
		__u64 x = load64(c->b + (off & (XD_CHUNK - 8)));
		__u32 len = x & (0xffff & ~XD_XCUT_TC);
		if (len > avail)
			continue;
		s->r.cut = x;
		s->r.has_cut = 1;
		break;
	}
	/* Read back: one state for the verifier, whichever cut won. */
	__u32 clen = cut_len(s);
	if ((h.flags & XD_XT_CUTS_PART) && !s->r.has_cut)
		return stop(v, PASS_Q(ctx, pass_template));
	if (clen > h.len)
		return stop(v, PASS_Q(ctx, pass_template));

	s->r.optlen = 0;
	s->r.osum = 0;
	s->r.slipped = 0;
	s->r.cookie_valid = 0;
	if (optlen && make_opt(ctx, s, cfg) < 0)
		return stop(v, PASS_Q(ctx, pass_template));
	return false;
}

/*
 * Response rate limiting: an answer over its client's rate is dropped,
 * or sent as a slip (TC=1 with the question and OPT alone, s->r.cut made
 * the empty one); a valid cookie of ours exempts. Answers and NODATA are
 * counted by name and type, NXDOMAIN by zone, referrals by delegation
 * (their template). An answer made from a wildcard counts for the
 * wildcard (its parent, the closest encloser, marked), as BIND counts
 * it: random names under it are one bucket.
 */
static __always_inline int limit_answer(struct xdp_md *ctx,
					struct xd_scratch *s,
					const struct xd_config *cfg, __u32 gen,
					__u32 tref, int walked, __u64 th,
					int *v)
{
	__u32 cls = kind_of(th);

	if (!cfg->rrl_rate[cls] || s->r.cookie_valid)
		return false;
	__u64 name = s->f.hash ^ (walked ? 0x2a : 0);
	__u64 id = cls <= XD_RRL_NODATA ? name ^ (__u64)s->pk.qtype << 48 :
					  (__u64)gen << 32 | tref;
	int r = xd_limit(ctx, cls, id);
	if (r == RRL_DROP)
		return stop(v, DROP(drop_rrl));
	if (r == RRL_SLIP) {
		s->r.cut = XD_XCUT_TC;
		s->r.slipped = 1;
	}
	return false;
}

/* ---- building it --------------------------------------------------------- */

/*
 * Move one compression pointer (relocation r: struct xd_xreloc as a
 * word) by delta, in the reply's sections at qend, cut to rl bytes.
 * Returns its offset's parity (1 odd, 0 even: the checksum's change
 * depends on it), 2 when it lies past the cut (and so do those after
 * it), -1 when outside the frame.
 */
static __always_inline int move_ptr(void *data, void *end, __u32 qend, __u32 rl,
				    __u32 r, int delta)
{
	__u32 pos = r & 0xffff;

	if (pos + 2 > rl)
		return 2;
	__u8 *ptr = data + ((qend + pos) & XD_BOUND_FRAME);
	if ((void *)(ptr + 2) > end)
		return -1;
	*(__u16 *)ptr = bpf_htons((__u16)((r >> 16) + delta));
	return pos & 1;
}

/*
 * The template's section bytes after the question at qend: 8 at a time,
 * a chunk looked up once for all its words; then the last few. -1 when
 * the template table is inconsistent.
 */
static __always_inline int write_sections(struct xdp_md *ctx,
					  struct xd_scratch *s, __u32 qend)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 ncuts = (s->r.th >> 32) & 0x1f, nrelocs = (s->r.th >> 40) & 0x7f;
	__u32 bytes = xd_xtmpl_bytes_off(ncuts, nrelocs) & XD_BOUND_QEND;
	__u32 tb = s->r.tbase;
	__u32 at = 0;
	__u64 w = 0;
	const struct xd_chunk *c = NULL;
	__u32 clen = cut_len(s);

	for (__u32 i = 0; i < XD_TMPL_MAX_BYTES / 8; i++) {
		at = i * 8;
		if (at + 8 > clen)
			break;
		__u32 src = bytes + at;
		if (!(c = tmpl_chunk(c, tb, src)))
			return -1;
		w = load64(c->b + (src & (XD_CHUNK - 8)));
		__u8 *d = data + ((qend + at) & XD_BOUND_FRAME);
		if ((void *)(d + 8) > end)
			return -1;
		store64(d, w);
	}
	clen = cut_len(s);
	at = clen & ~7u;
	if (at >= clen)
		return 0;
	__u32 src = bytes + at; /* the loop's chunk, unless a new one */
	if (!(c = tmpl_chunk(c, tb, src)))
		return -1;
	__u64 tail = load64(c->b + (src & (XD_CHUNK - 8)));
	__u32 r = clen - at;
	if (at) {
		/* One store of the last 8 bytes, which overlaps the word
		 * before: its last 8 - r bytes, then r more. */
		__u8 *d = data + ((qend + clen - 8) & XD_BOUND_FRAME);
		if ((void *)(d + 8) > end)
			return -1;
		store64(d, w >> (8 * r) | tail << (8 * (8 - r)));
	} else {
		__u8 *d = data + (qend & XD_BOUND_FRAME);
		for (__u32 k = 0; k < 7; k++) {
			if (k >= clen)
				break;
			if ((void *)(d + k + 1) > end)
				return -1;
			d[k] = (__u8)(tail >> (8 * k));
		}
	}
	return 0;
}

/*
 * Relocations: compression pointers move with the longer name. A
 * pointer's offset grows by delta with its top bits untouched (no offset
 * reaches 0x3f00, asserted below), so the checksum changes by delta as a
 * big-endian word: at an even offset its bytes swap, which an 8-bit shift
 * does modulo 0xffff; the change goes to s->r.rsum. The moved value comes
 * from the template's own (struct xd_xreloc), not from the reply: reading
 * back bytes just stored, across two stores, stalls. -1 when the
 * template table is inconsistent.
 */
static __always_inline int
move_pointers(struct xdp_md *ctx, struct xd_scratch *s, __u32 qend, int delta)
{
	_Static_assert(12 + XD_NAME_MAX + 4 + XD_TMPL_MAX_BYTES + 255 < 0x3f00,
		       "a moved pointer keeps its top bits");
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 ncuts = (s->r.th >> 32) & 0x1f, nrelocs = (s->r.th >> 40) & 0x7f;
	__u32 tb = s->r.tbase;
	__u32 roff = 8 + 8 * ncuts, rl = cut_len(s), i = 0, odd = 0;
	int more = 1;
	/* The relocations in the chunk they start in, with no lookup in the
	 * loop (a helper call there, inlined or not, makes clang keep every
	 * value the loop carries on the stack); those past that chunk, for
	 * large templates, after. */
	const struct xd_chunk *rc = tmpl_chunk(NULL, tb, roff);
	if (!rc)
		return -1;
	__u32 first = (XD_CHUNK - (roff & (XD_CHUNK - 4))) / 4;
	if (first > nrelocs)
		first = nrelocs;
	for (; i < XD_CHUNK / 4; i++) {
		if (i >= first)
			break;
		/* 4-aligned in an 8-aligned chunk: one load. */
		__u32 r = load32(rc->b + ((roff + 4 * i) & (XD_CHUNK - 4)));
		int m = move_ptr(data, end, qend, rl, r, delta);
		if (m < 0)
			return -1;
		if (m == 2) {
			more = 0;
			break;
		}
		odd += m;
	}
	for (; more && i < XD_TMPL_MAX_RELOCS; i++) {
		if (i >= nrelocs)
			break;
		__u32 at = roff + 4 * i;
		if (!(rc = tmpl_chunk(rc, tb, at)))
			return -1;
		__u32 r = load32(rc->b + (at & (XD_CHUNK - 4)));
		int m = move_ptr(data, end, qend, rl, r, delta);
		if (m < 0)
			return -1;
		if (m == 2)
			break;
		odd += m;
	}
	/* delta for each: shifted 8 bits at an even offset. */
	s->r.rsum = (__u32)delta * ((i - odd) * 256 + odd);
	return 0;
}

/* The OPT record (and cookie) make_opt() built, after the sections; -1
 * when outside the frame. */
static __always_inline int write_opt(struct xdp_md *ctx, struct xd_scratch *s,
				     __u32 qend)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *o = data + ((qend + cut_len(s)) & XD_BOUND_FRAME);

	if ((void *)(o + XD_OPT_RR_LEN) > end)
		return -1;
	/* Its 11 bytes in two stores, the second overlapping. */
	store64(o, load64(s->r.opt));
	*(__u32 *)(o + 7) = load32(s->r.opt + 7);
	if (s->r.optlen > XD_OPT_RR_LEN) {
		if ((void *)(o + XD_OPT_RR_LEN + 28) > end)
			return -1;
		store64(o + 8, load64(s->r.opt + 8));
		store64(o + 16, load64(s->r.opt + 16));
		store64(o + 24, load64(s->r.opt + 24));
		store64(o + 31, load64(s->r.opt + 31));
	}
	return 0;
}

/*
 * The reply as planned, in place of the query: the frame resized (passed
 * when it cannot be), then, the frame being the reply's from there on,
 * the headers, the sections, the moved pointers, the OPT record and the
 * UDP checksum; sent and counted by its kind. What fails after the
 * resize cannot be handed to the stack as the query it was, and is
 * dropped (drop_unbuilt): only a template table the loader wrote wrong
 * gets there; the bounds checks are the verifier's.
 */
static __always_inline int build_reply(struct xdp_md *ctx, struct xd_scratch *s,
				       __u32 frame)
{
	struct pkt *p = &s->pk;

	int from = resize(ctx, frame);
	if (from < 0)
		return PASS_Q(ctx, pass_no_room);
	/* Values come back from memory: the branches taken so far (flags,
	 * relocation, resizing) leave one state, not dozens. */
	s->r.from = from;
	join_states();
	frame = s->r.frame & XD_BOUND_FRAME;

	/* The DNS header but its ID, from the values: flags, counts. */
	__u64 cw = s->r.cut, th = s->r.th;
	__u32 tc = (cw >> 15) & 1;
	__u32 rcode = tc ? 0 : (th >> 8) & XD_FLAGS2_RCODE;
	__u64 f1 = XD_FLAGS1_QR | (((th >> 16) & XD_XT_AA) ? XD_FLAGS1_AA : 0) |
		   (tc ? XD_FLAGS1_TC : 0) | p->rd_cd[0];
	__u64 f2 = p->rd_cd[1] | rcode;
	/* Counts of at most 255: a big-endian 16-bit one is the byte
	 * shifted 8 bits up. */
	__u64 w0 = f1 << 16 | f2 << 24 | (__u64)bpf_htons(1) << 32 |
		   ((cw >> 16) & 0xff) << 56;
	__u32 w1 = (__u32)((cw >> 24) & 0xff) << 8 |
		   (__u32)bpf_htons((__u16)(((cw >> 32) & 0xff) + p->edns))
			   << 16;
	if (headers(ctx, s, s->r.from, frame, w0, w1) < 0)
		return DROP(drop_unbuilt);
	join_states();
	int delta = s->r.delta;
	__u32 qend = s->pk.qend & XD_BOUND_QEND;
	if (write_sections(ctx, s, qend) < 0)
		return DROP(drop_unbuilt);
	if (delta && move_pointers(ctx, s, qend, delta) < 0)
		return DROP(drop_unbuilt);
	if (p->edns && write_opt(ctx, s, qend) < 0)
		return DROP(drop_unbuilt);

	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct udphdr *udp = data + (p->l4 & XD_BOUND_HDR);
	if ((void *)(udp + 1) > end)
		return DROP(drop_unbuilt);
	udp->check = udp_csum(s);
	tc = (s->r.cut >> 15) & 1;
	th = s->r.th;
	/* The four kinds' counters are consecutive (positive, NODATA,
	 * NXDOMAIN, referral): the field by arithmetic, not by branches. */
	size_t field = s->r.slipped ? FIELD(answer_slipped) :
		       tc	    ? FIELD(answer_truncated) :
				      FIELD(answer_positive) + 8 * kind_of(th);
	barrier_var(field); /* keeps count()'s bound for the verifier */
	count(field);
	return XDP_TX;
}

/*
 * Splice template tref after the question and send the reply. Mirrors
 * xd_render() in lib/engine/answer.c byte for byte.
 */
static __always_inline int respond(struct xdp_md *ctx, struct xd_scratch *s,
				   const struct xd_config *cfg, __u32 gen,
				   const struct answer *a)
{
	int delta, v;
	__u64 th;

	if (choose_cut(ctx, s, cfg, gen, a->tref, a->walked, &delta, &th, &v) ||
	    limit_answer(ctx, s, cfg, gen, a->tref, a->walked, th, &v))
		return v;
	__u32 qend = s->pk.qend & XD_BOUND_QEND;
	__u32 frame = qend + cut_len(s) + (s->r.optlen & 0x3f);
	s->r.delta = delta;
	s->r.th = th;
	s->r.frame = frame;
	s->r.tbase = (gen ? cfg->chunks : 0) + a->tref;
	return build_reply(ctx, s, frame);
}

#endif
