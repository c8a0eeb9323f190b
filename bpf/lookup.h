/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Finding names: the keyed hash of a name's lowercase bytes picks a bucket
 * of slots (one map entry); a slot whose tag matches leads to a node, whose
 * name (in the node, or in xd_names when longer) is compared word by word
 * with the query's. Arrays only, so no helper call.
 */
#ifndef XDPDNS_BPF_LOOKUP_H
#define XDPDNS_BPF_LOOKUP_H

#include "maps.h"
#include "mem.h"
#include "rrl.h"
#include "stats.h"
#include "verifier.h"

/*
 * The name being looked up is given by offset and length in memory, read
 * afresh where needed: loop exits that narrow the length's range would
 * otherwise give the verifier one state per word count to explore.
 */
static __always_inline __u32 key_len(const struct xd_scratch *s)
{
	join_states();
	return s->f.key_len & XD_BOUND_NAME_LEN;
}

static __always_inline __u32 key_off(const struct xd_scratch *s)
{
	join_states();
	return s->f.key_off & XD_BOUND_NAME;
}

/*
 * The hash of the query name's suffix that starts at byte off (a label
 * start), from the states the parse left in s->q.hst (bpf/xdpdns.h): the
 * state after the suffix's whole words from the end, then its leftmost
 * word with the bytes before the suffix masked off. The words lie on the
 * grid the parse stored the name on, so the load is one of its stores.
 */
static __always_inline __u64 suffix_hash(const struct xd_scratch *s, __u32 nlen,
					 __u32 off)
{
	__u32 len = nlen - off;
	__u32 nw = (len + 7) / 8;
	__u32 masked = 8 * nw - len; /* 0..7 bytes before the suffix */
	__u64 h = s->q.hst[(nw - 1) & 31];
	__u64 w = load64(s->q.buf + ((8 + nlen - 8 * nw) & XD_BOUND_NAME));

	XD_HASH_WORD(h, w & (~0ull << (8 * masked)));
	return xd_hash_end(h);
}

static __always_inline const struct xd_chunk *names_chunk(__u32 gen_base,
							  __u32 byte)
{
	__u32 idx = gen_base + byte / XD_NAMES_CHUNK;

	return bpf_map_lookup_elem(&xd_names, &idx);
}

/* The name held in node n itself (len bytes, at most XD_NODE_INAME),
 * against buf from off: both are zero-padded to whole words. */
static __always_inline int iname_equal(const struct xd_xnode *n,
				       const __u8 *buf, __u32 off, __u32 len)
{
	for (__u32 i = 0; i < XD_NODE_INAME / 8; i++) {
		__u32 at = i * 8;
		if (at >= len)
			break;
		if (load64(n->iname + at) !=
		    load64(buf + ((off + at) & XD_BOUND_NAME)))
			return 0;
	}
	return 1;
}

/*
 * Compare the stored name of node n with the key name in buf. Stored names
 * are zero-padded to whole words, and so is the query's name in s->q.buf
 * (a zero word follows it), so words compare whole. A name's chunk is
 * looked up again only where the name crosses into the next one.
 */
static __always_inline int name_equal(const struct xd_scratch *s,
				      const struct xd_xnode *n,
				      const struct xd_config *cfg, __u32 gen,
				      const __u8 *buf)
{
	__u32 base = gen ? cfg->name_chunks : 0;
	__u32 len = key_len(s), off = key_off(s), name = n->name;
	const struct xd_chunk *c = NULL;

	if (n->nlen != len)
		return 0;
	if (len <= XD_NODE_INAME)
		return iname_equal(n, buf, off, len);
	for (__u32 i = 0; i < (XD_NAME_MAX + 8) / 8; i++) {
		__u32 at = i * 8;
		if (at >= len)
			break;
		if (!c || !((name + at) & (XD_NAMES_CHUNK - 8)))
			c = names_chunk(base, name + at);
		if (!c)
			return 0;
		__u64 a = load64(c->b + ((name + at) & (XD_NAMES_CHUNK - 8)));
		__u64 b = load64(buf + ((off + at) & XD_BOUND_NAME));
		if (a != b)
			return 0;
	}
	return 1;
}

enum lookup_result { LOOKUP_ABSENT, LOOKUP_FOUND, LOOKUP_UNSURE };

/* name_probe() found nothing, and the labels end elsewhere than guessed. */
#define PROBE_MISMATCH 3

/*
 * The slot for hash h among nb buckets from base: looked for in its
 * primary bucket and, if that is full, in its secondary one
 * (bpf/xdpdns.h). s->f.hit is the node index + 1 of the first slot with
 * h's tag, 0 when none has it, XD_TREF_PASS when a bucket lies outside
 * the array (a loader bug).
 */
