// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdpdns: answer DNS queries from compiled templates at the XDP hook.
 *
 * A query the compiled zones answer gets its reply here (XDP_TX), byte for
 * byte what xdpdns-server would send; anything the program does not fully
 * understand goes to the kernel stack (XDP_PASS), and packets no server
 * should answer are dropped. Every verdict is counted once, by reason.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lookup.h"
#include "maps.h"
#include "parse.h"
#include "respond.h"
#include "stats.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TYPE_OPT 41
#define TYPE_IXFR 251
#define TYPE_AXFR 252

/* The reply under construction, shared with the loop callbacks. */
struct reply {
	struct xdp_md *xdp;
	__u32 gen;
	__u32 tref; /* the template's first chunk */
	__u32 ncuts, nrelocs, bytes_off, len;
	__u32 avail; /* section bytes the client's limit leaves */
	__u32 qend;  /* where the section bytes go in the frame */
	__s32 delta; /* relocation */
	/* the chosen cut */
	__u32 clen, an, ns, ar, tc;
	__u32 found, last;
	__u32 err;
};

static __always_inline const __u8 *chunk(__u32 gen, __u32 idx)
{
	void *m = bpf_map_lookup_elem(&xd_chunks, &gen);

	return m ? bpf_map_lookup_elem(m, &idx) : NULL;
}

/* Step i looks at cut ncuts - 1 - i: the longest that fits wins. */
static long cut_step(__u32 i, void *arg)
{
	struct reply *r = arg;

	if (i >= r->ncuts || i >= XD_TMPL_MAX_CUTS)
		return 1;
	__u32 k = (r->ncuts - 1 - i) & (XD_TMPL_MAX_CUTS - 1);
	__u32 off = 8 + 8 * k;
	const __u8 *c = chunk(r->gen, r->tref + off / XD_CHUNK);
	if (!c) {
		r->err = 1;
		return 1;
	}
	const struct xd_xcut *x = (const void *)(c + (off & (XD_CHUNK - 8)));
	__u32 len = x->len & ~XD_XCUT_TC;
	if (len > r->avail)
		return 0;
	r->clen = len;
	r->tc = !!(x->len & XD_XCUT_TC);
	r->an = x->an;
	r->ns = x->ns;
	r->ar = x->ar;
	r->found = 1;
	r->last = i == 0;
	return 1;
}

/* Step i copies the kept bytes of one chunk into the frame. */
static long copy_step(__u32 i, void *arg)
{
	struct reply *r = arg;
	__u32 zero = 0;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);

	__u32 first = r->bytes_off & ~(XD_CHUNK - 1);
	__u32 start = i ? first + i * XD_CHUNK : r->bytes_off;
	__u32 stop = first + (i + 1) * XD_CHUNK;
	if (stop > r->bytes_off + r->clen)
		stop = r->bytes_off + r->clen;
	if (!s || start >= stop)
		return 1;
	const __u8 *c = chunk(r->gen, r->tref + start / XD_CHUNK);
	if (!c) {
		r->err = 1;
		return 1;
	}
	__builtin_memcpy(s->cbuf, c, XD_CHUNK);
	__u32 within = start & (XD_CHUNK - 1);
	__u32 n = stop - start;
	barrier_var(n);
	n &= 2 * XD_CHUNK - 1;
	if (n > XD_CHUNK || !n) {
		r->err = 1;
		return 1;
	}
	if (bpf_xdp_store_bytes(r->xdp, r->qend + (start - r->bytes_off),
				s->cbuf + within, n) < 0) {
		r->err = 1;
		return 1;
	}
	return 0;
}

/* Step i moves compression pointer i by delta, if it was kept. */
static long reloc_step(__u32 i, void *arg)
{
	struct reply *r = arg;

	if (i >= r->nrelocs || i >= XD_TMPL_MAX_RELOCS)
		return 1;
	__u32 off = 8 + 8 * r->ncuts + 2 * i;
	const __u8 *c = chunk(r->gen, r->tref + off / XD_CHUNK);
	if (!c) {
		r->err = 1;
		return 1;
	}
	__u32 pos = *(const __u16 *)(c + (off & (XD_CHUNK - 2)));
	if (pos + 2 > r->clen)
		return 1; /* sorted: the rest were cut away */
	__u8 b[2];
	if (bpf_xdp_load_bytes(r->xdp, r->qend + pos, b, 2) < 0) {
		r->err = 1;
		return 1;
	}
	__u16 v = (__u16)((b[0] << 8 | b[1]) + r->delta);
	b[0] = (__u8)(0xc0 | ((v >> 8) & 0x3f));
	b[1] = (__u8)v;
	if (bpf_xdp_store_bytes(r->xdp, r->qend + pos, b, 2) < 0) {
		r->err = 1;
		return 1;
	}
	return 0;
}

