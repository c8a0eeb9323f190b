// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdpdns: answer DNS queries from compiled templates at the XDP hook.
 *
 * A query the compiled zones answer gets its reply here (XDP_TX), byte for
 * byte what xdpdns-server would send; anything the program does not fully
 * understand goes to the kernel stack (XDP_PASS), and packets no server
 * should answer are dropped. Every verdict is counted once, by reason.
 *
 * Finding an answer calls no helper: the maps are arrays the verifier
 * turns into plain memory accesses. Helpers resize the frame, and read
 * the clock for rate limiting and cookies when those are on.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lookup.h"
#include "maps.h"
#include "parse.h"
#include "respond.h"
#include "rrl.h"
#include "stats.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TYPE_OPT 41
#define TYPE_IXFR 251
#define TYPE_AXFR 252

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

/* ---- the reply ------------------------------------------------------- */

/* SipHash-2-4 of len (at most 32) bytes of s->ck.msg: one subprogram. */
static __noinline __u64 cookie_hash(const __u8 *key, const __u8 *msg, __u32 len)
{
	if (len > 32)
		return 0;
	return xd_siphash24(key, msg, len);
}

/*
 * The reply's OPT record in s->r.opt (s->r.optlen bytes, sum in s->r.osum):
 * our size and DO; with a cookie in the query, a COOKIE option with the
 * client cookie and a server cookie (RFC 9018): the client's own when it
 * is ours, made with the current secret and under half an hour old, a
 * fresh one otherwise. Mirrors xd_serve() in userspace/serve.c.
 */
static __always_inline int make_opt(struct xdp_md *ctx, struct xd_scratch *s,
				    const struct xd_config *cfg)
{
	struct pkt *p = &s->pk;
	__u8 *o = s->r.opt;
	__u64 udp = cfg->edns_udp;
	__u64 rec = (__u64)TYPE_OPT << 16 | (udp >> 8) << 24 |
		    (udp & 0xff) << 32 | (__u64)(p->do_bit ? 0x80 : 0) << 56;

	store64(o, rec);
	store64(o + 8, 0);
	if (!p->cookie) {
		/* The record alone: its sum is its first word's. */
		s->r.optlen = OPT_LEN;
		s->r.osum = csum_fold((rec & 0xffffffff) + (rec >> 32));
		return 0;
	}
	store64(o + 16, 0);
	store64(o + 24, 0);
	store64(o + 32, 0);
	/* The client's address: the cookie is bound to it. */
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 iplen = p->ipv6 ? 16 : 4;
	__u8 *ip = data + ((p->l3 + (p->ipv6 ? 8 : 12)) & 0xff);
	if ((void *)(ip + 16) > end)
		return -1;
	/* The wall clock's second, read once a tick per CPU: a
	 * clock read and a division cost more than the hash. */
	__u64 j = bpf_jiffies64();
	if (s->ck.jiffies != j || s->ck.offset != cfg->clock_offset_ns) {
		s->ck.offset = cfg->clock_offset_ns;
		s->ck.now = (bpf_ktime_get_boot_ns() + s->ck.offset) /
			    1000000000ull;
		s->ck.jiffies = j;
	}
	__u64 now = s->ck.now;
	store64(s->ck.msg, load64(s->ck.cookie));
	store64(s->ck.msg + 16, load64(ip));
	store64(s->ck.msg + 24, load64(ip + 8));
	int reuse = 0;
	if (p->cookie == 2 && s->ck.cookie[8] == 1) {
		__u8 *sc = s->ck.cookie + 8;
		__u32 ts = (__u32)sc[4] << 24 | (__u32)sc[5] << 16 |
			   (__u32)sc[6] << 8 | sc[7];
		__s32 age = (__s32)((__u32)now - ts);
		if (age <= XD_COOKIE_PAST && age >= -XD_COOKIE_FUTURE) {
			store64(s->ck.msg + 8, load64(sc));
			__u64 want = load64(sc + 8);
			if (cookie_hash(cfg->cookie_secret, s->ck.msg,
					16 + iplen) == want) {
				s->r.cookie_valid = 1;
				count(FIELD(seen_cookie_valid));
				reuse = age < XD_COOKIE_RENEW;
			} else if ((cfg->cookie_flags & XD_CK_PREVIOUS) &&
				   cookie_hash(cfg->cookie_previous, s->ck.msg,
					       16 + iplen) == want) {
				s->r.cookie_valid = 1;
				count(FIELD(seen_cookie_valid));
			}
		}
	}
	o[10] = 28;
	o[12] = XD_OPT_COOKIE;
	o[14] = XD_COOKIE_CLIENT + XD_COOKIE_SERVER;
	store64(o + 15, load64(s->ck.cookie));
	if (reuse) {
		store64(o + 23, load64(s->ck.cookie + 8));
		store64(o + 31, load64(s->ck.cookie + 16));
	} else {
		__u32 t = (__u32)now;
		__u64 head = 1 | (__u64)(t >> 24) << 32 |
			     (__u64)((t >> 16) & 0xff) << 40 |
			     (__u64)((t >> 8) & 0xff) << 48 |
			     (__u64)(t & 0xff) << 56;
		store64(s->ck.msg + 8, head);
		store64(o + 23, head);
		store64(o + 31,
			cookie_hash(cfg->cookie_secret, s->ck.msg, 16 + iplen));
	}
	o[39] = 0;
	s->r.optlen = OPT_LEN + 28;
	/* Its sum, as native 16-bit words from its first byte: five words
	 * hold the record and the cookie. */
	__u64 sum = 0;
	for (int i = 0; i < 5; i++) {
		__u64 w = load64(o + 8 * i);
		sum += (w & 0xffffffff) + (w >> 32);
	}
	s->r.osum = csum_fold(sum);
	return 0;
}

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
	__u8 *ptr = data + ((qend + pos) & 0x7ff);
	if ((void *)(ptr + 2) > end)
		return -1;
	*(__u16 *)ptr = bpf_htons((__u16)((r >> 16) + delta));
	return pos & 1;
}