static __always_inline void find_slot(struct xd_scratch *s, __u32 base,
				      __u32 nb, __u64 h)
{
	__u32 tag = (__u32)(h >> 32) | 1;
	__u32 b = xd_bucket1(h, nb);

	s->f.hit = 0;
	for (__u32 pass = 0; pass < 2; pass++) {
		__u32 full = 1, idx = base + b;
		const struct xd_sbucket *bk =
			bpf_map_lookup_elem(&xd_slots, &idx);
		if (!bk) {
			s->f.hit = XD_TREF_PASS;
			break;
		}
		for (__u32 j = 0; j < XD_BUCKET; j++) {
			const struct xd_slot *sl = &bk->s[j];
			if (!sl->node) {
				full = 0;
				break;
			}
			if (sl->tag == tag) {
				s->f.hit = sl->node;
				break;
			}
		}
		if (s->f.hit || !full)
			break;
		b = xd_bucket2(h, nb);
	}
}

/*
 * The query name itself (nlen bytes, hash qhash), looked for before its
 * labels are known: a hit proves the name well formed, as it equals a
 * name the compiler stored.
 */
static __always_inline int name_probe(struct xd_scratch *s,
				      const struct xd_config *cfg, __u32 gen,
				      __u32 nlen, __u64 qhash)
{
	s->f.key_off = 0;
	s->f.key_len = nlen;
	find_slot(s, gen ? cfg->slots / XD_BUCKET : 0,
		  cfg->gen[gen & 1].buckets, qhash);
	join_states();
	__u32 hit = s->f.hit;
	if (!hit)
		return LOOKUP_ABSENT;
	if (hit == XD_TREF_PASS)
		return LOOKUP_UNSURE;
	__u32 ni = (gen ? cfg->nodes : 0) + hit - 1;
	const struct xd_xnode *n = bpf_map_lookup_elem(&xd_nodes, &ni);
	/* Names in their node only (the long ones are walked first). The
	 * length is read back from memory: the comparisons below narrow
	 * that copy, not the caller's, which the verifier would otherwise
	 * follow as one more state through all that comes after. */
	if (!n || n->nlen > XD_NODE_INAME || n->nlen != key_len(s) ||
	    !iname_equal(n, XD_QNAME(s), 0, n->nlen))
		return LOOKUP_UNSURE;
	s->f.k = 0;
	s->f.hash = qhash;
	return LOOKUP_FOUND;
}

/*
 * The longest suffix of the query name that is a node: the name itself
 * (s->f.k = 0) or its closest existing ancestor (s->f.k labels
 * shorter). Each suffix is looked for in its primary bucket and, if that
 * is full, in its secondary one (bpf/xdpdns.h). Only the first slot with
 * the right tag is compared byte for byte; if that is another name (a
 * 32-bit tag collision), the answer is LOOKUP_UNSURE and the query goes
 * to userspace rather than risk a wrong answer. Label counts in
 * s->f.skip_depths are left out (the name's own, when name_probe() found it
 * absent). On LOOKUP_FOUND, s->f.hit is the node's index + 1.
 */
static __always_inline int suffix_lookup(struct xd_scratch *s,
					 const struct xd_config *cfg, __u32 gen,
					 __u32 nl, __u32 nlen, __u64 qhash)
{
	const struct xd_gen *g = &cfg->gen[gen & 1];
	__u32 base = gen ? cfg->slots / XD_BUCKET : 0;
	__u32 nbase = gen ? cfg->nodes : 0;
	__u32 nb = g->buckets;

	s->f.hit = 0;
	for (__u32 k = 0; k < XD_MAX_LABELS + 1; k++) {
		if (k > nl)
			break;
		/* No name has this suffix's label count: not here. */
		if (!(g->depths & ~s->f.skip_depths & xd_depth_bit(nl - k)))
			continue;
		__u32 koff = k < nl ? s->q.labels[k & XD_MAX_LABELS] : nlen - 1;
		if (koff >= nlen)
			break;
		/* The whole name's hash came out of the parse's pass. */
		__u64 h = k ? suffix_hash(s, nlen, koff) : qhash;
		find_slot(s, base, nb, h);
		if (s->f.hit) {
			s->f.k = k;
			s->f.hash = h;
			break;
		}
	}
	/* One state after the loop, whichever suffix it stopped at. */
	join_states();
	__u32 hit = s->f.hit;
	if (!hit)
		return LOOKUP_ABSENT;
	if (hit == XD_TREF_PASS) /* outside the arrays: a loader bug */
		return LOOKUP_UNSURE;
	__u32 k = s->f.k & 0xff;
	__u32 off = k < nl ? s->q.labels[k & XD_MAX_LABELS] : nlen - 1;
	if (off >= nlen)
		return LOOKUP_UNSURE;
	s->f.key_off = off;
	s->f.key_len = nlen - off;
	__u32 ni = nbase + hit - 1;
	const struct xd_xnode *n = bpf_map_lookup_elem(&xd_nodes, &ni);
	if (!n || !name_equal(s, n, cfg, gen, XD_QNAME(s)))
		return LOOKUP_UNSURE;
	return LOOKUP_FOUND;
}

