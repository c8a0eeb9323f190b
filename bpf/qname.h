/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The question: its name's length (guessed from the message's end, or
 * walked label by label), one pass over its bytes (lowercase copy, hash
 * states for every suffix, checksum), then its type and class. Stages as
 * in parse.h: true when a verdict was taken (in *v).
 */
#ifndef XDPDNS_BPF_QNAME_H
#define XDPDNS_BPF_QNAME_H

#include "lookup.h"
#include "parse.h"

/* What reading the question leaves for the stages after it. */
struct question {
	__u32 qname; /* the name's offset in the frame */
	__u32 len; /* its length */
	__u32 nl; /* its label count, when walked (0 when guessed) */
	__u64 hash; /* the whole name's hash */
	__u64 sum; /* its bytes' sum, for the reply's checksum */
};

/*
 * The question name's labels, from its first byte at qname: their starts
 * in s->q.labels, their count in s->q.nl and the name's length in
 * s->q.len (read back through memory, so that every label count is one
 * state). -1 when malformed: a label over 63 bytes or a compression
 * pointer, a name over 255 bytes, or one that runs past the frame.
 */
static __always_inline int walk_labels(struct xd_scratch *s, void *data,
				       void *end, __u32 qname)
{
	__u32 pos, nl = 0;
	/* The walk's chain from one label to the next is a load and an
	 * add on a pointer: nothing else between a length and the next. */
	__u8 *q0 = data + (qname & XD_BOUND_QUERY), *lp = q0;

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

/*
 * The question name's length, guessed from the message's: the question
 * ends the message (no EDNS), or an OPT record does, with no option or a
 * DNS cookie, as in most queries. 0 (no guess) unless the byte the name
 * would end with is a root label. A guess takes no verdict: the lookup
 * checks it (read_qname()).
 */
static __always_inline __u32 guess_qname_len(const struct pkt *pk, void *data,
					     void *end, __u32 qname,
					     __u16 arcount)
{
	__u32 tail = 4;

	if (arcount) {
		/* The OPT record's type and options' length where they would
		 * lie with no option, a client cookie, or a client and a
		 * server cookie (its last 11, 23 or 39 bytes). */
		__u32 e = pk->end;
		__u8 *o = data + ((e - 40) & XD_BOUND_QUERY);
		if (e < 40 || (void *)(o + 40) > end)
			tail = 0;
		else if (LOAD_AT(16, o, 30) == bpf_htons(XD_TYPE_OPT) &&
			 LOAD_AT(16, o, 38) == 0)
			tail = 4 + XD_OPT_RR_LEN;
		else if (LOAD_AT(16, o, 18) == bpf_htons(XD_TYPE_OPT) &&
			 LOAD_AT(16, o, 26) == bpf_htons(12))
			tail = 4 + XD_OPT_RR_LEN + 12;
		else if (LOAD_AT(16, o, 2) == bpf_htons(XD_TYPE_OPT) &&
			 LOAD_AT(16, o, 10) == bpf_htons(28))
			tail = 4 + XD_OPT_RR_LEN + 28;
		else
			tail = 0;
	}
	__u32 spec = pk->end - qname - tail;
	if (!tail || spec - 1 >= XD_NAME_MAX)
		return 0;
	__u32 at = qname + spec - 1;
	opaque(at); /* the verifier does not see spec's bounds: masked */
	__u8 *root = data + (at & XD_BOUND_QUERY);
	return (void *)(root + 1) <= end && *root == 0 ? spec : 0;
}

/*
 * One pass over the name, right to left in 8-byte words that end where
 * it ends (the first one masked to the name's bytes): its sum from the
 * client's bytes (the reply keeps their case), its lowercase copy in
 * s->q.buf, on the same grid, and the hash state after each word, from
 * which every suffix's hash is one more word (suffix_hash() in
 * lookup.h). -1 when the name runs past the frame.
 */
static __always_inline int hash_qname(struct xd_scratch *s, void *data,
				      void *end, __u64 seed, struct question *q)
{
	__u32 nlen = q->len;
	__u64 h = seed, qs = 0;
	__u32 nw = (nlen + 7) / 8;

	for (__u32 j = 0; j < (XD_NAME_MAX + 1) / 8; j++) {
		if (j >= nw)
			break;
		/* The word's start, from 8 bytes before the name. */
		__u32 at = (8 + nlen - 8 * (j + 1)) & XD_BOUND_NAME;
		__u8 *b = data + ((q->qname + at - 8) & XD_BOUND_QUERY);
		if ((void *)(b + 8) > end)
			return -1;
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
	q->hash = xd_hash_end(h);
	q->sum = qs;
	/* A zero word after the name: name_equal() compares whole words
	 * that may end up to 7 bytes past it. */
	store64(XD_QNAME(s) + nlen, 0);
	return 0;
}

/*
 * The question name: its length (guessed, or walked), its pass, and
 * with a guessed length, the name itself looked up before any check of
 * what follows it (the walk, a chain of loads, one per label, is spared
 * when it is found: it equals a well-formed name the compiler stored, so
 * a parse from the front ends where the guess did). If it is not found,
 * the labels are walked: when they end where the guess did, everything
 * computed so far stands (and the name is known absent, unless a tag
 * matched another name: the suffixes' walk then looks at it again); when
 * not, the question does not end where the message's length says, and
 * the query is passed (dropped if the question runs past the message).
 * What was found goes through memory (s->f.probe, s->f.skip_depths), so
 * that the checks after are one state for the verifier, not three.
 */
static __always_inline int read_qname(struct xdp_md *ctx, struct xd_scratch *s,
				      const struct xd_config *cfg, __u32 gen,
				      const struct dns_head *h,
				      struct question *q, int *v)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct pkt *pk = &s->pk;

	q->qname = pk->dns + sizeof(struct dns_hdr);
	__u32 guess = guess_qname_len(pk, data, end, q->qname, h->arcount);
	/* Through memory from here on, like the name's length: whether it
	 * was guessed is not a second state for the verifier to follow. */
	s->q.guessed = guess != 0;
	if (guess) {
		s->q.len = guess;
		s->q.nl = 0;
	} else if (walk_labels(s, data, end, q->qname) < 0) {
		return stop(v, DROP(drop_malformed));
	}
	join_states();
	__u32 nlen = s->q.len & XD_BOUND_NAME_LEN;
	if (nlen > XD_NAME_MAX || nlen == 0)
		return stop(v, DROP(drop_malformed));
	q->len = nlen;
	pk->name_len = (__u8)nlen;
	pk->qsize = (__u16)(nlen + 4);
	pk->qend = q->qname + nlen + 4;
	if (pk->qend > pk->end)
		return stop(v, DROP(drop_malformed));
	if (hash_qname(s, data, end, cfg->gen[gen].seed, q) < 0)
		return stop(v, DROP(drop_malformed));

	s->f.probe = LOOKUP_ABSENT;
	s->f.skip_depths = 0;
	join_states();
	if (s->q.guessed) {
		int pf = name_probe(s, cfg, gen, nlen, q->hash);
		s->f.probe = pf;
		if (pf != LOOKUP_FOUND) {
			if (walk_labels(s, data, end, q->qname) < 0)
				return stop(v, DROP(drop_malformed));
			join_states();
			if ((s->q.len & XD_BOUND_NAME_LEN) != nlen)
				s->f.probe = PROBE_MISMATCH;
			else if (pf == LOOKUP_ABSENT)
				s->f.skip_depths = xd_depth_bit(s->q.nl & 0xff);
		}
	}
	/* The verdicts from here on, once whichever way led here. */
	join_states();
	if (s->f.probe == PROBE_MISMATCH)
		return stop(v, q->qname + (s->q.len & XD_BOUND_NAME_LEN) + 4 >
					       pk->end ?
				       DROP(drop_malformed) :
				       PASS_Q(ctx, pass_shape));
	q->nl = s->q.nl & 0xff;
	return false;
}

/* The question's type and class: class IN, and a type the fast path may
 * answer (not a meta type). */
static __always_inline int parse_type_class(struct xdp_md *ctx, struct pkt *pk,
					    struct question *q, int *v)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *qt = data + ((q->qname + q->len) & XD_BOUND_QUERY);

	if ((void *)(qt + 4) > end)
		return stop(v, DROP(drop_malformed));
	/* The name's words and these start at an odd offset from the
	 * question's start when the name's length is odd: shifting a sum 8
	 * bits swaps its bytes, modulo 0xffff. */
	__u32 tc = load32(qt);
	q->sum += (tc & 0xffff) + (tc >> 16);
	pk->qsum = q->sum << (8 * (q->len & 1));
	pk->qtype = (__u16)((tc & 0xff) << 8 | ((tc >> 8) & 0xff));
	if ((tc >> 16) != bpf_htons(XD_CLASS_IN)) /* as it lies in memory */
		return stop(v, PASS_E(ctx, pass_class)); /* REFUSED */
	if (pk->qtype == 0 || pk->qtype == XD_TYPE_AXFR ||
	    pk->qtype == XD_TYPE_IXFR)
		return stop(v, PASS_E(ctx, pass_qtype)); /* FORMERR, REFUSED */
	return false;
}

#endif
