// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdpdns: answer DNS queries from compiled templates at the XDP hook.
 *
 * A query the compiled zones answer gets its reply here (XDP_TX), byte for
 * byte what xdpdns-server would send; anything the program does not fully
 * understand goes to the kernel stack (XDP_PASS), limited per client
 * prefix, and packets no server should answer are dropped. Every verdict
 * is counted once, by reason.
 *
 * The program is a row of stages, each in the header named beside it,
 * each taking its inputs and leaving its outputs in the packet's scratch
 * memory (maps.h) or in the small structs below; a stage that takes a
 * verdict ends the row. Finding an answer calls no helper: the maps are
 * arrays the verifier turns into plain memory accesses. Helpers resize
 * the frame, and read the clock for rate limiting and cookies.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lookup.h"
#include "maps.h"
#include "parse.h"
#include "qname.h"
#include "respond.h"
#include "rrl.h"
#include "stats.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int xdpdns_xdp(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xd_scratch *s = bpf_map_lookup_elem(&xd_scratch, &zero);
	struct dns_head head;
	struct question q;
	struct answer a;
	int v;

	if (!s)
		return PASS_Q(ctx, pass_not_loaded); /* never: an array */
	/* Ethernet to the DNS header (parse.h). */
	if (parse_frame(ctx, &s->pk, &head, &v))
		return v;
	const struct xd_config *cfg = bpf_map_lookup_elem(&xd_config, &zero);
	if (check_serving(ctx, cfg, &v) || check_header(ctx, &s->pk, &head, &v))
		return v;
	/* The question (qname.h), and what follows it (parse.h). */
	__u32 gen = cfg->generation & 1;
	if (read_qname(ctx, s, cfg, gen, &head, &q, &v) ||
	    parse_type_class(ctx, &s->pk, &q, &v) ||
	    parse_edns(ctx, s, cfg, &head, &v))
		return v;
	/* Its answer (lookup.h), limited and built in place (respond.h). */
	if (find_answer(ctx, s, cfg, gen, q.nl, q.len, q.hash, &a, &v))
		return v;
	return respond(ctx, s, cfg, gen, &a);
}
