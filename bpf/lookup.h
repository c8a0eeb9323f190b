/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Finding the answer: the query name in the names maps, else its closest
 * existing ancestor (referral, wildcard, NXDOMAIN), the same walk the
 * answer engine does (zonec/answer.c, xd_lookup).
 */
#ifndef XDPDNS_BPF_LOOKUP_H
#define XDPDNS_BPF_LOOKUP_H

#include "maps.h"

/* The inner map of outer for generation gen. */
static __always_inline void *inner(void *outer, __u32 gen)
{
	return bpf_map_lookup_elem(outer, &gen);
}

/*
 * The node of the len-byte name right-aligned in s->name. Class c keys are
 * the last 16 << c bytes of the buffer.
 */
static __always_inline struct xd_node_val *
names_lookup(struct xd_scratch *s, __u32 gen, __u32 len)
{
	void *m;

	if (len <= 16) {
		m = inner(&xd_names0, gen);
		return m ? bpf_map_lookup_elem(m, s->name + XD_NAME_BUF - 16) :
			   NULL;
	}
	if (len <= 32) {
		m = inner(&xd_names1, gen);
		return m ? bpf_map_lookup_elem(m, s->name + XD_NAME_BUF - 32) :
			   NULL;
	}
	if (len <= 64) {
		m = inner(&xd_names2, gen);
		return m ? bpf_map_lookup_elem(m, s->name + XD_NAME_BUF - 64) :
			   NULL;
	}
	if (len <= 128) {
		m = inner(&xd_names3, gen);
		return m ? bpf_map_lookup_elem(m,
					       s->name + XD_NAME_BUF - 128) :
			   NULL;
	}
	m = inner(&xd_names4, gen);
	return m ? bpf_map_lookup_elem(m, s->name) : NULL;
}

/* The template for qtype at a node (the name is still in s->name). */
static __always_inline __u32 node_template(struct xd_scratch *s, __u32 gen,
					   const struct xd_node_val *n,
					   __u16 qtype)
{
#pragma unroll
	for (int i = 0; i < XD_NODE_TYPES; i++)
		if (i < n->ntypes && n->types[i].type == qtype && qtype)
			return n->types[i].tmpl;
	if ((n->flags & XD_NF_OVERFLOW) && qtype) {
		void *m = inner(&xd_types, gen);
		if (!m)
			return XD_TREF_PASS;
		s->type = qtype;
		__u32 *t = bpf_map_lookup_elem(m, s->name);
		if (t)
			return *t;
	}
	return n->dflt;
}

#endif