/*
 * Splice template tref after the question and send the reply. Mirrors
 * xd_render() in zonec/answer.c byte for byte.
 *
 * A global function: the verifier checks it once, for any parse result,
 * instead of once per path that reaches it.
 */
__noinline int xdpdns_respond(struct xdp_md *ctx, struct pkt *p, __u32 gen,
			      __u32 tref, __u32 walked)
{
	__u32 zero = 0;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);
	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);

	if (!ctx || !p || !s || !cfg)
		return XDP_PASS;
	gen &= 1;
	const __u8 *c0 = chunk(gen, tref);
	if (!c0)
		return PASS(pass_template);
	struct xd_xtmpl h = *(const struct xd_xtmpl *)c0;
	if (h.len > XD_TMPL_MAX_BYTES || h.ncuts > XD_TMPL_MAX_CUTS ||
	    h.nrelocs > XD_TMPL_MAX_RELOCS)
		return PASS(pass_template);

	struct reply r = {
		.xdp = ctx,
		.gen = gen,
		.tref = tref,
		.ncuts = h.ncuts,
		.nrelocs = h.nrelocs,
		.bytes_off = xd_xtmpl_bytes_off(h.ncuts, h.nrelocs),
		.len = h.len,
		.tc = !!(h.flags & XD_XT_TC0),
	};
	if (h.flags & XD_XT_RELOC) {
		if (p->name_len < h.base_len)
			return PASS(pass_template);
		r.delta = p->name_len - h.base_len;
	} else if (walked) {
		return PASS(pass_template);
	}

	/* The client's limit, as the engine computes it. */
	__u32 limit = 512;
	if (p->edns) {
		limit = p->udp_size < cfg->edns_udp ? p->udp_size :
						      cfg->edns_udp;
		if (limit < 512)
			limit = 512;
	}
	r.avail = limit - (12 + p->qsize + (p->edns ? OPT_LEN : 0));
	bpf_loop(XD_TMPL_MAX_CUTS, cut_step, &r, 0);
	if (r.err || r.clen > r.len)
		return PASS(pass_template);
	if ((h.flags & XD_XT_CUTS_PART) && !r.found)
		return PASS(pass_template);

	__u32 frame = p->qend + r.clen + (p->edns ? OPT_LEN : 0);
	if (resize(ctx, s, frame, p->qend) < 0)
		return PASS(pass_no_room);
	r.qend = p->qend;
	if (r.clen) {
		bpf_loop(XD_TMPL_MAX_BYTES / XD_CHUNK + 2, copy_step, &r, 0);
		if (r.delta)
			bpf_loop(XD_TMPL_MAX_RELOCS, reloc_step, &r, 0);
		if (r.err)
			return PASS(pass_no_room);
	}

	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (p->edns) {
		__u8 *o = data + ((p->qend + r.clen) & 0x7ff);
		if ((void *)(o + OPT_LEN) > end)
			return PASS(pass_no_room);
		o[0] = 0;
		o[1] = 0;
		o[2] = TYPE_OPT;
		o[3] = (__u8)(cfg->edns_udp >> 8);
		o[4] = (__u8)cfg->edns_udp;
		o[5] = 0;
		o[6] = 0;
		o[7] = p->do_bit ? 0x80 : 0;
		o[8] = 0;
		o[9] = 0;
		o[10] = 0;
	}

	struct dns_hdr *dh = data + (p->dns & 0x1ff);
	if ((void *)(dh + 1) > end)
		return PASS(pass_no_room);
	__u8 rcode = r.tc ? 0 : h.rcode;
	dh->flags1 = (__u8)(0x80 | ((h.flags & XD_XT_AA) ? 0x04 : 0) |
			    (r.tc ? 0x02 : 0) | p->rd_cd[0]);
	dh->flags2 = (__u8)(p->rd_cd[1] | (rcode & 0x0f));
	dh->ancount = bpf_htons((__u16)r.an);
	dh->nscount = bpf_htons((__u16)r.ns);
	dh->arcount = bpf_htons((__u16)(r.ar + p->edns));

	if (finish(ctx, p, frame) < 0)
		return PASS(pass_no_room);
	if (r.tc)
		count(FIELD(answer_truncated));
	else if (h.kind == 1)
		count(FIELD(answer_positive));
	else if (h.kind == 2)
		count(FIELD(answer_nodata));
	else if (h.kind == 3)
		count(FIELD(answer_nxdomain));
	else
		count(FIELD(answer_referral));
	return XDP_TX;
}