/* The chosen cut's length, read afresh (see key_len in lookup.h). */
static __always_inline __u32 cut_len(const struct xd_scratch *s)
{
	asm volatile("" ::: "memory");
	return s->r.cut & 0x7ff;
}

/*
 * Splice template tref after the question and send the reply. Mirrors
 * xd_render() in zonec/answer.c byte for byte.
 */
static __always_inline int respond(struct xdp_md *ctx, struct xd_scratch *s,
				   const struct xd_config *cfg, __u32 gen,
				   __u32 tref, int walked)
{
	/* The parse, from memory: whatever path led here, the verifier
	 * checks the reply once. */
	asm volatile("" ::: "memory");
	struct pkt *p = &s->pk;

	const struct xd_chunk *c0 = chunk(cfg, gen, tref);
	if (!c0)
		return PASS_Q(pass_template);
	__u64 th = load64(c0->b); /* struct xd_xtmpl, kept as a word */
	struct xd_xtmpl h;
	__builtin_memcpy(&h, &th, sizeof(h));
	if (h.len > XD_TMPL_MAX_BYTES || h.ncuts > XD_TMPL_MAX_CUTS ||
	    h.nrelocs > XD_TMPL_MAX_RELOCS)
		return PASS_Q(pass_template);
	int delta = 0;
	if (h.flags & XD_XT_RELOC) {
		if (p->name_len < h.base_len)
			return PASS_Q(pass_template);
		delta = p->name_len - h.base_len;
	} else if (walked) {
		return PASS_Q(pass_template);
	}

	/* The client's limit, as the engine computes it. */
	__u32 limit = 512;
	if (p->edns) {
		limit = p->udp_size < cfg->edns_udp ? p->udp_size :
						      cfg->edns_udp;
		if (limit < 512)
			limit = 512;
	}
	__u32 optlen = !p->edns ? 0 : p->cookie ? OPT_LEN + 28 : OPT_LEN;
	__u32 avail = limit - (12 + p->qsize + optlen);

	/* The longest cut that fits (the empty one is implicit, TC as the
	 * template says), kept as the word it is read as. */
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
			return PASS_Q(pass_template);
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
	asm volatile("" ::: "memory");
	__u32 clen = cut_len(s);
	if ((h.flags & XD_XT_CUTS_PART) && !s->r.has_cut)
		return PASS_Q(pass_template);
	if (clen > h.len)
		return PASS_Q(pass_template);

	s->r.optlen = 0;
	s->r.osum = 0;
	s->r.slipped = 0;
	s->r.cookie_valid = 0;
	if (optlen && make_opt(ctx, s, cfg) < 0)
		return PASS_Q(pass_template);

	/* Response rate limiting; a valid cookie of ours exempts. */
	__u32 cls = kind_of(th);
	if (cfg->rrl_rate[cls] && !s->r.cookie_valid) {
		/* Answers and NODATA by name and type, NXDOMAIN by zone,
		 * referrals by delegation (their template). An answer made
		 * from a wildcard counts for the wildcard (its parent, the
		 * closest encloser, marked), as BIND counts it: random
		 * names under it are one bucket. */
		__u64 name = s->f.hash ^ (walked ? 0x2a : 0);
		__u64 id = cls <= XD_RRL_NODATA ? name ^ (__u64)p->qtype << 48 :
						  (__u64)gen << 32 | tref;
		int r = xd_limit(ctx, cls, id);
		if (r == RRL_DROP)
			return DROP(drop_rrl);
		if (r == RRL_SLIP) {
			/* TC=1 with the question alone (and the OPT). */
			s->r.cut = XD_XCUT_TC;
			s->r.slipped = 1;
		}
	}
	clen = cut_len(s);
	__u32 qend = p->qend & 0x3ff;
	__u32 frame = qend + clen + (s->r.optlen & 0x3f);
	s->r.delta = delta;
	s->r.th = th;
	s->r.frame = frame;
	s->r.tbase = (gen ? cfg->chunks : 0) + tref;
	int from = resize(ctx, frame);
	if (from < 0)
		return PASS_Q(pass_no_room);
	/* The frame is the reply's from here on (its front may be headroom,
	 * its headers soon rewritten): what fails now cannot be handed to
	 * the stack as the query it was, and is dropped. Only a template
	 * table the loader wrote wrong gets there; the bounds checks are
	 * the verifier's. Values come back from memory: the branches taken
	 * so far (flags, relocation, resizing) leave one state, not dozens. */
	s->r.from = from;
	asm volatile("" ::: "memory");
	frame = s->r.frame & 0x7ff;

	/* The DNS header but its ID, from the values: flags, counts. */
	__u64 cw = s->r.cut;
	th = s->r.th;
	__u32 tc = (cw >> 15) & 1;
	__u32 rcode = tc ? 0 : (th >> 8) & 0x0f;
	__u64 f1 = 0x80 | (((th >> 16) & XD_XT_AA) ? 0x04 : 0) | (tc << 1) |
		   p->rd_cd[0];
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
	asm volatile("" ::: "memory");
	delta = s->r.delta;
	qend = s->pk.qend & 0x3ff;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	/* The section bytes, 8 at a time, a chunk looked up once for all
	 * its words; then the last few. */
	__u32 ncuts = (s->r.th >> 32) & 0x1f, nrelocs = (s->r.th >> 40) & 0x7f;
	__u32 bytes = xd_xtmpl_bytes_off(ncuts, nrelocs) & 0x3ff;
	__u32 tb = s->r.tbase;
	__u32 at = 0;
	__u64 w = 0;
	const struct xd_chunk *c = NULL;
	clen = cut_len(s);
	for (__u32 i = 0; i < XD_TMPL_MAX_BYTES / 8; i++) {
		at = i * 8;
		if (at + 8 > clen)
			break;
		__u32 src = bytes + at;
		if (!(c = tmpl_chunk(c, tb, src)))
			return DROP(drop_unbuilt);
		w = load64(c->b + (src & (XD_CHUNK - 8)));
		__u8 *d = data + ((qend + at) & 0x7ff);
		if ((void *)(d + 8) > end)
			return DROP(drop_unbuilt);
		store64(d, w);
	}
	clen = cut_len(s);
	at = clen & ~7u;
	if (at < clen) {
		__u32 src = bytes + at; /* the loop's chunk, unless a new one */
		if (!(c = tmpl_chunk(c, tb, src)))
			return DROP(drop_unbuilt);
		__u64 tail = load64(c->b + (src & (XD_CHUNK - 8)));
		__u32 r = clen - at;
		if (at) {
			/* One store of the last 8 bytes, which overlaps the
			 * word before: its last 8 - r bytes, then r more. */
			__u8 *d = data + ((qend + clen - 8) & 0x7ff);
			if ((void *)(d + 8) > end)
				return DROP(drop_unbuilt);
			store64(d, w >> (8 * r) | tail << (8 * (8 - r)));
		} else {
			__u8 *d = data + (qend & 0x7ff);
			for (__u32 k = 0; k < 7; k++) {
				if (k >= clen)
					break;
				if ((void *)(d + k + 1) > end)
					return DROP(drop_unbuilt);
				d[k] = (__u8)(tail >> (8 * k));
			}
		}
	}

	/* Relocations: compression pointers move with the longer name. A
	 * pointer's offset grows by delta with its top bits untouched (no
	 * offset reaches 0x3f00, asserted below), so the checksum changes by
	 * delta as a big-endian word: at an even offset its bytes swap,
	 * which an 8-bit shift does modulo 0xffff. The moved value comes
	 * from the template's own (struct xd_xreloc), not from the reply:
	 * reading back bytes just stored, across two stores, stalls. */
	_Static_assert(12 + XD_NAME_MAX + 4 + XD_TMPL_MAX_BYTES + 255 < 0x3f00,
		       "a moved pointer keeps its top bits");
	if (delta) {
		__u32 roff = 8 + 8 * ncuts, rl = cut_len(s), i = 0, odd = 0;
		int more = 1;
		/* The relocations in the chunk they start in, with no lookup
		 * in the loop (a helper call there, inlined or not, makes
		 * clang keep every value the loop carries on the stack);
		 * those past that chunk, for large templates, after. */
		const struct xd_chunk *rc = tmpl_chunk(NULL, tb, roff);
		if (!rc)
			return DROP(drop_unbuilt);
		__u32 first = (XD_CHUNK - (roff & (XD_CHUNK - 4))) / 4;
		if (first > nrelocs)
			first = nrelocs;
		for (; i < XD_CHUNK / 4; i++) {
			if (i >= first)
				break;
			/* 4-aligned in an 8-aligned chunk: one load. */
			__u32 r = load32(rc->b +
					 ((roff + 4 * i) & (XD_CHUNK - 4)));
			int m = move_ptr(data, end, qend, rl, r, delta);
			if (m < 0)
				return DROP(drop_unbuilt);
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
				return DROP(drop_unbuilt);
			__u32 r = load32(rc->b + (at & (XD_CHUNK - 4)));
			int m = move_ptr(data, end, qend, rl, r, delta);
			if (m < 0)
				return DROP(drop_unbuilt);
			if (m == 2)
				break;
			odd += m;
		}
		/* delta for each: shifted 8 bits at an even offset. */
		s->r.rsum = (__u32)delta * ((i - odd) * 256 + odd);
	}

	clen = cut_len(s);
	if (p->edns) {
		/* The OPT record (and cookie) make_opt() built. */
		__u8 *o = data + ((qend + clen) & 0x7ff);
		if ((void *)(o + OPT_LEN) > end)
			return DROP(drop_unbuilt);
		/* Its 11 bytes in two stores, the second overlapping. */
		store64(o, load64(s->r.opt));
		*(__u32 *)(o + 7) = load32(s->r.opt + 7);
		if (s->r.optlen > OPT_LEN) {
			if ((void *)(o + OPT_LEN + 28) > end)
				return DROP(drop_unbuilt);
			store64(o + 8, load64(s->r.opt + 8));
			store64(o + 16, load64(s->r.opt + 16));
			store64(o + 24, load64(s->r.opt + 24));
			store64(o + 31, load64(s->r.opt + 31));
		}
	}

	struct udphdr *udp = data + (p->l4 & 0x7f);
	if ((void *)(udp + 1) > end)
		return DROP(drop_unbuilt);
	udp->check = udp_csum(s);
	tc = (s->r.cut >> 15) & 1;
	th = s->r.th;
	/* The four kinds' counters are consecutive (positive, NODATA,
	 * NXDOMAIN, referral): the field by arithmetic, not by branches. */
	size_t field = s->r.slipped ? FIELD(answer_slipped) :
		       tc	  ? FIELD(answer_truncated) :
				    FIELD(answer_positive) + 8 * kind_of(th);
	barrier_var(field); /* keeps count()'s bound for the verifier */
	count(field);
	return XDP_TX;
}