/* Node index + 1 (as the slots hold it) to the node, in generation gen. */
static __always_inline const struct xd_xnode *
node_at(const struct xd_config *cfg, __u32 gen, __u32 index)
{
	__u32 ni = (gen ? cfg->nodes : 0) + index - 1;

	return index ? bpf_map_lookup_elem(&xd_nodes, &ni) : NULL;
}

/* The template for qtype at node n (index + 1 in `index`). */
static __always_inline __u32 node_template(const struct xd_config *cfg,
					   __u32 gen, const struct xd_xnode *n,
					   __u32 index, __u16 qtype)
{
#pragma unroll
	for (int i = 0; i < XD_NODE_TYPES; i++)
		if (i < n->ntypes && n->types[i].type == qtype)
			return n->types[i].tmpl;
	if (!(n->flags & XD_NF_OVERFLOW))
		return n->dflt;
	const struct xd_gen *g = &cfg->gen[gen & 1];
	__u32 base = gen ? cfg->tslots : 0;
	__u64 h = xd_type_hash(index, qtype, g->seed);
	__u32 b = xd_bucket1(h, g->tbuckets);
	for (__u32 pass = 0; pass < 2; pass++) {
		for (__u32 j = 0; j < XD_BUCKET; j++) {
			__u32 idx = base + b * XD_BUCKET + j;
			const struct xd_tslot *t =
				bpf_map_lookup_elem(&xd_tslots, &idx);
			if (!t)
				return XD_TREF_PASS;
			if (!t->node)
				return n->dflt;
			if (t->node == index && t->type == qtype)
				return t->tmpl;
		}
		b = xd_bucket2(h, g->tbuckets);
	}
	return n->dflt;
}

/* The answer found for a query: a template, and whether the name was
 * found through an ancestor (walked: its template must relocate). */
struct answer {
	__u32 tref;
	int walked;
};

/*
 * The name itself, else its closest existing ancestor: every ancestor of
 * a name in a zone down to the apex is a node (empty non-terminals too),
 * so the longest suffix found is the closest encloser; and the template
 * it gives qtype: its own, a referral below a delegation, a wildcard's,
 * or the zone's NXDOMAIN. Passes what the fast path cannot prove (a tag
 * shared with another name, names below a partly loaded one, DO=1 on a
 * signed zone, an answer not in the maps) and names in no zone. A stage
 * as in parse.h: true when a verdict was taken (in *v).
 */
static __always_inline int find_answer(struct xdp_md *ctx, struct xd_scratch *s,
				       const struct xd_config *cfg, __u32 gen,
				       __u32 nl, __u32 nlen, __u64 qhash,
				       struct answer *a, int *v)
{
	const struct pkt *pk = &s->pk;

	join_states();
	int found = s->f.probe;
	if (found != LOOKUP_FOUND)
		found = suffix_lookup(s, cfg, gen, nl, nlen, qhash);
	if (found == LOOKUP_UNSURE)
		return stop(v, PASS_Q(ctx, pass_long_name));
	if (found != LOOKUP_FOUND)
		return stop(v, PASS_E(ctx, pass_miss)); /* REFUSED */
	/* The node afresh, whichever way it was found: one state. */
	join_states();
	__u32 index = s->f.hit;
	const struct xd_xnode *n = node_at(cfg, gen, index);
	if (!n)
		return stop(v, PASS_Q(ctx, pass_long_name));
	if (pk->do_bit && (n->flags & XD_NF_SIGNED))
		return stop(v, PASS_Q(ctx, pass_signed_do));
	a->walked = s->f.key_off != 0;
	if (a->walked &&
	    (n->flags & (XD_NF_PARTIAL | XD_NF_DELEG)) == XD_NF_PARTIAL)
		return stop(v, PASS_Q(ctx, pass_partial));
	if (!a->walked) {
		a->tref = node_template(cfg, gen, n, index, pk->qtype);
	} else if (n->flags & XD_NF_DELEG) {
		a->tref = n->dflt; /* below a delegation: the referral */
	} else if (n->flags & XD_NF_WILDCARD) {
		__u32 wi = n->below;
		const struct xd_xnode *wn = node_at(cfg, gen, wi);
		if (!wn)
			return stop(v, PASS_Q(ctx, pass_template));
		a->tref = node_template(cfg, gen, wn, wi, pk->qtype);
	} else {
		a->tref = n->below; /* the zone's NXDOMAIN */
	}
	if (a->tref == XD_TREF_PASS)
		return stop(v, PASS_Q(ctx, pass_template));
	return false;
}

#endif