/*
 * Clear the name buffer's bytes [from, to): the label a step of the walk
 * leaves behind (at most 64 bytes). Whole words, then the partial word
 * before `to`, so that the verifier sees no loop.
 */
static __always_inline void clear_label(struct xd_scratch *s, __u32 from,
					__u32 to)
{
	__u64 *w = (__u64 *)s->name;
	__u32 first = from >> 3, last = to >> 3;

#pragma unroll
	for (int j = 0; j < 9; j++)
		if (first + j < last)
			w[(first + j) & 31] = 0;
	if (to & 7)
		w[last & 31] &= ~0ull << (8 * (to & 7));
}

/* Label lengths of the raw question name, one label per step. */
struct labels {
	__u32 avail; /* bytes copied */
	__u32 pos;
	__u32 nl;
	__u32 nlen;
	__u32 done;
};

static long label_step(__u32 i, void *arg)
{
	struct labels *lc = arg;
	__u32 zero = 0;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);

	if (!s || lc->pos >= lc->avail)
		return 1; /* runs past the packet: malformed */
	__u8 l = s->raw[lc->pos & (XD_NAME_BUF - 1)];
	if (l == 0) {
		lc->nlen = lc->pos + 1;
		lc->done = 1;
		return 1;
	}
	if (l > 63) /* compression pointer or reserved label type */
		return 1;
	s->labels[lc->nl & XD_MAX_LABELS] = (__u8)lc->pos;
	/* Masked so that the verifier sees the same ranges every step and
	 * checks this callback once rather than once per label. */
	lc->nl = (lc->nl + 1) & 0xff;
	lc->pos = (lc->pos + l + 1u) & 0x1ff;
	if (lc->pos > 254) /* the name would exceed 255 bytes */
		return 1;
	return 0;
}

/* ASCII letters to lowercase in 8 bytes at once; label length bytes
 * (0..63) and zero padding are never letters. */
static __always_inline __u64 lower8(__u64 x)
{
	const __u64 ones = 0x0101010101010101ull, high = ones * 0x80;
	__u64 low7 = x & ~high;
	__u64 ge_a = (low7 + ones * (0x80 - 'A')) & high;
	__u64 gt_z = (low7 + ones * (0x80 - 'Z' - 1)) & high;
	__u64 upper = ge_a & ~gt_z & ~x & high;
	return x | (upper >> 2);
}

enum walk_verdict { WALK_MISS, WALK_FOUND, WALK_SIGNED };

/* The walk up to the closest existing ancestor, one label per step. */
struct walk {
	__u32 gen, nl, nlen, dst;
	__u16 qtype;
	__u8 do_bit;
	__u8 verdict;
	__u32 tref;
};

static long walk_step(__u32 i, void *arg)
{
	struct walk *w = arg;
	__u32 zero = 0, k = i + 1;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);

	if (!s || k > w->nl || k > XD_MAX_LABELS)
		return 1; /* WALK_MISS */
	__u32 kp = k - 1, kk = k;
	barrier_var(kp);
	barrier_var(kk);
	__u32 prev = s->labels[kp & XD_MAX_LABELS];
	__u32 cur = k < w->nl ? s->labels[kk & XD_MAX_LABELS] : w->nlen - 1;
	if (cur < prev || cur >= XD_NAME_BUF)
		return 1;
	clear_label(s, w->dst + prev, w->dst + cur);
	__u32 alen = w->nlen - cur;
	struct xd_node_val *a = names_lookup(s, w->gen, alen);
	if (!a)
		return 0;
	if (w->do_bit && (a->flags & XD_NF_SIGNED)) {
		w->verdict = WALK_SIGNED;
		return 1;
	}
	w->verdict = WALK_FOUND;
	if (a->flags & XD_NF_DELEG) {
		w->tref = a->dflt;
	} else if (a->flags & XD_NF_WILDCARD) {
		__u32 at = XD_NAME_BUF - alen - 2;
		s->name[at & (XD_NAME_BUF - 1)] = 1;
		s->name[(at + 1) & (XD_NAME_BUF - 1)] = '*';
		struct xd_node_val *wn = names_lookup(s, w->gen, alen + 2);
		w->tref = wn ? node_template(s, w->gen, wn, w->qtype) :
			       XD_TREF_PASS;
	} else {
		w->tref = a->nxdomain;
	}
	return 1;
}