/* ---- the query ------------------------------------------------------- */

/*
 * The question name's labels, from its first byte at qname: their starts
 * in s->q.labels, their count in s->q.nl and the name's length in s->q.len
 * (read back through memory, so that every label count is one state).
 * -1 when malformed: a label over 63 bytes or a compression pointer, a
 * name over 255 bytes, or one that runs past the frame.
 */
static __always_inline int walk_labels(struct xd_scratch *s, void *data,
				       void *end, __u32 qname)
{
	__u32 pos, nl = 0;
	/* The walk's chain from one label to the next is a load and an
	 * add on a pointer: nothing else between a length and the next. */
	__u8 *q0 = data + (qname & 0xfff), *lp = q0;

	for (int i = 0; i < XD_MAX_LABELS + 1; i++) {
		if ((void *)(lp + 1) > end)
			return -1;
		__u8 l = *lp;
		if (l == 0)
			break;
		if (l > 63) /* compression pointer or reserved label type */
			return -1;
		pos = lp - q0;
		if (pos > XD_NAME_MAX - 2)
			return -1;
		s->q.labels[nl & XD_MAX_LABELS] = (__u8)pos;
		nl++;
		lp += l + 1;
	}
	pos = lp - q0;
	if (pos > XD_NAME_MAX - 1)
		return -1;
	s->q.len = pos + 1;
	s->q.nl = nl;
	return 0;
}