SEC("xdp")
int xdpdns_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct pkt p = {};
	__u32 zero = 0;

	/* Ethernet and up to two VLAN tags (802.1Q, 802.1ad). */
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return PASS(pass_not_dns);
	__u16 proto = eth->h_proto;
	__u32 off = sizeof(*eth);
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *v = data + off;
		if ((void *)(v + 1) > end)
			return PASS(pass_not_dns);
		proto = v->encap_proto;
		off += sizeof(*v);
	}
	p.l3 = off;

	__u32 ip_payload;
	__u8 l4;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		if ((void *)(ip + 1) > end || ip->version != 4)
			return PASS(pass_not_dns);
		if (ip->ihl != 5)
			return PASS(pass_ip_options);
		if (ip->frag_off & bpf_htons(0x3fff))
			return PASS(pass_fragment);
		__u16 tot = bpf_ntohs(ip->tot_len);
		l4 = ip->protocol;
		ip_payload = tot >= sizeof(*ip) ? tot - sizeof(*ip) : 0;
		p.l4 = off + sizeof(*ip);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		if ((void *)(ip6 + 1) > end || ip6->version != 6)
			return PASS(pass_not_dns);
		l4 = ip6->nexthdr;
		if (ipv6_ext(l4))
			return PASS(pass_ipv6_ext);
		ip_payload = bpf_ntohs(ip6->payload_len);
		p.l4 = off + sizeof(*ip6);
		p.ipv6 = 1;
	} else {
		return PASS(pass_not_dns);
	}

	/* TCP and UDP keep their ports at the same place. */
	struct udphdr *udp = data + p.l4;
	if ((void *)(udp + 1) > end)
		return PASS(pass_not_dns);
	if (udp->dest != bpf_htons(53) ||
	    (l4 != IPPROTO_UDP && l4 != IPPROTO_TCP))
		return PASS(pass_not_dns);
	if (l4 == IPPROTO_TCP)
		return PASS(pass_tcp);

	/* A UDP datagram to port 53: from here on, a DNS query. */
	__u32 ulen = bpf_ntohs(udp->len);
	if (ulen != ip_payload || ulen < sizeof(*udp) ||
	    data + p.l4 + ulen > end)
		return DROP(drop_malformed);
	if (reflection_port(bpf_ntohs(udp->source)))
		return DROP(drop_reflection);
	p.dns = p.l4 + sizeof(*udp);
	p.end = p.l4 + ulen;
	struct dns_hdr *dh = data + p.dns;
	if ((void *)(dh + 1) > end || p.dns + sizeof(*dh) > p.end)
		return DROP(drop_malformed);
	if (dh->flags1 & 0x80)
		return DROP(drop_response);
	if (dh->flags1 & 0x78)
		return PASS(pass_opcode);
	if (dh->qdcount != bpf_htons(1) || dh->ancount || dh->nscount ||
	    bpf_ntohs(dh->arcount) > 1)
		return PASS(pass_shape);
	p.rd_cd[0] = dh->flags1 & 0x01;
	p.rd_cd[1] = dh->flags2 & 0x10;
	__u16 arcount = bpf_ntohs(dh->arcount);

	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);
	if (!s)
		return PASS(pass_not_loaded);

	/* The question name: a copy to find its labels and length... */
	__u32 qname = p.dns + sizeof(*dh);
	__u32 qmax = p.end - qname;
	if (p.end <= qname)
		return DROP(drop_malformed);
	if (qmax > 255)
		qmax = 255;
	barrier_var(qmax);
	qmax &= 255;
	if (!qmax || bpf_xdp_load_bytes(ctx, qname, s->raw, qmax) < 0)
		return DROP(drop_malformed);
	/* Starting values read back from the map are unknown to the
	 * verifier, so it checks the callback once for all steps. */
	s->pad2 = 0;
	struct labels lc = { .avail = qmax, .pos = s->pad2, .nl = s->pad2 };
	bpf_loop(XD_MAX_LABELS + 1, label_step, &lc, 0);
	if (!lc.done)
		return DROP(drop_malformed);
	__u32 nlen = lc.nlen & 0xff, nl = lc.nl;
	if (nlen == 0 || nlen > 255)
		return DROP(drop_malformed);
	p.name_len = (__u8)nlen;
	p.nlabels = (__u8)nl;
	p.qsize = (__u16)(nlen + 4);
	p.qend = qname + nlen + 4;
	if (p.qend > p.end)
		return DROP(drop_malformed);

	/* ...then the name right-aligned in a zeroed buffer, lowercased, so
	 * that every class key is the buffer's tail. */
	__u64 *w = (__u64 *)s->name;
#pragma unroll
	for (int i = 0; i < XD_NAME_BUF / 8; i++)
		w[i] = 0;
	__u32 dst = XD_NAME_BUF - nlen;
	if (bpf_xdp_load_bytes(ctx, qname, s->name + (dst & 0xff), nlen) < 0)
		return DROP(drop_malformed);
	for (int i = 0; i < XD_NAME_BUF / 8; i++) {
		if (i * 8 >= (int)nlen)
			break;
		__u64 *word = &w[(XD_NAME_BUF / 8 - 1 - i) & 31];
		*word = lower8(*word);
	}

	__u8 *qt = data + ((qname + nlen) & 0xfff);
	if ((void *)(qt + 4) > end)
		return DROP(drop_malformed);
	p.qtype = (__u16)(qt[0] << 8 | qt[1]);
	if (qt[2] != 0 || qt[3] != 1)
		return PASS(pass_class);
	if (p.qtype == 0 || p.qtype == TYPE_AXFR || p.qtype == TYPE_IXFR)
		return PASS(pass_qtype);

	/* At most one additional record, and then an OPT without options. */
	if (arcount) {
		__u8 *o = data + (p.qend & 0xfff);
		if ((void *)(o + OPT_LEN) > end ||
		    p.qend + OPT_LEN > p.end)
			return PASS(pass_shape);
		if (o[0] != 0 || o[1] != 0 || o[2] != TYPE_OPT)
			return PASS(pass_shape);
		if (o[6] != 0)
			return PASS(pass_edns_version);
		if (o[9] || o[10])
			return PASS(pass_edns_option);
		if (p.qend + OPT_LEN != p.end)
			return PASS(pass_shape);
		p.edns = 1;
		p.udp_size = (__u16)(o[3] << 8 | o[4]);
		p.do_bit = !!(o[7] & 0x80);
	} else if (p.qend != p.end) {
		return PASS(pass_shape);
	}

	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);
	if (!cfg || !cfg->enabled)
		return PASS(pass_not_loaded);
	__u32 gen = cfg->generation & 1;

	/* The name itself, else its closest existing ancestor. */
	__u32 tref = XD_TREF_PASS;
	__u8 walked = 0;
	struct xd_node_val *n = names_lookup(s, gen, nlen);
	if (n) {
		if (p.do_bit && (n->flags & XD_NF_SIGNED))
			return PASS(pass_signed_do);
		tref = node_template(s, gen, n, p.qtype);
	} else {
		struct walk w = {
			.gen = gen,
			.nl = nl,
			.nlen = nlen,
			.dst = dst,
			.qtype = p.qtype,
			.do_bit = p.do_bit,
			.tref = XD_TREF_PASS,
		};
		walked = 1;
		bpf_loop(XD_MAX_LABELS, walk_step, &w, 0);
		if (w.verdict == WALK_MISS)
			return PASS(pass_miss);
		if (w.verdict == WALK_SIGNED)
			return PASS(pass_signed_do);
		tref = w.tref;
	}
	if (tref == XD_TREF_PASS)
		return PASS(pass_template);

	return xdpdns_respond(ctx, &p, gen, tref, walked);
}