SEC("xdp")
int xdpdns_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3, udp_at, ipv6 = 0;
	__u32 zero = 0;

	/* Working memory; the parse is kept there from the IP header on, for
	 * the limiter that every pass goes through and for respond(). */
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);
	if (!s)
		return PASS_Q(pass_not_loaded); /* never: an array */
	struct pkt *pk = &s->pk;

	/* Ethernet and up to two VLAN tags (802.1Q, 802.1ad). */
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return PASS_UNLIMITED(pass_not_dns);
	__u16 proto = load16(&eth->h_proto); /* packed: one load anyway */
	__u32 off = sizeof(*eth);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *v = data + off;
		if ((void *)(v + 1) > end)
			return PASS_UNLIMITED(pass_not_dns);
		proto = v->encap_proto;
		off += sizeof(*v);
	}
	l3 = off;
	pk->l3 = l3;

	__u32 ip_payload, ip_bad = 0;
	__u8 l4;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > end || ip->version != 4)
			return PASS_UNLIMITED(pass_not_dns);
		pk->ipv6 = 0;
		/* Whatever may carry a query is limited as it is passed, from
		 * here on: the source address is known. */
		if (ip->ihl != 5)
			return PASS_Q(pass_ip_options);
		if (ip->frag_off & bpf_htons(0x3fff))
			return PASS_Q(pass_fragment);
		ip_bad = !ipv4_csum_ok(ip);
		__u16 tot = bpf_ntohs(ip->tot_len);
		l4 = ip->protocol;
		ip_payload = tot >= sizeof(*ip) ? tot - sizeof(*ip) : 0;
		udp_at = off + sizeof(*ip);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > end || ip6->version != 6)
			return PASS_UNLIMITED(pass_not_dns);
		pk->ipv6 = 1;
		l4 = ip6->nexthdr;
		if (ipv6_ext(l4))
			return PASS_Q(pass_ipv6_ext);
		ip_payload = bpf_ntohs(ip6->payload_len);
		udp_at = off + sizeof(*ip6);
		ipv6 = 1;
	} else {
		return PASS_UNLIMITED(pass_not_dns);
	}

	/* TCP and UDP keep their ports at the same place. */
	struct udphdr *udp = data + udp_at;
	if ((void *)(udp + 1) > end)
		return PASS_UNLIMITED(pass_not_dns);
	if (udp->dest != bpf_htons(53) ||
	    (l4 != IPPROTO_UDP && l4 != IPPROTO_TCP))
		return PASS_UNLIMITED(pass_not_dns);
	if (l4 == IPPROTO_TCP)
		return PASS_UNLIMITED(pass_tcp);
	/* The kernel drops what fails the IPv4 header checksum; so do we,
	 * rather than answer a corrupt query. (The UDP checksum is left to
	 * the kernel, unchecked here: docs/abuse-control.md says why.) */
	if (ip_bad)
		return DROP(drop_ip_checksum);

	/* A UDP datagram to port 53: from here on, a DNS query. */
	__u32 ulen = bpf_ntohs(udp->len);
	if (ulen != ip_payload || ulen < sizeof(*udp) ||
	    data + udp_at + ulen > end)
		return DROP(drop_malformed);
	if (reflection_port(bpf_ntohs(udp->source)))
		return DROP(drop_reflection);
	__u32 dns = udp_at + sizeof(*udp);
	struct dns_hdr *dh = data + dns;
	if ((void *)(dh + 1) > end || sizeof(*dh) > ulen - sizeof(*udp))
		return DROP(drop_malformed);
	/* Flags in one load (flags1 low, flags2 high), the four counts in
	 * another, as they lie in memory. */
	__u16 flags = LOAD_AT(16, dh, 2);
	__u64 counts = LOAD_AT(64, dh, 4);
	if (flags & 0x80)
		return DROP(drop_response);

	/* The parse lives in scratch memory from here on: respond() and the
	 * rate limiter read it back whatever path led to them. */
	pk->l4 = udp_at;
	pk->dns = dns;
	pk->end = udp_at + ulen;
	/* udp_size, ipv6, edns, do_bit, rd_cd and name_len in one store:
	 * no EDNS yet, RD and CD as the query has them. */
	store64(&pk->udp_size, (__u64)ipv6 << 16 | (__u64)(flags & 0x01) << 40 |
				       (__u64)((flags >> 8) & 0x10) << 48);
	/* Nothing loaded, or the fast path switched off: every query to the
	 * kernel stack, limited as passed queries are. */
	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);
	if (!cfg || !cfg->enabled)
		return PASS_Q(pass_not_loaded);
	if (cfg->disabled)
		return PASS_Q(pass_disabled);
	if (flags & 0x78)
		return PASS_E(pass_opcode); /* NOTIMP */
	/* QDCOUNT 1, ANCOUNT and NSCOUNT 0, ARCOUNT 0 or 1 (big-endian). */
	__u16 arcount = counts >> 48;
	if ((counts & 0xffffffffffffull) != bpf_htons(1) ||
	    (arcount != 0 && arcount != bpf_htons(1)))
		return PASS_Q(pass_shape);
	/* Through memory: the verifier then checks what follows once, not
	 * once per layer-2 and layer-3 combination. */
	asm volatile("" ::: "memory");
	pk->dns &= 0x1ff;
	pk->end &= 0xfff;
	if (pk->dns > pk->end)
		return DROP(drop_malformed);

	/* The question name's length, guessed from the message's: the
	 * question ends the message (no EDNS), or an OPT record does, with
	 * no option or a DNS cookie, as in most queries. When the byte the
	 * name would end with is a root label, the labels are not walked
	 * yet: if the lookup finds the name, it equals a well-formed name
	 * the compiler stored, so a parse from the front ends where the
	 * guess did. Any other name is walked before a verdict is taken
	 * (name_probe() below). This spares the answers the walk, a chain
	 * of loads, one per label. */
	__u32 qname = pk->dns + sizeof(*dh), guess = 0, tail = 4;
	if (arcount) {
		/* The OPT record's type and options' length where they would
		 * lie with no option, a client cookie, or a client and a
		 * server cookie (its last 11, 23 or 39 bytes). */
		__u32 e = pk->end;
		__u8 *o = data + ((e - 40) & 0xfff);
		if (e < 40 || (void *)(o + 40) > end)
			tail = 0;
		else if (LOAD_AT(16, o, 30) == bpf_htons(TYPE_OPT) &&
			 LOAD_AT(16, o, 38) == 0)
			tail = 4 + OPT_LEN;
		else if (LOAD_AT(16, o, 18) == bpf_htons(TYPE_OPT) &&
			 LOAD_AT(16, o, 26) == bpf_htons(12))
			tail = 4 + OPT_LEN + 12;
		else if (LOAD_AT(16, o, 2) == bpf_htons(TYPE_OPT) &&
			 LOAD_AT(16, o, 10) == bpf_htons(28))
			tail = 4 + OPT_LEN + 28;
		else
			tail = 0;
	}
	__u32 spec = pk->end - qname - tail;
	if (tail && spec - 1 < XD_NAME_MAX) {
		/* Kept masked: the verifier does not see spec's bounds. */
		__u32 at = qname + spec - 1;
		asm volatile("" : "+r"(at));
		__u8 *root = data + (at & 0xfff);
		/* A guess takes no verdict: out of the frame, no guess. */
		if ((void *)(root + 1) <= end && *root == 0)
			guess = spec;
	}
	/* Through memory from here on, like the name's length: whether it
	 * was guessed is not a second state for the verifier to follow. */
	s->q.guessed = guess != 0;
	if (guess) {
		s->q.len = guess;
		s->q.nl = 0;
	} else if (walk_labels(s, data, end, qname) < 0) {
		return DROP(drop_malformed);
	}
	asm volatile("" ::: "memory");
	__u32 nlen = s->q.len & 0x1ff;
	if (nlen > XD_NAME_MAX || nlen == 0)
		return DROP(drop_malformed);
	pk->name_len = (__u8)nlen;
	pk->qsize = (__u16)(nlen + 4);
	pk->qend = qname + nlen + 4;
	if (pk->qend > pk->end)
		return DROP(drop_malformed);
	/* One pass over the name, right to left in 8-byte words that end
	 * where it ends (the first one masked to the name's bytes): its
	 * checksum from the client's bytes (the reply keeps their case), its
	 * lowercase copy in s->q.buf, on the same grid, and the hash state
	 * after each word, from which every suffix's hash is one more word
	 * (suffix_hash() in lookup.h). */
	__u32 gen = cfg->generation & 1;
	__u64 h = cfg->gen[gen].seed, qs = 0;
	__u32 nw = (nlen + 7) / 8;
	for (__u32 j = 0; j < (XD_NAME_MAX + 1) / 8; j++) {
		if (j >= nw)
			break;
		/* The word's start, from 8 bytes before the name. */
		__u32 at = (8 + nlen - 8 * (j + 1)) & 0xff;
		__u8 *b = data + ((qname + at - 8) & 0xfff);
		if ((void *)(b + 8) > end)
			return DROP(drop_malformed);
		__u64 w = load64(b);
		if (at < 8) /* the name's first word: not the header's bytes */
			w &= ~0ull << (8 * (8 - at));
		qs += (w & 0xffffffff) + (w >> 32);
		w = xd_lower8(w);
		store64(s->q.buf + at, w);
		/* The state before word j: a suffix of j + 1 words needs it
		 * (after the last word, none does). */
		s->q.hst[j & 31] = h;
		XD_HASH_WORD(h, w);
	}
	__u64 qhash = xd_hash_end(h);
	/* A zero word after the name: name_equal() compares whole words
	 * that may end up to 7 bytes past it. */
	store64(XD_QNAME(s) + nlen, 0);

	/* A guessed length: the name itself is looked for now, before any
	 * check of what follows it, and if it is not found, the labels are
	 * walked. When they end where the guess did, everything computed so
	 * far stands (and the name is known absent, unless a tag matched
	 * another name: the suffixes' walk then looks at it again). When
	 * not, the question does not end where the message's length says,
	 * and the query is passed (dropped if the question runs past the
	 * message), whatever else is wrong with it. What was found goes
	 * through memory (s->f.probe, s->f.skip_depths), so that the checks below
	 * are one state for the verifier, not three. */
	s->f.probe = LOOKUP_ABSENT;
	s->f.skip_depths = 0;
	asm volatile("" ::: "memory");
	if (s->q.guessed) {
		int pf = name_probe(s, cfg, gen, nlen, qhash);
		s->f.probe = pf;
		if (pf != LOOKUP_FOUND) {
			if (walk_labels(s, data, end, qname) < 0)
				return DROP(drop_malformed);
			asm volatile("" ::: "memory");
			if ((s->q.len & 0x1ff) != nlen)
				s->f.probe = PROBE_MISMATCH;
			else if (pf == LOOKUP_ABSENT)
				s->f.skip_depths = xd_depth_bit(s->q.nl & 0xff);
		}
	}
	/* The verdicts from here on, once whichever way led here. */
	asm volatile("" ::: "memory");
	if (s->f.probe == PROBE_MISMATCH)
		return qname + (s->q.len & 0x1ff) + 4 > pk->end ?
			       DROP(drop_malformed) :
			       PASS_Q(pass_shape);
	__u32 nl = s->q.nl & 0xff;

	__u8 *qt = data + ((qname + nlen) & 0xfff);
	if ((void *)(qt + 4) > end)
		return DROP(drop_malformed);
	/* Type and class. The name's words and these start at an odd offset
	 * from the question's start when the name's length is odd: shifting
	 * a sum 8 bits swaps its bytes, modulo 0xffff. */
	__u32 tc = load32(qt);
	qs += (tc & 0xffff) + (tc >> 16);
	pk->qsum = qs << (8 * (nlen & 1));
	pk->qtype = (__u16)((tc & 0xff) << 8 | ((tc >> 8) & 0xff));
	if ((tc >> 16) != 0x0100) /* class IN, as it lies in memory */
		return PASS_E(pass_class); /* REFUSED */
	if (pk->qtype == 0 || pk->qtype == TYPE_AXFR || pk->qtype == TYPE_IXFR)
		return PASS_E(pass_qtype); /* FORMERR or REFUSED */

	/* At most one additional record, and then an OPT with no option
	 * but a DNS cookie (when cookies are answered here). */
	pk->cookie = 0;
	if (arcount) {
		__u8 *o = data + (pk->qend & 0xfff);
		if ((void *)(o + OPT_LEN) > end || pk->qend + OPT_LEN > pk->end)
			return PASS_Q(pass_shape);
		/* Root name, type, size, extended rcode, version and the
		 * flags' first byte in one load; the rest in another. */
		__u64 ow = load64(o);
		__u32 ox = load32(o + 7);
		if ((ow & 0xffffff) != TYPE_OPT << 16)
			return PASS_Q(pass_shape);
		if ((ow >> 48) & 0xff)
			return PASS_E(pass_edns_version); /* BADVERS */
		__u32 rdlen = ((ox >> 16) & 0xff) << 8 | ox >> 24;
		if (rdlen) {
			if (!(cfg->cookie_flags & XD_CK_ON) ||
			    (rdlen != 4 + XD_COOKIE_CLIENT &&
			     rdlen != 4 + XD_COOKIE_CLIENT + XD_COOKIE_SERVER))
				return PASS_Q(pass_edns_option);
			__u8 *c = o + OPT_LEN;
			if ((void *)(c + 4 + XD_COOKIE_CLIENT) > end)
				return PASS_Q(pass_shape);
			if (c[0] != 0 || c[1] != XD_OPT_COOKIE || c[2] != 0 ||
			    c[3] != rdlen - 4)
				return PASS_Q(pass_edns_option);
			store64(s->ck.cookie, load64(c + 4));
			pk->cookie = 1;
			if (rdlen == 4 + XD_COOKIE_CLIENT + XD_COOKIE_SERVER) {
				__u8 *sc = c + 4 + XD_COOKIE_CLIENT;
				if ((void *)(sc + XD_COOKIE_SERVER) > end)
					return PASS_Q(pass_shape);
				store64(s->ck.cookie + 8, load64(sc));
				store64(s->ck.cookie + 16, load64(sc + 8));
				pk->cookie = 2;
			}
		}
		if (pk->qend + OPT_LEN + rdlen != pk->end)
			return PASS_Q(pass_shape);
		pk->edns = 1;
		pk->udp_size =
			(__u16)(((ow >> 24) & 0xff) << 8 | ((ow >> 32) & 0xff));
		pk->do_bit = ow >> 63;
	} else if (pk->qend != pk->end) {
		return PASS_Q(pass_shape);
	}
	/* The name itself, else its closest existing ancestor: every
	 * ancestor of a name in a zone down to the apex is a node (empty
	 * non-terminals too), so the longest suffix found is the closest
	 * encloser. */
	__u32 tref;
	asm volatile("" ::: "memory");
	int found = s->f.probe;
	if (found != LOOKUP_FOUND)
		found = suffix_lookup(s, cfg, gen, nl, nlen, qhash);
	if (found == LOOKUP_UNSURE)
		return PASS_Q(pass_long_name);
	if (found != LOOKUP_FOUND)
		return PASS_E(pass_miss); /* REFUSED */
	/* The node afresh, whichever way it was found: one state. */
	asm volatile("" ::: "memory");
	__u32 index = s->f.hit;
	const struct xd_xnode *n = node_at(cfg, gen, index);
	if (!n)
		return PASS_Q(pass_long_name);
	if (pk->do_bit && (n->flags & XD_NF_SIGNED))
		return PASS_Q(pass_signed_do);
	int walked = s->f.key_off != 0;
	if (walked &&
	    (n->flags & (XD_NF_PARTIAL | XD_NF_DELEG)) == XD_NF_PARTIAL)
		return PASS_Q(pass_partial);
	if (!walked) {
		tref = node_template(cfg, gen, n, index, pk->qtype);
	} else if (n->flags & XD_NF_DELEG) {
		tref = n->dflt; /* below a delegation: the referral */
	} else if (n->flags & XD_NF_WILDCARD) {
		__u32 wi = n->below;
		const struct xd_xnode *wn = node_at(cfg, gen, wi);
		if (!wn)
			return PASS_Q(pass_template);
		tref = node_template(cfg, gen, wn, wi, pk->qtype);
	} else {
		tref = n->below; /* the zone's NXDOMAIN */
	}
	if (tref == XD_TREF_PASS)
		return PASS_Q(pass_template);
	return respond(ctx, s, cfg, gen, tref, walked);
}
